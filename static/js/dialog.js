// A modal dialog: role=dialog with aria-modal, the rest of the page made
// inert, focus trapped inside (Tab and Shift+Tab wrap), Escape and the
// backdrop cancel, the focus goes back where it was on close.

import {h, clear, append} from './dom.js';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), ' +
    'select:not([disabled]), textarea:not([disabled]), ' +
    '[tabindex]:not([tabindex="-1"])';

let seq = 0;

// openDialog({title, content, confirmLabel, cancelLabel, danger, onConfirm,
// onClose, returnFocus}): shows the dialog; content is a list of nodes.
// onConfirm(ctl) runs on the confirm button only; ctl = {close, setBusy,
// setContent}.  returnFocus() replaces the default of focusing again what
// had the focus before.  Returns ctl.
export function openDialog({title, content, confirmLabel, cancelLabel = 'Cancel',
    danger = false, onConfirm, onClose, returnFocus}) {
	const root = document.getElementById('dialog-root');
	const page = document.getElementById('page');
	const n = ++seq;
	const returnTo = document.activeElement;
	let busy = false;
	let open = true;

	const titleEl = h('h2', {class: 'dialog-title', text: title,
	    attrs: {id: 'dialog-title-' + n}});
	const body = h('div', {class: 'dialog-body',
	    attrs: {id: 'dialog-body-' + n}});
	const cancelBtn = h('button', {class: 'btn', text: cancelLabel,
	    attrs: {type: 'button'}});
	const confirmBtn = h('button', {class: 'btn ' +
	    (danger ? 'btn-danger' : 'btn-primary'), text: confirmLabel,
	    attrs: {type: 'button'}});
	const dialog = h('div', {class: 'dialog', attrs: {role: 'dialog',
	    'aria-modal': 'true', 'aria-labelledby': titleEl.id,
	    'aria-describedby': body.id}},
	    titleEl, body,
	    h('div', {class: 'dialog-actions'}, cancelBtn, confirmBtn));
	const backdrop = h('div', {class: 'backdrop'});
	const wrap = h('div', {class: 'dialog-wrap'}, backdrop, dialog);

	function focusables() {
		return Array.from(dialog.querySelectorAll(FOCUSABLE));
	}

	function onKey(e) {
		if (e.key === 'Escape') {
			e.preventDefault();
			if (!busy)
				close();
			return;
		}
		if (e.key !== 'Tab')
			return;
		const items = focusables();
		if (items.length === 0) {
			e.preventDefault();
			dialog.focus();
			return;
		}
		const first = items[0];
		const last = items[items.length - 1];
		const inside = dialog.contains(document.activeElement);
		if (e.shiftKey && (document.activeElement === first || !inside)) {
			e.preventDefault();
			last.focus();
		} else if (!e.shiftKey && (document.activeElement === last || !inside)) {
			e.preventDefault();
			first.focus();
		}
	}

	function onFocusIn(e) {
		if (!dialog.contains(e.target)) {
			const items = focusables();
			(items[0] || dialog).focus();
		}
	}

	function close() {
		if (!open)
			return;
		open = false;
		document.removeEventListener('keydown', onKey, true);
		document.removeEventListener('focusin', onFocusIn);
		wrap.remove();
		if (page)
			page.inert = false;
		document.body.classList.remove('modal-open');
		if (onClose)
			onClose();
		if (returnFocus)
			returnFocus();
		else if (returnTo && returnTo.isConnected && typeof returnTo.focus === 'function')
			returnTo.focus();
	}

	function setBusy(b) {
		busy = b;
		cancelBtn.disabled = b;
		confirmBtn.disabled = b;
		confirmBtn.classList.toggle('is-busy', b);
		dialog.setAttribute('aria-busy', b ? 'true' : 'false');
		if (!b && !dialog.contains(document.activeElement))
			confirmBtn.focus();
	}

	function setContent(nodes) {
		append(clear(body), nodes);
	}

	const ctl = {close, setBusy, setContent, get isOpen() {
		return open;
	}};

	cancelBtn.addEventListener('click', () => {
		if (!busy)
			close();
	});
	backdrop.addEventListener('click', () => {
		if (!busy)
			close();
	});
	confirmBtn.addEventListener('click', () => {
		if (!busy)
			onConfirm(ctl);
	});

	dialog.tabIndex = -1;
	setContent(content);
	root.appendChild(wrap);
	if (page)
		page.inert = true;
	document.body.classList.add('modal-open');
	document.addEventListener('keydown', onKey, true);
	document.addEventListener('focusin', onFocusIn);
	cancelBtn.focus();
	return ctl;
}
