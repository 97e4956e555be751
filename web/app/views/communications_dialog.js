// The Communications dialog of one participant: Name, Status (the status message on hover or
// focus; coloured by group), Channel, Agent ID, Scheduled at, Created at, and Go to session.

import { h, clear, timeEl } from '../dom.js';
import { enc } from '../api.js';
import { openDialog } from '../components/dialog.js';
import { emptyState } from '../components/table.js';

const GROUPS = {
  Planned: 'progress', Started: 'progress', Delivered: 'progress', Read: 'progress',
  Replied: 'success', Completed: 'success',
  NoResponse: 'ended', Canceled: 'ended', Skipped: 'ended', Failed: 'ended',
};
const GROUP_LABEL = { progress: 'In progress', success: 'Successful', ended: 'Ended without success' };

export function statusChip(status, message, id) {
  const group = GROUPS[status] ?? 'progress';
  const tipId = `tip-${id}`;
  const chip = h('span', { class: `comm-status comm-${group}`, tabindex: '0', 'aria-describedby': tipId, dataset: { group } },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), status);
  const tip = h('span', { class: 'tooltip', role: 'tooltip', id: tipId }, `${GROUP_LABEL[group]}${message ? `: ${message}` : ''}`);
  // Fixed to the viewport so the scrolling table does not clip it.
  const show = () => {
    const r = chip.getBoundingClientRect();
    tip.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - 268))}px`;
    tip.style.top = `${r.bottom + 6}px`;
    tip.classList.add('show');
  };
  const hide = () => tip.classList.remove('show');
  const wrap = h('span', { class: 'status-wrap', onmouseenter: show, onmouseleave: () => { if (document.activeElement !== chip) hide(); } }, chip, tip);
  chip.addEventListener('focus', show);
  chip.addEventListener('blur', hide);
  chip.addEventListener('keydown', (e) => { if (e.key === 'Escape' && tip.classList.contains('show')) { e.stopPropagation(); e.preventDefault(); hide(); } });
  return wrap;
}

export function openCommunications({ api, participant }) {
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading communications…'));
  const dlg = openDialog({ title: `Communications · ${participant.name || participant.email || participant.id}`, wide: true, className: 'comms-dialog', body: [body],
    actions: [h('button', { type: 'button', class: 'primary', onclick: () => dlg.close() }, 'Close')] });
  (async () => {
    try {
      const items = [];
      let cursor = null;
      do {
        const page = await api.get(`/api/v1/participants/${enc(participant.id)}/communications`, { limit: 1000, cursor });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && items.length < 5000);
      body.removeAttribute('aria-busy');
      if (!items.length) {
        clear(body, emptyState('No communications', 'Nothing has been planned or sent to this participant yet.'));
        return;
      }
      clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'data-table comms-table' },
        h('thead', {}, h('tr', {}, ['Name', 'Status', 'Channel', 'Agent ID', 'Scheduled at', 'Created at', 'Session'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, items.map((c) => h('tr', { dataset: { communicationId: c.id } },
          h('td', { 'data-label': 'Name' }, c.name || '—'),
          h('td', { 'data-label': 'Status' }, statusChip(c.status, c.status_message, c.id)),
          h('td', { 'data-label': 'Channel' }, c.channel || '—'),
          h('td', { 'data-label': 'Agent ID' }, c.agent_id ? h('code', {}, c.agent_id) : '—'),
          h('td', { 'data-label': 'Scheduled at' }, timeEl(c.scheduled_at)),
          h('td', { 'data-label': 'Created at' }, timeEl(c.created_at)),
          h('td', { 'data-label': 'Session' }, c.session_id
            ? h('a', { class: 'button small go-session', href: `session.html?id=${enc(c.session_id)}`, target: '_blank', rel: 'opener' }, 'Go to session', h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'))
            : h('span', { class: 'muted small', title: 'The session starts when the communication does' }, 'No session yet'))))))));
    } catch (e) {
      body.removeAttribute('aria-busy');
      clear(body, h('p', { class: 'form-error', role: 'alert' }, `Communications could not be loaded: ${e.message}`));
    }
  })();
  return dlg;
}
