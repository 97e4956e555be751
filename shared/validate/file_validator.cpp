// The file validation pipeline (see file_validator.h): holds the head until the dialect is
// known, then streams records through the tokenizer, maps the header, checks every cell of every
// row, applies the duplicate policy and reports clean rows and errors to the sink.
#include "validate/file_validator.h"

#include <algorithm>
#include <charconv>

#include "core/platform.h"
#include "csv/encoding.h"
#include "validate/field_checks.h"

namespace intake {

std::string_view to_string(DuplicatePolicy p) {
  switch (p) {
    case DuplicatePolicy::update: return "update";
    case DuplicatePolicy::skip: return "skip";
    case DuplicatePolicy::reject: return "reject";
  }
  return "update";
}

std::optional<DuplicatePolicy> duplicate_policy_from_string(std::string_view s) {
  if (s == "update") return DuplicatePolicy::update;
  if (s == "skip") return DuplicatePolicy::skip;
  if (s == "reject") return DuplicatePolicy::reject;
  return std::nullopt;
}

namespace {

constexpr size_t kMaxErrorValue = 200;  // bytes of an offending value kept in an error

// Cuts `v` to kMaxErrorValue bytes on a UTF-8 boundary, marking the cut with "…".
std::string excerpt(std::string_view v) {
  if (v.size() <= kMaxErrorValue) return std::string(v);
  size_t n = kMaxErrorValue;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return std::string(v.substr(0, n)) + "\xE2\x80\xA6";
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

class FileValidator::Impl final : public CsvRecordSink {
 public:
  Impl(std::vector<Field> fields, ValidatorOptions options)
      : fields_(std::move(fields)), opts_(std::move(options)) {
    check_opts_.default_region = opts_.default_region;
    if (!opts_.row_column.empty()) {
      opts_.mapping[opts_.row_column] = "";  // never a field
      // Batch values are already normalized (shared/batch/FORMAT.md): dates are ISO whatever
      // format the field reads from uploaded files.
      for (Field& f : fields_) f.format.clear();
    }
  }

  void push(std::string_view bytes, ValidationSink& sink) {
    counts_.bytes += bytes.size();
    if (file_error_) return;
    sink_ = &sink;
    if (!tokenizer_) {
      head_.append(bytes);
      if (head_.size() >= opts_.sniff_bytes) start();
      return;
    }
    feed(bytes);
  }

  void finish(ValidationSink& sink) {
    sink_ = &sink;
    if (!tokenizer_ && !file_error_) start();
    if (tokenizer_ && !file_error_) tokenizer_->finish(*this);
    if (!header_ && !file_error_)
      file_error_ = FileError{codes::kEmptyFile, "the file is empty; it needs a header row naming the columns"};
  }

  void on_record(const CsvRecord& r) override {
    if (file_error_) return;
    counts_.last_row = r.row;
    if (!header_) on_header_record(r);
    else on_data_record(r);
  }

  ValidationCounts counts_;
  std::optional<FileError> file_error_;
  std::optional<HeaderInfo> header_;
  Dialect dialect_;
  std::unique_ptr<DuplicateTracker> duplicates_;

 private:
  // Decides dialect and encoding from the head, then feeds the head through the tokenizer.
  void start() {
    // Exactly the first sniff_bytes decide, whatever the size of the first slice.
    dialect_ = sniff_dialect(std::string_view(head_).substr(0, opts_.sniff_bytes));
    if (dialect_.utf16) {
      file_error_ = FileError{codes::kInvalidEncoding,
                              "the file is UTF-16; save it as UTF-8 (in Excel: CSV UTF-8) and try again"};
      return;
    }
    if (opts_.delimiter) dialect_.delimiter = opts_.delimiter;
    tokenizer_.emplace(dialect_.delimiter, opts_.limits, dialect_.encoding == Encoding::utf8);
    std::string head = std::move(head_);
    head_.clear();
    // A BOM says UTF-8, but the bytes after it may still be Windows-1252: the BOM must not be
    // transcoded into the first header.
    std::string_view rest = head;
    if (dialect_.bom && dialect_.encoding == Encoding::windows_1252) rest.remove_prefix(3);
    feed(rest);
  }

  void feed(std::string_view bytes) {
    if (dialect_.encoding == Encoding::windows_1252) {
      transcoded_.clear();
      windows_1252_to_utf8(bytes, transcoded_);
      tokenizer_->push(transcoded_, *this);
    } else {
      tokenizer_->push(bytes, *this);
    }
  }

  void on_header_record(const CsvRecord& r) {
    if (r.error_code) {
      file_error_ = FileError{r.error_code, "the header row (row " + std::to_string(r.row) +
                                                ") cannot be read: " + std::string(r.error_message)};
      return;
    }
    std::vector<std::string> headers;
    for (std::string_view h : r.fields) headers.emplace_back(trim(h));
    HeaderInfo info;
    info.dialect = dialect_;
    info.mapping = map_headers(headers, fields_, opts_.mapping);
    for (size_t c = 0; c < headers.size() && !opts_.row_column.empty(); ++c)
      if (headers[c] == opts_.row_column) row_column_ = int(c);
    for (size_t f = 0; f < fields_.size(); ++f) {
      for (size_t c = 0; c < headers.size(); ++c) {
        if (info.mapping.column_field[c] != int(f)) continue;
        size_t k = info.output_fields.size();
        info.output_fields.push_back(f);
        column_of_output_.push_back(c);
        switch (fields_[f].identity) {
          case Identity::external_id: identity_outputs_[0] = int(k); break;
          case Identity::email: identity_outputs_[1] = int(k); break;
          case Identity::phone: identity_outputs_[2] = int(k); break;
          default: break;
        }
      }
    }
    for (size_t f : info.output_fields) {
      slack_.push_back(cell_output_slack(fields_[f]));
      const FieldType t = fields_[f].type;
      may_need_quoting_.push_back(t == FieldType::text || t == FieldType::enumeration);
    }
    identity_rank_.assign(info.output_fields.size(), 0);
    for (int o : identity_outputs_)
      if (o >= 0) {
        identity_rank_[size_t(o)] = 1;
        identity_cells_ = true;
      }
    header_columns_ = headers.size();
    if (info.mapping.error) file_error_ = info.mapping.error;
    if (opts_.track_duplicates && !file_error_)
      duplicates_ = std::make_unique<DuplicateTracker>(opts_.duplicate_capacity);
    header_ = std::move(info);
    sink_->on_header(*header_);
  }

  void fail(RowError e) {
    tally(e.field, e.code);
    errors_.push_back(std::move(e));
  }

  void tally(const std::string& field, const std::string& code) {
    auto& v = counts_.by_field_code;
    auto it = std::lower_bound(v.begin(), v.end(), std::pair(field, code), [](const ErrorTally& t, const auto& k) {
      return std::tie(t.field, t.code) < std::tie(k.first, k.second);
    });
    if (it != v.end() && it->field == field && it->code == code) ++it->count;
    else v.insert(it, ErrorTally{field, code, 1});
  }

  // Batch mode: the row's number comes from the row column. It must be readable (even on a row
  // with other problems, so its errors carry the right number), at most 2^53 (exact in JSON and
  // in JS), and increase from line to line; anything else makes the batch unusable.
  bool read_row_number(const CsvRecord& r, uint64_t& row) {
    constexpr uint64_t kMaxRow = uint64_t(1) << 53;
    std::string_view text;
    if (size_t(row_column_) < r.fields.size()) text = trim(r.fields[size_t(row_column_)]);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    std::string line = "line " + std::to_string(r.row) + " of the batch";
    if (r.fields.empty() && r.error_code) {
      file_error_ = FileError{r.error_code, line + " cannot be read: " + std::string(r.error_message)};
      return false;
    }
    if (ec != std::errc() || end != text.data() + text.size() || n < 2 || n > kMaxRow) {
      file_error_ = FileError{"invalid_row_number",
                              line + " has \"" + excerpt(text) + "\" in column " + opts_.row_column +
                                  "; it must be the row's number in the file (2 to 2^53)"};
      return false;
    }
    if (n <= last_batch_row_) {
      file_error_ = FileError{"invalid_row_number",
                              line + " has row " + std::to_string(n) + " after row " +
                                  std::to_string(last_batch_row_) + "; rows must be in file order, each once"};
      return false;
    }
    last_batch_row_ = row = n;
    return true;
  }

  void on_data_record(const CsvRecord& r) {
    ++counts_.rows;
    errors_.clear();
    uint64_t row = r.row;
    if (opts_.first_row) row = opts_.first_row + (r.row - 2);
    if (row_column_ >= 0 && !read_row_number(r, row)) return;
    if (r.error_code) {
      fail(RowError{row, "", "", r.error_code, std::string(r.error_message)});
    } else if (r.fields.size() != header_columns_) {
      fail(RowError{row, "", "", codes::kWrongFieldCount,
                    "the row has " + std::to_string(r.fields.size()) + " values but the header has " +
                        std::to_string(header_columns_) +
                        " columns; quote values that contain the delimiter, or add the missing values"});
    } else {
      check_cells(r, row);
    }
    if (errors_.empty()) check_duplicate(row);
    if (!errors_.empty()) {
      ++counts_.failed;
      counts_.errors += errors_.size();
      sink_->on_row_failed(row, errors_);
      return;
    }
    ++counts_.valid;
    CleanRow clean;
    clean.row = row;
    clean.values = values_;
    clean.identity = identity_;
    clean.duplicate_of = duplicate_of_;
    clean.joined = std::string_view(norm_.data(), norm_len_);
    clean.joined_plain = joined_plain_;
    if (quote_mask_complete_) clean.quote_mask = quote_mask_;
    sink_->on_clean_row(clean);
  }

  // Normalized values are written one after the other into norm_, joined by ',' (value k is
  // [starts_[k], ends_[k]), norm_len_ bytes in all), so that a row whose values need no CSV
  // quoting is its own batch line. norm_ is sized for the row's worst case first, and the checks
  // write straight into it.
  void check_cells(const CsvRecord& r, uint64_t row) {
    const auto& outputs = header_->output_fields;
    const size_t count = outputs.size();
    size_t room = count;
    for (size_t k = 0; k < count; ++k) room += r.fields[column_of_output_[k]].size() + slack_[k];
    if (norm_.size() < room) norm_.resize(std::max(room, 2 * norm_.size()));
    char* const base = norm_.data();
    char* w = base;
    starts_.resize(count);
    ends_.resize(count);
    uint64_t quote_mask = 0;
    bool quote_beyond_mask = false;
    identity_state_ = identity_cells_ ? kIdentityPending : kIdentityNone;
    for (size_t k = 0; k < count; ++k) {
      const Field& f = fields_[outputs[k]];
      std::string_view raw = r.fields[column_of_output_[k]];
      if (k) *w++ = ',';
      starts_[k] = size_t(w - base);
      // write_cell trims; a value empty after trimming passes, or fails as required_missing.
      if (!write_cell(f, raw, check_opts_, w, cell_error_)) [[unlikely]] {
        if (std::string_view(cell_error_.code) == codes::kRequiredMissing)  // by text: literals may differ per TU
          fail(RowError{row, f.key, std::string(), codes::kRequiredMissing,
                        f.label + " is required; fill it in on this row"});
        else
          fail(RowError{row, f.key, excerpt(raw), cell_error_.code, std::move(cell_error_.message)});
        cell_error_ = CellError{};
      }
      ends_[k] = size_t(w - base);
      // Only text and enum values can hold a comma, quote or line break, or start or end with a
      // space (the other types' normal forms never do): they alone are looked at for quoting.
      if (may_need_quoting_[k] && ends_[k] > starts_[k]) {
        const char* vb = base + starts_[k];
        const char* ve = base + ends_[k];
        if (vb[0] == ' ' || ve[-1] == ' ' || platform::find_any4(vb, ve, ',', '"', '\n', '\r') != size_t(ve - vb)) {
          if (k < 64) quote_mask |= uint64_t(1) << k;
          else quote_beyond_mask = true;
        }
      }
      // As soon as the identity is known, start loading its duplicate-table bucket: the probe
      // comes after the rest of the row is checked, by which time the cache miss is paid.
      if (identity_rank_[k] && identity_state_ == kIdentityPending && errors_.empty()) [[unlikely]]
        resolve_identity(k);
    }
    norm_len_ = size_t(w - base);
    if (!errors_.empty()) return;
    values_.resize(count);
    for (size_t k = 0; k < count; ++k) values_[k] = std::string_view(base + starts_[k], ends_[k] - starts_[k]);
    quote_mask_ = quote_mask;
    quote_mask_complete_ = !quote_beyond_mask;
    joined_plain_ = quote_mask == 0 && !quote_beyond_mask;
  }

  // Called after output cell k (an identity cell) was normalized without error on a row so far
  // clean: when the identity rule (external_id, else email, else phone) can be decided from the
  // cells 0..k, builds identity_, hashes it and prefetches its bucket.
  void resolve_identity(size_t k) {
    int which = -1;
    for (int i = 0; i < 3; ++i) {
      int o = identity_outputs_[i];
      if (o < 0) continue;
      if (size_t(o) > k) return;  // a preferred identity cell is still to come
      if (cell_size(size_t(o)) != 0) {
        which = i;
        break;
      }
    }
    identity_state_ = kIdentityNone;
    if (which < 0) return;
    static constexpr std::string_view kPrefix[3] = {"external_id:", "email:", "phone:"};
    size_t o = size_t(identity_outputs_[which]);
    identity_.assign(kPrefix[which]).append(norm_.data() + starts_[o], ends_[o] - starts_[o]);
    if (which == 1)  // the same mailbox whatever the case: Ana@X.io is ana@x.io
      for (size_t i = kPrefix[1].size(); i < identity_.size(); ++i)
        if (identity_[i] >= 'A' && identity_[i] <= 'Z') identity_[i] = char(identity_[i] + 32);
    identity_which_ = which;
    identity_state_ = kIdentityKnown;
    if (!duplicates_) return;
    identity_hash_ = DuplicateTracker::hash(identity_);
    duplicates_->prefetch(identity_hash_);
  }

  size_t cell_size(size_t o) const { return ends_[o] - starts_[o]; }

  // Sets identity_ and duplicate_of_ for a clean row (from what resolve_identity found); under
  // reject, a duplicate becomes an error.
  void check_duplicate(uint64_t row) {
    duplicate_of_ = 0;
    if (identity_state_ != kIdentityKnown) {
      identity_.clear();
      return;
    }
    int which = identity_which_;
    if (!duplicates_) return;
    uint64_t first = duplicates_->first_seen_hash(identity_hash_, row);
    if (first == 0) return;
    ++counts_.duplicates;
    duplicate_of_ = first;
    if (opts_.duplicate_policy == DuplicatePolicy::skip) ++counts_.skipped;
    if (opts_.duplicate_policy != DuplicatePolicy::reject) return;
    const Field& f = fields_[header_->output_fields[size_t(identity_outputs_[which])]];
    fail(RowError{row, f.key, excerpt(values_[size_t(identity_outputs_[which])]), codes::kDuplicateIdentity,
                  "row " + std::to_string(first) + " has the same " + f.label +
                      "; the duplicate policy is reject — remove one of the rows, or choose update or skip"});
  }

  std::vector<Field> fields_;
  ValidatorOptions opts_;
  CheckOptions check_opts_;
  ValidationSink* sink_ = nullptr;
  std::string head_;
  std::string transcoded_;
  std::optional<CsvTokenizer> tokenizer_;
  size_t header_columns_ = 0;
  int row_column_ = -1;
  uint64_t last_batch_row_ = 0;  // batch mode: the last row number read
  std::vector<size_t> column_of_output_;
  int identity_outputs_[3] = {-1, -1, -1};  // output index of external_id, email, phone
  // Per-row scratch, reused so a clean row allocates nothing.
  std::string norm_;          // a buffer: its first norm_len_ bytes are the row's values
  size_t norm_len_ = 0;
  std::vector<size_t> slack_;              // per output cell: cell_output_slack of its field
  std::vector<uint8_t> may_need_quoting_;  // per output cell: a text or enum field
  uint64_t quote_mask_ = 0;                // which of the first 64 values need CSV quoting
  bool quote_mask_complete_ = true;        // no value after the 64th does
  std::vector<size_t> starts_, ends_;
  bool joined_plain_ = false;
  std::vector<std::string_view> values_;
  std::vector<RowError> errors_;
  CellError cell_error_;
  std::string identity_;
  uint64_t duplicate_of_ = 0;
  // The identity of the row being checked, decided as soon as its cells allow (resolve_identity).
  enum IdentityState : uint8_t { kIdentityNone, kIdentityPending, kIdentityKnown };
  std::vector<uint8_t> identity_rank_;  // per output cell: 1 if it is an identity cell
  bool identity_cells_ = false;         // any identity cell at all
  IdentityState identity_state_ = kIdentityNone;
  int identity_which_ = -1;             // 0 external_id, 1 email, 2 phone
  uint64_t identity_hash_ = 0;
};

FileValidator::FileValidator(std::vector<Field> fields, ValidatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(fields), std::move(options))) {}
FileValidator::~FileValidator() = default;

void FileValidator::push(std::string_view bytes, ValidationSink& sink) { impl_->push(bytes, sink); }
void FileValidator::finish(ValidationSink& sink) { impl_->finish(sink); }
const ValidationCounts& FileValidator::counts() const { return impl_->counts_; }
const std::optional<FileError>& FileValidator::file_error() const { return impl_->file_error_; }
const std::optional<HeaderInfo>& FileValidator::header() const { return impl_->header_; }
const Dialect& FileValidator::dialect() const { return impl_->dialect_; }
bool FileValidator::duplicate_tracking_full() const {
  return impl_->duplicates_ && impl_->duplicates_->full();
}

}  // namespace intake
