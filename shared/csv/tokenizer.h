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

// One record. Views point into the tokenizer's buffer and are valid only during on_record.
struct CsvRecord {
  uint64_t row = 0;                            // spreadsheet row: the first record is row 1
  std::span<const std::string_view> fields;    // empty when the record could not be read
  const char* error_code = nullptr;            // codes::k* from core/row_error.h, or null
  std::string_view error_message;              // what is wrong and what to do, when error_code
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

 private:
  enum class State : uint8_t { field_start, unquoted, quoted, quote_in_quoted, skip_line };
  struct Span {
    size_t begin, end;
    bool escaped;  // contains doubled quotes to collapse
  };

  void scan(bool eof, CsvRecordSink& sink);
  void end_field(size_t begin, size_t end, bool escaped);
  void end_record(size_t end, CsvRecordSink& sink);
  void end_line(char terminator);
  void mark_too_large();
  void reset_record();
  void unclosed_quote(bool eof, CsvRecordSink& sink);
  void set_error(const char* code, std::string message);
  void start_record(size_t at);
  void compact();

  char delim_;
  CsvLimits limits_;
  bool check_utf8_;

  std::string buf_;
  size_t pos_ = 0;          // next byte to scan
  size_t rec_start_ = 0;    // first byte of the current record
  size_t field_start_ = 0;  // first byte of the current field's content
  size_t quote_open_ = 0;   // the opening quote of the current quoted field
  bool escaped_ = false;    // current quoted field has doubled quotes
  bool in_record_ = false;  // bytes of the current record have been read
  bool row_too_large_ = false;  // current record outgrew max_row_bytes: its fields are dropped
  bool pending_lf_ = false; // a CR ended the last record; a following LF belongs to it
  bool bom_checked_ = false;
  State state_ = State::field_start;
  std::vector<Span> spans_;
  std::vector<std::string_view> views_;
  const char* err_code_ = nullptr;
  std::string err_msg_;
  uint64_t row_ = 0;
  uint64_t pushed_ = 0;
};

}  // namespace intake
