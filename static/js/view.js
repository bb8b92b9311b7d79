// Builders of the page's parts: the type tabs, the cache bar, the scan
// banner, the model cards and their progress blocks.  Every server string
// is set as text (see dom.js).

import {h, icon, clear, append} from './dom.js';
import {formatSize, formatSizeOf, formatBytes, formatSpeed, formatEta,
    percentOf, plural} from './format.js';
import {downloadLabel, updateBadge, updateButton, hasUpdate} from
    './revisions.js';

// Speed and ETA older than this are not shown (the download stalled, or
// the polls fail).
const FRESH_MS = 6000;

export const TYPES = [
	['embedding', 'Embedding'],
	['llm', 'Local LLM'],
	['reranker', 'Reranker'],
	['splade', 'SPLADE'],
];

export const TYPE_LABEL = Object.fromEntries(TYPES);

// The operations that show a progress bar (the others a busy line), in
// the words of the card's badge, the bar's label and the Cancel button.
const RUNNING = {
	download: {badge: 'Downloading', label: 'Downloading...', noun: 'download'},
	update: {badge: 'Updating', label: 'Updating...', noun: 'update'},
	verify: {badge: 'Verifying', label: 'Verifying files...', noun: 'verify'},
	repair: {badge: 'Repairing', label: 'Repairing...', noun: 'repair'},
};

// isTransfer(op): whether a task of op shows a progress bar.
export function isTransfer(op) {
	return Object.hasOwn(RUNNING, op);
}

// The badge of a task without a progress bar.
const BUSY = {delete: 'Deleting', prune: 'Cleaning up', check: 'Checking'};
function busyBadge(op) {
	return BUSY[op] || 'Working';
}

export const STATUS_FILTERS = [
	['all', 'All'],
	['installed', 'Installed'],
	['available', 'Available'],
];

// domId(prefix, modelId): a stable, markup-safe element id for a model id.
const idOf = new Map();
export function domId(prefix, modelId) {
	if (!idOf.has(modelId))
		idOf.set(modelId, idOf.size + 1);
	return prefix + '-' + idOf.get(modelId);
}

// displayName(model): the name the cards show, in one style for every
// type: without a "Provider - " prefix, without the repo's owner (the
// repo id is shown under it).
export function displayName(model) {
	let name = String(model.name || model.id || '');
	const dash = name.indexOf(' - ');
	if (dash > 0)
		name = name.slice(dash + 3);
	const slash = name.lastIndexOf('/');
	if (slash >= 0 && slash < name.length - 1)
		name = name.slice(slash + 1);
	return name.trim() || String(model.id);
}

// countByType(models, isRunning): {type: {installed, total, running}};
// isRunning(model) tells whether a task of the model is under way.
export function countByType(models, isRunning) {
	const counts = {};
	for (const [type] of TYPES)
		counts[type] = {installed: 0, total: 0, running: 0};
	for (const m of models || []) {
		const c = counts[m.model_type];
		if (!c)
			continue;
		c.total++;
		if (m.is_installed)
			c.installed++;
		if (isRunning && isRunning(m))
			c.running++;
	}
	return counts;
}

// filterModels(models, {type, status, search}): the models of the tab, the
// status pill and the search (name, description or id, case-insensitive),
// installed first, then by name.
export function filterModels(models, {type, status, search}) {
	const q = search.trim().toLowerCase();
	return (models || []).filter((m) => {
		if (m.model_type !== type)
			return false;
		if (status === 'installed' && !m.is_installed)
			return false;
		if (status === 'available' && m.is_installed)
			return false;
		if (!q)
			return true;
		return [m.name, m.description, m.id].some((s) =>
		    typeof s === 'string' && s.toLowerCase().includes(q));
	}).sort((a, b) => {
		if (a.is_installed !== b.is_installed)
			return a.is_installed ? -1 : 1;
		return String(a.name).localeCompare(String(b.name));
	});
}

// keepOrder(models, order): the models in the order of the id list
// `order` (those still present), then the others in their own order; so
// that a card stays in place while the admin works.
export function keepOrder(models, order) {
	const byId = new Map(models.map((m) => [m.id, m]));
	const out = [];
	for (const id of order) {
		if (byId.has(id)) {
			out.push(byId.get(id));
			byId.delete(id);
		}
	}
	return out.concat(models.filter((m) => byId.has(m.id)));
}

// emptyText(state): the reference's empty-state sentence.
export function emptyText({search, status}) {
	if (search.trim())
		return 'No models match your search.';
	if (status === 'installed')
		return 'No installed models of this type.';
	if (status === 'available')
		return 'No available models to download.';
	return 'No models found.';
}

// renderTabs(tablist, counts, active, onSelect).
export function renderTabs(tablist, counts, active, onSelect) {
	const focusedType = tablist.contains(document.activeElement) ?
	    document.activeElement.dataset.type : null;
	clear(tablist);
	for (const [type, label] of TYPES) {
		const selected = type === active;
		const c = counts[type];
		const tab = h('button', {class: 'tab' + (selected ? ' is-active' : ''),
		    attrs: {type: 'button', role: 'tab', id: 'tab-' + type,
		    'aria-selected': selected ? 'true' : 'false',
		    'aria-controls': 'panel', tabindex: selected ? '0' : '-1'},
		    dataset: {type},
		    on: {click: () => onSelect(type, false)}},
		    h('span', {class: 'tab-label', text: label}),
		    h('span', {class: 'tab-count',
		    attrs: {'aria-label': c.installed + ' of ' + c.total + ' installed'},
		    text: c.installed + '/' + c.total}),
		    c.running > 0 ? h('span', {class: 'tab-running',
		    text: c.running + ' running'}) : null);
		tablist.appendChild(tab);
	}
	if (focusedType) {
		const t = tablist.querySelector('[data-type="' + active + '"]');
		if (t)
			t.focus();
	}
}

// renderBanner(el, error): the scan-error banner, hidden when error is null.
export function renderBanner(el, error) {
	clear(el);
	el.hidden = !error;
	if (!error)
		return;
	append(el, [
		icon('warning', 'banner-icon'),
		h('div', {class: 'banner-text'},
		    h('p', {class: 'banner-title', text: 'HuggingFace cache scan failed'}),
		    h('p', {text: 'Installed status and disk sizes may be inaccurate until this is resolved.'}),
		    h('p', {class: 'banner-detail', text: error})),
	]);
}

// What an admin can do about a service named in the list's
// service_warnings.
const SERVICE_HELP = {
	task_store: ['The task store is unavailable',
	    'Downloads and deletes cannot start, and running ones cannot report ' +
	    'progress, until it is back. The list may be out of date; the page ' +
	    'checks again by itself.'],
};

// renderServiceBanner(el, warnings): one banner for the dependencies that
// are down (the list's service_warnings), hidden when there is none.
export function renderServiceBanner(el, warnings) {
	clear(el);
	const list = Array.isArray(warnings) ? warnings : [];
	el.hidden = list.length === 0;
	for (const w of list) {
		const [title, help] = SERVICE_HELP[w.service] ||
		    ['A service is unavailable: ' + w.service,
		    'Some actions may fail until it is back.'];
		el.appendChild(h('div', {class: 'banner-item'},
		    icon('warning', 'banner-icon'),
		    h('div', {class: 'banner-text'},
		    h('p', {class: 'banner-title', text: title}),
		    h('p', {text: help}),
		    w.detail ? h('p', {class: 'banner-detail', text: w.detail}) : null)));
	}
}

// renderStale(el, {error, age, onRetry}): "the list is out of date" after a
// failed refresh, with the reason, the list's age and Retry.
export function renderStale(el, {error, age, onRetry}) {
	clear(el);
	el.hidden = !error;
	if (!error)
		return;
	append(el, [
		icon('alert', 'stale-icon'),
		h('p', {class: 'stale-text'},
		    h('strong', {text: 'Refresh failed; this list is from ' + age + '. '}),
		    h('span', {text: error})),
		h('button', {class: 'btn btn-small', attrs: {type: 'button'},
		    dataset: {focusKey: 'stale-retry'}, on: {click: onRetry}},
		    icon('refresh'), 'Retry'),
	]);
}

// renderStrip(el, items, onGo): the "In progress" strip; items are
// {model, text}; onGo(model) brings its card into view.
export function renderStrip(el, items, onGo) {
	clear(el);
	el.hidden = items.length === 0;
	if (items.length === 0)
		return;
	append(el, [
		h('h2', {class: 'strip-title', text: 'In progress'}),
		h('ul', {class: 'strip-list'}, items.map(({model, text}) =>
		    h('li', {},
		    h('a', {class: 'strip-link', attrs: {href: '#' + domId('card', model.id)},
		    dataset: {focusKey: 'strip:' + model.id},
		    on: {click: (e) => {
			    e.preventDefault();
			    onGo(model);
		    }}},
		    h('span', {class: 'strip-name', text: displayName(model)}), ' ',
		    h('span', {class: 'strip-state', text: text}))))),
	]);
}

// renderCacheBar(el, {shown, loading, cacheSize, onShow, extra}): extra
// (the reclaimable space, doctor.js) goes below the sizes.
export function renderCacheBar(el, {shown, loading, cacheSize, onShow, extra}) {
	clear(el);
	el.appendChild(h('h2', {class: 'cache-title', attrs: {id: 'cache-title'}}, icon('disk'),
	    h('span', {text: 'Cache Usage'})));
	const body = h('div', {class: 'cache-body'});
	el.appendChild(body);
	if (!shown) {
		body.appendChild(h('button', {class: 'link-btn', text: 'Show cache usage',
		    attrs: {type: 'button'}, dataset: {focusKey: 'cache-show'},
		    on: {click: onShow}}));
		return;
	}
	if (!cacheSize) {
		body.appendChild(h('span', {class: 'muted',
		    text: loading ? 'Loading…' : 'Not available'}));
		return;
	}
	const sep = () => h('span', {class: 'sep', text: ' | ', attrs: {'aria-hidden': 'true'}});
	append(body, [
		h('span', {class: 'cache-item cache-total'},
		    h('strong', {text: formatSize(cacheSize.total_cache_size_mb)}), ' total'),
		sep(),
		h('span', {class: 'cache-item cache-managed',
		    text: formatSize(cacheSize.managed_cache_size_mb) + ' managed'}),
		sep(),
		h('span', {class: 'cache-item cache-unmanaged'},
		    formatSize(cacheSize.unmanaged_cache_size_mb) + ' unmanaged ',
		    h('span', {class: 'muted',
		    text: '(' + cacheSize.unmanaged_repo_count + ' repos)'})),
	]);
	if (cacheSize.partial_cache_size_mb > 0) {
		append(body, [sep(), h('span', {class: 'cache-item cache-partial',
		    text: formatSize(cacheSize.partial_cache_size_mb) +
		    ' in unfinished downloads'})]);
	}
	if (extra)
		el.appendChild(extra);
}

// ---------------------------------------------------------------- cards

// stat(iconName, text, cls): one quick stat of a card.
function stat(iconName, text, cls) {
	return h('li', {class: 'stat' + (cls ? ' ' + cls : '')}, icon(iconName),
	    h('span', {text}));
}

// field(label, value, cls): one term of the details list.
function field(label, value, cls) {
	return h('div', {class: 'field' + (cls ? ' ' + cls : '')},
	    h('dt', {text: label}), h('dd', {}, value));
}

// named(label, model, what): a button's content: the visible label, and
// for screen readers the model it acts on ("Download bge-small-en-v1.5").
function named(label, model, what) {
	return [h('span', {class: 'btn-label', text: label}),
	    h('span', {class: 'sr-only', text: ' ' + (what || '') + displayName(model)})];
}

// buildDetails(model, fileCheck): the expanded part of a card; fileCheck
// (a field of the list, or null) goes after the collections.
function buildDetails(model, fileCheck) {
	const dl = h('dl', {class: 'details-list'});
	dl.appendChild(field('Model ID', h('code', {class: 'mono', text: model.id}),
	    'wide'));
	const mem = Object.entries(model.memory_mb || {});
	if (mem.length > 0) {
		dl.appendChild(field('Memory by Quantization',
		    h('span', {class: 'chips'}, mem.map(([q, mb]) =>
		    h('span', {class: 'chip', text: q + ': ' + formatSize(mb)}))),
		    'wide'));
	}
	// The short fields share the rows of the list (a <div> around them
	// would be a second level of <div> in the <dl>, which it may not have).
	const e = model.embedding_details;
	if (e) {
		if (e.dimension !== null && e.dimension !== undefined)
			dl.appendChild(field('Dimension', String(e.dimension)));
		if (e.max_sequence_length !== null && e.max_sequence_length !== undefined)
			dl.appendChild(field('Max Sequence',
			    Number(e.max_sequence_length).toLocaleString()));
		if (e.pooling_method)
			dl.appendChild(field('Pooling', e.pooling_method));
		if (e.is_asymmetric)
			dl.appendChild(field('Asymmetric', 'Yes'));
	}
	const l = model.llm_details;
	if (l && l.context_window !== null && l.context_window !== undefined) {
		dl.appendChild(field('Context Window',
		    Number(l.context_window).toLocaleString() + ' tokens'));
	}
	const used = model.used_by_collections || [];
	if (used.length > 0) {
		dl.appendChild(field('Used by Collections',
		    h('span', {class: 'chips'}, used.map((name) =>
		    h('span', {class: 'chip chip-collection', text: name}))), 'wide'));
	}
	if (fileCheck)
		dl.appendChild(fileCheck);
	return dl;
}

// downloadState(entry): {percent (null when the total is unknown), label,
// fresh (speed and ETA may be shown)} of a tracked download.
export function downloadState(entry) {
	const p = entry.progress;
	const total = p ? Number(p.bytes_total) || 0 : 0;
	const done = p ? Number(p.bytes_downloaded) || 0 : 0;
	const percent = total > 0 ? percentOf(done, total) : null;
	const words = RUNNING[entry.op] || RUNNING.download;
	let label = percent === null ? 'Starting...' : words.label;
	// Outside its download window: what it waits for (the policy's).
	const waiting = !!(p && p.status === 'pending' && p.waiting_reason);
	if (waiting)
		label = p.waiting_reason;
	if (p && p.last_error && Number(p.attempt) > 0) {
		label = p.last_error + ', retrying ' + p.attempt +
		    (Number(p.attempt_max) > 0 ? '/' + p.attempt_max : '');
	}
	if (entry.lost)
		label = 'Connection lost, retrying...';
	const fresh = !entry.lost && entry.changedAt > 0 &&
	    Date.now() - entry.changedAt < FRESH_MS;
	return {percent, done, total, label, fresh, waiting};
}

// runningText(entry): the short state of a task, for the card's badge and
// the "In progress" strip ("Downloading 41%", "Deleting").
export function runningText(entry) {
	if (!isTransfer(entry.op))
		return busyBadge(entry.op);
	const {percent, waiting} = downloadState(entry);
	if (waiting)
		return 'Waiting';
	const badge = RUNNING[entry.op].badge;
	return percent === null ? badge : badge + ' ' + percent + '%';
}

// The download progress block of a tracked task: built once, then updated
// in place at every poll (so a focused Cancel button keeps its focus).
function buildDownloadView(entry, model, actions) {
	const label = h('span', {class: 'progress-text'});
	const bytes = h('span', {class: 'progress-bytes'});
	const pct = h('span', {class: 'progress-pct'});
	const fill = h('div', {class: 'bar-fill'});
	const noun = RUNNING[entry.op].noun;
	const bar = h('div', {class: 'bar', attrs: {role: 'progressbar',
	    'aria-label': noun[0].toUpperCase() + noun.slice(1) + ' progress of ' +
	    displayName(model),
	    'aria-valuemin': '0', 'aria-valuemax': '100'}}, fill);
	const speed = h('span', {class: 'progress-speed'});
	const eta = h('span', {class: 'progress-eta'});
	const files = h('span', {class: 'progress-files'});
	const startNow = h('button', {class: 'btn btn-small', hidden: true,
	    attrs: {type: 'button'}, dataset: {focusKey: 'start-now:' + model.id},
	    on: {click: () => actions.startNow(entry)}},
	    icon('download'), h('span', {text: 'Start now'}),
	    h('span', {class: 'sr-only', text: ' download of ' + displayName(model)}));
	const cancelLabel = h('span', {class: 'cancel-label', text: 'Cancel'});
	const cancel = h('button', {class: 'btn btn-small',
	    attrs: {type: 'button'}, dataset: {focusKey: 'cancel:' + model.id},
	    on: {click: () => actions.cancel(entry)}},
	    icon('stop'), cancelLabel,
	    h('span', {class: 'sr-only', text: ' ' + noun + ' of ' + displayName(model)}));
	const root = h('div', {class: 'progress-block', dataset: {kind: 'download'}},
	    h('div', {class: 'progress-head'},
	    h('span', {class: 'progress-label'}, icon('spinner', 'spin'), label),
	    h('span', {class: 'progress-meta'}, bytes, pct)),
	    bar,
	    h('div', {class: 'progress-foot'},
	    h('span', {class: 'progress-rate'}, speed, eta, files),
	    h('span', {class: 'progress-actions'}, startNow, cancel)));
	return {kind: 'download', root, label, bytes, pct, bar, fill, speed, eta,
	    files, cancel, cancelLabel, startNow};
}

// updateDownloadView(entry): the progress block (and the card's badge)
// from the entry's last poll.
export function updateDownloadView(entry) {
	const v = entry.view;
	if (!v || v.kind !== 'download')
		return;
	const p = entry.progress;
	const st = downloadState(entry);
	v.root.classList.toggle('is-indeterminate', st.percent === null);
	v.root.classList.toggle('is-lost', !!entry.lost);
	v.root.classList.toggle('is-retrying', !entry.lost && !!(p && p.last_error));
	v.root.classList.toggle('is-waiting', st.waiting);
	v.startNow.hidden = !st.waiting;
	v.startNow.disabled = !!entry.starting || !!entry.cancelling;
	v.label.textContent = st.label;
	if (st.percent === null) {
		v.bytes.textContent = '';
		v.pct.textContent = '';
		v.bar.removeAttribute('aria-valuenow');
		v.bar.setAttribute('aria-valuetext', st.label);
		v.fill.style.width = '';
	} else {
		v.bytes.textContent = formatBytes(st.done) + ' / ' + formatBytes(st.total);
		v.pct.textContent = st.percent + '%';
		v.bar.setAttribute('aria-valuenow', String(st.percent));
		v.bar.setAttribute('aria-valuetext', st.percent + '% (' +
		    formatBytes(st.done) + ' of ' + formatBytes(st.total) + ')');
		v.fill.style.width = st.percent + '%';
	}
	v.speed.textContent = st.fresh ? formatSpeed(Number(p.bytes_per_second)) : '';
	v.eta.textContent = st.fresh && p.eta_seconds !== null &&
	    p.eta_seconds !== undefined ? formatEta(Number(p.eta_seconds)) : '';
	v.files.textContent = p && Number(p.files_total) > 0 ?
	    p.files_done + '/' + p.files_total + ' files' : '';
	v.cancel.disabled = !!entry.cancelling;
	v.cancelLabel.textContent = entry.cancelling ? 'Cancelling...' : 'Cancel';
	const card = v.root.closest('.card');
	const badge = card && card.querySelector('.status-running');
	if (badge)
		badge.textContent = runningText(entry);
}

// buildFailedView(entry, model, actions): a failed task's error, Retry and
// dismiss.
function buildFailedView(entry, model, actions) {
	const noun = isTransfer(entry.op) ? RUNNING[entry.op].noun :
	    entry.op === 'prune' ? 'cleanup' : 'delete';
	const p = entry.progress;
	const message = p && p.error ? p.error :
	    noun[0].toUpperCase() + noun.slice(1) + ' failed';
	const what = noun + ' of ';
	const root = h('div', {class: 'error-block', dataset: {kind: 'failed'}},
	    icon('alert', 'error-icon'),
	    h('p', {class: 'error-text', text: message}),
	    h('span', {class: 'error-actions'},
	    h('button', {class: 'btn btn-small btn-danger-outline',
	    attrs: {type: 'button'}, dataset: {focusKey: 'retry:' + model.id},
	    on: {click: () => actions.retry(entry, model)}},
	    icon('refresh'), named('Retry', model, what)),
	    h('button', {class: 'icon-btn', attrs: {type: 'button',
	    'aria-label': 'Dismiss the error of ' + displayName(model), title: 'Dismiss'},
	    dataset: {focusKey: 'dismiss:' + model.id},
	    on: {click: () => actions.dismiss(entry)}}, icon('x'))));
	return {kind: 'failed', root};
}

// buildBusyLine(text): a spinner and a sentence.
function buildBusyLine(text) {
	return h('div', {class: 'busy-line'},
	    icon('spinner', 'spin'), h('span', {text}));
}

// statusBadge(model, entry, claimed): "Installed", "Available", or the
// running task's state.
function statusBadge(model, entry, claimed) {
	if (entry && !entry.failed)
		return h('span', {class: 'status status-running', text: runningText(entry)});
	if (claimed)
		return h('span', {class: 'status status-running', text: claimed});
	if (model.is_installed)
		return h('span', {class: 'status status-installed'}, icon('check'), 'Installed');
	return h('span', {class: 'status status-available', text: 'Available'});
}

// buildTitle(model, badge, changed, update): name, marks (the update
// badge, if any) and the repo id.
function buildTitle(model, badge, changed, update) {
	return h('div', {class: 'card-head'},
	    h('div', {class: 'card-title'},
	    h('h3', {class: 'card-name', text: displayName(model)}),
	    model.is_default_embedding_model ?
	    h('span', {class: 'badge badge-default',
	    attrs: {title: 'The system default embedding model'}},
	    'System default') : null,
	    badge, update,
	    changed ? h('span', {class: 'changed-note',
	    text: changed === 'installed' ? 'Just installed' : 'Just removed'}) : null),
	    h('p', {class: 'card-repo'}, h('code', {class: 'mono', text: model.id})));
}

// buildStats(model): disk size (installed), RAM, collections.
function buildStats(model) {
	const used = model.used_by_collections || [];
	const stats = h('ul', {class: 'stats'});
	if (model.is_installed && (Number.isFinite(model.size_on_disk_bytes) ||
	    Number.isFinite(model.size_on_disk_mb)))
		stats.appendChild(stat('disk', formatSizeOf(model.size_on_disk_bytes,
		    model.size_on_disk_mb), 'stat-disk'));
	const mem = model.memory_mb || {};
	const ram = mem.int8 ?? mem.float16 ?? null;
	if (ram !== null)
		stats.appendChild(stat('cpu', '~' + formatSize(ram) + ' RAM', 'stat-ram'));
	if (model.model_type === 'embedding' && used.length > 0)
		stats.appendChild(stat('database', plural(used.length, 'collection'),
		    'stat-collections'));
	return stats;
}

// buildCard(model, {entry, busy, expanded, changed, actions, recent,
// partial, fileCheck}): one model's card; changed ('installed' | 'removed'
// | undefined) marks what changed since the admin last sorted the list;
// recent is the node of its "Recent activity", shown in the details;
// partial its unfinished download's line and fileCheck its details' file
// check (doctor.js), or null.
export function buildCard(model, {entry, busy, expanded, changed, actions, recent,
    partial, fileCheck}) {
	const used = model.used_by_collections || [];
	const dlActive = !!entry && isTransfer(entry.op) && !entry.failed;
	const dlFailed = !!entry && isTransfer(entry.op) && entry.failed;
	const delActive = !!entry && !isTransfer(entry.op) && !entry.failed;
	const delFailed = !!entry && !isTransfer(entry.op) && entry.failed;
	const claimedOp = entry ? null : model.active_operation ||
	    (model.active_download_task_id ? 'download' :
	    model.active_delete_task_id ? 'delete' : null);
	const claimedDelete = !!claimedOp && !isTransfer(claimedOp);
	const claimedDownload = !!claimedOp && isTransfer(claimedOp);
	const hasDelete = delActive || delFailed || claimedDelete;
	const downloading = dlActive || dlFailed || claimedDownload;
	const detailsId = domId('details', model.id);
	const hintId = domId('hint', model.id);
	const name = displayName(model);

	const actionsEl = h('div', {class: 'card-actions'});
	if (!model.is_installed && !downloading) {
		// Busy (the start request is on its way): aria-disabled, not
		// disabled, so that the button keeps the keyboard focus.
		actionsEl.appendChild(h('button', {class: 'btn btn-primary btn-small' +
		    (busy ? ' is-busy' : ''),
		    attrs: {type: 'button', title: hasDelete ? 'Delete in progress' :
		    'Download model', 'aria-disabled': busy ? 'true' : null,
		    'aria-busy': busy ? 'true' : null},
		    disabled: hasDelete,
		    dataset: {focusKey: 'dl:' + model.id, action: 'download'},
		    on: {click: () => actions.download(model)}},
		    icon(busy ? 'spinner' : 'download', busy ? 'spin' : ''),
		    downloadLabel(model, name)));
	}
	if (hasUpdate(model) && !downloading) {
		actionsEl.appendChild(updateButton(model, {name, busy,
		    disabled: hasDelete, why: hasDelete ? 'Delete in progress' : null,
		    onClick: () => actions.update(model)}));
	}
	let blockedHint = null;
	if (model.is_installed) {
		const why = hasDelete ? 'Delete in progress' :
		    downloading ? RUNNING[entry ? entry.op : claimedOp].badge.replace(/ing$/,
		    '') + ' in progress' :
		    used.length > 0 ? 'Model is in use by collections' : 'Delete model';
		const disabled = hasDelete || downloading || used.length > 0;
		if (used.length > 0 && !hasDelete && !downloading) {
			blockedHint = h('p', {class: 'hint', attrs: {id: hintId}},
			    icon('database'),
			    h('span', {text: 'Model is in use by collections: ' +
			    used.join(', ') + '. Delete is unavailable while a collection uses it.'}));
		}
		actionsEl.appendChild(h('button', {class: 'btn btn-danger-outline btn-small' +
		    (busy ? ' is-busy' : ''),
		    attrs: {type: 'button', title: why,
		    'aria-describedby': blockedHint ? hintId : null,
		    'aria-disabled': busy ? 'true' : null,
		    'aria-busy': busy ? 'true' : null},
		    disabled,
		    dataset: {focusKey: 'del:' + model.id, action: 'delete'},
		    on: {click: () => actions.remove(model)}},
		    icon(busy ? 'spinner' : 'trash', busy ? 'spin' : ''),
		    named('Delete', model)));
	}
	const chevron = h('button', {class: 'icon-btn chevron',
	    attrs: {type: 'button', 'aria-expanded': expanded ? 'true' : 'false',
	    'aria-controls': detailsId,
	    'aria-label': (expanded ? 'Hide details of ' : 'Show details of ') + name,
	    title: expanded ? 'Hide details' : 'Show details'},
	    dataset: {focusKey: 'exp:' + model.id, action: 'details'}},
	    icon(expanded ? 'chevronUp' : 'chevronDown'));
	actionsEl.appendChild(chevron);

	const details = h('div', {class: 'card-details',
	    attrs: {id: detailsId}, hidden: !expanded}, buildDetails(model, fileCheck),
	    recent);
	chevron.addEventListener('click', () => {
		const open = details.hidden;
		details.hidden = !open;
		chevron.setAttribute('aria-expanded', open ? 'true' : 'false');
		chevron.setAttribute('aria-label', (open ? 'Hide details of ' :
		    'Show details of ') + name);
		chevron.title = open ? 'Hide details' : 'Show details';
		chevron.replaceChild(icon(open ? 'chevronUp' : 'chevronDown'),
		    chevron.firstChild);
		actions.expand(model, open);
	});

	const slot = h('div', {class: 'card-progress'});
	if (entry) {
		const kind = entry.failed ? 'failed' :
		    isTransfer(entry.op) ? 'download' : 'delete';
		if (!entry.view || entry.view.kind !== kind) {
			entry.view = kind === 'download' ?
			    buildDownloadView(entry, model, actions) :
			    kind === 'failed' ? buildFailedView(entry, model, actions) :
			    {kind: 'delete', root: buildBusyLine(entry.op === 'prune' ?
			    'Cleaning up...' : 'Deleting model files...')};
		}
		slot.appendChild(entry.view.root);
	} else if (claimedOp) {
		slot.appendChild(buildBusyLine(claimedOp === 'download' ?
		    'Download in progress...' : claimedOp === 'delete' ?
		    'Deletion in progress...' : (isTransfer(claimedOp) ?
		    RUNNING[claimedOp].badge : busyBadge(claimedOp)) + '...'));
	}

	const badge = statusBadge(model, entry, claimedOp ? isTransfer(claimedOp) ?
	    RUNNING[claimedOp].badge : busyBadge(claimedOp) : null);
	const card = h('article', {class: 'card' +
	    (model.is_installed ? ' is-installed' : '') + (changed ? ' is-changed' : ''),
	    attrs: {'aria-label': name, id: domId('card', model.id), tabindex: '-1'},
	    dataset: {modelId: model.id, focusKey: 'card:' + model.id}},
	    h('div', {class: 'card-main'},
	    h('div', {class: 'card-info'}, buildTitle(model, badge, changed,
	    entry || claimedDownload || claimedDelete ? null : updateBadge(model)),
	    h('p', {class: 'card-desc', text: model.description || ''}),
	    buildStats(model), partial),
	    actionsEl),
	    blockedHint, slot, details);
	if (entry)
		updateDownloadView(entry);
	return card;
}

// skeleton(n): loading placeholders.
export function skeleton(n) {
	const out = [];
	for (let i = 0; i < n; i++)
		out.push(h('div', {class: 'card skeleton', attrs: {'aria-hidden': 'true'}}));
	return out;
}
