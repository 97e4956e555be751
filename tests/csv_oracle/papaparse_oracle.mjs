// CSV oracle test against Papa Parse: every case of csv_corpus.mjs is tokenized by our
// CsvTokenizer (through the native csv_dump, fed in varying slice sizes) and by
// Papa.parse(text, {delimiter, newline, skipEmptyLines: true}). Where neither side reports an
// error, the records (fields, and spreadsheet row numbers, blank lines counted) must be equal;
// where only one side reports errors the case is printed as a finding, not a failure.
// Hand-written cases are also tokenized whole and byte by byte, and must give the same output.
// Usage: node papaparse_oracle.mjs <csv_dump> [random cases] [seed]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Papa from 'papaparse';
import { buildCorpus, sliceFor } from './csv_corpus.mjs';

const dump = process.argv[2];
if (!dump) {
  console.error('usage: node papaparse_oracle.mjs <csv_dump> [random cases] [seed]');
  process.exit(2);
}
const options = {};
if (process.argv[3]) options.randomCount = Number(process.argv[3]);
if (process.argv[4]) options.seed = Number(process.argv[4]);

const dir = mkdtempSync(join(tmpdir(), 'csv-oracle-'));
const show = (text) => {
  const s = JSON.stringify(text);
  return s.length > 160 ? s.slice(0, 160) + `…" (${text.length} chars)` : s;
};

// Our records: [{row, fields, error}] for every record csv_dump reports.
function ours(file, delimiter, slice) {
  const r = spawnSync(dump, [file, delimiter === '\t' ? 'tab' : delimiter, String(slice)],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`csv_dump failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// Papa's records with spreadsheet row numbers: parsed without skipping, then blank lines
// dropped with Papa's own skipEmptyLines test (one empty field), which the skipEmptyLines:true
// parse must agree with.
function papa(text, delimiter, newline) {
  const all = Papa.parse(text, { delimiter, newline, skipEmptyLines: false });
  const skipped = Papa.parse(text, { delimiter, newline, skipEmptyLines: true });
  const records = all.data
    .map((fields, i) => ({ row: i + 1, fields }))
    .filter((r) => !(r.fields.length === 1 && r.fields[0] === ''));
  if (!isDeepStrictEqual(records.map((r) => r.fields), skipped.data))
    throw new Error('Papa Parse: skipEmptyLines:true differs from filtering one-empty-field rows');
  return { records, errors: skipped.errors };
}

const cases = buildCorpus(options);
let agreed = 0, bothRejected = 0, oneSided = 0, mixed = 0, invariance = 0;
const disagreements = [];
const findings = [];
cases.forEach((c, i) => {
  const file = join(dir, `case${i}.csv`);
  writeFileSync(file, c.text, 'utf8');
  const mine = ours(file, c.delimiter, sliceFor(i));
  if (!c.name.startsWith('random')) {
    for (const slice of [0, 1]) {
      if (!isDeepStrictEqual(ours(file, c.delimiter, slice), mine)) {
        ++invariance;
        disagreements.push(`[${c.name}] slice invariance: slice ${slice} differs from slice ${sliceFor(i)}\n  input ${show(c.text)}`);
      }
    }
  }
  if (c.newline === null) { ++mixed; return; }  // Papa Parse reads one line ending per file
  const theirs = papa(c.text, c.delimiter, c.newline);
  const ourErrors = mine.filter((r) => r.error).map((r) => `row ${r.row}: ${r.error}`);
  const papaErrors = theirs.errors.map((e) => `${e.code} (row ${e.row}): ${e.message}`);
  if (ourErrors.length && papaErrors.length) { ++bothRejected; ++agreed; return; }
  if (ourErrors.length || papaErrors.length) {
    ++oneSided;
    findings.push(`[${c.name}] ${ourErrors.length ? 'we reject, Papa accepts' : 'Papa rejects, we accept'}\n` +
      `  input ${show(c.text)}\n  ours: ${ourErrors.join('; ') || 'no error'}\n  papa: ${papaErrors.join('; ') || 'no error'}` +
      (ourErrors.length ? `\n  papa records: ${show(JSON.stringify(theirs.records.map((r) => r.fields)))}` : ''));
    return;
  }
  const a = mine.map(({ row, fields }) => ({ row, fields }));
  if (isDeepStrictEqual(a, theirs.records)) { ++agreed; return; }
  let k = 0;
  while (k < a.length && isDeepStrictEqual(a[k], theirs.records[k])) ++k;
  disagreements.push(`[${c.name}] both accept, records differ at record ${k + 1} (delimiter ${JSON.stringify(c.delimiter)}, slice ${sliceFor(i)})\n` +
    `  input ${show(c.text)}\n  ours: ${show(JSON.stringify(a[k] ?? null))}\n  papa: ${show(JSON.stringify(theirs.records[k] ?? null))}`);
});
rmSync(dir, { recursive: true, force: true });

if (findings.length) console.log(`findings (errors on one side only):\n${findings.join('\n')}\n`);
if (disagreements.length) console.log(`DISAGREEMENTS:\n${disagreements.join('\n')}\n`);
console.log(`papaparse oracle: ${cases.length} inputs, ${agreed} agreed (${bothRejected} rejected by both), ` +
  `${oneSided} skipped (errors on one side), ${mixed} skipped (mixed line endings, which Papa Parse does not read), ` +
  `${disagreements.length} disagreements (${invariance} of them slice invariance)`);
process.exit(disagreements.length ? 1 : 0);
