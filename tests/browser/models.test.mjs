// The Models page in a real headless Chromium against the real stack (nginx,
// responders, job runner, Redis, PostgreSQL) and the fake hub.  Run by
// tests/integration/test_browser.sh, which starts all of it and sets the
// environment read by lib.mjs.  The tests run in file order and share the
// stack: each one uses its own models.

import {test} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import {BASE, TOKEN, env, openBrowser, assertClean, api, listModels,
    modelInfo, download, remove, waitFor, sleep, hubFault, hubClear, sql, redis,
    pgDown, pgUp, shot, card, tabCounts, expectedCounts, said, redisDown, redisUp,
    axeCheck, DESKTOP, NARROW} from './lib.mjs';
import path from 'node:path';

const ALICE = env.MM_ALICE_TOKEN;
const PAGE = BASE + '/';
const STORAGE_KEY = 'model-manager.token';
const T = {timeout: 120000};

const withToken = (token) => PAGE + '#token=' + token;

// The reference page's size rule for whole MB, with "< 1 MB" for 0.
function fmt(mb) {
	if (mb < 1)
		return '< 1 MB';
	return mb >= 1024 ? (mb / 1024).toFixed(1) + ' GB' : mb + ' MB';
}

// Exact bytes in 1024 steps: one decimal below 100 of a unit.
function fmtBytes(n) {
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	if (i === 0)
		return n + ' B';
	return (n < 99.95 ? n.toFixed(1) : String(Math.round(n))) + ' ' + units[i];
}

// A size the API gives in bytes (the second wave) or else in MB.
function fmtSize(bytes, mb) {
	return Number.isFinite(bytes) ? fmtBytes(bytes) : fmt(mb);
}

// The names the cards show, by hand for the models the tests use.
const SHOWN = {
	'BAAI/bge-small-en-v1.5': 'bge-small-en-v1.5',
	'BAAI/bge-large-en-v1.5': 'bge-large-en-v1.5',
	'intfloat/e5-small-v2': 'e5-small-v2',
	'BAAI/bge-base-en-v1.5': 'bge-base-en-v1.5',
	'naver/splade-v3': 'splade-v3',
	'naver/splade-cocondenser-ensembledistil': 'splade-cocondenser-ensembledistil',
	'nomic-ai/nomic-embed-text-v1': 'nomic-embed-text-v1',
	'sentence-transformers/all-MiniLM-L6-v2': 'all-MiniLM-L6-v2',
	'Qwen/Qwen2.5-0.5B-Instruct': 'Qwen 2.5 0.5B',
};

function norm(s) {
	return String(s || '').replace(/\s+/g, ' ').trim();
}

// The page's filter and sort, for expected values.
function expectFilter(models, type, status, q) {
	q = q.toLowerCase();
	return models.filter((m) => m.model_type === type &&
	    (status !== 'installed' || m.is_installed) &&
	    (status !== 'available' || !m.is_installed) &&
	    (!q || [m.name, m.description, m.id].some((s) => s.toLowerCase().includes(q))))
	    .sort((a, b) => a.is_installed !== b.is_installed ?
	    (a.is_installed ? -1 : 1) : a.name.localeCompare(b.name))
	    .map((m) => m.id);
}

async function shownIds(page) {
	return page.locator('article.card').evaluateAll((els) =>
	    els.map((e) => e.dataset.modelId));
}

async function open(b, url = withToken(TOKEN)) {
	const res = await b.page.goto(url);
	await b.page.locator('article.card, #auth:not([hidden]), #list .state')
	    .first().waitFor();
	return res;
}

async function toastText(page, text) {
	await page.locator('#toasts .toast', {hasText: text}).first().waitFor();
}

// focusedText(page): the text of the focused element (never the body).
async function focusedText(page) {
	return page.evaluate(() => document.activeElement === document.body ? '<body>' :
	    document.activeElement.textContent.replace(/\s+/g, ' ').trim());
}

function jwt(claims, secret) {
	const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	const head = b64({alg: 'HS256', typ: 'JWT'}) + '.' + b64(claims);
	return head + '.' + crypto.createHmac('sha256', secret).update(head)
	    .digest('base64url');
}

// ---------------------------------------------------------------- access

test('the token is taken from the URL fragment, kept, and removed from the address bar', T, async () => {
	const b = await openBrowser();
	try {
		const res = await open(b);
		assert.equal(res.headers()['content-security-policy'], "default-src 'self'",
		    'the page is served with the CSP');
		assert.equal(new URL(b.page.url()).hash, '', 'no token left in the address bar');
		assert.equal(await b.page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY),
		    TOKEN, 'token kept in localStorage');
		assert.equal(norm(await b.page.locator('#whoami').textContent()),
		    'Signed in as admin');
		// A plain reload of the bare URL stays signed in.
		await open(b, PAGE);
		assert.ok(await b.page.locator('article.card').count() > 0, 'cards after reload');
		assert.ok(b.requests.length >= 2, 'API requests were made');
		assertClean(b);
	} finally {
		await b.close();
	}
});

test('without a token the page explains how to get one', T, async () => {
	const b = await openBrowser();
	try {
		await open(b, PAGE);
		const auth = b.page.locator('#auth');
		await auth.getByRole('heading', {name: 'Sign in required'}).waitFor();
		assert.match(norm(await auth.textContent()), /sign in to the host application .* run mm-api -T <username>/);
		assert.doesNotMatch(norm(await auth.textContent()), /make run/);
		assert.equal(await b.page.locator('article.card').count(), 0, 'no cards');
		assert.equal(b.requests.length, 0, 'no API request without a token');
		assert.ok(await b.page.locator('#refresh').isHidden(), 'no Refresh on a sign-in screen');
		assert.equal(await focusedText(b.page), 'Sign in required', 'the focus on the heading');
		assertClean(b);
	} finally {
		await b.close();
	}
});

test('an expired token gets a clear message, is forgotten, and a pasted token works', T, async () => {
	const now = Math.floor(Date.now() / 1000);
	const expired = jwt({sub: 'admin', type: 'access', iat: now - 7200, exp: now - 60},
	    env.JWT_SECRET_KEY);
	const b = await openBrowser();
	try {
		await open(b, withToken(expired));
		const auth = b.page.locator('#auth');
		await auth.getByRole('heading', {name: 'Your access token has expired'}).waitFor();
		const text = norm(await auth.textContent());
		const stamp = new Date((now - 60) * 1000).toISOString().slice(0, 16).replace('T', ' ');
		assert.ok(text.includes('It expired on ' + stamp + ' UTC ('), text);
		assert.match(text, /UTC \(\d min ago\)/, 'how long ago');
		assert.match(text, /mm-api -T/, 'how to get a token');
		assert.equal(await focusedText(b.page), 'Your access token has expired');
		assert.ok(await b.page.locator('#refresh').isHidden(), 'no Refresh');
		assert.equal(await b.page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY),
		    null, 'the rejected token is forgotten');
		assert.equal(await b.page.locator('article.card').count(), 0, 'no cards');
		await b.page.getByLabel('Or paste an access token').fill(TOKEN);
		await b.page.getByRole('button', {name: 'Use token'}).click();
		await b.page.locator('article.card').first().waitFor();
		assert.ok(await b.page.locator('#auth').isHidden());
		assert.deepEqual(b.problems, []);
		assert.equal(b.requests[0].auth, 'Bearer ' + expired);
		for (const r of b.requests.slice(1))
			assert.equal(r.auth, 'Bearer ' + TOKEN, 'the pasted token on ' + r.path);
	} finally {
		await b.close();
	}
});

test('a regular user sees "Superuser access required" instead of the list, and can sign out', T, async () => {
	assert.ok(ALICE, 'MM_ALICE_TOKEN is set');
	const b = await openBrowser();
	try {
		await open(b, withToken(ALICE));
		const auth = b.page.locator('#auth');
		await auth.getByRole('heading', {name: 'Superuser access required'}).waitFor();
		const text = norm(await auth.textContent());
		assert.equal(text.split('Superuser access required').length, 2,
		    'the headline once: ' + text);
		assert.match(text, /signed in as alice/);
		assert.match(text, /mm-api -T/);
		assert.equal(await focusedText(b.page), 'Superuser access required');
		assert.ok(await b.page.locator('#refresh').isHidden(), 'no Refresh');
		assert.equal(await b.page.locator('article.card').count(), 0, 'no cards');
		assert.equal(await b.page.getByRole('button', {name: 'Download'}).count(), 0);
		assert.ok(await b.page.locator('#content').isHidden(), 'no list, tabs or cache bar');
		assert.equal(b.requests.length, 1, 'one list request, no retry loop');
		await shot(b.page, 'not-superuser');
		await b.page.locator('#auth').getByRole('button', {name: 'Sign out'}).click();
		await auth.getByRole('heading', {name: 'Sign in required'}).waitFor();
		assert.equal(await b.page.evaluate((k) => localStorage.getItem(k), STORAGE_KEY),
		    null, 'sign-out forgets the token');
		assertClean(b, ALICE);
	} finally {
		await b.close();
	}
});

// ---------------------------------------------------------------- the list

test('the list: counts per tab, cards, details and cache usage on demand', T, async () => {
	const data = await listModels();
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		assert.deepEqual(await tabCounts(page), expectedCounts(data.models),
		    'installed/total on every tab');
		const tablist = page.getByRole('tablist');
		assert.equal(await tablist.getByRole('tab').count(), 4);
		for (const [type, label] of [['llm', 'Local LLM'], ['reranker', 'Reranker'],
		    ['splade', 'SPLADE'], ['embedding', 'Embedding']]) {
			const tab = page.getByRole('tab', {name: new RegExp('^' + label)});
			await tab.click();
			assert.equal(await tab.getAttribute('aria-selected'), 'true');
			assert.equal(await page.getByRole('tabpanel').getAttribute('aria-labelledby'),
			    await tab.getAttribute('id'));
			assert.deepEqual(await shownIds(page), expectFilter(data.models, type, 'all', ''),
			    label + ': every model of the type, installed first then by name');
		}

		// A card: name and repo id, no type badge in a one-type tab,
		// the default mark, status, description, RAM, collections.
		const m = data.models.find((x) => x.id === 'BAAI/bge-large-en-v1.5');
		const c = card(page, m.id);
		assert.equal(norm(await c.locator('.card-name').textContent()), SHOWN[m.id]);
		assert.equal(norm(await c.locator('.card-repo').textContent()), m.id);
		assert.equal(await page.locator('#list .badge', {hasText: 'Embedding'}).count(), 0,
		    'no type badge');
		const def = data.models.filter((x) => x.is_default_embedding_model);
		assert.deepEqual(def.map((x) => x.id), ['Qwen/Qwen3-Embedding-0.6B'],
		    'one default embedding model');
		assert.equal(norm(await card(page, def[0].id).locator('.badge-default')
		    .textContent()), 'System default');
		assert.equal(await page.locator('.badge-default').count(), 1,
		    'only the default is marked');
		const llm0 = data.models.find((x) => x.id === 'Qwen/Qwen2.5-0.5B-Instruct');
		assert.equal(llm0.name, 'Local - Qwen 2.5 0.5B', 'the registry\'s LLM name');
		assert.equal(await c.getByRole('button', {name: 'Show details of ' + SHOWN[m.id]})
		    .count(), 1, 'the toggle names the model');
		assert.equal(norm(await c.locator('.status').textContent()),
		    m.is_installed ? 'Installed' : 'Available');
		assert.equal(norm(await c.locator('.card-desc').textContent()), m.description);
		assert.equal(norm(await c.locator('.stat-ram').textContent()),
		    '~' + fmt(m.memory_mb.int8 ?? m.memory_mb.float16) + ' RAM');
		assert.equal(norm(await c.locator('.stat-collections').textContent()),
		    m.used_by_collections.length + ' collection' +
		    (m.used_by_collections.length === 1 ? '' : 's'));

		// Details, by keyboard.
		const chevron = c.locator('.chevron');
		assert.equal(await chevron.getAttribute('aria-label'), 'Show details of ' + SHOWN[m.id]);
		assert.equal(await chevron.getAttribute('aria-expanded'), 'false');
		assert.equal(await c.locator('.card-details').isHidden(), true, 'collapsed');
		await chevron.focus();
		await page.keyboard.press('Enter');
		assert.equal(await chevron.getAttribute('aria-expanded'), 'true');
		assert.equal(await chevron.getAttribute('aria-label'), 'Hide details of ' + SHOWN[m.id]);
		assert.equal(await page.evaluate(() => document.activeElement.dataset.focusKey),
		    'exp:' + m.id, 'the focus stays on the toggle');
		const details = c.locator('.card-details');
		await details.waitFor();
		const dtext = norm(await details.textContent());
		assert.equal(norm(await details.locator('code').textContent()), m.id, 'Model ID');
		for (const [q, mb] of Object.entries(m.memory_mb))
			assert.ok(dtext.includes(q + ': ' + fmt(mb)), 'memory chip ' + q);
		const e = m.embedding_details;
		assert.ok(dtext.includes('Dimension' + e.dimension), 'dimension');
		assert.ok(dtext.includes('Max Sequence' + e.max_sequence_length.toLocaleString('en-US')));
		assert.ok(dtext.includes('Pooling' + e.pooling_method), 'pooling');
		assert.equal(dtext.includes('AsymmetricYes'), e.is_asymmetric, 'asymmetric');
		assert.deepEqual(await details.locator('.chip-collection').allTextContents(),
		    m.used_by_collections, 'Used by Collections');

		// An LLM's context window.
		const llm = data.models.find((x) => x.model_type === 'llm');
		await page.getByRole('tab', {name: /^Local LLM/}).click();
		assert.equal(norm(await card(page, llm0.id).locator('.card-name').textContent()),
		    SHOWN[llm0.id], 'an LLM\'s name in the same style');
		assert.equal(norm(await card(page, llm0.id).locator('.card-repo').textContent()),
		    llm0.id);
		await card(page, llm.id).locator('.chevron').click();
		assert.ok(norm(await card(page, llm.id).locator('.card-details').textContent())
		    .includes('Context Window' + llm.llm_details.context_window.toLocaleString('en-US') +
		    ' tokens'));
		await page.getByRole('tab', {name: /^Embedding/}).click();

		// Cache usage only on demand.
		const listBefore = b.requests.filter((r) => r.path.startsWith('/api/v2/models?') ||
		    r.path === '/api/v2/models');
		assert.deepEqual(listBefore.map((r) => r.path), ['/api/v2/models'],
		    'one list request on load, without the cache size');
		await page.getByRole('button', {name: 'Show cache usage'}).click();
		await page.locator('.cache-total').waitFor();
		const cs = (await listModels()).cache_size;
		const bar = norm(await page.locator('#cache-bar').textContent());
		assert.ok(bar.includes(fmt(cs.total_cache_size_mb) + ' total | ' +
		    fmt(cs.managed_cache_size_mb) + ' managed | ' +
		    fmt(cs.unmanaged_cache_size_mb) + ' unmanaged (' +
		    cs.unmanaged_repo_count + ' repos)'), 'cache bar: ' + bar);
		assert.equal(b.requests.at(-1).path, '/api/v2/models?include_cache_size=true');
		assert.equal(await c.locator('.chevron').getAttribute('aria-expanded'), 'true',
		    'still expanded after switching tabs');
		await shot(page, 'details', c);
		await c.locator('.chevron').click();
		await page.evaluate(() => document.getElementById('page').scrollTo(0, 0));
		await shot(page, 'list');

		// Refresh: one more list request (and the download policy's),
		// nothing on a timer.
		const n = b.requests.length;
		await page.getByRole('button', {name: 'Refresh'}).click();
		await waitFor(() => b.requests.length >= n + 2, 'the refresh requests');
		await sleep(3000);
		assert.deepEqual(b.requests.slice(n).map((r) => r.path).sort(),
		    ['/api/v2/models/policy', '/api/v2/models?include_cache_size=true'],
		    'no request without a task to follow');
		assertClean(b);
	} finally {
		await b.close();
	}
});

test('search over name, description and id; status pills; tabs by keyboard', T, async () => {
	const data = await listModels();
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		const search = page.getByRole('searchbox');
		assert.equal(await search.getAttribute('placeholder'), 'Search models...');
		for (const [type, label, q] of [
			['embedding', 'Embedding', 'MiniLM'],		// name
			['embedding', 'Embedding', 'multilingual'],	// description
			['llm', 'Local LLM', 'instruct'],		// id only
			['embedding', 'Embedding', 'BAAI/'],
		]) {
			await page.getByRole('tab', {name: new RegExp('^' + label)}).click();
			await search.fill(q);
			const want = expectFilter(data.models, type, 'all', q);
			assert.ok(want.length > 0, 'the case "' + q + '" matches something');
			assert.deepEqual(await shownIds(page), want, 'search "' + q + '"');
		}
		const llmByIdOnly = data.models.filter((m) => m.model_type === 'llm' &&
		    !m.name.toLowerCase().includes('instruct') &&
		    !m.description.toLowerCase().includes('instruct'));
		assert.ok(llmByIdOnly.length > 0, 'some LLM matches "instruct" by id only');

		await search.fill('zzz-no-such-model');
		assert.equal(norm(await page.locator('#list .state-empty p').textContent()),
		    'No models match your search.');
		await page.getByRole('button', {name: 'Clear search'}).click();
		assert.equal(await search.inputValue(), '', 'the search is cleared');
		assert.deepEqual(await shownIds(page), expectFilter(data.models, 'embedding', 'all', ''));
		assert.equal(await page.evaluate(() => document.activeElement.id), 'search',
		    'the focus goes to the search box');

		await page.getByRole('tab', {name: /^Reranker/}).click();
		for (const [status, label] of [['installed', 'Installed'],
		    ['available', 'Available'], ['all', 'All']]) {
			const pill = page.getByRole('button', {name: label, exact: true});
			await pill.click();
			assert.equal(await pill.getAttribute('aria-pressed'), 'true');
			const want = expectFilter(data.models, 'reranker', status, '');
			assert.deepEqual(await shownIds(page), want, 'pill ' + label);
			if (want.length === 0) {
				assert.equal(norm(await page.locator('#list .state-empty p').textContent()),
				    status === 'installed' ? 'No installed models of this type.' :
				    'No available models to download.');
				const all = page.getByRole('button', {name: 'Show all'});
				assert.ok(await all.isVisible(), 'Show all offered');
				if (status === 'installed') {
					await all.click();
					assert.equal(await page.getByRole('button', {name: 'All', exact: true})
					    .getAttribute('aria-pressed'), 'true', 'Show all');
				}
			}
		}

		// Arrow keys, Home and End move along the tablist.
		const selected = () => page.locator('[role=tab][aria-selected=true] .tab-label')
		    .textContent();
		await page.getByRole('tab', {name: /^Embedding/}).click();
		await page.keyboard.press('ArrowRight');
		assert.equal(await selected(), 'Local LLM');
		assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-llm');
		await page.keyboard.press('End');
		assert.equal(await selected(), 'SPLADE');
		await page.keyboard.press('ArrowRight');
		assert.equal(await selected(), 'Embedding', 'wraps around');
		await page.keyboard.press('ArrowLeft');
		assert.equal(await selected(), 'SPLADE');
		await page.keyboard.press('Home');
		assert.equal(await selected(), 'Embedding');
		assert.equal(await page.locator('[role=tab][tabindex="0"]').count(), 1,
		    'one tab in the Tab order');
		assertClean(b);
	} finally {
		await b.close();
	}
});

// ---------------------------------------------------------------- download

test('download to completion: progress, speed, ETA, badge, tab count, milestones; the card stays in place', T, async () => {
	const id = 'BAAI/bge-small-en-v1.5';
	const name = SHOWN[id];
	await hubClear();
	await hubFault({type: 'slow_body', rate: 200000, repo: id, path: '*.safetensors'});
	const before = await listModels();
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		assert.equal(norm(await c.locator('.status').textContent()), 'Available');
		const order = await shownIds(page);
		assert.notEqual(order[0], id, 'not first before its download');
		const n0 = b.requests.length;
		await c.getByRole('button', {name: 'Download ' + name}).click();
		const bar = c.getByRole('progressbar');
		await bar.waitFor();
		assert.ok(await c.getByRole('button', {name: 'Cancel download of ' + name}).isVisible(),
		    'Cancel offered, naming the model');
		const seen = [];
		let shotTaken = false;
		let speed = '';
		let eta = '';
		let bytes = '';
		while (!(await page.locator('#toasts .toast', {hasText: 'Model download completed'})
		    .count())) {
			// One snapshot of the block (it changes between reads).
			const p = await c.evaluate((el) => {
				const q = (s) => el.querySelector(s);
				const bar = q('[role=progressbar]');
				return bar && {v: bar.getAttribute('aria-valuenow'),
				    pct: q('.progress-pct').textContent,
				    speed: q('.progress-speed').textContent,
				    eta: q('.progress-eta').textContent,
				    bytes: q('.progress-bytes').textContent,
				    badge: q('.status').textContent,
				    width: bar.firstElementChild.style.width};
			});
			if (p && p.v !== null) {
				const v = Number(p.v);
				seen.push(v);
				speed = p.speed || speed;
				eta = p.eta || eta;
				bytes = p.bytes;
				assert.equal(p.pct, v + '%');
				assert.equal(p.width, v + '%', 'the bar\'s width');
				assert.equal(p.badge, 'Downloading ' + v + '%', 'the card\'s badge');
				if (!shotTaken && v > 0 && v < 100) {
					shotTaken = true;
					await shot(page, 'download-progress', c);
					assert.equal(norm(await page.locator('#tab-embedding .tab-running')
					    .textContent()), '1 running', 'running tasks on the tab');
					const strip = page.getByRole('navigation', {name: 'Tasks in progress'});
					assert.match(norm(await strip.getByRole('link').textContent()),
					    new RegExp('^' + name + ' Downloading \\d+%$'), 'the strip');
				}
			}
			assert.ok(seen.length < 400, 'the download ends');
			await sleep(150);
		}
		assert.ok(shotTaken, 'seen between 0 and 100 %');
		const distinct = [...new Set(seen)];
		assert.ok(distinct.length >= 3, 'the bar moved: ' + distinct.join(','));
		assert.deepEqual(seen, [...seen].sort((x, y) => x - y), 'never goes back');
		assert.ok(distinct.some((v) => v > 0 && v < 100), 'intermediate values');
		assert.match(bytes, /^\d+(\.\d)? (B|KB|MB) \/ \d+(\.\d)? MB$/, 'bytes: ' + bytes);
		assert.match(speed, /^\d+(\.\d)? (B|KB|MB)\/s$/, 'speed: ' + speed);
		assert.match(eta, /^(\d+ s|\d+ min \d\d s) left$/, 'ETA: ' + eta);
		await toastText(page, 'Model download completed: ' + name);

		await c.locator('.status', {hasText: 'Installed'}).waitFor();
		assert.ok(await c.getByRole('button', {name: 'Delete ' + name}).isVisible());
		const after = await listModels();
		const m = after.models.find((x) => x.id === id);
		assert.equal(norm(await c.locator('.stat-disk').textContent()),
		    fmtSize(m.size_on_disk_bytes, m.size_on_disk_mb), 'the size, in human units');
		assert.deepEqual(await tabCounts(page), expectedCounts(after.models));
		assert.notDeepEqual(expectedCounts(after.models), expectedCounts(before.models));
		assert.equal(await page.locator('.tab-running').count(), 0, 'nothing running');
		assert.ok(await page.locator('#strip').isHidden(), 'the strip is gone');

		// The card stayed in place, marked; the milestones were said.
		assert.deepEqual(await shownIds(page), order, 'no card moved');
		assert.equal(norm(await c.locator('.changed-note').textContent()), 'Just installed');
		const words = await said(page);
		assert.ok(words.includes('polite: Download of ' + name + ' started'), words.join(' | '));
		assert.ok(words.some((w) => /^polite: bge-small-en-v1.5: (25|50|75)% downloaded$/.test(w)),
		    'a milestone: ' + words.join(' | '));
		assert.ok(words.includes('polite: Model download completed: ' + name));

		// Traffic: task polls every ~2 s, the list only once, at the end.
		const during = b.requests.slice(n0);
		const lists = during.filter((r) => r.path.startsWith('/api/v2/models?') ||
		    r.path === '/api/v2/models');
		assert.equal(lists.length, 1, 'one list request, after the task ended');
		const polls = during.filter((r) => r.path.startsWith('/api/v2/models/tasks/'));
		assert.ok(polls.length >= 2, 'polled');
		for (let i = 1; i < polls.length; i++) {
			assert.ok(polls[i].at - polls[i - 1].at >= 1800,
			    'polls at least ~2 s apart');
		}
		assert.ok(lists[0].at >= polls.at(-1).at, 'the list after the last poll');

		// An explicit refresh sorts again: installed first, marks gone.
		await page.getByRole('button', {name: 'Refresh'}).click();
		await waitFor(async () => (await shownIds(page))[0] === id, 'installed models first');
		assert.equal(await c.locator('.changed-note').count(), 0);
		assertClean(b);
	} finally {
		await b.close();
		await hubClear();
	}
});

test('a reload in the middle of a download picks the progress up again', T, async () => {
	const id = 'intfloat/e5-small-v2';
	await hubClear();
	await hubFault({type: 'slow_body', rate: 200000, repo: id, path: '*.safetensors'});
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		await card(page, id).getByRole('button', {name: 'Download'}).click();
		const bar = card(page, id).getByRole('progressbar');
		await waitFor(async () => Number(await bar.getAttribute('aria-valuenow')) >= 5,
		    'some progress');
		const v1 = Number(await bar.getAttribute('aria-valuenow'));
		const taskId = (await modelInfo(id)).active_download_task_id;
		assert.ok(taskId, 'the list names the active task');
		const n0 = b.requests.length;
		await page.reload();
		await page.locator('article.card').first().waitFor();
		const bar2 = card(page, id).getByRole('progressbar');
		await bar2.waitFor();
		await waitFor(async () => Number(await bar2.getAttribute('aria-valuenow')) >= v1,
		    'progress continues from where it was');
		assert.ok(b.requests.slice(n0).some((r) =>
		    r.path === '/api/v2/models/tasks/' + taskId), 'polls the same task');
		// The strip leads to the card from anywhere.
		await page.getByRole('tab', {name: /^Reranker/}).click();
		await page.getByRole('searchbox').fill('zzz');
		assert.equal(await card(page, id).count(), 0, 'the card is not shown');
		await page.getByRole('navigation', {name: 'Tasks in progress'})
		    .getByRole('link', {name: new RegExp('^' + SHOWN[id])}).click();
		await card(page, id).waitFor();
		assert.equal(await page.locator('[role=tab][aria-selected=true]').getAttribute('id'),
		    'tab-embedding');
		assert.equal(await page.evaluate(() => document.activeElement.dataset.modelId), id,
		    'the card has the focus');
		assert.ok(await card(page, id).isVisible());
		await toastText(page, 'Model download completed: ' + SHOWN[id]);
		await card(page, id).locator('.status', {hasText: 'Installed'}).waitFor();
		assertClean(b);
	} finally {
		await b.close();
		await hubClear();
	}
});

test('Cancel stops a download', T, async () => {
	const id = 'BAAI/bge-base-en-v1.5';
	await hubClear();
	await hubFault({type: 'slow_body', rate: 50000, repo: id, path: '*.safetensors'});
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		await c.getByRole('button', {name: 'Download'}).click();
		await waitFor(async () => await c.getByRole('progressbar')
		    .getAttribute('aria-valuenow') !== null, 'a running download');
		const taskId = (await modelInfo(id)).active_download_task_id;
		await c.getByRole('button', {name: 'Cancel'}).click();
		await toastText(page, 'Download cancelled');
		await c.getByRole('button', {name: 'Download'}).waitFor();
		assert.equal(await c.getByRole('progressbar').count(), 0, 'no progress left');
		const t = await api('GET', '/tasks/' + taskId);
		assert.equal(t.body.status, 'cancelled');
		assert.ok(b.requests.some((r) => r.method === 'POST' &&
		    r.path === '/api/v2/models/tasks/' + taskId + '/cancel'), 'cancel request');
		assert.equal((await modelInfo(id)).is_installed, false);
		assertClean(b);
	} finally {
		await b.close();
		await hubClear();
	}
});

test('a task that vanished: indeterminate bar, a few 404s tolerated, then no more polls', T, async () => {
	const id = 'intfloat/e5-base-v2';
	const taskId = crypto.randomUUID();
	redis('SET', 'model-manager:active:' + id, 'download:' + taskId, 'EX', '600');
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		const bar = c.getByRole('progressbar');
		await bar.waitFor();
		assert.equal(await bar.getAttribute('aria-valuenow'), null, 'indeterminate');
		assert.equal(norm(await c.locator('.progress-text').textContent()), 'Starting...');
		assert.ok(await c.locator('.progress-block.is-indeterminate').count());
		await shot(page, 'download-starting', c);
		const path = '/api/v2/models/tasks/' + taskId;
		await waitFor(async () => await bar.count() === 0, 'polling gives up', 15000);
		await c.getByText('Download in progress...').waitFor();
		await sleep(5000);
		const polls = b.requests.filter((r) => r.path === path);
		assert.equal(polls.length, 4, 'three 404s tolerated, the fourth ends it');
		const lists = b.requests.filter((r) => r.path.startsWith('/api/v2/models?') ||
		    r.path === '/api/v2/models');
		assert.equal(lists.length, 2, 'one refresh, no loop on the stale claim');
		assertClean(b);
	} finally {
		redis('DEL', 'model-manager:active:' + id);
		await b.close();
	}
});

// ---------------------------------------------------------------- delete

test('Delete is disabled, with the reason, while a collection uses the model', T, async () => {
	const id = 'sentence-transformers/all-MiniLM-L6-v2';
	if (!(await modelInfo(id)).is_installed)
		await download(id);
	const m = await modelInfo(id);
	assert.ok(m.used_by_collections.length > 0, 'the demo data has a collection on it');
	const b = await openBrowser();
	try {
		await open(b);
		const c = card(b.page, id);
		const del = c.getByRole('button', {name: 'Delete'});
		assert.ok(await del.isDisabled(), 'disabled');
		assert.equal(await del.getAttribute('title'), 'Model is in use by collections');
		const hint = b.page.locator('#' + await del.getAttribute('aria-describedby'));
		const text = norm(await hint.textContent());
		for (const name of m.used_by_collections)
			assert.ok(text.includes(name), 'the explanation names ' + name);
		await del.click({force: true});
		await sleep(500);
		assert.equal(await b.page.getByRole('dialog').count(), 0, 'no dialog');
		assert.ok(!b.requests.some((r) => r.path.includes('/usage') ||
		    r.method === 'DELETE'), 'nothing sent');
		assertClean(b);
	} finally {
		await b.close();
	}
});

test('Delete with warnings: preflight, exact freed size, focus trap, Escape, then confirm', T, async () => {
	const id = 'BAAI/bge-small-en-v1.5';
	if (!(await modelInfo(id)).is_installed)
		await download(id);
	sql("UPDATE user_preferences SET default_embedding_model = '" + id + "' " +
	    "WHERE user_id = (SELECT id FROM users WHERE username = 'alice')");
	const b = await openBrowser();
	try {
		const usage = (await api('GET', '/usage?model_id=' + encodeURIComponent(id))).body;
		assert.deepEqual(usage.warnings,
		    ['1 user(s) have this as their default embedding model']);
		assert.ok(usage.estimated_freed_size_mb >= 0);
		await open(b);
		const {page} = b;
		const c = card(page, id);
		const del = c.getByRole('button', {name: 'Delete'});
		await del.click();
		const dialog = page.getByRole('dialog', {name: 'Delete Model'});
		await dialog.waitFor();
		assert.equal(await dialog.getAttribute('aria-modal'), 'true');
		const text = norm(await dialog.textContent());
		assert.ok(text.includes('Are you sure you want to delete "' + SHOWN[id] + '" (' +
		    id + ')?'), text);
		assert.ok(text.includes('This will free approximately ' +
		    fmtSize(usage.estimated_freed_bytes, usage.estimated_freed_size_mb) +
		    ' of disk space.'), text);
		assert.doesNotMatch(text, / 0 MB/, 'never "0 MB"');
		assert.ok(text.includes('Warnings:'));
		assert.deepEqual(await dialog.getByRole('listitem').allTextContents(), usage.warnings);
		assert.ok(b.requests.some((r) => r.path === '/api/v2/models/usage?model_id=' +
		    encodeURIComponent(id)), 'the preflight');
		await shot(page, 'delete-dialog');

		// The focus stays inside.
		const inside = () => page.evaluate(() =>
		    !!document.activeElement.closest('[role=dialog]'));
		assert.ok(await inside(), 'focus moved into the dialog');
		for (let i = 0; i < 5; i++) {
			await page.keyboard.press('Tab');
			assert.ok(await inside(), 'Tab ' + i);
		}
		for (let i = 0; i < 3; i++) {
			await page.keyboard.press('Shift+Tab');
			assert.ok(await inside(), 'Shift+Tab ' + i);
		}
		// Escape closes it, nothing is deleted, the focus goes back.
		await page.keyboard.press('Escape');
		await dialog.waitFor({state: 'detached'});
		assert.equal(await page.evaluate(() => document.activeElement.dataset.focusKey),
		    'del:' + id);
		// So does Cancel.
		await del.click();
		await dialog.waitFor();
		await dialog.getByRole('button', {name: 'Cancel'}).click();
		await dialog.waitFor({state: 'detached'});
		await sleep(300);
		assert.ok(!b.requests.some((r) => r.method === 'DELETE'), 'no DELETE yet');
		assert.equal((await modelInfo(id)).is_installed, true);

		// Confirmed: DELETE with confirm=true, progress, refreshed list.
		await del.click();
		await dialog.getByRole('button', {name: 'Delete Model'}).click();
		await toastText(page, 'Model deleted successfully');
		await c.locator('.status', {hasText: 'Available'}).waitFor();
		const dels = b.requests.filter((r) => r.method === 'DELETE');
		assert.deepEqual(dels.map((r) => r.path), ['/api/v2/models/cache?model_id=' +
		    encodeURIComponent(id) + '&confirm=true']);
		assert.equal((await modelInfo(id)).is_installed, false);
		assertClean(b);
	} finally {
		sql("UPDATE user_preferences SET default_embedding_model = 'BAAI/bge-large-en-v1.5' " +
		    "WHERE user_id = (SELECT id FROM users WHERE username = 'alice')");
		await b.close();
	}
});

test('Delete without warnings still shows the freed size, then sends confirm=false', T, async () => {
	const id = 'naver/splade-v3';
	if (!(await modelInfo(id)).is_installed)
		await download(id);
	const usage = (await api('GET', '/usage?model_id=' + encodeURIComponent(id))).body;
	assert.deepEqual(usage.warnings, []);
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		await page.getByRole('tab', {name: /^SPLADE/}).click();
		const c = card(page, id);
		await c.getByRole('button', {name: 'Delete'}).click();
		const dialog = page.getByRole('dialog', {name: 'Delete Model'});
		await dialog.waitFor();
		const text = norm(await dialog.textContent());
		assert.ok(text.includes('This will free approximately ' +
		    fmtSize(usage.estimated_freed_bytes, usage.estimated_freed_size_mb) +
		    ' of disk space.'), text);
		assert.ok(!text.includes('Warnings:'));
		await dialog.getByRole('button', {name: 'Delete Model'}).click();
		await toastText(page, 'Model deleted successfully');
		await c.locator('.status', {hasText: 'Available'}).waitFor();
		assert.deepEqual(b.requests.filter((r) => r.method === 'DELETE').map((r) => r.path),
		    ['/api/v2/models/cache?model_id=' + encodeURIComponent(id) + '&confirm=false']);
		assertClean(b);
	} finally {
		await b.close();
	}
});

test('a stale page gets the reference\'s toasts for no-ops and conflicts', T, async () => {
	const id = 'naver/splade-v3';
	const other = 'naver/splade-cocondenser-ensembledistil';
	if ((await modelInfo(id)).is_installed)
		await remove(id);
	const held = crypto.randomUUID();
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		await page.getByRole('tab', {name: /^SPLADE/}).click();
		const c = card(page, id);
		await c.getByRole('button', {name: 'Download'}).waitFor();

		// Installed behind the page's back.
		await download(id);
		await c.getByRole('button', {name: 'Download'}).click();
		await toastText(page, 'Model is already installed');
		await c.locator('.status', {hasText: 'Installed'}).waitFor();

		// Removed behind its back: no dialog, nothing sent.
		await remove(id);
		await c.getByRole('button', {name: 'Delete'}).click();
		await toastText(page, 'Model is already removed');
		await c.locator('.status', {hasText: 'Available'}).waitFor();
		assert.equal(await page.getByRole('dialog').count(), 0);
		assert.ok(!b.requests.some((r) => r.method === 'DELETE'));

		// Another operation holds the model.
		redis('SET', 'model-manager:active:' + other, 'delete:' + held, 'EX', '600');
		await card(page, other).getByRole('button', {name: 'Download'}).click();
		await toastText(page, 'Cannot download ' + SHOWN[other] +
		    ': another operation is in progress');
		redis('DEL', 'model-manager:active:' + other);

		await download(id);
		await page.getByRole('button', {name: 'Refresh'}).click();
		await c.locator('.status', {hasText: 'Installed'}).waitFor();
		redis('SET', 'model-manager:active:' + id, 'download:' + held, 'EX', '600');
		await c.getByRole('button', {name: 'Delete'}).click();
		await page.getByRole('dialog').getByRole('button', {name: 'Delete Model'}).click();
		await toastText(page, 'Cannot delete ' + SHOWN[id] + ': another operation is in progress');
		await page.getByRole('dialog').waitFor({state: 'detached'});
		assert.equal((await modelInfo(id)).is_installed, true, 'nothing deleted');
		assertClean(b);
	} finally {
		redis('DEL', 'model-manager:active:' + other, 'model-manager:active:' + id);
		await b.close();
	}
});

// ---------------------------------------------------------------- safety

test('markup in a collection name and in a task error is shown as text, never run', T, async () => {
	const id = 'sentence-transformers/all-MiniLM-L6-v2';
	if (!(await modelInfo(id)).is_installed)
		await download(id);
	const evilName = '<img src=x onerror="window.__xss=1">Evil & <b>co</b>';
	const evilError = '<script>window.__xss=2</script><img src=y onerror="window.__xss=3">' +
	    'Repository <i>gone</i>';
	const colId = crypto.randomUUID();
	sql('INSERT INTO collections (id, name, owner_id, vector_store_name, embedding_model) ' +
	    "SELECT '" + colId + "', $x$" + evilName + '$x$, id, ' +
	    "'col_" + colId.replace(/-/g, '_') + "', '" + id + "' FROM users WHERE username = 'admin'");
	const failedModel = 'nomic-ai/nomic-embed-text-v1';
	const taskId = crypto.randomUUID();
	redis('HSET', 'model-manager:task:' + taskId, 'task_id', taskId,
	    'model_id', failedModel, 'operation', 'download', 'status', 'failed',
	    'bytes_downloaded', '0', 'bytes_total', '0', 'error', evilError,
	    'updated_at', String(Date.now() / 1000));
	redis('EXPIRE', 'model-manager:task:' + taskId, '600');
	redis('SET', 'model-manager:active:' + failedModel, 'download:' + taskId, 'EX', '600');
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		await c.locator('.chevron').click();
		const chips = await c.locator('.chip-collection').allTextContents();
		assert.ok(chips.includes(evilName), 'the name, literally: ' + JSON.stringify(chips));
		assert.ok(norm(await c.locator('.hint').textContent()).includes(norm(evilName)));

		const f = card(page, failedModel);
		await f.locator('.error-text').waitFor();
		assert.equal(await f.locator('.error-text').textContent(), evilError);
		assert.ok(await f.getByRole('button', {name: 'Retry'}).isVisible());
		await toastText(page, 'Repository');
		assert.equal(await page.locator('#toasts .toast-error .toast-text').first().textContent(),
		    'Download of ' + SHOWN[failedModel] + ' failed: ' + evilError);
		await shot(page, 'markup-as-text', c.locator('.card-details'));
		await shot(page, 'failed-download', f);

		await sleep(500);
		assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
		assert.equal(await page.locator('img, b, i, iframe, object, embed').count(), 0,
		    'no element made from the data');
		assert.equal(await page.locator('script').count(), 1, 'only the page\'s own module');

		// Dismiss forgets the failed task; nothing polls it again.
		await f.getByRole('button', {name: 'Dismiss'}).click();
		assert.equal(await f.locator('.error-text').count(), 0);
		assertClean(b);
	} finally {
		sql("DELETE FROM collections WHERE id = '" + colId + "'");
		redis('DEL', 'model-manager:active:' + failedModel, 'model-manager:task:' + taskId);
		await b.close();
	}
});

// ---------------------------------------------------------------- failures

test('a failed cache scan shows the banner with the error', T, async () => {
	const hub = env.HF_HUB_CACHE;
	assert.ok(hub, 'HF_HUB_CACHE is set');
	const mode = fs.statSync(hub).mode & 0o7777;
	const b = await openBrowser();
	try {
		fs.chmodSync(hub, 0);
		// Every responder drops its scan cache, as after a job.
		redis('INCR', 'model-manager:cache-generation');
		await open(b);
		const banner = b.page.locator('#scan-banner');
		await banner.waitFor();
		const text = norm(await banner.innerText());
		assert.ok(text.startsWith('HuggingFace cache scan failed Installed status and ' +
		    'disk sizes may be inaccurate until this is resolved.'), text);
		const err = (await api('GET', '')).body.hf_cache_scan_error;
		assert.ok(err, 'the API reports it too');
		assert.equal(await banner.locator('.banner-detail').textContent(), err);
		assert.equal(await banner.getAttribute('role'), 'alert');
		await shot(b.page, 'scan-error');
		assertClean(b);
	} finally {
		fs.chmodSync(hub, mode);
		redis('INCR', 'model-manager:cache-generation');
		await b.close();
	}
});

test('the list cannot be loaded: "Failed to load models" and Retry', T, async () => {
	const b = await openBrowser();
	let down = false;
	try {
		pgDown();
		down = true;
		await open(b);
		const {page} = b;
		const err = page.locator('#list .state-error');
		await err.waitFor();
		const text = norm(await err.textContent());
		assert.ok(text.startsWith('Failed to load models'), text);
		assert.match(text, /The database is unavailable, so the list cannot be loaded/,
		    'what it means: ' + text);
		assert.equal(await page.locator('article.card').count(), 0);
		await sleep(2500);
		assert.equal(b.requests.length, 1, 'no automatic retry loop');
		pgUp();
		down = false;
		await page.getByRole('button', {name: 'Retry'}).click();
		await page.locator('article.card').first().waitFor();
		assert.equal(await page.locator('#list .state-error').count(), 0);

		// A refresh that fails keeps the list, marked stale with its age.
		pgDown();
		down = true;
		await page.getByRole('button', {name: 'Refresh'}).click();
		const stale = page.locator('#stale');
		await stale.waitFor();
		assert.match(norm(await stale.textContent()),
		    /^Refresh failed; this list is from (just now|\d+ s ago)\. The database is unavailable/);
		assert.ok(await page.locator('article.card').count() > 0, 'the cards stay');
		await shot(page, 'stale-list');
		pgUp();
		down = false;
		await stale.getByRole('button', {name: 'Retry'}).click();
		await stale.waitFor({state: 'hidden'});
		assertClean(b);
	} finally {
		if (down)
			pgUp();
		await b.close();
	}
});

// ---------------------------------------------------------------- trouble

test('sign-in screens: a token the server does not know, an inactive account', T, async () => {
	const now = Math.floor(Date.now() / 1000);
	const bob = jwt({sub: 'bob', type: 'access', iat: now, exp: now + 3600},
	    env.JWT_SECRET_KEY);
	const b = await openBrowser();
	try {
		const {page} = b;
		await open(b, withToken('not-a-token'));
		const auth = page.locator('#auth');
		await auth.getByRole('heading', {name: 'Your access token was not accepted'}).waitFor();
		let text = norm(await auth.textContent());
		assert.match(text, /neither a valid access token nor an active API key/, text);
		assert.doesNotMatch(text, /Invalid API key/, 'no raw server words');
		assert.equal(await focusedText(page), 'Your access token was not accepted');
		assert.ok(await page.locator('#refresh').isHidden(), 'no Refresh');

		await page.goto('about:blank');
		await open(b, withToken(bob));
		await auth.getByRole('heading', {name: 'Your account is inactive'}).waitFor();
		text = norm(await auth.textContent());
		assert.match(text, /signed in as bob\. The host application has deactivated this account/);
		assert.doesNotMatch(text, /Superuser/, 'not the superuser screen');
		assert.equal(await focusedText(page), 'Your account is inactive');
		assert.ok(await page.locator('#refresh').isHidden(), 'no Refresh');
		assert.ok(await auth.getByRole('button', {name: 'Sign out'}).isVisible());
		assert.deepEqual(b.problems, []);
	} finally {
		await b.close();
	}
});

test('Redis down: the outage banner, a lost connection without stale speed, a failed Download keeps the focus', T, async () => {
	const id = 'BAAI/bge-base-en-v1.5';
	const other = 'intfloat/e5-base-v2';
	await hubClear();
	await hubFault({type: 'slow_body', rate: 100000, repo: id, path: '*.safetensors'});
	const b = await openBrowser();
	let down = false;
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		await c.getByRole('button', {name: 'Download'}).click();
		await waitFor(async () => norm(await c.locator('.progress-speed').textContent()) !== '',
		    'a measured speed');
		await redisDown();
		down = true;
		await waitFor(async () => norm(await c.locator('.progress-text').textContent()) ===
		    'Connection lost, retrying...', 'the bar says the connection is lost');
		assert.equal(await c.locator('.progress-speed').textContent(), '', 'no old speed');
		assert.equal(await c.locator('.progress-eta').textContent(), '', 'no old ETA');
		const banner = page.locator('#service-banner');
		await banner.waitFor();
		assert.match(norm(await banner.innerText()),
		    /^The task store is unavailable Downloads and deletes cannot start/);
		assert.equal(norm(await banner.locator('.banner-detail').textContent()),
		    (await api('GET', '')).body.service_warnings[0].detail, 'the server\'s detail');
		assert.equal(await banner.getAttribute('role'), 'alert');

		// A Download now fails at once, says why, and keeps the focus.
		const dl = card(page, other).getByRole('button', {name: 'Download'});
		await dl.click();
		await toastText(page, 'Download of ' + other.split('/')[1] + ' failed: ' +
		    'The task store is unavailable: downloads and deletes cannot start');
		assert.equal(await page.evaluate(() => document.activeElement.dataset.focusKey),
		    'dl:' + other, 'the focus stays on the Download button');
		const words = await said(page);
		assert.ok(words.some((w) => w.startsWith('assertive: Download of e5-base-v2 failed')),
		    'the error is announced assertively: ' + words.join(' | '));
		assert.ok(words.some((w) => w.startsWith('assertive: Connection lost while following')),
		    words.join(' | '));
		// The toasts take their own room: they cover nothing of the page.
		const pageBox = await page.locator('#page').boundingBox();
		const toastBox = await page.locator('#toasts').boundingBox();
		assert.ok(toastBox.y >= pageBox.y + pageBox.height - 1, 'toasts below the page');
		await shot(page, 'outage', c);

		redisUp();
		down = false;
		await waitFor(async () => await c.locator('.is-lost').count() === 0,
		    'the connection is back');
		await page.getByRole('button', {name: 'Refresh'}).click();
		await banner.waitFor({state: 'hidden'});
		// The error toast stays until dismissed.
		const t = page.locator('#toasts .toast-error', {hasText: 'Download of e5-base-v2'});
		assert.equal(await t.count(), 1, 'the error toast is still there');
		await t.getByRole('button', {name: 'Dismiss notification'}).click();
		assert.equal(await t.count(), 0);
		await waitFor(async () => !(await modelInfo(id)).active_download_task_id,
		    'the download ended', 60000);
		assertClean(b);
	} finally {
		if (down)
			redisUp();
		await b.close();
		await hubClear();
	}
});

test('accessibility (axe-core) and screenshots of every state, at 1440x900 and 390x844', T, async () => {
	const now = Math.floor(Date.now() / 1000);
	const expired = jwt({sub: 'admin', type: 'access', iat: now - 7200, exp: now - 60},
	    env.JWT_SECRET_KEY);
	const bob = jwt({sub: 'bob', type: 'access', iat: now, exp: now + 3600},
	    env.JWT_SECRET_KEY);
	const running = 'BAAI/bge-small-en-v1.5';
	const installed = 'intfloat/e5-small-v2';
	if ((await modelInfo(running)).is_installed)
		await remove(running);
	if (!(await modelInfo(installed)).is_installed)
		await download(installed);
	await hubClear();
	await hubFault({type: 'slow_body', rate: 50000, repo: running, path: '*.safetensors'});
	const b = await openBrowser({bypassCSP: true});
	const found = [];
	const checked = [];
	const dir = env.MM_SHOTS;
	// check(state): axe and a screenshot at both sizes.
	async function check(state) {
		for (const [label, size] of [['1440x900', DESKTOP], ['390x844', NARROW]]) {
			await b.page.setViewportSize(size);
			found.push(...await axeCheck(b.page, state + ' at ' + label));
			checked.push(state + ' at ' + label);
			if (dir)
				await b.page.screenshot({path: path.join(dir, 'a11y-' + state + '-' +
				    label + '.png')});
		}
		await b.page.setViewportSize(DESKTOP);
	}
	try {
		const {page} = b;
		await open(b);
		await check('list');

		// The phone header is compact and the cache summary wraps.
		await page.getByRole('button', {name: 'Show cache usage'}).click();
		await page.locator('.cache-total').waitFor();
		await check('cache-panel');
		await page.setViewportSize(NARROW);
		const header = await page.locator('.page-header').boundingBox();
		assert.ok(header.y + header.height <= 110, 'a compact header: ' + JSON.stringify(header));
		assert.equal(await page.locator('#cache-bar .sep').first().isVisible(), false,
		    'no dangling separators');
		await page.setViewportSize(DESKTOP);

		await card(page, running).getByRole('button', {name: 'Download'}).click();
		await waitFor(async () => await card(page, running).getByRole('progressbar')
		    .getAttribute('aria-valuenow') !== null, 'a running download');
		await check('running-download');
		await card(page, running).getByRole('button', {name: 'Cancel'}).click();
		await toastText(page, 'Download cancelled');

		await card(page, installed).getByRole('button', {name: 'Delete'}).click();
		const dialog = page.getByRole('dialog', {name: 'Delete Model'});
		await dialog.waitFor();
		await check('delete-dialog');
		await dialog.getByRole('button', {name: 'Cancel'}).click();
		await dialog.waitFor({state: 'detached'});

		for (const [state, token, heading] of [
			['signin-not-superuser', ALICE, 'Superuser access required'],
			['signin-inactive', bob, 'Your account is inactive'],
			['signin-expired', expired, 'Your access token has expired'],
			['signin-invalid', 'not-a-token', 'Your access token was not accepted'],
		]) {
			await page.goto('about:blank');
			await page.goto(withToken(token));
			await page.locator('#auth').getByRole('heading', {name: heading}).waitFor();
			await check(state);
		}
		await page.goto('about:blank');
		await page.goto(PAGE);
		await page.locator('#auth').getByRole('heading', {name: 'Sign in required'}).waitFor();
		await check('signin-missing');
		console.log('axe: ' + checked.length + ' checks (' + checked.join(', ') + '); ' +
		    found.length + ' serious or critical violations; screenshots in ' + dir);
		assert.deepEqual(found, [], 'no serious or critical violation:\n' + found.join('\n'));
		assert.deepEqual(b.problems, []);
	} finally {
		await b.close();
		await hubClear();
	}
});

test('a hub failing with HTTP 500 shows the retry as it happens', T, async () => {
	const id = 'BAAI/bge-small-en-v1.5';
	const name = SHOWN[id];
	await hubClear();
	await hubFault({type: 'status500', repo: id, path: '*', method: 'GET'});
	const b = await openBrowser();
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		await c.getByRole('button', {name: 'Download'}).click();
		const label = c.locator('.progress-text');
		await waitFor(async () => /^Hub error \(HTTP 500\), retrying \d+\/\d+$/
		    .test(norm(await label.textContent().catch(() => ''))), 'the retry text', 60000);
		await shot(page, 'hub-retry', c);
		const words = await said(page);
		assert.ok(words.some((w) => w.startsWith('polite: ' + name + ': Hub error (HTTP 500), retrying')),
		    words.join(' | '));
		await hubClear();
		await toastText(page, 'Model download completed: ' + name);
		assertClean(b);
	} finally {
		await b.close();
		await hubClear();
	}
});
