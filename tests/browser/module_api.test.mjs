// The embedder JS API (web/lib/intake.js) in real headless Chromium: inspect and validate files
// with known errors and compare every error record with the native intake-validate CLI; progress
// and backpressure; abort mid-file; upload to a fake server, a dropped connection retried, an
// interrupted upload resumed without sending a row twice, and 409 upload_in_progress.
// Run: node --test tests/browser/   (needs the wasm build in web/lib/wasm and /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  FakeIntakeApi, TOKEN, findCli, launchChromium, openPage, pickFile, runCli, spreadsheetSafe,
  startServer, tempFile, testPage,
} from './module_harness.mjs';
import {
  europeanFields, europeanText, participantFields, participantsCsv, windows1252, withBom,
} from '../wasm/fixtures.mjs';

let server;
let browser;
let page;
const api = new FakeIntakeApi({ fields: participantFields });

before(async () => {
  server = await startServer({ api, files: testPage });
  browser = await launchChromium();
  page = await openPage(browser, server);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Validates the picked file in the page; returns the summary (errors included) or the error.
function validateInPage(opts = {}) {
  return page.evaluate(async ({ fields, options, sliceBytes, chunked, chunkBytes }) => {
    const intake = await window.I.Intake.load();
    const file = document.getElementById('file').files[0];
    try {
      const summary = await intake.validate(file, { fields, options, sliceBytes, chunked, chunkBytes, maxErrors: 1e6 });
      return { summary };
    } catch (e) {
      return { error: { name: e.name, code: e.code, message: e.message } };
    }
  }, opts);
}

const messyCsv =
  'external_id,name,email\r\n' +
  'P1,Ana,ana@example.com\r\n' +
  '\r\n' +
  'P2,"Ben ""B"" Smith",ben@example.com\r\n' +
  'P3,"Multi\nline",multi@example.com\r\n' +
  'P4,x"y,bad@example.com\r\n' +
  'P5,"closed"junk,c@example.com\r\n' +
  'P6,Cara\r\n' +
  'P7,Dan,dan@example.com,extra\r\n' +
  ',Eve,-eve@\r\n' +
  'P9,"unclosed,z@example.com\r\n';

const cases = [
  { name: 'participants with every kind of cell error', file: 'participants.csv', bytes: participantsCsv(5000, { badEvery: 7 }), fields: participantFields },
  { name: 'quoting problems, blank lines and multi-line values', file: 'messy.csv', bytes: messyCsv, fields: participantFields.fields.filter((f) => ['external_id', 'name', 'email'].includes(f.key)) },
  { name: 'Windows-1252, semicolons and CRLF', file: 'europe-1252.csv', bytes: windows1252(europeanText), fields: europeanFields },
  { name: 'UTF-8 with a BOM, semicolons and CRLF', file: 'europe-bom.csv', bytes: withBom(new TextEncoder().encode(europeanText)), fields: europeanFields },
  // Several MiB: read in many chunks of the File's stream, and cut again into odd-sized calls.
  { name: 'a file of many chunks, pushed 99,991 bytes at a time', file: 'chunks.csv', bytes: participantsCsv(40000, { badEvery: 13 }), fields: participantFields, sliceBytes: 99991 },
  { name: 'a file of many chunks', file: 'chunks-default.csv', bytes: participantsCsv(40000, { badEvery: 13 }), fields: participantFields },
];

// Each case also validated in chunks by several Workers, cut small enough that some cuts fall
// inside quoted values (the chunk after one is then validated again from the right place).
for (const c of [...cases, ...cases.map((c) => ({ ...c, name: `${c.name}, in chunks`, chunked: true }))]) {
  test(`validate in Chromium matches intake-validate: ${c.name}`, async (t) => {
    const cli = findCli();
    if (!cli) {
      t.skip('intake-validate is not built (cmake --build --preset release --target intake-validate)');
      return;
    }
    const file = tempFile(c.file, c.bytes);
    const native = runCli(cli, file, c.fields.fields ? c.fields : { fields: c.fields });
    await pickFile(page, file);
    const chunkBytes = c.chunked ? Math.max(64, Math.ceil(c.bytes.length / 9)) : undefined;
    const { summary, error } = await validateInPage({
      fields: c.fields, options: {}, sliceBytes: c.sliceBytes, chunked: c.chunked ?? false, chunkBytes,
    });
    assert.equal(error, undefined, JSON.stringify(error));
    if (c.chunked) assert.ok(summary.workers >= 1, 'validated in chunks');
    assert.deepEqual(native.header, ['row', 'field', 'value', 'code', 'message']);
    const browserErrors = summary.errors.map((e) => [String(e.row), ...[e.field, e.value, e.code, e.message].map(spreadsheetSafe)]);
    assert.ok(browserErrors.length > 0);
    assert.deepEqual(browserErrors, native.errors);
    for (const k of ['rows', 'valid', 'failed', 'skipped', 'duplicates', 'errors', 'bytes']) {
      assert.equal(summary.counts[k], native.summary[k], `counts.${k}`);
    }
    assert.equal(summary.header.dialect.delimiter, native.summary.delimiter);
    assert.equal(summary.header.dialect.encoding, native.summary.encoding);
    assert.deepEqual(summary.counts.by_field_code, native.summary.errors_by_field_code);

    // inspect's preview rows carry the very errors the CLI reports for those rows.
    const head = await page.evaluate(async (fields) => {
      const intake = await window.I.Intake.load();
      return intake.inspect(document.getElementById('file').files[0], { fields, previewRows: 40 });
    }, c.fields);
    assert.ok(head.rows.length > 0);
    for (const r of head.rows) {
      const expected = native.errors.filter((e) => e[0] === String(r.row));
      const got = r.errors.map((e) => [String(e.row), ...[e.field, e.value, e.code, e.message].map(spreadsheetSafe)]);
      assert.deepEqual(got, expected, `inspect, row ${r.row}`);
    }
    fs.rmSync(file);
  });
}

test('inspect reads only the head and shows mapping and the first rows with their errors', async () => {
  const file = tempFile('head.csv', participantsCsv(20000, { badEvery: 3 }));
  await pickFile(page, file);
  const r = await page.evaluate(async (fields) => {
    const intake = await window.I.Intake.load();
    const f = document.getElementById('file').files[0];
    return intake.inspect(f, { fields, previewRows: 5, headBytes: 64 << 10 });
  }, participantFields);
  assert.equal(r.file_error, null);
  assert.equal(r.complete, false);
  assert.equal(r.header.headers.length, 8);
  assert.deepEqual(r.header.missing_required, []);
  assert.equal(r.rows.length, 5);
  assert.ok(r.counts.bytes <= 64 << 10);
  const bad = r.rows.find((x) => x.row === 4);  // data row 3: the first bad one
  assert.equal(bad.errors[0].code, 'invalid_date');
  assert.equal(bad.values, null);
  assert.equal(r.rows[0].values.external_id, 'P000000001');
});

test('validating in chunks gives the batches, errors and counts of one Worker, under every duplicate policy', async () => {
  // Duplicates by external id and by email across chunks, quoted line breaks at many cuts,
  // blank lines, failing rows, and a last line without a line break.
  const lines = ['external_id,name,email,notes'];
  for (let i = 0; i < 3000; i++) {
    const id = i % 31 === 7 ? `P${i - 700}` : i % 17 === 0 ? '' : `P${i}`;
    const email = i % 23 === 0 ? `bad${i}` : `u${i % 401 === 0 ? 1 : i}@example.com`;
    const notes = i % 3 === 0 ? `"line one\nline, ""two""\n${i}"` : `note ${i}`;
    lines.push(`${id},Name ${i},${email},${notes}`);
    if (i % 97 === 0) lines.push('');
    // A quote never closed: the rest of the file is one value until the end, where the
    // tokenizer reports it and reads on from the line after it (so every later cut is wrong).
    if (i === 2600) lines.push('P2600x,"never closed,x@example.com,n');
  }
  const file = tempFile('chunked-duplicates.csv', lines.join('\r\n'));
  await pickFile(page, file);
  const fields = participantFields.fields.filter((f) => ['external_id', 'name', 'email', 'notes'].includes(f.key))
    .map((f) => ({ ...f, required: false }));
  const runs = await page.evaluate(async (fields) => {
    const intake = await window.I.Intake.load();
    const f = document.getElementById('file').files[0];
    const out = [];
    for (const policy of ['update', 'skip', 'reject']) {
      for (const chunkBytes of [null, 1000, 4096, 50000]) {
        const batches = [];
        const s = await intake.validate(f, {
          fields, options: { duplicate_policy: policy, batch_rows: 170 }, maxErrors: 1e6,
          chunked: chunkBytes !== null, chunkBytes: chunkBytes ?? undefined,
          onBatch: (b) => { batches.push({ ...b, body: new TextDecoder().decode(b.body) }); },
        });
        out.push({ policy, chunkBytes, counts: s.counts, errors: s.errors, batches, workers: s.workers ?? 0, chunks: s.chunks, redone: s.chunks_redone });
      }
    }
    return out;
  }, fields);
  for (const r of runs) {
    const one = runs.find((x) => x.policy === r.policy && x.chunkBytes === null);
    if (r === one) continue;
    const what = `${r.policy}, chunks of ${r.chunkBytes} bytes`;
    assert.ok(r.workers >= 1 && r.chunks > 1, `${what}: ${r.chunks} chunks`);
    if (r.chunkBytes <= 4096) assert.ok(r.redone > 0, `${what}: some cuts fell inside quoted values`);
    assert.ok(one.counts.duplicates > 50, `${what}: duplicates ${one.counts.duplicates}`);
    assert.deepEqual(r.counts, one.counts, what);
    assert.deepEqual(r.errors, one.errors, what);
    assert.equal(r.batches.length, one.batches.length, what);
    r.batches.forEach((b, i) => assert.deepEqual(b, one.batches[i], `${what}: batch ${i}`));
  }
  fs.rmSync(file);
});

test('a file of very short rows validates in the largest chunks within the 64 MiB heaps', async () => {
  // 1.6 million rows of a few bytes: a chunk's lines and their meta outweigh its bytes.
  const rows = ['external_id'];
  for (let i = 1; i <= 1600000; i++) rows.push(String(i % 1000000));
  const file = tempFile('short-rows.csv', rows.join('\n'));
  await pickFile(page, file);
  const fields = [{ key: 'external_id', label: 'External ID', type: 'text', required: true, identity: 'external_id' }];
  const r = await page.evaluate(async (fields) => {
    const intake = await window.I.Intake.load();
    const f = document.getElementById('file').files[0];
    const out = {};
    for (const chunked of [true, false]) {
      try {
        const s = await intake.validate(f, { fields, chunked, chunkBytes: 8 << 20, onBatch: () => {} });
        out[chunked] = { counts: s.counts, batches: s.batches, heap: s.heap_peak_bytes, chunks: s.chunks };
      } catch (e) {
        out[chunked] = { error: `${e.code}: ${e.message}` };
      }
    }
    return out;
  }, fields);
  assert.equal(r.true.error, undefined, r.true.error);
  assert.ok(r.true.chunks >= 2, `${r.true.chunks} chunks`);
  assert.deepEqual(r.true.counts, r.false.counts);
  assert.equal(r.true.counts.duplicates, 600000);
  assert.equal(r.true.batches, r.false.batches);
  assert.ok(r.true.heap <= 64 * 2 ** 20, `heap ${r.true.heap}`);
  fs.rmSync(file);
});

for (const chunked of [false, true]) test(`progress at least every 250 ms; reading pauses while onBatch is pending${chunked ? ', in chunks' : ''}`, async () => {
  const file = tempFile('progress.csv', participantsCsv(120000));
  await pickFile(page, file);
  const r = await page.evaluate(async ({ fields, chunked }) => {
    const intake = await window.I.Intake.load();
    const f = document.getElementById('file').files[0];
    const ticks = [];
    let last = null;
    let stall = null;
    const summary = await intake.validate(f, {
      fields, options: { batch_rows: 2000 }, sliceBytes: 1 << 20, chunked, chunkBytes: 1 << 20,
      onProgress: (p) => { last = p; ticks.push({ t: performance.now(), bytes: p.bytesRead, rate: p.rate, eta: p.etaMs }); },
      onBatch: async (b) => {
        await new Promise((res) => setTimeout(res, 15));
        if (b.seq === 10) {
          // The Worker may finish the call in progress (its batches are sent together); once a
          // progress call has reported that, nothing more is read while this batch is held.
          await new Promise((res) => setTimeout(res, 300));
          const before = last.bytesRead;
          await new Promise((res) => setTimeout(res, 800));
          stall = { before, after: last.bytesRead };
        }
      },
    });
    return { ticks, stall, summary: { counts: summary.counts, batches: summary.batches, chunks: summary.chunks }, size: f.size };
  }, { fields: participantFields, chunked });
  if (chunked) assert.ok(r.summary.chunks > 5, `${r.summary.chunks} chunks`);
  const gaps = r.ticks.slice(1).map((x, i) => x.t - r.ticks[i].t);
  assert.ok(r.ticks.length >= 6, `${r.ticks.length} progress calls`);
  // Every 250 ms by a timer; the bound leaves room for timers delayed on a loaded machine.
  const sorted = [...gaps].sort((a, b) => a - b);
  assert.ok(sorted[Math.floor(sorted.length / 2)] <= 260, `median gap ${sorted[Math.floor(sorted.length / 2)]} ms`);
  assert.ok(sorted.at(-1) < 750, `longest gap between progress calls: ${sorted.at(-1)} ms`);
  assert.ok(r.ticks.every((x, i) => i === 0 || x.bytes >= r.ticks[i - 1].bytes));
  assert.equal(r.ticks.at(-1).bytes, r.size);
  assert.ok(r.ticks.some((x) => x.rate > 0 && x.eta !== null));
  // While batch 10 was held, the Worker stopped: no byte more was validated.
  assert.ok(r.stall.before > 0 && r.stall.before < r.size, JSON.stringify(r.stall));
  assert.equal(r.stall.after, r.stall.before, JSON.stringify(r.stall));
  assert.equal(r.summary.counts.valid, 120000);
  assert.equal(r.summary.batches, 60);
});

for (const chunked of [false, true]) test(`a file deleted after it was picked is refused with code file_unreadable${chunked ? ', in chunks' : ''}`, async () => {
  const path = tempFile('deleted.csv', participantsCsv(30000));
  await pickFile(page, path);
  fs.rmSync(path);
  const r = await validateInPage({ fields: participantFields, options: {}, chunked, chunkBytes: 64 << 10 });
  assert.equal(r.error?.code, 'file_unreadable', JSON.stringify(r));
  assert.equal(r.error.name, 'IntakeError');
  assert.match(r.error.message, /could not be read/);
});

for (const chunked of [false, true]) test(`abort stops validation at once and the instance stays usable${chunked ? ', in chunks' : ''}`, async () => {
  const file = tempFile('abort.csv', participantsCsv(150000));
  await pickFile(page, file);
  const r = await page.evaluate(async ({ fields, chunked }) => {
    const intake = await window.I.Intake.load();
    const f = document.getElementById('file').files[0];
    const ctl = new AbortController();
    let abortedAt = 0;
    let batchesAfterAbort = 0;
    let error;
    try {
      await intake.validate(f, {
        fields, options: { batch_rows: 1000 }, signal: ctl.signal, chunked, chunkBytes: 1 << 20,
        onBatch: async (b) => {
          if (abortedAt) batchesAfterAbort++;
          if (b.seq === 5) { abortedAt = performance.now(); ctl.abort(); }
        },
      });
    } catch (e) {
      error = { name: e.name, code: e.code, isError: e instanceof Error, isIntake: e instanceof window.I.IntakeError };
    }
    const rejectMs = performance.now() - abortedAt;
    await new Promise((res) => setTimeout(res, 300));
    const again = await intake.validate(new File(['external_id,email\nP1,a@b.com\n'], 'small.csv'), { fields });
    return { error, rejectMs, batchesAfterAbort, again: again.counts.valid };
  }, { fields: participantFields, chunked });
  assert.deepEqual(r.error, { name: 'IntakeAbortError', code: 'aborted', isError: true, isIntake: true });
  assert.ok(r.rejectMs < 100, `rejected ${r.rejectMs} ms after abort`);
  assert.equal(r.batchesAfterAbort, 0);
  assert.equal(r.again, 1);
});

function uploadInPage(campaignId, opts = {}) {
  return page.evaluate(async ({ server, token, campaignId, opts }) => {
    const intake = await window.I.Intake.load();
    const file = document.getElementById('file').files[0];
    const phases = new Set();
    try {
      const r = await intake.upload(file, {
        server, token, campaignId, options: { batch_rows: 500 }, ...opts,
        onProgress: (p) => phases.add(p.phase),
      });
      return { upload: r.upload, counts: r.summary.counts, phases: [...phases] };
    } catch (e) {
      return { error: { name: e.name, code: e.code, status: e.status, message: e.message } };
    }
  }, { server: server.url, token: TOKEN, campaignId, opts });
}

function uploadFor(campaignId) {
  return [...api.uploads.values()].filter((u) => u.campaign_id === campaignId);
}

for (const chunked of [false, true]) test(`upload sends every clean row once, the error records, and completes${chunked ? ', in chunks' : ''}`, async () => {
  const file = tempFile('upload.csv', participantsCsv(4000, { badEvery: 9 }));
  await pickFile(page, file);
  const campaign = chunked ? 'c-happy-chunks' : 'c-happy';
  const r = await uploadInPage(campaign, { chunked, chunkBytes: 32 << 10 });
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  const [u] = uploadFor(campaign);
  const rows = [...u.batches.values()].reduce((n, b) => n + b.rows, 0);
  assert.equal(rows, r.counts.valid);
  assert.equal(u.errors.length, r.counts.errors);
  assert.equal(u.total_rows, r.counts.rows);
  assert.equal(r.upload.status, 'Failed');  // some rows failed
  assert.deepEqual([...u.batches.keys()].sort((a, b) => a - b), [...Array(u.batches.size).keys()]);
  assert.ok([...u.batches.values()].every((b) => b.puts === 1));
  assert.ok(r.phases.includes('uploading') && r.phases.includes('done'));
  const firstBatch = u.batches.get(0).text.split('\r\n');
  assert.equal(firstBatch[0], '_row,external_id,name,email,phone,timezone,signup_date,plan,notes');
});

test('dropped connections and 503s are retried with backoff and each batch stored once', async () => {
  const file = tempFile('drop.csv', participantsCsv(3000));
  await pickFile(page, file);
  api.failBatch = { seq: 2, times: 4, how: 'drop' };
  const r = await uploadInPage('c-drop');
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  let [u] = uploadFor('c-drop');
  assert.equal(api.log.filter((l) => l === `PUT /api/v1/uploads/${u.id}/batches/2`).length, 5);
  assert.equal([...u.batches.values()].reduce((n, b) => n + b.rows, 0), 3000);
  assert.equal(r.upload.status, 'Completed');

  await pickFile(page, tempFile('unavailable.csv', participantsCsv(2000)));
  api.failBatch = { seq: 1, times: 2, how: 503 };
  const r2 = await uploadInPage('c-503');
  assert.equal(r2.error, undefined, JSON.stringify(r2.error));
  [u] = uploadFor('c-503');
  assert.equal(api.log.filter((l) => l === `PUT /api/v1/uploads/${u.id}/batches/1`).length, 3);
  assert.equal([...u.batches.values()].reduce((n, b) => n + b.rows, 0), 2000);
  assert.equal(r2.upload.status, 'Completed');
});

for (const chunked of [false, true]) test(`after a drop and a page reload, the same file resumes from the acknowledged batches${chunked ? ', in chunks' : ''}`, async () => {
  const path = tempFile('resume.csv', participantsCsv(6000, { badEvery: 50 }));
  await pickFile(page, path);
  api.failBatch = { seq: 4, times: Infinity, how: 'drop' };  // the network is down for batch 4
  // One attempt in chunks and the other in one Worker: the batches are the same either way.
  const campaign = chunked ? 'c-resume-chunks' : 'c-resume';
  const first = await uploadInPage(campaign, { retries: 0, concurrency: 1, chunked, chunkBytes: 32 << 10 });
  api.failBatch = null;
  assert.equal(first.error?.code, 'network_error', JSON.stringify(first));
  assert.equal(first.error?.name, 'IntakeHttpError');
  const [u] = uploadFor(campaign);
  assert.equal(u.status, 'Processing');
  const ackedBefore = [...u.batches.keys()];
  assert.ok(ackedBefore.length >= 4, `acked before: ${ackedBefore}`);

  await page.reload();
  await page.waitForFunction(() => window.I !== undefined);
  await pickFile(page, path);
  const records = () => page.evaluate(async ({ server, campaign }) => {
    const intake = await window.I.Intake.load();
    const fingerprint = await intake.fingerprint(document.getElementById('file').files[0]);
    return { fingerprint, list: window.I.listResumableUploads({ server, campaignId: campaign }) };
  }, { server: server.url, campaign });
  const pending = await records();
  assert.deepEqual(pending.list, [{ fingerprint: pending.fingerprint, upload_id: u.id, errors_sent: 0 }]);
  const logStart = api.log.length;
  const second = await uploadInPage(campaign, { chunked: !chunked, chunkBytes: 32 << 10 });
  assert.equal(second.error, undefined, JSON.stringify(second.error));
  assert.equal(uploadFor(campaign).length, 1, 'resumed, not created anew');
  const puts = api.log.slice(logStart).filter((l) => l.startsWith('PUT '));
  for (const seq of ackedBefore) assert.ok(!puts.includes(`PUT /api/v1/uploads/${u.id}/batches/${seq}`), `batch ${seq} sent again`);
  assert.ok([...u.batches.values()].every((b) => b.puts === 1));
  assert.equal([...u.batches.values()].reduce((n, b) => n + b.rows, 0), second.counts.valid);
  assert.equal(u.errors.length, second.counts.errors);  // none posted twice
  assert.equal(u.status, 'Failed');
  assert.deepEqual((await records()).list, []);
});

test('a second upload while one is Processing is refused with UploadInProgressError', async () => {
  const res = await fetch(`${server.url}/api/v1/campaigns/c-busy/uploads`, {
    method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ filename: 'other.csv', size_bytes: 1, fingerprint: 'someone-else' }),
  });
  assert.equal(res.status, 201);
  const file = tempFile('busy.csv', participantsCsv(10));
  await pickFile(page, file);
  const r = await uploadInPage('c-busy');
  assert.deepEqual(r.error, {
    name: 'UploadInProgressError', code: 'upload_in_progress', status: 409,
    message: 'Please wait for the current upload to finish.',
  });
});

test('a file whose header cannot be mapped is refused before an upload is created', async () => {
  const file = tempFile('nohdr.csv', 'name,phone\r\nAna,+14155550123\r\n');
  await pickFile(page, file);
  const r = await uploadInPage('c-header');
  assert.equal(r.error.name, 'IntakeFileError');
  assert.equal(r.error.code, 'missing_required_columns');
  assert.equal(uploadFor('c-header').length, 0);
});

test('aborting an upload stops it with IntakeAbortError and leaves it resumable', async () => {
  await pickFile(page, tempFile('abort-upload.csv', participantsCsv(8000)));
  api.batchDelayMs = 50;
  const r = await page.evaluate(async ({ server, token }) => {
    const intake = await window.I.Intake.load();
    const file = document.getElementById('file').files[0];
    const ctl = new AbortController();
    try {
      await intake.upload(file, {
        server, token, campaignId: 'c-abort', options: { batch_rows: 500 }, signal: ctl.signal,
        onProgress: (p) => { if (p.batchesSent >= 2) ctl.abort(); },
      });
      return { finished: true };
    } catch (e) {
      return { name: e.name, code: e.code };
    }
  }, { server: server.url, token: TOKEN });
  api.batchDelayMs = 0;
  assert.deepEqual(r, { name: 'IntakeAbortError', code: 'aborted' });
  const [u] = uploadFor('c-abort');
  assert.equal(u.status, 'Processing');
  assert.ok(u.batches.size < 16);
});

test('a module that cannot be loaded is reported with code module_load_failed', async () => {
  const r = await page.evaluate(async () => {
    try {
      await window.I.Intake.load({ wasmUrl: '/no/such/intake_module.wasm' });
      return null;
    } catch (e) {
      return { name: e.name, code: e.code, message: e.message };
    }
  });
  assert.equal(r.code, 'module_load_failed');
  assert.match(r.message, /no\/such\/intake_module\.js/);
});
