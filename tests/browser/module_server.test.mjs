// The embedder API against the real intake-server ($INTAKE_BUILD/server, else build/{release,debug,asan}/server): Chromium loads
// the module from the server's /lib/, uploads a file with known errors, and the server's
// counters, participants and error report agree with the browser's summary; then an upload
// interrupted by a dropped connection (a proxy in front of the server) resumes from the batches
// the server acknowledged. Skipped when the server is not built.
// Run: node --test tests/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

import { launchChromium, repoRoot, tempFile } from './module_harness.mjs';
import { participantFields, participantsCsv } from '../wasm/fixtures.mjs';

const TOKEN = 'module-test-admin-token';
const serverBin = [process.env.INTAKE_SERVER,
  process.env.INTAKE_BUILD && path.resolve(repoRoot, process.env.INTAKE_BUILD, 'server', 'intake-server'),
  ...['release', 'debug', 'asan'].map((p) => path.join(repoRoot, 'build', p, 'server', 'intake-server'))]
  .find((p) => p && fs.existsSync(p));

let child;
let dbDir;
let proxy;
let base;  // the proxy's URL: the browser talks to the server through it
let browser;
const drop = { seq: -1 };  // PUTs of this batch seq are dropped while set

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  if (!serverBin) return;
  dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-module-server-'));
  const port = await freePort();
  child = spawn(serverBin, ['--db', path.join(dbDir, 'intake.db'), '--listen', `127.0.0.1:${port}`, '--web', path.join(repoRoot, 'web')],
                { env: { ...process.env, INTAKE_ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { if (/running at/.test(String(d))) resolve(); });
    child.on('exit', (code) => reject(new Error(`intake-server exited with ${code}`)));
  });
  proxy = http.createServer((req, res) => {
    const m = req.url.match(/\/batches\/(\d+)/);
    if (req.method === 'PUT' && m && Number(m[1]) === drop.seq) {
      req.socket.destroy();
      return;
    }
    const up = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${proxy.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (proxy) await new Promise((r) => { proxy.closeAllConnections?.(); proxy.close(r); });
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (dbDir) fs.rmSync(dbDir, { recursive: true, force: true });
});

async function api(method, p, body) {
  const res = await fetch(base + p, {
    method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${text}`);
  return text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}

async function newCampaign() {
  const c = await api('POST', '/api/v1/campaigns', { name: `module test ${Date.now()} ${Math.random()}` });
  await api('PUT', `/api/v1/campaigns/${c.id}/fields`, participantFields);
  return c.id;
}

async function uploadInPage(page, campaignId, extra = {}) {
  return page.evaluate(async ({ base, token, campaignId, extra }) => {
    const { Intake } = await import('/lib/intake.js');
    const intake = await Intake.load();
    const file = document.getElementById('file').files[0];
    try {
      const r = await intake.upload(file, { server: base, token, campaignId, options: { batch_rows: 1000 }, ...extra });
      return { upload: r.upload, counts: r.summary.counts };
    } catch (e) {
      return { error: { name: e.name, code: e.code, message: e.message } };
    }
  }, { base, token: TOKEN, campaignId, extra });
}

test('upload to intake-server: counters, participants and the error report agree', { skip: !serverBin && 'intake-server is not built' }, async () => {
  const id = await newCampaign();
  const page = await browser.newPage();
  await page.goto(`${base}/example.html`);
  await page.setInputFiles('#file', tempFile('server.csv', participantsCsv(12000, { badEvery: 11 })));
  const r = await uploadInPage(page, id);
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  const u = r.upload;
  assert.equal(u.status, 'Failed');
  assert.equal(u.total_rows, r.counts.rows);
  assert.equal(u.created + u.updated + u.skipped, r.counts.valid);
  assert.equal(u.failed, r.counts.failed);
  assert.equal(u.error_count, r.counts.errors);
  const participants = await api('GET', `/api/v1/campaigns/${id}/participants?limit=1`);
  assert.equal(participants.total, u.created);
  const report = (await api('GET', `/api/v1/uploads/${u.id}/errors.csv`)).trimEnd().split('\r\n');
  assert.equal(report[0], 'row,field,value,code,message');
  await page.close();
});

test('an upload to intake-server interrupted by a dropped connection resumes without resending', { skip: !serverBin && 'intake-server is not built' }, async () => {
  const id = await newCampaign();
  const page = await browser.newPage();
  await page.goto(`${base}/example.html`);
  const file = tempFile('resume.csv', participantsCsv(9000));
  await page.setInputFiles('#file', file);
  drop.seq = 5;
  const first = await uploadInPage(page, id, { retries: 0, concurrency: 1 });
  drop.seq = -1;
  assert.equal(first.error?.code, 'network_error', JSON.stringify(first));
  const uploads = await api('GET', `/api/v1/campaigns/${id}/uploads`);
  assert.equal(uploads.items.length, 1);
  const before = await api('GET', `/api/v1/uploads/${uploads.items[0].id}`);
  assert.equal(before.status, 'Processing');
  assert.deepEqual(before.acked_batches, [0, 1, 2, 3, 4]);

  await page.reload();
  await page.setInputFiles('#file', file);
  const second = await uploadInPage(page, id);
  assert.equal(second.error, undefined, JSON.stringify(second.error));
  assert.equal(second.upload.id, before.id);
  assert.equal(second.upload.status, 'Completed');
  assert.equal(second.upload.created, 9000);  // every row once: none created twice, none updated
  assert.equal(second.upload.updated, 0);
  const participants = await api('GET', `/api/v1/campaigns/${id}/participants?limit=1`);
  assert.equal(participants.total, 9000);
  await page.close();
});
