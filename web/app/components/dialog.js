// Modal dialogs on the native <dialog> element: focus moves in on open, Tab cycles inside it,
// Escape closes it, focus returns to whatever opened it. confirmDialog() asks a yes/no question.

import { h, icon } from '../dom.js';
import { dialogToasts, moveToastsOut } from './toasts.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), summary';

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null || el.getClientRects().length);
}

// openDialog({title, body, actions, wide, onClose}) → {el, body, close(value), closed: Promise}.
// `body`: nodes; `actions`: nodes for the footer. The dialog is removed from the page on close.
// Where focus returns on close: the opener, or — when the page rebuilt it meanwhile (a table
// refreshed by a poll) — the element that took its place: the same id, or the same action
// (data-action) in the row of the same item (data-*-id), else the page's main region.
function returnTarget(opener) {
  if (!opener || opener === document.body) return () => null;
  const id = opener.id;
  const action = opener.dataset?.action;
  const row = opener.closest?.('[data-upload-id], [data-participant-id], [data-communication-id]');
  const attr = row && [...row.attributes].find((a) => /^data-[a-z]+-id$/.test(a.name));
  return () => {
    if (opener.isConnected) return opener;
    if (id && document.getElementById(id)) return document.getElementById(id);
    if (attr && action) {
      const again = document.querySelector(`[${attr.name}="${CSS.escape(attr.value)}"] [data-action="${CSS.escape(action)}"]`);
      if (again) return again;
    }
    return document.getElementById('main');
  };
}

export function openDialog({ title, body = [], actions = [], wide = false, className = '', onClose } = {}) {
  const findOpener = returnTarget(document.activeElement);
  const titleId = `dlg-${Math.random().toString(36).slice(2, 9)}`;
  let resolveClosed;
  const closed = new Promise((r) => { resolveClosed = r; });
  let result;
  const content = h('div', { class: 'dialog-body' }, body);
  const el = h('dialog', { class: `dialog ${wide ? 'dialog-wide' : ''} ${className}`, 'aria-labelledby': titleId },
    h('header', { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', onclick: () => close() }, icon('close'))),
    content,
    actions.length ? h('footer', { class: 'dialog-actions' }, actions) : null,
    dialogToasts());

  const close = (value) => {
    result = value;
    if (el.open) el.close();
  };
  el.addEventListener('cancel', (e) => { e.preventDefault(); close(); });  // Escape
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const list = focusables(el);
    if (!list.length) return;
    const first = list[0];
    const last = list[list.length - 1];
    if (e.shiftKey && (document.activeElement === first || !el.contains(document.activeElement))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  el.addEventListener('close', () => {
    moveToastsOut(el);
    el.remove();
    onClose?.(result);
    resolveClosed(result);
    findOpener()?.focus();
  });
  document.body.append(el);
  el.showModal();
  const autofocus = el.querySelector('[autofocus]') || focusables(content)[0] || focusables(el)[0];
  autofocus?.focus();
  return { el, body: content, close, closed };
}

// Resolves true when the user confirms, false otherwise.
export function confirmDialog({ title, message, confirmLabel = 'OK', danger = false }) {
  let dlg;
  const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => dlg.close(true) }, confirmLabel);
  const no = h('button', { type: 'button', autofocus: true, onclick: () => dlg.close(false) }, 'Cancel');
  dlg = openDialog({ title, body: [h('p', {}, message)], actions: [no, yes], className: 'dialog-confirm' });
  return dlg.closed.then((v) => v === true);
}
