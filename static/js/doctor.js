// The cache doctor on the Models page: a card's unfinished download
// ("12.3 MB partial · Resume · Discard"), the cache bar's reclaimable
// space with its "Review and clean up" dialog (a dry run first: the exact
// bytes, what stays and why; then a prune task followed to its end), and
// the "File check" of a card's details (Verify files, the problems of
// the last verify, Repair).  Every server string is set as text.

import {h, icon} from './dom.js';
import {formatBytes, formatWhen, plural} from './format.js';
import {openDialog} from './dialog.js';
import {explainError} from './api.js';
import {toast} from './toast.js';
import {displayName} from './view.js';

// The kinds a prune removes, in the page's words.
export const PRUNE_KINDS = [
	['partial', 'Unfinished downloads'],
	['orphan_blobs', 'Unused files'],
	['detached_revisions', 'Old revisions'],
	['stale_locks', 'Stale lock files'],
];

// Why a prune keeps an item.
const KEPT_WHY = {
	active_claim: 'a task is running on its model',
	lock_held: 'a process is writing it',
	lock_unknown: 'its lock cannot be checked',
	recent: 'it changed recently',
	changed: 'it changed meanwhile',
	failed: 'it could not be removed',
};

// The words of a problem a verify found.
const PROBLEM_WORDS = {
	corrupt: 'content does not match',
	missing_blob: 'file missing',
	broken_link: 'broken link',
	wrong_size: 'wrong size',
};

const POLL_MS = 1000;
const PROBLEMS_SHOWN = 20;

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// exactBytes(n): "12,345,678 bytes (11.8 MB)".
function exactBytes(n) {
	const b = Number(n) || 0;
	return b.toLocaleString('en-US') + ' bytes (' + formatBytes(b) + ')';
}

// createDoctor({api, isAuthError, onChanged, onTrack}): onChanged() asks
// for the list (and report) again; onTrack(model, taskId, op) follows a
// task on its card.
export function createDoctor({api, isAuthError, onChanged, onTrack}) {
	const results = new Map();	// model id -> {task, problems, total}
	const asked = new Set();	// verify task ids whose result was read
	let report = null;

	// ------------------------------------------------------------ report

	async function loadReport() {
		try {
			report = await api.report();
		} catch (err) {
			if (!isAuthError(err))
				report = null;
		}
	}

	// cacheNode(): the cache bar's reclaimable space and its button,
	// or null before a report.
	function cacheNode() {
		if (!report || !report.totals)
			return null;
		const t = report.totals;
		const parts = PRUNE_KINDS.filter(([k]) => t[k] && t[k].items > 0)
		    .map(([k, label]) => h('li', {class: 'reclaim-kind',
		    text: label + ': ' + formatBytes(t[k].apparent_bytes)}));
		const total = t.reclaimable ? t.reclaimable.apparent_bytes : 0;
		return h('div', {class: 'reclaim'},
		    h('p', {class: 'reclaim-total'},
		    h('strong', {text: formatBytes(total)}), ' reclaimable'),
		    parts.length ? h('ul', {class: 'reclaim-kinds'}, parts) : null,
		    h('button', {class: 'btn btn-small', attrs: {type: 'button'},
		    dataset: {focusKey: 'cleanup'},
		    on: {click: () => openCleanup(null)}},
		    icon('trash'), 'Review and clean up'));
	}

	// ------------------------------------------------------------ cards

	// partialLine(model, actions, running): "12.3 MB partial · Resume ·
	// Discard", or null (nothing partial, or a task runs).
	function partialLine(model, actions, running) {
		const bytes = Number(model.partial_size_bytes) || 0;
		if (bytes <= 0 || running)
			return null;
		const name = displayName(model);
		return h('p', {class: 'partial-line'},
		    icon('download'),
		    h('span', {class: 'partial-size', text: formatBytes(bytes) + ' partial'}),
		    model.is_installed ? null : [h('span', {class: 'sep', text: ' · ',
		    attrs: {'aria-hidden': 'true'}}),
		    h('button', {class: 'link-btn', attrs: {type: 'button'},
		    dataset: {focusKey: 'resume:' + model.id},
		    on: {click: () => actions.download(model)}}, 'Resume',
		    h('span', {class: 'sr-only', text: ' ' + name}))],
		    h('span', {class: 'sep', text: ' · ', attrs: {'aria-hidden': 'true'}}),
		    h('button', {class: 'link-btn', attrs: {type: 'button'},
		    dataset: {focusKey: 'discard:' + model.id},
		    on: {click: () => openCleanup(model)}}, 'Discard',
		    h('span', {class: 'sr-only', text: ' the partial files of ' + name})));
	}

	// The problems shown for a model's last verify, if known.
	function problemList(model) {
		const r = results.get(model.id);
		if (!r || !r.problems.length)
			return null;
		const items = r.problems.slice(0, PROBLEMS_SHOWN).map((p) =>
		    h('li', {}, h('code', {class: 'mono', text: String(p.path)}),
		    ' — ' + (PROBLEM_WORDS[p.kind] || String(p.kind))));
		if (r.total > items.length)
			items.push(h('li', {text: 'and ' + (r.total - items.length) + ' more'}));
		return h('ul', {class: 'problems'}, items);
	}

	// The status line of the last verify.
	function statusText(vs) {
		if (!vs)
			return 'Not checked yet.';
		const when = formatWhen(new Date(vs.checked_at * 1000).toISOString());
		const at = when ? ' Checked ' + when.local + '.' : '';
		if (vs.status === 'ok')
			return 'All files match.' + at;
		return plural(vs.problems, 'problem') + ' found.' + at;
	}

	// fileCheck(model, actions, busy): the "File check" of an installed
	// model's details; busy when a task of the model runs.
	function fileCheck(model, actions, busy) {
		if (!model.is_installed)
			return null;
		const vs = model.verify_status;
		const bad = vs && vs.status === 'problems';
		const name = displayName(model);
		return h('div', {class: 'field wide file-check'},
		    h('dt', {text: 'File check'}),
		    h('dd', {},
		    h('p', {class: 'check-status' + (bad ? ' is-bad' : ''),
		    text: statusText(vs)}),
		    bad ? problemList(model) : null,
		    h('span', {class: 'check-actions'},
		    h('button', {class: 'btn btn-small', attrs: {type: 'button'},
		    disabled: busy, dataset: {focusKey: 'verify:' + model.id},
		    on: {click: () => actions.verify(model)}},
		    icon('check'), 'Verify files',
		    h('span', {class: 'sr-only', text: ' of ' + name})),
		    bad ? h('button', {class: 'btn btn-small btn-primary',
		    attrs: {type: 'button'}, disabled: busy,
		    dataset: {focusKey: 'repair:' + model.id},
		    on: {click: () => actions.repair(model)}},
		    icon('refresh'), 'Repair',
		    h('span', {class: 'sr-only', text: ' ' + name})) : null)));
	}

	// detailsOpened(model): reads the problems of its last verify.
	async function detailsOpened(model) {
		const vs = model.verify_status;
		if (!vs || vs.status !== 'problems' || !vs.task_id ||
		    asked.has(vs.task_id))
			return;
		asked.add(vs.task_id);
		try {
			const t = await api.task(vs.task_id);
			if (noteResult(model.id, t))
				onChanged(false);
		} catch (err) {
			// Gone (tasks expire): the count alone is shown.
		}
	}

	// noteResult(modelId, task): keeps the problems of a verify's or a
	// repair's result; whether there were any.
	function noteResult(modelId, task) {
		const r = task && task.result;
		if (!r)
			return false;
		const problems = Array.isArray(r.problems) ? r.problems :
		    Array.isArray(r.not_repaired) ? r.not_repaired : [];
		results.set(modelId, {task: task.task_id, problems,
		    total: Number(r.problems_total) || problems.length});
		return true;
	}

	// ------------------------------------------------------------ tasks

	// start(model, op): POST /verify or /repair; the card follows it.
	async function start(model, op) {
		let res;
		try {
			res = op === 'verify' ? await api.verify(model.id) :
			    await api.repair(model.id);
		} catch (err) {
			if (!isAuthError(err))
				toast(startError(err, op, model), 'error');
			return;
		}
		if (res && res.task_id)
			onTrack(model, res.task_id, op);
		else if (res && res.status === 'not_installed')
			toast('Model is not installed: ' + displayName(model), 'info');
	}

	function startError(err, op, model) {
		const c = err.conflict;
		const verb = op === 'verify' ? 'verify' : 'repair';
		if (c && c.conflict_type === 'cross_op_exclusion')
			return 'Cannot ' + verb + ' ' + displayName(model) +
			    ': another operation is in progress';
		return 'Could not ' + verb + ' ' + displayName(model) + ': ' +
		    explainError(err);
	}

	// taskEnded(entry, p, name): the toast of a verify, repair or prune
	// that ended; false for other operations.
	function taskEnded(entry, p, name) {
		const op = entry.op;
		if (op !== 'verify' && op !== 'repair' && op !== 'prune')
			return false;
		const words = {verify: 'Verify', repair: 'Repair', prune: 'Cleanup'}[op];
		if (p.status === 'failed')
			toast(words + ' of ' + name + ' failed: ' + (p.error || 'unknown error'), 'error');
		else if (p.status === 'cancelled')
			toast(words + ' cancelled: ' + name, 'info');
		else if (p.status === 'not_installed')
			toast('Model is not installed: ' + name, 'info');
		else if (op === 'verify')
			verifyToast(entry, p, name);
		else if (op === 'repair')
			toast('Repair of ' + name + ' completed: ' + plural(
			    (p.result && p.result.repaired || []).length, 'file') +
			    ' fetched again', 'success');
		else
			toast('Cleanup of ' + name + ' completed: freed ' +
			    formatBytes(p.result && p.result.freed ?
			    p.result.freed.apparent_bytes : 0), 'success');
		if (op !== 'prune')
			noteResult(entry.modelId, p);
		return true;
	}

	function verifyToast(entry, p, name) {
		const r = p.result || {};
		if (r.status === 'ok')
			toast('Verify of ' + name + ': all ' + plural(r.files_checked || 0,
			    'file') + ' match', 'success');
		else
			toast('Verify of ' + name + ' found ' + plural(r.problems_total || 0,
			    'problem'), 'warning');
	}

	// ------------------------------------------------------------ cleanup

	// The kinds of the dialog: all four for the cache, a model's
	// unfinished download (its partial files and unused blobs).
	function scopeKinds(model) {
		return model ? ['partial', 'orphan_blobs'] : PRUNE_KINDS.map(([k]) => k);
	}

	// The dry run's answer, in words.
	function previewNodes(dry) {
		const free = dry.would_free || {};
		const kept = dry.would_skip || {};
		const nodes = [h('p', {class: 'dialog-freed'}, 'This will free exactly ',
		    h('strong', {text: exactBytes(free.apparent_bytes)}), ' in ' +
		    plural(free.items || 0, 'item') + '.')];
		const repos = (dry.repos || []).filter((r) => r.would_free &&
		    Object.keys(r.would_free).length);
		if (repos.length) {
			nodes.push(h('ul', {class: 'cleanup-repos'}, repos.map((r) =>
			    h('li', {}, h('code', {class: 'mono', text: String(r.repo_id)}), ': ' +
			    formatBytes(Object.values(r.would_free).reduce((a, k) =>
			    a + (Number(k.apparent_bytes) || 0), 0))))));
		}
		if (kept.items > 0)
			nodes.push(keptNode(dry, kept));
		return nodes;
	}

	// What stays, by reason.
	function keptNode(dry, kept) {
		const why = new Map();
		for (const r of dry.repos || [])
			for (const s of r.skipped || [])
				why.set(s.reason, (why.get(s.reason) || 0) + 1);
		return h('div', {class: 'dialog-warnings'}, icon('warning', 'warn-icon'),
		    h('div', {}, h('p', {class: 'warn-title', text: 'Kept: ' +
		    plural(kept.items, 'item') + ' (' + formatBytes(kept.apparent_bytes) + ')'}),
		    h('ul', {}, [...why].map(([reason, n]) => h('li', {text: plural(n, 'item') +
		    ': ' + (KEPT_WHY[reason] || reason)})))));
	}

	// The checkboxes of kinds (those chosen checked).
	function kindBoxes(kinds, chosen, onToggle) {
		return h('fieldset', {class: 'cleanup-kinds'},
		    h('legend', {text: 'What to remove'}),
		    PRUNE_KINDS.filter(([k]) => kinds.includes(k)).map(([k, label]) => {
			    const box = h('input', {attrs: {type: 'checkbox',
			    id: 'cleanup-' + k, checked: chosen.has(k)},
			    on: {change: () => onToggle(k, box.checked)}});
			    return h('label', {class: 'cleanup-kind', attrs: {for: 'cleanup-' + k}},
			    box, ' ' + label);
		    }));
	}

	// openCleanup(model): the "Review and clean up" dialog, for the whole
	// cache (model null) or one model's unfinished download.
	function openCleanup(model) {
		const kinds = scopeKinds(model);
		const chosen = new Set(kinds);
		const name = model ? displayName(model) : null;
		const status = h('div', {class: 'cleanup-preview',
		    attrs: {role: 'status', 'aria-live': 'polite'}});
		let dry = null;
		let seq = 0;
		const intro = h('p', {text: model ? 'The unfinished download of ' + name +
		    ' and the files no revision of it uses.' : 'What the cache holds that ' +
		    'no model uses: unfinished downloads, unused files, old revisions ' +
		    'and stale lock files. Nothing a model uses is removed.'});
		const ctl = openDialog({
			title: model ? 'Discard partial download' : 'Review and clean up',
			content: [intro, kindBoxes(kinds, chosen, toggle), status],
			confirmLabel: model ? 'Discard' : 'Clean up',
			danger: true,
			onConfirm: confirm,
		});
		preview();

		function toggle(kind, on) {
			if (on)
				chosen.add(kind);
			else
				chosen.delete(kind);
			preview();
		}

		async function preview() {
			const mine = ++seq;
			dry = null;
			status.replaceChildren(h('p', {text: chosen.size ? 'Checking…' :
			    'Choose what to remove.'}));
			if (!chosen.size)
				return;
			try {
				const d = await api.prune({model_id: model ? model.id : null,
				    what: [...chosen], confirm: false});
				if (mine !== seq || !ctl.isOpen)
					return;
				dry = d;
				status.replaceChildren(...previewNodes(d));
			} catch (err) {
				if (mine === seq && !isAuthError(err))
					status.replaceChildren(h('p', {class: 'error-text',
					    text: explainError(err)}));
			}
		}

		async function confirm() {
			if (!dry || !(dry.would_free && dry.would_free.items > 0)) {
				ctl.close();
				toast('Nothing to clean up' + (name ? ' for ' + name : ''), 'info');
				return;
			}
			ctl.setBusy(true);
			try {
				const res = await api.prune({model_id: model ? model.id : null,
				    what: [...chosen], confirm: true});
				if (res.task_id)
					await follow(res.task_id);
				else
					toast('Nothing to clean up' + (name ? ' for ' + name : ''), 'info');
			} catch (err) {
				if (!isAuthError(err))
					toast('Cleanup failed: ' + explainError(err), 'error');
			}
			ctl.close();
			onChanged(true);
		}

		// Polls the prune task to its end, saying how far it got.
		async function follow(taskId) {
			for (;;) {
				const t = await api.task(taskId);
				if (['completed', 'failed', 'cancelled'].includes(t.status)) {
					cleanupToast(t);
					return;
				}
				status.replaceChildren(h('p', {text: 'Cleaning up… ' +
				    (t.files_done || 0) + ' of ' + (t.files_total || 0) +
				    ' items, ' + formatBytes(t.bytes_downloaded) + ' freed'}));
				await sleep(POLL_MS);
			}
		}

		function cleanupToast(t) {
			const r = t.result || {};
			const freed = r.freed ? r.freed.apparent_bytes : 0;
			const kept = r.skipped ? r.skipped.items : 0;
			if (t.status !== 'completed')
				toast('Cleanup ' + t.status + (t.error ? ': ' + t.error : ''), 'error');
			else
				toast('Cleaned up' + (name ? ' ' + name : '') + ': freed ' +
				    formatBytes(freed) + (kept ? ', kept ' + plural(kept, 'item') : ''),
				    'success');
		}
	}

	return {loadReport, cacheNode, partialLine, fileCheck, detailsOpened,
	    start, taskEnded, openCleanup, noteResult,
	    get report() {
		    return report;
	    }};
}
