// Toasts: short notices in a polite live region, closed by their X or
// after a while.

import {h, icon} from './dom.js';

const ICON_OF = {success: 'check', info: 'alert', warning: 'warning',
    error: 'alert'};

// toast(message, type): type = success | info | warning | error.
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
	const remove = () => {
		clearTimeout(timer);
		item.remove();
	};
	close.addEventListener('click', remove);
	const timer = setTimeout(remove, type === 'error' ? 10000 : 6000);
	region.appendChild(item);
	// At most five at once.
	while (region.children.length > 5)
		region.firstElementChild.remove();
}
