// upload(): validate a File in the Worker and send it to an Intake server following the HTTP
// contract (API.md): create the upload with the file's fingerprint, PUT clean batches with a
// bounded number in flight, POST the error records, POST complete. Transient failures are
// retried with backoff; an interrupted upload of the same file resumes from the batches the
// server acknowledged (a batch's seq is the same for the same file, so none is sent twice).

import { IntakeAbortError, IntakeError, IntakeFileError, IntakeHttpError, UploadInProgressError } from './errors.js';

const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);
const ERRORS_PER_POST = 1000;
const PROGRESS_INTERVAL_MS = 250;

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  const onAbort = () => { clearTimeout(t); reject(signal.reason instanceof IntakeError ? signal.reason : new IntakeAbortError()); };
  signal?.addEventListener('abort', onAbort, { once: true });
});

// JSON over fetch with the bearer token; retries network errors and TRANSIENT statuses with
// exponential backoff and jitter (honouring Retry-After), up to `retries` times.
export class HttpClient {
  constructor({ server, token, signal, retries = 6, fetch: fetchImpl = globalThis.fetch.bind(globalThis) }) {
    this.base = String(server).replace(/\/+$/, '');
    this.token = token;
    this.signal = signal;
    this.retries = retries;
    this.fetch = fetchImpl;
  }

  async request(method, path, { json, body, contentType, retry = true } = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (contentType) {
      headers['Content-Type'] = contentType;
    }
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await this.fetch(this.base + path, { method, headers, body, signal: this.signal });
      } catch (e) {
        if (this.signal?.aborted) throw this.signal.reason instanceof IntakeError ? this.signal.reason : new IntakeAbortError();
        if (retry && attempt < this.retries) {
          await sleep(backoff(attempt), this.signal);
          continue;
        }
        throw new IntakeHttpError(0, 'network_error', `${method} ${path} failed: the server at ${this.base} cannot be reached (${e?.message || e}); check the connection and try again`);
      }
      if (res.ok) return res.status === 204 ? null : res.json().catch(() => null);
      if (retry && TRANSIENT.has(res.status) && attempt < this.retries) {
        await res.body?.cancel().catch(() => {});
        const after = Number(res.headers.get('Retry-After'));
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 30000) : backoff(attempt), this.signal);
        continue;
      }
      throw await httpError(res, method, path);
    }
  }
}

function backoff(attempt) {
  const base = Math.min(8000, 250 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

async function httpError(res, method, path) {
  let code = `http_${res.status}`;
  let message = `${method} ${path} answered ${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
  } catch { /* not JSON: keep the status line */ }
  if (res.status === 409 && code === 'upload_in_progress') return new UploadInProgressError(message);
  return new IntakeHttpError(res.status, code, message);
}

// Runs at most `limit` tasks at once; add() resolves when the task has started.
class TaskPool {
  constructor(limit, onError) {
    this.limit = Math.max(1, limit);
    this.active = new Set();
    this.onError = onError;
    this.error = null;
  }

  async add(task) {
    while (this.active.size >= this.limit) await Promise.race(this.active);
    if (this.error) throw this.error;
    const p = task().catch((e) => { this.error ??= e; this.onError(e); }).finally(() => this.active.delete(p));
    this.active.add(p);
  }

  async drain() {
    while (this.active.size) await Promise.race(this.active);
    if (this.error) throw this.error;
  }
}

// Resume records: localStorage key "intake:upload:<server>:<campaign id>:<fingerprint>" (server
// without trailing slashes) → {"upload_id", "errors_sent"}. The key format is stable.
const RESUME_PREFIX = 'intake:upload:';
const resumeKeyOf = (server, campaignId, fingerprint) =>
  `${RESUME_PREFIX}${String(server).replace(/\/+$/, '')}:${campaignId}:${fingerprint ?? ''}`;

// The interrupted uploads this browser can resume for a campaign: [{fingerprint, upload_id, errors_sent}].
export function listResumableUploads({ server, campaignId, storage = storageOf({}) }) {
  const prefix = resumeKeyOf(server, campaignId, '');
  const out = [];
  try {
    for (let i = 0; i < (storage?.length ?? 0); i++) {
      const key = storage.key(i);
      if (!key?.startsWith(prefix)) continue;
      const record = readResume(storage, key);
      if (record?.upload_id) out.push({ fingerprint: key.slice(prefix.length), ...record });
    }
  } catch { /* storage off */ }
  return out;
}

// Forgets the resume record of one file (after the upload was canceled elsewhere, say).
export function forgetResumableUpload({ server, campaignId, fingerprint, storage = storageOf({}) }) {
  writeResume(storage, resumeKeyOf(server, campaignId, fingerprint), null);
}

function storageOf(opts) {
  if (opts.storage !== undefined) return opts.storage;
  try { return globalThis.localStorage ?? null; } catch { return null; }
}

function readResume(storage, key) {
  try { return JSON.parse(storage?.getItem(key) ?? 'null'); } catch { return null; }
}

function writeResume(storage, key, value) {
  try { value ? storage?.setItem(key, JSON.stringify(value)) : storage?.removeItem(key); } catch { /* storage full or off */ }
}

export async function uploadFile(intake, file, opts = {}) {
  const {
    server, token, campaignId, mapping = null, options = {}, onProgress, signal,
    concurrency = 3, retries = 6, cancelOnAbort = false, fields: fieldsOverride, chunked, chunkBytes,
  } = opts;
  if (!server || !token || !campaignId) {
    throw new IntakeError('invalid_arguments', 'upload() needs server (the Intake server URL), token (an API token) and campaignId');
  }
  if (signal?.aborted) throw signal.reason instanceof IntakeError ? signal.reason : new IntakeAbortError();
  const ctl = new AbortController();
  const onUserAbort = () => ctl.abort(signal.reason instanceof IntakeError ? signal.reason : new IntakeAbortError());
  signal?.addEventListener('abort', onUserAbort, { once: true });
  const http = new HttpClient({ server, token, signal: ctl.signal, retries, fetch: opts.fetch });
  const storage = storageOf(opts);
  const cid = encodeURIComponent(campaignId);

  const state = {
    phase: 'preparing', uploadId: null, resumed: false, batchesSent: 0, batchesSkipped: 0,
    rowsSent: 0, errorsSent: 0, validation: null,
  };
  const emit = () => {
    if (!onProgress) return;
    const v = state.validation ?? { bytesRead: 0, totalBytes: file.size, fraction: 0, rows: 0, validRows: 0, failedRows: 0, errors: 0, batches: 0, elapsedMs: 0, rate: 0, etaMs: null, done: false };
    onProgress({ ...v, phase: state.phase, uploadId: state.uploadId, resumed: state.resumed,
      batchesSent: state.batchesSent, batchesSkipped: state.batchesSkipped, rowsSent: state.rowsSent,
      errorsSent: state.errorsSent, done: state.phase === 'done' });
  };
  const timer = setInterval(emit, PROGRESS_INTERVAL_MS);
  let upload = null;

  try {
    const fields = fieldsOverride ?? (await http.request('GET', `/api/v1/campaigns/${cid}/fields`)).fields;
    // Refuse a file whose header cannot be mapped before anything is created on the server.
    const head = await intake.inspect(file, { fields, mapping, options });
    if (head.file_error) throw new IntakeFileError(head.file_error.code, head.file_error.message);

    const fingerprint = await intake.fingerprint(file);
    const resumeKey = resumeKeyOf(http.base, campaignId, fingerprint);
    const saved = readResume(storage, resumeKey);
    let acked = new Set();
    let errorsAlreadySent = 0;
    if (saved?.upload_id) {
      try {
        const existing = await http.request('GET', `/api/v1/uploads/${encodeURIComponent(saved.upload_id)}`);
        // Only the same file's upload in the same campaign (an id saved long ago could name
        // another upload on a server whose database was replaced).
        if (existing?.status === 'Processing' && String(existing.campaign_id) === String(campaignId) &&
            existing.fingerprint === fingerprint) {
          upload = existing;
          errorsAlreadySent = saved.errors_sent ?? 0;
        }
      } catch (e) {
        if (!(e instanceof IntakeHttpError) || e.status !== 404) throw e;
      }
      if (!upload) writeResume(storage, resumeKey, null);
    }
    if (!upload) {
      const body = {
        filename: file.name ?? 'upload.csv', size_bytes: file.size, fingerprint,
        duplicate_policy: options.duplicate_policy ?? 'update', default_region: options.default_region ?? 'US',
        mapping: mapping ?? {},
      };
      try {
        upload = await http.request('POST', `/api/v1/campaigns/${cid}/uploads`, { json: body });
      } catch (e) {
        if (!(e instanceof UploadInProgressError)) throw e;
        // Ours, if the Processing upload has this file's fingerprint (say, after a lost reply).
        const list = await http.request('GET', `/api/v1/campaigns/${cid}/uploads?limit=20`);
        const mine = list?.items?.find((u) => u.status === 'Processing' && u.fingerprint === fingerprint);
        if (!mine) throw e;
        upload = await http.request('GET', `/api/v1/uploads/${encodeURIComponent(mine.id)}`);
      }
    }
    if (upload.acked_batches === undefined && upload.id) {
      upload = await http.request('GET', `/api/v1/uploads/${encodeURIComponent(upload.id)}`);
    }
    acked = new Set((upload.acked_batches ?? []).map(Number));
    state.resumed = acked.size > 0 || errorsAlreadySent > 0;
    state.uploadId = upload.id;
    const uid = encodeURIComponent(upload.id);
    writeResume(storage, resumeKey, { upload_id: upload.id, errors_sent: errorsAlreadySent });

    state.phase = 'uploading';
    emit();
    const pool = new TaskPool(concurrency, (e) => ctl.abort(e));
    let errorsSeen = 0;
    let pendingErrors = [];
    let errorChain = Promise.resolve();
    const sendErrors = (records) => {
      errorChain = errorChain.then(async () => {
        await http.request('POST', `/api/v1/uploads/${uid}/errors`, { json: { errors: records } });
        state.errorsSent += records.length;
        writeResume(storage, resumeKey, { upload_id: upload.id, errors_sent: errorsAlreadySent + state.errorsSent });
      });
      errorChain.catch((e) => ctl.abort(e));
      return errorChain;
    };

    const summary = await intake.validate(file, {
      fields, mapping, options, signal: ctl.signal, chunked, chunkBytes,
      onProgress: (p) => { state.validation = p; },
      onErrors: (records) => {
        // Records already sent before an interruption come first, in the same order: skip them.
        const skip = Math.max(0, Math.min(records.length, errorsAlreadySent - errorsSeen));
        errorsSeen += records.length;
        pendingErrors.push(...records.slice(skip));
        if (pendingErrors.length >= ERRORS_PER_POST) {
          const chunk = pendingErrors;
          pendingErrors = [];
          return sendErrors(chunk);  // waits: errors are small, and this keeps memory flat
        }
        return undefined;
      },
      onBatch: async (batch) => {
        if (acked.has(batch.seq)) {
          state.batchesSkipped++;
          return;
        }
        await pool.add(async () => {
          await http.request('PUT', `/api/v1/uploads/${uid}/batches/${batch.seq}?first_row=${batch.first_row}`,
                             { body: batch.body, contentType: 'text/csv; charset=utf-8' });
          state.batchesSent++;
          state.rowsSent += batch.rows;
        });
      },
    });
    await pool.drain();
    if (pendingErrors.length) await sendErrors(pendingErrors);
    await errorChain;

    state.phase = 'completing';
    emit();
    let finished;
    try {
      finished = await http.request('POST', `/api/v1/uploads/${uid}/complete`, { json: { total_rows: summary.counts.rows } });
    } catch (e) {
      // A retried complete whose first attempt went through finds the upload already finished.
      if (!(e instanceof IntakeHttpError) || e.status !== 409) throw e;
      finished = await http.request('GET', `/api/v1/uploads/${uid}`);
      if (finished?.status === 'Processing') throw e;
    }
    writeResume(storage, resumeKey, null);
    state.phase = 'done';
    emit();
    return { upload: finished, summary };
  } catch (e) {
    if (upload && (e instanceof IntakeFileError || (cancelOnAbort && e instanceof IntakeAbortError))) {
      // Nothing more will come for this upload: free the campaign (best effort).
      await new HttpClient({ server, token, retries: 1, fetch: opts.fetch })
        .request('POST', `/api/v1/uploads/${encodeURIComponent(upload.id)}/cancel`).catch(() => {});
    }
    throw e;
  } finally {
    clearInterval(timer);
    signal?.removeEventListener('abort', onUserAbort);
  }
}
