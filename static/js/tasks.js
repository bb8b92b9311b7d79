// Progress polling of background tasks (downloads and deletes): GET
// /tasks/{id} right away and then every 2 s, one request at a time per
// task, tolerating a few 404s right after the start.  This is the only
// timer-driven traffic of the page.

export const TERMINAL = new Set(['completed', 'failed', 'already_installed',
    'not_installed', 'cancelled']);

// new TaskTracker({api, onChange, onTerminal, interval, max404}):
//   onChange(entry, what): what = 'start' | 'progress' | 'lost' |
//     'found' | 'gone' | 'dismissed'; onTerminal(entry, progress) on a
//     terminal status.
// An entry: {modelId, taskId, op, progress, failed, misses, cancelling,
// lost (the error of the last poll when it failed, else null), changedAt
// (when the progress last moved, by this browser's clock)}.
// A failed entry stays (for Retry / dismiss) until dismiss(modelId).
export class TaskTracker {
	constructor({api, onChange, onTerminal, interval = 2000, max404 = 3}) {
		this.api = api;
		this.onChange = onChange;
		this.onTerminal = onTerminal;
		this.interval = interval;
		this.max404 = max404;
		this.entries = new Map();	// model id -> entry
		this.finished = new Set();	// task ids never to track again
		this.stopped = false;
	}

	// get(modelId): the entry of that model, or undefined.
	get(modelId) {
		return this.entries.get(modelId);
	}

	// track(modelId, taskId, op): starts polling a task, unless it is the
	// one already tracked or one that ended or vanished before.
	track(modelId, taskId, op) {
		if (!taskId || this.stopped || this.finished.has(taskId))
			return;
		const cur = this.entries.get(modelId);
		if (cur && cur.taskId === taskId)
			return;
		if (cur)
			this._drop(cur);
		const entry = {modelId, taskId, op, progress: null, failed: false,
		    misses: 0, cancelling: false, timer: null, view: null,
		    lost: null, changedAt: 0};
		this.entries.set(modelId, entry);
		this.onChange(entry, 'start');
		this._poll(entry);
	}

	// dismiss(modelId): forgets a (failed) entry.
	dismiss(modelId) {
		const entry = this.entries.get(modelId);
		if (!entry)
			return;
		this._drop(entry);
		this.onChange(entry, 'dismissed');
	}

	// stopAll(): stops every poll (sign-out, lost authorisation).
	stopAll() {
		this.stopped = true;
		for (const entry of this.entries.values())
			this._drop(entry);
	}

	// activeCount(): tasks still polled.
	activeCount() {
		let n = 0;
		for (const e of this.entries.values())
			if (!e.failed)
				n++;
		return n;
	}

	_drop(entry) {
		if (entry.timer !== null)
			clearTimeout(entry.timer);
		entry.timer = null;
		if (this.entries.get(entry.modelId) === entry)
			this.entries.delete(entry.modelId);
	}

	_live(entry) {
		return !this.stopped && this.entries.get(entry.modelId) === entry;
	}

	async _poll(entry) {
		entry.timer = null;
		if (!this._live(entry))
			return;
		let progress;
		try {
			progress = await this.api.task(entry.taskId);
		} catch (err) {
			if (!this._live(entry))
				return;
			if (err && err.status === 404) {
				entry.misses++;
				if (entry.misses > this.max404) {
					// The task is gone (expired or never
					// stored): stop, and never follow it again.
					this.finished.add(entry.taskId);
					this._drop(entry);
					this.onChange(entry, 'gone');
					return;
				}
			} else if (err && (err.status === 401 || err.status === 403)) {
				return;	// the page shows the sign-in message
			} else {
				// Anything else is transient: keep polling at the
				// same pace, and say so.
				const first = !entry.lost;
				entry.lost = err || new Error('Poll failed');
				this.onChange(entry, first ? 'lost' : 'progress');
			}
			this._schedule(entry);
			return;
		}
		if (!this._live(entry))
			return;
		entry.misses = 0;
		if (moved(entry.progress, progress))
			entry.changedAt = Date.now();
		const found = !!entry.lost;
		entry.lost = null;
		entry.progress = progress;
		if (progress && TERMINAL.has(progress.status)) {
			this.finished.add(entry.taskId);
			if (progress.status === 'failed') {
				entry.failed = true;
				entry.cancelling = false;
			} else {
				this._drop(entry);
			}
			this.onTerminal(entry, progress);
			return;
		}
		this.onChange(entry, found ? 'found' : 'progress');
		this._schedule(entry);
	}

	_schedule(entry) {
		if (!this._live(entry))
			return;
		entry.timer = setTimeout(() => this._poll(entry), this.interval);
	}
}

// moved(before, after): whether a task's progress changed between two
// polls (a new progress write, or more bytes).
function moved(before, after) {
	if (!after)
		return false;
	if (!before)
		return true;
	return before.updated_at !== after.updated_at ||
	    before.bytes_downloaded !== after.bytes_downloaded;
}
