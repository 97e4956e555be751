// The web app's answers to a review in headless Chromium against a real intake-server: one
// upload dialog however often Upload data is pressed; two columns mapped to one field keep the
// user's choices and show the clash; a workbook named .csv and a header-only file are refused
// with what to do; uploads past the first 100 are reachable; unsaved field edits are asked about
// before an in-app link is followed; a session opened in a tab of its own is signed in by the
// app's tab; a tab link used from the keyboard keeps focus.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, startServer, apiClient, launch, signIn, VIEWPORTS } from './app_support/harness.mjs';

const skip = missing() ?? false;
let server; let api; let browser; let context; let page; let work;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'intake-app-review-'));
  server = await startServer();
  api = apiClient(server.url);
  browser = await launch();
  context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url + '/');
  await signIn(page, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const file = (name, content) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

// A full page load (a new query string), so nothing of an earlier test stays open.
let loads = 0;
const open = (hash) => page.goto(`${server.url}/?load=${++loads}${hash}`);

async function campaignPage(name) {
  const c = await api('POST', '/api/v1/campaigns', { name });
  await open(`#/campaigns/${c.id}/uploads`);
  await page.locator('#upload-data:not([disabled])').waitFor();
  return c.id;
}

async function pick(path) {
  await page.locator('dialog #upload-file').setInputFiles(path);
}

test('a double click on Upload data opens one dialog', { skip }, async () => {
  await campaignPage('Double');
  await page.locator('#upload-data').dblclick();
  await page.locator('dialog.upload-dialog').first().waitFor();
  await page.waitForTimeout(500);  // a second dialog would have opened by now
  assert.equal(await page.locator('dialog.upload-dialog').count(), 1);
  await page.keyboard.press('Escape');
  await page.locator('dialog.upload-dialog').waitFor({ state: 'detached' });
});

test('two columns sent to one field keep the choices and show the clash', { skip }, async () => {
  await campaignPage('Clash');
  await page.locator('#upload-data').click();
  await pick(file('clash.csv', 'id,full name,mail\nE1,Ann Lee,ann@x.io\n'));
  const select = (header) => page.locator(`dialog select[data-header="${header}"]`);
  await select('mail').waitFor();
  await select('id').selectOption('external_id');
  await select('full name').selectOption('email');
  await select('mail').selectOption('email');
  const clash = page.locator('#upload-file-problems').getByText('both map to the field');
  await clash.waitFor();
  assert.equal(await select('mail').inputValue(), 'email');
  assert.equal(await select('full name').inputValue(), 'email');
  assert.equal(await select('mail').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled(), true);
  // Following the message: the other column goes elsewhere, and mail stays on Email.
  await select('full name').selectOption('name');
  await clash.waitFor({ state: 'detached' });
  assert.equal(await select('mail').inputValue(), 'email');
  assert.equal(await select('mail').getAttribute('aria-invalid'), null);
  await page.getByRole('button', { name: 'Upload', exact: true }).and(page.locator(':not([disabled])')).waitFor();
  await page.keyboard.press('Escape');
});

test('a workbook named .csv and a header-only file say what to do', { skip }, async () => {
  await campaignPage('Files');
  await page.locator('#upload-data').click();
  await pick(file('book.csv', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('[Content_Types].xml')])));
  await page.getByText('is a spreadsheet workbook (Excel or similar), not a CSV file').waitFor();
  await pick(file('header.csv', 'name,email\n'));
  await page.locator('#upload-file-problems').getByText('The file has a header row but no participants').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled(), true);
  await page.keyboard.press('Escape');
});

test('uploads past the first 100 are shown on request', { skip }, async () => {
  const c = await api('POST', '/api/v1/campaigns', { name: 'Many' });
  for (let i = 0; i < 103; i++) {
    const u = await api('POST', `/api/v1/campaigns/${c.id}/uploads`, { filename: `f${i}.csv` });
    await api('POST', `/api/v1/uploads/${u.id}/complete`, { total_rows: 0 });
  }
  await open(`#/campaigns/${c.id}/uploads`);
  await page.locator('.uploads-table tbody tr').first().waitFor();
  assert.equal(await page.locator('.uploads-table tbody tr').count(), 100);
  await page.getByRole('button', { name: 'Show older uploads (3 more)' }).click();
  await page.locator('.uploads-table tbody tr').nth(102).waitFor();
  assert.equal(await page.locator('.uploads-table tbody tr').count(), 103);
  assert.equal(await page.getByRole('button', { name: /Show older uploads/ }).isHidden(), true);
  await page.getByText('f0.csv', { exact: true }).waitFor();
});

test('unsaved field edits are asked about before an in-app link is followed', { skip }, async () => {
  const c = await api('POST', '/api/v1/campaigns', { name: 'Unsaved' });
  await open(`#/campaigns/${c.id}/data`);
  await page.locator('.field-row').first().waitFor();
  const rows = await page.locator('.field-row').count();
  await page.getByRole('button', { name: 'Add field' }).first().click();
  await page.locator('.field-row').last().getByLabel('Label').fill('Favourite colour');
  await page.getByRole('link', { name: 'Uploads', exact: true }).click();
  await page.getByRole('heading', { name: 'Leave without saving?' }).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.match(page.url(), /\/data$/);
  assert.equal(await page.locator('.field-row').count(), rows + 1);
  await page.getByRole('link', { name: 'Uploads', exact: true }).click();
  await page.getByRole('button', { name: 'Leave without saving' }).click();
  await page.locator('#upload-data').waitFor();
  assert.match(page.url(), /\/uploads$/);
});

test('a session opened in a tab of its own is signed in by the app', { skip }, async () => {
  await api('PUT', '/api/v1/sessions/review-1', { messages: [{ from: 'agent', text: 'Hello from the review', at: '2026-11-22T09:31:00Z' }] });
  const other = await context.newPage();  // its own sessionStorage: no token
  await other.goto(`${server.url}/session.html?id=review-1`);
  await other.getByText('Hello from the review').waitFor();
  await other.close();
});

test('a tab link used from the keyboard keeps focus on the new page', { skip }, async () => {
  await campaignPage('Keys');
  await page.getByRole('link', { name: 'Participants', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.endsWith('/participants'));
  await page.waitForFunction(() => document.activeElement?.textContent?.trim() === 'Participants');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'A');
});
