// DOM helpers.  Every string from the server (model names, collection
// names, task errors from the Hub) goes into the page as a text node,
// never as markup: h() has no way to set innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h(tag, props, ...children): a new element.  props: class, text,
// attrs ({name: value}, null/false skips), on ({event: handler}),
// dataset ({key: value}), hidden, disabled.  Children: nodes or strings
// (strings become text nodes); null/false/undefined are skipped.
export function h(tag, props, ...children) {
	const el = document.createElement(tag);
	const p = props || {};
	if (p.class)
		el.className = p.class;
	if (p.text !== undefined && p.text !== null)
		el.textContent = String(p.text);
	if (p.attrs) {
		for (const [name, value] of Object.entries(p.attrs)) {
			if (value === null || value === undefined || value === false)
				continue;
			el.setAttribute(name, value === true ? '' : String(value));
		}
	}
	if (p.dataset) {
		for (const [key, value] of Object.entries(p.dataset))
			el.dataset[key] = String(value);
	}
	if (p.on) {
		for (const [event, handler] of Object.entries(p.on))
			el.addEventListener(event, handler);
	}
	if (p.hidden)
		el.hidden = true;
	if (p.disabled)
		el.disabled = true;
	append(el, children);
	return el;
}

// append(parent, children): appends nodes and strings (as text).
export function append(parent, children) {
	for (const child of children.flat()) {
		if (child === null || child === undefined || child === false)
			continue;
		parent.appendChild(child instanceof Node ? child :
		    document.createTextNode(String(child)));
	}
	return parent;
}

// clear(el): removes every child of el.
export function clear(el) {
	while (el.firstChild)
		el.removeChild(el.firstChild);
	return el;
}

// The icons: 24x24 stroked paths, drawn with createElementNS.
const ICONS = {
	refresh: ['M21 12a9 9 0 0 1-15.4 6.4L3 16', 'M3 12a9 9 0 0 1 15.4-6.4L21 8',
	    'M21 3v5h-5', 'M3 21v-5h5'],
	download: ['M12 3v12', 'M7 10l5 5 5-5', 'M5 21h14'],
	trash: ['M4 7h16', 'M10 11v6', 'M14 11v6',
	    'M6 7l1 13a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1l1-13', 'M9 7V4h6v3'],
	chevronDown: ['M6 9l6 6 6-6'],
	chevronUp: ['M6 15l6-6 6 6'],
	check: ['M5 12l5 5L20 7'],
	x: ['M6 6l12 12', 'M18 6L6 18'],
	alert: ['M12 8v5', 'M12 16.5v.5', 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18'],
	warning: ['M12 9v4', 'M12 16.5v.5', 'M10.3 3.9L2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z'],
	disk: ['M3 13h18', 'M5 5h14l2 8v6H3v-6z', 'M7 17h.01'],
	cpu: ['M7 7h10v10H7z', 'M10 3v4', 'M14 3v4', 'M10 17v4', 'M14 17v4',
	    'M3 10h4', 'M3 14h4', 'M17 10h4', 'M17 14h4'],
	database: ['M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3z',
	    'M4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6', 'M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3'],
	search: ['M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14', 'M20 20l-4-4'],
	stop: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18', 'M9 9h6v6H9z'],
	logout: ['M15 4h4v16h-4', 'M10 8l-4 4 4 4', 'M6 12h10'],
	spinner: ['M12 3a9 9 0 1 0 9 9'],
	activity: ['M3 12h4l3-7 4 14 3-7h4'],
	upgrade: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18', 'M12 16V8', 'M8 12l4-4 4 4'],
};

// icon(name, extraClass): a decorative SVG icon (aria-hidden).
export function icon(name, extraClass) {
	const svg = document.createElementNS(SVG_NS, 'svg');
	svg.setAttribute('viewBox', '0 0 24 24');
	svg.setAttribute('aria-hidden', 'true');
	svg.setAttribute('focusable', 'false');
	svg.setAttribute('class', 'icon' + (extraClass ? ' ' + extraClass : ''));
	for (const d of ICONS[name] || []) {
		const path = document.createElementNS(SVG_NS, 'path');
		path.setAttribute('d', d);
		svg.appendChild(path);
	}
	return svg;
}

// focusKeyOfActive(): the data-focus-key of the focused element, so that a
// re-render can give the focus back to its successor.
export function focusKeyOfActive() {
	const el = document.activeElement;
	return el && el.dataset ? el.dataset.focusKey || null : null;
}

// restoreFocus(root, key): focuses the element of root with that key.
export function restoreFocus(root, key) {
	if (!key)
		return;
	const el = root.querySelector('[data-focus-key="' + CSS.escape(key) + '"]');
	if (el && el !== document.activeElement && !el.disabled)
		el.focus({preventScroll: true});
}
