// The cache doctor on the Models page, in a real headless Chromium against
// the real stack (see models.test.mjs): a card's partial download
// (Resume, Discard), the cache bar's "Review and clean up", and a card's
// "Verify files" finding a flipped byte that "Repair" fixes; axe-core on
// each new state.  The tests leave the cache as they found it: the models
// they install or plant are removed at the end.

import {test} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {BASE, TOKEN, env, openBrowser, assertClean, api, modelInfo, download,
    remove, waitFor, card, axeCheck, shot, redis} from './lib.mjs';

const T = {timeout: 120000};
const HUB_CACHE = env.HF_HUB_CACHE;
const OLD = new Date(Date.now() - 2 * 3600 * 1000);
const MIB = 1048576;

function norm(s) {
	return String(s || '').replace(/\s+/g, ' ').trim();
}

function repoDir(id) {
	return path.join(HUB_CACHE, 'models--' + id.replace('/', '--'));
}

// plant(id, name, bytes, old): a file of blobs/ in the repo of id (with
// its empty refs/ and snapshots/, as a download that has begun), written
// as the services write the cache (group-writable), dated two hours back
// when old.
function plant(id, name, bytes, old = true) {
	const dir = repoDir(id);
	const mask = process.umask(0o002);
	try {
		for (const sub of ['blobs', 'refs', 'snapshots'])
			fs.mkdirSync(path.join(dir, sub), {recursive: true});
		const file = path.join(dir, 'blobs', name);
		fs.writeFileSync(file, bytes);
		if (old)
			fs.utimesSync(file, OLD, OLD);
		// As a job that changes the cache does: no responder answers
		// from a scan made before (scan_ttl_seconds).
		redis('INCR', 'model-manager:cache-generation');
		return file;
	} finally {
		process.umask(mask);
	}
}

async function open(b) {
	await b.page.goto(BASE + '/#token=' + TOKEN);
	await b.page.locator('article.card').first().waitFor();
}

async function toastText(page, text) {
	await page.locator('#toasts .toast', {hasText: text}).first().waitFor();
}

async function noViolations(page, state) {
	assert.deepEqual(await axeCheck(page, state), [], state + ': axe-core');
}

// The blob file a snapshot link of model id points to.
function blobOf(id, file) {
	const dir = repoDir(id);
	const commit = fs.readFileSync(path.join(dir, 'refs', 'main'), 'utf8');
	const link = fs.readlinkSync(path.join(dir, 'snapshots', commit, file));
	return path.join(dir, 'blobs', path.basename(link));
}

function sha256(file) {
	return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

test('a partial download: "12.3 MB partial · Resume · Discard"; Resume downloads, Discard reviews the exact bytes and removes them', T, async () => {
	const resumed = 'naver/splade-v3';
	const discarded = 'intfloat/e5-small-v2';
	// A genuine partial of splade-v3's weights: its first MiB.
	const res = await fetch(env.MM_FAKEHUB_URL + '/' + resumed +
	    '/resolve/main/model.safetensors');
	const weights = Buffer.from(await res.arrayBuffer());
	const etag = crypto.createHash('sha256').update(weights).digest('hex');
	plant(resumed, etag + '.incomplete', weights.subarray(0, MIB), false);
	const partial = plant(discarded, 'e'.repeat(64) + '.incomplete',
	    Buffer.alloc(12897485));
	const b = await openBrowser({bypassCSP: true});
	try {
		await open(b);
		const {page} = b;
		const c = card(page, discarded);
		await c.locator('.partial-line').waitFor();
		assert.equal(norm(await c.locator('.partial-line').textContent()),
		    '12.3 MB partial · Resume e5-small-v2 · ' +
		    'Discard the partial files of e5-small-v2');
		await noViolations(page, 'a card with a partial download');
		await shot(page, 'doctor-partial', c);

		// Discard: the dry run's exact bytes, then the prune.
		await c.getByRole('button', {name: 'Discard the partial files of e5-small-v2'})
		    .click();
		const dialog = page.getByRole('dialog', {name: 'Discard partial download'});
		await dialog.locator('.dialog-freed').waitFor();
		assert.equal(norm(await dialog.locator('.dialog-freed').textContent()),
		    'This will free exactly 12,897,485 bytes (12.3 MB) in 1 item.');
		await noViolations(page, 'the Discard dialog');
		await shot(page, 'doctor-discard-dialog');
		await dialog.getByRole('button', {name: 'Discard', exact: true}).click();
		await toastText(page, 'Cleaned up e5-small-v2: freed 12.3 MB');
		assert.equal(fs.existsSync(partial), false, 'the partial file is gone');
		await waitFor(async () => await c.locator('.partial-line').count() === 0,
		    'the partial line gone');

		// Resume: the download picks the partial file up.
		const s = card(page, resumed);
		await page.getByRole('tab', {name: /^SPLADE/}).click();
		await s.getByRole('button', {name: 'Resume splade-v3', exact: true}).click();
		await toastText(page, 'Model download completed: splade-v3');
		assert.equal((await modelInfo(resumed)).partial_size_bytes, 0);
		assertClean(b);
	} finally {
		await b.close();
		fs.rmSync(repoDir(discarded), {recursive: true, force: true});
		if ((await modelInfo(resumed)).is_installed)
			await remove(resumed);
	}
});

test('Verify files finds a flipped byte, Repair fetches that file again; Review and clean up', T, async () => {
	const id = 'BAAI/bge-base-en-v1.5';
	const name = 'bge-base-en-v1.5';
	await download(id);
	const blob = blobOf(id, 'model.safetensors');
	const fd = fs.openSync(blob, 'r+');
	fs.writeSync(fd, Buffer.from([0xff]), 0, 1, 4096);
	fs.closeSync(fd);
	const orphan = plant(id, 'b'.repeat(64), Buffer.alloc(4321));
	const b = await openBrowser({bypassCSP: true});
	try {
		await open(b);
		const {page} = b;
		const c = card(page, id);
		await c.locator('.chevron').click();
		const check = c.locator('.file-check');
		assert.equal(norm(await check.locator('.check-status').textContent()),
		    'Not checked yet.');
		await check.getByRole('button', {name: 'Verify files of ' + name}).click();
		await toastText(page, 'Verify of ' + name + ' found 1 problem');
		await waitFor(async () => norm(await check.locator('.check-status')
		    .textContent()).startsWith('1 problem found.'), 'the problem on the card');
		assert.equal(norm(await check.locator('.problems').textContent()),
		    'model.safetensors — content does not match');
		await noViolations(page, 'a file check with a problem');
		await shot(page, 'doctor-problems', c);
		await check.getByRole('button', {name: 'Repair ' + name}).click();
		await toastText(page, 'Repair of ' + name + ' completed: 1 file fetched again');
		await waitFor(async () => norm(await check.locator('.check-status')
		    .textContent()).startsWith('All files match.'), 'sound again');
		assert.equal(sha256(blob), path.basename(blob), 'the blob is right again');

		// The cache bar: what can be reclaimed, reviewed then cleaned.
		await page.getByRole('button', {name: 'Show cache usage'}).click();
		const review = page.getByRole('button', {name: 'Review and clean up'});
		await review.waitFor();
		await review.click();
		const dialog = page.getByRole('dialog', {name: 'Review and clean up'});
		await dialog.locator('.dialog-freed').waitFor();
		await dialog.getByRole('checkbox', {name: 'Stale lock files'}).uncheck();
		const kinds = ['partial', 'orphan_blobs', 'detached_revisions'];
		const dry = (await api('POST', '/cache/prune', {body: {model_id: null,
		    what: kinds}})).body;
		await waitFor(async () => norm(await dialog.locator('.dialog-freed')
		    .textContent()).includes(dry.would_free.apparent_bytes
		    .toLocaleString('en-US') + ' bytes'), 'the dry run of three kinds');
		await noViolations(page, 'the Review and clean up dialog');
		await shot(page, 'doctor-cleanup-dialog');
		await dialog.getByRole('button', {name: 'Clean up'}).click();
		await toastText(page, 'Cleaned up: freed ');
		assert.equal(fs.existsSync(orphan), false, 'the unused file is gone');
		assert.equal(fs.existsSync(blob), true, 'the model\'s own file stays');
		assertClean(b);
	} finally {
		await b.close();
		if ((await modelInfo(id)).is_installed)
			await remove(id);
	}
});
