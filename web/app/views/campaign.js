// The campaign page: its name and the tabs Uploads, Participants and Data. Each tab is its own
// view; switching tabs re-renders only the panel (a running upload lives on in upload_runner.js).

import { h, clear } from '../dom.js';
import { enc } from '../api.js';
import { renderUploadsTab } from './uploads_tab.js';
import { renderParticipantsTab } from './participants_tab.js';
import { renderDataTab } from './data_tab.js';

const TABS = [
  { id: 'uploads', label: 'Uploads', render: renderUploadsTab },
  { id: 'participants', label: 'Participants', render: renderParticipantsTab },
  { id: 'data', label: 'Data', render: renderDataTab },
];

export function renderCampaign(container, ctx) {
  const { api, campaignId } = ctx;
  const tab = TABS.find((t) => t.id === ctx.tab) ?? TABS[0];
  const title = h('h1', {}, h('span', { class: 'muted' }, 'Campaign'));
  const panel = h('section', { class: 'tab-panel', id: 'tab-panel', 'aria-label': tab.label });
  clear(container,
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Campaigns'), h('span', { 'aria-hidden': 'true' }, ' / ')),
    h('div', { class: 'page-head' }, title),
    h('nav', { class: 'tabs', 'aria-label': 'Campaign sections' }, TABS.map((t) =>
      h('a', { class: 'tab', href: `#/campaigns/${enc(campaignId)}/${t.id}`, 'aria-current': t === tab ? 'page' : false }, t.label))),
    panel);

  const state = { campaign: null, cleanup: null, disposed: false };
  api.get(`/api/v1/campaigns/${enc(campaignId)}`).then((c) => {
    if (state.disposed) return;
    state.campaign = c;
    clear(title, c.name);
    document.title = `${c.name} · ${tab.label} · Intake`;
  }).catch((err) => {
    if (state.disposed) return;
    clear(title, 'Campaign not found');
    clear(panel, h('p', { class: 'form-error', role: 'alert' },
      err.status === 404 ? 'This campaign does not exist (it may have been deleted). Go back to Campaigns and pick another.' : `The campaign could not be loaded: ${err.message}`));
    state.cleanup?.();
    state.cleanup = null;
  });
  document.title = `${tab.label} · Intake`;
  state.cleanup = tab.render(panel, ctx);
  return () => { state.disposed = true; if (typeof state.cleanup === 'function') state.cleanup(); };
}
