// Toasts: short notices in a stack that takes its own room at the bottom
// of the window (it never covers the page), and the screen reader
// announcements: a polite live region for news and milestones, an
// assertive one for errors.

import {h, icon} from './dom.js';

const ICON_OF = {success: 'check', info: 'alert', warning: 'warning',
    error: 'alert'};

// announce(text, assertive): says text through the live regions.
export function announce(text, assertive = false) {
	const region = document.getElementById(assertive ? 'announce-assertive' :
	    'announce-polite');
	if (!region)
		return;
	// A fresh node each time, so that the same words are read again.
	region.replaceChildren(h('p', {text}));
}

// toast(message, type): type = success | info | warning | error.  Errors
// stay until dismissed; the others close by themselves after a while.
export function toast(message, type = 'info') {
	const region = document.getElementById('toasts');
	if (!region)
		return;
	const item = h('div', {class: 'toast toast-' + type,
	    dataset: {type}},
	    icon(ICON_OF[type] || 'alert', 'toast-icon'),
	    h('p', {class: 'toast-text', text: message}));
	const close = h('button', {class: 'icon-btn toast-close',
	    attrs: {type: 'button', 'aria-label': 'Dismiss notification',
	    title: 'Dismiss'}}, icon('x'));
	item.appendChild(close);
	let timer = null;
	const remove = () => {
		clearTimeout(timer);
		item.remove();
	};
	close.addEventListener('click', remove);
	if (type !== 'error')
		timer = setTimeout(remove, 8000);
	region.appendChild(item);
	announce(message, type === 'error');
	// At most five at once: the oldest that is not an error goes first.
	while (region.children.length > 5) {
		const old = Array.from(region.children).find((t) =>
		    t.dataset.type !== 'error') || region.firstElementChild;
		old.remove();
	}
}
