// The Intake web app's entry point: the shell (header, sign-out), sign-in gate and the routes
// to each screen. Loaded by index.html as a module.

import { Api, session, answerTokenRequests } from './api.js';
import { h, clear } from './dom.js';
import { parseHash, navigate } from './router.js';
import { renderSignIn } from './views/sign_in.js';
import { renderCampaigns } from './views/campaigns.js';
import { renderCampaign } from './views/campaign.js';
import { confirmDialog } from './components/dialog.js';
import { leaveGuard } from './leave_guard.js';

const root = document.getElementById('app');
let cleanup = null;
let api = null;
let lastHash = location.hash;

function signOut(message) {
  session.token = null;
  api = null;
  route(message);
}

function shell(content) {
  return [
    h('header', { class: 'app-header' },
      h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'I'), 'Intake'),
      h('nav', { 'aria-label': 'Main' }, h('a', { href: '#/' }, 'Campaigns')),
      h('button', { type: 'button', class: 'quiet', onclick: () => signOut() }, 'Sign out')),
    h('main', { id: 'main', class: 'app-main', tabindex: '-1' }, content),
    h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'route-announcer' }),
  ];
}

// Each route rebuilds the page. The control that was used (a tab, a sort button, Apply filter,
// Per page) is found again in the new page by its id, or else by its kind and label, and gets
// focus back; when it is gone, the main region does. The new page's title is announced.
function focusKey() {
  const el = document.activeElement;
  if (!el || el === document.body || !root.contains(el)) return null;
  const label = (el.getAttribute('aria-label') || el.textContent || '').trim();
  return { id: el.id || null, tag: el.tagName, name: el.getAttribute('name'), label };
}

function findAgain(key) {
  if (key.id) return document.getElementById(key.id);
  for (const el of root.querySelectorAll(key.tag)) {
    if (key.name ? el.getAttribute('name') === key.name : (el.getAttribute('aria-label') || el.textContent || '').trim() === key.label) return el;
  }
  return null;
}

function restoreFocus(key) {
  const until = performance.now() + 1500;  // views fill in as their data arrives
  const step = () => {
    const lost = !document.activeElement || document.activeElement === document.body;
    if (!lost || !root.isConnected) return announce();
    const again = key && findAgain(key);
    if (again) { again.focus(); return announce(); }
    if (performance.now() < until) return setTimeout(step, 50);
    document.getElementById('main')?.focus();
    announce();
  };
  setTimeout(step, 0);
}

function announce() {
  const el = document.getElementById('route-announcer');
  if (el) setTimeout(() => { el.textContent = document.title; }, 100);
}

async function route(signInMessage = null) {
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  const token = session.token;
  if (!token) {
    document.title = 'Sign in · Intake';
    clear(root, h('main', { id: 'main', class: 'sign-in-main' }, renderSignIn({
      message: signInMessage,
      onSignedIn: (t) => { session.token = t; route(); },
    })));
    return;
  }
  api ??= new Api({ token, onUnauthorized: () => signOut('Your token is not valid any more. Sign in again with a valid API token.') });
  const { parts, query } = parseHash();
  const container = h('div', { class: 'view' });
  clear(root, shell(container));
  const ctx = { api, query, navigate };
  if (parts[0] === 'campaigns' && parts[1]) {
    cleanup = renderCampaign(container, { ...ctx, campaignId: parts[1], tab: parts[2] || 'uploads' });
  } else {
    cleanup = renderCampaigns(container, ctx);
  }
}

answerTokenRequests();
window.addEventListener('hashchange', async () => {
  const target = location.hash;
  if (target !== lastHash && leaveGuard.unsaved?.()) {
    history.replaceState(null, '', lastHash || '#/');  // stay until the user decides
    const leave = await confirmDialog({ title: 'Leave without saving?', message: 'Your changes to the fields are not saved. Leave this page and lose them?', confirmLabel: 'Leave without saving', danger: true });
    if (!leave) return;
    leaveGuard.unsaved = null;
    history.replaceState(null, '', target);
  }
  lastHash = target;
  const key = focusKey();
  route();
  restoreFocus(key);
});
route();
