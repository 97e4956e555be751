// The Participants tab: the server-sorted, filtered, paged list (filters and sort live in the
// URL; pages use the server's cursors), filter chips, expandable rows with Details and
// Results, delete with confirmation, and the Communications dialog.

import { h, clear, icon, timeEl, formatCount } from '../dom.js';
import { enc } from '../api.js';
import { dataTable, emptyState } from '../components/table.js';
import { chipList } from '../components/chips.js';
import { confirmDialog } from '../components/dialog.js';
import { toast, toastError } from '../components/toasts.js';
import { openCommunications } from './communications_dialog.js';

const COLUMNS = [
  { key: 'expand', label: h('span', { class: 'visually-hidden' }, 'Expand'), className: 'expand-col' },
  { key: 'name', label: 'Name', sortable: true }, { key: 'email', label: 'Email', sortable: true },
  { key: 'phone', label: 'Phone', sortable: true }, { key: 'external_id', label: 'External ID', sortable: true },
  { key: 'communications', label: 'Communications', sortable: true, className: 'num' },
  { key: 'created_at', label: 'Created at', sortable: true }, { key: 'updated_at', label: 'Updated at', sortable: true },
  { key: 'delete', label: h('span', { class: 'visually-hidden' }, 'Delete'), className: 'delete-col' },
];
const PAGE_SIZES = [25, 50, 100];
const RANGE_TYPES = new Set(['date', 'datetime', 'number']);
let filterPanelOpen = false;  // kept across re-renders of the tab

function describe(value) {
  if (value.startsWith('~')) return `contains “${value.slice(1)}”`;
  const range = value.match(/^(.*)\.\.(.*)$/);
  if (range) return range[1] && range[2] ? `${range[1]} – ${range[2]}` : range[1] ? `from ${range[1]}` : `up to ${range[2]}`;
  return value;
}

export function renderParticipantsTab(panel, { api, campaignId, query, navigate }) {
  const sort = query.sort || '-created_at';
  const limit = PAGE_SIZES.includes(Number(query.limit)) ? Number(query.limit) : 50;
  const filters = Object.entries(query).filter(([k]) => /^filter\[.+\]$/.test(k)).map(([k, v]) => [k.slice(7, -1), v]);
  const uploadId = query.upload_id || null;
  let fields = [];
  let cursors = [null];   // cursors[i]: the cursor of page i
  let pageIndex = 0;
  let page = null;
  let disposed = false;
  const expanded = new Set();

  const go = (patch) => navigate(['campaigns', campaignId, 'participants'], { ...query, ...patch });
  const setQuery = (q) => navigate(['campaigns', campaignId, 'participants'], q);

  const chipsBox = h('div', { class: 'chips-box' });
  const filterBox = h('details', { class: 'filter-panel' }, h('summary', {}, icon('filter'), 'Filter'));
  const tableBox = h('div', { class: 'participants-box', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading participants…'));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const live = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });

  clear(panel,
    h('div', { class: 'toolbar' }, filterBox, chipsBox),
    live, tableBox, pager);

  drawChips();
  init();
  return () => { disposed = true; };

  async function init() {
    try {
      fields = (await api.get(`/api/v1/campaigns/${enc(campaignId)}/fields`)).fields;
    } catch (e) {
      // A missing campaign is already said by the campaign view; other failures get a toast.
      if (e.status !== 404) toastError(new Error(`The campaign's fields could not be loaded: ${e.message}`));
    }
    if (disposed) return;
    drawChips();
    drawFilterForm();
    load();
  }

  function labelOf(key) {
    if (key === 'created_at') return 'Created at';
    if (key === 'updated_at') return 'Updated at';
    return fields.find((f) => f.key === key)?.label ?? key;
  }

  function drawChips() {
    const chips = [];
    if (uploadId) chips.push({ key: 'upload_id', label: 'Upload ID', value: uploadId });
    for (const [k, v] of filters) chips.push({ key: `filter[${k}]`, label: labelOf(k), value: describe(v) });
    clear(chipsBox, chipList(chips, {
      onRemove: (key) => { const q = { ...query }; delete q[key]; setQuery(q); },
      onClear: () => setQuery({ sort: query.sort, limit: query.limit }),
    }));
  }

  function drawFilterForm() {
    const options = [...fields.map((f) => ({ key: f.key, label: f.label, type: f.type, values: f.values })),
      { key: 'created_at', label: 'Created at', type: 'datetime' }, { key: 'updated_at', label: 'Updated at', type: 'datetime' },
      { key: 'upload_id', label: 'Upload ID', type: 'id' }];
    const fieldSel = h('select', { id: 'filter-field' }, options.map((o) => h('option', { value: o.key }, o.label)));
    const modeSel = h('select', { id: 'filter-mode' });
    const valueBox = h('div', { class: 'filter-values' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const current = () => options.find((o) => o.key === fieldSel.value);
    const drawModes = () => {
      const o = current();
      const modes = o.type === 'id' || o.type === 'enum' || o.type === 'boolean' ? [['is', 'is']]
        : RANGE_TYPES.has(o.type) ? [['is', 'is'], ['range', 'between']] : [['contains', 'contains'], ['is', 'is exactly']];
      clear(modeSel, modes.map(([v, l]) => h('option', { value: v }, l)));
      drawValues();
    };
    const drawValues = () => {
      const o = current();
      const inputType = o.type === 'date' ? 'date' : o.type === 'number' ? 'number' : 'text';
      if (modeSel.value === 'range') {
        clear(valueBox, h('label', { class: 'visually-hidden', for: 'filter-from' }, 'From'), h('input', { id: 'filter-from', type: inputType, placeholder: 'from' }),
          h('span', { 'aria-hidden': 'true' }, '–'), h('label', { class: 'visually-hidden', for: 'filter-to' }, 'To'), h('input', { id: 'filter-to', type: inputType, placeholder: 'to' }));
      } else if (o.type === 'enum' || o.type === 'boolean') {
        const values = o.type === 'boolean' ? ['true', 'false'] : o.values ?? [];
        clear(valueBox, h('label', { class: 'visually-hidden', for: 'filter-value' }, 'Value'), h('select', { id: 'filter-value' }, values.map((v) => h('option', { value: v }, v))));
      } else {
        clear(valueBox, h('label', { class: 'visually-hidden', for: 'filter-value' }, 'Value'), h('input', { id: 'filter-value', type: inputType, placeholder: 'value' }));
      }
    };
    fieldSel.addEventListener('change', drawModes);
    modeSel.addEventListener('change', drawValues);
    const form = h('form', { class: 'filter-form', novalidate: true },
      h('div', { class: 'filter-row' },
        h('div', {}, h('label', { for: 'filter-field' }, 'Field'), fieldSel),
        h('div', {}, h('label', { for: 'filter-mode' }, 'Match'), modeSel),
        h('div', { class: 'grow' }, h('span', { class: 'label' }, 'Value'), valueBox),
        h('button', { type: 'submit', class: 'primary' }, 'Apply filter')),
      h('p', { class: 'help' }, 'Filters combine: a participant must match all of them.'),
      error);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const o = current();
      let value;
      if (modeSel.value === 'range') {
        const from = form.querySelector('#filter-from').value.trim();
        const to = form.querySelector('#filter-to').value.trim();
        if (!from && !to) { error.textContent = 'Enter a start, an end, or both.'; return; }
        value = `${from}..${to}`;
      } else {
        value = form.querySelector('#filter-value').value.trim();
        if (!value) { error.textContent = `Enter a value for ${o.label}.`; form.querySelector('#filter-value').focus(); return; }
        if (modeSel.value === 'contains') value = `~${value}`;
      }
      if (o.key === 'upload_id') go({ upload_id: value });
      else go({ [`filter[${o.key}]`]: value });
    });
    filterBox.append(form);
    filterBox.open = filterPanelOpen;
    filterBox.addEventListener('toggle', () => { filterPanelOpen = filterBox.open; });
    drawModes();
  }

  async function load() {
    tableBox.setAttribute('aria-busy', 'true');
    const params = { sort, limit, cursor: cursors[pageIndex], upload_id: uploadId };
    for (const [k, v] of filters) params[`filter[${k}]`] = v;
    try {
      page = await api.get(`/api/v1/campaigns/${enc(campaignId)}/participants`, params);
      if (disposed) return;
      cursors[pageIndex + 1] = page.next_cursor;
      draw();
      live.textContent = `${formatCount(page.total)} participants${filters.length || uploadId ? ' match' : ''}. Page ${pageIndex + 1}.`;
    } catch (e) {
      if (disposed) return;
      tableBox.removeAttribute('aria-busy');
      clear(tableBox, h('p', { class: 'form-error', role: 'alert' },
        e.status === 400 ? `This filter or sort is not valid: ${e.message} Remove the filter and try another.` : `Participants could not be loaded: ${e.message}`));
      clear(pager);
    }
  }

  function draw() {
    tableBox.removeAttribute('aria-busy');
    const rows = h('tbody', {});
    for (const p of page.items) {
      rows.append(participantRow(p));
      if (expanded.has(p.id)) rows.append(detailRow(p));
    }
    const filtered = filters.length || uploadId;
    clear(tableBox, dataTable({
      columns: COLUMNS, sort, rows, caption: 'Participants', className: 'participants-table',
      onSort: (s) => go({ sort: s }),
      empty: filtered
        ? emptyState('No participants match these filters', 'Remove a filter or clear them all.', h('button', { type: 'button', onclick: () => setQuery({ sort: query.sort }) }, 'Clear all filters'))
        : emptyState('No participants yet', 'Upload a CSV file in the Uploads tab to add participants.', h('a', { class: 'button', href: `#/campaigns/${enc(campaignId)}/uploads` }, 'Go to Uploads')),
    }));
    drawPager();
  }

  function drawPager() {
    const from = page.total ? pageIndex * limit + 1 : 0;
    const to = pageIndex * limit + page.items.length;
    const pages = Math.max(1, Math.ceil(page.total / limit));
    const sizeSel = h('select', { id: 'page-size', onchange: (e) => go({ limit: e.target.value }) },
      PAGE_SIZES.map((n) => h('option', { value: n, selected: n === limit }, n)));
    clear(pager,
      h('span', { class: 'pager-total' }, page.total ? `${formatCount(from)}–${formatCount(to)} of ${formatCount(page.total)}` : '0 participants'),
      h('span', { class: 'pager-page muted' }, `Page ${pageIndex + 1} of ${pages}`),
      h('span', { class: 'pager-size' }, h('label', { for: 'page-size' }, 'Per page'), sizeSel),
      h('button', { type: 'button', class: 'pager-prev', disabled: pageIndex === 0, onclick: () => { pageIndex--; load(); } }, 'Previous'),
      h('button', { type: 'button', class: 'pager-next', disabled: !page.next_cursor, onclick: () => { pageIndex++; load(); } }, 'Next'));
  }

  function participantRow(p) {
    const open = expanded.has(p.id);
    const detailId = `detail-${p.id}`;
    const who = p.name || p.email || p.external_id || `participant ${p.id}`;
    return h('tr', { class: `participant-row ${open ? 'expanded' : ''}`, dataset: { participantId: p.id } },
      h('td', { class: 'expand-col' }, h('button', { type: 'button', class: 'icon-button expand', 'aria-expanded': open ? 'true' : 'false', 'aria-controls': open ? detailId : null, 'aria-label': `Details of ${who}`,
        onclick: () => { if (open) expanded.delete(p.id); else expanded.add(p.id); draw(); tableBox.querySelector(`tr[data-participant-id="${CSS.escape(p.id)}"] .expand`)?.focus(); } }, icon('chevron'))),
      h('td', { class: 'cell-name', 'data-label': 'Name' }, p.name || h('span', { class: 'muted' }, '—')),
      h('td', { class: 'cell-email', 'data-label': 'Email' }, p.email || '—'),
      h('td', { class: 'cell-phone', 'data-label': 'Phone' }, p.phone || '—'),
      h('td', { class: 'cell-external-id', 'data-label': 'External ID' }, p.external_id || '—'),
      h('td', { class: 'num', 'data-label': 'Communications' }, h('button', { type: 'button', class: 'link-button comms-count', 'aria-label': `${p.communications} communications of ${who}`, onclick: () => openCommunications({ api, participant: p }) }, formatCount(p.communications))),
      h('td', { class: 'cell-created', 'data-label': 'Created at' }, timeEl(p.created_at)),
      h('td', { class: 'cell-updated', 'data-label': 'Updated at' }, timeEl(p.updated_at)),
      h('td', { class: 'delete-col' }, h('button', { type: 'button', class: 'icon-button danger-icon delete', 'aria-label': `Delete ${who}`, onclick: () => remove(p, who) }, icon('trash'))));
  }

  function detailRow(p) {
    const box = h('div', { class: 'detail-box', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading details…'));
    const row = h('tr', { class: 'detail-row', id: `detail-${p.id}` }, h('td', { colspan: COLUMNS.length }, box));
    api.get(`/api/v1/participants/${enc(p.id)}`).then((d) => {
      box.removeAttribute('aria-busy');
      clear(box,
        h('section', { class: 'details' }, h('h3', {}, 'Details'),
          h('dl', { class: 'detail-list' }, d.fields.map((f) => h('div', { dataset: { key: f.key } }, h('dt', {}, f.label), h('dd', {}, f.value === '' || f.value === null || f.value === undefined ? h('span', { class: 'muted' }, '—') : String(f.value)))))),
        h('section', { class: 'results' }, h('h3', {}, 'Results'),
          h('dl', { class: 'detail-list' },
            h('div', {}, h('dt', {}, 'Result'), h('dd', { class: 'result-value' }, d.result?.result || h('span', { class: 'muted' }, 'No result yet'))),
            h('div', {}, h('dt', {}, 'Result Date & Time'), h('dd', {}, d.result?.result_at ? timeEl(d.result.result_at) : h('span', { class: 'muted' }, '—'))))),
        d.upload_ids?.length ? h('p', { class: 'muted small' }, `From upload${d.upload_ids.length > 1 ? 's' : ''} ${d.upload_ids.join(', ')}`) : null);
    }).catch((e) => {
      box.removeAttribute('aria-busy');
      clear(box, h('p', { class: 'form-error', role: 'alert' }, `Details could not be loaded: ${e.message}`));
    });
    return row;
  }

  async function remove(p, who) {
    const ok = await confirmDialog({ title: 'Delete participant?', message: `${who} and their communications will be deleted. This cannot be undone.`, confirmLabel: 'Delete', danger: true });
    if (!ok) return;
    try {
      await api.del(`/api/v1/participants/${enc(p.id)}`);
      toast(`Deleted ${who}.`, { kind: 'success' });
      expanded.delete(p.id);
      if (page.items.length === 1 && pageIndex > 0) pageIndex--;
      await load();
      tableBox.querySelector('.delete, .sort-button')?.focus();
    } catch (e) {
      toastError(new Error(`${who} was not deleted: ${e.message}`));
    }
  }
}
