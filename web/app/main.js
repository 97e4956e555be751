// The Intake web app's entry point: the shell (header, sign-out), sign-in gate and the routes
// to each screen. Loaded by index.html as a module.

import { Api, session } from './api.js';
import { h, clear } from './dom.js';
import { parseHash, navigate } from './router.js';
import { renderSignIn } from './views/sign_in.js';
import { renderCampaigns } from './views/campaigns.js';
import { renderCampaign } from './views/campaign.js';

const root = document.getElementById('app');
let cleanup = null;
let api = null;

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
  ];
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

window.addEventListener('hashchange', () => route());
route();
