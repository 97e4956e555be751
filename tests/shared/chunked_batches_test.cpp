// Tests of chunked validation: a file cut into chunks (after line breaks, some of them inside
// quoted values), each chunk validated alone after the header record, then sequenced, must give
// exactly what one FileValidator and BatchBuilder give on the whole file — batches byte for byte,
// error records, counts — under every duplicate policy. The driver below does what
// web/lib/chunked.js and worker.js do, without the Workers.
#include "batch/chunked_batches.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "csv/dialect.h"

using namespace intake;

namespace {

struct Result {
  std::vector<Batch> batches;
  std::vector<RowError> errors;
  ValidationCounts counts;
  size_t extended_chunks = 0;
};

struct Collect : ValidationSink {
  explicit Collect(const std::vector<Field>& f, BatchLimits l) : fields(f), limits(l) {}
  void on_header(const HeaderInfo& h) override {
    std::vector<std::string> keys;
    for (size_t f : h.output_fields) keys.push_back(fields[f].key);
    builder.emplace(keys, limits);
    lines.emplace(keys);
  }
  void on_clean_row(const CleanRow& r) override {
    if (chunk) lines->add(r);
    else builder->add(r, [&](Batch&& b) { out.batches.push_back(std::move(b)); });
  }
  void on_row_failed(uint64_t, std::span<const RowError> errors) override {
    out.errors.insert(out.errors.end(), errors.begin(), errors.end());
  }
  const std::vector<Field>& fields;
  BatchLimits limits;
  bool chunk = false;
  std::optional<BatchBuilder> builder;
  std::optional<ChunkLines> lines;
  Result out;
};

Result whole(const std::vector<Field>& fields, const ValidatorOptions& opts, BatchLimits limits, std::string_view csv) {
  Collect c(fields, limits);
  FileValidator v(fields, opts);
  for (size_t at = 0; at < csv.size(); at += 97) v.push(csv.substr(at, 97), c);
  v.finish(c);
  if (c.builder) c.builder->flush([&](Batch&& b) { c.out.batches.push_back(std::move(b)); });
  c.out.counts = v.counts();
  return std::move(c.out);
}

size_t after_line_break(std::string_view csv, size_t from) {
  const size_t lf = csv.find('\n', from);
  return lf == std::string_view::npos ? csv.size() : lf + 1;
}

void add_counts(ValidationCounts& into, const ValidationCounts& c) {
  into.rows += c.rows;
  into.valid += c.valid;
  into.failed += c.failed;
  into.skipped += c.skipped;
  into.duplicates += c.duplicates;
  into.errors += c.errors;
  for (const ErrorTally& t : c.by_field_code)
    for (uint64_t i = 0; i < t.count; ++i) tally_error(into.by_field_code, t.field, t.code);
}

// Cuts after the first line break at or after each multiple of `step`, validates each chunk on
// its own, extends a chunk whose cut lies inside a record, and sequences them in order.
Result chunked(const std::vector<Field>& fields, ValidatorOptions opts, BatchLimits limits, std::string_view csv,
               size_t step) {
  opts.dialect = sniff_dialect(csv.substr(0, opts.sniff_bytes));
  // The header record ends at the first line break where a validator stands between records.
  size_t header_end = 0;
  {
    ValidatorOptions o = opts;
    o.track_duplicates = false;
    FileValidator v(fields, o);
    ValidationSink none;
    while (header_end < csv.size() && !(v.records_read() == 1 && v.between_records())) {
      const size_t next = after_line_break(csv, header_end);
      v.push(csv.substr(header_end, next - header_end), none);
      header_end = next;
    }
  }
  const std::string_view header = csv.substr(0, header_end);
  ChunkSequencer sequencer(fields, opts, limits, header);
  REQUIRE_FALSE(sequencer.error());

  Result out;
  uint64_t offset = 0;
  size_t start = header_end;
  auto on_batch = [&](Batch&& b) { out.batches.push_back(std::move(b)); };
  while (start < csv.size()) {
    size_t stop = after_line_break(csv, (start / step + 1) * step);  // the first line break at or after the next multiple
    ValidatorOptions o = opts;
    o.track_duplicates = false;
    FileValidator v(fields, o);
    Collect c(fields, limits);
    c.chunk = true;
    v.push(header, c);
    v.push(csv.substr(start, stop - start), c);
    bool extended = false;
    while (!v.between_records() && stop < csv.size()) {  // the cut lay inside a record
      const size_t next = after_line_break(csv, stop);
      v.push(csv.substr(stop, next - stop), c);
      stop = next;
      extended = true;
    }
    if (stop == csv.size()) v.finish(c);
    out.extended_chunks += extended;
    REQUIRE_FALSE(v.file_error());
    c.lines->finish();
    // This chunk's errors, renumbered, merged in row order with the duplicates refused in it.
    std::vector<RowError> errors = c.out.errors;
    for (RowError& e : errors) e.row += offset;
    sequencer.add(c.lines->body(), c.lines->meta(), offset, on_batch, [&](const RowError& e) { errors.push_back(e); });
    std::stable_sort(errors.begin(), errors.end(), [](const RowError& a, const RowError& b) { return a.row < b.row; });
    out.errors.insert(out.errors.end(), errors.begin(), errors.end());
    ValidationCounts counts = v.counts();
    if (counts.last_row) out.counts.last_row = counts.last_row + offset;
    add_counts(out.counts, counts);
    offset += v.records_read() - 1;  // less the header record each chunk repeats
    start = stop;
  }
  sequencer.finish(on_batch);
  const ValidationCounts& adj = sequencer.adjustments();
  out.counts.valid -= adj.failed;
  out.counts.failed += adj.failed;
  add_counts(out.counts, ValidationCounts{.skipped = adj.skipped, .duplicates = adj.duplicates, .errors = adj.errors,
                                          .by_field_code = adj.by_field_code});
  out.counts.bytes = csv.size();
  return out;
}

void check_same(const Result& a, const Result& b) {
  REQUIRE(a.batches.size() == b.batches.size());
  for (size_t i = 0; i < a.batches.size(); ++i) {
    CAPTURE(i);
    CHECK(a.batches[i].seq == b.batches[i].seq);
    CHECK(a.batches[i].first_row == b.batches[i].first_row);
    CHECK(a.batches[i].last_row == b.batches[i].last_row);
    CHECK(a.batches[i].rows == b.batches[i].rows);
    CHECK(a.batches[i].body == b.batches[i].body);
  }
  REQUIRE(a.errors.size() == b.errors.size());
  for (size_t i = 0; i < a.errors.size(); ++i) {
    CAPTURE(i);
    CHECK(a.errors[i].row == b.errors[i].row);
    CHECK(a.errors[i].field == b.errors[i].field);
    CHECK(a.errors[i].value == b.errors[i].value);
    CHECK(a.errors[i].code == b.errors[i].code);
    CHECK(a.errors[i].message == b.errors[i].message);
  }
  const ValidationCounts &x = a.counts, &y = b.counts;
  CHECK(x.rows == y.rows);
  CHECK(x.valid == y.valid);
  CHECK(x.failed == y.failed);
  CHECK(x.skipped == y.skipped);
  CHECK(x.duplicates == y.duplicates);
  CHECK(x.errors == y.errors);
  CHECK(x.bytes == y.bytes);
  CHECK(x.last_row == y.last_row);
  REQUIRE(x.by_field_code.size() == y.by_field_code.size());
  for (size_t i = 0; i < x.by_field_code.size(); ++i) {
    CHECK(x.by_field_code[i].field == y.by_field_code[i].field);
    CHECK(x.by_field_code[i].code == y.by_field_code[i].code);
    CHECK(x.by_field_code[i].count == y.by_field_code[i].count);
  }
}

const std::vector<Field> kFields = {
    {.key = "external_id", .label = "External ID", .identity = Identity::external_id},
    {.key = "email", .label = "Email", .type = FieldType::email, .identity = Identity::email},
    {.key = "signup", .label = "Signup", .type = FieldType::date},
    {.key = "notes", .label = "Notes"},
};

// Rows of every kind: clean, failing, duplicates by external id and by email, blank lines,
// values quoted with commas, quotes and line breaks (so that some cuts fall inside them).
std::string sample_file(const char* eol, bool bom) {
  std::string csv = bom ? "\xEF\xBB\xBF" : "";
  csv += std::string("External ID,Email,Signup,Notes") + eol;
  for (int i = 0; i < 600; ++i) {
    const std::string n = std::to_string(i);
    const std::string id = i % 37 == 5 ? "P" + std::to_string(i - 3) : (i % 11 == 0 ? "" : "P" + n);
    const std::string email = i % 13 == 0 ? "bad" + n : "user" + std::to_string(i % 29 == 0 ? 1 : i) + "@Example.com";
    const std::string date = i % 17 == 0 ? "2024-02-30" : "2024-01-0" + std::to_string(1 + i % 9);
    std::string notes = i % 5 == 0 ? "\"multi\nline, \"\"quoted\"\"\n" + n + "\"" : "plain " + n;
    if (i % 23 == 0) notes = "\"unclosed-looking \"\"\"\"\"";
    csv += id + "," + email + "," + date + "," + notes + eol;
    if (i % 41 == 0) csv += eol;  // a blank line keeps its row number
  }
  csv += "P9999,last@example.com,2024-03-01,no final line break";
  return csv;
}

}  // namespace

TEST_CASE("chunks validated apart and sequenced give the whole file's batches, errors and counts") {
  for (const char* eol : {"\n", "\r\n"}) {
    for (bool bom : {false, true}) {
      const std::string csv = sample_file(eol, bom);
      for (DuplicatePolicy policy : {DuplicatePolicy::update, DuplicatePolicy::skip, DuplicatePolicy::reject}) {
        ValidatorOptions opts;
        opts.duplicate_policy = policy;
        const BatchLimits limits{.max_rows = 37, .max_bytes = 2000};
        const Result expect = whole(kFields, opts, limits, csv);
        REQUIRE(expect.counts.duplicates > 10);
        REQUIRE(expect.counts.failed > 50);
        for (size_t step : {size_t(1), size_t(64), size_t(700), size_t(5000), size_t(1) << 20}) {
          CAPTURE(std::string(eol) == "\n");
          CAPTURE(bom);
          CAPTURE(to_string(policy));
          CAPTURE(step);
          const Result got = chunked(kFields, opts, limits, csv, step);
          check_same(got, expect);
          if (step <= 700) CHECK(got.extended_chunks > 0);  // some cuts fell inside quoted values
        }
      }
    }
  }
}

TEST_CASE("chunks of a Windows-1252 file are transcoded as the whole file is") {
  std::string csv = "External ID;Email;Signup;Notes\r\n";
  for (int i = 0; i < 200; ++i)
    csv += "P" + std::to_string(i) + ";a" + std::to_string(i) + "@example.com;2024-01-02;Caf\xE9 \x80" + std::to_string(i) + "\r\n";
  ValidatorOptions opts;
  const Result expect = whole(kFields, opts, BatchLimits{.max_rows = 50}, csv);
  REQUIRE(expect.counts.valid == 200);
  check_same(chunked(kFields, opts, BatchLimits{.max_rows = 50}, csv, 300), expect);
}

TEST_CASE("the sequencer refuses a header record that is not exactly the header row") {
  ValidatorOptions opts;
  opts.dialect = Dialect{};
  CHECK(ChunkSequencer(kFields, opts, {}, "External ID,Email\n").error() == std::nullopt);
  CHECK(ChunkSequencer(kFields, opts, {}, "External ID,\"Em\nail").error()->code == "invalid_chunk");
  CHECK(ChunkSequencer(kFields, opts, {}, "External ID,Email\nP1,a@b.co\n").error()->code == "invalid_chunk");
  std::vector<Field> required = kFields;
  required[0].required = true;
  CHECK(ChunkSequencer(required, opts, {}, "Nothing,Known\n").error()->code == "missing_required_columns");
}
