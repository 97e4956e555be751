// Writes the fuzzers' seed corpora: a few valid and nearly valid inputs per target, so libFuzzer
// starts from the shapes real files have instead of discovering CSV from nothing.
// Usage: node make_seeds.mjs <out-dir>  (creates <out-dir>/{file_validator,batch,field_checks})
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node make_seeds.mjs <out-dir>');
  process.exit(2);
}

const header = 'External ID,Name,Email,Phone,Timezone,Signup date,Plan,Notes';
const rows = [
  'P1,Ana García,ana@example.com,(415) 555-0123,America/New_York,2020-02-29,pro,',
  'P2,Ben,BEN@Example.COM,+44 20 7946 0958,utc,2021-07-01,Free,"said ""call back"" later"',
  'P1,Ana again,ana@example.com,,Europe/Paris,,enterprise,duplicate id',
  ',No id,bad-email,12,Mars/Olympus,2021-02-30,gold,"multi\nline"',
  'P5,Too,few',
];
const csv = (sep, lines) => lines.map((l) => l.replaceAll(',', sep)).join('\r\n') + '\r\n';

// file_validator: 8 option bytes (see file_validator_fuzz.cpp), then the file.
const fileSeeds = {
  reference: [[0, 0, 0, 0, 0, 0, 0, 0], csv(',', [header, ...rows])],
  semicolon: [[0x01, 0, 0, 0, 7, 3, 0, 64], csv(';', [header, ...rows])],
  tab_sliced: [[0x02, 1, 0, 0, 1, 2, 3, 5], csv('\t', [header, ...rows.slice(0, 2)])],
  pipe_small_limits: [[0x40 | 0x10, 0, 4, 4, 9, 9, 9, 9], csv('|', [header, ...rows])],
  small_sniff: [[0x80 | 0x20, 5, 0, 0, 3, 0, 11, 2], csv(',', [header, ...rows])],
  bom_lf: [[0, 0, 0, 0, 13, 0, 0, 0], '\uFEFF' + [header, ...rows].join('\n')],
  keys_reject: [[0x02, 2, 0, 0, 0, 0, 0, 0],
    'external_id,email,phone\nX1,x@y.io,+12125550134\nX2,x@Y.IO,\nX3,z@y.io,+1 212 555 0134\n'],
  unclosed_quote: [[0, 0, 0, 0, 0, 0, 0, 0], 'external_id,email\n1,"a@b.c\n2,b@c.d\n'],
  missing_column: [[0, 0, 0, 0, 0, 0, 0, 0], 'Name,Phone\nAna,+33 1 23 45 67 89\n'],
  duplicate_header: [[0, 0, 0, 0, 0, 0, 0, 0], 'email,Email,external_id\na@b.c,a@b.c,1\n'],
  utf16: [[0, 0, 0, 0, 0, 0, 0, 0], '\xFF\xFEe\0m\0'],
};
// Windows-1252 bytes (é = 0xE9) need a binary buffer.
const latin = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]),
  Buffer.from('external_id;name;email\r\n1;Ren', 'latin1'), Buffer.from([0xE9]),
  Buffer.from(';rene@example.fr\r\n', 'latin1')]);

// batch: 4 option bytes (see batch_fuzz.cpp), then the body.
const batchHeader = '_row,external_id,name,email,phone,timezone,signup_date,plan,notes';
const batchSeeds = {
  format_md: [[0, 0, 0, 0], [batchHeader,
    '2,P000000001,Ana García,ana.garcia1@example.com,+12125550134,America/New_York,2020-02-29,pro,',
    '4,P000000003,Ben Okafor,ben.okafor3@example.com,+13055550199,Etc/UTC,2021-07-01,free,"said ""call back"" later"',
  ].join('\r\n') + '\r\n'],
  no_row_column: [[0x08, 40, 3, 1], 'external_id,email\r\nA,a@b.c\r\nB,b@c.d\r\n'],
  bad_row_number: [[0x01, 0, 0, 0], '_row,external_id,email\r\n1,A,a@b.c\r\nx,B,b@c.d\r\n'],
  errors: [[0x06, 0, 5, 2], '_row,external_id,email,phone\r\n2,,not-an-email,+999\r\n3,"A,B",a@b.c,"+1 ""212"""\r\n'],
};

// field_checks: one string, tried as every field type, phone, field list, mapping and CSV head.
const checkSeeds = [
  'ana.garcia@Example.COM', 'a@b', '"quoted"@example.com', '(415) 555-0123', '+44 20 7946 0958',
  '00 33 1 23 45 67 89', '+1-800-FLOWERS', '2024-02-29', '31/12/1999', '1/2/2003', '2024.03.31', '7 03 2024',
  '2024-03-31T12:34:56.789+05:30', '2024-03-31 00:00Z', '+1.50', '-0', '1.2e3', '5e-3', '.5', 'yes', 'N',
  'America/Argentina/Buenos_Aires', 'us/pacific', 'ÉLITE', 'pro',
  JSON.stringify({fields: [{key: 'email', label: 'Email', type: 'email', required: true, identity: 'email'},
    {key: 'd', label: 'D', type: 'date', format: 'DD/MM/YYYY'},
    {key: 'p', label: 'P', type: 'enum', values: ['a', 'b']},
    {key: 't', label: 'T', type: 'text', max_length: 20}]}),
  JSON.stringify([{key: 'k', label: 'K', type: 'phone', identity: 'phone', import: true}]),
  JSON.stringify({'E-mail address': 'email', Unused: null}),
  'a;b;c\n1,5;2,5;3\n', 'a\tb\n"x\ty"\t2\n',
];

function write(dir, name, bytes) {
  fs.mkdirSync(path.join(out, dir), {recursive: true});
  fs.writeFileSync(path.join(out, dir, name), bytes);
}
const withOptions = ([options, text]) =>
  Buffer.concat([Buffer.from(options), Buffer.from(text, text.startsWith('\xFF') ? 'latin1' : 'utf8')]);
for (const [name, seed] of Object.entries(fileSeeds)) write('file_validator', name, withOptions(seed));
write('file_validator', 'windows_1252', latin);
for (const [name, seed] of Object.entries(batchSeeds)) write('batch', name, withOptions(seed));
checkSeeds.forEach((s, i) => write('field_checks', `seed_${String(i).padStart(2, '0')}`, Buffer.from(s)));
