// Node tests of the browser module's bindings (wasm/bindings.cpp): inspect, the streaming
// Validator (results identical whatever the slicing, batches in the core's format, errors as
// plain records), setup errors as values, encodings and dialects, and a heap that stays under
// 64 MiB and flat whatever the file size. Run: node --test tests/wasm/
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import { loadIntakeModule } from './load_module.mjs';
import {
  participantFields, participantsCsv, europeanFields, europeanText, windows1252, withBom,
} from './fixtures.mjs';

let M;
before(async () => { M = await loadIntakeModule(); });

const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);
const FIELDS = JSON.stringify(participantFields);

// Validates `bytes` pushed in slices of `sliceBytes`; returns everything the Validator produced.
function validate(bytes, { fields = FIELDS, mapping = '', options = {}, sliceBytes = bytes.length || 1 } = {}) {
  const v = new M.Validator(fields, mapping, options);
  const out = { header: null, batches: [], errors: [], errors_json: [], counts: null, file_error: null };
  try {
    const take = (r) => {
      if (r.header) out.header = r.header;
      out.batches.push(...r.batches);
      out.errors.push(...r.errors);
      for (const text of r.errors_json) out.errors_json.push(...JSON.parse(text));
      out.counts = r.counts;
      out.file_error = r.file_error;
    };
    for (let i = 0; i < bytes.length; i += sliceBytes) take(v.push(bytes.subarray(i, i + sliceBytes)));
    take(v.finish());
    return out;
  } finally {
    v.delete();
  }
}

test('inspect reports dialect, mapping, missing fields and per-cell errors of the first rows', () => {
  const csv = 'External ID,E-mail,Plan,Colour\r\nP1,a@b.com,free,red\r\nP2,bad@,gold,blue\r\nP3,c@d.com,pro,';
  const fields = JSON.stringify({ fields: [...participantFields.fields.filter((f) => f.key !== 'email'),
    { key: 'email', label: 'Email', type: 'email', required: true, import: true, identity: 'email' }] });
  const r = M.inspect(enc(csv), fields, JSON.stringify({ 'E-mail': 'email' }), {}, 10, false);
  assert.equal(r.file_error, null);
  assert.equal(r.dialect.delimiter, ',');
  assert.equal(r.dialect.encoding, 'utf-8');
  assert.deepEqual(r.header.headers, ['External ID', 'E-mail', 'Plan', 'Colour']);
  assert.deepEqual(r.header.mapping, { 'External ID': 'external_id', 'E-mail': 'email', Plan: 'plan', Colour: null });
  assert.equal(r.header.columns[1].explicit, true);
  assert.deepEqual(r.header.extra_columns, ['Colour']);
  assert.deepEqual(r.header.missing_required, []);
  assert.ok(r.header.missing_optional.some((f) => f.key === 'phone'));
  // Not the whole file: the last, unterminated row is left out.
  assert.deepEqual(r.rows.map((x) => x.row), [2, 3]);
  assert.deepEqual(r.rows[0].cells, ['P1', 'a@b.com', 'free', 'red']);
  assert.equal(r.rows[0].values.email, 'a@b.com');
  // Errors come in Data-tab order (email is the last field here).
  assert.deepEqual(r.rows[1].errors.map((e) => [e.field, e.code]), [['plan', 'invalid_enum'], ['email', 'invalid_email']]);
  assert.equal(r.rows[1].values, null);

  const whole = M.inspect(enc(csv), fields, JSON.stringify({ 'E-mail': 'email' }), {}, 10, true);
  assert.deepEqual(whole.rows.map((x) => x.row), [2, 3, 4]);
});

test('inspect names the required fields no column feeds', () => {
  const r = M.inspect(enc('name,phone\nAna,+14155550123\n'), FIELDS, '', {}, 5, true);
  assert.equal(r.file_error.code, 'missing_required_columns');
  assert.deepEqual(r.header.missing_required.map((f) => f.key), ['external_id', 'email']);
  assert.match(r.file_error.message, /External ID/);
});

test('inspect without fields reports the dialect and header only', () => {
  const r = M.inspect(enc('a;b\r\n1;2,5\r\n'), '', '', {}, 5, true);
  assert.equal(r.file_error, null);
  assert.equal(r.dialect.delimiter, ';');
  assert.deepEqual(r.header.headers, ['a', 'b']);
  assert.deepEqual(r.header.extra_columns, ['a', 'b']);
  assert.deepEqual(r.rows[0].cells, ['1', '2,5']);
});

test('the Validator gives identical results whatever the slicing', () => {
  const bytes = enc(participantsCsv(600, { badEvery: 7 }));
  const whole = validate(bytes, { options: { batch_rows: 100 } });
  assert.equal(whole.file_error, null);
  assert.equal(whole.counts.rows, 600);
  assert.ok(whole.errors.length > 80);
  for (const sliceBytes of [1, 3, 61, 4096, 65537]) {
    const sliced = validate(bytes, { options: { batch_rows: 100 }, sliceBytes });
    assert.deepEqual(sliced.errors, whole.errors, `errors with ${sliceBytes}-byte slices`);
    assert.deepEqual(sliced.counts, whole.counts, `counts with ${sliceBytes}-byte slices`);
    assert.deepEqual(sliced.batches.map((b) => [b.seq, b.first_row, b.last_row, b.rows, dec(b.body)]),
                     whole.batches.map((b) => [b.seq, b.first_row, b.last_row, b.rows, dec(b.body)]));
  }
});

test('errors_as_json gives the same records as JSON text, whatever the slicing', () => {
  // Over 1 MiB of error JSON in one push: the records come in more than one text, in order.
  const bytes = enc(participantsCsv(30000, { badEvery: 2 }));
  const objects = validate(bytes);
  assert.deepEqual(objects.errors_json, []);
  assert.ok(JSON.stringify(objects.errors).length > 1 << 20);
  for (const sliceBytes of [bytes.length, 65537, 4099]) {
    const texts = validate(bytes, { options: { errors_as_json: true }, sliceBytes });
    assert.deepEqual(texts.errors, []);
    assert.deepEqual(texts.errors_json, objects.errors, `${sliceBytes}-byte slices`);
    assert.deepEqual(texts.counts, objects.counts);
  }
});

test('batch_body_buffer: bodies are copied into the lent arrays; a wrong one gets a new array', () => {
  const bytes = enc(participantsCsv(900, { badEvery: 9 }));
  const plain = validate(bytes, { options: { batch_rows: 100 } });
  const asked = [];
  const lent = validate(bytes, {
    options: {
      batch_rows: 100,
      batch_body_buffer: (n) => { asked.push(n); return new Uint8Array(new ArrayBuffer(n + 64), 32, n); },
    },
  });
  assert.ok(plain.batches.length >= 8);
  assert.deepEqual(asked, plain.batches.map((b) => b.body.length));
  assert.deepEqual(lent.batches.map((b) => [b.body.byteOffset, b.body.buffer.byteLength]),
                   plain.batches.map((b) => [32, b.body.length + 64]));
  assert.deepEqual(lent.batches.map((b) => dec(b.body)), plain.batches.map((b) => dec(b.body)));
  // Not a Uint8Array of the size asked for: the body is a new array as without the option.
  for (const wrong of [() => null, (n) => new Uint8Array(n + 1), (n) => new Uint16Array(n)]) {
    const r = validate(bytes, { options: { batch_rows: 100, batch_body_buffer: wrong } });
    assert.deepEqual(r.batches.map((b) => dec(b.body)), plain.batches.map((b) => dec(b.body)));
    assert.ok(r.batches.every((b) => b.body.byteOffset === 0 && b.body.buffer.byteLength === b.body.length));
  }
});

test('batches are the core batch format, numbered from 0, bounded in rows, covering every clean row', () => {
  const bytes = enc(participantsCsv(250, { badEvery: 10 }));
  const r = validate(bytes, { options: { batch_rows: 40 } });
  assert.deepEqual(r.batches.map((b) => b.seq), r.batches.map((_, i) => i));
  assert.ok(r.batches.every((b) => b.rows <= 40));
  assert.equal(r.batches.reduce((n, b) => n + b.rows, 0), r.counts.valid);
  const first = dec(r.batches[0].body).split('\r\n');
  assert.equal(first[0], '_row,external_id,name,email,phone,timezone,signup_date,plan,notes');
  assert.match(first[1], /^2,P000000001,/);
  assert.ok(r.batches[0].body instanceof Uint8Array);
  // Phones come out in E.164, timezones canonical: the batch carries normalized values.
  assert.ok(dec(r.batches[0].body).split('\r\n').slice(1, -1).every((l) => /,\+1\d{10},/.test(l)));
  assert.ok(!r.batches.map((b) => dec(b.body)).join('').includes('europe/london'));
  // A failed row is in no batch; its row number is in the errors.
  const failedRows = new Set(r.errors.map((e) => e.row));
  for (const b of r.batches) {
    for (const line of dec(b.body).split('\r\n').slice(1)) {
      if (/^\d+,/.test(line)) assert.ok(!failedRows.has(Number(line.split(',')[0])));
    }
  }
});

test('error records carry row, field, value, code and message', () => {
  const r = validate(enc(participantsCsv(30, { badEvery: 3 })));
  const byCode = Object.fromEntries(r.errors.map((e) => [e.code, e]));
  assert.deepEqual(byCode.invalid_date, {
    row: byCode.invalid_date.row, field: 'signup_date', value: '2023-02-30', code: 'invalid_date',
    message: byCode.invalid_date.message,
  });
  assert.equal(byCode.wrong_field_count.field, '');
  assert.equal(byCode.required_missing.field, 'external_id');
  assert.ok(r.errors.every((e) => typeof e.message === 'string' && e.message.length > 10));
  assert.equal(r.counts.errors, r.errors.length);
  assert.equal(r.counts.by_field_code.reduce((n, t) => n + t.count, 0), r.errors.length);
});

test('duplicates: the reject policy makes them errors, update lets them through', () => {
  const csv = `${participantsCsv(3)}P000000001,Again,again@example.com,,,,,\r\n`;
  const update = validate(enc(csv));
  assert.equal(update.counts.duplicates, 1);
  assert.equal(update.errors.length, 0);
  const reject = validate(enc(csv), { options: { duplicate_policy: 'reject' } });
  assert.deepEqual(reject.errors.map((e) => [e.row, e.field, e.code]), [[5, 'external_id', 'duplicate_identity']]);
});

test('semicolons, CRLF, Windows-1252 and a UTF-8 BOM are read alike', () => {
  const fields = JSON.stringify(europeanFields);
  const a = validate(windows1252(europeanText), { fields });
  const b = validate(withBom(enc(europeanText)), { fields });
  assert.equal(a.header.dialect.encoding, 'windows-1252');
  assert.equal(a.header.dialect.delimiter, ';');
  assert.equal(b.header.dialect.encoding, 'utf-8');
  assert.equal(b.header.dialect.bom, true);
  for (const r of [a, b]) {
    assert.equal(r.file_error, null);
    assert.deepEqual(r.errors.map((e) => [e.row, e.field, e.code, e.value]),
                     [[3, 'email', 'invalid_email', 'jose@'], [4, 'signup_date', 'invalid_date', '30/02/2024']]);
    const body = dec(r.batches[0].body);
    assert.match(body, /^_row,external_id,name,email,amount,signup_date\r\n2,E1,Renée Müller,renee@example.fr,"1,50 €",2024-01-31\r\n/);
    assert.match(body, /\r\n5,E4,Françoise,fr@example.fr,"0,99 €",2024-03-15\r\n$/);
  }
  assert.deepEqual(a.batches.map((x) => dec(x.body)), b.batches.map((x) => dec(x.body)));
});

test('a UTF-8 BOM before Windows-1252 text', () => {
  const r = validate(withBom(windows1252(europeanText)), { fields: JSON.stringify(europeanFields) });
  assert.equal(r.file_error, null);
  assert.equal(r.errors.length, 2);
});

test('invalid fields, mapping and options are reported as values, not thrown', () => {
  const cases = [
    ['[{"key":"A b","label":"x","type":"text"}]', '', {}, 'invalid_fields'],
    ['not json', '', {}, 'invalid_fields'],
    [FIELDS, '["email"]', {}, 'invalid_mapping'],
    [FIELDS, '', { duplicate_policy: 'merge' }, 'invalid_options'],
    [FIELDS, '', { delimiter: 'xx' }, 'invalid_options'],
    [FIELDS, '', { batch_rows: 0 }, 'invalid_options'],
    [FIELDS, '', { duplicate_capacity: 1e9 }, 'invalid_options'],
  ];
  for (const [fields, mapping, options, code] of cases) {
    const r = validate(enc(participantsCsv(3)), { fields, mapping, options });
    assert.equal(r.file_error?.code, code, JSON.stringify([fields, mapping, options]));
    assert.equal(r.batches.length, 0);
    assert.ok(r.file_error.message.length > 10);
  }
  const r = validate(enc(participantsCsv(3)), { mapping: '{"email":"nope"}' });
  assert.equal(r.file_error.code, 'invalid_mapping');
  const empty = validate(new Uint8Array(0));
  assert.equal(empty.file_error.code, 'empty_file');
});

test('an explicit delimiter option overrides sniffing', () => {
  const r = validate(enc('external_id|email\nP1|a@b.com\n'), { options: { delimiter: 'pipe' } });
  assert.equal(r.header.dialect.delimiter, '|');
  assert.equal(r.counts.valid, 1);
});

test('checkFields, sniffDialect and hashBytes', () => {
  const ok = M.checkFields(JSON.stringify(participantFields));
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.fields.length, 8);
  const bad = M.checkFields('[{"key":"email","label":"E","type":"email"},{"key":"email","label":"F","type":"text"}]');
  assert.ok(bad.problems.length > 0);
  assert.equal(M.sniffDialect(enc('a;b;c\n1;2,5;3\n')).delimiter, ';');
  assert.match(M.hashBytes(enc('abc')), /^[0-9a-f]{16}$/);
  assert.equal(M.hashBytes(enc('abc')), M.hashBytes(enc('abc').buffer));
  assert.notEqual(M.hashBytes(enc('abc')), M.hashBytes(enc('abd')));
});

test('a deleted Validator cannot be used', () => {
  const v = new M.Validator(FIELDS, '', {});
  v.delete();
  assert.throws(() => v.push(enc('x')), /deleted/);
});

test('the heap stays under 64 MiB and flat from 40 MB to 160 MB of input', () => {
  // One block of rows repeated with fresh ids, fed in 4 MiB slices like the Worker does.
  const header = enc(`${participantsCsv(0).trimEnd()}\r\n`);
  const rows = participantsCsv(20000).split('\r\n').slice(1, -1);
  let next = 1;
  const block = () => enc(rows.map((l) => l.replace(/^P\d+/, () => `Q${next++}`)).join('\r\n') + '\r\n');
  const run = (megabytes) => {
    const v = new M.Validator(FIELDS, '', {});
    try {
      v.push(header);
      let fed = 0;
      let valid = 0;
      while (fed < megabytes * 1e6) {
        const b = block();
        const r = v.push(b);
        valid += r.batches.reduce((n, x) => n + x.rows, 0);
        fed += b.length;
      }
      const r = v.finish();
      valid += r.batches.reduce((n, x) => n + x.rows, 0);
      assert.equal(valid, r.counts.valid);
      return M.heapBytes();
    } finally {
      v.delete();
    }
  };
  const small = run(40);
  const large = run(160);
  assert.ok(large <= 64 * 1024 * 1024, `heap ${large} bytes`);
  assert.ok(large <= small * 1.1, `heap grew from ${small} to ${large} bytes`);
});
