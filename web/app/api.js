// The app's client for the Intake HTTP API (/work/shared/API.md): JSON over fetch with the
// session's bearer token. Every failure becomes an ApiError whose message says what to do;
// a 401 also signs the user out (onUnauthorized).

export class ApiError extends Error {
  constructor(status, code, message, problems = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

const TOKEN_KEY = 'intake:token';

export const session = {
  get token() { try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; } },
  set token(v) { try { v ? sessionStorage.setItem(TOKEN_KEY, v) : sessionStorage.removeItem(TOKEN_KEY); } catch { /* storage off */ } },
};

// A page of the app opened in a tab of its own (Ctrl-click on "Go to session") starts with an
// empty sessionStorage: it asks the app's open tabs for the token over a same-origin
// BroadcastChannel. answerTokenRequests() runs in the app; requestToken() in such a page.
const AUTH_CHANNEL = 'intake-auth';

export function answerTokenRequests() {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(AUTH_CHANNEL);
  channel.onmessage = (e) => {
    if (e.data?.type === 'token?' && session.token) channel.postMessage({ type: 'token', token: session.token });
  };
}

export function requestToken(timeoutMs = 700) {
  if (typeof BroadcastChannel === 'undefined') return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new BroadcastChannel(AUTH_CHANNEL);
    const done = (token) => { clearTimeout(timer); channel.close(); resolve(token); };
    const timer = setTimeout(() => done(null), timeoutMs);
    channel.onmessage = (e) => { if (e.data?.type === 'token' && e.data.token) done(e.data.token); };
    channel.postMessage({ type: 'token?' });
  });
}

export class Api {
  constructor({ base = location.origin, token = session.token, onUnauthorized = () => {} } = {}) {
    this.base = base;
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  // query: an object of parameters; null/undefined/'' values are left out, arrays repeat.
  async request(method, path, { json, query, raw = false } = {}) {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query || {})) {
      if (v === null || v === undefined || v === '') continue;
      url.searchParams.append(k, String(v));
    }
    const headers = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(url, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    } catch {
      throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
    }
    if (res.ok) {
      if (raw) return res;
      return res.status === 204 ? null : res.json().catch(() => null);
    }
    let code = `http_${res.status}`;
    let message = `The server answered ${res.status} ${res.statusText}. Try again; if it keeps failing, tell your administrator.`;
    let problems = [];
    try {
      const body = await res.json();
      if (body?.error?.code) code = body.error.code;
      if (body?.error?.message) message = body.error.message;
      if (Array.isArray(body?.error?.problems)) problems = body.error.problems;
    } catch { /* not JSON */ }
    if (res.status === 401) {
      message = 'Your token is not valid any more. Sign in again with a valid API token.';
      this.onUnauthorized();
    }
    throw new ApiError(res.status, code, message, problems);
  }

  get(path, query) { return this.request('GET', path, { query }); }
  post(path, json = {}) { return this.request('POST', path, { json }); }
  put(path, json) { return this.request('PUT', path, { json }); }
  patch(path, json) { return this.request('PATCH', path, { json }); }
  del(path) { return this.request('DELETE', path); }

  // Fetches a file from the API (with the token) and saves it under `filename`.
  async download(path, filename) {
    const res = await this.request('GET', path, { raw: true });
    const blob = await res.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }
}

export const enc = encodeURIComponent;
