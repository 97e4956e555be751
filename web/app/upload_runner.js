// Uploads running in this tab, one per campaign, kept outside any view so switching tabs or
// campaigns does not stop them. Views subscribe to `runs` events ('change') to redraw.
// Also: the Intake module (loaded once), remembered mappings, and the resume records the JS
// API keeps (read through listResumableUploads / forgetResumableUpload).

import { Intake, forgetResumableUpload, listResumableUploads } from '../lib/intake.js';

let intakePromise = null;
export function loadIntake() {
  intakePromise ??= Intake.load().catch((e) => { intakePromise = null; throw e; });
  return intakePromise;
}

export const runs = new EventTarget();
const active = new Map();  // campaignId -> run

// run: {campaignId, file, uploadId, progress, state: 'running'|'done'|'failed', error, result, startedAt}
export function runFor(campaignId) {
  return active.get(String(campaignId)) ?? null;
}

const changed = (run) => runs.dispatchEvent(new CustomEvent('change', { detail: run }));

export function startUpload({ campaignId, token, file, fields, mapping, options }) {
  const key = String(campaignId);
  const existing = active.get(key);
  if (existing?.state === 'running') throw new Error('Please wait for the current upload to finish.');
  const controller = new AbortController();
  const run = {
    campaignId: key, file, uploadId: null, progress: null, state: 'running', error: null, result: null,
    startedAt: performance.now(), abort: () => controller.abort(),
  };
  active.set(key, run);
  changed(run);
  run.promise = (async () => {
    try {
      const intake = await loadIntake();
      run.result = await intake.upload(file, {
        server: location.origin, token, campaignId: key, fields, mapping, options, signal: controller.signal,
        onProgress: (p) => {
          run.progress = p;
          run.uploadId = p.uploadId ?? run.uploadId;
          changed(run);
        },
      });
      run.uploadId = run.result.upload.id;
      run.state = 'done';
    } catch (e) {
      run.state = 'failed';
      run.error = e;
    }
    changed(run);
    return run;
  })();
  return run;
}

export function forgetRun(campaignId) {
  const run = active.get(String(campaignId));
  if (run && run.state !== 'running') active.delete(String(campaignId));
}

// Rows per second from a progress report.
export function rowRate(p) {
  return p && p.elapsedMs > 0 ? p.rows / (p.elapsedMs / 1000) : 0;
}

// Percentage done of an upload run: the file read, scaled by the share of its batches the
// server has acknowledged (checking runs ahead of sending), 100 only when completed.
export function runPercent(p) {
  if (!p) return 0;
  if (p.phase === 'done') return 100;
  const read = p.fraction ?? 0;
  const sent = p.batches ? (p.batchesSent + p.batchesSkipped) / p.batches : 0.9;
  return Math.min(99, Math.floor(read * Math.min(1, sent) * 100));
}

// Resume records of the JS API for this campaign: fingerprint -> upload id.
export function resumeRecords(campaignId) {
  const records = listResumableUploads({ server: location.origin, campaignId: String(campaignId) });
  return new Map(records.map((r) => [r.fingerprint, String(r.upload_id)]));
}

export function forgetResume(campaignId, fingerprint) {
  forgetResumableUpload({ server: location.origin, campaignId: String(campaignId), fingerprint });
}

const MAPPING_KEY = (campaignId) => `intake:app:mapping:${campaignId}`;
export function rememberedMapping(campaignId) {
  try { return JSON.parse(localStorage.getItem(MAPPING_KEY(campaignId)) || 'null') || {}; } catch { return {}; }
}
export function rememberMapping(campaignId, mapping) {
  try { localStorage.setItem(MAPPING_KEY(campaignId), JSON.stringify({ ...rememberedMapping(campaignId), ...mapping })); } catch { /* storage off */ }
}
const OPTIONS_KEY = (campaignId) => `intake:app:options:${campaignId}`;
export function rememberedOptions(campaignId) {
  try { return JSON.parse(localStorage.getItem(OPTIONS_KEY(campaignId)) || 'null') || {}; } catch { return {}; }
}
export function rememberOptions(campaignId, options) {
  try { localStorage.setItem(OPTIONS_KEY(campaignId), JSON.stringify(options)); } catch { /* storage off */ }
}
