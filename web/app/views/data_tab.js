// The Data tab: the campaign's ordered field list — add, remove, reorder, type, required,
// import, enum values, date format, identity — saved with PUT fields. The server's 422
// problems are shown beside the field they are about.

import { h, clear, icon } from '../dom.js';
import { enc } from '../api.js';
import { toast } from '../components/toasts.js';
import { confirmDialog } from '../components/dialog.js';
import { leaveGuard } from '../leave_guard.js';

export const FIELD_TYPES = ['text', 'email', 'phone', 'date', 'datetime', 'number', 'boolean', 'enum', 'timezone'];
const IDENTITIES = [['', 'None'], ['name', 'Name'], ['email', 'Email'], ['phone', 'Phone'], ['external_id', 'External ID']];
const DATE_FORMATS = ['', 'YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD.MM.YYYY', 'DD-MM-YYYY'];

const keyFromLabel = (label) => label.trim().toLowerCase().normalize('NFKD').replace(/[^\w]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);

export function renderDataTab(panel, { api, campaignId }) {
  let fields = [];
  let problems = [];     // [{index, path, message}]
  let dirty = false;
  let disposed = false;
  let uid = 0;
  const list = h('ol', { class: 'field-list', 'aria-label': 'Fields in Details order' });
  const status = h('p', { class: 'save-status', role: 'status', 'aria-live': 'polite' });
  const topError = h('div', { class: 'form-error', role: 'alert' });
  const saveBtn = h('button', { type: 'button', class: 'primary', onclick: save }, 'Save fields');
  const addBtn = h('button', { type: 'button', onclick: add }, icon('plus'), 'Add field');

  clear(panel,
    h('div', { class: 'section-head' },
      h('div', {}, h('h2', {}, 'Fields'),
        h('p', { class: 'muted' }, 'The columns an upload reads and checks, in the order Details shows them. Only imported fields are read from the file.')),
      h('div', { class: 'actions' }, addBtn, saveBtn)),
    topError, list, h('div', { class: 'section-foot' }, status, h('div', { class: 'actions' }, h('button', { type: 'button', onclick: add }, icon('plus'), 'Add field'), h('button', { type: 'button', class: 'primary', onclick: save }, 'Save fields'))));

  const onBeforeUnload = (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } };
  window.addEventListener('beforeunload', onBeforeUnload);
  const unsaved = () => dirty;
  leaveGuard.unsaved = unsaved;  // a link inside the app asks first (main.js)

  load();
  return () => {
    disposed = true;
    window.removeEventListener('beforeunload', onBeforeUnload);
    if (leaveGuard.unsaved === unsaved) leaveGuard.unsaved = null;
  };

  async function load() {
    list.setAttribute('aria-busy', 'true');
    try {
      const res = await api.get(`/api/v1/campaigns/${enc(campaignId)}/fields`);
      if (disposed) return;
      fields = res.fields.map((f) => ({ ...f, _id: ++uid, _keyEdited: true }));
      list.removeAttribute('aria-busy');
      draw();
    } catch (err) {
      list.removeAttribute('aria-busy');
      clear(topError, `The fields could not be loaded: ${err.message}`);
    }
  }

  function markDirty() {
    dirty = true;
    status.textContent = 'Unsaved changes';
    status.className = 'save-status dirty';
  }

  function add() {
    fields.push({ _id: ++uid, key: '', label: '', type: 'text', required: false, import: true, _keyEdited: false });
    markDirty();
    draw();
    list.lastElementChild?.querySelector('input')?.focus();
  }

  function problemsFor(index) {
    return problems.filter((p) => p.index === index);
  }

  function draw() {
    const general = problems.filter((p) => p.index === undefined || p.index === null || p.index < 0 || p.index >= fields.length);
    clear(topError, problems.length ? [
      h('p', {}, `The fields were not saved: ${problems.length === 1 ? 'one problem needs' : `${problems.length} problems need`} fixing (shown below).`),
      general.length ? h('ul', {}, general.map((p) => h('li', {}, `${p.path ? `${p.path}: ` : ''}${p.message}`))) : null,
    ] : []);
    if (!fields.length) {
      clear(list, h('li', { class: 'empty-state' }, h('p', { class: 'empty-title' }, 'No fields'), h('p', {}, 'Add the fields your CSV files carry. Every campaign needs at least its identity fields.')));
      return;
    }
    clear(list, fields.map((f, i) => fieldRow(f, i)));
  }

  function fieldRow(f, i) {
    const id = `f${f._id}`;
    const errs = problemsFor(i);
    const errId = `${id}-errors`;
    const describedBy = errs.length ? errId : null;
    const update = (patch, redraw = false) => {
      Object.assign(f, patch);
      markDirty();
      if (redraw) draw();
    };
    const label = h('input', { id: `${id}-label`, value: f.label ?? '', 'aria-describedby': describedBy, 'aria-invalid': errs.length ? 'true' : false,
      oninput: (e) => {
        update({ label: e.target.value });
        if (!f._keyEdited) { f.key = keyFromLabel(e.target.value); key.value = f.key; }
      } });
    const key = h('input', { id: `${id}-key`, value: f.key ?? '', spellcheck: 'false', class: 'mono', 'aria-describedby': describedBy,
      oninput: (e) => update({ key: e.target.value, _keyEdited: true }) });
    const type = h('select', { id: `${id}-type`, onchange: (e) => {
      const t = e.target.value;
      const patch = { type: t };
      if (t === 'enum' && !Array.isArray(f.values)) patch.values = [];
      update(patch, true);
      document.getElementById(`${id}-type`)?.focus();
    } }, FIELD_TYPES.map((t) => h('option', { value: t, selected: t === f.type }, t)));
    const identity = h('select', { id: `${id}-identity`, onchange: (e) => update({ identity: e.target.value || undefined }) },
      IDENTITIES.map(([v, l]) => h('option', { value: v, selected: (f.identity ?? '') === v }, l)));
    const check = (name, text) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', id: `${id}-${name}`, checked: Boolean(f[name]), onchange: (e) => update({ [name]: e.target.checked }) }), text);
    const extras = [];
    if (f.type === 'enum') {
      extras.push(h('div', { class: 'field-prop wide' },
        h('label', { for: `${id}-values` }, 'Allowed values ', h('span', { class: 'muted' }, '(comma separated)')),
        h('input', { id: `${id}-values`, value: (f.values ?? []).join(', '), 'aria-describedby': describedBy,
          oninput: (e) => update({ values: e.target.value.split(',').map((v) => v.trim()).filter(Boolean) }) })));
    }
    if (f.type === 'date' || f.type === 'datetime') {
      const listId = `${id}-formats`;
      extras.push(h('div', { class: 'field-prop' },
        h('label', { for: `${id}-format` }, 'Date format ', h('span', { class: 'muted' }, '(optional)')),
        h('input', { id: `${id}-format`, value: f.format ?? '', list: listId, placeholder: 'auto-detect', class: 'mono',
          oninput: (e) => update({ format: e.target.value.trim() || undefined }) }),
        h('datalist', { id: listId }, DATE_FORMATS.filter(Boolean).map((d) => h('option', { value: d })))));
    }
    const move = (delta) => {
      const j = i + delta;
      if (j < 0 || j >= fields.length) return;
      [fields[i], fields[j]] = [fields[j], fields[i]];
      shiftProblems(i, j);
      markDirty();
      draw();
      list.children[j]?.querySelector(delta < 0 ? '.move-up' : '.move-down')?.focus();
      status.textContent = `Moved “${f.label || f.key || 'field'}” to position ${j + 1}. Unsaved changes`;
    };
    const remove = async () => {
      if (f.identity && !(await confirmDialog({ title: 'Remove identity field?', message: `“${f.label}” identifies participants. Remove it anyway?`, confirmLabel: 'Remove', danger: true }))) return;
      fields.splice(i, 1);
      problems = problems.filter((p) => p.index !== i).map((p) => (p.index > i ? { ...p, index: p.index - 1 } : p));
      markDirty();
      draw();
      status.textContent = `Removed “${f.label || f.key || 'field'}”. Unsaved changes`;
      (list.children[Math.min(i, fields.length - 1)]?.querySelector('input') ?? addBtn).focus();
    };
    return h('li', { class: `field-row ${errs.length ? 'has-error' : ''}`, dataset: { key: f.key ?? '' } },
      h('div', { class: 'field-order' },
        h('span', { class: 'field-index', 'aria-hidden': 'true' }, i + 1),
        h('button', { type: 'button', class: 'icon-button move-up', 'aria-label': `Move ${f.label || 'field'} up`, disabled: i === 0, onclick: () => move(-1) }, icon('up')),
        h('button', { type: 'button', class: 'icon-button move-down', 'aria-label': `Move ${f.label || 'field'} down`, disabled: i === fields.length - 1, onclick: () => move(1) }, icon('down'))),
      h('div', { class: 'field-props' },
        h('div', { class: 'field-prop' }, h('label', { for: `${id}-label` }, 'Label'), label),
        h('div', { class: 'field-prop' }, h('label', { for: `${id}-key` }, 'Key'), key),
        h('div', { class: 'field-prop' }, h('label', { for: `${id}-type` }, 'Type'), type),
        h('div', { class: 'field-prop' }, h('label', { for: `${id}-identity` }, 'Identity'), identity),
        h('div', { class: 'field-prop checks' }, check('required', 'Required'), check('import', 'Import')),
        extras,
        errs.length ? h('ul', { class: 'field-errors', id: errId }, errs.map((p) => h('li', {}, p.message))) : null),
      h('button', { type: 'button', class: 'icon-button danger-icon', 'aria-label': `Remove ${f.label || 'field'}`, onclick: remove }, icon('trash')));
  }

  function shiftProblems(i, j) {
    problems = problems.map((p) => (p.index === i ? { ...p, index: j } : p.index === j ? { ...p, index: i } : p));
  }

  function payload() {
    return fields.map((f) => {
      const out = { key: f.key.trim(), label: f.label.trim(), type: f.type, required: Boolean(f.required), import: Boolean(f.import) };
      if (f.type === 'enum') out.values = f.values ?? [];
      if ((f.type === 'date' || f.type === 'datetime') && f.format) out.format = f.format;
      if (f.identity) out.identity = f.identity;
      return out;
    });
  }

  async function save() {
    const pressed = document.activeElement;  // disabled while saving: focus comes back to it
    const buttons = panel.querySelectorAll('button.primary');
    buttons.forEach((b) => { b.disabled = true; });
    status.textContent = 'Saving…';
    try {
      const res = await api.put(`/api/v1/campaigns/${enc(campaignId)}/fields`, { fields: payload() });
      if (disposed) return;
      problems = [];
      dirty = false;
      fields = res.fields.map((f) => ({ ...f, _id: ++uid, _keyEdited: true }));
      draw();
      status.textContent = `Saved ${fields.length} field${fields.length === 1 ? '' : 's'}.`;
      status.className = 'save-status saved';
      toast('Fields saved.');
    } catch (err) {
      if (disposed) return;
      if (err.status === 422) {
        problems = err.problems.length ? err.problems : [{ index: -1, path: '', message: err.message }];
        draw();
        status.textContent = 'Not saved: fix the problems shown.';
        status.className = 'save-status dirty';
        panel.querySelector('.field-row.has-error input')?.focus();
      } else {
        problems = [];
        draw();
        clear(topError, h('p', {}, err.status === 409 ? `${err.message} The fields can be changed once the upload has finished.` : `The fields were not saved: ${err.message}`));
        status.textContent = 'Not saved.';
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      if (!disposed && (document.activeElement === document.body || !document.activeElement) && pressed?.isConnected) pressed.focus();
    }
  }
}
