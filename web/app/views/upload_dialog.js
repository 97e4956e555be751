// The Upload Data dialog: pick one CSV file (drop or browse, up to 4 GB), see the detected
// delimiter and encoding, map columns to fields (auto-matched, editable, remembered per
// campaign), preview the first rows with invalid cells explained, choose the duplicate policy
// and default phone region, then Upload. Resolves {file, mapping, options} or null.

import { h, clear, icon, formatBytes } from '../dom.js';
import { openDialog } from '../components/dialog.js';
import { loadIntake, rememberedMapping, rememberMapping, rememberedOptions, rememberOptions } from '../upload_runner.js';

export const MAX_BYTES = 4 * 1024 ** 3;
const PREVIEW_ROWS = 10;
const REGIONS = [['US', 'United States'], ['GB', 'United Kingdom'], ['CA', 'Canada'], ['AU', 'Australia'], ['IE', 'Ireland'],
  ['DE', 'Germany'], ['FR', 'France'], ['ES', 'Spain'], ['IT', 'Italy'], ['NL', 'Netherlands'], ['BR', 'Brazil'],
  ['MX', 'Mexico'], ['IN', 'India'], ['JP', 'Japan'], ['ZA', 'South Africa'], ['NZ', 'New Zealand']];
const POLICIES = [['update', 'Update existing participants'], ['skip', 'Skip rows matching existing participants'], ['reject', 'Reject duplicates as errors']];

// A workbook or other binary file saved with a .csv name, told by its first bytes: a zip
// container (.xlsx, .ods), an OLE one (.xls), or NUL bytes where text has none (UTF-16 files
// start with a byte order mark, which the core reports itself).
export async function binaryProblem(file) {
  const head = new Uint8Array(await file.slice(0, 4096).arrayBuffer());
  const starts = (...bytes) => bytes.every((b, i) => head[i] === b);
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0xd0, 0xcf, 0x11, 0xe0)) {
    return `“${file.name}” is a spreadsheet workbook (Excel or similar), not a CSV file. In your spreadsheet app, save it as “CSV UTF-8 (comma delimited)” and pick that file.`;
  }
  const utf16 = starts(0xff, 0xfe) || starts(0xfe, 0xff);
  if (!utf16 && head.includes(0)) return `“${file.name}” is not a text file (it holds binary data). Export your sheet as CSV (.csv) and pick that file.`;
  return null;
}

// Checks what can be checked before reading: one CSV file, not empty, not over 4 GB.
export function fileProblem(file) {
  if (!file) return 'Pick a CSV file.';
  const csvType = !file.type || /csv|comma-separated|text\/plain|excel/i.test(file.type);
  if (!/\.csv$/i.test(file.name) || !csvType) return `“${file.name}” is not a CSV file. Export your sheet as CSV (.csv) and pick that file.`;
  if (file.size === 0) return `“${file.name}” is empty. Pick a CSV file with a header row and at least one participant.`;
  if (file.size > MAX_BYTES) return `“${file.name}” is ${formatBytes(file.size)}; files up to 4 GB can be uploaded. Split it into smaller files.`;
  return null;
}

export function openUploadDialog({ campaignId, fields }) {
  const fieldByKey = new Map(fields.map((f) => [f.key, f]));
  const saved = rememberedOptions(campaignId);
  let file = null;
  let inspected = null;
  let mapping = {};   // header -> field key ('' = ignore)
  let busy = false;
  let seq = 0;        // the latest inspect(); older answers are dropped
  let built = null;   // the review's lasting parts for the current file (see buildReview)

  const dropError = h('p', { class: 'form-error', role: 'alert' });
  // The drop zone is the one tab stop (Enter or Space opens the picker) and has focus first.
  const input = h('input', { type: 'file', accept: '.csv,text/csv', id: 'upload-file', class: 'visually-hidden', tabindex: '-1' });
  const zone = h('label', { class: 'drop-zone', for: 'upload-file', tabindex: '0', role: 'button', 'aria-describedby': 'drop-help', autofocus: true },
    icon('upload'),
    h('span', { class: 'drop-title' }, 'Drop a CSV file here, or ', h('span', { class: 'link-like' }, 'browse')),
    h('span', { class: 'muted', id: 'drop-help' }, 'CSV only, up to 4 GB. The file is checked in your browser before anything is sent.'));
  const pickStep = h('div', { class: 'pick-step' }, input, zone, dropError);
  // The review is not a live region: it is patched in place, and this short status says what
  // changed ("3 rows with problems in the preview") instead of re-reading the tables.
  const review = h('div', { class: 'review-step' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'upload-review-status' });
  const uploadBtn = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => finish() }, icon('upload'), 'Upload');
  const cancelBtn = h('button', { type: 'button', onclick: () => dlg.close(null) }, 'Cancel');
  const policy = h('select', { id: 'duplicate-policy' }, POLICIES.map(([v, l]) => h('option', { value: v, selected: v === (saved.duplicate_policy ?? 'update') }, l)));
  const region = h('select', { id: 'default-region' }, REGIONS.map(([v, l]) => h('option', { value: v, selected: v === (saved.default_region ?? 'US') }, `${l} (${v})`)));
  policy.addEventListener('change', () => reinspect());
  region.addEventListener('change', () => reinspect());

  const dlg = openDialog({ title: 'Upload data', wide: true, className: 'upload-dialog', body: [pickStep, status, review], actions: [cancelBtn, uploadBtn] });

  input.addEventListener('change', () => { if (input.files[0]) choose(input.files[0]); });
  zone.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  for (const type of ['dragenter', 'dragover']) zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 1) { dropError.textContent = 'Drop one file at a time: an upload takes a single CSV file.'; return; }
    if (files[0]) choose(files[0]);
  });

  return dlg.closed.then((v) => v ?? null);

  function options() {
    return { duplicate_policy: policy.value, default_region: region.value };
  }

  async function choose(f) {
    let problem = fileProblem(f);
    if (!problem) problem = await binaryProblem(f).catch(() => null);
    dropError.textContent = problem ?? '';
    if (problem) { uploadBtn.disabled = true; return; }
    file = f;
    built = null;
    const remembered = rememberedMapping(campaignId);
    mapping = {};
    await inspect(null, remembered);
  }

  function reinspect() { if (file) inspect(mapping); }

  function chooseAnother() {
    pickStep.hidden = false;
    input.value = '';
    file = null;
    built = null;
    seq++;
    busy = false;
    clear(review);
    status.textContent = '';
    uploadBtn.disabled = true;
    zone.focus();
  }

  // First pass (explicit = null): auto-match, then apply what was remembered for this campaign.
  async function inspect(explicit, remembered = null) {
    const mine = ++seq;
    const current = () => mine === seq;
    busy = true;
    uploadBtn.disabled = true;
    if (built) review.setAttribute('aria-busy', 'true');
    else {
      clear(review, h('p', { class: 'muted' }, `Reading the start of “${file.name}”…`));
      status.textContent = `Reading the start of “${file.name}”…`;
    }
    try {
      const intake = await loadIntake();
      let result = await intake.inspect(file, { fields, mapping: explicit, options: options(), previewRows: PREVIEW_ROWS });
      // The core's mapping is taken only on the first pass: later, the user's choices stand
      // (where two columns go to one field the core leaves one out; the selects keep both and
      // show the conflict).
      let adopt = explicit === null;
      if (remembered && result.header?.headers) {
        const headers = result.header.headers;
        const applied = Object.fromEntries(Object.entries(remembered).filter(([hd, k]) => headers.includes(hd) && (k === '' || fieldByKey.has(k))));
        if (Object.keys(applied).length) {
          mapping = { ...result.header.mapping, ...applied };
          for (const k of Object.keys(mapping)) if (mapping[k] === null) mapping[k] = '';
          result = await intake.inspect(file, { fields, mapping, options: options(), previewRows: PREVIEW_ROWS });
          adopt = false;
        }
      }
      if (!current()) return;
      inspected = result;
      if (adopt && result.header?.mapping) {
        mapping = Object.fromEntries(Object.entries(result.header.mapping).map(([k, v]) => [k, v ?? '']));
      }
      drawReview();
    } catch (e) {
      if (!current()) return;
      const hadFocus = review.contains(document.activeElement);
      built = null;
      pickStep.hidden = false;
      status.textContent = '';
      clear(review, h('p', { class: 'form-error', role: 'alert' }, `This file could not be read: ${e.message}. Check that it is a CSV file and pick it again.`));
      if (hadFocus || !dlg.el.contains(document.activeElement)) zone.focus();
    } finally {
      if (current()) { busy = false; review.removeAttribute('aria-busy'); }
    }
  }

  // The lasting parts (file heading, mapping selects, options) are built once per file; each
  // later inspection patches the select values, notes and preview around them, so the control
  // being changed keeps focus. The first time, focus moves from the (now hidden) drop zone to
  // the file name heading.
  function drawReview() {
    const r = inspected;
    const head = r.header;
    const missing = head?.missing_required ?? [];
    const noRows = head && !r.file_error && !r.rows?.length;
    const canUpload = !r.file_error && !missing.length && head && !noRows;
    uploadBtn.disabled = !canUpload;

    const first = !built || built.hasMapping !== Boolean(head);
    if (first) {
      const focusWasOutside = !review.contains(document.activeElement);
      const focusedId = review.contains(document.activeElement) ? document.activeElement.id : null;
      buildReview(head);
      pickStep.hidden = true;
      const again = focusedId && document.getElementById(focusedId);
      if (again) again.focus();
      else if (focusWasOutside && (pickStep.contains(document.activeElement) || !dlg.el.contains(document.activeElement) || document.activeElement === dlg.el)) built.heading.focus();
    } else if (head) {
      for (const select of built.selects) {
        const want = mapping[select.dataset.header] ?? '';
        if (select.value !== want) select.value = want;
      }
    }
    // Columns sent to one field: both selects are marked, and point at the message.
    const uses = new Map();
    for (const select of built.selects) if (select.value) uses.set(select.value, (uses.get(select.value) ?? 0) + 1);
    for (const select of built.selects) {
      const clash = Boolean(select.value) && uses.get(select.value) > 1;
      select.classList.toggle('select-invalid', clash);
      if (clash) { select.setAttribute('aria-invalid', 'true'); select.setAttribute('aria-describedby', 'upload-file-problems'); }
      else { select.removeAttribute('aria-invalid'); select.removeAttribute('aria-describedby'); }
    }

    const dialect = r.dialect ?? head?.dialect;
    clear(built.facts, dialect ? [
      h('div', {}, h('dt', {}, 'Delimiter'), h('dd', { class: 'detected-delimiter' }, `${dialect.delimiter_name ?? dialect.delimiter}`)),
      h('div', {}, h('dt', {}, 'Encoding'), h('dd', { class: 'detected-encoding' }, `${dialect.encoding}${dialect.bom ? ' (with BOM)' : ''}`)),
      h('div', {}, h('dt', {}, 'Columns'), h('dd', {}, head?.headers?.length ?? 0))] : null);
    built.facts.hidden = !dialect || !head;  // (no header read: the facts would contradict the error)

    const fileProblemText = r.file_error && !missing.length ? r.file_error.message
      : noRows ? 'The file has a header row but no participants: add at least one row below the header.' : '';
    patchNote(built.problems, fileProblemText, () => h('p', { class: 'form-error' }, fileProblemText));
    const missingText = missing.length ? `Required ${missing.length === 1 ? 'field is' : 'fields are'} not mapped: ${missing.map((m) => m.label).join(', ')}. Map a column to ${missing.length === 1 ? 'it' : 'each'} or add the column to the file.` : '';
    patchNote(built.missing, missingText, () => h('p', { class: 'form-error missing-required' }, missingText));
    const optionalText = head?.missing_optional?.length ? `Not in this file (optional): ${head.missing_optional.map((m) => m.label).join(', ')}.` : '';
    patchNote(built.optional, optionalText, () => h('p', { class: 'muted' }, optionalText));

    const { node, invalidRows } = preview(r);
    const focusInPreview = built.preview.contains(document.activeElement);
    clear(built.preview, node);
    if (focusInPreview) built.heading.focus();

    const shown = r.rows?.length ?? 0;
    status.textContent = [
      fileProblemText,
      missingText ? `Required ${missing.length === 1 ? 'field' : 'fields'} not mapped: ${missing.map((m) => m.label).join(', ')}.` : '',
      head && shown ? (invalidRows ? `${invalidRows} ${invalidRows === 1 ? 'row' : 'rows'} with problems in the preview of the first ${shown} rows.` : `No problems in the preview of the first ${shown} rows.`) : '',
      canUpload ? 'Ready to upload.' : '',
    ].filter(Boolean).join(' ');
  }

  // A note container: its content is replaced only when its text changes.
  function patchNote(box, text, make) {
    if (box.dataset.text === text) return;
    box.dataset.text = text;
    clear(box, text ? make() : null);
  }

  function buildReview(head) {
    const heading = h('h3', { class: 'file-name-heading', id: 'upload-file-name', tabindex: '-1' },
      h('span', { class: 'file-name' }, file.name), ' ', h('span', { class: 'muted file-size' }, formatBytes(file.size)));
    const fileLine = h('div', { class: 'file-line' }, heading,
      h('button', { type: 'button', class: 'link-button', id: 'choose-another-file', onclick: chooseAnother }, 'Choose another file'));
    const selects = head ? head.headers.map((header, i) => h('select', { id: `map-${i}`, 'data-header': header, onchange: (e) => { mapping[header] = e.target.value; reinspect(); } },
      h('option', { value: '' }, '— Ignore this column —'),
      fields.filter((f) => f.import !== false).map((f) => h('option', { value: f.key, selected: mapping[header] === f.key }, `${f.label}${f.required ? ' *' : ''}`)))) : [];
    const mappingTable = head ? h('table', { class: 'mapping-table' },
      h('caption', {}, 'Columns to fields'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Column in the file'), h('th', { scope: 'col' }, 'Campaign field'))),
      h('tbody', {}, head.headers.map((header, i) => h('tr', {},
        h('th', { scope: 'row' }, h('label', { for: `map-${i}` }, header || h('em', {}, '(empty header)'))), h('td', {}, selects[i]))))) : null;
    built = {
      hasMapping: Boolean(head), heading, selects,
      facts: h('dl', { class: 'facts' }),
      problems: h('div', { class: 'file-problems', id: 'upload-file-problems' }),
      missing: h('div', { class: 'missing-note' }),
      optional: h('div', { class: 'optional-note' }),
      preview: h('div', { class: 'preview-box' }),
    };
    clear(review,
      fileLine,
      built.facts,
      built.problems,
      h('div', { class: 'review-grid' },
        h('section', { class: 'mapping' }, mappingTable, built.missing, built.optional),
        h('section', { class: 'options' },
          h('h3', {}, 'Options'),
          h('label', { for: 'duplicate-policy' }, 'When a participant already exists'), policy,
          h('label', { for: 'default-region' }, 'Default phone region'), region,
          h('p', { class: 'help' }, 'Phone numbers without a country code are read as numbers of this region and stored in international (E.164) form.'))),
      built.preview);
  }

  function preview(r) {
    const head = r.header;
    if (!head || !r.rows?.length) return { node: h('p', { class: 'muted' }, r.file_error ? '' : 'No data rows in the start of this file.'), invalidRows: 0 };
    const columnOfField = new Map();
    head.headers.forEach((hd, i) => { if (mapping[hd]) columnOfField.set(mapping[hd], i); });
    const notes = [];
    let invalidRows = 0;
    const body = r.rows.map((row) => {
      const byColumn = new Map();
      if (row.errors?.length) invalidRows++;
      for (const e of row.errors ?? []) {
        const col = columnOfField.get(e.field);
        const label = fieldByKey.get(e.field)?.label ?? (e.field || '(row)');
        notes.push({ row: row.row, label, message: e.message, value: e.value });
        if (col !== undefined) byColumn.set(col, [...(byColumn.get(col) ?? []), e.message]);
      }
      return h('tr', { class: row.errors?.length ? 'row-invalid' : '' },
        h('th', { scope: 'row' }, row.row),
        head.headers.map((_, i) => {
          const msgs = byColumn.get(i);
          const text = row.cells[i] ?? '';
          return msgs ? h('td', { class: 'cell-invalid', title: msgs.join(' · '), tabindex: '0', 'aria-label': `${text || 'empty'}: ${msgs.join('; ')}` }, text || h('span', { class: 'muted' }, '(empty)'))
            : h('td', {}, text);
        }));
    });
    return { invalidRows, node: h('section', { class: 'preview' },
      h('h3', {}, `Preview: first ${r.rows.length} rows`, invalidRows ? h('span', { class: 'badge badge-bad' }, `${invalidRows} with problems`) : h('span', { class: 'badge badge-good' }, 'no problems')),
      h('div', { class: 'table-wrap preview-wrap' }, h('table', { class: 'preview-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Row'), head.headers.map((hd) => h('th', { scope: 'col' }, hd, mapping[hd] ? h('span', { class: 'mapped-to' }, `→ ${fieldByKey.get(mapping[hd])?.label ?? mapping[hd]}`) : h('span', { class: 'mapped-to ignored' }, 'ignored'))))),
        h('tbody', {}, body))),
      notes.length ? h('ul', { class: 'preview-notes' }, notes.slice(0, 20).map((n) => h('li', {}, h('strong', {}, `Row ${n.row}, ${n.label}: `), n.message))) : null,
      notes.length ? h('p', { class: 'help' }, 'Rows with problems are skipped and listed in the error report; all other rows are imported.') : null) };
  }

  function finish() {
    if (busy || !file || uploadBtn.disabled) return;
    rememberMapping(campaignId, mapping);
    rememberOptions(campaignId, options());
    dlg.close({ file, mapping: { ...mapping }, options: options() });
  }
}
