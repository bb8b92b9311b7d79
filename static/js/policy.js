// The download policy on the Models page: one line above the list
// ("Downloads limited to 20 MB/s, 01:00–06:00 Europe/Berlin · Change") and
// the dialog that changes it (PUT /policy; the server's 422 errors shown
// beside the fields they name).  The cap is shown and entered in MB/s of
// 1024 x 1024 bytes, as the page shows every size and speed.

import {h, icon, clear, append} from './dom.js';
import {openDialog} from './dialog.js';
import {formatBytes} from './format.js';
import {toast} from './toast.js';
import {explainError} from './api.js';

const MIB = 1024 * 1024;
const WINDOWS_MAX = 16;

// capText(bps): "20 MB/s", "1.5 MB/s" (no ".0").
export function capText(bps) {
	return formatBytes(bps).replace(/\.0 /, ' ') + '/s';
}

// windowsText(p): "01:00–06:00, 13:00–14:00 Europe/Berlin" or "any time".
export function windowsText(p) {
	const ws = Array.isArray(p.windows) ? p.windows : [];
	if (ws.length === 0)
		return 'any time';
	return ws.map((w) => w.start + '\u2013' + w.end).join(', ') + ' ' + p.timezone;
}

// policyText(p): the line's sentence.
export function policyText(p) {
	const speed = p.max_bytes_per_second ?
	    'Downloads limited to ' + capText(p.max_bytes_per_second) :
	    'Downloads at full speed';
	const pause = p.pause_outside_window && (p.windows || []).length > 0 ?
	    ' (paused outside)' : '';
	return speed + ', ' + windowsText(p) + pause;
}

// createPolicy({api, root, isAuthError}): the line in root; load() reads
// the policy again (on start and Refresh).
export function createPolicy({api, root, isAuthError}) {
	let current = null;
	let seq = 0;

	function render(error) {
		clear(root);
		root.hidden = !current && !error;
		if (root.hidden)
			return;
		const text = current ? policyText(current) :
		    'Download policy unavailable: ' + explainError(error);
		append(root, [
			icon('download', 'policy-icon'),
			h('p', {class: 'policy-text', text}),
			current ? h('span', {class: 'sep', text: ' \u00b7 ',
			    attrs: {'aria-hidden': 'true'}}) : null,
			current ? h('button', {class: 'link-btn', text: 'Change',
			    attrs: {type: 'button',
			    'aria-label': 'Change the download policy'},
			    dataset: {focusKey: 'policy-change'},
			    on: {click: () => openPolicyDialog(api, current, saved)}}) :
			    null,
		]);
	}

	function saved(p) {
		current = p;
		render(null);
		const btn = root.querySelector('button');
		if (btn)
			btn.focus();
	}

	async function load() {
		const mine = ++seq;
		try {
			const p = await api.policy();
			if (mine !== seq)
				return;
			current = p;
			render(null);
		} catch (err) {
			if (mine !== seq || isAuthError(err))
				return;
			if (!current)
				render(err);
		}
	}

	return {load};
}

// ------------------------------------------------------------ the dialog

let fieldSeq = 0;

// labelled(label, input): a label above its input.
function labelled(label, input) {
	return h('div', {class: 'pol-field'},
	    h('label', {text: label, attrs: {for: input.id}}), input);
}

function newId(prefix) {
	return prefix + '-' + (++fieldSeq);
}

// The form's state and nodes.
function buildForm(p) {
	const f = {rows: []};
	f.limit = h('input', {attrs: {type: 'checkbox', id: newId('pol-limit')}});
	f.limit.checked = !!p.max_bytes_per_second;
	f.rate = h('input', {class: 'input', attrs: {type: 'number', min: '0.0625',
	    step: 'any', inputmode: 'decimal', id: newId('pol-rate')}});
	f.rate.value = p.max_bytes_per_second ?
	    String(Math.round(p.max_bytes_per_second / MIB * 1000) / 1000) : '';
	f.rate.disabled = !f.limit.checked;
	f.limit.addEventListener('change', () => {
		f.rate.disabled = !f.limit.checked;
		if (f.limit.checked)
			f.rate.focus();
	});
	f.list = h('ul', {class: 'pol-windows'});
	f.empty = h('p', {class: 'muted pol-empty', text: 'No window: downloads run any time.'});
	f.add = h('button', {class: 'btn btn-small', text: 'Add window',
	    attrs: {type: 'button'}, on: {click: () => {
		    addRow(f, {start: '01:00', end: '06:00'});
		    f.rows[f.rows.length - 1].start.focus();
	    }}});
	f.tz = h('input', {class: 'input', attrs: {type: 'text', id: newId('pol-tz'),
	    list: 'pol-zones', autocomplete: 'off', spellcheck: 'false'}});
	f.tz.value = p.timezone || 'UTC';
	f.pause = h('input', {attrs: {type: 'checkbox', id: newId('pol-pause')}});
	f.pause.checked = !!p.pause_outside_window;
	f.errors = h('div', {class: 'pol-errors', attrs: {role: 'alert'}});
	for (const w of p.windows || [])
		addRow(f, w);
	syncRows(f);
	return f;
}

// addRow(f, window): one window's two times and its Remove button.
function addRow(f, w) {
	const row = {};
	row.start = h('input', {class: 'input', attrs: {type: 'time',
	    id: newId('pol-start')}});
	row.end = h('input', {class: 'input', attrs: {type: 'time',
	    id: newId('pol-end')}});
	row.start.value = w.start;
	row.end.value = w.end;
	row.remove = h('button', {class: 'icon-btn', attrs: {type: 'button',
	    title: 'Remove'}, on: {click: () => {
		    f.rows.splice(f.rows.indexOf(row), 1);
		    row.li.remove();
		    syncRows(f);
		    f.add.focus();
	    }}}, icon('x'));
	row.li = h('li', {class: 'pol-window'},
	    labelled('From', row.start), labelled('To', row.end), row.remove);
	f.rows.push(row);
	f.list.appendChild(row.li);
	syncRows(f);
}

// syncRows(f): the names of the rows' buttons, the empty text, Add.
function syncRows(f) {
	f.rows.forEach((row, i) => {
		row.remove.setAttribute('aria-label', 'Remove window ' + (i + 1));
		row.start.setAttribute('aria-label', 'Window ' + (i + 1) + ' from');
		row.end.setAttribute('aria-label', 'Window ' + (i + 1) + ' to');
	});
	f.empty.hidden = f.rows.length > 0;
	f.add.disabled = f.rows.length >= WINDOWS_MAX;
}

// zoneList(): the browser's time zones, for the zone field's suggestions.
function zoneList() {
	let zones = [];
	try {
		zones = Intl.supportedValuesOf('timeZone');
	} catch (e) {
		zones = ['UTC'];
	}
	return h('datalist', {attrs: {id: 'pol-zones'}},
	    zones.map((z) => h('option', {attrs: {value: z}})));
}

function formContent(f) {
	return [
		h('fieldset', {class: 'pol-group'},
		    h('legend', {text: 'Speed'}),
		    h('label', {class: 'pol-check'}, f.limit,
		    ' Limit the speed of all downloads together'),
		    labelled('Limit (MB/s)', f.rate)),
		h('fieldset', {class: 'pol-group'},
		    h('legend', {text: 'Download windows'}),
		    f.empty, f.list, h('div', {}, f.add),
		    labelled('Time zone', f.tz), zoneList(),
		    h('label', {class: 'pol-check'}, f.pause,
		    ' Pause running downloads outside the windows')),
		f.errors,
	];
}

// bodyOf(f): the PUT body (every field).
function bodyOf(f) {
	const rate = Number(f.rate.value);
	return {
		max_bytes_per_second: f.limit.checked ?
		    (Number.isFinite(rate) && f.rate.value !== '' ?
		    Math.round(rate * MIB) : f.rate.value) : null,
		windows: f.rows.map((r) => ({start: r.start.value, end: r.end.value})),
		timezone: f.tz.value.trim(),
		pause_outside_window: f.pause.checked,
	};
}

// inputOf(f, loc): the input a 422 error's loc names, and its label.
function inputOf(f, loc) {
	const [, field, index, sub] = loc || [];
	if (field === 'max_bytes_per_second')
		return [f.rate, 'Limit'];
	if (field === 'timezone')
		return [f.tz, 'Time zone'];
	if (field === 'pause_outside_window')
		return [f.pause, 'Pause'];
	if (field === 'windows' && Number.isInteger(index) && f.rows[index]) {
		const row = f.rows[index];
		const what = 'Window ' + (index + 1);
		if (sub === 'end')
			return [row.end, what + ' to'];
		return [row.start, sub === 'start' ? what + ' from' : what];
	}
	return [null, 'Policy'];
}

// showErrors(f, errors): each error beside its field's name, the fields
// marked invalid; the first one focused.
function showErrors(f, errors) {
	for (const el of f.errors.closest('.dialog-body').querySelectorAll('[aria-invalid]'))
		el.removeAttribute('aria-invalid');
	clear(f.errors);
	const items = [];
	let first = null;
	for (const e of errors) {
		const [input, label] = Array.isArray(e.loc) ? inputOf(f, e.loc) : [null, 'Error'];
		const msg = String(e.msg || e).replace(/^Value error, /, '');
		items.push(h('li', {text: label + ': ' + msg}));
		if (input) {
			input.setAttribute('aria-invalid', 'true');
			first = first || input;
		}
	}
	f.errors.appendChild(h('ul', {}, items));
	if (first && !first.disabled)
		first.focus();
}

// openPolicyDialog(api, p, onSaved): the form; Save sends the whole
// policy.
function openPolicyDialog(api, p, onSaved) {
	const f = buildForm(p);
	openDialog({
		title: 'Download policy',
		content: formContent(f),
		confirmLabel: 'Save',
		async onConfirm(ctl) {
			ctl.setBusy(true);
			try {
				const saved = await api.putPolicy(bodyOf(f));
				ctl.close();
				toast('Download policy saved', 'success');
				onSaved(saved);
			} catch (err) {
				ctl.setBusy(false);
				if (err.status === 422 && Array.isArray(err.detail))
					showErrors(f, err.detail);
				else
					showErrors(f, [{msg: explainError(err)}]);
			}
		},
	});
}
