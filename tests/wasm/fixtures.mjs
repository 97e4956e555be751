// Test inputs shared by the module's node and browser tests: the participants field list (as
// ../shared/bench/fields.json) and deterministic CSV files with known errors of every kind the
// core reports per row — bad cells, missing required values, wrong field counts, duplicates,
// quoted multi-line values, values a spreadsheet would run as formulas.

export const participantFields = {
  fields: [
    { key: 'external_id', label: 'External ID', type: 'text', required: true, import: true, identity: 'external_id' },
    { key: 'name', label: 'Name', type: 'text', required: false, import: true, identity: 'name' },
    { key: 'email', label: 'Email', type: 'email', required: true, import: true, identity: 'email' },
    { key: 'phone', label: 'Phone', type: 'phone', required: false, import: true, identity: 'phone' },
    { key: 'timezone', label: 'Timezone', type: 'timezone', required: false, import: true },
    { key: 'signup_date', label: 'Signup date', type: 'date', required: false, import: true },
    { key: 'plan', label: 'Plan', type: 'enum', values: ['free', 'pro', 'enterprise'], required: false, import: true },
    { key: 'notes', label: 'Notes', type: 'text', required: false, import: true },
  ],
};

export const HEADER = 'external_id,name,email,phone,timezone,signup_date,plan,notes';

// A small seeded generator (mulberry32), so every run and every engine sees the same file.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Eve', 'Fatima', 'José', 'Zoë', 'Wen', 'Olu'];
const LAST = ['Smith', 'García', 'Müller', 'Nguyen', "O'Brien", 'Sato'];
const TZ = ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'UTC', 'europe/london'];
const PLAN = ['free', 'pro', 'enterprise'];
const NOTES = ['', '', 'VIP, call mornings', 'said "call back" later', 'line1\nline2', 'prefers email'];
const AREA = ['212', '305', '415', '617', '646', '702'];

const quote = (s) => (/[,"\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

// The kinds of bad rows, cycled every `badEvery` rows.
const BAD = [
  (r) => { r[2] = 'not-an-email'; },
  (r) => { r[5] = '2023-02-30'; },
  (r) => { r[6] = 'platinum'; },
  (r) => { r[0] = ''; },
  (r) => { r[3] = '12'; },
  (r) => { r[4] = 'Mars/Olympus'; },
  (r) => { r.length = 5; },                                  // wrong field count
  (r) => { r[0] = 'P000000001'; },                           // duplicate identity of row 2
  (r) => { r[2] = '=HYPERLINK("http://x")'; r[6] = '+1'; },  // formula-looking values, two errors
  (r) => { r[1] = 'x'.repeat(1200); },                       // too long for a text field
];

// Returns the CSV text of `rows` participants; every `badEvery`-th row has a known problem.
export function participantsCsv(rows, { badEvery = 0, seed = 7, eol = '\r\n' } = {}) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const out = [HEADER];
  for (let i = 1; i <= rows; i++) {
    const fn = pick(FIRST);
    const ln = pick(LAST);
    const a = pick(AREA);
    const e = 201 + Math.floor(r() * 700);
    const n = 1000 + Math.floor(r() * 9000);
    const row = [
      `P${String(i).padStart(9, '0')}`, `${fn} ${ln}`,
      `${fn.normalize('NFKD').replace(/[^\x00-\x7f]/g, '').toLowerCase()}.${i}@example.com`,
      pick([`+1${a}${e}${n}`, `(${a}) ${e}-${n}`, `${a}.${e}.${n}`]),
      pick(TZ), `${2015 + Math.floor(r() * 10)}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`,
      pick(PLAN), pick(NOTES),
    ];
    if (badEvery && i % badEvery === 0) BAD[(i / badEvery) % BAD.length](row);
    out.push(row.map(quote).join(','));
  }
  return out.join(eol) + eol;
}

// A file as spreadsheet programs save it in much of Europe: semicolon-separated, CRLF, decimal
// commas, accented text and €, one bad email and one impossible date. Tests write it as
// Windows-1252 (windows1252()), as UTF-8 with a BOM (withBom()), and as a BOM before 1252 bytes.
export const europeanFields = {
  fields: [
    { key: 'external_id', label: 'External ID', type: 'text', required: true, identity: 'external_id' },
    { key: 'name', label: 'Name', type: 'text', identity: 'name' },
    { key: 'email', label: 'E-mail', type: 'email', required: true, identity: 'email' },
    { key: 'amount', label: 'Amount', type: 'text' },
    { key: 'signup_date', label: 'Signup date', type: 'date', format: 'DD/MM/YYYY' },
  ],
};

export const europeanText =
  'External ID;Name;E-mail;Amount;Signup date\r\n' +
  'E1;Renée Müller;renee@example.fr;1,50 €;31/01/2024\r\n' +
  'E2;José Núñez;jose@;2,75 €;01/02/2024\r\n' +
  'E3;"Zoë; the second";zoe@example.de;3,00 €;30/02/2024\r\n' +
  'E4;Françoise;fr@example.fr;0,99 €;15/03/2024\r\n';

// Windows-1252 bytes of `text` (only the characters used above are mapped).
export function windows1252(text) {
  const map = { '€': 0x80 };
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = map[c] ?? c.charCodeAt(0);
    if (code > 0xff) throw new Error(`no Windows-1252 byte for ${c}`);
    out[i] = code;
  }
  return out;
}

export function withBom(bytes) {
  const out = new Uint8Array(bytes.length + 3);
  out.set([0xef, 0xbb, 0xbf]);
  out.set(bytes, 3);
  return out;
}
