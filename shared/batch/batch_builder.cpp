// Batch building (see batch_builder.h).
#include "batch/batch_builder.h"

#include <charconv>

#include "core/platform.h"
#include "report/csv_writer.h"

namespace intake {

BatchBuilder::BatchBuilder(std::vector<std::string> keys, BatchLimits limits)
    : keys_(std::move(keys)), limits_(limits) {
  start();
}

void BatchBuilder::start() {
  current_ = Batch{};
  current_.seq = seq_;
  // About the size of the last batch, so the body rarely grows by copying.
  current_.body.reserve(std::min(limits_.max_bytes, last_body_size_ + last_body_size_ / 8) + 64);
  current_.body.append(kRowColumn);
  for (const std::string& k : keys_) {
    current_.body.push_back(',');
    current_.body.append(k);
  }
  current_.body.append("\r\n");
}

bool BatchBuilder::append(const CleanRow& row) {
  std::string& body = current_.body;
  const size_t mark = body.size();
  char num[24];
  auto [end, ec] = std::to_chars(num, num + sizeof num, row.row);
  body.append(num, size_t(end - num));
  // Values that lie back to back in memory (as FileValidator hands them over) are checked for
  // characters that need quoting in one pass; those before the first such character are plain.
  std::span<const std::string_view> values = row.values;
  size_t plain = 0;
  if (!values.empty()) {
    const char* first = values.front().data();
    const char* last = values.back().data() + values.back().size();
    size_t k = 1;
    while (k < values.size() && values[k].data() == values[k - 1].data() + values[k - 1].size()) ++k;
    if (k == values.size()) {
      const char* hit = first + platform::find_any4(first, last, ',', '"', '\n', '\r');
      while (plain < values.size() && values[plain].data() + values[plain].size() <= hit &&
             (values[plain].empty() ||
              (values[plain].front() != ' ' && values[plain].back() != ' ')))
        ++plain;
    }
  }
  if (plain == values.size()) {  // the usual row: sized once, then filled
    const size_t at = body.size();
    size_t len = values.size() + 2;
    for (std::string_view v : values) len += v.size();
    body.resize(at + len);
    char* w = body.data() + at;
    for (std::string_view v : values) {
      *w++ = ',';
      platform::copy_bytes(w, v.data(), v.size());
      w += v.size();
    }
    w[0] = '\r';
    w[1] = '\n';
  } else {
    for (size_t k = 0; k < values.size(); ++k) {
      body.push_back(',');
      if (k < plain) body.append(values[k]);
      else append_csv_value(body, values[k]);
    }
    body.append("\r\n");
  }
  if (current_.rows > 0 && (current_.rows >= limits_.max_rows || body.size() > limits_.max_bytes)) {
    line_.assign(body, mark, std::string::npos);
    body.resize(mark);
    last_body_size_ = body.size();
    return true;
  }
  if (current_.rows == 0) current_.first_row = row.row;
  current_.last_row = row.row;
  ++current_.rows;
  return false;
}

void BatchBuilder::carry_line(uint64_t row) {
  current_.first_row = current_.last_row = row;
  current_.rows = 1;
  current_.body.append(line_);
}

void BatchBuilder::flush(const std::function<void(Batch&&)>& on_batch) {
  if (current_.rows == 0) return;
  ++seq_;
  last_body_size_ = current_.body.size();
  on_batch(std::move(current_));
  start();
}

}  // namespace intake
