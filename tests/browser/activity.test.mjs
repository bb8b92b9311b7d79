// The Models page's audit trail: the "Activity" panel and each card's
// "Recent activity", in a real headless Chromium against the real stack
// (see models.test.mjs).  The tests use naver/splade-v3 and leave it as
// they found it: not installed, no collection, no fault.

import {test} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import {BASE, TOKEN, env, openBrowser, assertClean, api, modelInfo, remove,
    waitFor, hubFault, hubClear, sql, card, axeCheck, redisDown, redisUp,
    DESKTOP, NARROW} from './lib.mjs';

const ID = 'naver/splade-v3';
const NAME = 'splade-v3';
const OTHER = 'BAAI/bge-small-en-v1.5';
const QUIET = 'naver/splade-cocondenser-ensembledistil';
const ALICE = env.MM_ALICE_TOKEN;
const T = {timeout: 120000};
// The panel's page size (PAGE_SIZE in static/js/activity.js).
const PAGE_SIZE = 20;

function norm(s) {
	return String(s || '').replace(/\s+/g, ' ').trim();
}

// audit(query): the trail as the API gives it.
async function audit(query) {
	const r = await api('GET', '/audit?' + new URLSearchParams(query));
	assert.equal(r.status, 200, 'audit ' + JSON.stringify(r.body));
	return r.body;
}

// items(scope): the events a list shows: id, event kind, model, words,
// who, exact time.
async function items(scope) {
	return scope.locator('.ev-list > li').evaluateAll((els) => els.map((el) => {
		const q = (s) => el.querySelector(s);
		const time = q('time');
		return {id: el.dataset.eventId, event: el.dataset.event,
		    model: el.dataset.modelId,
		    what: q('.ev-what').textContent,
		    who: q('.ev-who').textContent.replace(/^by /, ''),
		    badge: q('.ev-badge').textContent,
		    link: q('.ev-link') ? q('.ev-link').textContent : null,
		    repo: q('.ev-repo') ? q('.ev-repo').textContent : null,
		    detail: [...el.querySelectorAll('.ev-detail')].map((d) => d.textContent),
		    datetime: time ? time.getAttribute('datetime') : null,
		    title: time ? time.getAttribute('title') : null,
		    local: time ? time.textContent : null};
	}));
}

// olderOrSame(a, b): stream id a is not newer than b.
function olderOrSame(a, b) {
	const [am, as] = a.split('-').map(Number);
	const [bm, bs] = b.split('-').map(Number);
	return am < bm || (am === bm && as <= bs);
}

async function toastText(page, text) {
	await page.locator('#toasts .toast', {hasText: text}).first().waitFor();
}

// openPanel(page): the header's Activity button; the panel's first read.
async function openPanel(page) {
	const toggle = page.getByRole('button', {name: 'Activity', exact: true});
	await toggle.click();
	assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
	const panel = page.getByRole('region', {name: 'Activity', exact: true});
	await panel.locator('.ev-list > li, .activity-empty, .activity-error').first().waitFor();
	return panel;
}

test('the Activity panel: what the page and the API did, newest first, by whom; the model filter; Load more; a card\'s Recent activity', T, async () => {
	const colId = crypto.randomUUID();
	const key = 'mmk_' + crypto.randomBytes(16).toString('hex');
	const keyId = 'k-' + crypto.randomUUID();
	if ((await modelInfo(ID)).is_installed)
		await remove(ID);
	const quiet = await audit({model_id: QUIET, limit: 1});
	assert.deepEqual(quiet.events, [], QUIET + ' has no activity yet');
	await hubClear();
	await hubFault({type: 'slow_body', rate: 50000, repo: ID, path: '*.safetensors'});
	const b = await openBrowser();
	try {
		const res = await b.page.goto(BASE + '/#token=' + TOKEN);
		assert.equal(res.headers()['content-security-policy'], "default-src 'self'");
		const {page} = b;
		await page.locator('article.card').first().waitFor();
		await page.getByRole('tab', {name: /^SPLADE/}).click();
		const c = card(page, ID);

		// A download cancelled through the page.
		await c.getByRole('button', {name: 'Download ' + NAME}).click();
		await waitFor(async () => await c.getByRole('progressbar')
		    .getAttribute('aria-valuenow') !== null, 'a running download');
		const cancelled = (await modelInfo(ID)).active_download_task_id;
		assert.ok(cancelled, 'the task of the download');
		await c.getByRole('button', {name: 'Cancel download of ' + NAME}).click();
		await toastText(page, 'Download cancelled: ' + NAME);
		await waitFor(async () => (await audit({model_id: ID, limit: 5})).events
		    .some((e) => e.event === 'task.ended' && e.task_id === cancelled),
		    'the end of the cancelled task in the trail');
		await hubClear();

		// The panel opens from the header, its heading focused.
		const panel = await openPanel(page);
		assert.equal(await page.evaluate(() => document.activeElement.id),
		    'activity-title', 'the focus on the panel\'s heading');

		// A download to completion while the panel is open: the panel
		// reads the trail again when the task ends (nothing clicked).
		await c.getByRole('button', {name: 'Download ' + NAME}).click();
		await toastText(page, 'Model download completed: ' + NAME);
		const completed = panel.locator('.ev-list > li', {hasText: 'Download task ended: completed'});
		await completed.first().waitFor();

		// Refused: a delete of a model a collection uses (409), a
		// download with an API key (never a superuser) and one by a
		// regular user (403), the last of another model.
		sql('INSERT INTO collections (id, name, owner_id, vector_store_name, embedding_model) ' +
		    "SELECT '" + colId + "', 'activity-docs', id, 'col_" + colId.replace(/-/g, '_') +
		    "', '" + ID + "' FROM users WHERE username = 'admin'");
		const hash = crypto.createHash('sha256').update(key).digest('hex');
		sql("INSERT INTO api_keys (id, user_id, name, key_hash, is_active) SELECT '" +
		    keyId + "', id, 'activity', '" + hash + "', true FROM users WHERE username = 'admin'");
		const del = await api('DELETE', '/cache?model_id=' + encodeURIComponent(ID) + '&confirm=true');
		assert.equal(del.status, 409, 'the delete is refused');
		assert.equal((await api('POST', '/download', {token: key,
		    body: {model_id: ID}})).status, 403, 'an API key is refused');
		assert.equal((await api('POST', '/download', {token: ALICE,
		    body: {model_id: ID}})).status, 403, 'alice is refused');
		assert.equal((await api('POST', '/download', {token: ALICE,
		    body: {model_id: OTHER}})).status, 403, 'alice is refused');

		// Refresh reads the trail again: newest first, every model.
		await page.getByRole('button', {name: 'Refresh'}).click();
		await waitFor(async () => (await items(panel))[0]?.model === OTHER,
		    'the newest event first');
		let all = await items(panel);
		assert.deepEqual(all.slice(0, 2).map((e) => [e.who, e.model, e.event]),
		    [['alice', OTHER, 'download.refused'], ['alice', ID, 'download.refused']]);
		const api0 = await audit({limit: PAGE_SIZE});
		assert.deepEqual(all.map((e) => e.id), api0.events.map((e) => e.id),
		    'the API\'s first page, in its order');

		// The model filter.
		await panel.getByLabel('Model', {exact: true}).selectOption(ID);
		await waitFor(async () => {
			const l = await items(panel);
			return l.length > 0 && l.every((e) => e.model === ID) && l;
		}, 'only the events of ' + ID);
		const mine = await items(panel);
		const want = [
			['download.refused', 'alice', /^Download refused \(403: .+\)$/, 'Refused'],
			['download.refused', 'admin (API key)', /^Download refused \(403: .+\)$/, 'Refused'],
			['delete.refused', 'admin',
			    /^Delete refused \(409: the model is used by collections\)$/, 'Refused'],
			['task.ended', 'Model Manager',
			    /^Download task ended: completed in (< )?\d+(\.\d)? s$/, 'Completed'],
			['download.requested', 'admin', /^Download requested$/, 'Queued'],
			['task.ended', 'Model Manager',
			    /^Download task ended: cancelled after (< )?\d+(\.\d)? s$/, 'Cancelled'],
			['task.cancelled', 'admin', /^(Cancel requested|Cancelled)$/, /^(Stopping|Cancelled)$/],
			['download.requested', 'admin', /^Download requested$/, 'Queued'],
		];
		assert.ok(mine.length >= want.length, 'every event: ' + JSON.stringify(mine));
		want.forEach(([event, who, what, badge], i) => {
			const e = mine[i];
			assert.equal(e.event, event, 'event ' + i + ': ' + JSON.stringify(e));
			assert.equal(e.who, who, 'who did ' + i + ': ' + JSON.stringify(e));
			assert.match(e.what, what, 'the words of ' + i);
			if (typeof badge === 'string')
				assert.equal(e.badge, badge, 'the outcome of ' + i);
			else
				assert.match(e.badge, badge, 'the outcome of ' + i);
			assert.equal(e.link, NAME, 'the model\'s name, a link');
			assert.equal(e.repo, ID, 'the repo id');
			assert.match(e.title, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/,
			    'the exact UTC time: ' + e.title);
			assert.equal(e.title.slice(0, 19), e.datetime.slice(0, 19).replace('T', ' '));
			assert.ok(e.local.includes(e.datetime.slice(11, 19)),
			    'the local time (UTC here): ' + e.local);
		});
		assert.equal(mine[2].detail[0], 'Cannot delete: model is used by 1 collection(s)');
		assert.equal(mine[5].detail.length, 0, 'a cancel is no error');
		for (let i = 1; i < mine.length; i++)
			assert.ok(olderOrSame(mine[i].id, mine[i - 1].id), 'newest first');
		const apiMine = await audit({model_id: ID, limit: PAGE_SIZE});
		assert.deepEqual(mine.map((e) => e.id), apiMine.events.map((e) => e.id),
		    'exactly the model\'s events');
		assert.equal(mine[4].id, apiMine.events.find((e) =>
		    e.event === 'download.requested').id);
		assert.equal(await panel.getByRole('button', {name: 'Load more'}).isVisible(),
		    apiMine.next_before !== null, 'Load more only when there is more');

		// A card's Recent activity: the model's last 5 events.
		await c.getByRole('button', {name: 'Show details of ' + NAME}).click();
		const recent = c.getByRole('region', {name: 'Recent activity'});
		await recent.locator('.ev-list > li').first().waitFor();
		const last5 = await items(recent);
		assert.deepEqual(last5.map((e) => e.id), mine.slice(0, 5).map((e) => e.id),
		    'the model\'s 5 newest events');
		assert.deepEqual(last5.map((e) => e.what), mine.slice(0, 5).map((e) => e.what));
		assert.ok(b.requests.some((r) => r.path === '/api/v2/models/audit?limit=5&model_id=' +
		    encodeURIComponent(ID)), 'read with model_id and limit=5');
		const q = card(page, QUIET);
		await q.getByRole('button', {name: /^Show details of /}).click();
		await q.getByText('No activity recorded yet.').waitFor();

		// Load more: older events, after the first page.
		for (let i = 0; i < PAGE_SIZE + 1; i++) {
			assert.equal((await api('POST', '/download', {body: {model_id: ID}})).body.status,
			    'already_installed');
		}
		await page.getByRole('button', {name: 'Refresh'}).click();
		await waitFor(async () => (await items(panel))[0]?.badge === 'Already installed',
		    'the new events');
		const page1 = await items(panel);
		assert.equal(page1.length, PAGE_SIZE, 'one page');
		assert.ok(page1.every((e) => e.model === ID && e.what === 'Download requested'));
		const more = panel.getByRole('button', {name: 'Load more'});
		await more.click();
		await waitFor(async () => (await items(panel)).length > PAGE_SIZE, 'the next page');
		const both = await items(panel);
		const api1 = await audit({model_id: ID, limit: PAGE_SIZE});
		const api2 = await audit({model_id: ID, limit: PAGE_SIZE, before: api1.next_before});
		assert.deepEqual(both.map((e) => e.id),
		    api1.events.concat(api2.events).map((e) => e.id), 'two pages, in order');
		assert.deepEqual(both.slice(PAGE_SIZE + 1, PAGE_SIZE + 9).map((e) => e.id),
		    mine.slice(0, 8).map((e) => e.id), 'the older events follow');
		assert.equal(await page.evaluate(() => document.activeElement.dataset.eventId),
		    both[PAGE_SIZE].id, 'the focus on the first older event');
		assert.equal(await more.isVisible(), api2.next_before !== null);

		// Each event leads to its model's card.
		await panel.locator('.ev-link').first().click();
		assert.equal(await page.evaluate(() => document.activeElement.dataset.modelId), ID,
		    'the card has the focus');

		// "Show all activity" of a card opens the panel on its model;
		// Escape closes it, the focus back on the header's button.
		await page.getByRole('button', {name: 'Activity', exact: true}).click();
		assert.ok(await panel.isHidden(), 'closed');
		await recent.getByRole('button', {name: 'Show all activity of ' + NAME}).click();
		await panel.locator('.ev-list > li').first().waitFor();
		assert.equal(await panel.getByLabel('Model', {exact: true}).inputValue(), ID);
		await page.keyboard.press('Escape');
		assert.ok(await panel.isHidden(), 'Escape closes the panel');
		assert.equal(await page.evaluate(() => document.activeElement.id), 'activity-toggle');
		assert.equal(await page.getByRole('button', {name: 'Activity', exact: true})
		    .getAttribute('aria-expanded'), 'false');
		assertClean(b);
	} finally {
		sql("DELETE FROM collections WHERE id = '" + colId + "'");
		sql("DELETE FROM api_keys WHERE id = '" + keyId + "'");
		await b.close();
		await hubClear();
	}
});

test('the Activity panel: accessibility (axe-core) and screenshots at 1440x900 and 390x844, the task store down', T, async () => {
	const b = await openBrowser({bypassCSP: true});
	const found = [];
	const dir = env.MM_SHOTS;
	let down = false;
	// check(state): axe and a screenshot at both sizes.
	async function check(state) {
		for (const [label, size] of [['1440x900', DESKTOP], ['390x844', NARROW]]) {
			await b.page.setViewportSize(size);
			await b.page.locator('#activity').evaluate((el) => el.scrollIntoView());
			found.push(...await axeCheck(b.page, state + ' at ' + label));
			if (dir)
				await b.page.screenshot({path: path.join(dir, state + '-' + label + '.png')});
		}
		await b.page.setViewportSize(DESKTOP);
	}
	try {
		const {page} = b;
		await page.goto(BASE + '/#token=' + TOKEN);
		await page.locator('article.card').first().waitFor();
		await page.setViewportSize(NARROW);
		const top = () => page.locator('#cache-bar').evaluate((el) => el.offsetTop);
		const closed = await top();
		const header = await page.locator('.page-header').boundingBox();
		assert.ok(header.y + header.height <= 110, 'a compact header: ' + JSON.stringify(header));
		await page.setViewportSize(DESKTOP);
		const panel = await openPanel(page);
		assert.ok(await panel.locator('.ev-list > li').count() > 0, 'events to check');
		await page.getByRole('tab', {name: /^SPLADE/}).click();
		await card(page, ID).locator('.chevron').click();
		await card(page, ID).getByRole('region', {name: 'Recent activity'})
		    .locator('.ev-list > li').first().waitFor();
		await check('activity-panel');
		await page.getByRole('button', {name: 'Activity', exact: true}).click();
		await page.setViewportSize(NARROW);
		assert.equal(await top(), closed, 'closed, the panel takes no room');
		await page.setViewportSize(DESKTOP);

		// The task store down: the panel says what it means, Retry.
		await redisDown();
		down = true;
		await openPanel(page);
		const err = panel.locator('.activity-error');
		await err.waitFor();
		assert.equal(norm(await err.locator('p').textContent()),
		    'The activity is unavailable while the task store is down. ' +
		    'Try again once it is back.');
		assert.equal(await err.getAttribute('role'), 'alert');
		assert.equal(await panel.locator('.ev-list > li').count(), 0,
		    'no older answer shown as current');
		await check('activity-unavailable');
		redisUp();
		down = false;
		await err.getByRole('button', {name: 'Retry'}).click();
		await panel.locator('.ev-list > li').first().waitFor();
		assert.equal(await err.count(), 0, 'the error is gone');
		console.log('axe on the Activity panel: ' + found.length +
		    ' serious or critical violations; screenshots in ' + dir);
		assert.deepEqual(found, [], 'no serious or critical violation:\n' + found.join('\n'));
		assert.deepEqual(b.problems, []);
	} finally {
		if (down)
			redisUp();
		await b.close();
		if ((await modelInfo(ID)).is_installed)
			await remove(ID);
	}
});
