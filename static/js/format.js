// Formatting of sizes, speeds, durations and times.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

// formatSize(mb): a size the API gives in whole MB (a floor): "850 MB",
// "1.2 GB" (the reference's rule), "< 1 MB" for 0; "--" for null.
export function formatSize(mb) {
	if (mb === null || mb === undefined || !Number.isFinite(mb))
		return '--';
	if (mb >= 1024)
		return (mb / 1024).toFixed(1) + ' GB';
	if (mb < 1)
		return '< 1 MB';
	return mb + ' MB';
}

// formatBytes(n): 1024 steps, B/KB/MB/GB/TB; whole bytes, one decimal
// below 100 of a unit, none above ("512 B", "1.5 MB", "850 MB").
export function formatBytes(bytes) {
	if (!Number.isFinite(bytes) || bytes <= 0)
		return '0 B';
	let i = Math.floor(Math.log(bytes) / Math.log(1024));
	i = Math.max(0, Math.min(i, UNITS.length - 1));
	const v = bytes / Math.pow(1024, i);
	if (i === 0)
		return Math.round(v) + ' B';
	return (v < 99.95 ? v.toFixed(1) : String(Math.round(v))) + ' ' + UNITS[i];
}

// formatSizeOf(bytes, mb): exact bytes when the API gave them, else the
// whole-MB value.
export function formatSizeOf(bytes, mb) {
	if (Number.isFinite(bytes))
		return formatBytes(bytes);
	return formatSize(mb);
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

// formatAge(ms): "just now", "40 s ago", "3 min ago", "2 h ago".
export function formatAge(ms) {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 5)
		return 'just now';
	if (s < 60)
		return s + ' s ago';
	if (s < 3600)
		return Math.floor(s / 60) + ' min ago';
	return Math.floor(s / 3600) + ' h ago';
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

// formatDuration(seconds): how long a task ran: "< 0.1 s", "0.4 s", "12 s",
// "3 min 05 s", "2 h 10 min"; "" when unknown.
export function formatDuration(seconds) {
	if (!Number.isFinite(seconds) || seconds < 0)
		return '';
	if (seconds < 0.05)
		return '< 0.1 s';
	if (seconds < 9.95)
		return (Math.round(seconds * 10) / 10) + ' s';
	const s = Math.round(seconds);
	if (s < 60)
		return s + ' s';
	if (s < 3600)
		return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
	return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

// formatWhen(iso, now): {local, utc, iso} of a UTC time: local is short
// and readable in the browser's time zone ("Mar 4, 14:05:09", with the
// year when it is not this year's), utc the exact time
// ("2025-03-04 14:05:09.123 UTC"); null when iso is not a time.
export function formatWhen(iso, now = new Date()) {
	const d = new Date(iso);
	if (typeof iso !== 'string' || Number.isNaN(d.getTime()))
		return null;
	const opts = {month: 'short', day: 'numeric', hour: '2-digit',
	    minute: '2-digit', second: '2-digit', hourCycle: 'h23'};
	if (d.getFullYear() !== now.getFullYear())
		opts.year = 'numeric';
	const exact = d.toISOString();
	return {local: d.toLocaleString(undefined, opts), iso: exact,
	    utc: exact.slice(0, 10) + ' ' + exact.slice(11, 23) + ' UTC'};
}
