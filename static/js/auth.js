// The access token: taken from the page URL's fragment (#token=...), kept
// in localStorage, removed from the address bar, forgotten on sign-out.

const KEY = 'model-manager.token';
let memoryToken = null;	// when localStorage is unavailable

// takeTokenFromUrl(): moves a #token=... of the address into storage and
// removes it from the address bar (and so from the history entry).
export function takeTokenFromUrl() {
	const hash = window.location.hash.replace(/^#/, '');
	if (!hash)
		return;
	const params = new URLSearchParams(hash);
	const token = params.get('token');
	if (token === null)
		return;
	params.delete('token');
	if (token.trim() !== '')
		setToken(token.trim());
	const rest = params.toString();
	const url = window.location.pathname + window.location.search +
	    (rest ? '#' + rest : '');
	window.history.replaceState(window.history.state, '', url);
}

// getToken(): the stored token or null.
export function getToken() {
	try {
		const t = window.localStorage.getItem(KEY);
		if (t)
			return t;
	} catch (e) {
		// Storage disabled: the in-memory copy below.
	}
	return memoryToken;
}

// setToken(token): stores the token.
export function setToken(token) {
	memoryToken = token;
	try {
		window.localStorage.setItem(KEY, token);
	} catch (e) {
		// Kept in memory only.
	}
}

// forgetToken(): removes the stored token.
export function forgetToken() {
	memoryToken = null;
	try {
		window.localStorage.removeItem(KEY);
	} catch (e) {
		// Nothing stored.
	}
}

// describeToken(token): {user, expiresAt} read (not verified) from a JWT's
// payload, for display only; {user: null} for an API key.
export function describeToken(token) {
	const out = {user: null, expiresAt: null, isJwt: false};
	if (!token)
		return out;
	const parts = token.split('.');
	if (parts.length !== 3)
		return out;
	out.isJwt = true;
	try {
		let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
		while (b64.length % 4)
			b64 += '=';
		const bin = window.atob(b64);
		const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
		const payload = JSON.parse(new TextDecoder().decode(bytes));
		if (typeof payload.sub === 'string')
			out.user = payload.sub;
		if (typeof payload.exp === 'number')
			out.expiresAt = payload.exp;
	} catch (e) {
		// Not readable: the server decides.
	}
	return out;
}
