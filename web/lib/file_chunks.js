// Reading a File in order for the validating Worker (worker.js), with as little of the reading's
// cost as possible on that Worker's thread. A small reader Worker of its own reads the File's
// stream with a BYOB reader into a few buffers it owns, and transfers each filled buffer to the
// validating Worker, which hands it back once its bytes are in the wasm heap: no allocation per
// chunk, no copy but the stream's own, and reading runs beside validation, a few MiB ahead.
// Where a Worker cannot be started from a blob: URL (a CSP without worker-src blob:, or no
// nested Workers), the same reading runs on the calling thread, one read ahead.

const BUFFER_BYTES = 1 << 20;
const BUFFERS = 4;

// The reader Worker's whole program, started from its source text (a blob: URL is same-origin
// with worker.js wherever that was loaded from). Messages in: {type: 'start', id, file,
// bufferBytes, buffers} · {type: 'give', id, buffer} (a buffer back) · {type: 'stop', id}.
// Out: {type: 'chunk', id, buffer, length} (buffer transferred) · {type: 'end', id} ·
// {type: 'error', id, name, message}.
function readerWorkerMain() {
  const jobs = new Map();  // id -> {free: ArrayBuffer[], wake, stopped, reader}
  const take = async (job) => {
    while (!job.free.length && !job.stopped) await new Promise((resolve) => { job.wake = resolve; });
    return job.free.pop();
  };
  const run = async ({ id, file, bufferBytes, buffers }) => {
    const job = { free: [], wake: null, stopped: false, reader: null };
    jobs.set(id, job);
    try {
      const stream = file.stream();
      let byob = true;
      try {
        job.reader = stream.getReader({ mode: 'byob' });
        for (let i = 0; i < buffers; i++) job.free.push(new ArrayBuffer(bufferBytes));
      } catch {
        byob = false;  // chunks come in buffers of the stream's own; at most `buffers` out at once
        job.reader = stream.getReader();
        for (let i = 0; i < buffers; i++) job.free.push(null);
      }
      for (;;) {
        const buffer = await take(job);
        if (job.stopped) return;
        const { done, value } = byob ? await job.reader.read(new Uint8Array(buffer)) : await job.reader.read();
        if (job.stopped) return;
        if (done) {
          self.postMessage({ type: 'end', id });
          return;
        }
        const chunk = byob || (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) ? value : value.slice();
        self.postMessage({ type: 'chunk', id, buffer: chunk.buffer, length: chunk.length }, [chunk.buffer]);
      }
    } catch (e) {
      if (!job.stopped) self.postMessage({ type: 'error', id, name: e?.name || 'Error', message: String(e?.message || e) });
    } finally {
      jobs.delete(id);
    }
  };
  self.onmessage = ({ data }) => {
    if (data.type === 'start') {
      run(data);
      return;
    }
    const job = jobs.get(data.id);
    if (!job) return;
    if (data.type === 'give') job.free.push(data.buffer);
    if (data.type === 'stop') {
      job.stopped = true;
      job.reader?.cancel().catch(() => {});
    }
    const wake = job.wake;
    job.wake = null;
    wake?.();
  };
}

// A read that failed, as a person can act on it: browsers report a File changed or removed
// after it was picked as a bare "network error" (streams) or NotReadableError.
export function unreadable(name, message) {
  return Object.assign(new Error(`the file could not be read: it may have been moved, changed or deleted after it ` +
                                 `was picked; pick it again (${name}: ${message})`),
                       { name: 'NotReadableError', code: 'file_unreadable' });
}

let readerWorker;  // undefined: not tried yet; null: cannot be started here
let nextJob = 1;
const listeners = new Map();  // job id -> message handler

function startReaderWorker() {
  if (readerWorker !== undefined) return readerWorker;
  readerWorker = null;
  try {
    const source = `(${readerWorkerMain})();\n`;
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url, { name: 'intake-reader' });
    URL.revokeObjectURL(url);
    worker.onmessage = ({ data }) => listeners.get(data.id)?.(data);
    worker.onerror = (event) => {
      // It did not start (or failed): later reads run on the calling thread; readers in
      // progress fail with a readable error.
      event.preventDefault?.();
      if (readerWorker === worker) readerWorker = null;
      for (const handler of [...listeners.values()]) {
        handler({ type: 'error', name: 'Error', message: `the Intake file reader failed: ${event.message || 'it could not start'}` });
      }
    };
    readerWorker = worker;
  } catch {
    readerWorker = null;
  }
  return readerWorker;
}

// Reads `file` through the reader Worker. next() resolves to the next Uint8Array (valid until
// the following call) or null at the end; it rejects with a NotReadableError (code
// file_unreadable) when the File cannot be read. cancel() stops reading.
function readInWorker(worker, file) {
  const id = nextJob++;
  const arrived = [];  // messages not yet taken
  let wake = null;
  let held = null;     // the buffer of the chunk last returned
  let over = false;
  listeners.set(id, (msg) => {
    arrived.push(msg);
    const w = wake;
    wake = null;
    w?.();
  });
  const giveBack = () => {
    if (held) worker.postMessage({ type: 'give', id, buffer: held }, [held]);
    held = null;
  };
  const finish = () => {
    over = true;
    listeners.delete(id);
  };
  worker.postMessage({ type: 'start', id, file, bufferBytes: BUFFER_BYTES, buffers: BUFFERS });
  return {
    async next() {
      giveBack();
      while (!arrived.length && !over) await new Promise((resolve) => { wake = resolve; });
      const msg = arrived.shift();
      if (!msg || msg.type === 'end') {
        finish();
        return null;
      }
      if (msg.type === 'error') {
        finish();
        throw unreadable(msg.name, msg.message);
      }
      held = msg.buffer;
      return new Uint8Array(msg.buffer, 0, msg.length);
    },
    cancel() {
      if (over) return;
      worker.postMessage({ type: 'stop', id });
      finish();
      const w = wake;
      wake = null;
      w?.();
    },
  };
}

// The same on the calling thread: a BYOB reader into two reused buffers, the next read pending
// while the caller works on the current chunk; else the default reader's chunks as they come.
function readHere(file) {
  const stream = file.stream();
  let reader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    const plain = stream.getReader();
    return {
      next: async () => {
        const { done, value } = await plain.read().catch((e) => { throw unreadable(e?.name, e?.message); });
        return done ? null : value;
      },
      cancel: () => { plain.cancel().catch(() => {}); },
    };
  }
  const read = (buffer) => reader.read(new Uint8Array(buffer));
  let pending = read(new ArrayBuffer(BUFFER_BYTES));
  let spare = new ArrayBuffer(BUFFER_BYTES);  // the buffer the caller holds, free at the next call
  return {
    next: async () => {
      const { done, value } = await pending.catch((e) => { throw unreadable(e?.name, e?.message); });
      if (done) return null;
      pending = read(spare);
      spare = value.buffer;  // the same memory, handed back by the stream
      return value;
    },
    cancel: () => {
      pending.catch(() => {});
      reader.cancel().catch(() => {});
    },
  };
}

// Starts the reader Worker ahead of the first read (a Worker takes tens of milliseconds to start).
export function prepareFileChunks() {
  startReaderWorker();
}

// The File's bytes in order: {next, cancel} as above, chunks of at most 1 MiB. `inThread` forces
// reading on the calling thread.
export function readFileChunks(file, { inThread = false } = {}) {
  const worker = inThread ? null : startReaderWorker();
  return worker ? readInWorker(worker, file) : readHere(file);
}
