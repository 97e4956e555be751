// The Uploads tab: Last upload and Total participants processed, the Upload data button
// (disabled while any upload of the campaign is Processing), the resume offer for an upload
// this browser left unfinished, and the uploads table (newest first) with live progress and
// the row actions N Errors, View participants from this upload, View upload details.

import { h, clear, icon, timeEl, formatCount, formatBytes, plural } from '../dom.js';
import { enc, session } from '../api.js';
import { dataTable, emptyState } from '../components/table.js';
import { toast, toastError } from '../components/toasts.js';
import { confirmDialog } from '../components/dialog.js';
import { openUploadDialog, fileProblem } from './upload_dialog.js';
import { openUploadDetails, downloadErrors } from './upload_details.js';
import { statusBadge, processingCell, patchProcessingCell, setProgress, setText } from './upload_status.js';
import { runPercent, runs, runFor, startUpload, resumeRecords, forgetResume, loadIntake, forgetRun } from '../upload_runner.js';

const WAIT = 'Please wait for the current upload to finish.';
const FAST_POLL_MS = 1500;
const SLOW_POLL_MS = 8000;

export function renderUploadsTab(panel, { api, campaignId, navigate }) {
  let uploads = null;
  let summary = null;
  let fields = null;
  let timer = null;
  let disposed = false;
  let loadError = null;
  const seen = new Map();     // upload id -> {rows, t}: for the rate of uploads running elsewhere
  const rates = new Map();    // upload id -> rows/s
  let announcedStep = -1;
  let dialogOpening = false;  // Upload data pressed: its dialog is loading or open
  let wanted = 100;           // how many uploads the table shows (Show older uploads adds 100)
  let total = 0;
  let tableSig = null;        // the rows the table was last built for (see rowSig)
  let summarySig = null;
  let runBoxFor = null;       // the run the run box was built for
  const refreshError = h('p', { class: 'form-error refresh-error', hidden: true });

  const summaryBox = h('div', { class: 'summary-cards' });
  const uploadBtn = h('button', { type: 'button', class: 'primary', id: 'upload-data', onclick: openDialog }, icon('upload'), 'Upload data');
  const waitNote = h('p', { class: 'wait-note', id: 'upload-wait-note', hidden: true }, WAIT);
  const resumeBox = h('div', { class: 'resume-box-wrap' });
  const runBox = h('div', { class: 'run-box-wrap' });
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite', role: 'status', id: 'upload-announcer' });
  const tableBox = h('div', { class: 'uploads-table-box', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading uploads…'));
  const moreBtn = h('button', { type: 'button', class: 'small', id: 'older-uploads', hidden: true, onclick: () => { wanted += 100; moreBtn.disabled = true; poll(); } });

  clear(panel,
    h('div', { class: 'section-head' }, summaryBox,
      h('div', { class: 'upload-action' }, uploadBtn, waitNote)),
    resumeBox, runBox, live,
    h('h2', { class: 'visually-hidden' }, 'Uploads'),
    tableBox, moreBtn);

  const onRun = (e) => {
    if (e.detail.campaignId !== String(campaignId)) return;
    const run = e.detail;
    if (run.state === 'running') {
      announceProgress(run);
      draw();
      return;
    }
    if (!run.notified) {
      run.notified = true;
      if (run.state === 'done') {
        const u = run.result.upload;
        const msg = `Upload ${u.id} ${u.status === 'Completed' ? 'completed' : 'finished with errors'}: ${plural(u.total_rows, 'row')}, ${formatCount(u.created)} created, ${formatCount(u.updated)} updated, ${formatCount(u.failed)} failed.`;
        live.textContent = msg;
        toast(msg, { kind: u.status === 'Completed' ? 'success' : 'warning' });
      } else if (run.error?.code === 'aborted') {
        live.textContent = `The upload of “${run.file.name}” stopped, as asked. Pick the same file again to resume it.`;
        toast(`Upload of “${run.file.name}” stopped. Pick the same file again to resume it.`);
      } else {
        const what = run.error?.code === 'upload_in_progress' ? WAIT : run.error?.message;
        live.textContent = `The upload stopped: ${what}`;
        toastError(new Error(`The upload of “${run.file.name}” stopped: ${what} ${run.error?.code === 'network_error' ? 'Reload the page and pick the same file to resume.' : ''}`));
      }
      forgetRun(campaignId);
    }
    poll();
  };
  runs.addEventListener('change', onRun);
  poll();
  return () => { disposed = true; clearTimeout(timer); runs.removeEventListener('change', onRun); };

  function announceProgress(run) {
    const p = run.progress;
    if (!p) return;
    const step = Math.floor(runPercent(p) / 10);
    if (step !== announcedStep) {
      announcedStep = step;
      live.textContent = `Upload ${step * 10}% done: ${plural(p.rows, 'row')} checked.`;
    }
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const [list, s] = await Promise.all([
        api.get(`/api/v1/campaigns/${enc(campaignId)}/uploads`, { limit: Math.min(wanted, 1000) }),
        api.get(`/api/v1/campaigns/${enc(campaignId)}/summary`),
      ]);
      // Older pages, when more than one page's worth is shown.
      const items = [...list.items];
      for (let next = list.next_cursor; next && items.length < wanted && !disposed;) {
        const page = await api.get(`/api/v1/campaigns/${enc(campaignId)}/uploads`, { limit: Math.min(wanted - items.length, 1000), cursor: next });
        items.push(...page.items);
        next = page.next_cursor;
      }
      if (disposed) return;
      uploads = items;
      total = list.total;
      summary = s;
      loadError = null;
      const now = performance.now();
      for (const u of uploads) {
        if (u.status !== 'Processing') continue;
        const rows = u.created + u.updated + u.skipped + u.failed;
        const prev = seen.get(u.id);
        if (prev && now > prev.t) rates.set(u.id, Math.max(0, (rows - prev.rows) / ((now - prev.t) / 1000)));
        seen.set(u.id, { rows, t: now });
      }
    } catch (e) {
      if (disposed) return;
      loadError = e;
    }
    draw();
    const busy = runFor(campaignId)?.state === 'running' || uploads?.some((u) => u.status === 'Processing');
    timer = setTimeout(poll, busy ? FAST_POLL_MS : SLOW_POLL_MS);
  }

  function processingElsewhere() {
    const run = runFor(campaignId);
    return (uploads ?? []).filter((u) => u.status === 'Processing' && !(run?.state === 'running' && (run.uploadId === u.id || !run.uploadId)));
  }

  function draw() {
    if (disposed) return;
    const run = runFor(campaignId);
    const running = run?.state === 'running';
    const blocked = running || (uploads ?? []).some((u) => u.status === 'Processing');
    uploadBtn.disabled = blocked || !uploads;
    waitNote.hidden = !blocked;
    if (blocked) uploadBtn.setAttribute('aria-describedby', 'upload-wait-note'); else uploadBtn.removeAttribute('aria-describedby');
    uploadBtn.title = blocked ? WAIT : '';

    drawSummary();
    drawRun(run);
    drawResume();
    drawTable(run);
    const older = uploads ? Math.max(0, total - uploads.length) : 0;
    moreBtn.hidden = !older;
    moreBtn.disabled = false;
    setText(moreBtn, `Show older uploads (${formatCount(older)} more)`);
  }

  // The table is rebuilt only when its rows change (ids, statuses, whether a row has errors or
  // shows this tab's own progress); otherwise counts and progress are patched in place, so focus
  // on N Errors / View participants / Details survives the progress events and polls. After a
  // rebuild, focus goes back to the same action of the same upload (data-upload-id + data-action).
  function drawTable(run) {
    if (loadError && !uploads) {
      tableBox.removeAttribute('aria-busy');
      tableSig = null;
      clear(tableBox, h('p', { class: 'form-error', role: 'alert' }, `Uploads could not be loaded: ${loadError.message} The page retries on its own.`));
      return;
    }
    if (!uploads) return;
    tableBox.removeAttribute('aria-busy');
    const sig = uploads.map((u) => rowSig(u, run)).join('|');
    if (sig !== tableSig) {
      const focus = focusedAction();
      tableSig = sig;
      const columns = [
        { key: 'id', label: 'Upload ID' }, { key: 'finished_at', label: 'Uploaded at' },
        { key: 'participants', label: 'Participants' }, { key: 'status', label: 'Status' }, { key: 'actions', label: 'Actions', className: 'actions-col' },
      ];
      const rows = h('tbody', {}, uploads.map((u) => uploadRow(u, run)));
      clear(tableBox, dataTable({
        columns, rows, caption: total > uploads.length ? `Uploads, newest first: ${formatCount(uploads.length)} of ${formatCount(total)}` : 'Uploads, newest first', className: 'uploads-table',
        empty: emptyState('No uploads yet', 'Upload a CSV file to add participants to this campaign.'),
      }), refreshError);
      restoreFocus(focus);
    } else {
      for (const u of uploads) {
        const tr = tableBox.querySelector(`tr[data-upload-id="${CSS.escape(u.id)}"]`);
        if (tr) patchRow(tr, u, run);
      }
    }
    setText(refreshError, loadError ? `Could not refresh: ${loadError.message}` : '');
    refreshError.hidden = !loadError;
  }

  function localProgress(u, run) {
    return run?.state === 'running' && run.uploadId === u.id ? run.progress : null;
  }

  function rowSig(u, run) {
    return [u.id, u.status, u.error_count > 0 ? 'e' : '', localProgress(u, run) ? 'l' : ''].join(':');
  }

  function focusedAction() {
    const el = document.activeElement;
    if (!el || !tableBox.contains(el)) return null;
    const tr = el.closest('tr[data-upload-id]');
    return tr ? { id: tr.dataset.uploadId, action: el.dataset.action ?? null } : null;
  }

  function restoreFocus(focus) {
    if (!focus || tableBox.contains(document.activeElement)) return;
    const tr = tableBox.querySelector(`tr[data-upload-id="${CSS.escape(focus.id)}"]`);
    if (!tr) return;
    // The same action if the row still has it (N Errors can only appear), else the row's Details.
    const target = (focus.action && tr.querySelector(`[data-action="${CSS.escape(focus.action)}"]`)) || tr.querySelector('[data-action="details"]');
    target?.focus();
  }

  function uploadRow(u, run) {
    const local = localProgress(u, run);
    const status = u.status === 'Processing' ? processingCell(u, local, rates.get(u.id)) : h('div', { class: 'status-cell' }, statusBadge(u),
      u.status === 'Failed' && u.status_message && !/rows? failed/i.test(u.status_message) ? h('span', { class: 'muted small' }, u.status_message) : null);
    const errorsBtn = u.error_count > 0
      ? h('button', { type: 'button', class: 'link-button errors-link', dataset: { action: 'errors' }, onclick: () => downloadErrors(api, currentUpload(u)), 'aria-label': errorsLabel(u) }, icon('download'), h('span', { class: 'errors-text' }, errorsText(u)))
      : h('span', { class: 'muted small no-errors' }, u.status === 'Processing' ? '' : 'No errors');
    return h('tr', { dataset: { uploadId: u.id, status: u.status } },
      h('td', { 'data-label': 'Upload ID' }, h('code', { class: 'upload-id' }, u.id), h('div', { class: 'muted small filename', title: u.filename }, u.filename)),
      h('td', { 'data-label': 'Uploaded at' }, u.finished_at ? timeEl(u.finished_at) : h('span', { class: 'muted' }, 'In progress')),
      h('td', { class: 'participants-cell', 'data-label': 'Participants' }, h('div', {},
        h('span', { class: 'total-rows' }, totalText(u)), ' ', h('span', { class: 'muted small' }, 'total'),
        h('div', { class: 'small counts' },
          h('span', { class: 'count-created' }, `${formatCount(u.created)} created`), ' · ',
          h('span', { class: 'count-updated' }, `${formatCount(u.updated)} updated`),
          h('span', { class: 'count-skipped-wrap', hidden: !u.skipped }, ' · ', h('span', { class: 'count-skipped' }, `${formatCount(u.skipped)} skipped`)),
          h('span', { class: 'count-failed-wrap', hidden: !u.failed }, ' · ', h('span', { class: 'count-failed' }, `${formatCount(u.failed)} failed`))))),
      h('td', { 'data-label': 'Status' }, status),
      h('td', { class: 'actions-cell' }, h('div', { class: 'row-actions' },
        errorsBtn,
        h('a', { class: 'button small', dataset: { action: 'participants' }, href: `#/campaigns/${enc(campaignId)}/participants?upload_id=${enc(u.id)}` }, 'View participants', h('span', { class: 'visually-hidden' }, ` from upload ${u.id}`)),
        h('button', { type: 'button', class: 'small', dataset: { action: 'details' }, onclick: async () => openUploadDetails({ api, uploadId: u.id, fields: await getFields().catch(() => []) }) }, 'Details', h('span', { class: 'visually-hidden' }, ` of upload ${u.id}`)))));
  }

  // The same row structure (same signature): only texts, counts and progress change.
  function patchRow(tr, u, run) {
    setText(tr.querySelector('.total-rows'), totalText(u));
    setText(tr.querySelector('.count-created'), `${formatCount(u.created)} created`);
    setText(tr.querySelector('.count-updated'), `${formatCount(u.updated)} updated`);
    setText(tr.querySelector('.count-skipped'), `${formatCount(u.skipped)} skipped`);
    tr.querySelector('.count-skipped-wrap').hidden = !u.skipped;
    setText(tr.querySelector('.count-failed'), `${formatCount(u.failed)} failed`);
    tr.querySelector('.count-failed-wrap').hidden = !u.failed;
    const errors = tr.querySelector('.errors-link');
    if (errors) {
      setText(errors.querySelector('.errors-text'), errorsText(u));
      if (errors.getAttribute('aria-label') !== errorsLabel(u)) errors.setAttribute('aria-label', errorsLabel(u));
    }
    if (u.status === 'Processing') patchProcessingCell(tr.querySelector('.progress-cell'), u, localProgress(u, run), rates.get(u.id));
  }

  // The upload as last polled (row buttons outlive the object they were built from).
  function currentUpload(u) {
    return uploads?.find((x) => x.id === u.id) ?? u;
  }

  function totalText(u) { return u.status === 'Processing' && !u.total_rows ? '—' : formatCount(u.total_rows); }
  function errorsText(u) { return `${formatCount(u.error_count)} Errors`; }
  function errorsLabel(u) { return `Download ${plural(u.error_count, 'error')} of upload ${u.id}`; }

  function drawSummary() {
    const sig = summary ? JSON.stringify(summary) : `none:${loadError ? 1 : 0}`;
    if (sig === summarySig) return;
    summarySig = sig;
    if (!summary) { clear(summaryBox, h('p', { class: 'muted' }, loadError ? '' : 'Loading…')); return; }
    const last = summary.last_upload;
    clear(summaryBox,
      h('div', { class: 'summary-card' }, h('span', { class: 'summary-label' }, 'Last upload'),
        h('span', { class: 'summary-value last-upload' }, last ? (last.finished_at ? timeEl(last.finished_at) : 'In progress') : 'None yet'),
        last ? h('span', { class: 'muted small' }, last.status) : null),
      h('div', { class: 'summary-card' }, h('span', { class: 'summary-label' }, 'Total participants processed'),
        h('span', { class: 'summary-value total-processed' }, formatCount(summary.total_participants_processed)),
        h('span', { class: 'muted small' }, `${formatCount(summary.participants)} stored now`)));
  }

  // The run box is built once per run (so Stop keeps focus) and its texts patched on each event.
  function drawRun(run) {
    if (!run || run.state !== 'running') { if (runBoxFor) { runBoxFor = null; clear(runBox); } return; }
    if (runBoxFor !== run) {
      runBoxFor = run;
      clear(runBox, h('div', { class: 'card run-box' },
        h('div', { class: 'run-head' },
          h('strong', { class: 'run-title' }),
          h('button', { type: 'button', class: 'quiet small', id: 'stop-upload', onclick: async () => {
            if (await confirmDialog({ title: 'Stop this upload?', message: 'Rows already sent stay imported. You can resume later by picking the same file again.', confirmLabel: 'Stop upload', danger: true })) {
              run.abort();
              // The run box goes away: focus moves to the Upload data button (or the page).
              setTimeout(() => { if (!runBox.contains(document.activeElement)) focusUploadButton(); }, 0);
            }
          } }, 'Stop')),
        h('div', { class: 'progress big', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, 'aria-label': 'Upload progress' },
          h('span', { class: 'progress-fill', style: 'width:0%' })),
        h('p', { class: 'progress-text run-progress-text' })));
    }
    const p = run.progress;
    const pct = runPercent(p);
    const phase = { preparing: 'Preparing', uploading: 'Checking and sending', completing: 'Finishing', done: 'Done' }[p?.phase] ?? 'Starting';
    setText(runBox.querySelector('.run-title'), `${phase} “${run.file.name}”`);
    setProgress(runBox.querySelector('.progress'), pct);
    setText(runBox.querySelector('.run-progress-text'), p
      ? `${formatCount(p.rows)} rows checked · ${formatCount(p.rowsSent)} sent · ${pct}% · ${formatCount(Math.round(p.elapsedMs > 0 ? p.rows / (p.elapsedMs / 1000) : 0))} rows/s · ${formatCount(p.failedRows)} with problems${p.resumed ? ' · resumed' : ''}`
      : 'Loading the checker…');
  }

  function drawResume() {
    const run = runFor(campaignId);
    if (run?.state === 'running') { clear(resumeBox); return; }
    const records = resumeRecords(campaignId);
    const offers = processingElsewhere().filter((u) => records.get(u.fingerprint) === u.id);
    if (!offers.length) { clear(resumeBox); return; }
    if (resumeBox.dataset.ids === offers.map((u) => u.id).join(',')) return;  // keep the file input's state
    resumeBox.dataset.ids = offers.map((u) => u.id).join(',');
    clear(resumeBox, offers.map((u) => {
      const input = h('input', { type: 'file', accept: '.csv,text/csv', class: 'visually-hidden', id: `resume-${u.id}` });
      const error = h('p', { class: 'form-error', role: 'alert' });
      input.addEventListener('change', () => input.files[0] && resume(u, input.files[0], error));
      return h('div', { class: 'card resume-box', role: 'region', 'aria-label': 'Unfinished upload' },
        h('p', {}, h('strong', {}, 'Upload ', u.id, ' of “', u.filename, '” was not finished.'), ' ',
          `${formatCount(u.created + u.updated + u.skipped + u.failed)} rows are in. Pick the same file (${formatBytes(u.size_bytes)}) to resume where it stopped.`),
        error,
        h('div', { class: 'actions' },
          input,
          h('button', { type: 'button', class: 'primary', onclick: () => input.click() }, 'Pick the file and resume'),
          h('button', { type: 'button', class: 'quiet', onclick: () => cancelUpload(u) }, 'Cancel this upload')));
    }));
  }

  async function resume(u, file, error) {
    const problem = fileProblem(file);
    if (problem) { error.textContent = problem; return; }
    error.textContent = 'Checking the file…';
    try {
      const intake = await loadIntake();
      const fp = await intake.fingerprint(file);
      if (fp !== u.fingerprint) {
        error.textContent = `“${file.name}” is not the file of this upload. Pick “${u.filename}” (${formatBytes(u.size_bytes)}), unchanged since it was picked, or cancel this upload.`;
        return;
      }
      error.textContent = '';
      delete resumeBox.dataset.ids;
      startUpload({ campaignId, token: session.token, file, fields: await getFields(), mapping: u.mapping ?? null,
        options: { duplicate_policy: u.duplicate_policy ?? 'update', default_region: u.default_region ?? 'US' } });
      toast(`Resuming upload ${u.id}.`);
    } catch (e) {
      error.textContent = `The upload could not be resumed: ${e.message}`;
    }
  }

  async function cancelUpload(u) {
    if (!(await confirmDialog({ title: 'Cancel this upload?', message: `Upload ${u.id} will be marked Failed. Rows already imported stay.`, confirmLabel: 'Cancel upload', danger: true }))) return;
    try {
      await api.post(`/api/v1/uploads/${enc(u.id)}/cancel`);
      forgetResume(campaignId, u.fingerprint);
      delete resumeBox.dataset.ids;
      toast(`Upload ${u.id} canceled.`);
      poll();
    } catch (e) {
      toastError(e);
    }
  }

  async function getFields() {
    if (!fields) fields = (await api.get(`/api/v1/campaigns/${enc(campaignId)}/fields`)).fields;
    return fields;
  }

  // Upload data, or the page's main region while the button is disabled (an upload runs).
  function focusUploadButton() {
    (uploadBtn.disabled ? document.getElementById('main') : uploadBtn)?.focus();
  }

  async function openDialog() {
    if (uploadBtn.disabled || dialogOpening) return;  // a double click opens one dialog
    dialogOpening = true;
    try {
      await openDialogOnce();
    } finally {
      dialogOpening = false;
    }
  }

  async function openDialogOnce() {
    let list;
    try {
      fields = null;
      list = await getFields();
      await loadIntake();
    } catch (e) {
      toastError(new Error(`The upload cannot start: ${e.message}`));
      return;
    }
    if (!list.some((f) => f.import !== false)) {
      toastError(new Error('This campaign has no imported fields. Add fields in the Data tab first.'));
      return;
    }
    const choice = await openUploadDialog({ campaignId, fields: list });
    if (!choice || disposed) return;
    try {
      startUpload({ campaignId, token: session.token, file: choice.file, fields: list, mapping: choice.mapping, options: choice.options });
      announcedStep = -1;
      live.textContent = `Upload of ${choice.file.name} started.`;
      // Upload data is disabled while the upload runs: focus goes to its Stop button.
      const stop = runBox.querySelector('#stop-upload');
      if (stop) stop.focus(); else focusUploadButton();
    } catch (e) {
      toastError(e);
    }
  }
}
