// Phone oracle test: generates several thousand phone numbers in many regions and written forms,
// asks both libphonenumber-js (max metadata: parsePhoneNumberFromString, isValid, E.164) and
// our core (through the native intake-phone-check) and fails on any disagreement in validity,
// E.164 or region. Usage: node phone_oracle.mjs <intake-phone-check> [cases per region] [seed]
// Deterministic: a fixed seed, so a failure reproduces.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parsePhoneNumberFromString, getCountries, getCountryCallingCode } from 'libphonenumber-js/max';

const require = createRequire(import.meta.url);
const metadata = require('libphonenumber-js/metadata.max.json');
const examples = require('libphonenumber-js/examples.mobile.json');

const checker = process.argv[2];
const perRegion = Number(process.argv[3] || 250);
if (!checker) {
  console.error('usage: node phone_oracle.mjs <intake-phone-check> [cases per region]');
  process.exit(2);
}

// xorshift32, fixed seed.
let seed = Number(process.argv[4]) || 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const randomDigits = (n) => Array.from({ length: n }, () => String(int(0, 9))).join('');

const focus = ['US', 'CA', 'GB', 'DE', 'FR', 'IN', 'BR', 'JP', 'AU', 'NG', 'AR', 'MX', 'RU', 'KZ',
  'IT', 'CN', 'GG', 'JM', 'AG', 'ZA', 'ES', 'NL', 'SG', 'KR'];
const allRegions = getCountries();
const others = allRegions.filter((r) => !focus.includes(r));

// A national significant number of `region`: near its example (mostly valid), random digits of a
// possible length (mostly invalid), or one cut short / made longer.
function nationalNumber(region) {
  const d = metadata.countries[region];
  const lengths = d[3] || [8];
  const example = examples[region] || randomDigits(pick(lengths));
  switch (pick(['example', 'example', 'example', 'random', 'short', 'long'])) {
    case 'example': {
      const keep = Math.max(1, example.length - int(1, 4));
      return example.slice(0, keep) + randomDigits(example.length - keep);
    }
    case 'random': return String(int(1, 9)) + randomDigits(pick(lengths) - 1);
    case 'short': return example.slice(0, Math.max(1, example.length - int(1, 4)));
    default: return example + randomDigits(int(1, 4));
  }
}

function group(digits) {
  const parts = [];
  let i = 0;
  while (i < digits.length) {
    const n = Math.min(digits.length - i, int(2, 4));
    parts.push(digits.slice(i, i + n));
    i += n;
  }
  return parts;
}

function spaced(digits) {
  const sep = pick([' ', ' ', '-', '.', '', '/', ' - ']);
  const parts = group(digits);
  if (parts.length > 1 && rand() < 0.25) parts[0] = `(${parts[0]})`;
  return parts.join(sep);
}

const fullWidth = (s) => s.replace(/[0-9]/g, (c) => String.fromCharCode(0xff10 + Number(c)));

// One written form of `nsn` (a number of `source`) as someone whose default region is `home` types it.
function written(nsn, source, home) {
  const cc = getCountryCallingCode(source);
  const d = metadata.countries[source];
  const homeIdd = metadata.countries[home][12] || metadata.countries[home][1];
  const simpleIdd = /^\d+$/.test(homeIdd) ? homeIdd : '00';
  let s;
  switch (pick(['national', 'national', 'plus', 'plus', 'idd', 'cc', 'formatted'])) {
    case 'national': s = (source === home && d[5] && rand() < 0.6 ? d[5] : '') + spaced(nsn); break;
    case 'plus': s = `+${cc} ${spaced(nsn)}`; break;
    case 'idd': s = `${simpleIdd} ${cc} ${spaced(nsn)}`; break;
    case 'cc': s = `${cc}${spaced(nsn)}`; break;
    default: {
      const p = parsePhoneNumberFromString(`+${cc}${nsn}`);
      s = p ? (rand() < 0.5 ? p.formatInternational() : p.formatNational()) : `+${cc}${nsn}`;
    }
  }
  // Returns [input, strict]: strict inputs carry text around the number, which
  // libphonenumber-js drops and the core refuses by design (it reads a whole cell).
  const r = rand();
  if (r < 0.04) return [letterForDigit(s), false];
  if (r < 0.06) return [pick(['abc', 'n/a', 'phone', '-', '+', '()', 'TBD', '', ' ']), false];
  if (r < 0.08) return [rand() < 0.5 ? pick(['A', 'x', 'tel ', 'ph: ']) + s : s + pick([' A', 'x', ' ext 12', ' (home)']), true];
  if (r < 0.09) return [fullWidth(s), false];
  if (r < 0.10) return [`${pick(['1-800-', '+1 800 '])}${pick(['FLOWERS', 'GO-FEDEX', 'CALL-NOW'])}`, false];
  if (r < 0.11) return [' '.repeat(int(240, 260)) + s, false];
  if (r < 0.12) return ['+0' + nsn, false];
  if (r < 0.13) return ['+' + int(0, 999) + nsn, false];
  return [s, false];
}

// Replaces one digit strictly inside the number (not the first or last) by a look-alike letter.
function letterForDigit(s) {
  const at = [...s.matchAll(/\d/g)].map((m) => m.index);
  if (at.length < 3) return s + 'O';
  const i = at[int(1, at.length - 2)];
  return s.slice(0, i) + pick(['O', 'l', 'A', 'B']) + s.slice(i + 1);
}

// `stricter`: forms where the core is stricter than libphonenumber-js by design — it reads a
// whole cell, so text around the number or an extension is refused instead of dropped silently.
const cases = [];
const stricter = [['US', 'call 201-555-0123'], ['US', '201-555-0123 ext. 7'], ['US', '201 555 0123 x12'],
  ['US', 'tel:+1-201-555-0123'], ['GB', 'mobile: 07400 123456']];
for (const region of [...focus, ...others]) {
  const n = focus.includes(region) ? perRegion : Math.max(8, Math.floor(perRegion / 15));
  for (let i = 0; i < n; i++) {
    const source = rand() < 0.8 ? region : pick(allRegions);
    const [input, strict] = written(nationalNumber(source), source, region);
    (strict ? stricter : cases).push([region, input]);
  }
}
// Edge cases that must agree too.
for (const [region, input] of [['US', ''], ['US', '+'], ['US', '00'], ['US', '+1'], ['US', '+1 2'],
  ['US', '011 44 20 7946 0958'], ['GB', '00 1 201 555 0123'], ['DE', '+49 (0)30 1234567'],
  ['US', '+800 1234 5678'], ['GB', '+882 1 234 5678'], ['US', '1 201 555 0123'],
  ['US', '201 555 0123'], ['US', '(268) 464-1234'], ['GB', '01481 234567'], ['GG', '234567'],
  ['JP', '090-1234-5678'], ['AR', '011 15-2345-6789'], ['BR', '0 21 98765-4321'],
  ['BR', '(21) 98765-4321'], ['RU', '8 (912) 345-67-89'], ['KZ', '8 771 000 9998'],
  ['IN', '+91-98765 43210'], ['IN', '098765 43210'], ['AU', '0412 345 678'], ['NG', '0802 123 4567']]) {
  cases.push([region, input]);
}


const lines = [...cases, ...stricter].map(([r, s]) => `${r}\t${s.replace(/[\t\n\r]/g, ' ')}`);
const run = spawnSync(checker, [], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
if (run.status !== 0) {
  console.error(`${checker} failed: ${run.stderr || run.error}`);
  process.exit(1);
}
const ours = run.stdout.split('\n');

let agree = 0, valid = 0;
const disagreements = [];
cases.forEach(([region, input], i) => {
  const [status, e164, ourRegion] = ours[i].split('\t');
  let lib;
  try { lib = parsePhoneNumberFromString(input, region); } catch { lib = undefined; }
  const libValid = !!(lib && lib.isValid());
  const libE164 = libValid ? lib.number : '';
  const libRegion = libValid ? (lib.country || '001') : '';
  const ok = status === 'ok';
  if (ok === libValid && (e164 || '') === libE164 && (!ok || ourRegion === libRegion)) {
    agree++;
    if (ok) valid++;
  } else {
    disagreements.push(`  region ${region} input ${JSON.stringify(input)}: libphonenumber-js ` +
      `${libValid ? `valid ${libE164} (${libRegion})` : lib ? `invalid (${lib.number})` : 'not parsed'}, ` +
      `intake ${status}${ok ? ` ${e164} (${ourRegion})` : ''}`);
  }
});
stricter.forEach(([region, input], j) => {
  const [status] = ours[cases.length + j].split('\t');
  if (status !== 'not_a_number') disagreements.push(`  region ${region} input ${JSON.stringify(input)}: expected not_a_number (text around the number), got ${status}`);
});

console.log(`phone oracle: ${agree}/${cases.length} agree with libphonenumber-js ` +
  `(${valid} valid, ${agree - valid} refused), ${stricter.length} stricter-by-design cases checked`);
if (disagreements.length) {
  console.log(`${disagreements.length} disagreements:`);
  console.log(disagreements.slice(0, 200).join('\n'));
  process.exit(1);
}
