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
  return h('div', { class: 'table-wrap' }, rows.children.length ? table : [table, empty]);
}

export function emptyState(title, text, action = null) {
  return h('div', { class: 'empty-state' }, h('p', { class: 'empty-title' }, title), text ? h('p', {}, text) : null, action);
}
