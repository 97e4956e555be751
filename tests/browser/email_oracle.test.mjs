// Email oracle: intake::check_email (through the native intake-email-check) must accept exactly
// the addresses Chromium's <input type=email> accepts (validity.valid), the WHATWG rule the
// check follows. Cases: hand-written edge cases plus generated ones from a fixed seed.
// Chromium sanitizes a set value (line breaks removed, surrounding whitespace trimmed), so a
// case is compared only when the value reads back unchanged; the others are counted and listed.
// IDN domains are compared as given (a value set from script is not punycoded; we and Chromium
// both refuse non-ASCII); what Chromium does with an IDN typed by a user is logged, not compared.
// Needs /usr/bin/chromium (skipped without it) and the helper built in $INTAKE_BUILD
// (default build/release): cmake --build --preset release --target intake-email-check
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const BUILD = resolve(process.env.INTAKE_BUILD || 'build/release');
const HELPER = join(BUILD, 'tests/csv_oracle/intake-email-check');

const label = (n, ch = 'a') => ch.repeat(n);
const HAND_WRITTEN = [
  // plain, dots, plus, local-part specials
  'a@b', 'a@b.c', 'user@example.com', 'USER@EXAMPLE.COM', 'first.last@example.com',
  'first..last@example.com', '.first@example.com', 'last.@example.com', '.@example.com', '...@x.y',
  'user+tag@example.com', 'user+@example.com', '+@example.com', "o'brien@example.ie",
  "!#$%&'*+/=?^_`{|}~-@example.com", 'a/b@example.com', 'a=b@example.com', 'a{b}c@example.com',
  // quotes, backslashes, brackets, comments, commas, semicolons
  '"john doe"@example.com', '"a"@example.com', 'a"b@example.com', 'a\\b@example.com',
  'a(b)@example.com', 'a<b>@example.com', 'a[b]@example.com', 'a,b@example.com', 'a;b@example.com',
  'a:b@example.com', 'a@example.com,b@example.com', 'a@example.com;', 'Name <a@example.com>',
  // IP literals and numeric domains
  'user@[192.168.0.1]', 'user@[IPv6:::1]', 'user@192.168.0.1', 'user@1.2.3.4.5', 'user@123',
  'user@0', 'user@0x1F.com',
  // @ count
  '@example.com', 'user@', '@', 'user@@example.com', 'a@b@example.com', 'userexample.com',
  // domain dots
  'user@.example.com', 'user@example.com.', 'user@example..com', 'user@.', 'user@..', 'user@a.',
  // hyphens
  'user@-example.com', 'user@example-.com', 'user@ex-ample.com', 'user@ex--ample.com',
  'user@example.-com', 'user@example.c-', 'user@xn--bcher-kva.example', 'user@-', 'user@a-b',
  'user@example.com-', 'user@a.-b.c', 'user@1-2.3-4',
  // label lengths 63/64, long totals
  `user@${label(63)}.com`, `user@${label(64)}.com`, `user@${label(63)}`, `user@${label(64)}`,
  `user@a${label(61, '-')}b.com`, `user@a${label(62, '-')}b.com`, `user@${label(62)}-`,
  `user@${label(63)}.${label(63)}.${label(63)}.${label(63)}`, `${label(64)}@example.com`,
  `${label(300)}@example.com`, `user@${Array.from({ length: 60 }, () => label(20)).join('.')}`,
  // spaces, tabs and controls inside
  'us er@example.com', 'user@exa mple.com', 'user @example.com', 'user@ example.com',
  'user\t@example.com', 'user@example.com\tx', 'user\u0000@example.com', 'user@exa\u007fmple.com',
  'user\r@example.com',
  // surrounding whitespace and line breaks (Chromium sanitizes these: not compared)
  ' user@example.com', 'user@example.com ', '\tuser@example.com\t', '\fuser@example.com',
  'user@example.com\r', 'us\rer@example.com', '\u00a0user@example.com', 'user@example.com\u3000',
  // underscores and other domain characters
  'user@exa_mple.com', 'user@example.com_', 'user@exam!ple.com', 'user@exa+mple.com',
  'user@example.c%m', "user@exam'ple.com", 'user@example.co/m',
  // unicode: local part, domain (IDN), look-alikes that case-fold to ASCII
  'usér@example.com', 'user@exämple.com', '用户@例子.广告', 'user@例子.广告', 'user@bücher.de',
  'иван@пример.рф', 'user@xn--e1afmkfd.xn--p1ai', 'ſ@example.com', 'user@exampſe.com',
  'user@\u212aelvin.com', '\u212a@example.com', 'user@ex\u0131mple.com', 'user\u0130@example.com',
  'user@example\u3002com', 'user@example\uff0ecom', 'ｕｓｅｒ@example.com', 'user@ｅｘａｍｐｌｅ.com',
  'user@example.com\u200b', 'us\u200ber@example.com', '😀@example.com', 'user@😀.com',
];

// xorshift32, fixed seed.
let seed = 0x6d2b79f5;
const rand = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

function generated(count) {
  const localChars = [...'abcXYZ019.!#$%&\'*+/=?^_`{|}~-'];
  const oddChars = ['"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\', ' ', '@', 'é', 'ſ', '\u212a', '\t'];
  const labelChars = [...'abcdXYZ0189-'];
  const out = [];
  for (let i = 0; i < count; ++i) {
    let local = '';
    for (let k = int(0, 12); k > 0; --k) local += rand() < 0.05 ? pick(oddChars) : pick(localChars);
    const labels = [];
    for (let k = int(1, 4); k > 0; --k) {
      const len = rand() < 0.15 ? pick([0, 1, 62, 63, 64, 65]) : int(1, 10);
      let l = '';
      for (let j = 0; j < len; ++j) l += rand() < 0.03 ? pick(oddChars.concat(['.', '_'])) : pick(labelChars);
      labels.push(l);
    }
    let s = local + (rand() < 0.05 ? '' : '@') + labels.join('.');
    if (rand() < 0.03) s += '.';
    if (rand() < 0.03) s += '@' + pick(labelChars);
    out.push(s);
  }
  return out;
}

// Our answers for `inputs` (none may contain '\n'): [{valid, out}] in order.
function ours(inputs) {
  const r = spawnSync(HELPER, [], { input: inputs.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `intake-email-check failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').slice(0, -1);
  assert.equal(lines.length, inputs.length, 'intake-email-check answered a different number of lines');
  return lines.map((l) => {
    const [verdict, out] = l.split('\t');
    return { valid: verdict === 'valid', out };
  });
}

test('check_email accepts exactly what Chromium <input type=email> accepts',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`, timeout: 180_000 },
  async () => {
    assert.ok(existsSync(HELPER), `${HELPER} is missing: build it with ` +
      '`cmake --build --preset release --target intake-email-check` or set INTAKE_BUILD');
    // Not empty: check_email's contract excludes it (emptiness is the caller's, via required).
    const inputs = [...new Set([...HAND_WRITTEN, ...generated(400)])].filter((s) => s && !s.includes('\n'));
    const mine = ours(inputs);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox',
      '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><input type=email id=e>');
      const theirs = await page.evaluate((list) => {
        const input = document.getElementById('e');
        return list.map((s) => {
          input.value = s;
          return { valid: input.validity.valid, value: input.value };
        });
      }, inputs);

      // IDN as a user would type it: reported only.
      const idn = ['user@bücher.de', 'user@例子.广告', 'иван@пример.рф'];
      const typed = [];
      for (const s of idn) {
        await page.fill('#e', s);
        typed.push(await page.evaluate(() => {
          const input = document.getElementById('e');
          return { value: input.value, valid: input.validity.valid };
        }));
      }

      const sanitized = [];
      const disagreements = [];
      let agreedValid = 0, agreedInvalid = 0;
      inputs.forEach((s, i) => {
        if (theirs[i].value !== s) {
          sanitized.push(`${JSON.stringify(s)} -> ${JSON.stringify(theirs[i].value)}`);
          return;
        }
        if (theirs[i].valid !== mine[i].valid) {
          disagreements.push(`${JSON.stringify(s)}: chromium ${theirs[i].valid ? 'valid' : 'invalid'}, ours ` +
            (mine[i].valid ? `valid (${JSON.stringify(mine[i].out)})` : `invalid (${mine[i].out})`));
        } else if (theirs[i].valid) {
          ++agreedValid;
          const at = s.lastIndexOf('@');
          assert.equal(mine[i].out, s.slice(0, at + 1) + s.slice(at + 1).toLowerCase(),
            `normalized form of ${JSON.stringify(s)}: local part kept, domain lower-cased`);
        } else {
          ++agreedInvalid;
        }
      });
      console.log(`email oracle: ${inputs.length} inputs, ${agreedValid + agreedInvalid} agreed ` +
        `(${agreedValid} valid, ${agreedInvalid} invalid), ${sanitized.length} not compared ` +
        `(changed by Chromium's value sanitization), ${disagreements.length} disagreements`);
      console.log(`not compared: ${sanitized.join(', ')}`);
      console.log('IDN typed by a user: ' + idn.map((s, k) =>
        `${s} -> ${JSON.stringify(typed[k].value)} (${typed[k].valid ? 'valid' : 'invalid'})`).join(', '));
      assert.deepEqual(disagreements, [], `check_email disagrees with Chromium:\n${disagreements.join('\n')}`);
    } finally {
      await browser.close();
    }
  });
