// Shared pieces of the libFuzzer targets: the reference field list, a sink that writes
// everything FileValidator reports into one comparable transcript, input slicing, and a check
// macro that aborts (so libFuzzer keeps the input) with a message saying which invariant broke.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "schema/field.h"
#include "validate/file_validator.h"

// Aborts with the failed condition and a note; never compiled out.
#define FUZZ_CHECK(cond, note)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, __LINE__, #cond, note); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)

namespace intake::fuzz {

// The benchmark's field list (/work/shared/bench/fields.json): every identity, a required text,
// email, phone, timezone, ISO date, enum and free text.
inline constexpr std::string_view kReferenceFieldsJson = R"({"fields": [
  {"key": "external_id", "label": "External ID", "type": "text", "required": true, "import": true, "identity": "external_id"},
  {"key": "name", "label": "Name", "type": "text", "required": false, "import": true, "identity": "name"},
  {"key": "email", "label": "Email", "type": "email", "required": true, "import": true, "identity": "email"},
  {"key": "phone", "label": "Phone", "type": "phone", "required": false, "import": true, "identity": "phone"},
  {"key": "timezone", "label": "Timezone", "type": "timezone", "required": false, "import": true},
  {"key": "signup_date", "label": "Signup date", "type": "date", "required": false, "import": true},
  {"key": "plan", "label": "Plan", "type": "enum", "values": ["free", "pro", "enterprise"], "required": false, "import": true},
  {"key": "notes", "label": "Notes", "type": "text", "required": false, "import": true}
]})";

inline const std::vector<Field>& reference_fields() {
  static const std::vector<Field> fields = [] {
    FieldsParse p = fields_from_json_text(kReferenceFieldsJson);
    FUZZ_CHECK(p.problems.empty(), "the reference field list must parse");
    return p.fields;
  }();
  return fields;
}

// Appends `v` length-prefixed, so transcripts of different event sequences never coincide.
inline void put(std::string& t, std::string_view v) {
  t += std::to_string(v.size());
  t += ':';
  t += v;
  t += ' ';
}
inline void put(std::string& t, uint64_t n) {
  t += std::to_string(n);
  t += ' ';
}

// Records every callback, and checks the CleanRow contract of file_validator.h on the way.
class TranscriptSink final : public ValidationSink {
 public:
  std::string text;
  uint64_t clean_rows = 0, failed_rows = 0, error_records = 0;
  // Clean rows as (row, identity, values), kept when `keep_rows` (for the batch round trip).
  struct Row {
    uint64_t row;
    std::string identity;
    std::vector<std::string> values;
  };
  bool keep_rows = false;
  std::vector<Row> rows;

  void on_header(const HeaderInfo& h) override {
    text += "H ";
    put(text, uint64_t(h.dialect.delimiter));
    put(text, uint64_t(h.dialect.encoding));
    put(text, uint64_t(h.dialect.bom));
    for (const std::string& s : h.mapping.headers) put(text, s);
    text += "| ";
    for (int c : h.mapping.column_field) put(text, uint64_t(int64_t(c)));
    text += "| ";
    for (const std::string& s : h.mapping.extra_columns) put(text, s);
    for (const std::string& s : h.mapping.not_imported) put(text, s);
    for (size_t f : h.mapping.missing_required) put(text, f);
    for (size_t f : h.mapping.missing_optional) put(text, f);
    if (h.mapping.error) put(text, h.mapping.error->code + ": " + h.mapping.error->message);
    for (size_t f : h.output_fields) put(text, f);
    text += '\n';
    FUZZ_CHECK(h.mapping.column_field.size() == h.mapping.headers.size(), "one entry per column");
    header_values_ = h.output_fields.size();
  }

  void on_clean_row(const CleanRow& r) override {
    ++clean_rows;
    FUZZ_CHECK(r.row >= 2, "data rows start at row 2");
    FUZZ_CHECK(r.values.size() == header_values_, "one value per output field");
    text += "C ";
    put(text, r.row);
    put(text, r.identity);
    put(text, r.duplicate_of);
    put(text, uint64_t(r.joined_plain));
    for (std::string_view v : r.values) put(text, v);
    text += '\n';
    if (r.joined.data()) check_joined(r);
    if (keep_rows) {
      Row row{r.row, std::string(r.identity), {}};
      for (std::string_view v : r.values) row.values.emplace_back(v);
      rows.push_back(std::move(row));
    }
  }

  void on_row_failed(uint64_t row, std::span<const RowError> errors) override {
    ++failed_rows;
    error_records += errors.size();
    FUZZ_CHECK(!errors.empty(), "a failed row has at least one error");
    text += "F ";
    put(text, row);
    for (const RowError& e : errors) {
      FUZZ_CHECK(e.row == row, "errors carry their row");
      FUZZ_CHECK(!e.code.empty() && !e.message.empty(), "every error has a code and a message");
      put(text, e.field);
      put(text, e.value);
      put(text, e.code);
      put(text, e.message);
    }
    text += '\n';
  }

  // Appends the validator's final state and checks the counters against the callbacks.
  void finish(const FileValidator& v) {
    const ValidationCounts& c = v.counts();
    text += "E ";
    for (uint64_t n : {c.rows, c.valid, c.failed, c.skipped, c.duplicates, c.errors, c.bytes, c.last_row})
      put(text, n);
    uint64_t tallied = 0;
    for (const ErrorTally& t : c.by_field_code) {
      put(text, t.field);
      put(text, t.code);
      put(text, t.count);
      tallied += t.count;
    }
    if (v.file_error()) put(text, v.file_error()->code + ": " + v.file_error()->message);
    put(text, uint64_t(v.duplicate_tracking_full()));
    text += '\n';
    FUZZ_CHECK(c.valid == clean_rows, "counts().valid is the number of clean rows");
    FUZZ_CHECK(c.failed == failed_rows, "counts().failed is the number of failed rows");
    FUZZ_CHECK(c.errors == error_records && tallied == error_records, "error counts agree");
    FUZZ_CHECK(c.valid + c.failed <= c.rows, "no row is both or reported twice");
    FUZZ_CHECK(c.skipped <= c.duplicates, "skipped rows are duplicates");
    if (v.file_error()) FUZZ_CHECK(!v.file_error()->code.empty() && !v.file_error()->message.empty(), "file error text");
  }

 private:
  // `values` are consecutive views into `joined` separated by ','; `joined_plain` means none
  // needs CSV quoting (no , " CR LF, no leading or trailing space).
  void check_joined(const CleanRow& r) {
    const char* p = r.joined.data();
    for (size_t k = 0; k < r.values.size(); ++k) {
      if (k) {
        FUZZ_CHECK(p < r.joined.data() + r.joined.size() && *p == ',', "values separated by ','");
        ++p;
      }
      FUZZ_CHECK(r.values[k].data() == p || r.values[k].empty(), "value k follows value k-1 in joined");
      p += r.values[k].size();
    }
    FUZZ_CHECK(p == r.joined.data() + r.joined.size(), "joined ends with the last value");
    if (!r.joined_plain) return;
    for (std::string_view v : r.values) {
      FUZZ_CHECK(v.find_first_of(",\"\r\n") == std::string_view::npos, "a plain value needs no quotes");
      FUZZ_CHECK(v.empty() || (v.front() != ' ' && v.back() != ' '), "a plain value has no outer space");
    }
  }
  size_t header_values_ = 0;
};

// Pushes `body` in slices whose lengths cycle through `lengths` (0: an empty push), then finishes.
inline void run_sliced(FileValidator& v, std::string_view body, std::span<const uint8_t> lengths,
                       TranscriptSink& sink) {
  size_t at = 0, i = 0;
  bool any = false;
  for (uint8_t n : lengths) any |= n != 0;
  while (at < body.size()) {
    size_t n = any && !lengths.empty() ? lengths[i++ % lengths.size()] : 1;
    n = std::min(n, body.size() - at);
    v.push(body.substr(at, n), sink);
    at += n;
  }
  v.finish(sink);
  sink.finish(v);
}

}  // namespace intake::fuzz
