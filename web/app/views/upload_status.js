// Status badges and live progress for uploads: Processing (with rows, percentage and rate
// when known), Completed, Failed. processingCell() builds a cell; patchProcessingCell() updates
// one in place, so a table can show progress without rebuilding its rows.

import { h, formatCount } from '../dom.js';
import { rowRate, runPercent } from '../upload_runner.js';

export function statusBadge(u) {
  const cls = u.status === 'Completed' ? 'badge-good' : u.status === 'Failed' ? 'badge-bad' : 'badge-busy';
  return h('span', { class: `badge ${cls} status-${String(u.status).toLowerCase()}`, title: u.status_message || null }, u.status);
}

// Writes text only when it differs (no needless mutations for assistive technology).
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

// A determinate progress bar (.progress with a .progress-fill) set to pct.
export function setProgress(bar, pct) {
  if (!bar) return;
  if (bar.getAttribute('aria-valuenow') !== String(pct)) bar.setAttribute('aria-valuenow', String(pct));
  const fill = bar.querySelector('.progress-fill');
  if (fill && fill.style.width !== `${pct}%`) fill.style.width = `${pct}%`;
}

function localText(progress) {
  return `${formatCount(progress.rows)} rows · ${runPercent(progress)}% · ${formatCount(Math.round(rowRate(progress)))} rows/s`;
}

function polledText(u, polledRate) {
  const done = (u.created ?? 0) + (u.updated ?? 0) + (u.skipped ?? 0) + (u.failed ?? 0);
  return `${formatCount(done)} rows${polledRate ? ` · ${formatCount(Math.round(polledRate))} rows/s` : ''}`;
}

// progress: the JS API's report for a run in this tab, or null (then server counters and the
// rate measured between polls are shown).
export function processingCell(u, progress, polledRate) {
  if (progress) {
    const pct = runPercent(progress);
    return h('div', { class: 'progress-cell' },
      statusBadge(u),
      h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct, 'aria-label': `Upload ${u.id} progress` },
        h('span', { class: 'progress-fill', style: `width:${pct}%` })),
      h('span', { class: 'progress-text' }, localText(progress)));
  }
  return h('div', { class: 'progress-cell' },
    statusBadge(u),
    h('div', { class: 'progress indeterminate', role: 'progressbar', 'aria-label': `Upload ${u.id} progress` }, h('span', { class: 'progress-fill' })),
    h('span', { class: 'progress-text' }, polledText(u, polledRate)));
}

// Updates a cell built by processingCell() with the same kind of progress (local or polled).
export function patchProcessingCell(cell, u, progress, polledRate) {
  if (!cell) return;
  if (progress) setProgress(cell.querySelector('.progress'), runPercent(progress));
  setText(cell.querySelector('.progress-text'), progress ? localText(progress) : polledText(u, polledRate));
}
