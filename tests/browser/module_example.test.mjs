// web/example.html, the runnable embedding example, works in headless Chromium: it loads the
// module, previews a file and validates it, showing progress and the error records.
// Run: node --test tests/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, startServer, tempFile } from './module_harness.mjs';
import { participantsCsv } from '../wasm/fixtures.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the example page validates a picked file and lists its errors', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${server.url}/web/example.html`);
  await page.setInputFiles('#file', tempFile('example.csv', participantsCsv(2000, { badEvery: 10 })));
  await page.click('#validate');
  await page.waitForFunction(() => /Done:/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  const status = await page.textContent('#status');
  assert.match(status, /Done: \d+ valid rows, \d+ failed\./);
  assert.ok(await page.locator('#preview table tr').count() > 5);
  assert.ok(await page.locator('#errors table tr').count() > 10);
  assert.deepEqual(problems, []);
});
