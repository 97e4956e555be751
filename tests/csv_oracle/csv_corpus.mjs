// The CSV oracle corpus, shared by papaparse_oracle.mjs and python_csv_oracle.py (which runs
// `node csv_corpus.mjs` and reads the JSON it prints). Each case is
//   {name, delimiter, text, newline, wellFormed}
// where `newline` is the one record terminator the file uses ('\n', '\r\n' or '\r'), or null
// when it mixes them, and `wellFormed` says whether the case was written to be valid RFC 4180.
// Hand-written tricky cases first, then random well-formed files from a fixed seed, so every
// failure reproduces.

const NL = ['\n', '\r\n', '\r'];
const NL_NAME = { '\n': 'lf', '\r\n': 'crlf', '\r': 'cr' };

// [name, text with records separated by '\n' (rewritten to each line ending), delimiter]
const WELL_FORMED = [
  ['simple', 'a,b,c\n1,2,3\n'],
  ['quoted delimiter', 'name,note\n"Smith, John","a,b,c"\n'],
  ['doubled quotes', 'a,b\n"say ""hi""",""""\n"""start","end"""\n'],
  ['quotes only field', '"""""",x\n'],
  ['empty fields', 'a,,c\n,,\n,\nx,\n'],
  ['trailing delimiters', 'a,b,\n1,2,\n'],
  ['BOM', '\ufeffa,b\n1,2\n'],
  ['BOM quoted first field', '\ufeff"a,1",b\n'],
  ['BOM only', '\ufeff'],
  ['last line without newline', 'a,b\n1,2'],
  ['last line quoted without newline', 'a\n"x, y"'],
  ['last line empty quoted without newline', 'a,b\nc,""'],
  ['blank lines', 'a\n\n\nb\n\n'],
  ['leading blank lines', '\n\na,b\n'],
  ['quoted empty line is blank', 'a\n""\nb\n'],
  ['two quoted empties are a record', 'a,b\n"",""\n'],
  ['whitespace-only lines', ' \n\t\nx\n'],
  ['spaces kept', ' a , b \n" c "," d"\n'],
  ['unicode', '名前,メール\nJosé,Zoë\n😀,"emoji, 👍"\nÅngström,ß\u00a0\u200b\n'],
  ['quoted field is only a line break', '"\n",x\n'],
  ['only newlines', '\n\n\n'],
  ['empty file', ''],
  ['single field', 'a'],
  ['single empty quoted', '""'],
  ['hash is data', '#a,b\n#c\n'],
  ['many columns', Array.from({ length: 1000 }, (_, i) => `c${i}`).join(',') + '\n'],
  ['many rows', Array.from({ length: 2000 }, (_, i) => `${i},"${i}\n${i}"`).join('\n') + '\n'],
  ['semicolon', 'a;b\n"x;y";z\n1,5;2,5\n', ';'],
  ['semicolon with commas', 'a,b;c\n"d;e";f,g;h\n1,5;"2,5"\n', ';'],
  ['tab', 'a\tb\n"x\ty"\tz\n\t\n', '\t'],
  ['tab with spaces', 'a b\tc  d\n', '\t'],
  ['pipe', 'a|b\n"x|y"|z\n', '|'],
];

// [name, text, the file's line ending]: line breaks inside quoted values that differ from it.
const EMBEDDED = [
  ['embedded LF', 'a,b\r\n"line1\nline2",x\r\n', '\r\n'],
  ['embedded CRLF', 'a,b\n"line1\r\nline2",x\n', '\n'],
  ['embedded CR', 'a,b\n"line1\rline2",x\n', '\n'],
  ['embedded CR at end of value', 'a,b\n"x\r",y\n', '\n'],
  ['embedded CRLF, CR file', 'a\r"1\r\n2"\r', '\r'],
];

// Files that mix record terminators (Papa Parse reads one terminator per file).
const MIXED = [
  ['mixed line endings', 'a,b\n1,2\r\n3,4\r5,6\n'],
  ['CR then LF blank', 'a\r\rb\n\nc\r\n\r\nd'],
  ['trailing lone CR', 'a,b\n1,2\r'],
];

// [name, text, delimiter]: malformed quoting.
const MALFORMED = [
  ['quote inside unquoted', 'a,b"c,d\nx,y\n'],
  ['quote at end of unquoted', 'ab",c\n'],
  ['text after closing quote', '"a"b,c\nx,y\n'],
  ['space after closing quote', '"a" ,b\n'],
  ['space before opening quote', 'a, "b"\n'],
  ['odd quotes', '"a"""b"\n'],
  ['empty quoted then text', '""a,b\n'],
  ['unclosed quote mid-file', 'a,"bc\nd,e\n'],
  ['unclosed quote last row', 'a,b\n"c'],
  ['unclosed after doubled quote', 'x\n"a""b'],
  ['lone quote', '"'],
  ['closing quote then CR text', '"a"\rb"\n'],
];

function withNewline(text, nl) {
  return text.replace(/\n/g, nl);
}

// xorshift32, fixed seed.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

// One random well-formed file: values from an alphabet rich in delimiters, quotes, line
// breaks and non-ASCII text; a value is quoted whenever it must be, and sometimes when not.
function randomCase(rand, i) {
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const delimiter = pick([',', ',', ';', '\t', '|']);
  const newline = pick(NL);
  const alphabet = ['a', 'b', 'z', 'Q', '0', '7', ' ', ' ', '.', '-', ',', ';', '\t', '|', '"', '"',
    '\n', '\r', '\r\n', 'é', '中', '😀', 'ß', "'", '#', '\\'];
  const value = () => {
    const len = rand() < 0.1 ? 0 : rand() < 0.05 ? int(100, 3000) : int(1, 10);
    let v = '';
    for (let k = 0; k < len; ++k) v += pick(alphabet);
    return v;
  };
  const quote = (v) => {
    const must = v.includes(delimiter) || /["\r\n]/.test(v);
    return must || rand() < 0.2 ? '"' + v.replace(/"/g, '""') + '"' : v;
  };
  const cols = int(1, 8);
  const rows = int(1, 30);
  const lines = [];
  for (let r = 0; r < rows; ++r) {
    if (rand() < 0.05) lines.push('');  // blank line
    const n = rand() < 0.15 ? int(1, 10) : cols;  // ragged rows now and then
    lines.push(Array.from({ length: n }, () => quote(value())).join(delimiter));
  }
  let text = lines.join(newline);
  if (rand() < 0.7) text += newline;
  if (rand() < 0.1) text = '\ufeff' + text;
  return { name: `random ${i} (${NL_NAME[newline]}, ${JSON.stringify(delimiter)})`, delimiter, text, newline, wellFormed: true };
}

export function buildCorpus({ randomCount = 300, seed = 0x2545f491 } = {}) {
  const cases = [];
  for (const [name, text, delimiter = ','] of WELL_FORMED)
    for (const nl of NL)
      cases.push({ name: `${name} (${NL_NAME[nl]})`, delimiter, text: withNewline(text, nl), newline: nl, wellFormed: true });
  for (const [name, text, newline] of EMBEDDED)
    cases.push({ name, delimiter: ',', text, newline, wellFormed: true });
  for (const [name, text] of MIXED)
    cases.push({ name, delimiter: ',', text, newline: null, wellFormed: true });
  // Very long values: under and over the tokenizer's 1 MiB field limit.
  cases.push({ name: 'long unquoted value (200 KB)', delimiter: ',', text: 'a,' + 'x'.repeat(200000) + ',b\n', newline: '\n', wellFormed: true });
  cases.push({ name: 'long quoted value with quotes and breaks (300 KB)', delimiter: ',',
    text: 'h\n"' + 'ab""c\n,d\r\n'.repeat(30000) + '"\nend\n', newline: '\n', wellFormed: true });
  cases.push({ name: 'value over 1 MiB', delimiter: ',', text: 'a,' + 'y'.repeat((1 << 20) + 10) + '\nb,c\n', newline: '\n', wellFormed: true });
  for (const [name, text, delimiter = ','] of MALFORMED)
    for (const nl of ['\n', '\r\n'])
      cases.push({ name: `${name} (${NL_NAME[nl]})`, delimiter, text: withNewline(text, nl), newline: nl, wellFormed: false });
  const rand = rng(seed);
  for (let i = 0; i < randomCount; ++i) cases.push(randomCase(rand, i));
  return cases;
}

// The slice size csv_dump should feed case `i` in (0 = whole file), so the oracles also
// exercise slice invariance.
export function sliceFor(i) {
  return [0, 1, 2, 3, 5, 64, 4096][i % 7];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cases = buildCorpus();
  cases.forEach((c, i) => { c.slice = sliceFor(i); });
  process.stdout.write(JSON.stringify(cases));
}
