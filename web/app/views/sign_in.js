// Sign in: the user pastes an API token; it is checked against the server and kept in
// sessionStorage for this browser tab's session only.

import { Api } from '../api.js';
import { h } from '../dom.js';

export function renderSignIn({ message, onSignedIn }) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'token-help' });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'sign-in-error' }, message || '');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card sign-in', novalidate: true },
    h('h1', {}, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'I'), 'Sign in to Intake'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p', { class: 'help', id: 'token-help' }, 'Paste the token your administrator gave you (the server prints the admin token when it first starts). It is kept only until you close this tab.'),
    error,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) { error.textContent = 'Enter your API token to sign in.'; input.focus(); return; }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    error.textContent = '';
    try {
      await new Api({ token }).get('/api/v1/campaigns', { limit: 1 });
      onSignedIn(token);
    } catch (err) {
      error.textContent = err.status === 401
        ? 'This token was not accepted. Check that you copied all of it, or ask for a new one.'
        : err.message;
      submit.disabled = false;
      submit.textContent = 'Sign in';
      input.focus();
    }
  });
  queueMicrotask(() => input.focus());
  return form;
}
