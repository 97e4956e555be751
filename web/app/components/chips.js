// Filter chips: one removable chip per applied filter, and Clear all.

import { h, icon } from '../dom.js';

// chips: [{key, label, value}] → a list element; onRemove(key), onClear().
export function chipList(chips, { onRemove, onClear }) {
  if (!chips.length) return h('div', { class: 'chips chips-empty', hidden: true });
  return h('div', { class: 'chips', role: 'group', 'aria-label': 'Applied filters' },
    chips.map((c) => h('span', { class: 'chip', dataset: { key: c.key } },
      h('span', { class: 'chip-label' }, `${c.label}: `, h('strong', {}, c.value)),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove filter ${c.label}`, onclick: () => onRemove(c.key) }, icon('close')))),
    h('button', { type: 'button', class: 'link-button', onclick: onClear }, 'Clear all'));
}
