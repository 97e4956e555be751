// The file validation pipeline (see file_validator.h): holds the head until the dialect is
// known, then streams records through the tokenizer, maps the header, checks every cell of every
// row, applies the duplicate policy and reports clean rows and errors to the sink.
#include "validate/file_validator.h"

#include <algorithm>
#include <charconv>

#include "core/platform.h"
#include "csv/encoding.h"
#include "validate/cell_writers.h"
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

// One data row between reading and reporting: its number, errors, normalized values and identity.
struct RowSlot {
  uint64_t row = 0;
  std::vector<RowError> errors;
  std::string norm;  // a buffer: its first norm_len bytes are the values joined by ','
  size_t norm_len = 0;
  std::vector<std::string_view> values;  // into norm, one per output cell
  bool joined_plain = false;
  std::optional<uint64_t> quote_mask;
  // The identity ("" when the row has none): the first identity_len bytes of identity_buf, a
  // buffer that only grows (a resize per row is a call into the library in wasm).
  std::string identity_buf;
  size_t identity_len = 0;
  std::string_view identity() const { return std::string_view(identity_buf.data(), identity_len); }
  // Whether the duplicate table is asked about the row: it is clean and has an identity.
  bool checks_duplicate() const { return errors.empty() && identity_len != 0; }
  int identity_which = 0;  // 0 external_id, 1 email, 2 phone
  uint64_t identity_hash = 0;
  uint64_t first_seen = 0;  // the duplicate table's answer for the identity, once probed
};

class FileValidator::Impl final : public CsvRecordSink {
 public:
  Impl(std::vector<Field> fields, ValidatorOptions options)
      : fields_(std::move(fields)), opts_(std::move(options)) {
    check_opts_.default_region = opts_.default_region;
    if (opts_.first_row == 1)  // row 1 is the header: data starts at row 2
      file_error_ = FileError{"invalid_options",
                              "first_row must be the spreadsheet row of the batch's first line: 2 or more "
                              "(row 1 is the header)"};
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
      if (opts_.dialect || head_.size() >= opts_.sniff_bytes) start();
      emit_pending();
      return;
    }
    feed(bytes);
    emit_pending();
  }

  void finish(ValidationSink& sink) {
    sink_ = &sink;
    if (!tokenizer_ && !file_error_) start();
    if (tokenizer_ && !file_error_) tokenizer_->finish(*this);
    emit_pending();
    if (!header_ && !file_error_)
      file_error_ = FileError{codes::kEmptyFile, "the file is empty; it needs a header row naming the columns"};
  }

  bool between_records() const { return tokenizer_ && !file_error_ && tokenizer_->between_records(); }
  uint64_t records_read() const { return tokenizer_ ? tokenizer_->rows() : 0; }

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
    dialect_ = opts_.dialect ? *opts_.dialect : sniff_dialect(std::string_view(head_).substr(0, opts_.sniff_bytes));
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
    std::vector<size_t> uses(headers.size());
    for (size_t k = 0; k < info.output_fields.size(); ++k) {
      const Field& f = fields_[info.output_fields[k]];
      const CellPlan cell{&f, cell_writer(f.type), column_of_output_[k], cell_output_slack(f), quote_check(f),
                          direct_writer(f.type)};
      plan_.push_back(cell);
      plan_slack_ += cell.slack + 1;  // and a comma
      plan_column_uses_ = std::max(plan_column_uses_, ++uses[cell.column]);
      if (cell.quote == QuoteCheck::always) quote_always_ = true;
      if (cell.quote == QuoteCheck::when_quoted) quote_when_quoted_ |= uint64_t(1) << std::min<size_t>(cell.column, 63);
    }
    header_columns_ = headers.size();
    if (info.mapping.error) file_error_ = info.mapping.error;
    if (opts_.track_duplicates && !file_error_)
      duplicates_ = std::make_unique<DuplicateTracker>(opts_.duplicate_capacity);
    slots_.resize(duplicates_ ? kPendingRows : 1);
    slot_mask_ = slots_.size() - 1;
    for (RowSlot& slot : slots_) {  // sized once: every row has the same cells
      slot.values.resize(info.output_fields.size());
    }
    header_ = std::move(info);
    sink_->on_header(*header_);
  }

  void fail(RowError e) {
    tally(e.field, e.code);
    slot().errors.push_back(std::move(e));
  }

  void tally(const std::string& field, const std::string& code) { tally_error(counts_.by_field_code, field, code); }

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
    RowSlot& out = slot();
    out.errors.clear();
    out.identity_len = 0;
    uint64_t row = r.row;
    if (opts_.first_row) row = opts_.first_row + (r.row - 2);
    if (row_column_ >= 0 && !read_row_number(r, row)) return;
    out.row = row;
    if (r.error_code) {
      fail(RowError{row, "", "", r.error_code, std::string(r.error_message)});
    } else if (r.fields.size() != header_columns_) {
      fail(RowError{row, "", "", codes::kWrongFieldCount,
                    "the row has " + std::to_string(r.fields.size()) + " values but the header has " +
                        std::to_string(header_columns_) +
                        " columns; quote values that contain the delimiter, or add the missing values"});
    } else {
      check_cells(r, out);
      if (out.errors.empty()) find_identity(out);
    }
    row_read();
  }

  // Normalized values are written one after the other into the slot's buffer, joined by ','
  // (value k is values[k], norm_len bytes in all), so that a row whose values need no
  // CSV quoting is its own batch line. The buffer is sized for the row's worst case first, and
  // the checks write straight into it.
  void check_cells(const CsvRecord& r, RowSlot& out) {
    // Locals, not members, in the loop: the compiler cannot keep members in registers across
    // the calls into the checks.
    const CellPlan* const cells = plan_.data();
    const size_t count = plan_.size();
    const std::string_view* const fields = r.fields.data();
    const size_t room = r.value_bytes * plan_column_uses_ + plan_slack_;
    if (out.norm.size() < room) out.norm.resize(std::max(room, 2 * out.norm.size()));
    char* const base = out.norm.data();
    std::string_view* const values = out.values.data();
    char* w = base;
    bool failed = false;
    for (size_t k = 0; k < count; ++k) {
      const CellPlan& cell = cells[k];
      const std::string_view raw = fields[cell.column];
      char* const start = w;
      // Trimmed; a value empty after trimming passes, or fails as required_missing.
      char* const end = cell.direct != DirectWriter::none ? write_direct(cell, raw, w)
                                                          : write_cell_with(cell.write, *cell.field, raw, check_opts_, w, cell_error_);
      if (end) [[likely]] {
        w = end;
      } else {
        cell_failed(out.row, *cell.field, raw);
        failed = true;
      }
      values[k] = std::string_view(start, size_t(w - start));
      *w++ = ',';  // the last one is not counted in norm_len
    }
    out.norm_len = count ? size_t(w - base) - 1 : 0;
    if (failed) return;
    uint64_t quote_mask = 0;
    bool quote_beyond_mask = false;
    if (quote_always_ || (r.quoted_fields & quote_when_quoted_)) [[unlikely]]
      find_quoting(r.quoted_fields, values, quote_mask, quote_beyond_mask);
    out.quote_mask = quote_beyond_mask ? std::nullopt : std::optional<uint64_t>(quote_mask);
    out.joined_plain = quote_mask == 0 && !quote_beyond_mask;
  }

  // Which of a row's output values need CSV quoting in a batch (see QuoteCheck): bit k of
  // `mask` for value k, `beyond` for any after the 64th.
  void find_quoting(uint64_t quoted, const std::string_view* values, uint64_t& mask, bool& beyond) const {
    for (size_t k = 0; k < plan_.size(); ++k) {
      const CellPlan& cell = plan_[k];
      const std::string_view v = values[k];
      if (cell.quote == QuoteCheck::never || v.empty()) continue;
      if (cell.quote == QuoteCheck::when_quoted && !((quoted >> std::min<size_t>(cell.column, 63)) & 1)) continue;
      if (v.front() == ' ' || v.back() == ' ' ||
          platform::find_any4(v.data(), v.data() + v.size(), ',', '"', '\n', '\r') != v.size()) {
        if (k < 64) mask |= uint64_t(1) << k;
        else beyond = true;
      }
    }
  }

  [[gnu::noinline, gnu::cold]] void cell_failed(uint64_t row, const Field& f, std::string_view raw) {
    if (std::string_view(cell_error_.code) == codes::kRequiredMissing)  // by text: literals may differ per TU
      fail(RowError{row, f.key, std::string(), codes::kRequiredMissing, f.label + " is required; fill it in on this row"});
    else
      fail(RowError{row, f.key, excerpt(raw), cell_error_.code, std::move(cell_error_.message)});
    cell_error_ = CellError{};
  }

  // The identity of a clean row: external_id, else email, else phone (the first non-empty), as
  // "kind:value", emails lower-cased whole (hashed later, in request_buckets).
  void find_identity(RowSlot& out) {
    for (int which = 0; which < 3; ++which) {
      const int o = identity_outputs_[which];
      if (o < 0 || out.values[size_t(o)].empty()) continue;
      const std::string_view value = out.values[size_t(o)];
      const size_t n = kIdentityKinds[which].size() + value.size();
      if (out.identity_buf.size() < n) out.identity_buf.resize(std::max(n, 2 * out.identity_buf.size()));
      char* const id = out.identity_buf.data();
      platform::copy_bytes(id, kIdentityKinds[which].data(), kIdentityKinds[which].size());
      platform::copy_bytes(id + kIdentityKinds[which].size(), value.data(), value.size());
      if (which == 1)  // the same mailbox whatever the case: Ana@X.io is ana@x.io
        for (size_t i = kIdentityKinds[1].size(); i < n; ++i)
          if (id[i] >= 'A' && id[i] <= 'Z') id[i] = char(id[i] + 32);
      out.identity_len = n;
      out.identity_which = which;
      return;
    }
  }

  // Rows wait in a ring before they are passed to the sink, in file order: a duplicate-table
  // probe is a cache (and TLB) miss in an index of several MiB. Every kProbeBurst rows, the
  // buckets of the newest kProbeBurst rows are requested (a prefetch, natively), and the
  // kProbeBurst rows before them, requested one burst earlier, are probed in a loop of their own
  // (where nothing was prefetched, as in wasm, their misses at least overlap), then emitted.
  // Identities are hashed when requested, well after their strings were written.
  void row_read() {
    ++pending_;
    if (slots_.size() == 1) return emit_pending();
    if (pending_ < slots_.size()) return;
    request_buckets(requested_, pending_);
    probe(0, kProbeBurst);
    for (size_t k = 0; k < kProbeBurst; ++k) emit(pending_slot(k));
    first_pending_ = (first_pending_ + kProbeBurst) & slot_mask_;
    pending_ -= kProbeBurst;
    requested_ = pending_;
  }

  RowSlot& pending_slot(size_t k) { return slots_[(first_pending_ + k) & slot_mask_]; }

  // Requests the duplicate-table buckets of pending rows [from, to): prefetches them natively.
  // Where there is no prefetch (wasm) they are loaded, in a loop of their own after the hashing,
  // so that the loads are all in flight together: a load that misses holds up everything after
  // it, and with the hashing in between only two or three fit in the window; the probes one
  // burst later find them in cache.
  void request_buckets(size_t from, size_t to) {
    if (!duplicates_) return;
    for (size_t k = from; k < to; ++k) {
      RowSlot& s = pending_slot(k);
      if (!s.checks_duplicate()) continue;
      s.identity_hash = DuplicateTracker::hash(s.identity());
      duplicates_->prefetch(s.identity_hash);
    }
    if constexpr (!platform::kHasPrefetch) {
      uint32_t touched = 0;
      for (size_t k = from; k < to; ++k) {
        const RowSlot& s = pending_slot(k);
        if (s.checks_duplicate()) touched ^= duplicates_->touch(s.identity_hash);
      }
      touched_ ^= touched;  // keeps the loads
    }
  }

  // Probes the duplicate table for pending rows [from, to), in file order, in a loop of their
  // own: their misses (if the request did not hide them) overlap.
  void probe(size_t from, size_t to) {
    if (!duplicates_) return;
    for (size_t k = from; k < to; ++k) {
      RowSlot& s = pending_slot(k);
      s.first_seen = 0;
      if (s.checks_duplicate()) s.first_seen = duplicates_->first_seen_hash(s.identity_hash, s.row);
    }
  }

  // Passes every pending row to the sink.
  void emit_pending() {
    request_buckets(requested_, pending_);
    probe(0, pending_);
    for (size_t k = 0; k < pending_; ++k) emit(pending_slot(k));
    first_pending_ = pending_ = requested_ = 0;
  }

  void emit(RowSlot& s) {
    uint64_t duplicate_of = 0;
    if (s.checks_duplicate() && duplicates_) duplicate_of = check_duplicate(s);
    if (!s.errors.empty()) {
      ++counts_.failed;
      counts_.errors += s.errors.size();
      sink_->on_row_failed(s.row, s.errors);
      return;
    }
    ++counts_.valid;
    CleanRow clean;
    clean.row = s.row;
    clean.values = s.values;
    clean.identity = s.identity();
    if (!clean.identity.empty()) clean.identity_output = identity_outputs_[s.identity_which];
    clean.duplicate_of = duplicate_of;
    clean.joined = std::string_view(s.norm.data(), s.norm_len);
    clean.joined_plain = s.joined_plain;
    clean.quote_mask = s.quote_mask;
    sink_->on_clean_row(clean);
  }

  // The earlier row with this clean row's identity, or 0 (then it is remembered); under
  // reject, a duplicate becomes an error on the row.
  uint64_t check_duplicate(RowSlot& s) {
    const uint64_t first = s.first_seen;
    if (first == 0) return 0;
    ++counts_.duplicates;
    if (opts_.duplicate_policy == DuplicatePolicy::skip) ++counts_.skipped;
    if (opts_.duplicate_policy != DuplicatePolicy::reject) return first;
    const size_t o = size_t(identity_outputs_[s.identity_which]);
    const Field& f = fields_[header_->output_fields[o]];
    // The slot is the current one for fail(): point it there while the error is added.
    RowSlot* saved = current_;
    current_ = &s;
    fail(duplicate_identity_error(s.row, f, s.values[o], first));
    current_ = saved;
    return first;
  }

  // The slot the record being read writes to (or, while emitting, the row being emitted).
  RowSlot& slot() { return current_ ? *current_ : pending_slot(pending_); }

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
  // Whether an output cell's normal form may need CSV quoting in a batch (hold a comma, quote,
  // CR or LF, or start or end with a space), so that it must be looked at: never for the types
  // whose normal forms cannot (all but text and enum); for text read from a comma-separated
  // file, only when the cell was quoted there (an unquoted one holds none of those, and
  // trimming removed its end spaces); for enums, only when a declared value could.
  enum class QuoteCheck : uint8_t { never, when_quoted, always };
  // The types whose checks run inside check_cells's loop instead of through CellPlan::write, an
  // indirect call: in wasm every call in that loop costs more than the call itself, as the
  // engine keeps no value in a register across a call and spills them all. Same-run pairs of
  // wasm core_bench on the reference file: text, enum and timezone this way ~3% faster, date and
  // email ~1% more; phone too made it slower than none this way (the loop grew too large).
  enum class DirectWriter : uint8_t { none, text, enumeration, timezone, date, email };
  static DirectWriter direct_writer(FieldType type) {
    switch (type) {
      case FieldType::text: return DirectWriter::text;
      case FieldType::enumeration: return DirectWriter::enumeration;
      case FieldType::timezone: return DirectWriter::timezone;
      case FieldType::date: return DirectWriter::date;
      case FieldType::email: return DirectWriter::email;
      default: return DirectWriter::none;
    }
  }
  // What check_cells needs of each output cell, in one place.
  struct CellPlan {
    const Field* field;
    CellWriter write;  // cell_writer(field->type)
    size_t column;     // in the file
    size_t slack;      // cell_output_slack(*field)
    QuoteCheck quote;
    DirectWriter direct;  // not none: check_cells calls write_direct instead of `write`
  };

  // write_cell_with(cell.write, ...) for a cell whose `direct` is not none, the same results.
  [[gnu::always_inline]] char* write_direct(const CellPlan& cell, std::string_view raw, char* w) {
    const Field& f = *cell.field;
    const std::string_view v = trim_cell(raw);
    if (v.empty()) return !f.required || fail_required(cell_error_) ? w : nullptr;
    bool ok;
    switch (cell.direct) {
      case DirectWriter::text: ok = detail::write_text(v, f.max_length, w, cell_error_); break;
      case DirectWriter::enumeration: ok = detail::write_enum(v, f.values, w, cell_error_); break;
      case DirectWriter::date: ok = detail::write_date(v, f.format, w, cell_error_); break;
      case DirectWriter::email: ok = detail::write_email(v, w, cell_error_); break;
      default: ok = detail::write_timezone(v, w, cell_error_); break;
    }
    return ok ? w : nullptr;
  }
  std::vector<CellPlan> plan_;  // per output cell, in HeaderInfo::output_fields order
  // A row's values take at most CsvRecord::value_bytes * plan_column_uses_ + plan_slack_ bytes
  // in the slot's buffer (a column may feed more than one output cell).
  size_t plan_column_uses_ = 1;
  size_t plan_slack_ = 0;
  bool quote_always_ = false;       // some cell is QuoteCheck::always
  uint64_t quote_when_quoted_ = 0;  // file columns (bit 63: any from the 64th) of when_quoted cells

  QuoteCheck quote_check(const Field& f) const {
    auto special = [](std::string_view v) {
      return !v.empty() && (v.front() == ' ' || v.back() == ' ' || v.find_first_of(",\"\r\n") != v.npos);
    };
    if (f.type == FieldType::text) return tokenizer_->delimiter() == ',' ? QuoteCheck::when_quoted : QuoteCheck::always;
    if (f.type == FieldType::enumeration)
      return std::any_of(f.values.begin(), f.values.end(), special) ? QuoteCheck::always : QuoteCheck::never;
    return QuoteCheck::never;
  }
  CellError cell_error_;
  // Rows read but not yet passed to the sink (see emit_pending), each with its own buffers,
  // reused from row to row so a clean row allocates nothing. One at a time without a
  // duplicate table.
  static constexpr size_t kProbeBurst = 8, kPendingRows = 2 * kProbeBurst;
  static_assert(std::has_single_bit(kPendingRows));
  std::vector<RowSlot> slots_ = std::vector<RowSlot>(1);
  size_t slot_mask_ = 0;  // slots_.size() - 1: a power of two (a ring index is a mask, not a division)
  size_t first_pending_ = 0;  // slot of the oldest pending row
  size_t pending_ = 0;
  size_t requested_ = 0;  // the oldest this many pending rows have their buckets requested
  RowSlot* current_ = nullptr;
  uint32_t touched_ = 0;  // request_buckets's loads where there is no prefetch (never read)
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

bool FileValidator::between_records() const { return impl_->between_records(); }

uint64_t FileValidator::records_read() const { return impl_->records_read(); }

void tally_error(std::vector<ErrorTally>& tallies, const std::string& field, const std::string& code) {
  auto it = std::lower_bound(tallies.begin(), tallies.end(), std::pair(field, code), [](const ErrorTally& t, const auto& k) {
    return std::tie(t.field, t.code) < std::tie(k.first, k.second);
  });
  if (it != tallies.end() && it->field == field && it->code == code) ++it->count;
  else tallies.insert(it, ErrorTally{field, code, 1});
}

RowError duplicate_identity_error(uint64_t row, const Field& f, std::string_view value, uint64_t first_row) {
  return RowError{row, f.key, excerpt(value), codes::kDuplicateIdentity,
                  "row " + std::to_string(first_row) + " has the same " + f.label +
                      "; the duplicate policy is reject — remove one of the rows, or choose update or skip"};
}

}  // namespace intake
