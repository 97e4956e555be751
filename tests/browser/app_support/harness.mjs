// Test support for the web app's browser tests: a real intake-server on a free port with a
// temporary database and a known admin token, headless Debian Chromium through playwright-core,
// an API helper for setting up state, and screenshots at desktop and phone sizes.
// The server binary: $INTAKE_BUILD (default build/release)/server/intake-server.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const BUILD = resolve(ROOT, process.env.INTAKE_BUILD || 'build/release');
export const SERVER_BIN = join(BUILD, 'server/intake-server');
export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(BUILD, '..', 'screenshots');
export const TOKEN = 'test-admin-token-0123456789abcdef';
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

export const missing = () => (!existsSync(SERVER_BIN) ? `no server binary at ${SERVER_BIN}` : !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : null);

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'intake-app-test-'));
  const port = await freePort();
  const proc = spawn(SERVER_BIN, ['--db', join(dir, 'intake.db'), '--listen', `127.0.0.1:${port}`, '--web', join(ROOT, 'web')], {
    env: { ...process.env, INTAKE_ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`intake-server exited (${proc.exitCode}):\n${log}`);
    try { if ((await fetch(`${url}/api/v1/openapi.json`)).ok) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { proc.kill(); throw new Error(`intake-server did not answer on ${url}:\n${log}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, dir, proc, log: () => log,
    async stop() { proc.kill('SIGTERM'); await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r))); rmSync(dir, { recursive: true, force: true }); },
  };
}

// JSON API calls with the admin token; throws on a non-2xx answer.
export function apiClient(url) {
  return async function api(method, path, json) {
    const res = await fetch(url + path, {
      method, headers: { Authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Saves <name>-desktop.png and <name>-phone.png under build/screenshots, then restores the size.
export async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: false });
  }
  if (before) await page.setViewportSize(before);
}

export function generateCsv(rows, out, badEvery = 0) {
  const args = ['/work/shared/bench/gen_participants.py', String(rows), out];
  if (badEvery) args.push('--bad-every', String(badEvery));
  execFileSync('python3', args);
  return out;
}

export async function signIn(page, url) {
  await page.goto(url + '/');
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
}
