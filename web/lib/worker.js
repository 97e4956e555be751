// The Intake Worker: owns the wasm module and runs inspect, validate and fingerprint off the main
// thread. It reads the File in chunks (never whole; file_chunks.js), pushes each chunk through
// the module's Validator once, and posts the results (batch bodies transferred). intake.js is
// its only client; the protocol:
//   in:  {type: 'load', id, moduleUrl, wasmUrl} · {type: 'inspect', id, file, ...}
//        {type: 'validate', id, file, ...} · {type: 'ack', id} · {type: 'abort', id}
//        {type: 'fingerprint', id, file} · {type: 'give', buffer} (a batch body's buffer, back)
//   out: {type: 'result', id, value} · {type: 'slice', id, header, errors_json, batches, counts}
//        {type: 'done', id, summary} · {type: 'error', id, error: {name, code, message}}
// and, for a file validated in chunks by several Workers at once (chunked.js drives them):
//   in:  {type: 'plan', id, file, fields, mapping, options} · {type: 'chunk', id, job, ...}
//        {type: 'sequence-start', vid, ...} · {type: 'sequence', vid, chunk, offset, finish}
//        {type: 'drop', id, job} · {type: 'forget', id} · {type: 'give-chunk', buffer}
//   out: {type: 'result', id, value} (plan, sequence*) · {type: 'chunk', id, job, result}
//        (result null: the chunk was dropped before it started)

import { prepareFileChunks, readFileChunks, unreadable } from './file_chunks.js';

let modulePromise = null;
const jobs = new Map();  // id -> {aborted, pending, wake, chunks}

const post = (message, transfer) => self.postMessage(message, transfer || []);

// Buffers used again and again: a fresh MiB of ArrayBuffer costs the thread that fills it about
// a millisecond of page faults. A buffer serves any request that fits; a bigger request gets a
// new buffer (at least minBytes); at most `max` are kept.
class BufferPool {
  constructor(max, minBytes) {
    this.max = max;
    this.minBytes = minBytes;
    this.free = [];
  }

  take(n) {
    const i = this.free.findIndex((b) => b.byteLength >= n);
    return i >= 0 ? this.free.splice(i, 1)[0] : new ArrayBuffer(Math.max(n, this.minBytes));
  }

  // A Uint8Array of length n over a pooled buffer (for the wasm module's *_buffer options).
  lend = (n) => new Uint8Array(this.take(n), 0, n);

  give(buffer) {
    if (this.free.length < this.max && buffer instanceof ArrayBuffer && buffer.byteLength) this.free.push(buffer);
  }
}

// Batch bodies are copied out of the wasm heap into these buffers and transferred to intake.js,
// which copies each body into memory of its own and gives the buffer back ('give'): the fresh
// allocation per batch happens on the main thread, beside validation, instead of on this
// thread, in front of it.
const bodyBuffers = new BufferPool(8, 2 << 20);

// A wasm abort (out of memory, most likely) or a C++ exception (thrown as a bare number) leaves
// the module unusable: reported as wasm_aborted, and the module is loaded afresh next time.
function moduleError(e) {
  if (!(e instanceof WebAssembly.RuntimeError) && typeof e !== 'number') return e;
  modulePromise = null;
  return Object.assign(new Error(`the Intake wasm module stopped (${typeof e === 'number' ? `exception ${e}` : e.message}); ` +
                                 'load Intake again (or reload the page) to go on'), { code: 'wasm_aborted' });
}

function replyError(id, e) {
  const error = moduleError(e);
  post({
    type: 'error', id,
    error: {
      name: error?.name || 'Error',
      code: error?.code || 'worker_failed',
      message: String(error?.message || error),
    },
  });
}

// Browsers first run wasm from a quick baseline compile and optimize hot functions later, in
// the background. A short run over rows of every field type makes the hot paths hot before the
// first real file arrives.
const WARM_UP_FIELDS = JSON.stringify([
  { key: 'external_id', label: 'External ID', type: 'text', required: true, identity: 'external_id' },
  { key: 'email', label: 'Email', type: 'email', identity: 'email' },
  { key: 'phone', label: 'Phone', type: 'phone', identity: 'phone' },
  { key: 'tz', label: 'Timezone', type: 'timezone' },
  { key: 'd', label: 'Date', type: 'date' },
  { key: 'dt', label: 'Datetime', type: 'datetime' },
  { key: 'n', label: 'Number', type: 'number' },
  { key: 'b', label: 'Boolean', type: 'boolean' },
  { key: 'e', label: 'Enum', type: 'enum', values: ['free', 'pro'] },
]);

function warmUp(M) {
  const rows = ['external_id,email,phone,tz,d,dt,n,b,e'];
  for (let i = 0; i < 4000; i++) {
    rows.push(`P${i},"name${i}@example.com",+1415555${String(1000 + (i % 9000)).padStart(4, '0')},Europe/Berlin,` +
              `2024-0${1 + (i % 9)}-1${i % 10},2024-01-02T03:04:05Z,${i}.5,${i % 2 ? 'yes' : 'false'},${i % 3 ? 'pro' : 'bad'}`);
  }
  const bytes = new TextEncoder().encode(rows.join('\r\n'));
  for (let round = 0; round < 2; round++) {
    const v = new M.Validator(WARM_UP_FIELDS, '', { batch_rows: 1000, duplicate_capacity: 1 << 14 });
    try {
      for (let i = 0; i < bytes.length; i += 65536) v.push(bytes.subarray(i, i + 65536));
      v.finish();
    } finally {
      v.delete();
    }
  }
}

function loadModule({ moduleUrl, wasmUrl }) {
  if (!modulePromise) {
    modulePromise = import(moduleUrl)
      .then(({ default: createIntakeModule }) => createIntakeModule({ locateFile: () => wasmUrl }))
      .then((M) => { prepareFileChunks(); warmUp(M); return M; })
      .catch((e) => {
        modulePromise = null;
        const err = new Error(`the Intake wasm module could not be loaded from ${moduleUrl}: ` +
                              `${e?.message || e}. Check wasmUrl and that the server serves it.`);
        err.code = 'module_load_failed';
        throw err;
      });
  }
  return modulePromise;
}

async function inspect({ file, fields, mapping, options, headBytes, previewRows }) {
  const M = await modulePromise;
  const head = new Uint8Array(await file.slice(0, headBytes).arrayBuffer());
  const result = M.inspect(head, fields?.length ? JSON.stringify(fields) : '', mapping ? JSON.stringify(mapping) : '',
                           options || {}, previewRows, file.size <= headBytes);
  result.file = { name: file.name ?? '', size: file.size };
  return result;
}

// A 64-bit hash (the core's) over size, modification time, name, and the first and last MiB:
// the same file picked again gives the same fingerprint without reading it whole.
async function fingerprint({ file }) {
  const M = await modulePromise;
  const span = 1 << 20;
  const meta = new TextEncoder().encode(`${file.size}\n${file.lastModified ?? 0}\n${file.name ?? ''}\n`);
  const head = new Uint8Array(await file.slice(0, span).arrayBuffer());
  const tail = file.size > span ? new Uint8Array(await file.slice(Math.max(span, file.size - span)).arrayBuffer())
                                : new Uint8Array(0);
  const all = new Uint8Array(meta.length + head.length + tail.length);
  all.set(meta, 0);
  all.set(head, meta.length);
  all.set(tail, meta.length + head.length);
  return `v1-${file.size}-${M.hashBytes(all)}`;
}

// Validates the whole File: its chunks (file_chunks.js: read beside this thread, a few MiB
// ahead) go to the wasm Validator (at most sliceBytes per call, one copy into the heap), and each
// call's results are posted in one 'slice' message with the batch bodies transferred, not
// cloned. Backpressure: before the next call, the Worker waits while maxPendingBatches or more
// batches are unacknowledged, so reading pauses while onBatch holds them.
async function validate(msg) {
  const { id, file, fields, mapping, options, sliceBytes, maxPendingBatches } = msg;
  const M = await modulePromise;
  const job = { aborted: false, pending: 0, wake: null };
  jobs.set(id, job);
  const started = performance.now();
  let heapPeak = M.heapBytes();
  let wasmMs = 0;
  let batches = 0;
  let validator = null;
  let chunks = null;
  const waitForAcks = async () => {
    while (job.pending >= maxPendingBatches && !job.aborted) {
      await new Promise((resolve) => { job.wake = resolve; });
    }
  };
  const run = (call) => {
    const t0 = performance.now();
    const result = call();
    wasmMs += performance.now() - t0;
    return result;
  };
  const deliver = (result) => {
    const transfer = result.batches.map((b) => b.body.buffer);
    batches += result.batches.length;
    job.pending += result.batches.length;
    heapPeak = Math.max(heapPeak, M.heapBytes());
    post({
      type: 'slice', id, header: result.header, errors_json: result.errors_json, batches: result.batches,
      counts: result.counts,
    }, transfer);
  };
  try {
    // Error records come as JSON text: one string is posted far more cheaply than many objects.
    validator = newValidator(M, fields, mapping, { ...options, errors_as_json: true, batch_body_buffer: bodyBuffers.lend });
    chunks = readFileChunks(file);
    job.chunks = chunks;
    let result = null;
    read: while (!job.aborted) {
      const value = await chunks.next();
      if (!value || job.aborted) break;
      for (let at = 0; at < value.length; at += sliceBytes) {
        await waitForAcks();
        if (job.aborted) break read;
        result = run(() => validator.push(value.subarray(at, at + sliceBytes)));
        deliver(result);
        if (result.file_error) break read;
      }
    }
    if (job.aborted) return;
    if (!result?.file_error) {
      result = run(() => validator.finish());
      deliver(result);
    }
    post({
      type: 'done', id,
      summary: {
        counts: result.counts,
        file_error: result.file_error,
        batches,
        duplicate_tracking_full: validator.duplicateTrackingFull(),
        heap_peak_bytes: heapPeak,
        elapsed_ms: performance.now() - started,
        wasm_ms: wasmMs,
      },
    });
  } catch (e) {
    throw moduleError(e);
  } finally {
    chunks?.cancel();
    try { validator?.delete(); } catch { /* the module aborted; nothing left to free */ }
    jobs.delete(id);
  }
}

// ---- Chunked validation (see chunked.js, and shared/batch/chunked_batches.h) ----------------

const SNIFF_BYTES = 64 << 10;      // what the core's FileValidator sniffs the dialect from
const HEADER_MAX_BYTES = 2 << 20;  // a header record longer than this: no chunks, one Worker
const PIECE_BYTES = 1 << 20;       // a chunk is read and pushed this much at a time
const LINE_END_READ = 4096;        // first read when looking for a line end (rows are short)
const EXTEND_READ = 64 << 10;      // reads when a chunk runs on past its cut
const sequencers = new Map();      // validation id -> {sequencer, M, wasmMs}

const readBytes = (file, start, end) =>
  file.slice(start, end).arrayBuffer().then((b) => new Uint8Array(b), (e) => { throw unreadable(e?.name, e?.message); });

const newValidator = (M, fields, mapping, options) =>
  new M.Validator(JSON.stringify(fields), mapping ? JSON.stringify(mapping) : '', options);

// The offset just past the first LF at or after `at` (the file's size when there is none).
async function lineEndAfter(file, at) {
  for (let p = at, n = LINE_END_READ; p < file.size; p += n, n = EXTEND_READ) {
    const bytes = await readBytes(file, p, Math.min(file.size, p + n));
    const i = bytes.indexOf(10);
    if (i >= 0) return p + i + 1;
  }
  return file.size;
}

// The file's dialect (sniffed from its head as the core does) and where its header record ends,
// or null when the file is not for chunks (UTF-16, a header that cannot be read or mapped or is
// longer than HEADER_MAX_BYTES, rows not ended by LF): the caller then validates it in one
// Worker, which reports what is wrong.
async function plan({ file, fields, mapping, options }) {
  const M = await modulePromise;
  const dialect = M.sniffDialect(await readBytes(file, 0, Math.min(file.size, SNIFF_BYTES)));
  if (dialect.utf16) return null;
  const head = await readBytes(file, 0, Math.min(file.size, HEADER_MAX_BYTES));
  const v = newValidator(M, fields, mapping, { ...options, dialect, chunk: true });
  try {
    for (let at = 0; at < head.length;) {
      const lf = head.indexOf(10, at);
      if (lf < 0) return null;
      const r = v.push(head.subarray(at, lf + 1));
      if (r.file_error) return null;
      at = lf + 1;
      if (v.recordsRead() === 1 && v.betweenRecords()) {
        // Rows ended by CR alone: no cut could be made; one Worker reads them.
        if (head.length > at + 1 && head.indexOf(10, at) < 0) return null;
        return { dialect, headerEnd: at, header: r.header };
      }
      if (v.recordsRead() > 1) return null;
    }
    return null;
  } finally {
    v.delete();
  }
}

// A chunk's bytes are read into these buffers; its lines are copied out into them, travel to the
// sequencing Worker and come back ('give-chunk').
const chunkBuffers = new BufferPool(8, PIECE_BYTES);

// Reads [start, end) of `file` in pieces of PIECE_BYTES (pooled buffers filled by a BYOB reader
// where the browser has one), one piece ahead of the caller.
class SliceReader {
  constructor(file, start, end) {
    const stream = file.slice(start, end).stream();
    try {
      this.reader = stream.getReader({ mode: 'byob' });
      this.byob = true;
    } catch {
      this.reader = stream.getReader();
      this.byob = false;
    }
    this.ahead = this.read();
    this.ahead.catch(() => {});
  }

  async read() {
    try {
      if (!this.byob) {
        const { done, value } = await this.reader.read();
        return done ? null : value;
      }
      let buffer = chunkBuffers.take(PIECE_BYTES);
      let at = 0;
      while (at < PIECE_BYTES) {
        const { done, value } = await this.reader.read(new Uint8Array(buffer, at, PIECE_BYTES - at));
        if (value) buffer = value.buffer;  // the same memory, handed back
        if (done) break;
        at += value.byteLength;
      }
      if (at === 0) {
        chunkBuffers.give(buffer);
        return null;
      }
      return new Uint8Array(buffer, 0, at);
    } catch (e) {
      throw unreadable(e?.name, e?.message);
    }
  }

  // The next piece, or null at the end.
  async next() {
    const piece = await this.ahead;
    if (piece) {
      this.ahead = this.read();
      this.ahead.catch(() => {});
    }
    return piece;
  }

  cancel() {
    this.reader.cancel().catch(() => {});
  }
}

// A chunk's bounds, found as soon as the chunk is handed over (before the chunks queued ahead of
// it in this Worker are validated), and the reading of its bytes started.
const headers = new Map();  // validation id -> Promise of the header record's bytes
async function openChunk({ id, file, start, from, to, headerEnd }) {
  if (!headers.has(id)) headers.set(id, readBytes(file, 0, headerEnd));
  const header = headers.get(id);
  if (start == null) start = Math.max(headerEnd, from === 0 ? 0 : await lineEndAfter(file, from));
  const stop = Math.max(start, to >= file.size ? file.size : await lineEndAfter(file, to));
  return { start, stop, header: await header, pieces: new SliceReader(file, start, stop) };
}

// Validates one chunk: the records from `start` (given, or just past the first line end at or
// after `from`) to just past the first line end at or after `to` — or further, when that line
// end lies inside a record — after the header record. Its clean rows come back as lines (the
// Sequencer makes the batches), its errors and counts with rows numbered as if the chunk
// followed the header directly; `records` says how far the numbering went.
async function validateChunk({ id, file, job, fields, mapping, options }, opened) {
  const M = await modulePromise;
  const state = jobs.get(id);
  const { start, stop, header, pieces } = await opened;
  if (!state || state.aborted) {
    pieces.cancel();
    return null;
  }
  let wasmMs = 0;
  const v = newValidator(M, fields, mapping, { ...options, chunk: true, errors_as_json: true, lines_buffer: chunkBuffers.lend });
  const errors = [];
  let last = null;
  const push = (bytes) => {
    const t0 = performance.now();
    last = v.push(bytes);
    wasmMs += performance.now() - t0;
    errors.push(...last.errors_json);
    if (last.file_error) throw Object.assign(new Error(last.file_error.message), { code: last.file_error.code });
  };
  try {
    push(header);
    for (let piece; (piece = await pieces.next());) {
      if (state.aborted) return null;
      push(piece);
      chunkBuffers.give(piece.buffer);
    }
    // When the cut lay inside a record (a quoted value with line breaks), read on, a line at a
    // time, to the end of that record.
    let end = stop;
    while (end < file.size && !v.betweenRecords()) {
      const more = await readBytes(file, end, Math.min(file.size, end + EXTEND_READ));
      if (state.aborted) return null;
      let at = 0;
      while (at < more.length) {
        const lf = more.indexOf(10, at);
        const upto = lf < 0 ? more.length : lf + 1;
        push(more.subarray(at, upto));
        at = upto;
        if (lf >= 0 && v.betweenRecords()) break;
      }
      end += at;
    }
    if (end === file.size) {
      const t0 = performance.now();
      last = v.finish();
      wasmMs += performance.now() - t0;
      errors.push(...last.errors_json);
    }
    const chunk = v.takeChunk();
    return {
      job, start, stop, end, records: chunk.records, parts: chunk.parts, errors_json: errors,
      counts: last.counts, heap: M.heapBytes(), wasm_ms: wasmMs,
    };
  } finally {
    pieces.cancel();
    try { v.delete(); } catch { /* the module aborted; nothing left to free */ }
  }
}

function sequenceStart({ vid, fields, mapping, options, header }) {
  return modulePromise.then((M) => {
    const sequencer = new M.Sequencer(JSON.stringify(fields), mapping ? JSON.stringify(mapping) : '',
                                      { ...options, batch_body_buffer: bodyBuffers.lend }, header);
    const error = sequencer.fileError();
    if (error) {
      sequencer.delete();
      return { error };
    }
    sequencers.set(vid, { sequencer, M, wasmMs: 0 });
    return { error: null };
  });
}

// The next chunk's parts through the Sequencer (or, with `finish`, the end of the file). The
// parts' buffers go back to the Worker that lent them.
function sequence({ vid, chunk, offset, finish }) {
  const s = sequencers.get(vid);
  if (!s) throw Object.assign(new Error('no sequencer for this validation'), { code: 'not_started' });
  const t0 = performance.now();
  const batches = [];
  const errorsJson = [];
  for (const r of finish ? [s.sequencer.finish()] : chunk.parts.map((part) => s.sequencer.add(part, offset))) {
    batches.push(...r.batches);
    errorsJson.push(...r.errors_json);
  }
  s.wasmMs += performance.now() - t0;
  const value = {
    batches, errors_json: errorsJson, adjustments: s.sequencer.adjustments(), heap: s.M.heapBytes(), wasm_ms: s.wasmMs,
    chunk_bodies: finish ? [] : chunk.parts.map((part) => part.body),
  };
  if (finish) {
    value.duplicate_tracking_full = s.sequencer.duplicateTrackingFull();
    forget(vid);
  }
  return value;
}

function forget(id) {
  const s = sequencers.get(id);
  sequencers.delete(id);
  try { s?.sequencer.delete(); } catch { /* the module aborted */ }
}

// Chunks run one at a time, in the order they came, except that an urgent one (a chunk validated
// again, which everything after it waits for) goes first; their reads start as they arrive. A
// chunk not yet started can be dropped (the cut it starts from turned out wrong).
const chunkQueue = [];  // [{msg, opened}]
let chunkRunning = false;

function queueChunk(msg) {
  if (!jobs.has(msg.id)) jobs.set(msg.id, { aborted: false, pending: 0, wake: null });
  const opened = openChunk(msg);
  opened.catch(() => {});  // reported when its turn comes
  if (msg.urgent) chunkQueue.unshift({ msg, opened });
  else chunkQueue.push({ msg, opened });
  if (!chunkRunning) runChunks();
}

function unqueue(index) {
  const [{ opened }] = chunkQueue.splice(index, 1);
  opened.then((o) => o.pieces.cancel(), () => {});
}

function dropChunk({ id, job }) {
  const i = chunkQueue.findIndex((c) => c.msg.id === id && c.msg.job === job);
  if (i < 0) return;
  unqueue(i);
  post({ type: 'chunk', id, job, result: null });  // dropped: its slot is free again
}

async function runChunks() {
  chunkRunning = true;
  while (chunkQueue.length) {
    const { msg, opened } = chunkQueue.shift();
    try {
      const result = await validateChunk(msg, opened);
      if (result) {
        const transfer = result.parts.flatMap((p) => [p.body.buffer, p.meta.buffer]);
        post({ type: 'chunk', id: msg.id, job: msg.job, result }, transfer);
      }
    } catch (e) {
      replyError(msg.id, e);
    }
  }
  chunkRunning = false;
}

const handlers = {
  load: async (msg) => { await loadModule(msg); return true; },
  inspect,
  fingerprint,
  validate: async (msg) => { await validate(msg); },  // replies itself
  plan,
  'sequence-start': sequenceStart,
  sequence: async (msg) => sequence(msg),
};

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'give') {
    bodyBuffers.give(msg.buffer);
    return;
  }
  if (msg.type === 'chunk') {
    queueChunk(msg);
    return;
  }
  if (msg.type === 'give-chunk') {
    chunkBuffers.give(msg.buffer);
    return;
  }
  if (msg.type === 'drop') {
    dropChunk(msg);
    return;
  }
  if (msg.type === 'forget') {  // a chunked validation ended (or was stopped)
    const job = jobs.get(msg.id);
    if (job) job.aborted = true;
    jobs.delete(msg.id);
    for (let i = chunkQueue.length - 1; i >= 0; i--) if (chunkQueue[i].msg.id === msg.id) unqueue(i);
    headers.delete(msg.id);
    forget(msg.id);
    return;
  }
  if (msg.type === 'ack' || msg.type === 'abort') {
    const job = jobs.get(msg.id);
    if (!job) return;
    if (msg.type === 'ack') job.pending--;
    else {
      job.aborted = true;
      job.chunks?.cancel();  // a pending read ends at once
    }
    const wake = job.wake;
    job.wake = null;
    wake?.();
    return;
  }
  const handler = handlers[msg.type];
  if (!handler) {
    replyError(msg.id, { code: 'unknown_message', message: `the Intake worker has no message type "${msg.type}"` });
    return;
  }
  try {
    if (msg.type !== 'load' && !modulePromise) throw Object.assign(new Error('the module is not loaded'), { code: 'not_loaded' });
    const value = await handler(msg);
    // Batch bodies (the Sequencer's) are transferred, as in 'slice' messages.
    const transfer = value?.batches?.map((b) => b.body.buffer) || [];
    for (const body of value?.chunk_bodies || []) transfer.push(body.buffer);
    if (msg.type !== 'validate') post({ type: 'result', id: msg.id, value }, transfer);
  } catch (e) {
    replyError(msg.id, e);
  }
};
