// The session page (session.html?id=...): the conversation of one session, read with the
// token of this browser session (sessionStorage is shared with the tab that opened it; a tab
// opened on its own asks the app's open tabs for it).

import { Api, session, requestToken } from './api.js';
import { h, clear, timeEl } from './dom.js';

const box = document.getElementById('session');
const id = new URLSearchParams(location.search).get('id');

async function show() {
  if (!id) { clear(box, h('p', { class: 'form-error', role: 'alert' }, 'No session was named. Open a session from a participant’s Communications.')); return; }
  document.getElementById('session-title').textContent = `Session ${id}`;
  document.title = `Session ${id} · Intake`;
  if (!session.token) {
    const token = await requestToken();
    if (token) session.token = token;
  }
  if (!session.token) {
    clear(box, h('p', { class: 'form-error', role: 'alert' }, 'You are not signed in here, and no open Intake tab could sign this one in. ', h('a', { href: './' }, 'Sign in'), ', then open the session again from the Communications dialog.'));
    return;
  }
  try {
    const s = await new Api().get(`/api/v1/sessions/${encodeURIComponent(id)}`);
    const messages = s.messages ?? [];
    if (!messages.length) { clear(box, h('div', { class: 'empty-state' }, h('p', { class: 'empty-title' }, 'No messages yet'), h('p', {}, 'The conversation appears here once it starts.'))); return; }
    clear(box, h('ol', { class: 'conversation' }, messages.map((m) => {
      const mine = /^(agent|bot|assistant|system|intake)$/i.test(m.from ?? '');
      return h('li', { class: `message ${mine ? 'from-agent' : 'from-participant'}` },
        h('div', { class: 'message-meta' }, h('strong', {}, m.from || 'unknown'), ' ', timeEl(m.at)),
        h('p', { class: 'message-text' }, m.text ?? ''));
    })));
  } catch (e) {
    clear(box, h('p', { class: 'form-error', role: 'alert' }, e.status === 404 ? 'This session does not exist yet. It appears once the communication starts; try again later.' : `The session could not be loaded: ${e.message}`));
  }
}
show();
