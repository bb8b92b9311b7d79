// Formatting of sizes, speeds and durations, as the reference page does it.

// formatSize(mb): "850 MB", "1.2 GB" (the reference's rule); "--" for null.
export function formatSize(mb) {
	if (mb === null || mb === undefined || !Number.isFinite(mb))
		return '--';
	if (mb >= 1024)
		return (mb / 1024).toFixed(1) + ' GB';
	return mb + ' MB';
}

const UNITS = ['B', 'KB', 'MB', 'GB'];

// formatBytes(n): 1024 steps, B/KB/MB/GB, one decimal ("0 B", "1.5 MB").
export function formatBytes(bytes) {
	if (!Number.isFinite(bytes) || bytes <= 0)
		return '0 B';
	let i = Math.floor(Math.log(bytes) / Math.log(1024));
	i = Math.max(0, Math.min(i, UNITS.length - 1));
	return (bytes / Math.pow(1024, i)).toFixed(1) + ' ' + UNITS[i];
}

// formatSpeed(bytesPerSecond): "2.5 MB/s", or "" when unknown.
export function formatSpeed(bps) {
	if (!Number.isFinite(bps) || bps <= 0)
		return '';
	return formatBytes(bps) + '/s';
}

// formatEta(seconds): "45 s left", "3 min 05 s left", "2 h 10 min left";
// "" when unknown.
export function formatEta(seconds) {
	if (!Number.isFinite(seconds) || seconds < 0)
		return '';
	const s = Math.round(seconds);
	if (s < 60)
		return s + ' s left';
	if (s < 3600) {
		const m = Math.floor(s / 60);
		return m + ' min ' + String(s % 60).padStart(2, '0') + ' s left';
	}
	const hours = Math.floor(s / 3600);
	return hours + ' h ' + Math.floor((s % 3600) / 60) + ' min left';
}

// percentOf(done, total): whole percent 0..100 (100 only when done).
export function percentOf(done, total) {
	if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0)
		return 0;
	if (done >= total)
		return 100;
	return Math.max(0, Math.min(99, Math.floor(done * 100 / total)));
}

// plural(n, word): "1 collection", "3 collections".
export function plural(n, word) {
	return n + ' ' + word + (n === 1 ? '' : 's');
}
