// The Models page: state, requests and wiring.  The list is fetched on
// load, on Refresh, on "Show cache usage" and once after a task ends; only
// the task progress is polled on a timer (tasks.js).  The audit trail
// (activity.js) is read when its panel or a card's details open, and
// again after what the page does or follows.

import {h, icon, clear, append, focusKeyOfActive, restoreFocus} from './dom.js';
import {createApi, explainError} from './api.js';
import {takeTokenFromUrl, getToken, setToken, forgetToken,
    describeToken} from './auth.js';
import {TaskTracker} from './tasks.js';
import {toast, announce} from './toast.js';
import {openDialog} from './dialog.js';
import {formatSizeOf, formatAge} from './format.js';
import {TYPES, TYPE_LABEL, STATUS_FILTERS, countByType, filterModels,
    keepOrder, emptyText, displayName, renderTabs, renderBanner,
    renderServiceBanner, renderStale, renderStrip, renderCacheBar, buildCard,
    skeleton, updateDownloadView, downloadState, runningText,
    isTransfer} from './view.js';
import {renderAuthPanel} from './signin.js';
import {createActivity} from './activity.js';
import {createUpdater, updateEndToast, wireChecker} from './revisions.js';
import {createPolicy} from './policy.js';
import {createDoctor} from './doctor.js';

const $ = (id) => document.getElementById(id);

// While a dependency is down, the list is checked again this often.
const OUTAGE_RECHECK_MS = 10000;

const state = {
	data: null,		// the last list answer
	loadedAt: 0,		// when it arrived
	listError: null,	// the error of the first load (no data yet)
	staleError: null,	// the explained error of a failed refresh
	loading: false,
	showCache: false,
	type: 'embedding',
	status: 'all',
	search: '',
	order: null,		// the shown ids, in order, until the next sort
	changed: new Map(),	// model id -> 'installed' | 'removed' since
	expanded: new Set(),
	busy: new Set(),	// models with a start request in flight
	auth: null,		// null or {kind, error, token}
	focusNext: null,	// focus key to focus after the next render
	policyAsked: false,	// the download policy was read since start
};

const api = createApi({getToken, onAuthError: authFailed});

const tracker = new TaskTracker({
	api,
	onChange: taskChanged,
	onTerminal: taskEnded,
});

const doctor = createDoctor({
	api,
	isAuthError,
	// After a cleanup: the report and the list again.
	onChanged: (again) => again ? loadReport() : renderList(),
	onTrack: (model, taskId, op) => {
		state.focusNext = 'exp:' + model.id;
		tracker.track(model.id, taskId, op);
		activity.touched(model.id);
	},
});

const activity = createActivity({
	api,
	root: $('activity'),
	toggle: $('activity-toggle'),
	modelOf: modelById,
	onGo: goToCard,
	isAuthError,
});

const policy = createPolicy({api, root: $('policy-line'), isAuthError});

// ------------------------------------------------------------ the list

let listSeq = 0;

// loadList({sort}): fetches the list; sort (an explicit refresh) puts the
// cards in order again, otherwise every card keeps its place.
async function loadList({sort = false} = {}) {
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
		noteChanges(state.data, data);
		if (sort)
			resort();
		state.data = data;
		state.loadedAt = Date.now();
		state.listError = null;
		state.staleError = null;
		syncTasks();
		// The policy's line: once the list shows (signed in, service up).
		if (!state.policyAsked) {
			state.policyAsked = true;
			policy.load();
		}
	} catch (err) {
		if (seq !== listSeq || isAuthError(err))
			return;
		if (state.data)
			state.staleError = explainError(err);
		else
			state.listError = err;
	} finally {
		if (seq === listSeq) {
			state.loading = false;
			render();
			planRecheck();
		}
	}
}

// loadReport(): the cache doctor's report (the reclaimable space of the
// cache bar), then the list.  Only on "Show cache usage" and after a
// cleanup: a Refresh reads the list alone.
function loadReport() {
	doctor.loadReport().then(() => {
		if (state.data && !state.auth)
			render();
	});
	loadList();
}

// noteChanges(before, after): remembers which models got installed or
// removed since the last sort, to highlight their cards.
function noteChanges(before, after) {
	if (!before)
		return;
	const was = new Map(before.models.map((m) => [m.id, m.is_installed]));
	for (const m of after.models || []) {
		if (was.has(m.id) && was.get(m.id) !== m.is_installed)
			state.changed.set(m.id, m.is_installed ? 'installed' : 'removed');
	}
}

// resort(): the next render sorts the cards again and drops the marks.
function resort() {
	state.order = null;
	state.changed.clear();
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

// While a dependency is down or the list is stale, the list is fetched
// again now and then, and the age of a stale list keeps counting.
let recheckTimer = null;
function planRecheck() {
	clearTimeout(recheckTimer);
	recheckTimer = null;
	const warnings = state.data && state.data.service_warnings;
	const outage = Array.isArray(warnings) && warnings.length > 0;
	if (state.auth || (!outage && !state.staleError))
		return;
	recheckTimer = setTimeout(() => {
		recheckTimer = null;
		if (outage)
			loadList();
		else
			renderStaleMark();
		planRecheck();
	}, state.staleError && !outage ? 5000 : OUTAGE_RECHECK_MS);
}

// Follows the tasks the list names (so progress survives a reload), as
// the operation the list names (a repair shows in the download slot).
function syncTasks() {
	for (const m of state.data.models || []) {
		if (m.active_download_task_id)
			tracker.track(m.id, m.active_download_task_id,
			    m.active_operation || 'download');
		else if (m.active_delete_task_id)
			tracker.track(m.id, m.active_delete_task_id,
			    m.active_operation || 'delete');
	}
}

// models(): the models of the last list answer.
function models() {
	return state.data && state.data.models || [];
}

// modelById(id): a model of the list, or null.
function modelById(id) {
	return models().find((m) => m.id === id) || null;
}

// isRunning(model): a task of the model is under way.
function isRunning(model) {
	const e = tracker.get(model.id);
	if (e)
		return !e.failed;
	return !!(model.active_download_task_id || model.active_delete_task_id);
}

// ------------------------------------------------------------ rendering

// render(): the whole page from the state.
function render() {
	renderChrome();
	renderAuth();
	const content = $('content');
	content.hidden = !!state.auth;
	if (state.auth)
		return;
	renderServiceWarnings();
	activity.syncModels(models());
	renderBanner($('scan-banner'), state.data ? state.data.hf_cache_scan_error : null);
	renderStaleMark();
	renderCacheBar($('cache-bar'), {
		shown: state.showCache,
		loading: state.loading,
		cacheSize: state.data ? state.data.cache_size : null,
		extra: state.showCache && state.data ? doctor.cacheNode() : null,
		onShow: () => {
			state.showCache = true;
			state.focusNext = 'cache-bar';
			loadReport();
		},
	});
	renderTabs($('tabs'), countByType(models(), isRunning), state.type, selectType);
	$('panel').setAttribute('aria-labelledby', 'tab-' + state.type);
	$('list-title').textContent = TYPE_LABEL[state.type] + ' models';
	for (const btn of $('status-pills').querySelectorAll('button')) {
		const on = btn.dataset.status === state.status;
		btn.setAttribute('aria-pressed', on ? 'true' : 'false');
		btn.classList.toggle('is-active', on);
	}
	renderStripNow();
	renderList();
}

// The outage banner, rebuilt only when the warnings change (it is an
// alert: every rebuild would be read out again).
let warningsKey = '';
function renderServiceWarnings() {
	const warnings = state.data && Array.isArray(state.data.service_warnings) ?
	    state.data.service_warnings : [];
	const key = JSON.stringify(warnings);
	if (key === warningsKey)
		return;
	warningsKey = key;
	renderServiceBanner($('service-banner'), warnings);
}

// renderStaleMark(): the stale-list line, its age counted from the last
// successful load.
function renderStaleMark() {
	const el = $('stale');
	const key = focusKeyOfActive();
	renderStale(el, {error: state.staleError,
	    age: formatAge(Date.now() - state.loadedAt),
	    onRetry: () => {
		    state.focusNext = 'stale-retry';
		    loadList({sort: true});
	    }});
	if (key === 'stale-retry')
		restoreFocus(el, key);
}

// renderStripNow(): the "In progress" strip, keeping the focus on its
// link across updates.
function renderStripNow() {
	const items = [];
	for (const m of models()) {
		const e = tracker.get(m.id);
		if (e && !e.failed)
			items.push({model: m, text: runningText(e)});
		else if (!e && (m.active_download_task_id || m.active_delete_task_id))
			items.push({model: m, text: m.active_download_task_id ?
			    (m.active_operation === 'update' ? 'Updating' :
			    'Downloading') : 'Deleting'});
	}
	const strip = $('strip');
	const key = focusKeyOfActive();
	renderStrip(strip, items, goToCard);
	if (key && key.startsWith('strip:'))
		restoreFocus(strip, key);
}

// renderChrome(): the header's buttons and who is signed in.
function renderChrome() {
	// Loading: aria-busy rather than disabled, so that a keyboard user
	// keeps the focus on the button.
	const refresh = $('refresh');
	refresh.hidden = !!state.auth;
	$('activity-toggle').hidden = !!state.auth;
	$('check-updates').hidden = !!state.auth;
	refresh.setAttribute('aria-busy', state.loading ? 'true' : 'false');
	refresh.classList.toggle('is-loading', state.loading);
	const token = getToken();
	$('signout').hidden = !token;
	const who = describeToken(token);
	$('whoami').textContent = token ? (who.user ? 'Signed in as ' + who.user :
	    'Signed in with an API key') : '';
}

// shownModels(): the cards of the tab, in the order of the last sort; a
// card that no longer matches the status filter stays until then.
function shownModels() {
	const fresh = filterModels(models(), state);
	if (!state.order)
		state.order = fresh.map((m) => m.id);
	const kept = new Set(state.order);
	const pool = models().filter((m) => kept.has(m.id) &&
	    m.model_type === state.type).concat(fresh.filter((m) => !kept.has(m.id)));
	return keepOrder(pool, state.order);
}

// focusBack(key): focuses the element of that key, or else the card it
// belongs to (its button may be gone).
function focusBack(key) {
	if (!key)
		return;
	restoreFocus(document, key);
	const colon = key.indexOf(':');
	if (colon > 0 && document.activeElement === document.body)
		restoreFocus(document, 'card:' + key.slice(colon + 1));
}

// renderList(): the cards of the tab (or the loading, error or empty
// state), keeping the keyboard focus where it was.
function renderList() {
	const list = $('list');
	const focusKey = state.focusNext || focusKeyOfActive();
	state.focusNext = null;
	clear(list);
	list.setAttribute('aria-busy', state.loading && !state.data ? 'true' : 'false');
	$('filters').hidden = !state.data;
	$('tabs').hidden = !state.data && !!state.listError;
	if (!state.data) {
		append(list, state.listError ? [listErrorState()] : skeleton(3));
		focusBack(focusKey);
		return;
	}
	const shown = shownModels();
	if (shown.length === 0)
		list.appendChild(emptyState());
	for (const m of shown) {
		list.appendChild(buildCard(m, {
			entry: tracker.get(m.id),
			busy: state.busy.has(m.id),
			expanded: state.expanded.has(m.id),
			changed: state.changed.get(m.id),
			actions,
			recent: activity.recentNode(m),
			partial: doctor.partialLine(m, actions, isRunning(m) ||
			    state.busy.has(m.id)),
			fileCheck: doctor.fileCheck(m, actions, isRunning(m)),
		}));
	}
	focusBack(focusKey);
}

// listErrorState(): "Failed to load models", what to do, and Retry.
function listErrorState() {
	return h('div', {class: 'state state-error', attrs: {role: 'alert'}},
	    icon('alert', 'state-icon'),
	    h('h2', {text: 'Failed to load models'}),
	    h('p', {text: explainError(state.listError)}),
	    h('button', {class: 'btn btn-primary', attrs: {type: 'button'},
	    dataset: {focusKey: 'retry-list'},
	    on: {click: () => {
		    state.focusNext = 'retry-list';
		    loadList({sort: true});
	    }}}, icon('refresh'), 'Retry'));
}

// emptyState(): the reference's sentence, and the way out ("Clear search",
// "Show all").
function emptyState() {
	const ways = [];
	if (state.search.trim()) {
		ways.push(h('button', {class: 'btn btn-small', attrs: {type: 'button'},
		    dataset: {focusKey: 'empty-clear'},
		    on: {click: () => setFilters({search: ''})}}, 'Clear search'));
	}
	if (state.status !== 'all') {
		ways.push(h('button', {class: 'btn btn-small', attrs: {type: 'button'},
		    dataset: {focusKey: 'empty-all'},
		    on: {click: () => setFilters({status: 'all', search: ''})}},
		    'Show all'));
	}
	return h('div', {class: 'state state-empty'},
	    h('p', {text: emptyText(state)}),
	    ways.length ? h('div', {class: 'state-actions'}, ways) : null);
}

// setFilters({status, search}): changes the filters (and the search box),
// sorts again and gives the focus to the search box.
function setFilters({status, search}) {
	if (status !== undefined)
		state.status = status;
	if (search !== undefined) {
		state.search = search;
		$('search').value = search;
	}
	resort();
	render();
	$('search').focus();
}

// goToCard(model): from the "In progress" strip to the model's card: its
// tab, filters that show it, scrolled into view and focused.
function goToCard(model) {
	const hidden = !filterModels(models(), {type: model.model_type,
	    status: state.status, search: state.search}).some((m) => m.id === model.id);
	if (model.model_type !== state.type || hidden) {
		state.type = model.model_type;
		if (hidden) {
			state.status = 'all';
			state.search = '';
			$('search').value = '';
		}
		resort();
		render();
	}
	const el = document.querySelector('[data-focus-key="' +
	    CSS.escape('card:' + model.id) + '"]');
	if (el) {
		el.scrollIntoView({block: 'center'});
		el.focus({preventScroll: true});
	}
}

// renderAuth(): the sign-in screen, built once per screen (so that its
// focused heading stays).
let shownAuth = null;
function renderAuth() {
	if (state.auth === shownAuth)
		return;
	shownAuth = state.auth;
	renderAuthPanel($('auth'), state.auth, {
		signedInAs: describeToken(getToken()).user,
		onSignOut: signOut,
		onToken(t) {
			setToken(t);
			start();
		},
	});
}

// ------------------------------------------------------------ auth

// isAuthError(err): a 401 or 403 (the sign-in screen handles it).
function isAuthError(err) {
	return err && (err.status === 401 || err.status === 403);
}

// authKind(err, token): which sign-in screen an error of the server
// calls for.
function authKind(err, token) {
	const detail = typeof err.detail === 'string' ? err.detail : '';
	if (err.status === 403)
		return detail === 'Inactive user' ? 'inactive' : 'forbidden';
	if (token.expiresAt !== null && token.expiresAt * 1000 <= Date.now())
		return 'expired';
	return 'invalid';
}

// authFailed(err): the API's callback for 401 and 403 answers.
function authFailed(err) {
	if (state.auth)
		return;
	tracker.stopAll();
	const token = describeToken(getToken());
	if (err.status === 401)
		forgetToken();	// useless now: missing, invalid or expired
	showAuth({kind: authKind(err, token), error: err, token});
}

// showAuth(auth): a sign-in screen, with the focus on its heading.
function showAuth(auth) {
	state.auth = auth;
	state.data = null;
	clearTimeout(recheckTimer);
	closeOpenDialog();
	activity.close(false);
	render();
	const heading = $('auth').querySelector('h2');
	if (heading) {
		heading.tabIndex = -1;
		heading.focus();
	}
}

// signOut(): forgets the token and shows the sign-in screen.
function signOut() {
	forgetToken();
	tracker.stopAll();
	showAuth({kind: 'missing', error: null, token: null});
	toast('Signed out', 'info');
}

// ------------------------------------------------------------ tasks

// nameOf(modelId): the display name of a model of the list.
function nameOf(modelId) {
	const m = modelById(modelId);
	return m ? displayName(m) : modelId;
}

// taskChanged(entry, what): a poll's news, on the card, the strip, the
// tabs and the live regions.
function taskChanged(entry, what) {
	const name = nameOf(entry.modelId);
	if (what === 'start') {
		announce(OP_WORD[entry.op] + ' of ' + name + ' started');
	} else if (what === 'lost') {
		announce('Connection lost while following ' + name + '; retrying', true);
		scheduleRefresh();
	} else if (what === 'found') {
		announce('Connection back; following ' + name + ' again');
		scheduleRefresh();
	}
	if (what === 'progress' || what === 'lost' || what === 'found') {
		announceMilestone(entry, name);
		updateDownloadView(entry);
		renderStripNow();
		return;
	}
	render();
	if (what === 'gone')
		scheduleRefresh();
}

// An operation in the words of a sentence's start.
const OP_WORD = {download: 'Download', delete: 'Delete', verify: 'Verify',
    repair: 'Repair', prune: 'Cleanup', update: 'Update'};

// announceMilestone(entry, name): says every quarter of a download (or a
// verify, a repair), and a retry of the hub, once.
function announceMilestone(entry, name) {
	if (!isTransfer(entry.op) || entry.lost)
		return;
	const st = downloadState(entry);
	const p = entry.progress || {};
	if (p.last_error && st.label !== entry.saidRetry) {
		entry.saidRetry = st.label;
		announce(name + ': ' + st.label);
	}
	const quarter = st.percent === null ? 0 : Math.floor(st.percent / 25);
	if (quarter > (entry.saidQuarter || 0) && quarter < 4)
		announce(name + ': ' + quarter * 25 + '% ' + (entry.op === 'verify' ?
		    'checked' : 'downloaded'));
	entry.saidQuarter = Math.max(quarter, entry.saidQuarter || 0);
}

// taskEnded(entry, p): the named toast of a finished task, and a list
// refresh (cards keep their places).
function taskEnded(entry, p) {
	const name = nameOf(entry.modelId);
	const status = p.status;
	const updated = entry.op === 'update' ? updateEndToast(p, name) : null;
	if (updated) {
		toast(...updated);
	} else if (doctor.taskEnded(entry, p, name)) {
		// Its result is on the card.
	} else if (entry.op === 'download') {
		if (status === 'completed')
			toast('Model download completed: ' + name, 'success');
		else if (status === 'already_installed')
			toast('Model is already installed: ' + name, 'info');
		else if (status === 'cancelled')
			toast('Download cancelled: ' + name, 'info');
		else if (status === 'failed')
			toast('Download of ' + name + ' failed: ' +
			    (p.error || 'Download failed'), 'error');
	} else if (entry.op === 'delete') {
		if (status === 'completed' || status === 'not_installed')
			toast('Model deleted successfully: ' + name, 'success');
		else if (status === 'cancelled')
			toast('Delete cancelled: ' + name, 'info');
		else if (status === 'failed')
			toast('Delete of ' + name + ' failed: ' +
			    (p.error || 'Delete failed'), 'error');
	}
	render();
	scheduleRefresh();
	activity.touched(entry.modelId, entry.taskId);
}

// conflictToast(err, op, model): the toast of a refused start.
function conflictToast(err, op, model) {
	const name = displayName(model);
	const verb = op === 'download' ? 'download' : 'delete';
	const c = err.conflict;
	if (c && c.conflict_type === 'cross_op_exclusion')
		toast('Cannot ' + verb + ' ' + name + ': another operation is in progress',
		    'warning');
	else if (c && c.conflict_type === 'in_use_block')
		toast('Cannot delete ' + name + ': model is used by ' +
		    (c.blocked_by_collections || []).length + ' collection(s)', 'error');
	else if (c)
		toast(c.detail || 'Operation conflict', 'error');
	else
		toast((op === 'download' ? 'Download' : 'Delete') + ' of ' + name +
		    ' failed: ' + explainError(err), 'error');
}

const update = createUpdater({
	api, toast, isAuthError, nameOf, focusBack,
	track: (modelId, taskId) => tracker.track(modelId, taskId, 'update'),
	refresh: scheduleRefresh,
	setBusy(modelId, on) {
		if (on)
			state.busy.add(modelId);
		else
			state.busy.delete(modelId);
		state.focusNext = 'upd:' + modelId;
		renderList();
		activity.touched(modelId);
	},
});

const actions = {
	download: startDownload,
	remove: askDelete,
	update,
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
				toast('Cancel failed: ' + explainError(err), 'error');
		}
		activity.touched(entry.modelId);
	},
	// A download waiting for its window runs now (the cap still applies).
	async startNow(entry) {
		if (entry.starting)
			return;
		entry.starting = true;
		updateDownloadView(entry);
		try {
			await api.startNow(entry.taskId);
		} catch (err) {
			if (isAuthError(err))
				return;
			const c = err.conflict;
			if (!(c && c.conflict_type === 'not_waiting'))
				toast('Start now failed: ' + explainError(err), 'error');
		} finally {
			entry.starting = false;
			updateDownloadView(entry);
		}
		activity.touched(entry.modelId);
	},
	retry(entry, model) {
		const key = {download: 'dl:', update: 'upd:'}[entry.op] || 'del:';
		state.focusNext = key + model.id;
		tracker.dismiss(model.id);
		if (entry.op === 'download')
			startDownload(model);
		else if (entry.op === 'update')
			update(model);
		else if (entry.op === 'verify' || entry.op === 'repair')
			doctor.start(model, entry.op);
		else if (entry.op === 'prune')
			doctor.openCleanup(model);
		else
			askDelete(model);
	},
	verify: (model) => doctor.start(model, 'verify'),
	repair: (model) => doctor.start(model, 'repair'),
	dismiss(entry) {
		state.focusNext = 'exp:' + entry.modelId;
		tracker.dismiss(entry.modelId);
	},
	expand(model, open) {
		if (open) {
			state.expanded.add(model.id);
			activity.loadRecent(model.id);
			doctor.detailsOpened(model);
		} else {
			state.expanded.delete(model.id);
		}
	},
};

// startDownload(model): POST /download; the focus stays on the card.
async function startDownload(model) {
	if (state.busy.has(model.id))
		return;
	state.busy.add(model.id);
	state.focusNext = 'dl:' + model.id;
	renderList();
	let res = null;
	try {
		res = await api.startDownload(model.id);
	} catch (err) {
		if (isAuthError(err))
			return;
		conflictToast(err, 'download', model);
		if (err.status === 503)
			scheduleRefresh();
	} finally {
		state.busy.delete(model.id);
	}
	activity.touched(model.id);
	state.focusNext = 'dl:' + model.id;
	if (res && res.status === 'already_installed') {
		toast('Model is already installed: ' + displayName(model), 'info');
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
	state.focusNext = 'del:' + model.id;
	renderList();
	let usage = null;
	try {
		usage = await api.usage(model.id);
	} catch (err) {
		if (isAuthError(err))
			return;
		toast('Delete of ' + displayName(model) + ' failed: ' +
		    explainError(err), 'error');
	} finally {
		state.busy.delete(model.id);
	}
	state.focusNext = 'del:' + model.id;
	renderList();
	if (!usage)
		return;
	if (!usage.is_installed && !(usage.estimated_freed_size_mb > 0) &&
	    !(usage.estimated_freed_bytes > 0) && !usage.hf_cache_scan_error) {
		// Gone since the list was loaded (nothing left to free).
		toast('Model is already removed: ' + displayName(model), 'info');
		scheduleRefresh();
		return;
	}
	if (!usage.can_delete) {
		const n = (usage.blocked_by_collections || []).length;
		toast('Cannot delete ' + displayName(model) + ': model is used by ' + n +
		    ' collection(s)', 'error');
		scheduleRefresh();
		return;
	}
	openDeleteDialog(model, usage);
}

let openCtl = null;

// closeOpenDialog(): closes the delete dialog, if open.
function closeOpenDialog() {
	if (openCtl && openCtl.isOpen)
		openCtl.close();
	openCtl = null;
}

// deleteDialogContent(model, freed, warnings): the dialog's question, the
// space it frees (exact bytes when the server gives them) and warnings.
function deleteDialogContent(model, usage, warnings) {
	const nodes = [
		h('p', {}, 'Are you sure you want to delete ',
		    h('strong', {class: 'dialog-name', text: '"' + displayName(model) + '"'}),
		    ' (', h('code', {class: 'mono', text: model.id}), ')?'),
	];
	const freed = formatSizeOf(usage.estimated_freed_bytes,
	    usage.estimated_freed_size_mb);
	if (freed !== '--') {
		nodes.push(h('p', {class: 'dialog-freed'}, 'This will free approximately ',
		    h('strong', {text: freed}), ' of disk space.'));
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

// openDeleteDialog(model, usage): the confirmation, then DELETE.
function openDeleteDialog(model, usage) {
	let warnings = Array.isArray(usage.warnings) ? usage.warnings : [];
	openCtl = openDialog({
		title: 'Delete Model',
		content: deleteDialogContent(model, usage, warnings),
		confirmLabel: 'Delete Model',
		danger: true,
		onClose() {
			openCtl = null;
		},
		// The card was re-rendered meanwhile: back to its Delete
		// button, or to the card when that is disabled.
		returnFocus() {
			focusBack('del:' + model.id);
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
					ctl.setContent(deleteDialogContent(model, usage, warnings));
					ctl.setBusy(false);
					return;
				}
				ctl.close();
				conflictToast(err, 'delete', model);
				scheduleRefresh();
				activity.touched(model.id);
				return;
			}
			ctl.close();
			activity.touched(model.id);
			if (res.status === 'not_installed') {
				toast('Model is already removed: ' + displayName(model), 'info');
				scheduleRefresh();
			} else if (res.task_id) {
				tracker.track(model.id, res.task_id, 'delete');
			}
			renderList();
		},
	});
}

// ------------------------------------------------------------ controls

// selectType(type, focus): another tab (the cards are sorted again).
function selectType(type, focus) {
	state.type = type;
	resort();
	render();
	if (focus) {
		const tab = $('tab-' + type);
		if (tab)
			tab.focus();
	}
}

// wireControls(): the header, tab keys, status pills and search box.
function wireControls() {
	const refresh = $('refresh');
	refresh.prepend(icon('refresh'));
	refresh.dataset.focusKey = 'refresh';
	refresh.addEventListener('click', () => {
		if (!state.loading)
			loadList({sort: true});
		activity.refresh();
		policy.load();
	});
	wireChecker($('check-updates'), {api, toast, announce, isAuthError,
	    refresh: scheduleRefresh});
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
			    resort();
			    render();
		    }}}));
	}
	const search = $('search');
	search.addEventListener('input', () => {
		state.search = search.value;
		resort();
		renderList();
	});
	$('search-icon').replaceWith(icon('search', 'search-icon'));
}

// start(): the sign-in screen without a token, else the list.
function start() {
	state.data = null;
	state.listError = null;
	state.staleError = null;
	resort();
	if (!getToken()) {
		showAuth({kind: 'missing', error: null, token: null});
		return;
	}
	state.auth = null;
	render();
	tracker.stopped = false;
	state.policyAsked = false;
	loadList({sort: true});
}

takeTokenFromUrl();
wireControls();
start();
