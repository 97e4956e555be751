// web/lib/file_chunks.js in real headless Chromium: a File read through the reader Worker and
// on the calling thread comes back whole and in order, in chunks of at most 1 MiB, for sizes
// around the buffer size; cancel() stops reading; a File that can no longer be read rejects
// with the browser's error. Run: node --test tests/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import fs from 'node:fs';

import { launchChromium, pickFile, startServer, tempFile } from './module_harness.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer({
    files: {
      '/__chunks.html': {
        body: `<!doctype html><meta charset="utf-8"><title>file chunks</title><input type="file" id="file">
<script type="module">
  import { readFileChunks } from '/web/lib/file_chunks.js';
  window.readFileChunks = readFileChunks;
</script>`,
      },
    },
  });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${server.url}/__chunks.html`);
  await page.waitForFunction(() => window.readFileChunks !== undefined);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// In a module Worker of the page (as worker.js runs it): reads Files of the given sizes, filled
// with a position-dependent pattern, and checks every byte.
function readInWorker(sizes, inThread, picked = false) {
  return page.evaluate(({ sizes, inThread, picked }) => new Promise((resolve, reject) => {
    const source = `
      import { readFileChunks } from '${location.origin}/web/lib/file_chunks.js';
      const byteAt = (i) => (i * 31 + (i >> 11)) & 255;
      self.onmessage = async ({ data: { sizes, inThread, picked } }) => {
        if (picked) {
          // The picked File was removed from disk after being picked: reading it must fail.
          const chunks = readFileChunks(picked, { inThread });
          try {
            while (await chunks.next() !== null);
            self.postMessage({ read: true });
          } catch (e) {
            self.postMessage({ name: e.name, code: e.code, isError: e instanceof Error, message: e.message });
          }
          return;
        }
        const out = [];
        for (const size of sizes) {
          const bytes = new Uint8Array(size);
          for (let i = 0; i < size; i++) bytes[i] = byteAt(i);
          const chunks = readFileChunks(new File([bytes], 'f.bin'), { inThread });
          let at = 0, calls = 0, bad = -1, largest = 0;
          for (let c; (c = await chunks.next()) !== null;) {
            calls++;
            largest = Math.max(largest, c.length);
            for (let i = 0; i < c.length && bad < 0; i++) if (c[i] !== byteAt(at + i)) bad = at + i;
            at += c.length;
          }
          out.push({ size, read: at, calls, bad, largest });
        }
        // cancel() mid-file: no further chunk, and the next read starts afresh.
        const big = new File([new Uint8Array(8 << 20)], 'big.bin');
        const chunks = readFileChunks(big, { inThread });
        await chunks.next();
        chunks.cancel();
        const again = readFileChunks(new File([new Uint8Array([1, 2, 3])], 'small.bin'), { inThread });
        const first = await again.next();
        out.push({ afterCancel: Array.from(first), end: await again.next() });
        self.postMessage(out);
      };`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
    worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage({ sizes, inThread, picked: picked ? document.getElementById('file').files[0] : null });
  }), { sizes, inThread, picked });
}

const SIZES = [0, 1, 65535, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 5 * (1 << 20) + 12345];

for (const inThread of [false, true]) {
  test(`a File comes back whole and in order (${inThread ? 'on the calling thread' : 'through the reader Worker'})`, async () => {
    const out = await readInWorker(SIZES, inThread);
    for (const r of out.slice(0, SIZES.length)) {
      assert.equal(r.read, r.size, `size ${r.size}`);
      assert.equal(r.bad, -1, `first wrong byte at ${r.bad} of ${r.size}`);
      assert.ok(r.largest <= 1 << 20, `a chunk of ${r.largest} bytes`);
      if (r.size > 0) assert.ok(r.calls >= Math.ceil(r.size / (1 << 20)), `${r.calls} chunks for ${r.size} bytes`);
    }
    assert.deepEqual(out.at(-1), { afterCancel: [1, 2, 3], end: null });
  });
}

for (const inThread of [false, true]) {
  test(`a File removed from disk rejects with NotReadableError (${inThread ? 'on the calling thread' : 'through the reader Worker'})`, async () => {
    const path = tempFile('gone.csv', 'x'.repeat(3 << 20));
    await pickFile(page, path);
    fs.rmSync(path);
    const r = await readInWorker([], inThread, true);
    assert.equal(r.name, 'NotReadableError', JSON.stringify(r));
    assert.equal(r.code, 'file_unreadable');
    assert.equal(r.isError, true);
    assert.match(r.message, /could not be read: it may have been moved, changed or deleted/);
  });
}
