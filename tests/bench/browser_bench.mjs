// Browser benchmark of the embedder module, in one headless Chromium run on the reference file
// (build/bench-data/ref.csv, made as scripts/bench_core.sh makes it): Intake validate through the
// Workers (parse, every check, batches; in chunks, one helper Worker per core) side by side with Papa Parse streaming the same Blob
// (parse only), uDSV parsing the same text held in memory, and merely reading the Blob
// (blob.stream(), no work); then the wasm heap peak for a ~1 GB Blob (the reference body repeated) against the reference file's.
// Extra rows show validate in the mode 'auto' did not choose (chunks in several Workers, or one
// Worker), and the wasm validator alone in a Worker, on bytes already in memory (1 MiB
// pushes, batches built and copied out into reused buffers, nothing read or posted): the gap
// between it and `validate` is the pipeline's own cost (reading, messaging, the main thread).
//
// usage: node tests/bench/browser_bench.mjs [--file F.csv] [--fields F.json] [--runs N] [--no-1gb]
// Exit status 1 when a target of issue 4 is missed: validate ≥ 4× Papa Parse, ≥ 1.5× uDSV,
// ≥ 70% of the read rate; heap peak at 1 GB within 10% of the reference file's.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

import { launchChromium, repoRoot, startServer } from '../browser/module_harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const benchDir = path.resolve(repoRoot, '../shared/bench');
const runs = Number(opt('--runs', 2));
const fieldsPath = opt('--fields', path.join(benchDir, 'fields.json'));
let file = opt('--file', null);
if (!file) {
  // The reference file of scripts/bench_core.sh (1,000,000 rows, 1% bad), generated the same way.
  file = path.join(repoRoot, 'build', 'bench-data', 'ref.csv');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    console.error(`generating the reference file ${file} ...`);
    execFileSync('python3', [path.join(benchDir, 'gen_participants.py'), '1000000', `${file}.tmp`, '--bad-every', '100'],
                 { stdio: 'inherit' });
    fs.renameSync(`${file}.tmp`, file);
  }
}
const fields = JSON.parse(fs.readFileSync(fieldsPath, 'utf8'));
const size = fs.statSync(file).size;

const server = await startServer({
  files: {
    // The raw rate: the module's Validator in a Worker of its own, fed the whole file from memory.
    '/__bench_raw.js': {
      type: 'text/javascript; charset=utf-8',
      body: `import createIntakeModule from '/web/lib/wasm/intake_module.js';
self.onmessage = async ({ data: { file, fields, runs } }) => {
  const M = await createIntakeModule({ locateFile: () => '/web/lib/wasm/intake_module.wasm' });
  const bytes = new Uint8Array(await file.arrayBuffer());
  let best = null;
  for (let i = 0; i < runs + 1; i++) {  // the first run also lets the engine optimize the module
    // As worker.js: error records as JSON text, batch bodies copied into pooled buffers (here
    // given back as soon as the call returns, as intake.js gives them back after its copy).
    const pool = [];
    const lend = (n) => {
      const i = pool.findIndex((b) => b.byteLength >= n);
      return new Uint8Array(i >= 0 ? pool.splice(i, 1)[0] : new ArrayBuffer(Math.max(n, 2 << 20)), 0, n);
    };
    const v = new M.Validator(JSON.stringify(fields), '', { batches: true, errors_as_json: true, batch_body_buffer: lend });
    try {
      const t0 = performance.now();
      let batches = 0;
      for (let at = 0; at < bytes.length; at += 1 << 20) {
        const r = v.push(bytes.subarray(at, at + (1 << 20)));
        batches += r.batches.length;
        for (const b of r.batches) pool.push(b.body.buffer);
      }
      const r = v.finish();
      const ms = performance.now() - t0;
      if (!best || ms < best.ms) best = { ms, rows: r.counts.rows, batches: batches + r.batches.length };
    } finally {
      v.delete();
    }
  }
  self.postMessage(best);
};`,
    },
    '/__bench.html': {
      body: `<!doctype html><meta charset="utf-8"><title>intake bench</title><input type="file" id="file">
<script src="/node_modules/papaparse/papaparse.min.js"></script>
<script type="module">
  import * as I from '/web/lib/intake.js';
  import * as U from '/node_modules/udsv/dist/uDSV.mjs';
  window.I = I; window.U = U;
</script>`,
    },
  },
});
const browser = await launchChromium();
let failed = false;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${server.url}/__bench.html`);
  await page.waitForFunction(() => window.I !== undefined && window.U !== undefined && window.Papa !== undefined);
  await page.setInputFiles('#file', file);

  const results = await page.evaluate(async ({ fields, runs, big }) => {
    const file = document.getElementById('file').files[0];
    const intake = await window.I.Intake.load();
    const best = async (fn) => {
      let out = null;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const extra = await fn();
        const ms = performance.now() - t0;
        if (!out || ms < out.ms) out = { ms, ...extra };
      }
      return out;
    };
    const read = await best(async () => {
      const reader = file.stream().getReader();
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.length;
      }
      return { bytes: n };
    });
    const validate = await best(async () => {
      const s = await intake.validate(file, { fields, onBatch: () => {} });
      return { rows: s.counts.rows, errors: s.counts.errors, batches: s.batches, heap: s.heap_peak_bytes, wasmMs: s.wasm_ms, workers: s.workers ?? 1, chunks: s.chunks ?? 0 };
    });
    // The other mode than the one 'auto' chose (one Worker, or chunks in several), for comparison.
    const otherChunked = !validate.chunks;
    const other = await best(async () => {
      const s = await intake.validate(file, { fields, onBatch: () => {}, chunked: otherChunked });
      return { rows: s.counts.rows, chunked: otherChunked, workers: s.workers ?? 1, chunks: s.chunks ?? 0, redone: s.chunks_redone ?? 0 };
    });
    const raw = await new Promise((resolve, reject) => {
      const worker = new Worker('/__bench_raw.js', { type: 'module' });
      worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
      worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
      worker.postMessage({ file, fields, runs });
    });
    const papa = await best(() => new Promise((resolve, reject) => {
      let rows = 0;
      window.Papa.parse(file, {
        chunk: (r) => { rows += r.data.length; },
        complete: () => resolve({ rows }),
        error: reject,
      });
    }));
    const text = await file.text();
    const udsv = await best(async () => {
      const parser = window.U.initParser(window.U.inferSchema(text));
      const rows = parser.stringArrs(text).length;
      return { rows };
    });
    let huge = null;
    if (big) {
      // ~1 GB: the header once, then the reference body repeated (a Blob of File slices: no copy).
      const headerEnd = text.indexOf('\n') + 1;
      const headerBytes = new TextEncoder().encode(text.slice(0, headerEnd)).length;
      const body = file.slice(headerBytes);
      const parts = [file];
      while (parts.reduce((n, p) => n + p.size, 0) < 1e9) parts.push(body);
      const blob = new Blob(parts);
      const t0 = performance.now();
      const s = await intake.validate(blob, { fields, onBatch: () => {}, options: {} });
      huge = { bytes: blob.size, ms: performance.now() - t0, heap: s.heap_peak_bytes, rows: s.counts.rows };
    }
    return { read, validate, other, raw, papa, udsv, huge, textBytes: text.length, cores: navigator.hardwareConcurrency };
  }, { fields, runs, big: !args.includes('--no-1gb') });

  const mbps = (r) => (size / 1e6) / (r.ms / 1000);
  const line = (name, r, note = '') => console.log(`${name.padEnd(34)} ${mbps(r).toFixed(1).padStart(8)} MB/s  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${note}`);
  console.log(`\nreference file: ${file} (${(size / 1e6).toFixed(1)} MB, ${results.validate.rows} rows), best of ${runs} runs\n`);
  line('read only (blob.stream())', results.read);
  line('Intake validate (Workers, batches)', results.validate, `${results.validate.errors} errors, ${results.validate.batches} batches, ${results.validate.chunks} chunks in ${results.validate.workers} Workers (${results.cores} cores), heap peak ${(results.validate.heap / 2 ** 20).toFixed(1)} MiB, ${(results.validate.wasmMs / 1000).toFixed(2)} s in wasm`);
  const o = results.other;
  const oneWorkerMs = o.chunked ? results.validate.ms : o.ms;
  line(o.chunked ? '  the same in chunks' : '  the same in one Worker', o,
       o.chunked ? `chunked: true — ${o.chunks} chunks (${o.redone} redone) in ${o.workers} Workers` : 'chunked: false');
  line('  wasm validator alone (in memory)', results.raw, `${results.raw.rows} rows, ${results.raw.batches} batches, one Worker; one-Worker validate reaches ${(100 * results.raw.ms / oneWorkerMs).toFixed(0)}% of it`);
  line('Papa Parse (Blob, chunk, parse)', results.papa, `${results.papa.rows} rows`);
  line('uDSV (text in memory, parse)', results.udsv, `${results.udsv.rows} rows`);
  const v = mbps(results.validate);
  const checks = [
    ['validate ≥ 4× Papa Parse', v / mbps(results.papa), 4],
    ['validate ≥ 1.5× uDSV', v / mbps(results.udsv), 1.5],
    ['validate ≥ 70% of read rate', v / mbps(results.read), 0.7],
  ];
  if (results.huge) {
    const h = results.huge;
    console.log(`${'Intake validate, ~1 GB Blob'.padEnd(34)} ${((h.bytes / 1e6) / (h.ms / 1000)).toFixed(1).padStart(8)} MB/s  ${(h.ms / 1000).toFixed(2).padStart(7)} s  ${h.rows} rows, heap peak ${(h.heap / 2 ** 20).toFixed(1)} MiB`);
    checks.push(['heap peak at 1 GB ≤ 1.1× reference', results.validate.heap / h.heap, 1 / 1.1]);
  }
  console.log('');
  for (const [name, ratio, target] of checks) {
    const ok = ratio >= target;
    failed ||= !ok;
    console.log(`${ok ? 'ok  ' : 'MISS'} ${name.padEnd(36)} ${name.startsWith('heap') ? `${(1 / ratio).toFixed(3)}×` : `${ratio.toFixed(2)}×`}`);
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
