// Toasts: short messages confirming an action or explaining a failure, announced to screen
// readers. Two live regions exist from the start (index.html, or created when this module loads,
// well before the first toast): a polite one for results and an assertive one for errors. A live
// region added in the same tick as its first message is often not announced, and the items carry
// no role of their own, so nothing is announced twice. Errors stay until dismissed.

import { h, icon } from '../dom.js';

const MAX_PER_REGION = 3;

// While a modal dialog is open everything outside it is inert (unreachable, and not read out):
// its toasts go to regions of its own, made with the dialog (dialogToasts) so they exist before
// the first message; those still shown when it closes move to the page's.
export function dialogToasts() {
  return h('div', { class: 'toasts dialog-toasts' },
    h('div', { class: 'toast-region', 'data-kind': 'polite', 'aria-live': 'polite', 'aria-relevant': 'additions' }),
    h('div', { class: 'toast-region', 'data-kind': 'assertive', 'aria-live': 'assertive', 'aria-relevant': 'additions' }));
}

export function moveToastsOut(dialog) {
  const page = pageRegions();
  for (const kind of ['polite', 'assertive'])
    for (const item of dialog.querySelectorAll(`.dialog-toasts [data-kind="${kind}"] > .toast`)) page[kind].append(item);
}

function regions() {
  const modal = [...document.querySelectorAll('dialog[open]')].filter((d) => d.matches(':modal')).pop();
  const own = modal?.querySelector(':scope > .dialog-toasts');
  if (own) return { polite: own.querySelector('[data-kind="polite"]'), assertive: own.querySelector('[data-kind="assertive"]') };
  return pageRegions();
}

// The fixed stack that holds both regions; index.html has it, other pages get it at load.
function pageRegions() {
  let stack = document.getElementById('toasts');
  if (!stack) {
    stack = h('div', { id: 'toasts', class: 'toasts' },
      h('div', { id: 'toasts-polite', class: 'toast-region', 'aria-live': 'polite', 'aria-relevant': 'additions' }),
      h('div', { id: 'toasts-assertive', class: 'toast-region', 'aria-live': 'assertive', 'aria-relevant': 'additions' }));
    document.body.append(stack);
  }
  return { polite: document.getElementById('toasts-polite'), assertive: document.getElementById('toasts-assertive') };
}

if (document.body) pageRegions();
else document.addEventListener('DOMContentLoaded', () => pageRegions(), { once: true });

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
