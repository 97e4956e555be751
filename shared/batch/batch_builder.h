// Batches: clean, normalized rows grouped for sending to the server, bounded in rows and bytes.
// The format (documented in shared/batch/FORMAT.md and API.md) is CSV, comma-separated, UTF-8,
// CRLF line ends: a header "_row,<field key>,..." then one line per row, the first column being
// the row's spreadsheet row number in the uploaded file. The server reads it back with the same
// FileValidator (option row_column = "_row"), so both sides apply the very same checks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "validate/file_validator.h"

namespace intake {

inline constexpr std::string_view kRowColumn = "_row";
inline constexpr std::string_view kBatchContentType = "text/csv; charset=utf-8";

struct BatchLimits {
  size_t max_rows = 10000;
  size_t max_bytes = size_t(4) << 20;  // a batch closes before it would pass this size
};

struct Batch {
  uint64_t seq = 0;        // 0, 1, 2, ... in file order
  uint64_t first_row = 0;  // spreadsheet row of the first line
  uint64_t last_row = 0;   // spreadsheet row of the last line
  uint64_t rows = 0;
  std::string body;        // the CSV text described above
};

class BatchBuilder {
 public:
  // `keys`: field keys of the values in each CleanRow, in order (HeaderInfo::output_fields).
  BatchBuilder(std::vector<std::string> keys, BatchLimits limits = {});

  // Adds a row; when the batch reaches its limits it is passed to `on_batch` first.
  // `on_batch` is any callable taking Batch&& (called directly: no std::function per row); when
  // it leaves the body in place (reads or copies it), the next batch reuses its buffer.
  template <class OnBatch>
  void add(const CleanRow& row, OnBatch&& on_batch) {
    if (append(row)) {
      ++seq_;
      on_batch(std::move(current_));
      start();
      carry_line(row.row);
    }
  }
  void add(const CleanRow& row, const std::function<void(Batch&&)>& on_batch) {
    add<const std::function<void(Batch&&)>&>(row, on_batch);
  }
  // Adds a row whose line was written before (by a builder with the same keys): `rest` is the
  // line after its row number, i.e. ",<values>\r\n" ("\r\n" without values). See chunked_batches.h.
  template <class OnBatch>
  void add_line(uint64_t row, std::string_view rest, OnBatch&& on_batch) {
    if (append_line(row, rest)) {
      ++seq_;
      on_batch(std::move(current_));
      start();
      carry_line(row);
    }
  }
  // Bytes of the current batch written so far, its header line included.
  size_t body_bytes() const { return used_; }
  // Passes the last, partial batch (if any) to `on_batch`.
  void flush(const std::function<void(Batch&&)>& on_batch);

  uint64_t batches() const { return seq_; }

 private:
  void start();
  // Appends the row's line to the current batch. Returns true when the batch was already full:
  // the line is then held in line_, and the caller passes the batch on and calls carry_line.
  bool append(const CleanRow& row);
  void append_slow(const CleanRow& row, std::string_view row_number);
  bool append_line(uint64_t row, std::string_view rest);
  // Room for `bytes` more at used_: the body grows ahead of what is written (doubling), so that a
  // row costs no string call (out-of-line in wasm) and no zero-filling of its own; it is cut to
  // used_ before it is handed on.
  char* room(size_t bytes) {
    if (used_ + bytes > current_.body.size()) [[unlikely]] grow(bytes);
    return current_.body.data() + used_;
  }
  void grow(size_t bytes);
  // The line of `row` was appended at `mark`. When the batch was already full, the line moves to
  // line_ and true is returned.
  bool close_if_full(uint64_t row, size_t mark) {
    if (current_.rows > 0 && (current_.rows >= limits_.max_rows || used_ > limits_.max_bytes)) [[unlikely]] {
      hold_line(mark);
      return true;
    }
    if (current_.rows == 0) current_.first_row = row;
    current_.last_row = row;
    ++current_.rows;
    return false;
  }
  void hold_line(size_t mark);
  void carry_line(uint64_t row);
  std::vector<std::string> keys_;
  BatchLimits limits_;
  Batch current_;
  size_t used_ = 0;  // bytes of current_.body written; its size() may run ahead (see room())
  std::string line_;
  size_t last_body_size_ = 0;
  uint64_t seq_ = 0;
  // The last row number written, in decimal: the next row is nearly always one more, which is
  // an increment of these digits rather than a conversion.
  uint64_t number_ = 0;
  char number_text_[24] = {'0'};
  size_t number_len_ = 1;
  std::string_view row_number(uint64_t row);
};

}  // namespace intake
