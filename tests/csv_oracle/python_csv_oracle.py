#!/usr/bin/env python3
"""CSV oracle test against Python's csv module.

Every case of csv_corpus.mjs (read from `node csv_corpus.mjs`) is tokenized by our CsvTokenizer
(through the native csv_dump, in the slice size the corpus gives) and by
csv.reader(io.StringIO(text, newline=''), delimiter=d, strict=True). Where neither side reports
an error the records must be equal: fields, and row numbers (Python yields one row per record,
[] for a blank line; [''] is a line holding only "", which we skip as blank too). A leading BOM
is removed for Python, as reading with encoding='utf-8-sig' does. Where only one side reports
an error the case is printed as a finding, not a failure.
Usage: python3 python_csv_oracle.py <csv_dump>
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def show(text, limit=160):
    s = json.dumps(text, ensure_ascii=False)
    return s if len(s) <= limit else f'{s[:limit]}…" ({len(text)} chars)'


def ours(dump, path, delimiter, slice_bytes):
    arg = 'tab' if delimiter == '\t' else delimiter
    r = subprocess.run([dump, path, arg, str(slice_bytes)], capture_output=True, check=True)
    return [json.loads(line) for line in r.stdout.decode('utf-8').splitlines() if line]


def python_records(text, delimiter):
    """[{row, fields}] without blank lines, or raises csv.Error."""
    if text.startswith('\ufeff'):
        text = text[1:]
    records = []
    for i, fields in enumerate(csv.reader(io.StringIO(text, newline=''), delimiter=delimiter, strict=True)):
        if fields in ([], ['']):
            continue
        records.append({'row': i + 1, 'fields': fields})
    return records


def main():
    if len(sys.argv) < 2:
        print('usage: python_csv_oracle.py <csv_dump>', file=sys.stderr)
        return 2
    dump = sys.argv[1]
    csv.field_size_limit(1 << 26)  # the default 128 KiB limit is not about well-formedness
    corpus = subprocess.run(['node', os.path.join(HERE, 'csv_corpus.mjs')], capture_output=True, check=True)
    cases = json.loads(corpus.stdout.decode('utf-8'))

    agreed = both_rejected = one_sided = 0
    findings, disagreements = [], []
    with tempfile.TemporaryDirectory(prefix='csv-oracle-py-') as tmp:
        for i, c in enumerate(cases):
            path = os.path.join(tmp, f'case{i}.csv')
            with open(path, 'w', encoding='utf-8', newline='') as f:
                f.write(c['text'])
            mine = ours(dump, path, c['delimiter'], c['slice'])
            our_errors = [f"row {r['row']}: {r['error']}" for r in mine if r['error']]
            try:
                theirs, py_error = python_records(c['text'], c['delimiter']), None
            except csv.Error as e:
                theirs, py_error = None, str(e)
            if our_errors and py_error:
                both_rejected += 1
                agreed += 1
                continue
            if our_errors or py_error:
                one_sided += 1
                side = 'we reject, Python accepts' if our_errors else 'Python rejects, we accept'
                msg = (f"[{c['name']}] {side}\n  input {show(c['text'])}\n"
                       f"  ours: {'; '.join(our_errors) or 'no error'}\n  python: {py_error or 'no error'}")
                if theirs is not None:
                    msg += f"\n  python records: {show(json.dumps([r['fields'] for r in theirs], ensure_ascii=False))}"
                findings.append(msg)
                continue
            a = [{'row': r['row'], 'fields': r['fields']} for r in mine]
            if a == theirs:
                agreed += 1
                continue
            k = 0
            while k < len(a) and k < len(theirs) and a[k] == theirs[k]:
                k += 1
            disagreements.append(
                f"[{c['name']}] both accept, records differ at record {k + 1} "
                f"(delimiter {json.dumps(c['delimiter'])}, slice {c['slice']})\n  input {show(c['text'])}\n"
                f"  ours: {show(json.dumps(a[k] if k < len(a) else None, ensure_ascii=False))}\n"
                f"  python: {show(json.dumps(theirs[k] if k < len(theirs) else None, ensure_ascii=False))}")

    if findings:
        print('findings (errors on one side only):\n' + '\n'.join(findings) + '\n')
    if disagreements:
        print('DISAGREEMENTS:\n' + '\n'.join(disagreements) + '\n')
    print(f'python csv oracle: {len(cases)} inputs, {agreed} agreed ({both_rejected} rejected by both), '
          f'{one_sided} skipped (errors on one side), {len(disagreements)} disagreements')
    return 1 if disagreements else 0


if __name__ == '__main__':
    sys.exit(main())
