// Revisions on the Models page: each model's download size on its
// Download button ("Download · 1.2 GB"), the "Update available" badge with
// an Update action sized by the change, the update's confirmation when
// collections use the model, and the header's "Check for updates" button
// (a check task, followed until it ends).  Sizes use the page's rule for
// whole MB (formatSize).

import {h, icon} from './dom.js';
import {formatSize} from './format.js';
import {explainError} from './api.js';
import {openDialog} from './dialog.js';
import {TERMINAL} from './tasks.js';

// A check is followed this often, as the other tasks.
const POLL_MS = 2000;

// sizeNote(mb): " · 1.2 GB", or '' when the size is unknown.
function sizeNote(mb) {
	return Number.isFinite(mb) ? ' · ' + formatSize(mb) : '';
}

// actionLabel(verb, mb, model, name): a button's content: the verb, for
// screen readers the model it acts on ("Download bge-small-en-v1.5"),
// then the size.
function actionLabel(verb, mb, name) {
	return [h('span', {class: 'btn-label', text: verb}),
	    h('span', {class: 'sr-only', text: ' ' + name}),
	    sizeNote(mb) ? h('span', {class: 'btn-size', text: sizeNote(mb)}) : null];
}

// downloadLabel(model, name): the Download button's content.
export function downloadLabel(model, name) {
	return actionLabel('Download', model.download_size_mb, name);
}

// hasUpdate(model): an installed model whose main moved since it was
// installed (as the last check saw it).
export function hasUpdate(model) {
	return model.is_installed && model.update_available === true;
}

// updateBadge(model): the "Update available" badge, or null.
export function updateBadge(model) {
	if (!hasUpdate(model))
		return null;
	return h('span', {class: 'badge badge-update',
	    attrs: {title: 'A newer revision is on the hub: ' +
	    String(model.latest_revision || '').slice(0, 12)}},
	    icon('upgrade'), 'Update available');
}

// updateButton(model, {name, busy, disabled, why, onClick}): the Update
// action, sized by the change.
export function updateButton(model, {name, busy, disabled, why, onClick}) {
	return h('button', {class: 'btn btn-small btn-update' +
	    (busy ? ' is-busy' : ''),
	    attrs: {type: 'button', title: why || 'Update to the latest revision',
	    'aria-disabled': busy ? 'true' : null, 'aria-busy': busy ? 'true' : null},
	    disabled: !!disabled,
	    dataset: {focusKey: 'upd:' + model.id, action: 'update'},
	    on: {click: onClick}},
	    icon(busy ? 'spinner' : 'upgrade', busy ? 'spin' : ''),
	    actionLabel('Update', model.update_size_mb, name));
}

// ------------------------------------------------------------ the update

// confirmContent(name, conflict): the update dialog's question and the
// server's warnings (the collections using the model).
function confirmContent(name, conflict) {
	const warnings = Array.isArray(conflict.warnings) ? conflict.warnings : [];
	return [
		h('p', {}, 'Update ', h('strong', {class: 'dialog-name',
		    text: '"' + name + '"'}), ' to the latest revision?'),
		h('div', {class: 'dialog-warnings'}, icon('warning', 'warn-icon'),
		    h('div', {},
		    h('p', {class: 'warn-title', text: 'Warnings:'}),
		    h('ul', {}, warnings.map((w) => h('li', {text: w}))))),
	];
}

// createUpdater({api, toast, track, refresh, setBusy, nameOf, focusBack,
// isAuthError}): update(model) sends POST /update, asks for confirmation
// when collections use the model (409 requires_confirmation), and hands
// the task to track(modelId, taskId).
export function createUpdater(deps) {
	async function send(model, confirm) {
		try {
			return {res: await deps.api.updateModel(model.id, {confirm})};
		} catch (err) {
			return {err};
		}
	}

	function answered(model, res) {
		const name = deps.nameOf(model.id);
		if (res.status === 'up_to_date')
			deps.toast('Model is already up to date: ' + name, 'info');
		else if (res.status === 'not_installed')
			deps.toast('Model is not installed: ' + name, 'info');
		else if (res.task_id)
			deps.track(model.id, res.task_id);
		if (!res.task_id)
			deps.refresh();
	}

	function refused(model, err) {
		const c = err.conflict;
		const name = deps.nameOf(model.id);
		if (c && c.conflict_type === 'cross_op_exclusion')
			deps.toast('Cannot update ' + name + ': another operation is ' +
			    'in progress', 'warning');
		else
			deps.toast('Update of ' + name + ' failed: ' +
			    (c && c.detail ? c.detail : explainError(err)), 'error');
		deps.refresh();
	}

	function confirmDialog(model, conflict) {
		const name = deps.nameOf(model.id);
		openDialog({
			title: 'Update Model',
			content: confirmContent(name, conflict),
			confirmLabel: 'Update Model',
			returnFocus() {
				deps.focusBack('upd:' + model.id);
			},
			async onConfirm(ctl) {
				ctl.setBusy(true);
				const {res, err} = await send(model, true);
				ctl.close();
				if (err && !deps.isAuthError(err))
					refused(model, err);
				else if (res)
					answered(model, res);
			},
		});
	}

	return async function update(model) {
		deps.setBusy(model.id, true);
		const {res, err} = await send(model, false);
		deps.setBusy(model.id, false);
		if (err && deps.isAuthError(err))
			return;
		const c = err && err.conflict;
		if (c && c.conflict_type === 'requires_confirmation')
			confirmDialog(model, c);
		else if (err)
			refused(model, err);
		else
			answered(model, res);
	};
}

// updateEndToast(p, name): the toast of an update task that ended, as
// [message, type], or null.
export function updateEndToast(p, name) {
	if (p.status === 'completed')
		return ['Model updated: ' + name, 'success'];
	if (p.status === 'not_installed')
		return ['Model is not installed: ' + name, 'info'];
	if (p.status === 'cancelled')
		return ['Update cancelled: ' + name, 'info'];
	if (p.status === 'failed')
		return ['Update of ' + name + ' failed: ' + (p.error || 'Update failed'),
		    'error'];
	return null;
}

// ------------------------------------------------------------ the check

// checkSummary(result): what a finished check found, in a sentence.
export function checkSummary(result) {
	if (!result)
		return 'Update check finished';
	if (result.offline)
		return 'The hub is offline (HF_HUB_OFFLINE): nothing was checked';
	const n = Number(result.updates_available) || 0;
	let s = n === 0 ? 'No updates available' :
	    n === 1 ? '1 update available' : n + ' updates available';
	if (Number(result.error) > 0)
		s += '; the hub failed for ' + result.error + ' model(s)';
	return s;
}

// wireChecker(button, {api, toast, announce, refresh, isAuthError}):
// "Check for updates": POST /check-updates, then the task is followed
// until it ends, the button showing "Checking for updates..." meanwhile.
export function wireChecker(button, deps) {
	const label = button.querySelector('.btn-text');
	let running = false;

	function setRunning(on) {
		running = on;
		button.setAttribute('aria-busy', on ? 'true' : 'false');
		button.classList.toggle('is-loading', on);
		label.textContent = on ? 'Checking for updates...' : 'Check for updates';
	}

	async function follow(taskId) {
		for (;;) {
			await new Promise((r) => setTimeout(r, POLL_MS));
			let p;
			try {
				p = await deps.api.task(taskId);
			} catch (err) {
				if (deps.isAuthError(err) || (err && err.status === 404))
					return null;
				continue;	// transient: keep following
			}
			if (p && TERMINAL.has(p.status))
				return p;
		}
	}

	async function check() {
		if (running)
			return;
		setRunning(true);
		deps.announce('Checking for updates');
		try {
			const res = await deps.api.checkUpdates();
			const p = await follow(res.task_id);
			if (p && p.status === 'completed')
				deps.toast(checkSummary(p.result), 'success');
			else if (p)
				deps.toast('Update check ' + p.status +
				    (p.error ? ': ' + p.error : ''), 'error');
		} catch (err) {
			if (!deps.isAuthError(err))
				deps.toast('Update check failed: ' + explainError(err), 'error');
		} finally {
			setRunning(false);
			deps.refresh();
		}
	}

	button.prepend(icon('upgrade'));
	button.dataset.focusKey = 'check-updates';
	button.addEventListener('click', check);
}
