// Streaming RFC 4180 tokenizer. Input arrives in slices of any size (1 byte to many MiB); the
// records, values and errors it reports are identical whatever the slicing. Handles quoted
// fields with delimiters, doubled quotes and line breaks; LF, CRLF and lone CR record ends; a
// UTF-8 BOM; a last record without a newline; blank lines (skipped, but they keep their row
// number, as in a spreadsheet). Malformed quoting and oversized fields or rows are reported on
// the record, never thrown, and never merge two rows silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace intake {

struct CsvLimits {
  size_t max_field_bytes = size_t(1) << 20;  // longest value, in bytes
  size_t max_row_bytes = size_t(1) << 20;    // longest record, in bytes including delimiters
};

// One record. Views point into the pushed slice or the tokenizer's buffers and are valid only
// during on_record.
struct CsvRecord {
  uint64_t row = 0;                            // spreadsheet row: the first record is row 1
  std::span<const std::string_view> fields;    // empty when the record could not be read
  const char* error_code = nullptr;            // codes::k* from core/row_error.h, or null
  std::string_view error_message;              // what is wrong and what to do, when error_code
  // Bit i set when value i was quoted in the file (bit 63: any value from the 64th on). An
  // unquoted value holds no delimiter, quote, CR or LF.
  uint64_t quoted_fields = 0;
  // At least the sum of fields[i].size(): the values' sizes as they stood in the file (a value
  // only shrinks when its doubled quotes are undone), for sizing buffers without a pass.
  size_t value_bytes = 0;
};

class CsvRecordSink {
 public:
  virtual ~CsvRecordSink() = default;
  virtual void on_record(const CsvRecord& record) = 0;
};

class CsvTokenizer {
 public:
  // `check_utf8`: report records that are not valid UTF-8 as invalid_encoding.
  explicit CsvTokenizer(char delimiter = ',', CsvLimits limits = {}, bool check_utf8 = true);

  // Feeds the next slice. Complete records are passed to `sink` before push returns.
  void push(std::string_view bytes, CsvRecordSink& sink);
  // Ends the input: the last record (with or without a final newline) is passed to `sink`.
  void finish(CsvRecordSink& sink);

  char delimiter() const { return delim_; }
  uint64_t rows() const { return row_; }              // records reported so far, blank ones included
  uint64_t bytes_pushed() const { return pushed_; }   // input bytes received so far (BOM included)
  // True when the bytes pushed so far end exactly at the end of a record (or of a blank line):
  // nothing is pending, no value or quote is open. A slice cut after a line break that lies
  // inside a quoted value leaves this false (chunked validation checks its cuts with it).
  bool between_records() const {
    return bom_checked_ && state_ == State::field_start && !in_record_ && !pending_lf_;
  }

 private:
  enum class State : uint8_t { field_start, unquoted, quoted, quote_in_quoted, skip_line };
  void scan(bool eof, CsvRecordSink& sink);
  bool scan_unquoted(CsvRecordSink& sink);
  bool delimited_run(size_t& p, size_t& field_start);
  size_t next_special(size_t from);
  size_t next_quote(size_t from);
  void load_block(size_t base);
  void load_last_block(size_t base);
  void end_field(size_t begin, size_t end, bool escaped);
  void end_quoted_field();
  void field_too_large();
  void end_record(size_t end, CsvRecordSink& sink);
  void check_record_utf8(size_t end);
  void end_line(char terminator);
  void mark_too_large();
  void reset_record();
  void unclosed_quote(bool eof, CsvRecordSink& sink);
  void set_error(const char* code, std::string message);
  void start_record(size_t at);
  void keep_tail();
  void save_views(const char* base);
  void restore_views(const char* base);

  char delim_;
  CsvLimits limits_;
  bool check_utf8_;

  // The bytes being scanned: the caller's slice itself when no record was pending when it
  // arrived, else buf_. Positions below are offsets into this window.
  const char* win_ = nullptr;
  size_t win_n_ = 0;
  std::string buf_;         // the unfinished record carried from one slice to the next
  std::string unescaped_;   // values of the current record with "" collapsed to "
  size_t pos_ = 0;          // next byte to scan
  size_t rec_start_ = 0;    // first byte of the current record
  size_t field_start_ = 0;  // first byte of the current field's content
  size_t quote_open_ = 0;   // the opening quote of the current quoted field
  size_t utf8_ok_to_ = 0;   // [rec_start_, utf8_ok_to_) is known valid UTF-8, when >= rec_start_
  size_t block_ = SIZE_MAX; // window offset of the 64-byte block classified below, or none
  uint64_t block_special_ = 0, block_quote_ = 0;
  bool escaped_ = false;    // current quoted field has doubled quotes
  bool in_record_ = false;  // bytes of the current record have been read
  bool row_too_large_ = false;  // current record outgrew max_row_bytes: its fields are dropped
  size_t fields_seen_ = 0;     // values of the current record so far, dropped ones included
  bool pending_lf_ = false; // a CR ended the last record; a following LF belongs to it
  bool bom_checked_ = false;
  State state_ = State::field_start;
  // Values of the current record, into the window: the first views_n_ of views_ (a buffer
  // whose size is its capacity, so that values are stored through a pointer).
  std::vector<std::string_view> views_;
  size_t views_n_ = 0;
  std::vector<uint32_t> escaped_fields_;     // which of them have "" to collapse
  uint64_t quoted_fields_ = 0;               // CsvRecord::quoted_fields of the current record
  size_t value_bytes_ = 0;                   // CsvRecord::value_bytes of the current record
  std::vector<size_t> view_offsets_;         // views_ as offsets while the window moves
  const char* err_code_ = nullptr;
  std::string err_msg_;
  uint64_t row_ = 0;
  uint64_t pushed_ = 0;
};

}  // namespace intake
