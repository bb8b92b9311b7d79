// The Models page: state, requests and wiring.  The list is fetched on
// load, on Refresh, on "Show cache usage" and once after a task ends; only
// the task progress is polled on a timer (tasks.js).

import {h, icon, clear, append, focusKeyOfActive, restoreFocus} from './dom.js';
import {createApi, detailText} from './api.js';
import {takeTokenFromUrl, getToken, setToken, forgetToken,
    describeToken} from './auth.js';
import {TaskTracker} from './tasks.js';
import {toast} from './toast.js';
import {openDialog} from './dialog.js';
import {formatSize} from './format.js';
import {TYPES, STATUS_FILTERS, countByType, filterModels, emptyText,
    renderTabs, renderBanner, renderCacheBar, buildCard, skeleton,
    updateDownloadView} from './view.js';

const $ = (id) => document.getElementById(id);

const state = {
	data: null,		// the last list answer
	listError: null,	// the error of the first load (no data yet)
	loading: false,
	showCache: false,
	type: 'embedding',
	status: 'all',
	search: '',
	expanded: new Set(),
	busy: new Set(),	// models with a start request in flight
	auth: null,		// null or {kind, error}
	focusNext: null,	// focus key to focus after the next render
};

const api = createApi({getToken, onAuthError: authFailed});

const tracker = new TaskTracker({
	api,
	onChange(entry, what) {
		if (what === 'progress')
			updateDownloadView(entry);
		else
			renderList();
		if (what === 'gone')
			scheduleRefresh();
	},
	onTerminal: taskEnded,
});

// ------------------------------------------------------------ the list

let listSeq = 0;

async function loadList() {
	if (state.auth)
		return;
	const seq = ++listSeq;
	state.loading = true;
	renderChrome();
	if (!state.data)
		renderList();
	try {
		const data = await api.listModels(state.showCache);
		if (seq !== listSeq)
			return;
		state.data = data;
		state.listError = null;
		syncTasks();
	} catch (err) {
		if (seq !== listSeq || isAuthError(err))
			return;
		if (state.data)
			toast('Failed to load models: ' + err.message, 'error');
		else
			state.listError = err;
	} finally {
		if (seq === listSeq) {
			state.loading = false;
			render();
		}
	}
}

// One list request for tasks ending together.
let refreshTimer = null;
function scheduleRefresh() {
	if (refreshTimer !== null)
		return;
	refreshTimer = setTimeout(() => {
		refreshTimer = null;
		loadList();
	}, 300);
}

// Follows the tasks the list names (so progress survives a reload).
function syncTasks() {
	for (const m of state.data.models || []) {
		if (m.active_download_task_id)
			tracker.track(m.id, m.active_download_task_id, 'download');
		else if (m.active_delete_task_id)
			tracker.track(m.id, m.active_delete_task_id, 'delete');
	}
}

function modelById(id) {
	return (state.data && state.data.models || []).find((m) => m.id === id) || null;
}

// ------------------------------------------------------------ rendering

function render() {
	renderChrome();
	renderAuth();
	const content = $('content');
	content.hidden = !!state.auth;
	if (state.auth)
		return;
	renderBanner($('scan-banner'), state.data ? state.data.hf_cache_scan_error : null);
	renderCacheBar($('cache-bar'), {
		shown: state.showCache,
		loading: state.loading,
		cacheSize: state.data ? state.data.cache_size : null,
		onShow: () => {
			state.showCache = true;
			state.focusNext = 'cache-bar';
			loadList();
		},
	});
	renderTabs($('tabs'), countByType(state.data ? state.data.models : []),
	    state.type, selectType);
	$('panel').setAttribute('aria-labelledby', 'tab-' + state.type);
	for (const btn of $('status-pills').querySelectorAll('button')) {
		const on = btn.dataset.status === state.status;
		btn.setAttribute('aria-pressed', on ? 'true' : 'false');
		btn.classList.toggle('is-active', on);
	}
	renderList();
}

function renderChrome() {
	// Loading: aria-busy rather than disabled, so that a keyboard user
	// keeps the focus on the button.
	const refresh = $('refresh');
	refresh.disabled = !!state.auth;
	refresh.setAttribute('aria-busy', state.loading ? 'true' : 'false');
	refresh.classList.toggle('is-loading', state.loading);
	const token = getToken();
	$('signout').hidden = !token;
	const who = describeToken(token);
	$('whoami').textContent = token ? (who.user ? 'Signed in as ' + who.user :
	    'Signed in with an API key') : '';
}

function renderList() {
	const list = $('list');
	const focusKey = state.focusNext || focusKeyOfActive();
	state.focusNext = null;
	clear(list);
	list.setAttribute('aria-busy', state.loading && !state.data ? 'true' : 'false');
	$('filters').hidden = !state.data;
	$('tabs').hidden = !state.data && !!state.listError;
	if (!state.data) {
		if (state.listError) {
			append(list, [h('div', {class: 'state state-error',
			    attrs: {role: 'alert'}},
			    icon('alert', 'state-icon'),
			    h('h2', {text: 'Failed to load models'}),
			    h('p', {text: state.listError.message ||
			    'An unexpected error occurred'}),
			    h('button', {class: 'btn btn-primary', attrs: {type: 'button'},
			    dataset: {focusKey: 'retry-list'},
			    on: {click: () => {
				    state.focusNext = 'retry-list';
				    loadList();
			    }}}, icon('refresh'), 'Retry'))]);
		} else {
			append(list, skeleton(3));
		}
		restoreFocus(document, focusKey);
		return;
	}
	const models = filterModels(state.data.models, state);
	if (models.length === 0) {
		list.appendChild(h('div', {class: 'state state-empty'},
		    h('p', {text: emptyText(state)})));
	} else {
		for (const m of models) {
			list.appendChild(buildCard(m, {
				entry: tracker.get(m.id),
				busy: state.busy.has(m.id),
				expanded: state.expanded.has(m.id),
				actions,
			}));
		}
	}
	restoreFocus(document, focusKey);
}

function renderAuth() {
	const panel = $('auth');
	clear(panel);
	panel.hidden = !state.auth;
	if (!state.auth)
		return;
	const {kind, error} = state.auth;
	const howTo = h('p', {}, 'To get a token, run ', h('code', {text: 'make run'}),
	    ' in the project checkout and open the page URL it prints (it ends in ',
	    h('code', {text: '#token=…'}), '). The token is kept in this browser until you sign out.');
	if (kind === 'forbidden') {
		const who = describeToken(getToken()).user;
		append(panel, [
			icon('warning', 'state-icon'),
			h('h2', {text: 'Superuser access required'}),
			h('p', {class: 'auth-detail', text: detailText(error.detail)}),
			h('p', {text: (who ? 'You are signed in as ' + who + '. ' : '') +
			    'Model management changes the model cache shared by every ' +
			    'user, so only a superuser can use this page.'}),
			howTo,
			h('button', {class: 'btn btn-primary', attrs: {type: 'button'},
			    on: {click: signOut}}, icon('logout'), 'Sign out'),
		]);
		return;
	}
	append(panel, [
		icon('alert', 'state-icon'),
		h('h2', {text: kind === 'missing' ? 'Sign in required' :
		    'Your access token was not accepted'}),
		kind === 'missing' ?
		    h('p', {text: 'This page needs an administrator’s access token.'}) :
		    h('p', {class: 'auth-detail', text: detailText(error.detail) +
		    ' — the token is missing, invalid or expired (tokens are valid for 24 hours).'}),
		howTo,
		tokenForm(),
	]);
}

function tokenForm() {
	const input = h('input', {class: 'input', attrs: {type: 'password',
	    id: 'token-input', autocomplete: 'off', spellcheck: 'false',
	    required: true}});
	const form = h('form', {class: 'token-form'},
	    h('label', {attrs: {for: 'token-input'}, text: 'Or paste an access token'}),
	    h('div', {class: 'token-row'}, input,
	    h('button', {class: 'btn btn-primary', attrs: {type: 'submit'},
	    text: 'Use token'})));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const t = input.value.trim();
		if (!t)
			return;
		setToken(t);
		start();
	});
	return form;
}

// ------------------------------------------------------------ auth

function isAuthError(err) {
	return err && (err.status === 401 || err.status === 403);
}

function authFailed(err) {
	if (state.auth)
		return;
	tracker.stopAll();
	if (err.status === 401)
		forgetToken();	// useless now: missing, invalid or expired
	state.auth = {kind: err.status === 401 ? 'unauthorized' : 'forbidden', error: err};
	state.data = null;
	closeOpenDialog();
	render();
	const heading = $('auth').querySelector('h2');
	if (heading) {
		heading.tabIndex = -1;
		heading.focus();
	}
}

function signOut() {
	forgetToken();
	tracker.stopAll();
	closeOpenDialog();
	state.data = null;
	state.auth = {kind: 'missing', error: null};
	render();
	toast('Signed out', 'info');
}

// ------------------------------------------------------------ tasks

function taskEnded(entry, p) {
	const status = p.status;
	if (entry.op === 'download') {
		if (status === 'completed')
			toast('Model download completed', 'success');
		else if (status === 'already_installed')
			toast('Model is already installed', 'info');
		else if (status === 'cancelled')
			toast('Download cancelled', 'info');
		else if (status === 'failed')
			toast(p.error || 'Download failed', 'error');
	} else {
		if (status === 'completed' || status === 'not_installed')
			toast('Model deleted successfully', 'success');
		else if (status === 'cancelled')
			toast('Delete cancelled', 'info');
		else if (status === 'failed')
			toast(p.error || 'Delete failed', 'error');
	}
	renderList();
	scheduleRefresh();
}

const actions = {
	download: startDownload,
	remove: askDelete,
	async cancel(entry) {
		if (entry.cancelling)
			return;
		entry.cancelling = true;
		updateDownloadView(entry);
		try {
			await api.cancelTask(entry.taskId);
		} catch (err) {
			if (isAuthError(err))
				return;
			entry.cancelling = false;
			updateDownloadView(entry);
			const c = err.conflict;
			if (!(c && c.conflict_type === 'task_finished'))
				toast('Cancel failed: ' + err.message, 'error');
		}
	},
	retry(entry, model) {
		state.focusNext = (entry.op === 'download' ? 'dl:' : 'del:') + model.id;
		tracker.dismiss(model.id);
		if (entry.op === 'download')
			startDownload(model);
		else
			askDelete(model);
	},
	dismiss(entry) {
		state.focusNext = 'exp:' + entry.modelId;
		tracker.dismiss(entry.modelId);
	},
	expand(model, open) {
		if (open)
			state.expanded.add(model.id);
		else
			state.expanded.delete(model.id);
	},
};

async function startDownload(model) {
	if (state.busy.has(model.id))
		return;
	state.busy.add(model.id);
	renderList();
	let res = null;
	try {
		res = await api.startDownload(model.id);
	} catch (err) {
		if (!isAuthError(err)) {
			const c = err.conflict;
			if (c && c.conflict_type === 'cross_op_exclusion')
				toast('Cannot download: another operation is in progress', 'warning');
			else if (c)
				toast(c.detail || 'Operation conflict', 'error');
			else
				toast('Download failed: ' + err.message, 'error');
		}
	} finally {
		state.busy.delete(model.id);
	}
	if (res && res.status === 'already_installed') {
		toast('Model is already installed', 'info');
		scheduleRefresh();
	} else if (res && res.task_id) {
		state.focusNext = 'cancel:' + model.id;
		tracker.track(model.id, res.task_id, 'download');
		if (Array.isArray(res.warnings) && res.warnings.length > 0)
			toast(res.warnings.join(', '), 'warning');
	}
	renderList();
}

// Delete: the preflight (GET /usage) gives the exact space freed and every
// warning; the dialog always shows them and nothing is deleted before the
// admin presses "Delete Model".
async function askDelete(model) {
	if (state.busy.has(model.id))
		return;
	state.busy.add(model.id);
	renderList();
	let usage = null;
	try {
		usage = await api.usage(model.id);
	} catch (err) {
		if (!isAuthError(err))
			toast('Delete failed: ' + err.message, 'error');
	} finally {
		state.busy.delete(model.id);
	}
	renderList();
	if (!usage)
		return;
	if (!usage.is_installed && !(usage.estimated_freed_size_mb > 0) &&
	    !usage.hf_cache_scan_error) {
		// Gone since the list was loaded (nothing left to free).
		toast('Model is already removed', 'info');
		scheduleRefresh();
		return;
	}
	if (!usage.can_delete) {
		const n = (usage.blocked_by_collections || []).length;
		toast('Cannot delete: model is used by ' + n + ' collection(s)', 'error');
		scheduleRefresh();
		return;
	}
	openDeleteDialog(model, usage);
}

let openCtl = null;

function closeOpenDialog() {
	if (openCtl && openCtl.isOpen)
		openCtl.close();
	openCtl = null;
}

function deleteDialogContent(model, freedMb, warnings) {
	const nodes = [
		h('p', {}, 'Are you sure you want to delete ',
		    h('strong', {class: 'dialog-name', text: '"' + model.name + '"'}), '?'),
	];
	if (freedMb !== null && freedMb !== undefined) {
		nodes.push(h('p', {class: 'dialog-freed'}, 'This will free approximately ',
		    h('strong', {text: formatSize(freedMb)}), ' of disk space.'));
	}
	if (warnings.length > 0) {
		nodes.push(h('div', {class: 'dialog-warnings'},
		    icon('warning', 'warn-icon'),
		    h('div', {},
		    h('p', {class: 'warn-title', text: 'Warnings:'}),
		    h('ul', {}, warnings.map((w) => h('li', {text: w}))))));
	}
	return nodes;
}

function openDeleteDialog(model, usage) {
	let warnings = Array.isArray(usage.warnings) ? usage.warnings : [];
	const freed = usage.estimated_freed_size_mb;
	openCtl = openDialog({
		title: 'Delete Model',
		content: deleteDialogContent(model, freed, warnings),
		confirmLabel: 'Delete Model',
		danger: true,
		onClose() {
			openCtl = null;
		},
		// The card was re-rendered meanwhile: back to its Delete
		// button, or to its details toggle when that is disabled.
		returnFocus() {
			restoreFocus(document, 'del:' + model.id);
			if (!document.activeElement || document.activeElement === document.body)
				restoreFocus(document, 'exp:' + model.id);
		},
		async onConfirm(ctl) {
			ctl.setBusy(true);
			// The admin confirmed exactly the warnings shown: without
			// any, ask the server to refuse if one has appeared since.
			const confirm = warnings.length > 0;
			let res;
			try {
				res = await api.deleteModel(model.id, confirm);
			} catch (err) {
				if (isAuthError(err))
					return;
				const c = err.conflict;
				if (c && c.conflict_type === 'requires_confirmation' &&
				    !confirm && ctl.isOpen) {
					warnings = Array.isArray(c.warnings) ? c.warnings : [];
					ctl.setContent(deleteDialogContent(model, freed, warnings));
					ctl.setBusy(false);
					return;
				}
				ctl.close();
				if (c && c.conflict_type === 'cross_op_exclusion')
					toast('Cannot delete: another operation is in progress', 'warning');
				else if (c && c.conflict_type === 'in_use_block')
					toast('Cannot delete: model is used by ' +
					    (c.blocked_by_collections || []).length +
					    ' collection(s)', 'error');
				else if (c)
					toast(c.detail || 'Operation conflict', 'error');
				else
					toast('Delete failed: ' + err.message, 'error');
				scheduleRefresh();
				return;
			}
			ctl.close();
			if (res.status === 'not_installed') {
				toast('Model is already removed', 'info');
				scheduleRefresh();
			} else if (res.task_id) {
				tracker.track(model.id, res.task_id, 'delete');
			}
			renderList();
		},
	});
}

// ------------------------------------------------------------ controls

function selectType(type, focus) {
	state.type = type;
	render();
	if (focus) {
		const tab = $('tab-' + type);
		if (tab)
			tab.focus();
	}
}

function wireControls() {
	const refresh = $('refresh');
	refresh.prepend(icon('refresh'));
	refresh.dataset.focusKey = 'refresh';
	refresh.addEventListener('click', () => {
		if (!state.loading)
			loadList();
	});
	const signout = $('signout');
	signout.prepend(icon('logout'));
	signout.addEventListener('click', signOut);

	$('tabs').addEventListener('keydown', (e) => {
		const order = TYPES.map(([t]) => t);
		const from = e.target.closest('[role=tab]');
		let i = order.indexOf(from ? from.dataset.type : state.type);
		if (e.key === 'ArrowRight' || e.key === 'ArrowDown')
			i = (i + 1) % order.length;
		else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp')
			i = (i - 1 + order.length) % order.length;
		else if (e.key === 'Home')
			i = 0;
		else if (e.key === 'End')
			i = order.length - 1;
		else
			return;
		e.preventDefault();
		selectType(order[i], true);
	});

	const pills = $('status-pills');
	for (const [status, label] of STATUS_FILTERS) {
		pills.appendChild(h('button', {class: 'pill', text: label,
		    attrs: {type: 'button', 'aria-pressed': 'false'},
		    dataset: {status},
		    on: {click: () => {
			    state.status = status;
			    render();
		    }}}));
	}
	const search = $('search');
	search.addEventListener('input', () => {
		state.search = search.value;
		renderList();
	});
	$('search-icon').replaceWith(icon('search', 'search-icon'));
}

function start() {
	state.auth = getToken() ? null : {kind: 'missing', error: null};
	state.data = null;
	state.listError = null;
	render();
	if (!state.auth) {
		tracker.stopped = false;
		loadList();
	}
}

takeTokenFromUrl();
wireControls();
start();
