// Data tables with sortable headers (aria-sort, a button per sortable column) and an empty
// state. Sorting is the caller's (server-side); the table only reports clicks.

import { h, icon } from '../dom.js';

// columns: [{key, label, sortable, className}]; sort: 'name' | '-name' | null;
// body: <tbody> rows already built; empty: a node shown when there are no rows.
export function dataTable({ columns, sort = null, onSort, rows, empty, caption, className = '' }) {
  const sortKey = sort ? sort.replace(/^-/, '') : null;
  const descending = sort?.startsWith('-');
  const head = h('tr', {}, columns.map((c) => {
    if (!c.sortable) return h('th', { scope: 'col', class: c.className }, c.label);
    const active = c.key === sortKey;
    const ariaSort = active ? (descending ? 'descending' : 'ascending') : 'none';
    return h('th', { scope: 'col', class: c.className, 'aria-sort': ariaSort },
      h('button', { type: 'button', class: 'sort-button', onclick: () => onSort(active && !descending ? `-${c.key}` : c.key) },
        c.label, active ? icon(descending ? 'down' : 'up') : h('span', { class: 'sort-placeholder', 'aria-hidden': 'true' })));
  }));
  const table = h('table', { class: `data-table ${className}` },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, head),
    rows);
  return h('div', { class: 'table-wrap' }, sortSelect({ columns, sort, onSort, className }),
    rows.children.length ? table : [table, empty]);
}

// Where a narrow screen shows rows as cards (app.css), the header is hidden: this select takes
// its place (hidden on wider screens, where the header buttons sort). A change redraws the list
// (the select too), so the new select takes the keyboard focus back.
let refocusSelect = null;  // id of the sort select whose change is being redrawn
function sortSelect({ columns, sort, onSort, className }) {
  const sortable = columns.filter((c) => c.sortable);
  if (!sortable.length || !onSort) return null;
  const id = `sort-${className || 'table'}`;
  const select = h('select', { id, onchange: (e) => { refocusSelect = id; onSort(e.target.value); } },
    sortable.flatMap((c) => [
      h('option', { value: c.key, selected: sort === c.key }, `${c.label}, ascending`),
      h('option', { value: `-${c.key}`, selected: sort === `-${c.key}` }, `${c.label}, descending`),
    ]));
  if (refocusSelect === id) {
    refocusSelect = null;
    queueMicrotask(() => select.focus());  // once it is in the page
  }
  return h('div', { class: 'sort-select' }, h('label', { for: id }, 'Sort by'), select);
}

export function emptyState(title, text, action = null) {
  return h('div', { class: 'empty-state' }, h('p', { class: 'empty-title' }, title), text ? h('p', {}, text) : null, action);
}
