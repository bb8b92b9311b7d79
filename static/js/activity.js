// The audit trail on the page: the "Activity" panel (newest first,
// filterable by model, paged with "Load more") and the "Recent activity"
// of a card's details.  Every string of an event is set as text (see
// dom.js).

import {h, icon, clear, append, focusKeyOfActive, restoreFocus} from './dom.js';
import {explainError, detailText} from './api.js';
import {announce} from './toast.js';
import {formatDuration, formatWhen, plural} from './format.js';
import {TYPES, displayName, domId} from './view.js';

// Events a page of the panel shows; "Load more" fetches as many again.
export const PAGE_SIZE = 20;

// Events a card's "Recent activity" shows.
export const RECENT_SIZE = 5;

// A task's status is written just before its task.ended event: after a
// task ends, the trail is read again until that event is in it, this
// often and at most this many times.
const END_RETRY_MS = 1000;
const END_TRIES = 5;

// Why a 409 refused, by its conflict type.
const CONFLICT_REASON = {
	cross_op_exclusion: 'another operation is in progress',
	in_use_block: 'the model is used by collections',
	requires_confirmation: 'confirmation required',
	task_finished: 'the task had already ended',
	not_cancellable: 'a running delete cannot be cancelled',
	insufficient_space: 'not enough disk space',
};

// Why a request was refused, by outcome, when the server gave no detail.
const OUTCOME_REASON = {
	bad_request: 'bad request',
	forbidden: 'not allowed',
	not_found: 'not found',
	invalid: 'invalid request',
	unavailable: 'service unavailable',
};

// The badge of an accepted request or a task's end: [text, kind].
const OUTCOME_BADGE = {
	pending: ['Queued', 'ok'],
	running: ['Running', 'ok'],
	completed: ['Completed', 'ok'],
	already_installed: ['Already installed', 'neutral'],
	not_installed: ['Already removed', 'neutral'],
	up_to_date: ['Up to date', 'neutral'],
	cancelled: ['Cancelled', 'neutral'],
	failed: ['Failed', 'failed'],
};

// How a task's end reads after "ended:", by status.
const ENDED_WORD = {
	completed: 'completed',
	failed: 'failed',
	cancelled: 'cancelled',
	already_installed: 'already installed',
	not_installed: 'already removed',
};

// The subject of a refusal, by event.
const REFUSED_WHAT = {
	'download.refused': 'Download refused',
	'delete.refused': 'Delete refused',
	'task.cancel_refused': 'Cancel refused',
	'update.refused': 'Update refused',
	'check.refused': 'Update check refused',
	'policy.refused': 'Download policy change refused',
	'task.start_now_refused': 'Start now refused',
	'verify.refused': 'Verify refused',
	'repair.refused': 'Repair refused',
	'prune.refused': 'Cleanup refused',
};

// The cache doctor's requests, by event.
const DOCTOR_REQUESTED = {
	'verify.requested': 'Verify requested',
	'repair.requested': 'Repair requested',
	'prune.requested': 'Cleanup requested',
};

// capital(s): s with its first letter in upper case.
function capital(s) {
	return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

// warningsOf(ev): the event's warnings (strings only).
function warningsOf(ev) {
	return Array.isArray(ev.warnings) ?
	    ev.warnings.filter((w) => typeof w === 'string') : [];
}

// deleteNote(ev): " (confirmed, 2 warnings acknowledged)" for a delete
// request, "" when there is nothing to say.
function deleteNote(ev) {
	const parts = [];
	const n = warningsOf(ev).length;
	if (ev.confirm === true)
		parts.push('confirmed');
	if (n > 0)
		parts.push(plural(n, 'warning') + (ev.confirm === true ?
		    ' acknowledged' : ' shown'));
	return parts.length ? ' (' + parts.join(', ') + ')' : '';
}

// refusal(ev): {what, extra} of a refused request: "Download refused
// (409: another operation is in progress)", with the server's own detail
// as extra when the reason is a shorter wording of it.
function refusal(ev) {
	const subject = REFUSED_WHAT[ev.event] || 'Request refused';
	const conflict = CONFLICT_REASON[ev.outcome];
	const detail = typeof ev.detail === 'string' ? ev.detail : '';
	const reason = conflict || detail || OUTCOME_REASON[ev.outcome] ||
	    String(ev.outcome || 'refused');
	const status = Number.isFinite(ev.http_status) ? ev.http_status + ': ' : '';
	return {what: subject + ' (' + status + reason + ')',
	    extra: conflict && detail ? detail : null};
}

// ended(ev): {what, extra} of a task's end: "Download task ended:
// completed in 12 s", a failed task's error as extra.
function ended(ev) {
	const op = typeof ev.operation === 'string' && ev.operation ?
	    capital(ev.operation) + ' task' : 'Task';
	const word = ENDED_WORD[ev.outcome] || String(ev.outcome || 'ended');
	const took = formatDuration(ev.duration_seconds);
	const when = took ? (ev.outcome === 'completed' ? ' in ' : ' after ') +
	    took : '';
	return {what: op + ' ended: ' + word + when,
	    extra: ev.outcome === 'failed' && typeof ev.detail === 'string' ?
	    ev.detail : null};
}

// describeEvent(ev): {what, extra, badge: [text, kind]} in words an
// admin reads: what happened, a second line (the server's detail), and
// the outcome's badge (kind: ok | neutral | refused | failed).
export function describeEvent(ev) {
	const badge = OUTCOME_BADGE[ev.outcome] ||
	    [capital(String(ev.outcome || '').replace(/_/g, ' ')) || '--', 'neutral'];
	switch (ev.event) {
	case 'download.requested':
		return {what: 'Download requested', extra: null, badge};
	case 'delete.requested':
		return {what: 'Delete requested' + deleteNote(ev), extra: null, badge};
	case 'update.requested':
		return {what: 'Update requested' + deleteNote(ev), extra: null, badge};
	case 'check.requested':
		return {what: 'Update check requested', extra: null, badge};
	case 'download.refused':
	case 'delete.refused':
	case 'task.cancel_refused':
	case 'update.refused':
	case 'check.refused':
	case 'policy.refused':
	case 'task.start_now_refused':
	case 'verify.refused':
	case 'repair.refused':
	case 'prune.refused':
		return {...refusal(ev), badge: ['Refused', 'refused']};
	case 'policy.changed':
		return {what: 'Download policy changed', extra: null, badge};
	case 'task.started_now':
		return {what: 'Started now, outside its download window',
		    extra: null, badge};
	case 'verify.requested':
	case 'repair.requested':
	case 'prune.requested':
		return {what: DOCTOR_REQUESTED[ev.event], extra: null, badge};
	case 'task.cancelled':
		return {what: ev.outcome === 'cancelled' ? 'Cancelled' :
		    'Cancel requested', extra: null,
		    badge: ev.outcome === 'cancelled' ? badge : ['Stopping', 'neutral']};
	case 'task.ended':
		return {...ended(ev), badge};
	default:
		return {what: String(ev.event || 'Event'), extra: null, badge};
	}
}

// whoText(ev): "admin", "admin (API key)", or "Model Manager" for what
// the service did by itself (a task's end).
export function whoText(ev) {
	if (typeof ev.user !== 'string' || !ev.user)
		return 'Model Manager';
	return ev.user + (ev.auth === 'api_key' ? ' (API key)' : '');
}

// timeEl(ev): a <time> with the local time, the exact UTC time as its
// title and datetime.
function timeEl(ev) {
	const w = formatWhen(ev.time);
	if (!w)
		return h('span', {class: 'ev-time', text: String(ev.time || '')});
	return h('time', {class: 'ev-time', text: w.local,
	    attrs: {datetime: w.iso, title: w.utc}});
}

// badgeEl([text, kind]): the outcome's badge.
function badgeEl([text, kind]) {
	return h('span', {class: 'ev-badge ev-badge-' + kind, text});
}

// metaEl(ev, d): the badge, who and when of an event.
function metaEl(ev, d) {
	return h('p', {class: 'ev-meta'}, badgeEl(d.badge),
	    h('span', {class: 'ev-who'}, h('span', {class: 'sr-only', text: 'by '}),
	    whoText(ev)),
	    h('span', {class: 'sr-only', text: ', '}), timeEl(ev));
}

// modelEl(ev, model, onGo): the event's model: its name, a link to its
// card, and its repo id; the repo id alone for a model not in the list.
function modelEl(ev, model, onGo) {
	if (typeof ev.model_id !== 'string' || !ev.model_id)
		return null;
	const repo = h('code', {class: 'mono ev-repo', text: ev.model_id});
	if (!model)
		return h('p', {class: 'ev-model'}, repo);
	return h('p', {class: 'ev-model'},
	    h('a', {class: 'ev-link', text: displayName(model),
	    attrs: {href: '#' + domId('card', model.id)},
	    dataset: {focusKey: 'ev:' + ev.id},
	    on: {click: (e) => {
		    e.preventDefault();
		    onGo(model);
	    }}}), ' ', repo);
}

// eventItem(ev, model, onGo): one event of the panel.
function eventItem(ev, model, onGo) {
	const d = describeEvent(ev);
	const warnings = ev.event && ev.event.startsWith('delete.') ?
	    warningsOf(ev) : [];
	return h('li', {class: 'ev ev-' + d.badge[1], attrs: {tabindex: '-1'},
	    dataset: {eventId: String(ev.id), event: String(ev.event || ''),
	    modelId: String(ev.model_id || ''), focusKey: 'evi:' + ev.id}},
	    h('div', {class: 'ev-body'},
	    h('p', {class: 'ev-what', text: d.what}),
	    modelEl(ev, model, onGo),
	    d.extra ? h('p', {class: 'ev-detail', text: d.extra}) : null,
	    warnings.length ? h('p', {class: 'ev-detail',
	    text: 'Warnings: ' + warnings.join('; ')}) : null),
	    metaEl(ev, d));
}

// recentItem(ev): one event of a card's "Recent activity".
function recentItem(ev) {
	const d = describeEvent(ev);
	return h('li', {class: 'ev ev-compact ev-' + d.badge[1],
	    dataset: {eventId: String(ev.id), event: String(ev.event || '')}},
	    h('p', {class: 'ev-what', text: d.what}), metaEl(ev, d));
}

// unavailableText(err): what an admin can do when the trail cannot be read.
function unavailableText(err) {
	if (err && err.status === 503 &&
	    !/database/i.test(detailText(err.detail)))
		return 'The activity is unavailable while the task store is down. ' +
		    'Try again once it is back.';
	return explainError(err);
}

// hasEnd(events, taskId): whether the task.ended event of that task is
// among the events.
function hasEnd(events, taskId) {
	return events.some((e) => e.event === 'task.ended' && e.task_id === taskId);
}

// createActivity({api, root, toggle, modelOf, onGo, isAuthError}): the
// panel in root (an empty, hidden section), opened and closed by the
// header's toggle button; modelOf(id) is a model of the list or null,
// onGo(model) brings its card into view.
export function createActivity({api, root, toggle, modelOf, onGo, isAuthError}) {
	const st = {open: false, modelId: '', events: [], next: null,
	    loaded: false, loading: false, more: false, error: null, seq: 0,
	    retry: null, modelKey: ''};
	const recent = new Map();	// model id -> {events, error, loading, seq}
	let recentSeq = 0;

	const heading = h('h2', {class: 'activity-title', text: 'Activity',
	    attrs: {id: 'activity-title', tabindex: '-1'}});
	const select = h('select', {class: 'input activity-select',
	    attrs: {id: 'activity-model'}});
	const status = h('div', {class: 'activity-status'});
	// The events scroll inside the panel (so that an open panel leaves
	// room for the list of models); focusable, so that a keyboard
	// scrolls it too.
	const list = h('ol', {class: 'ev-list ev-scroll', attrs: {
	    'aria-labelledby': 'activity-title', tabindex: '0'}});
	const more = h('button', {class: 'btn btn-small', text: 'Load more',
	    attrs: {type: 'button'}, dataset: {focusKey: 'activity-more'},
	    on: {click: loadMore}});
	const close = h('button', {class: 'icon-btn activity-close',
	    attrs: {type: 'button', 'aria-label': 'Close activity', title: 'Close'},
	    on: {click: () => closePanel(true)}}, icon('x'));

	build();

	// build(): the panel's fixed parts, once.
	function build() {
		root.setAttribute('aria-labelledby', 'activity-title');
		append(root, [
			h('div', {class: 'activity-head'},
			    h('div', {}, heading,
			    h('p', {class: 'activity-sub',
			    text: 'Who did what, newest first.'})), close),
			h('div', {class: 'activity-tools'},
			    h('label', {class: 'activity-label', text: 'Model',
			    attrs: {for: 'activity-model'}}), select),
			status, list,
			h('div', {class: 'activity-foot'}, more),
		]);
		select.addEventListener('change', () => {
			st.modelId = select.value;
			reload({fresh: true});
		});
		root.addEventListener('keydown', (e) => {
			if (e.key === 'Escape' && !e.defaultPrevented &&
			    e.target.tagName !== 'SELECT') {
				e.preventDefault();
				closePanel(true);
			}
		});
		toggle.prepend(icon('activity'));
		toggle.addEventListener('click', () => {
			if (st.open)
				closePanel(true);
			else
				openPanel();
		});
		syncModels([]);
	}

	// syncModels(models): the filter's options: every model of the list,
	// by type; rebuilt only when the list's ids change.
	function syncModels(models) {
		const key = models.map((m) => m.id).join('\n');
		if (key === st.modelKey && select.options.length > 0)
			return;
		st.modelKey = key;
		clear(select);
		select.appendChild(h('option', {text: 'All models', attrs: {value: ''}}));
		for (const [type, label] of TYPES) {
			const of = models.filter((m) => m.model_type === type);
			if (of.length === 0)
				continue;
			select.appendChild(h('optgroup', {attrs: {label}},
			    of.map((m) => h('option', {text: displayName(m) + ' (' + m.id + ')',
			    attrs: {value: m.id}}))));
		}
		if (st.modelId && !models.some((m) => m.id === st.modelId))
			select.appendChild(h('option', {text: st.modelId,
			    attrs: {value: st.modelId}}));
		select.value = st.modelId;
	}

	// openPanel(modelId): shows the panel (filtered on modelId when
	// given), reads the trail, and gives the focus to its heading.
	function openPanel(modelId) {
		const filter = modelId !== undefined && modelId !== st.modelId;
		if (filter) {
			st.modelId = modelId;
			if (![...select.options].some((o) => o.value === modelId))
				select.appendChild(h('option', {text: modelId,
				    attrs: {value: modelId}}));
			select.value = modelId;
		}
		st.open = true;
		root.hidden = false;
		toggle.setAttribute('aria-expanded', 'true');
		toggle.classList.add('is-active');
		reload({fresh: filter || !st.loaded});
		heading.focus();
	}

	// closePanel(focusToggle): hides the panel; the focus goes back to
	// the header's button when it was inside.
	function closePanel(focusToggle) {
		const inside = root.contains(document.activeElement);
		st.open = false;
		root.hidden = true;
		clearTimeout(st.retry);
		toggle.setAttribute('aria-expanded', 'false');
		toggle.classList.remove('is-active');
		if (focusToggle || inside)
			toggle.focus();
	}

	// reload({fresh, until, tries}): reads the newest page again; fresh
	// drops what is shown first (another filter).  until(events): read
	// again a little later while it is false (at most `tries` times).
	async function reload({fresh = false, until = null, tries = END_TRIES} = {}) {
		if (!st.open)
			return;
		clearTimeout(st.retry);
		const seq = ++st.seq;
		if (fresh) {
			st.events = [];
			st.next = null;
			st.loaded = false;
		}
		st.loading = true;
		st.error = null;
		render();
		let page = null;
		try {
			page = await api.audit({limit: PAGE_SIZE, modelId: st.modelId});
		} catch (err) {
			if (seq !== st.seq || isAuthError(err))
				return;
			st.error = err;
		}
		if (seq !== st.seq)
			return;
		st.loading = false;
		if (page) {
			st.events = Array.isArray(page.events) ? page.events : [];
			st.next = page.next_before || null;
			st.loaded = true;
		}
		render();
		if (page && until && !until(st.events) && tries > 1) {
			st.retry = setTimeout(() => reload({until, tries: tries - 1}),
			    END_RETRY_MS);
		}
	}

	// loadMore(): the next page (older events), appended; the focus goes
	// to the first of them.
	async function loadMore() {
		if (!st.next || st.more)
			return;
		const seq = st.seq;
		st.more = true;
		render();
		let page = null;
		try {
			page = await api.audit({limit: PAGE_SIZE, before: st.next,
			    modelId: st.modelId});
		} catch (err) {
			if (seq !== st.seq || isAuthError(err))
				return;
			st.more = false;
			render();
			announce('Older activity could not be loaded: ' +
			    unavailableText(err), true);
			return;
		}
		if (seq !== st.seq)
			return;
		st.more = false;
		const known = new Set(st.events.map((e) => e.id));
		const added = (Array.isArray(page.events) ? page.events : [])
		    .filter((e) => !known.has(e.id));
		st.events = st.events.concat(added);
		st.next = page.next_before || null;
		render();
		announce(added.length ? plural(added.length, 'older event') + ' loaded' :
		    'No older events');
		const first = added.length ? list.querySelector('[data-event-id="' +
		    CSS.escape(String(added[0].id)) + '"]') : null;
		if (first)
			first.focus();
		else if (!st.next)
			heading.focus();
	}

	// render(): the status line (loading, empty, error), the events and
	// "Load more", keeping the focus where it was.
	function render() {
		const key = focusKeyOfActive();
		clear(status);
		clear(list);
		list.setAttribute('aria-busy', st.loading ? 'true' : 'false');
		if (st.error) {
			append(status, [h('div', {class: 'activity-error',
			    attrs: {role: 'alert'}},
			    icon('alert', 'activity-error-icon'),
			    h('p', {text: unavailableText(st.error)}),
			    h('button', {class: 'btn btn-small', attrs: {type: 'button'},
			    dataset: {focusKey: 'activity-retry'},
			    on: {click: () => reload()}}, icon('refresh'), 'Retry'))]);
		} else if (st.loading && !st.loaded) {
			status.appendChild(h('p', {class: 'muted', text: 'Loading activity…'}));
		} else if (st.loaded && st.events.length === 0) {
			const m = st.modelId ? modelOf(st.modelId) : null;
			status.appendChild(h('p', {class: 'activity-empty',
			    text: st.modelId ? 'No activity recorded for ' +
			    (m ? displayName(m) : st.modelId) + ' yet.' :
			    'No activity recorded yet.'}));
		}
		// After an error, no older answer is shown as if it were current.
		const shown = st.error ? [] : st.events;
		for (const ev of shown)
			list.appendChild(eventItem(ev, ev.model_id ? modelOf(ev.model_id) : null,
			    onGo));
		list.hidden = shown.length === 0;
		more.hidden = !st.next || !!st.error;
		more.setAttribute('aria-busy', st.more ? 'true' : 'false');
		more.classList.toggle('is-busy', st.more);
		more.textContent = st.more ? 'Loading…' : 'Load more';
		if (key)
			restoreFocus(root, key);
	}

	// recentNode(model): the "Recent activity" part of a model's details,
	// from what was last read (read again when the details open).
	function recentNode(model) {
		const r = recent.get(model.id);
		const titleId = domId('recent-title', model.id);
		const body = [];
		if (!r || (r.loading && !r.events)) {
			body.push(h('p', {class: 'muted', text: 'Loading recent activity…'}));
		} else if (r.error) {
			body.push(h('p', {class: 'recent-error', text: unavailableText(r.error)}));
		} else if (r.events.length === 0) {
			body.push(h('p', {class: 'muted recent-empty',
			    text: 'No activity recorded yet.'}));
		} else {
			body.push(h('ol', {class: 'ev-list ev-list-compact',
			    attrs: {'aria-labelledby': titleId}}, r.events.map(recentItem)));
		}
		return h('section', {class: 'recent', attrs: {id: domId('recent', model.id),
		    'aria-labelledby': titleId}},
		    h('h4', {class: 'recent-title', text: 'Recent activity',
		    attrs: {id: titleId}}),
		    body,
		    h('button', {class: 'link-btn recent-all', attrs: {type: 'button'},
		    dataset: {focusKey: 'recent-all:' + model.id},
		    on: {click: () => openPanel(model.id)}},
		    'Show all activity', h('span', {class: 'sr-only',
		    text: ' of ' + displayName(model)})));
	}

	// showRecent(modelId): puts the model's "Recent activity" in place in
	// its card, if the card is there.
	function showRecent(modelId) {
		const el = document.getElementById(domId('recent', modelId));
		const model = modelOf(modelId);
		if (!el || !model)
			return;
		const key = focusKeyOfActive();
		el.replaceWith(recentNode(model));
		if (key)
			restoreFocus(document, key);
	}

	// loadRecent(modelId, until): reads the model's last events for its
	// card; until(events) as for reload().
	async function loadRecent(modelId, until = null, tries = END_TRIES) {
		const seq = ++recentSeq;
		const r = recent.get(modelId) || {events: null, error: null};
		r.loading = true;
		r.seq = seq;
		recent.set(modelId, r);
		showRecent(modelId);
		let page = null;
		try {
			page = await api.audit({limit: RECENT_SIZE, modelId});
		} catch (err) {
			if (r.seq !== seq || isAuthError(err))
				return;
			r.error = err;
		}
		if (r.seq !== seq)
			return;
		r.loading = false;
		if (page) {
			r.error = null;
			r.events = Array.isArray(page.events) ? page.events : [];
		}
		showRecent(modelId);
		if (page && until && !until(r.events) && tries > 1)
			setTimeout(() => {
				if (r.seq === seq && isShown(modelId))
					loadRecent(modelId, until, tries - 1);
			}, END_RETRY_MS);
	}

	// isShown(modelId): the model's details are open on the page.
	function isShown(modelId) {
		const el = document.getElementById(domId('recent', modelId));
		const details = el && el.closest('.card-details');
		return !!details && !details.hidden;
	}

	// touched(modelId, taskId): something happened to a model through the
	// page (a request answered, a task ended): the panel and the model's
	// open details are read again; with taskId, until its end is there.
	function touched(modelId, taskId) {
		const until = taskId ? (events) => hasEnd(events, taskId) : null;
		if (st.open && (!st.modelId || st.modelId === modelId))
			reload({until});
		if (modelId && isShown(modelId))
			loadRecent(modelId, until);
	}

	return {
		open: openPanel,
		close: closePanel,
		isOpen: () => st.open,
		refresh: () => reload(),
		syncModels,
		recentNode,
		loadRecent: (modelId) => loadRecent(modelId),
		touched,
	};
}
