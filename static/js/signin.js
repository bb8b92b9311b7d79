// The sign-in screens: no token, an expired one, one the server does not
// accept, an inactive account, a user who is not a superuser.  Each says
// what happened and how to get a token that works.

import {h, icon, clear, append} from './dom.js';

// The server's 401 reasons, in words an admin can act on.
const REASONS = {
	'Invalid API key': 'The server does not know this token: it is neither ' +
	    'a valid access token nor an active API key (it may be mistyped, ' +
	    'cut short or revoked).',
	'Invalid authentication credentials': 'The server cannot verify this ' +
	    'access token: it was not issued by this deployment or it was altered.',
	'User not found': 'The token names a user that does not exist in the ' +
	    'host application.',
	'Not authenticated': 'The request carried no token.',
};

// howToGetToken(): where a token comes from, for every screen.
function howToGetToken() {
	return h('p', {class: 'auth-howto'},
	    'To get a token, sign in to the host application and copy your access ' +
	    'token, or on the server host run ', h('code', {text: 'mm-api -T <username>'}),
	    ' (it prints a token for that user). Then open this page with ',
	    h('code', {text: '#token=<token>'}), ' at the end of its address, or ' +
	    'paste the token below. It is kept in this browser until you sign out.');
}

// tokenForm(onToken): "Or paste an access token" and "Use token".
function tokenForm(onToken) {
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
		if (t)
			onToken(t);
	});
	return form;
}

// expiredText(expiresAt): "It expired on 2025-03-01 14:05 UTC (3 h ago)."
function expiredText(expiresAt) {
	const when = new Date(expiresAt * 1000);
	const stamp = when.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
	const mins = Math.max(0, Math.round((Date.now() - when.getTime()) / 60000));
	const ago = mins < 1 ? 'moments ago' : mins < 120 ? mins + ' min ago' :
	    mins < 2880 ? Math.round(mins / 60) + ' h ago' :
	    Math.round(mins / 1440) + ' days ago';
	return 'It expired on ' + stamp + ' (' + ago + '). Access tokens are ' +
	    'valid for a limited time; get a new one.';
}

// signOutButton(onSignOut).
function signOutButton(onSignOut) {
	return h('button', {class: 'btn btn-primary', attrs: {type: 'button'},
	    on: {click: onSignOut}}, icon('logout'), 'Sign out');
}

// screen(auth, who, onSignOut, onToken): [icon, heading, nodes...].
function screen(auth, who, onSignOut, onToken) {
	const detail = auth.error && typeof auth.error.detail === 'string' ?
	    auth.error.detail : '';
	const as = who ? 'You are signed in as ' + who + '. ' : '';
	switch (auth.kind) {
	case 'forbidden':
		return ['Superuser access required', [
			h('p', {text: as + 'Model management changes the model cache ' +
			    'shared by every user, so only a superuser can use this page.'}),
			howToGetToken(), signOutButton(onSignOut)]];
	case 'inactive':
		return ['Your account is inactive', [
			h('p', {text: as + 'The host application has deactivated this ' +
			    'account. An administrator of the host application can ' +
			    'activate it again; or sign in as another user.'}),
			howToGetToken(), signOutButton(onSignOut)]];
	case 'expired':
		return ['Your access token has expired', [
			h('p', {class: 'auth-detail', text: expiredText(auth.token.expiresAt)}),
			howToGetToken(), tokenForm(onToken)]];
	case 'invalid':
		return ['Your access token was not accepted', [
			h('p', {class: 'auth-detail', text: REASONS[detail] || detail}),
			howToGetToken(), tokenForm(onToken)]];
	default:
		return ['Sign in required', [
			h('p', {text: 'This page needs an administrator’s access token.'}),
			howToGetToken(), tokenForm(onToken)]];
	}
}

// renderAuthPanel(panel, auth, {signedInAs, onSignOut, onToken}): the
// screen of auth ({kind, error, token}), hidden when auth is null.
export function renderAuthPanel(panel, auth, {signedInAs, onSignOut, onToken}) {
	clear(panel);
	panel.hidden = !auth;
	if (!auth)
		return;
	const who = auth.token && auth.token.user ? auth.token.user : signedInAs;
	const [title, nodes] = screen(auth, who, onSignOut, onToken);
	const warn = auth.kind === 'forbidden' || auth.kind === 'inactive';
	append(panel, [icon(warn ? 'warning' : 'alert', 'state-icon'),
	    h('h2', {text: title}), nodes]);
}
