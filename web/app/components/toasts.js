// Toasts: short messages confirming an action or explaining a failure, announced to screen
// readers. Two live regions exist from the start (index.html, or created when this module loads,
// well before the first toast): a polite one for results and an assertive one for errors. A live
// region added in the same tick as its first message is often not announced, and the items carry
// no role of their own, so nothing is announced twice. Errors stay until dismissed.

import { h, icon } from '../dom.js';

const MAX_PER_REGION = 3;

// The fixed stack that holds both regions; index.html has it, other pages get it at load.
function regions() {
  let stack = document.getElementById('toasts');
  if (!stack) {
    stack = h('div', { id: 'toasts', class: 'toasts' },
      h('div', { id: 'toasts-polite', class: 'toast-region', 'aria-live': 'polite', 'aria-relevant': 'additions' }),
      h('div', { id: 'toasts-assertive', class: 'toast-region', 'aria-live': 'assertive', 'aria-relevant': 'additions' }));
    document.body.append(stack);
  }
  return { polite: document.getElementById('toasts-polite'), assertive: document.getElementById('toasts-assertive') };
}

if (document.body) regions();
else document.addEventListener('DOMContentLoaded', () => regions(), { once: true });

export function toast(message, { kind = 'info', timeout = kind === 'error' ? 0 : 5000 } = {}) {
  const item = h('div', { class: `toast toast-${kind}` },
    h('span', { class: 'toast-text' }, message),
    h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss', onclick: () => item.remove() }, icon('close')));
  const box = regions()[kind === 'error' ? 'assertive' : 'polite'];
  box.append(item);
  while (box.children.length > MAX_PER_REGION) box.firstElementChild.remove();
  if (timeout) setTimeout(() => item.remove(), timeout);
  return item;
}

export const toastError = (e) => toast(e?.message || String(e), { kind: 'error' });
