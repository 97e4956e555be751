// Toasts: short messages confirming an action or explaining a failure, announced to screen
// readers (polite for results, assertive for errors). Errors stay until dismissed.

import { h, icon } from '../dom.js';

let region = null;

function ensureRegion() {
  if (region?.isConnected) return region;
  region = h('div', { class: 'toasts', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  document.body.append(region);
  return region;
}

export function toast(message, { kind = 'info', timeout = kind === 'error' ? 0 : 5000 } = {}) {
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'toast-text' }, message),
    h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss', onclick: () => item.remove() }, icon('close')));
  const box = ensureRegion();
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  if (timeout) setTimeout(() => item.remove(), timeout);
  return item;
}

export const toastError = (e) => toast(e?.message || String(e), { kind: 'error' });
