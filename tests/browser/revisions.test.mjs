// Revisions on the Models page: "Check for updates", the download size on
// the Download button, the "Update available" badge with the size of the
// change on the Update action, the confirmation of an update of a model
// that a collection uses, its progress and its end.  Run by
// tests/integration/test_browser.sh (MM_FAKEHUB_ROOT is the fake hub's
// repositories, so that a test can move a repo's main).

import {test} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {BASE, TOKEN, env, openBrowser, assertClean, api, modelInfo, download,
    remove, waitFor, hubFault, hubClear, shot, card, axeCheck, DESKTOP,
    NARROW} from './lib.mjs';

const T = {timeout: 120000};
// Installed, and used by the demo collection "quick-notes".
const USED = 'sentence-transformers/all-MiniLM-L6-v2';
// Not installed: its Download button shows the size.
const FREE = 'BAAI/bge-base-en-v1.5';

function norm(s) {
	return String(s || '').replace(/\s+/g, ' ').trim();
}

// moveMain(id, bytes): the fake hub's main of id gets a new tokenizer.json
// of that many bytes (a new commit).
async function moveMain(id, bytes) {
	const root = env.MM_FAKEHUB_ROOT;
	assert.ok(root, 'MM_FAKEHUB_ROOT is set by test_browser.sh');
	fs.writeFileSync(path.join(root, id, 'tokenizer.json'),
	    crypto.randomBytes(bytes).toString('hex').slice(0, bytes));
	const res = await fetch(env.MM_FAKEHUB_URL + '/_admin/reload',
	    {method: 'POST'});
	assert.equal(res.status, 200, 'the fake hub reloads');
}

async function toastText(page, text) {
	await page.locator('#toasts .toast', {hasText: text}).first().waitFor();
}

// a11y(b, state): axe at both sizes, and screenshots.
async function a11y(b, state, focus) {
	const found = [];
	for (const size of [DESKTOP, NARROW]) {
		await b.page.setViewportSize(size);
		found.push(...await axeCheck(b.page, state));
	}
	await b.page.setViewportSize(DESKTOP);
	await shot(b.page, 'revisions-' + state, focus);
	assert.deepEqual(found, [], 'no serious or critical violation:\n' +
	    found.join('\n'));
}

test('check for updates, sizes on the buttons, the badge, a confirmed update to its end', T, async () => {
	await hubClear();
	await download(USED);
	if ((await modelInfo(FREE)).is_installed)
		await remove(FREE);
	await moveMain(USED, 1536 * 1024);
	const b = await openBrowser({bypassCSP: true});
	try {
		const {page} = b;
		await page.goto(BASE + '/#token=' + TOKEN);
		const used = card(page, USED);
		const free = card(page, FREE);
		await used.waitFor();
		const dl = free.getByRole('button', {name: 'Download bge-base-en-v1.5'});
		const before = (await modelInfo(FREE)).download_size_mb;
		assert.equal(norm(await dl.textContent()), before === null ?
		    'Download bge-base-en-v1.5' : 'Download bge-base-en-v1.5 · 2 MB');

		// The check: the button says so while it runs, a toast its end.
		const check = page.getByRole('button', {name: /Check for updates/});
		await check.click();
		await waitFor(async () => norm(await check.textContent()) ===
		    'Checking for updates...' || await page.locator('#toasts .toast',
		    {hasText: 'update'}).count() > 0, 'the check starts');
		await toastText(page, '1 update available');
		assert.equal(norm(await check.textContent()), 'Check for updates');

		await waitFor(async () => norm(await dl.textContent()) ===
		    'Download bge-base-en-v1.5 · 2 MB', 'the size on Download');
		const m = await modelInfo(USED);
		assert.equal(m.update_available, true);
		assert.equal(m.update_size_mb, 1);
		const badge = used.locator('.badge-update');
		await badge.waitFor();
		assert.equal(norm(await badge.textContent()), 'Update available');
		const upd = used.getByRole('button', {name: /^Update all-MiniLM-L6-v2/});
		assert.equal(norm(await upd.textContent()), 'Update all-MiniLM-L6-v2 · 1 MB');
		assert.equal(norm(await used.locator('.btn-update').evaluate((el) =>
		    Array.from(el.querySelectorAll(':not(.sr-only)')).map((n) =>
		    n.children.length ? '' : n.textContent).join(''))), 'Update · 1 MB',
		    'what the eye sees');
		await a11y(b, 'update-available', used);

		// Collections use it: the update asks first.
		await hubFault({type: 'slow_body', rate: 400000, repo: USED,
		    path: 'tokenizer.json'});
		await upd.click();
		const dialog = page.getByRole('dialog', {name: 'Update Model'});
		await dialog.waitFor();
		assert.match(norm(await dialog.textContent()),
		    /Model is used by 1 collection\(s\): quick-notes/);
		await a11y(b, 'update-confirm', dialog);
		await dialog.getByRole('button', {name: 'Update Model'}).click();
		await dialog.waitFor({state: 'detached'});
		await used.getByRole('progressbar', {name: /Update progress/}).waitFor();
		await waitFor(async () => /^Updating/.test(norm(await used
		    .locator('.status').textContent())), 'the badge says Updating');
		await toastText(page, 'Model updated: all-MiniLM-L6-v2');
		await waitFor(async () => await used.locator('.badge-update').count() === 0,
		    'the badge goes');
		assert.equal(await used.locator('.btn-update').count(), 0, 'no Update action');
		const after = await modelInfo(USED);
		assert.equal(after.update_available, false);
		assert.equal(after.installed_revision, after.latest_revision);

		// The Activity panel says it in words.
		await page.getByRole('button', {name: 'Activity'}).click();
		await page.locator('#activity', {hasText:
		    'Update requested (confirmed, 2 warnings acknowledged)'}).waitFor();
		await page.locator('#activity', {hasText: 'Update check requested'})
		    .waitFor();
		assertClean(b);
	} finally {
		await b.close();
		await hubClear();
	}
});
