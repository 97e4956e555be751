// The validation pipeline for one file: bytes in slices → dialect and encoding → tokenizer →
// header mapping → per-cell checks and normalization → duplicate policy → clean rows and row
// errors, with counters. The browser module, the CLI and the server (re-checking each batch,
// which is itself a CSV with a "_row" column) all run this same code.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/row_error.h"
#include "csv/dialect.h"
#include "csv/tokenizer.h"
#include "schema/field.h"
#include "schema/header_mapping.h"
#include "validate/duplicate_tracker.h"

namespace intake {

enum class DuplicatePolicy { update, skip, reject };
std::string_view to_string(DuplicatePolicy p);  // "update", "skip", "reject"
std::optional<DuplicatePolicy> duplicate_policy_from_string(std::string_view s);

struct ValidatorOptions {
  ExplicitMapping mapping;                // applied before automatic header matching
  std::string default_region = "US";      // for phone numbers without +country
  DuplicatePolicy duplicate_policy = DuplicatePolicy::update;
  char delimiter = 0;                     // 0: sniff among , ; tab | from the head
  CsvLimits limits;
  bool track_duplicates = true;           // off on the server, which asks its database
  size_t duplicate_capacity = size_t(3) << 19;  // identities remembered: 24 MiB (duplicate_tracker.h)
  std::string row_column;                 // batch mode: the column carrying row numbers; values
                                          // are read as normalized (dates ISO, whatever `format`)
  uint64_t first_row = 0;                 // batch mode without row_column: row of the first line
                                          // (2 or more; 1 is a file error: row 1 is the header)
  size_t sniff_bytes = size_t(64) << 10;  // how much of the head decides dialect and encoding
  // When set, the file's dialect and encoding as sniff_dialect() found them on its head: a
  // chunk of a file cut apart (the header row, then rows from the middle) is read exactly as
  // the whole file would be, without sniffing its own head. `delimiter` still overrides.
  std::optional<Dialect> dialect;
};

struct HeaderInfo {
  Dialect dialect;
  HeaderMapping mapping;
  std::vector<size_t> output_fields;  // field indexes in Data-tab order: the order of values
};

// The kinds of identity, in the order they are looked for: a CleanRow's identity is one of
// them followed by the value (see CleanRow::identity).
inline constexpr std::string_view kIdentityKinds[3] = {"external_id:", "email:", "phone:"};

// A row that passed every check. Views are valid only during the callback.
struct CleanRow {
  uint64_t row = 0;
  std::span<const std::string_view> values;  // normalized, in HeaderInfo::output_fields order
  std::string_view identity;                 // "external_id:P1" / "email:a@b.c" (lower-cased) / "phone:+1…", or ""
  uint64_t duplicate_of = 0;                 // earlier row with this identity (update/skip), or 0
  int identity_output = -1;                  // with `identity`: the index in `values` of its field
  // Optional (FileValidator fills it; BatchBuilder uses it): when `joined.data()` is not null,
  // `values` are views into `joined`, one after the other, separated by single ',' bytes; when
  // `joined_plain` too, no value needs CSV quoting, so `joined` is their CSV form as it stands.
  std::string_view joined;
  bool joined_plain = false;
  // With `joined`, when not nullopt: bit k set when value k needs CSV quoting (holds a comma,
  // quote, CR or LF, or starts or ends with a space); values after the 64th need none.
  std::optional<uint64_t> quote_mask;
};

class ValidationSink {
 public:
  virtual ~ValidationSink() = default;
  // Called once, after the header row, before any row. `mapping.error` set means nothing follows.
  virtual void on_header(const HeaderInfo& header) {}
  virtual void on_clean_row(const CleanRow& row) {}
  // Every problem of one failed row (one entry per failed cell, or one for the row).
  virtual void on_row_failed(uint64_t row, std::span<const RowError> errors) {}
};

struct ErrorTally {
  std::string field;
  std::string code;
  uint64_t count = 0;
};

struct ValidationCounts {
  uint64_t rows = 0;        // data rows read (blank lines not counted)
  uint64_t valid = 0;       // rows passed to on_clean_row (duplicates under skip included)
  uint64_t failed = 0;      // rows with at least one error
  uint64_t skipped = 0;     // duplicates under the skip policy (also counted in valid)
  uint64_t duplicates = 0;  // rows whose identity appeared on an earlier row, any policy
  uint64_t errors = 0;      // error records (a row may have several)
  uint64_t bytes = 0;       // input bytes consumed
  uint64_t last_row = 0;    // spreadsheet row number of the last record read
  std::vector<ErrorTally> by_field_code;  // sorted by field then code
};

class FileValidator {
 public:
  FileValidator(std::vector<Field> fields, ValidatorOptions options);
  ~FileValidator();
  FileValidator(const FileValidator&) = delete;
  FileValidator& operator=(const FileValidator&) = delete;

  // Feeds the next slice of the file; any size, any cut. Results go to `sink` as they are ready.
  void push(std::string_view bytes, ValidationSink& sink);
  // Ends the file. Afterwards counts() and file_error() are final.
  void finish(ValidationSink& sink);

  const ValidationCounts& counts() const;
  const std::optional<FileError>& file_error() const;  // header or encoding problem: rows ignored
  const std::optional<HeaderInfo>& header() const;
  const Dialect& dialect() const;
  bool duplicate_tracking_full() const;  // more identities than duplicate_capacity were seen
  // For a file cut into chunks: whether the bytes pushed so far end exactly at a record's end
  // (see CsvTokenizer::between_records; false before the dialect is known), and how many
  // records were read, header and blank lines included (the next record's row is one more).
  bool between_records() const;
  uint64_t records_read() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Counts one more error of (field, code) in `tallies`, kept sorted by field then code.
void tally_error(std::vector<ErrorTally>& tallies, const std::string& field, const std::string& code);

// The error a row gets under the reject policy when `first_row` had the same identity:
// `value` is the row's (normalized) value of the identity field `f`.
RowError duplicate_identity_error(uint64_t row, const Field& f, std::string_view value, uint64_t first_row);

}  // namespace intake
