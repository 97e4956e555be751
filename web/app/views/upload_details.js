// The Upload Details dialog: every counter of one upload, a bar chart of its errors by field
// and code (read from the error report), and Download errors.

import { h, clear, timeEl, formatCount, formatBytes, icon } from '../dom.js';
import { enc } from '../api.js';
import { openDialog } from '../components/dialog.js';
import { toast, toastError } from '../components/toasts.js';
import { statusBadge } from './upload_status.js';

// Parses RFC 4180 CSV text into rows of strings.
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else quoted = false; } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

export function downloadErrors(api, upload) {
  return api.download(`/api/v1/uploads/${enc(upload.id)}/errors.csv`, `upload-${upload.id}-errors.csv`)
    .then(() => toast(`Error report for upload ${upload.id} downloaded.`))
    .catch((e) => toastError(new Error(`The error report could not be downloaded: ${e.message}`)));
}

export function openUploadDetails({ api, uploadId, fields }) {
  const labels = new Map(fields.map((f) => [f.key, f.label]));
  const body = h('div', { class: 'details-body', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const download = h('button', { type: 'button', disabled: true }, icon('download'), 'Download errors');
  const dlg = openDialog({ title: `Upload ${uploadId}`, wide: true, className: 'upload-details', body: [body],
    actions: [download, h('button', { type: 'button', class: 'primary', onclick: () => dlg.close() }, 'Close')] });

  (async () => {
    try {
      const u = await api.get(`/api/v1/uploads/${enc(uploadId)}`);
      download.disabled = !u.error_count;
      download.title = u.error_count ? '' : 'This upload has no errors';
      download.onclick = () => downloadErrors(api, u);
      const counters = [
        ['Total rows', u.total_rows], ['Created', u.created], ['Updated', u.updated], ['Skipped', u.skipped],
        ['Failed rows', u.failed], ['Errors', u.error_count],
      ];
      const chart = h('div', { class: 'error-chart' }, h('p', { class: 'muted' }, u.error_count ? 'Loading the error report…' : 'No errors: every row was valid.'));
      clear(body,
        h('div', { class: 'details-status' }, statusBadge(u), u.status_message ? h('span', { class: 'muted' }, u.status_message) : null),
        h('dl', { class: 'counters' }, counters.map(([k, v]) => h('div', { class: 'counter', dataset: { counter: k } }, h('dt', {}, k), h('dd', {}, formatCount(v))))),
        h('dl', { class: 'facts' },
          h('div', {}, h('dt', {}, 'File'), h('dd', {}, `${u.filename} (${formatBytes(u.size_bytes)})`)),
          h('div', {}, h('dt', {}, 'Started'), h('dd', {}, timeEl(u.created_at))),
          h('div', {}, h('dt', {}, 'Finished'), h('dd', {}, timeEl(u.finished_at))),
          h('div', {}, h('dt', {}, 'Duplicates'), h('dd', {}, u.duplicate_policy ?? '—')),
          h('div', {}, h('dt', {}, 'Phone region'), h('dd', {}, u.default_region ?? '—'))),
        h('h3', {}, 'Errors by field and code'),
        chart);
      body.removeAttribute('aria-busy');
      if (!u.error_count) return;
      const res = await api.request('GET', `/api/v1/uploads/${enc(uploadId)}/errors.csv`, { raw: true });
      const rows = parseCsv(await res.text());
      const header = rows.shift() ?? [];
      const fi = header.indexOf('field');
      const ci = header.indexOf('code');
      const tally = new Map();
      for (const r of rows) {
        if (r.length < 2) continue;
        const k = `${r[fi]}\u0000${r[ci]}`;
        tally.set(k, (tally.get(k) ?? 0) + 1);
      }
      const bars = [...tally].map(([k, n]) => { const [field, code] = k.split('\u0000'); return { field, code, n }; }).sort((a, b) => b.n - a.n);
      const max = Math.max(1, ...bars.map((b) => b.n));
      clear(chart, bars.length ? h('table', { class: 'bar-chart' },
        h('caption', { class: 'visually-hidden' }, 'Errors by field and code'),
        h('thead', { class: 'visually-hidden' }, h('tr', {}, h('th', { scope: 'col' }, 'Field and code'), h('th', { scope: 'col' }, 'Errors'))),
        h('tbody', {}, bars.map((b) => h('tr', {},
          h('th', { scope: 'row' }, h('span', { class: 'bar-field' }, labels.get(b.field) ?? (b.field || '(row)')), ' ', h('code', {}, b.code)),
          h('td', {}, h('span', { class: 'bar', style: `--w:${(b.n / max) * 100}%` }), h('span', { class: 'bar-value' }, formatCount(b.n))))))) : h('p', { class: 'muted' }, 'The error report is empty.'));
    } catch (e) {
      body.removeAttribute('aria-busy');
      clear(body, h('p', { class: 'form-error', role: 'alert' }, `The upload could not be loaded: ${e.message}`));
    }
  })();
  return dlg;
}
