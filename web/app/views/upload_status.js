// Status badges and live progress for uploads: Processing (with rows, percentage and rate
// when known), Completed, Failed.

import { h, formatCount } from '../dom.js';
import { rowRate, runPercent } from '../upload_runner.js';

export function statusBadge(u) {
  const cls = u.status === 'Completed' ? 'badge-good' : u.status === 'Failed' ? 'badge-bad' : 'badge-busy';
  return h('span', { class: `badge ${cls} status-${String(u.status).toLowerCase()}`, title: u.status_message || null }, u.status);
}

// progress: the JS API's report for a run in this tab, or null (then server counters and the
// rate measured between polls are shown).
export function processingCell(u, progress, polledRate) {
  if (progress) {
    const pct = runPercent(progress);
    const rate = rowRate(progress);
    return h('div', { class: 'progress-cell' },
      statusBadge(u),
      h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct, 'aria-label': `Upload ${u.id} progress` },
        h('span', { class: 'progress-fill', style: `width:${pct}%` })),
      h('span', { class: 'progress-text' }, `${formatCount(progress.rows)} rows · ${pct}% · ${formatCount(Math.round(rate))} rows/s`));
  }
  const done = (u.created ?? 0) + (u.updated ?? 0) + (u.skipped ?? 0) + (u.failed ?? 0);
  return h('div', { class: 'progress-cell' },
    statusBadge(u),
    h('div', { class: 'progress indeterminate', role: 'progressbar', 'aria-label': `Upload ${u.id} progress` }, h('span', { class: 'progress-fill' })),
    h('span', { class: 'progress-text' }, `${formatCount(done)} rows${polledRate ? ` · ${formatCount(Math.round(polledRate))} rows/s` : ''}`));
}
