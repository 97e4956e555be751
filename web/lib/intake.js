// The Intake JS API for web apps that embed the browser module: load it once in a Worker, then
// inspect a file's head, validate a whole File in slices with progress, batches and errors, or
// upload it to an Intake server (upload.js). Types and docs: intake.d.ts and README.md.
//
//   const intake = await Intake.load();
//   const summary = await intake.validate(file, { fields, onProgress: (p) => show(p) });

import { CHUNK_BYTES, ChunkedValidation } from './chunked.js';
import { IntakeAbortError, IntakeError, IntakeFileError } from './errors.js';
import { uploadFile } from './upload.js';

export * from './errors.js';
export { forgetResumableUpload, listResumableUploads } from './upload.js';

const DEFAULT_WASM_URL = new URL('./wasm/intake_module.wasm', import.meta.url).href;
const DEFAULT_WORKER_URL = new URL('./worker.js', import.meta.url).href;
const PROGRESS_INTERVAL_MS = 250;
const MAX_HELPERS = 4;
// Validating in chunks costs about 1.5 times the CPU of one Worker (reading each chunk on its
// own, sequencing): on 2 cores it measured slower than one Worker, so `chunked: 'auto'` uses it
// from this many cores on.
const AUTO_CHUNK_CORES = 4;
const autoChunks = () => (globalThis.navigator?.hardwareConcurrency ?? 1) >= AUTO_CHUNK_CORES;

const loaded = new Map();  // wasm URL -> Promise<Intake>

// A Worker script must be same-origin; from another origin (a CDN), a same-origin blob module
// imports it instead (the CDN must then allow CORS).
function startWorker(url) {
  const sameOrigin = !globalThis.location || new URL(url).origin === globalThis.location.origin;
  if (sameOrigin) return new Worker(url, { type: 'module', name: 'intake' });
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url)};`], { type: 'text/javascript' }));
  return new Worker(shim, { type: 'module', name: 'intake' });
}

function fieldList(fields) {
  if (Array.isArray(fields)) return fields;
  if (fields && Array.isArray(fields.fields)) return fields.fields;
  throw new IntakeFileError('invalid_fields', 'fields must be the campaign\'s field list: an array, or {fields: [...]} as GET /api/v1/campaigns/{id}/fields returns it');
}

function abortReason(signal) {
  const r = signal?.reason;
  return r instanceof IntakeError ? r : new IntakeAbortError();
}

export class Intake {
  #worker;
  #helpers = [];         // more Workers, for validating large files in chunks (chunked.js)
  #helpersReady = null;  // Promise of #helpers being loaded
  #workerUrl = null;
  #loadMessage = null;
  #nextId = 1;
  #calls = new Map();  // id -> message handler (msg, index of the Worker it came from)
  #broken = null;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = (event) => this.#calls.get(event.data.id)?.(event.data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(new IntakeError('worker_failed', `the Intake worker failed: ${event.message || 'it could not start'}`));
    };
    worker.onmessageerror = () => this.#fail(new IntakeError('worker_failed', 'a message from the Intake worker could not be read'));
  }

  // Helper Workers, one per core (at most MAX_HELPERS), for validating a file in chunks while the
  // first Worker sequences them; started once, on the first call. A helper that fails to load
  // is simply not used. Resolves when they are loaded.
  #ensureHelpers() {
    if (!this.#helpersReady) {
      const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
      const count = cores < 2 ? 0 : Math.min(cores, MAX_HELPERS);
      this.#helpersReady = Promise.all(Array.from({ length: count }, () => this.#startHelper(this.#workerUrl, this.#loadMessage)));
    }
    return this.#helpersReady;
  }

  #startHelper(workerUrl, message) {
    const helper = startWorker(workerUrl);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      helper.onmessage = (event) => {
        if (event.data.id === id) {
          if (event.data.type === 'result' && !this.#broken) this.#helpers.push(helper);
          else helper.terminate();  // it could not load, or this instance was closed meanwhile
          resolve();
          return;
        }
        this.#calls.get(event.data.id)?.(event.data);
      };
      helper.onerror = (event) => {
        event.preventDefault?.();
        if (!this.#helpers.includes(helper)) {  // it could not start: it is not used
          helper.terminate();
          resolve();
          return;
        }
        // A helper that failed while in use: the instance fails as when its first Worker does.
        this.#fail(new IntakeError('worker_failed', `an Intake helper worker failed: ${event.message || 'it stopped'}`));
      };
      helper.postMessage({ ...message, id });
    });
  }

  // Loads the module once per wasmUrl, inside a Worker. `wasmUrl`: the URL of intake_module.wasm
  // (intake_module.js is beside it); default: ./wasm/ next to this file. `workerUrl`: worker.js.
  static load({ wasmUrl = DEFAULT_WASM_URL, workerUrl = DEFAULT_WORKER_URL } = {}) {
    const wasm = new URL(wasmUrl, globalThis.location?.href).href;
    const key = `${wasm}|${workerUrl}`;
    if (!loaded.has(key)) {
      const promise = (async () => {
        const worker = startWorker(new URL(workerUrl, globalThis.location?.href).href);
        const intake = new Intake(worker);
        const message = { type: 'load', moduleUrl: wasm.replace(/\.wasm(\?.*)?$/, '.js$1'), wasmUrl: wasm };
        try {
          await intake.#call(message);
          intake.#workerUrl = new URL(workerUrl, globalThis.location?.href).href;
          intake.#loadMessage = message;
          if (autoChunks()) intake.#ensureHelpers();  // in the background, ready for a large file
        } catch (e) {
          worker.terminate();
          throw e instanceof IntakeError ? e : new IntakeError('module_load_failed', String(e?.message || e));
        }
        return intake;
      })();
      loaded.set(key, promise);
      promise.catch(() => loaded.delete(key));
    }
    return loaded.get(key);
  }

  // Stops the Worker; the instance cannot be used afterwards.
  close() {
    this.#fail(new IntakeError('closed', 'this Intake instance was closed'));
    for (const [key, p] of loaded) p.then((i) => { if (i === this) loaded.delete(key); }, () => {});
  }

  // Reads only the head of `file` (headBytes, default 256 KiB): dialect, header, suggested
  // mapping, and the first previewRows rows with each cell's error. Never throws for a bad file:
  // `file_error` says what is wrong with it.
  async inspect(file, { fields = [], mapping = null, options = {}, headBytes = 256 << 10, previewRows = 20 } = {}) {
    return this.#call({ type: 'inspect', file, fields: fieldList(fields), mapping, options, headBytes, previewRows });
  }

  // The fingerprint upload() uses to recognize the same file again (size, time, name, head, tail).
  fingerprint(file) {
    return this.#call({ type: 'fingerprint', file });
  }

  // Streams the whole file through the Worker in slices. See intake.d.ts ValidateOptions.
  validate(file, opts = {}) {
    const {
      fields, mapping = null, options = {}, onProgress, onBatch, onErrors, signal,
      sliceBytes = 4 << 20, maxErrors = 10000, maxPendingBatches = 2, chunked = 'auto', chunkBytes = CHUNK_BYTES,
    } = opts;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let list;
    try { list = fieldList(fields); } catch (e) { return Promise.reject(e); }
    const id = this.#nextId++;
    const started = performance.now();
    const totalBytes = file.size;
    const summary = { header: null, counts: null, errors: [], errors_truncated: false, batches: 0 };
    let counts = null;
    let batches = 0;
    let lastEmit = 0;
    let chain = Promise.resolve();  // onBatch and onErrors run one at a time, in file order
    let settled = false;

    return new Promise((resolve, reject) => {
      let run = null;  // a ChunkedValidation, when the file is validated in chunks
      const ack = () => (run ? run.ack() : this.#worker.postMessage({ type: 'ack', id }));
      const progress = (done = false) => {
        const elapsedMs = performance.now() - started;
        const bytesRead = done ? totalBytes : Math.min(counts?.bytes ?? 0, totalBytes);
        const rate = elapsedMs > 0 ? bytesRead / (elapsedMs / 1000) : 0;
        return {
          bytesRead, totalBytes, fraction: totalBytes ? bytesRead / totalBytes : 1,
          rows: counts?.rows ?? 0, validRows: counts?.valid ?? 0, failedRows: counts?.failed ?? 0,
          errors: counts?.errors ?? 0, batches, elapsedMs, rate,
          etaMs: done ? 0 : rate > 0 ? ((totalBytes - bytesRead) / rate) * 1000 : null,
          done,
        };
      };
      const emit = (done = false) => {
        lastEmit = performance.now();
        if (onProgress) try { onProgress(progress(done)); } catch (e) { finish(e); }
      };
      // A progress call never waits more than PROGRESS_INTERVAL_MS, even while onBatch holds the pipeline.
      const timer = setInterval(() => { if (performance.now() - lastEmit >= PROGRESS_INTERVAL_MS - 25) emit(); }, 25);
      const onAbort = () => {
        this.#worker.postMessage({ type: 'abort', id });
        run?.stop();
        finish(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      const finish = (error, value) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#calls.delete(id);
        if (error) {
          this.#worker.postMessage({ type: 'abort', id });
          run?.stop();
          reject(error);
        } else {
          resolve(value);
        }
      };
      const then = (fn) => {
        chain = chain.then(() => (settled ? undefined : fn())).catch((e) => finish(e));
      };

      const handle = (msg) => {
        switch (msg.type) {
          case 'slice': {
            // One wasm call's results, in file order: header, error records, batches, counters.
            if (msg.header) summary.header = msg.header;
            const texts = msg.errors_json;  // JSON arrays of error records, in file order
            const errors = msg.errors ?? (texts.length === 1 ? JSON.parse(texts[0]) : texts.flatMap((t) => JSON.parse(t)));
            if (errors.length) {
              const room = maxErrors - summary.errors.length;
              for (let i = 0; i < room && i < errors.length; i++) summary.errors.push(errors[i]);  // no spread: could be 100k
              if (errors.length > room) summary.errors_truncated = true;
              if (onErrors) then(() => onErrors(errors));
            }
            for (const lent of msg.batches) {
              // The body arrives in a buffer the Worker lends (worker.js, bodyPool): the copy
              // made here is the caller's to keep, and the buffer goes back at once.
              const batch = { ...lent, body: new Uint8Array(lent.body) };
              this.#worker.postMessage({ type: 'give', buffer: lent.body.buffer }, [lent.body.buffer]);
              then(async () => {
                if (onBatch) await onBatch(batch);
                ack();
              });
            }
            counts = msg.counts;
            batches += msg.batches.length;
            if (performance.now() - lastEmit >= 100) emit();
            break;
          }
          case 'done':
            then(() => {
              Object.assign(summary, msg.summary, { header: summary.header, errors: summary.errors });
              counts = summary.counts;
              if (summary.file_error) {
                const { code, message } = summary.file_error;
                finish(new IntakeFileError(code, message, summary));
                return;
              }
              emit(true);
              finish(null, summary);
            });
            break;
          case 'error':
            finish(new IntakeError(msg.error.code, msg.error.message));
            if (msg.error.code === 'wasm_aborted') this.close();  // the next load starts afresh
            break;
          default:
            break;
        }
      };
      this.#calls.set(id, (msg) => {
        if (!run?.onMessage(msg)) handle(msg);
      });
      const inOneWorker = () => this.#post({
        type: 'validate', id, file, fields: list, mapping,
        options: { ...options, batches: Boolean(onBatch) },
        sliceBytes, maxPendingBatches,
      }, finish);
      // At most 8 MiB: a chunk's bytes are read in pieces, and its lines leave the heap in parts,
      // but the chunks held at once are that big.
      const chunkSize = Math.min(Math.max(Math.floor(chunkBytes) || CHUNK_BYTES, 64), 8 << 20);
      if (chunked === false || (chunked === 'auto' && (file.size < 2 * chunkSize || !autoChunks()))) {
        inOneWorker();
        return;
      }
      (async () => {
        await this.#ensureHelpers();
        if (settled) return;
        if (!this.#helpers.length && chunked === 'auto') {
          inOneWorker();
          return;
        }
        run = new ChunkedValidation({
          sequencer: this.#worker, workers: this.#helpers.length ? [...this.#helpers] : [this.#worker],
          call: (m, transfer) => this.#call(m, transfer), id, file,
          fields: list, mapping, options: { ...options, batches: Boolean(onBatch) }, chunkBytes: chunkSize,
          maxPendingBatches, emit: handle,
          fail: (e) => {
            finish(e);
            if (e?.code === 'wasm_aborted') this.close();  // the next load starts afresh
          },
        });
        if (!(await run.start())) {  // not a file for chunks: one Worker reports what is wrong with it
          run = null;
          if (!settled) inOneWorker();
        }
      })().catch((e) => {
        finish(e instanceof IntakeError ? e : new IntakeError(e?.code || 'worker_failed', String(e?.message || e)));
        if (e?.code === 'wasm_aborted') this.close();
      });
    });
  }

  // Validates and sends the file to an Intake server, resuming an interrupted upload of the same
  // file. See upload.js and intake.d.ts UploadOptions.
  upload(file, opts) {
    return uploadFile(this, file, opts);
  }

  #post(message, onError, transfer = []) {
    if (this.#broken) {
      onError(this.#broken);
      return;
    }
    this.#worker.postMessage(message, transfer);
  }

  #call(message, transfer) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, (msg) => {
        this.#calls.delete(id);
        if (msg.type === 'error') reject(new IntakeError(msg.error.code, msg.error.message));
        else resolve(msg.value);
      });
      this.#post({ ...message, id }, (e) => { this.#calls.delete(id); reject(e); }, transfer);
    });
  }

  #fail(error) {
    this.#broken = error;
    this.#worker.terminate();
    for (const h of this.#helpers.splice(0)) h.terminate();
    for (const handler of [...this.#calls.values()]) handler({ type: 'error', error: { code: error.code, message: error.message } });
    this.#calls.clear();
  }
}

export default Intake;
