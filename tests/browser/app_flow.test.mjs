// The web app end to end in headless Chromium against a real intake-server: sign in, create a
// campaign and its fields (with a 422 shown inline), upload a generated file with known errors
// (table counts and status, the downloaded report, the details dialog), the disabled Upload
// button while another upload is Processing, View participants from this upload, sort and
// filter across pages, expand, delete, communications (hover message, Go to session), and
// resume after a reload mid-upload. Screenshots go to build/screenshots (desktop and phone).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, startServer, apiClient, launch, screenshots, generateCsv, signIn, VIEWPORTS } from './app_support/harness.mjs';

const skip = missing() ?? false;
const FIELDS = JSON.parse(readFileSync('/work/shared/bench/fields.json', 'utf8')).fields;
let server; let api; let browser; let context; let page; let campaignId; let work;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'intake-app-files-'));
  server = await startServer();
  api = apiClient(server.url);
  browser = await launch();
  context = await browser.newContext({ viewport: VIEWPORTS.desktop, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const tab = (name) => page.getByRole('link', { name, exact: true });
const uploadsRows = () => page.locator('.uploads-table tbody tr');

// Focus checks: what has focus (tag, id, classes, data-*), and whether it is the very element
// marked earlier with probe() (i.e. it was not rebuilt in between).
const focused = () => page.evaluate(() => {
  const el = document.activeElement;
  return { tag: el?.tagName.toLowerCase(), id: el?.id, cls: el?.className, action: el?.dataset.action ?? null, header: el?.dataset.header ?? null,
    probe: el?.dataset.probe ?? null, uploadId: el?.closest('tr[data-upload-id]')?.dataset.uploadId ?? null, inDialog: Boolean(el?.closest('dialog')) };
});
const probe = (locator, name) => locator.evaluate((el, n) => { el.dataset.probe = n; }, name);

test('sign in with a token; a wrong token is refused with a message', { skip }, async () => {
  await page.goto(server.url + '/');
  // Both toast live regions exist from the start, before any toast, so the first one is announced.
  const regions = await page.evaluate(() => ({
    polite: document.getElementById('toasts-polite')?.getAttribute('aria-live'),
    assertive: document.getElementById('toasts-assertive')?.getAttribute('aria-live'),
    toasts: document.querySelectorAll('.toast').length,
  }));
  assert.deepEqual(regions, { polite: 'polite', assertive: 'assertive', toasts: 0 });
  await screenshots(page, '01-sign-in');
  await page.getByLabel('API token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This token was not accepted').waitFor();
  await signIn(page, server.url);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('intake:token')), 'test-admin-token-0123456789abcdef');
  await page.getByText('No campaigns yet').waitFor();
  await screenshots(page, '02-campaigns-empty');
});

test('create a campaign and its fields in the Data tab; problems shown inline', { skip }, async () => {
  await page.getByLabel('New campaign').fill('Spring onboarding');
  await page.getByRole('button', { name: 'Create campaign' }).click();
  await page.getByRole('heading', { name: 'Spring onboarding' }).waitFor();
  campaignId = decodeURIComponent(page.url().match(/campaigns\/([^/]+)\/data/)[1]);
  await page.locator('.field-row').first().waitFor();

  // An invalid field first: a blank label and key must come back as an inline problem.
  await page.getByRole('button', { name: 'Add field' }).first().click();
  await page.getByRole('button', { name: 'Save fields' }).first().click();
  await page.locator('.field-row.has-error .field-errors li').first().waitFor();
  await screenshots(page, '03-data-tab-problem');
  await page.locator('.field-row').last().getByRole('button', { name: /^Remove/ }).click();

  // Then the bench's fields, through the editor.
  const existing = await page.locator('.field-row').evaluateAll((rows) => rows.map((r) => r.dataset.key));
  for (const f of FIELDS.filter((x) => !existing.includes(x.key))) {
    await page.getByRole('button', { name: 'Add field' }).first().click();
    const row = page.locator('.field-row').last();
    await row.getByLabel('Label').fill(f.label);
    await row.getByLabel('Key').fill(f.key);
    await row.getByLabel('Type').selectOption(f.type);
    if (f.values) await row.getByLabel(/Allowed values/).fill(f.values.join(', '));
  }
  // Required flags as in fields.json, and the same order.
  for (const f of FIELDS) {
    const row = page.locator(`.field-row[data-key="${f.key}"]`);
    const box = row.getByLabel('Required');
    if ((await box.isChecked()) !== f.required) await box.click();
  }
  await page.getByRole('button', { name: 'Save fields' }).first().click();
  await page.getByText(/^Saved \d+ fields/).waitFor();
  const saved = (await api('GET', `/api/v1/campaigns/${campaignId}/fields`)).fields;
  for (const f of FIELDS) {
    const s = saved.find((x) => x.key === f.key);
    assert.ok(s, `field ${f.key} saved`);
    assert.equal(s.type, f.type);
    assert.equal(s.required, f.required, `${f.key} required`);
    if (f.values) assert.deepEqual(s.values, f.values);
  }
  // Reorder: move the last field up one, save, and the server keeps the order.
  const before = saved.map((f) => f.key);
  await page.locator('.field-row').last().getByRole('button', { name: /up$/ }).click();
  await page.getByRole('button', { name: 'Save fields' }).first().click();
  await page.getByText(/^Saved \d+ fields/).waitFor();
  const after = (await api('GET', `/api/v1/campaigns/${campaignId}/fields`)).fields.map((f) => f.key);
  const expected = [...before];
  [expected[expected.length - 1], expected[expected.length - 2]] = [expected[expected.length - 2], expected[expected.length - 1]];
  assert.deepEqual(after, expected);
  await screenshots(page, '04-data-tab');
});

let firstUpload;
test('upload a file with known errors: preview, table counts and status, report, details', { skip }, async () => {
  const file = generateCsv(300, join(work, 'participants.csv'), 10);
  await tab('Uploads').click();
  await page.getByText('No uploads yet').waitFor();
  await screenshots(page, '05-uploads-empty');
  await page.getByRole('button', { name: 'Upload data' }).click();
  const dialog = page.getByRole('dialog', { name: 'Upload data' });
  await dialog.waitFor();
  assert.match((await focused()).cls, /drop-zone/, 'the drop zone has focus when the dialog opens');
  await screenshots(page, '06-upload-dialog-drop');
  await dialog.locator('#upload-file').setInputFiles(file);
  await dialog.locator('.mapping-table').waitFor();
  // The drop zone is hidden once a file is picked; focus moves to the file name heading.
  assert.equal(await dialog.locator('.drop-zone').isHidden(), true);
  assert.equal((await focused()).id, 'upload-file-name', 'focus moves from the hidden drop zone to the file name');
  assert.match(await dialog.locator('#upload-file-name').textContent(), /participants\.csv/);
  // The review is not a live region (it would re-read the tables); a short status is.
  assert.equal(await dialog.locator('.review-step').getAttribute('aria-live'), null);
  assert.equal(await dialog.locator('[aria-live] table').count(), 0, 'no table inside a live region');
  await page.waitForFunction(() => /\d+ rows? with problems in the preview/.test(document.getElementById('upload-review-status')?.textContent ?? ''));
  assert.match(await dialog.locator('.detected-delimiter').textContent(), /comma|,/i);
  assert.match(await dialog.locator('.detected-encoding').textContent(), /utf-?8|ascii/i);
  assert.equal(await dialog.locator('select[data-header="email"]').inputValue(), 'email');
  assert.ok(await dialog.locator('.cell-invalid').count() > 0, 'invalid cells highlighted in the preview');
  assert.ok((await dialog.locator('.cell-invalid').first().getAttribute('title')).length > 3, 'invalid cell explained');
  await screenshots(page, '07-upload-dialog-review');

  // Unmapping a required column shows it and blocks Upload; mapping it back allows it again.
  // The select being changed keeps focus (the same element: it is not rebuilt), and the status
  // says what changed.
  const emailSelect = dialog.locator('select[data-header="email"]');
  await emailSelect.focus();
  await probe(emailSelect, 'email-select');
  await probe(dialog.locator('.preview'), 'preview-1');
  await emailSelect.selectOption('');
  await dialog.locator('.missing-required').waitFor();
  await page.waitForFunction(() => !document.querySelector('.review-step')?.hasAttribute('aria-busy'));
  assert.match(await dialog.locator('.missing-required').textContent(), /Email/);
  assert.ok(await dialog.getByRole('button', { name: 'Upload' }).isDisabled());
  assert.match(await dialog.locator('#upload-review-status').textContent(), /Required field not mapped: Email/);
  let f = await focused();
  assert.equal(f.probe, 'email-select', `the changed select keeps focus (focus is on ${JSON.stringify(f)})`);
  await screenshots(page, '08-upload-dialog-missing-required');
  await emailSelect.selectOption('email');
  await dialog.locator('.missing-required').waitFor({ state: 'detached' });
  await page.waitForFunction(() => !document.querySelector('.review-step')?.hasAttribute('aria-busy'));
  assert.equal((await focused()).probe, 'email-select');
  // Options too: changing the region re-checks the preview (rebuilt) around the focused select.
  const regionSelect = dialog.getByLabel('Default phone region');
  await regionSelect.focus();
  await probe(dialog.locator('.preview'), 'preview-2');
  await regionSelect.selectOption('CA');
  await page.waitForFunction(() => document.querySelector('.upload-dialog .preview') && !document.querySelector('.upload-dialog .preview').dataset.probe);
  f = await focused();
  assert.equal(f.id, 'default-region', `the region select keeps focus (focus is on ${JSON.stringify(f)})`);
  await regionSelect.selectOption('US');
  await page.waitForFunction(() => !document.querySelector('.review-step')?.hasAttribute('aria-busy'));
  assert.equal((await focused()).id, 'default-region');
  await dialog.getByRole('button', { name: 'Upload' }).click();

  const row = uploadsRows().first();
  await page.locator('.uploads-table tbody tr[data-status="Failed"], .uploads-table tbody tr[data-status="Completed"]').first().waitFor({ timeout: 30000 });
  const uploads = (await api('GET', `/api/v1/campaigns/${campaignId}/uploads`)).items;
  firstUpload = uploads[0];
  assert.equal(firstUpload.status, 'Failed', 'an upload with failed rows ends Failed');
  assert.equal(firstUpload.total_rows, 300);
  assert.ok(firstUpload.failed >= 25 && firstUpload.failed <= 35, `about one row in ten fails (got ${firstUpload.failed})`);
  assert.equal(firstUpload.created + firstUpload.failed, 300);
  assert.equal(await row.locator('.total-rows').textContent(), '300');
  assert.equal(await row.locator('.count-created').textContent(), `${firstUpload.created} created`);
  assert.equal(await row.locator('.count-failed').textContent(), `${firstUpload.failed} failed`);
  assert.equal((await row.locator('.badge').textContent()).trim(), 'Failed');
  assert.match(await page.locator('.total-processed').textContent(), /300/);
  await screenshots(page, '09-uploads-table');

  // N Errors downloads the report: one line per failed cell.
  const [download] = await Promise.all([page.waitForEvent('download'), row.locator('.errors-link').click()]);
  const text = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(text[0], 'row,field,value,code,message');
  assert.equal(text.length - 1, firstUpload.error_count);
  assert.match(await row.locator('.errors-link').textContent(), new RegExp(`${firstUpload.error_count} Errors`));

  // Details: every counter, the chart, Download errors.
  await row.getByRole('button', { name: /Details/ }).click();
  const details = page.getByRole('dialog', { name: `Upload ${firstUpload.id}` });
  await details.locator('.bar-chart').waitFor();
  assert.equal(await details.locator('[data-counter="Total rows"] dd').textContent(), '300');
  assert.equal(await details.locator('[data-counter="Failed rows"] dd').textContent(), String(firstUpload.failed));
  const barTotal = (await details.locator('.bar-value').allTextContents()).reduce((s, v) => s + Number(v.replace(/\D/g, '')), 0);
  assert.equal(barTotal, firstUpload.error_count, 'the chart counts every error');
  await screenshots(page, '10-upload-details');
  // Its toast shows inside the dialog (the page behind a modal dialog is inert), and moves to
  // the page when the dialog closes.
  const [again] = await Promise.all([page.waitForEvent('download'), details.getByRole('button', { name: /Download errors/ }).click()]);
  const inDialog = details.locator('.dialog-toasts [aria-live="polite"] .toast', { hasText: 'downloaded' });
  await inDialog.waitFor();
  assert.ok(await inDialog.isVisible());
  // One that does not expire (an error's) is in the dialog while it is open and in the page's
  // region once it has closed: checked inside the page, from the dialog's own close event.
  const moved = await page.evaluate(async () => {
    const { toast } = await import('./app/components/toasts.js');
    const dialog = document.querySelector('dialog[open]');
    const item = toast('kept', { kind: 'error' });
    const inDialog = dialog.contains(item);
    const closed = new Promise((resolve) => dialog.addEventListener('close', () => setTimeout(resolve, 0), { once: true }));
    dialog.close();
    await closed;
    const inPage = document.getElementById('toasts-assertive').contains(item);
    item.remove();
    return { inDialog, inPage, dialogGone: !dialog.isConnected };
  });
  assert.deepEqual(moved, { inDialog: true, inPage: true, dialogGone: true });
  await details.waitFor({ state: 'detached' });
  assert.equal(readFileSync(await again.path(), 'utf8').trim().split(/\r?\n/).length - 1, firstUpload.error_count);
});

test('Upload data is disabled while another upload of the campaign is Processing', { skip }, async () => {
  const other = await api('POST', `/api/v1/campaigns/${campaignId}/uploads`, { filename: 'elsewhere.csv', size_bytes: 10, fingerprint: 'elsewhere', duplicate_policy: 'update', default_region: 'US', mapping: {} });
  await page.reload();
  const button = page.getByRole('button', { name: 'Upload data' });
  await page.locator('.uploads-table tbody tr[data-status="Processing"]').waitFor();
  assert.ok(await button.isDisabled());
  await page.getByText('Please wait for the current upload to finish.').first().waitFor();
  assert.equal(await page.locator('.resume-box').count(), 0, 'no resume offer for an upload started elsewhere');
  await screenshots(page, '11-uploads-processing-elsewhere');

  // While an upload is Processing the table is polled every 1.5 s; focus on N Errors stays on
  // the same element across polls (the rows are patched, not rebuilt).
  const errors = page.locator(`.uploads-table tbody tr[data-upload-id="${firstUpload.id}"] [data-action="errors"]`);
  await errors.focus();
  await probe(errors, 'errors-link');
  await page.waitForTimeout(3500);
  let f = await focused();
  assert.equal(f.probe, 'errors-link', `N Errors keeps focus across polls (focus is on ${JSON.stringify(f)})`);
  // Keyboard: Tab moves on to View participants of the same row, which keeps focus too.
  await page.keyboard.press('Tab');
  f = await focused();
  assert.deepEqual([f.action, f.uploadId], ['participants', firstUpload.id]);

  // When a status changes the rows are rebuilt, and focus goes back to the same action of the
  // same upload.
  const details = page.locator(`.uploads-table tbody tr[data-upload-id="${other.id}"] [data-action="details"]`);
  await details.focus();
  await probe(details, 'details-before');
  await api('POST', `/api/v1/uploads/${other.id}/cancel`);
  await page.locator(`.uploads-table tbody tr[data-upload-id="${other.id}"][data-status="Failed"]`).waitFor({ timeout: 15000 });
  f = await focused();
  assert.deepEqual([f.action, f.uploadId, f.probe], ['details', other.id, null], `focus restored on the rebuilt row's Details (focus is on ${JSON.stringify(f)})`);
  await page.waitForFunction(() => !document.getElementById('upload-data').disabled, null, { timeout: 15000 });
});

test('View participants from this upload: chip and counts', { skip }, async () => {
  await page.locator(`.uploads-table tbody tr[data-upload-id="${firstUpload.id}"]`).getByRole('link', { name: /View participants/ }).click();
  await page.locator('.chip', { hasText: 'Upload ID' }).waitFor();
  assert.match(await page.locator('.chip').textContent(), new RegExp(`Upload ID: ${firstUpload.id}`));
  await page.locator('.pager-total').waitFor();
  assert.match(await page.locator('.pager-total').textContent(), new RegExp(`of ${firstUpload.created}$`));
  await screenshots(page, '12-participants-upload-chip');
  await page.getByRole('button', { name: 'Clear all' }).click();
  await page.locator('.chip').waitFor({ state: 'detached' });
});

async function shownEmails() {
  return page.locator('.participants-table tbody tr.participant-row .cell-email').allTextContents();
}

test('sort and filter across pages (server-side)', { skip }, async () => {
  await page.locator('.participants-table').waitFor();
  await page.getByRole('button', { name: 'Email', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]')?.textContent.includes('Email'));
  const p1 = await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=email&limit=50`);
  await page.waitForFunction((first) => document.querySelector('.participants-table tbody .cell-email')?.textContent === first, p1.items[0].email);
  assert.deepEqual(await shownEmails(), p1.items.map((p) => p.email));
  await page.getByRole('button', { name: 'Next' }).click();
  const p2 = await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=email&limit=50&cursor=${encodeURIComponent(p1.next_cursor)}`);
  await page.waitForFunction((first) => document.querySelector('.participants-table tbody .cell-email')?.textContent === first, p2.items[0].email);
  assert.deepEqual(await shownEmails(), p2.items.map((p) => p.email));
  assert.match(await page.locator('.pager-total').textContent(), new RegExp(`^51–100 of ${p1.total}`));
  // Descending.
  await page.getByRole('button', { name: 'Email', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="descending"]')?.textContent.includes('Email'));
  const d1 = await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=-email&limit=50`);
  await page.waitForFunction((first) => document.querySelector('.participants-table tbody .cell-email')?.textContent === first, d1.items[0].email);
  // On a phone the rows are cards and the header is hidden: the "Sort by" select sorts instead,
  // keeps the keyboard focus across the redraw, and is hidden again on a wide screen.
  await page.setViewportSize(VIEWPORTS.phone);
  assert.equal(await page.locator('.participants-table thead').isVisible(), false);
  const sortBy = page.getByLabel('Sort by');
  assert.equal(await sortBy.inputValue(), '-email');
  await sortBy.selectOption('name');
  await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]')?.textContent.includes('Name'));
  const n1 = await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=name&limit=50`);
  await page.waitForFunction((first) => document.querySelector('.participants-table tbody .cell-email')?.textContent === first, n1.items[0].email);
  assert.deepEqual(await shownEmails(), n1.items.map((p) => p.email));
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'sort-participants-table');
  await sortBy.selectOption('-email');
  await page.waitForFunction((first) => document.querySelector('.participants-table tbody .cell-email')?.textContent === first, d1.items[0].email);
  await page.setViewportSize(VIEWPORTS.desktop);
  assert.equal(await page.getByLabel('Sort by').isVisible(), false);

  // Filter: plan is pro, then page 2 of the filtered list matches the server's.
  await page.getByText('Filter', { exact: true }).click();
  await page.getByLabel('Field').selectOption('plan');
  await page.locator('#filter-value').selectOption('pro');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await page.locator('.chip', { hasText: 'Plan' }).waitFor();
  const f1 = await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=-email&limit=50&filter[plan]=pro`);
  await page.waitForFunction((total) => document.querySelector('.pager-total')?.textContent.endsWith(`of ${total}`), f1.total);
  assert.ok(f1.total > 0 && f1.total < p1.total);
  // A second filter (email contains) ANDs with the first.
  await page.getByLabel('Field').selectOption('email');
  await page.getByLabel('Match').selectOption('contains');
  const part = f1.items[0].email.slice(0, 3);
  await page.locator('#filter-value').fill(part);
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await page.locator('.chip', { hasText: 'Email' }).waitFor();
  const f2 = await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=-email&limit=50&filter[plan]=pro&filter[email]=${encodeURIComponent(`~${part}`)}`);
  await page.waitForFunction((total) => document.querySelector('.pager-total')?.textContent.endsWith(`of ${total}`), f2.total);
  assert.deepEqual(await shownEmails(), f2.items.map((p) => p.email));
  await screenshots(page, '13-participants-filtered');
  // Remove one chip; then Clear all.
  await page.getByRole('button', { name: 'Remove filter Email' }).click();
  await page.locator('.chip', { hasText: 'Email' }).waitFor({ state: 'detached' });
  await page.waitForFunction((total) => document.querySelector('.pager-total')?.textContent.endsWith(`of ${total}`), f1.total);
  await page.getByRole('button', { name: 'Clear all' }).click();
  await page.locator('.chip').waitFor({ state: 'detached' });
  await page.waitForFunction((total) => document.querySelector('.pager-total')?.textContent.endsWith(`of ${total}`), p1.total);
});

test('expand a row: Details in Data-tab order and Results', { skip }, async () => {
  const row = page.locator('.participant-row').first();
  await row.getByRole('button', { name: /^Details of/ }).click();
  await page.locator('.detail-row .detail-list dt').first().waitFor();
  const labels = await page.locator('.detail-row .details dt').allTextContents();
  const order = (await api('GET', `/api/v1/campaigns/${campaignId}/fields`)).fields.map((f) => f.label);
  assert.deepEqual(labels, order);
  assert.equal(await page.locator('.detail-row .result-value').textContent(), 'No result yet');
  assert.equal(await row.getByRole('button', { name: /^Details of/ }).getAttribute('aria-expanded'), 'true');
  await screenshots(page, '14-participants-expanded');
  await row.getByRole('button', { name: /^Details of/ }).click();
  await page.locator('.detail-row').waitFor({ state: 'detached' });
});

test('delete a participant after confirming "Delete participant?"', { skip }, async () => {
  const total = (await api('GET', `/api/v1/campaigns/${campaignId}/participants?limit=1`)).total;
  const row = page.locator('.participant-row').first();
  const id = await row.getAttribute('data-participant-id');
  await row.getByRole('button', { name: /^Delete/ }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete participant?' });
  await confirm.waitFor();
  await screenshots(page, '15-delete-confirm');
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await page.waitForFunction((t) => document.querySelector('.pager-total')?.textContent.endsWith(`of ${t}`), total - 1);
  assert.equal(await page.locator(`.participant-row[data-participant-id="${id}"]`).count(), 0);
  await page.locator('.toast', { hasText: 'Deleted' }).waitFor();
  // Results go to the polite region; errors to the assertive one, and no item carries a role of
  // its own inside a live region (which would announce it twice or at the wrong level).
  assert.equal(await page.locator('#toasts-polite .toast', { hasText: 'Deleted' }).count(), 1);
  await page.route('**/api/v1/participants/*', (route) => (route.request().method() === 'DELETE'
    ? route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal', message: 'The database is busy.' } }) })
    : route.continue()));
  await page.locator('.participant-row').first().getByRole('button', { name: /^Delete/ }).click();
  await page.getByRole('dialog', { name: 'Delete participant?' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('#toasts-assertive .toast-error').first().waitFor();
  await page.unroute('**/api/v1/participants/*');
  assert.equal(await page.locator('#toasts-polite .toast-error').count(), 0);
  assert.equal(await page.locator('[aria-live] [role="alert"], [aria-live] [role="status"]').count(), 0);
  await page.locator('#toasts-assertive .toast-error').first().getByRole('button', { name: 'Dismiss' }).click();
});

test('communications: statuses set through the API, message on hover, Go to session', { skip }, async () => {
  const target = (await api('GET', `/api/v1/campaigns/${campaignId}/participants?sort=email&limit=1`)).items[0];
  const a = await api('POST', `/api/v1/participants/${target.id}/communications`, { name: 'Welcome call', channel: 'voice', agent_id: 'agent-7', scheduled_at: '2026-11-22T09:30:00Z' });
  await api('PATCH', `/api/v1/communications/${a.id}`, { status: 'Failed', status_message: 'Number unreachable after 3 attempts', session_id: 'sess-1' });
  const b = await api('POST', `/api/v1/participants/${target.id}/communications`, { name: 'Reminder', channel: 'sms', agent_id: 'agent-2' });
  await api('PATCH', `/api/v1/communications/${b.id}`, { status: 'Replied', status_message: 'Said yes' });
  const c = await api('POST', `/api/v1/participants/${target.id}/communications`, { name: 'Follow-up', channel: 'email', agent_id: 'agent-3' });
  // Results show the latest communication's result.
  await api('PATCH', `/api/v1/communications/${c.id}`, { status: 'Read', status_message: 'Opened the email', result: 'Interested', result_at: '2026-11-23T10:00:00Z' });
  await api('PUT', '/api/v1/sessions/sess-1', { id: 'sess-1', messages: [{ from: 'agent', text: 'Hello! Is this a good time?', at: '2026-11-22T09:31:00Z' }, { from: 'participant', text: 'Not really, call later.', at: '2026-11-22T09:31:20Z' }] });

  await page.reload();
  await page.getByRole('button', { name: 'Email', exact: true }).click();
  await page.waitForFunction((e) => document.querySelector('.participants-table tbody .cell-email')?.textContent === e, target.email);
  const row = page.locator(`.participant-row[data-participant-id="${target.id}"]`);
  assert.equal(await row.locator('.comms-count').textContent(), '3');
  await row.getByRole('button', { name: /^Details of/ }).click();
  await page.locator('.detail-row .result-value', { hasText: 'Interested' }).waitFor();
  await row.locator('.comms-count').click();
  const dialog = page.getByRole('dialog', { name: /^Communications/ });
  await dialog.locator('.comms-table').waitFor();
  const failed = dialog.locator('.comm-status', { hasText: 'Failed' });
  assert.equal(await failed.getAttribute('data-group'), 'ended');
  assert.equal(await dialog.locator('.comm-status', { hasText: 'Replied' }).getAttribute('data-group'), 'success');
  assert.equal(await dialog.locator('.comm-status', { hasText: 'Read' }).getAttribute('data-group'), 'progress');
  await failed.hover();
  const tip = dialog.locator(`#${await failed.getAttribute('aria-describedby')}`);
  await tip.waitFor({ state: 'visible' });
  assert.match(await tip.textContent(), /Number unreachable after 3 attempts/);
  await screenshots(page, '16-communications');
  // Focus shows it too.
  await dialog.locator('.comm-status', { hasText: 'Replied' }).focus();
  assert.ok(await dialog.locator('.tooltip', { hasText: 'Said yes' }).isVisible());
  assert.equal(await dialog.getByRole('link', { name: /Go to session/ }).count(), 1, 'only the communication with a session links to it');
  const [session] = await Promise.all([context.waitForEvent('page'), dialog.getByRole('link', { name: /Go to session/ }).click()]);
  await session.waitForLoadState();
  assert.match(session.url(), /session\.html\?id=sess-1$/);
  await session.getByText('Not really, call later.').waitFor();
  await screenshots(session, '17-session');
  await session.close();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
});

test('resume after a reload mid-upload, with the same file', { skip }, async () => {
  const file = generateCsv(40000, join(work, 'big.csv'), 0);
  await page.goto(`${server.url}/#/campaigns/${campaignId}/uploads`);
  // Let the first batch through and hold the others, so the upload stays Processing.
  let released = false;
  const held = [];
  await page.route('**/batches/**', (route) => {
    if (released || /\/batches\/0\?/.test(route.request().url())) return route.continue();
    held.push(route);
    return undefined;
  });
  await page.getByRole('button', { name: 'Upload data' }).click();
  const dialog = page.getByRole('dialog', { name: 'Upload data' });
  await dialog.locator('#upload-file').setInputFiles(file);
  await dialog.locator('.mapping-table').waitFor();
  await dialog.getByRole('button', { name: 'Upload' }).click();
  await page.locator('.run-box').waitFor();
  await page.waitForFunction(() => /\d+% · [\d,]+ rows\/s/.test(document.querySelector('.run-progress-text')?.textContent ?? ''));
  await page.locator('.uploads-table tbody tr[data-status="Processing"]').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Upload data' }).isDisabled());

  // Keyboard use during the upload: progress events (~250 ms) and polls (1.5 s) patch the run
  // box and the table in place, so Stop and the row's Details keep focus.
  await page.evaluate(async () => {
    const { runs } = await import('/app/upload_runner.js');
    window.__runEvents = 0;
    runs.addEventListener('change', () => { window.__runEvents++; });
  });
  const stop = page.getByRole('button', { name: 'Stop', exact: true });
  await stop.focus();
  await probe(stop, 'stop');
  await page.waitForTimeout(2000);
  let f = await focused();
  assert.equal(f.probe, 'stop', `Stop keeps focus during the upload (focus is on ${JSON.stringify(f)})`);
  const rowDetails = page.locator('.uploads-table tbody tr[data-status="Processing"] [data-action="details"]');
  await rowDetails.focus();
  await probe(rowDetails, 'row-details');
  await page.waitForTimeout(2000);
  f = await focused();
  assert.equal(f.probe, 'row-details', `Details keeps focus during the upload (focus is on ${JSON.stringify(f)})`);
  assert.ok(await page.evaluate(() => window.__runEvents) > 0, 'progress events arrived while focus was checked');
  // Stop → the confirmation → Escape returns focus to Stop (still the same element).
  await stop.focus();
  await page.keyboard.press('Enter');
  const stopConfirm = page.getByRole('dialog', { name: 'Stop this upload?' });
  await stopConfirm.waitFor();
  await page.waitForTimeout(600);
  await page.keyboard.press('Escape');
  await stopConfirm.waitFor({ state: 'detached' });
  f = await focused();
  assert.equal(f.probe, 'stop', `focus returns to Stop after the confirmation (focus is on ${JSON.stringify(f)})`);

  const deadline = Date.now() + 20000;
  while (!held.length && Date.now() < deadline) await page.waitForTimeout(100);
  assert.ok(held.length, 'a later batch was held');
  await screenshots(page, '18-upload-running');
  released = true;
  await page.unroute('**/batches/**');
  await page.reload();
  const offer = page.locator('.resume-box');
  await offer.waitFor();
  await screenshots(page, '19-resume-offer');
  // A different file is refused with what to pick.
  const other = generateCsv(5, join(work, 'other.csv'), 0);
  await offer.locator('input[type=file]').setInputFiles(other);
  await offer.getByText('is not the file of this upload').waitFor();
  await offer.locator('input[type=file]').setInputFiles(file);
  await page.locator('.uploads-table tbody tr[data-status="Completed"]').first().waitFor({ timeout: 60000 });
  const u = (await api('GET', `/api/v1/campaigns/${campaignId}/uploads`)).items[0];
  assert.equal(u.status, 'Completed');
  assert.equal(u.total_rows, 40000);
  assert.equal(u.created + u.updated, 40000, 'every row stored once');
  assert.equal(await page.locator('.resume-box').count(), 0);
  assert.ok(!(await page.getByRole('button', { name: 'Upload data' }).isDisabled()));
  await screenshots(page, '20-uploads-after-resume');
  for (const r of held) r.abort().catch(() => {});
});
