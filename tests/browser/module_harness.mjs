// What the module's browser tests share: a small node HTTP server that serves the repository's
// files (so pages load web/lib/intake.js and the built wasm from /web/lib/wasm/) and, on the same
// origin, an in-memory fake of the Intake upload API (API.md) that can drop the connection of
// the Nth batch once; headless Chromium through playwright-core; and the native CLI's output for
// comparisons.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.csv': 'text/csv', '.css': 'text/css',
};

export const TOKEN = 'test-token';

// In-memory Intake upload API: enough of API.md for upload() — fields, create (409 while
// another is Processing), read with acked_batches, idempotent batches, errors, complete, cancel.
export class FakeIntakeApi {
  constructor({ fields }) {
    this.fields = fields;
    this.uploads = new Map();
    this.nextId = 1;
    this.log = [];            // every API request: "PUT /api/v1/uploads/u1/batches/3"
    // Failure injection: the next `times` PUTs of batch `seq` fail — 'drop' closes the
    // connection without an answer (Chromium itself retries such a PUT once), 503 answers
    // "unavailable".
    this.failBatch = null;  // {seq, times, how: 'drop' | 503}
    this.batchDelayMs = 0;
  }

  async handle(req, res, url) {
    const send = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fail = (status, code, message) => send(status, { error: { code, message } });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return fail(401, 'unauthorized', 'a valid bearer token is needed');
    const body = await new Promise((resolve) => {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => resolve(Buffer.concat(parts)));
    });
    const p = url.pathname;
    this.log.push(`${req.method} ${p}`);
    let m;
    if ((m = p.match(/^\/api\/v1\/campaigns\/([^/]+)\/fields$/)) && req.method === 'GET') return send(200, this.fields);
    if ((m = p.match(/^\/api\/v1\/campaigns\/([^/]+)\/uploads$/))) {
      if (req.method === 'GET') return send(200, { items: [...this.uploads.values()].reverse().map((u) => this.view(u)), total: this.uploads.size, next_cursor: null });
      const busy = [...this.uploads.values()].find((u) => u.campaign_id === m[1] && u.status === 'Processing');
      if (busy) return fail(409, 'upload_in_progress', 'Please wait for the current upload to finish.');
      const b = JSON.parse(body.toString());
      const u = {
        id: `u${this.nextId++}`, campaign_id: m[1], filename: b.filename, size_bytes: b.size_bytes,
        fingerprint: b.fingerprint, mapping: b.mapping, duplicate_policy: b.duplicate_policy, status: 'Processing',
        batches: new Map(), errors: [], total_rows: null,
      };
      this.uploads.set(u.id, u);
      return send(201, this.view(u));
    }
    if (!(m = p.match(/^\/api\/v1\/uploads\/([^/]+)(\/.*)?$/))) return fail(404, 'not_found', `no route ${p}`);
    const u = this.uploads.get(m[1]);
    if (!u) return fail(404, 'not_found', `no upload ${m[1]}`);
    const rest = m[2] ?? '';
    if (rest === '' && req.method === 'GET') return send(200, this.view(u));
    if ((m = rest.match(/^\/batches\/(\d+)$/)) && req.method === 'PUT') {
      const seq = Number(m[1]);
      const f = this.failBatch;
      if (f && f.seq === seq && f.times > 0) {
        f.times--;
        if (f.how === 'drop') {
          req.socket.destroy();  // the connection drops: the client sees a network error
          return undefined;
        }
        return fail(503, 'unavailable', 'try again shortly');
      }
      if (this.batchDelayMs) await new Promise((r) => setTimeout(r, this.batchDelayMs));
      if (u.status !== 'Processing') return fail(409, 'upload_finished', 'the upload is finished');
      const text = body.toString('utf8');
      const prior = u.batches.get(seq);
      if (prior && prior.text !== text) return fail(409, 'batch_conflict', 'a different batch with this seq was stored');
      const rows = text.split('\r\n').slice(1).filter(Boolean).length;
      if (!prior) u.batches.set(seq, { text, rows, first_row: Number(url.searchParams.get('first_row')), puts: 1 });
      else prior.puts++;
      return send(200, { seq, created: rows, updated: 0, skipped: 0, failed: 0 });
    }
    if (rest === '/errors' && req.method === 'POST') {
      u.errors.push(...JSON.parse(body.toString()).errors);
      return send(200, { received: u.errors.length });
    }
    if (rest === '/complete' && req.method === 'POST') {
      u.total_rows = JSON.parse(body.toString()).total_rows;
      u.status = u.errors.length ? 'Failed' : 'Completed';
      return send(200, this.view(u));
    }
    if (rest === '/cancel' && req.method === 'POST') {
      u.status = 'Failed';
      u.status_message = 'canceled';
      return send(200, this.view(u));
    }
    return fail(405, 'method_not_allowed', `${req.method} ${p}`);
  }

  view(u) {
    const created = [...u.batches.values()].reduce((n, b) => n + b.rows, 0);
    return {
      id: u.id, campaign_id: u.campaign_id, filename: u.filename, status: u.status, status_message: u.status_message ?? '',
      fingerprint: u.fingerprint, total_rows: u.total_rows, created, updated: 0, skipped: 0, failed: new Set(u.errors.map((e) => e.row)).size,
      error_count: u.errors.length, acked_batches: [...u.batches.keys()].sort((a, b) => a - b),
    };
  }
}

// Serves the repository read-only at / and `api` (if any) under /api/. Returns {url, close}.
export async function startServer({ api = null, files = {} } = {}) {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (url.pathname.startsWith('/api/') && api) return await api.handle(req, res, url);
      if (files[url.pathname]) {
        const f = files[url.pathname];
        res.writeHead(200, { 'Content-Type': f.type || 'text/html; charset=utf-8' });
        return res.end(f.body);
      }
      const file = path.join(repoRoot, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
      if (!file.startsWith(repoRoot) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404);
        return res.end('not found');
      }
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      fs.createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(500);
      res.end(String(e?.stack || e));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

// A page at the test server with a file input (#file) and intake.js imported as window.I.
export async function openPage(browser, server) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${server.url}/__module_test.html`);
  await page.waitForFunction(() => window.I !== undefined);
  return page;
}

export const testPage = {
  '/__module_test.html': {
    body: `<!doctype html><meta charset="utf-8"><title>intake module test</title>
<input type="file" id="file">
<script type="module">
  import * as I from '/web/lib/intake.js';
  window.I = I;
</script>`,
  },
};

// Puts the file at `filePath` in the page's #file input; in the page it is then
// document.getElementById('file').files[0], a real disk-backed File.
export async function pickFile(page, filePath) {
  await page.setInputFiles('#file', filePath);
}

const tempDirs = [];
process.on('exit', () => { for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true }); });

// Writes `content` to a new temporary file (removed when the test process exits); returns its path.
export function tempFile(name, content) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-browser-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

// The native CLI: $INTAKE_VALIDATE, or build/{release,debug,asan}/server/intake-validate.
export function findCli() {
  const candidates = [process.env.INTAKE_VALIDATE,
    ...['release', 'debug', 'asan'].map((p) => path.join(repoRoot, 'build', p, 'server', 'intake-validate'))];
  return candidates.find((c) => c && fs.existsSync(c)) ?? null;
}

// Runs the CLI on `csvPath`; returns {summary (its --json), errors (its --errors CSV as rows)}.
export function runCli(cli, csvPath, fields, extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-cli-'));
  tempDirs.push(dir);
  const fieldsPath = path.join(dir, 'fields.json');
  const errorsPath = path.join(dir, 'errors.csv');
  fs.writeFileSync(fieldsPath, JSON.stringify(fields));
  let out;
  try {
    out = execFileSync(cli, ['--fields', fieldsPath, '--json', '--quiet', '--errors', errorsPath, ...extraArgs, csvPath], { encoding: 'utf8' });
  } catch (e) {
    if (e.status !== 1) throw e;  // 1: some rows invalid
    out = e.stdout;
  }
  const rows = parseCsv(fs.readFileSync(errorsPath, 'utf8'));
  const [header, ...records] = rows;
  return { summary: JSON.parse(out), header, errors: records };
}

// RFC 4180 reader for the CLI's report (quoted fields, doubled quotes, CRLF).
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// The report's spreadsheet-safe form of a value (csv_writer.h): a leading ' before = + - @
// tab CR LF.
export const spreadsheetSafe = (v) => (/^[=+\-@\t\r\n]/.test(v) ? `'${v}` : v);
