// The download policy on the Models page: the line above the list, the
// dialog that changes it (a 422 shown beside its field, nothing changed),
// a download waiting for its window with its reason and "Start now", and
// accessibility (axe-core) of the dialog and of the waiting card.  Uses
// intfloat/e5-small-v2 and leaves it, and the policy, as it found them.

import {test} from 'node:test';
import assert from 'node:assert/strict';
import {BASE, TOKEN, openBrowser, assertClean, api, modelInfo, remove,
    waitFor, card, axeCheck, shot} from './lib.mjs';

const ID = 'intfloat/e5-small-v2';
const NAME = 'e5-small-v2';
const MIB = 1024 * 1024;
const DEFAULT = {max_bytes_per_second: null, windows: [], timezone: 'UTC',
    pause_outside_window: false};
const T = {timeout: 60000};

function norm(s) {
	return String(s || '').replace(/\s+/g, ' ').trim();
}

// hhmm(ms): the UTC time of day of ms since the epoch, "HH:MM".
function hhmm(ms) {
	return new Date(ms).toISOString().slice(11, 16);
}

async function putPolicy(p) {
	const r = await api('PUT', '/policy', {body: p});
	assert.equal(r.status, 200, 'PUT /policy ' + JSON.stringify(r.body));
}

test('the download policy: its line, the dialog (422 shown, then saved), a waiting download with its reason and Start now', T, async () => {
	if ((await modelInfo(ID)).is_installed)
		await remove(ID);
	await putPolicy({max_bytes_per_second: 20 * MIB,
	    windows: [{start: '01:00', end: '06:00'}], timezone: 'Europe/Berlin',
	    pause_outside_window: false});
	const b = await openBrowser({bypassCSP: true});
	const found = [];
	try {
		const {page} = b;
		await page.goto(BASE + '/#token=' + TOKEN);
		await page.locator('article.card').first().waitFor();
		const line = page.getByRole('region', {name: 'Download policy'});
		await waitFor(async () => norm(await line.textContent()) ===
		    'Downloads limited to 20 MB/s, 01:00\u201306:00 Europe/Berlin \u00b7 Change',
		    'the policy line');

		// The dialog: a bad time zone is refused, beside its field.
		await line.getByRole('button', {name: 'Change the download policy'}).click();
		const dialog = page.getByRole('dialog', {name: 'Download policy'});
		await dialog.waitFor();
		assert.equal(await dialog.getByLabel('Window 1 from').inputValue(), '01:00');
		assert.equal(await dialog.getByLabel('Time zone').inputValue(), 'Europe/Berlin');
		found.push(...await axeCheck(page, 'the policy dialog'));
		await shot(page, 'policy-dialog', dialog);
		await dialog.getByLabel('Limit (MB/s)').fill('5');
		await dialog.getByLabel('Time zone').fill('Mars/Olympus_Mons');
		await dialog.getByRole('button', {name: 'Save'}).click();
		const errors = dialog.getByRole('alert');
		await waitFor(async () => /^Time zone: unknown time zone 'Mars\/Olympus_Mons'/
		    .test(norm(await errors.textContent())), 'the 422 beside the zone');
		assert.equal(await dialog.getByLabel('Time zone').getAttribute('aria-invalid'), 'true');
		assert.equal(await page.evaluate(() => document.activeElement.getAttribute('list')),
		    'pol-zones', 'the focus on the field in error');
		assert.equal((await api('GET', '/policy')).body.max_bytes_per_second, 20 * MIB,
		    'nothing changed');
		found.push(...await axeCheck(page, 'the policy dialog with an error'));

		// Saved: a window that excludes now, in UTC.
		const from = hhmm(Date.now() + 2 * 3600e3);
		const to = hhmm(Date.now() + 3 * 3600e3);
		await dialog.getByLabel('Time zone').fill('UTC');
		await dialog.getByLabel('Window 1 from').fill(from);
		await dialog.getByLabel('Window 1 to').fill(to);
		await dialog.getByLabel('Pause running downloads outside the windows').check();
		await dialog.getByRole('button', {name: 'Save'}).click();
		await page.locator('#toasts .toast', {hasText: 'Download policy saved'}).waitFor();
		assert.equal(await dialog.count(), 0, 'the dialog closed');
		assert.equal(norm(await line.textContent()), 'Downloads limited to 5 MB/s, ' +
		    from + '\u2013' + to + ' UTC (paused outside) \u00b7 Change');
		assert.deepEqual((await api('GET', '/policy')).body, {
		    max_bytes_per_second: 5 * MIB, windows: [{start: from, end: to}],
		    timezone: 'UTC', pause_outside_window: true}, 'the API has it');

		// A download outside the window waits, saying for what.
		const c = card(page, ID);
		await c.getByRole('button', {name: 'Download ' + NAME}).click();
		const label = c.locator('.progress-text');
		await waitFor(async () => /^Waiting for the download window /
		    .test(await label.textContent()), 'the waiting reason on the card');
		assert.match(await label.textContent(), new RegExp('^Waiting for the download ' +
		    'window ' + from + '\u2013' + to + ' \\(UTC\\), starts in (1 h \\d+ min|2 h)$'));
		assert.equal(norm(await c.locator('.status-running').textContent()), 'Waiting');
		const startNow = c.getByRole('button', {name: 'Start now download of ' + NAME});
		assert.ok(await startNow.isVisible(), 'Start now is offered');
		found.push(...await axeCheck(page, 'a waiting card'));
		await shot(page, 'policy-waiting', c);

		// Start now: it runs outside its window and completes.
		await startNow.click();
		await page.locator('#toasts .toast', {hasText: 'Model download completed: ' +
		    NAME}).waitFor();
		assert.ok((await modelInfo(ID)).is_installed, 'installed');
		assert.deepEqual(found, [], 'no serious or critical accessibility issue');
		assertClean(b);
	} finally {
		await b.close();
		await putPolicy(DEFAULT);
		if ((await modelInfo(ID)).is_installed)
			await remove(ID);
	}
	await waitFor(async () => !(await modelInfo(ID)).active_download_task_id,
	    'no task left');
});
