// The campaigns list with create: each campaign links to its page (Uploads tab).

import { h, clear, timeEl, formatCount } from '../dom.js';
import { enc } from '../api.js';
import { emptyState } from '../components/table.js';
import { toast, toastError } from '../components/toasts.js';

export function renderCampaigns(container, { api, navigate }) {
  document.title = 'Campaigns · Intake';
  const list = h('div', { class: 'campaign-list', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading campaigns…'));
  const name = h('input', { id: 'campaign-name', name: 'name', required: true, placeholder: 'e.g. Spring onboarding', maxlength: 200 });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create campaign');
  const form = h('form', { class: 'create-campaign', novalidate: true },
    h('label', { for: 'campaign-name' }, 'New campaign'),
    h('div', { class: 'inline-form' }, name, create),
    error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = name.value.trim();
    if (!value) { error.textContent = 'Give the campaign a name.'; name.focus(); return; }
    create.disabled = true;
    error.textContent = '';
    try {
      const c = await api.post('/api/v1/campaigns', { name: value });
      toast(`Campaign “${c.name}” created. Set up its fields in the Data tab.`);
      navigate(['campaigns', c.id, 'data']);
    } catch (err) {
      error.textContent = err.message;
      create.disabled = false;
    }
  });

  clear(container,
    h('div', { class: 'page-head' }, h('h1', {}, 'Campaigns')),
    h('section', { class: 'card' }, form),
    h('section', { 'aria-label': 'Campaigns' }, list));

  (async () => {
    try {
      const items = [];
      let cursor = null;
      do {
        const page = await api.get('/api/v1/campaigns', { limit: 1000, cursor });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && items.length < 5000);
      list.removeAttribute('aria-busy');
      if (!items.length) {
        clear(list, emptyState('No campaigns yet', 'Create your first campaign above, then add its fields and upload a CSV file.'));
        return;
      }
      clear(list, h('ul', { class: 'cards' }, items.map((c) => h('li', {},
        h('a', { class: 'campaign-card', href: `#/campaigns/${enc(c.id)}/uploads` },
          h('span', { class: 'campaign-name' }, c.name),
          h('span', { class: 'muted' }, 'Created ', timeEl(c.created_at)))))),
      h('p', { class: 'muted' }, `${formatCount(items.length)} campaign${items.length === 1 ? '' : 's'}`));
    } catch (err) {
      list.removeAttribute('aria-busy');
      clear(list, h('p', { class: 'form-error', role: 'alert' }, `Campaigns could not be loaded: ${err.message}`));
      toastError(err);
    }
  })();
}
