// Helpers of the browser tests: a headless Chromium per test (a fresh
// profile each time), the API, the fake hub's faults, SQL and Redis on the
// test's own stack, and screenshots at desktop and phone widths.
//
// Environment (set by tests/integration/test_browser.sh): MM_BASE_URL,
// MM_TOKEN (superuser), MM_ALICE_TOKEN (regular user), JWT_SECRET_KEY,
// MM_FAKEHUB_URL, MM_VAR, MM_PGHOST, REDIS_URL, HF_HUB_CACHE, MM_SHOTS
// (screenshot folder), MM_BROWSER_TMP (browser profiles), CHROMIUM (path),
// MM_STACK_SH (the stack script, to start Redis again).

import {createRequire} from 'node:module';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const {chromium} = require('playwright-core');

export const env = process.env;
export const BASE = need('MM_BASE_URL');
export const TOKEN = need('MM_TOKEN');

function need(name) {
	if (!env[name])
		throw new Error(name + ' is not set: run tests/integration/test_browser.sh');
	return env[name];
}

export const DESKTOP = {width: 1440, height: 900};
export const NARROW = {width: 390, height: 844};

// Every text put into the page's live regions, in order, as
// window.__said (an init script: the page's CSP does not apply to it).
function recordAnnouncements() {
	window.__said = [];
	const seen = new WeakSet();
	new MutationObserver((records) => {
		for (const r of records) {
			const region = r.target.closest && r.target.closest('[aria-live]');
			if (!region || seen.has(r.target))
				continue;
			const text = region.textContent.trim();
			if (text)
				window.__said.push((region.id === 'announce-assertive' ?
				    'assertive: ' : 'polite: ') + text);
		}
	}).observe(document, {childList: true, subtree: true, characterData: true});
}

// openBrowser(): {context, page, requests, problems, close}.  requests:
// every /api/ request {method, url, path, auth}; problems: page errors and
// console errors (CSP violations included) other than the browser's own
// "Failed to load resource" line for an HTTP error answer, which the page
// handles and some tests expect (401, 403, 404 polls, 503).
// bypassCSP: only for the accessibility check, whose script is injected.
export async function openBrowser({viewport = DESKTOP, bypassCSP = false} = {}) {
	const dir = fs.mkdtempSync(path.join(env.MM_BROWSER_TMP || os.tmpdir(),
	    'mm-chromium-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-background-networking', '--disable-component-update',
		    '--no-first-run', '--disable-sync'],
		viewport,
		locale: 'en-US',
		timezoneId: 'UTC',
		bypassCSP,
	});
	await context.addInitScript(recordAnnouncements);
	context.setDefaultTimeout(20000);
	const page = context.pages()[0] || await context.newPage();
	const requests = [];
	const problems = [];
	page.on('request', (r) => {
		const url = new URL(r.url());
		if (url.pathname.startsWith('/api/')) {
			requests.push({method: r.method(), url: r.url(),
			    path: url.pathname + url.search, at: Date.now(),
			    auth: r.headers().authorization || null});
		}
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('console', (m) => {
		if (m.type() !== 'error')
			return;
		const text = m.text();
		if (/^Failed to load resource: the server responded with a status of [45]\d\d/.test(text))
			return;
		problems.push('console error: ' + text);
	});
	return {
		context, page, requests, problems,
		async close() {
			await context.close();
			fs.rmSync(dir, {recursive: true, force: true});
		},
	};
}

// assertClean(b): no page error, no console error (CSP violations
// included), every API request carried the expected bearer token.
export function assertClean(b, token = TOKEN) {
	assert.deepEqual(b.problems, [], 'no page or console errors');
	for (const r of b.requests)
		assert.equal(r.auth, 'Bearer ' + token, 'bearer token on ' + r.method + ' ' + r.path);
}

// api(method, path, {token, body}): {status, body}.
export async function api(method, p, {token = TOKEN, body} = {}) {
	const headers = {Authorization: 'Bearer ' + token};
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const res = await fetch(BASE + '/api/v2/models' + p, {method, headers,
	    body: body === undefined ? undefined : JSON.stringify(body)});
	const text = await res.text();
	return {status: res.status, body: text ? JSON.parse(text) : null,
	    headers: res.headers};
}

export async function listModels() {
	const r = await api('GET', '?include_cache_size=true');
	assert.equal(r.status, 200, 'list models');
	return r.body;
}

export async function modelInfo(id) {
	return (await listModels()).models.find((m) => m.id === id);
}

export function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// waitFor(fn, what, ms): polls fn until it returns a truthy value.
export async function waitFor(fn, what, ms = 30000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error('timed out waiting for ' + what);
		await sleep(200);
	}
}

// download(id): downloads a model through the API, waits until installed.
export async function download(id) {
	const r = await api('POST', '/download', {body: {model_id: id}});
	assert.equal(r.status, 200, 'start download of ' + id + ': ' + JSON.stringify(r.body));
	if (r.body.task_id) {
		await waitFor(async () => {
			const t = await api('GET', '/tasks/' + r.body.task_id);
			if (t.body && t.body.status === 'failed')
				throw new Error('download of ' + id + ' failed: ' + t.body.error);
			return t.body && t.body.status === 'completed';
		}, 'download of ' + id);
	}
	await waitFor(async () => (await modelInfo(id)).is_installed, id + ' installed');
}

// remove(id): deletes a model through the API (confirmed), waits until gone.
export async function remove(id) {
	const r = await api('DELETE', '/cache?model_id=' + encodeURIComponent(id) +
	    '&confirm=true');
	assert.equal(r.status, 200, 'delete ' + id + ': ' + JSON.stringify(r.body));
	if (r.body.task_id) {
		await waitFor(async () => {
			const t = await api('GET', '/tasks/' + r.body.task_id);
			if (t.body && t.body.status === 'failed')
				throw new Error('delete of ' + id + ' failed: ' + t.body.error);
			return t.body && (t.body.status === 'completed' ||
			    t.body.status === 'not_installed');
		}, 'delete of ' + id);
	}
	await waitFor(async () => !(await modelInfo(id)).is_installed, id + ' removed');
}

// hubFault(fault): adds a fault to the fake hub; hubClear() removes all.
export async function hubFault(fault) {
	const res = await fetch(need('MM_FAKEHUB_URL') + '/_admin/faults',
	    {method: 'POST', body: JSON.stringify(fault)});
	assert.equal(res.status, 200, 'fake hub fault ' + JSON.stringify(fault));
}

export async function hubClear() {
	await fetch(need('MM_FAKEHUB_URL') + '/_admin/faults', {method: 'DELETE'});
}

// sql(statement): runs SQL on the stack's own database as its superuser.
export function sql(statement) {
	const bindir = execFileSync('pg_config', ['--bindir']).toString().trim();
	const [cmd, args] = asPostgres([path.join(bindir, 'psql'), '-X', '-q', '-At',
	    '-v', 'ON_ERROR_STOP=1', '-h', need('MM_PGHOST'), '-U', 'postgres',
	    '-d', 'semantik', '-c', statement]);
	return execFileSync(cmd, args, {cwd: '/'}).toString().trim();
}

// said(page): what the live regions said so far.
export async function said(page) {
	return page.evaluate(() => window.__said || []);
}

// redis(...args): redis-cli on the stack's Redis (unix socket).
export function redis(...args) {
	const url = need('REDIS_URL');
	assert.ok(url.startsWith('unix://'), 'the test stack\'s Redis is a unix socket');
	return execFileSync('redis-cli', ['-s', url.slice('unix://'.length), ...args])
	    .toString().trim();
}

// shot(page, name, focus): screenshots at 1440x900 and 390x844 into
// MM_SHOTS, scrolled so that the locator focus (if any) is in the middle;
// the viewport is restored afterwards.
export async function shot(page, name, focus) {
	const dir = env.MM_SHOTS;
	if (!dir)
		return;
	fs.mkdirSync(dir, {recursive: true});
	const before = page.viewportSize();
	for (const [label, size] of [['desktop', DESKTOP], ['narrow', NARROW]]) {
		await page.setViewportSize(size);
		if (focus)
			await focus.evaluate((el) => el.scrollIntoView({block: 'center'}));
		await sleep(150);
		await page.screenshot({path: path.join(dir, name + '-' + label + '.png')});
	}
	await page.setViewportSize(before);
}

// redisDown() / redisUp(): stops the stack's Redis (SHUTDOWN keeps its
// append-only file) and starts it again in place, as the stack does.
export async function redisDown() {
	try {
		redis('SHUTDOWN');
	} catch (e) {
		// The connection closes as it stops.
	}
	await waitFor(() => {
		try {
			redis('PING');
			return false;
		} catch (e) {
			return true;
		}
	}, 'Redis stopped', 10000);
}

export function redisUp() {
	execFileSync('bash', [need('MM_STACK_SH'), 'restart-redis'],
	    {cwd: '/', stdio: ['ignore', 'ignore', 'inherit']});
}

// axeCheck(page, state): runs axe-core on the page; the violations of
// impact serious or critical, printed as "rule target: summary".
export async function axeCheck(page, state) {
	if (!(await page.evaluate(() => typeof window.axe === 'object')))
		await page.addScriptTag({path: require.resolve('axe-core/axe.min.js')});
	const violations = await page.evaluate(async () => {
		const r = await window.axe.run(document, {resultTypes: ['violations']});
		return r.violations;
	});
	const bad = [];
	for (const v of violations) {
		if (v.impact !== 'serious' && v.impact !== 'critical')
			continue;
		for (const n of v.nodes) {
			bad.push(state + ': ' + v.id + ' (' + v.impact + ') ' +
			    n.target.join(' ') + ': ' + (n.failureSummary || v.help)
			    .replace(/\s+/g, ' '));
		}
	}
	return bad;
}

function asPostgres(argv) {
	const asRoot = process.getuid && process.getuid() === 0;
	return asRoot ? ['runuser', ['-u', 'postgres', '--', ...argv]] :
	    [argv[0], argv.slice(1)];
}

function pgCtl(...args) {
	const bindir = execFileSync('pg_config', ['--bindir']).toString().trim();
	const [cmd, argv] = asPostgres([path.join(bindir, 'pg_ctl'), '-D',
	    path.join(need('MM_VAR'), 'pg', 'data'), ...args]);
	execFileSync(cmd, argv, {cwd: '/', stdio: ['ignore', 'ignore', 'inherit']});
}

// pgDown() / pgUp(): stops and starts the stack's PostgreSQL in place.
export function pgDown() {
	pgCtl('-m', 'fast', '-w', '-s', 'stop');
}

// pgUp also records the new postmaster's pid where conf/stack.sh keeps it,
// or `stack.sh stop` would miss the restarted server.
export function pgUp() {
	const dir = path.join(need('MM_VAR'), 'pg');
	pgCtl('-l', path.join(dir, 'postgres.log'), '-w', '-s', '-o',
	    "-c listen_addresses='' -c unix_socket_directories='" +
	    need('MM_PGHOST') + "'", 'start');
	const pid = fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8')
	    .split('\n')[0];
	fs.writeFileSync(path.join(need('MM_VAR'), 'run', 'postgres.pid'), pid + '\n');
}

// card(page, id): the card of a model.
export function card(page, id) {
	return page.locator('article.card[data-model-id="' + id + '"]');
}

// tabCounts(page): {Embedding: "0/23", ...} as shown on the tabs.
export async function tabCounts(page) {
	const out = {};
	for (const tab of await page.getByRole('tab').all()) {
		const label = (await tab.locator('.tab-label').textContent()).trim();
		out[label] = (await tab.locator('.tab-count').textContent()).trim();
	}
	return out;
}

// expectedCounts(models): the same from an API answer.
export function expectedCounts(models) {
	const labels = {embedding: 'Embedding', llm: 'Local LLM',
	    reranker: 'Reranker', splade: 'SPLADE'};
	const out = {};
	for (const [type, label] of Object.entries(labels)) {
		const of = models.filter((m) => m.model_type === type);
		out[label] = of.filter((m) => m.is_installed).length + '/' + of.length;
	}
	return out;
}
