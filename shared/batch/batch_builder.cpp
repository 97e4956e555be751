// Batch building (see batch_builder.h).
#include "batch/batch_builder.h"

#include "report/csv_writer.h"

namespace intake {

BatchBuilder::BatchBuilder(std::vector<std::string> keys, BatchLimits limits)
    : keys_(std::move(keys)), limits_(limits) {
  start();
}

void BatchBuilder::start() {
  current_ = Batch{};
  current_.seq = seq_;
  current_.body.append(kRowColumn);
  for (const std::string& k : keys_) {
    current_.body.push_back(',');
    current_.body.append(k);
  }
  current_.body.append("\r\n");
}

void BatchBuilder::add(const CleanRow& row, const std::function<void(Batch&&)>& on_batch) {
  line_ = std::to_string(row.row);
  for (std::string_view v : row.values) {
    line_.push_back(',');
    append_csv_value(line_, v);
  }
  line_.append("\r\n");
  if (current_.rows > 0 && (current_.rows >= limits_.max_rows ||
                            current_.body.size() + line_.size() > limits_.max_bytes)) {
    flush(on_batch);
  }
  if (current_.rows == 0) current_.first_row = row.row;
  current_.last_row = row.row;
  ++current_.rows;
  current_.body.append(line_);
}

void BatchBuilder::flush(const std::function<void(Batch&&)>& on_batch) {
  if (current_.rows == 0) return;
  ++seq_;
  on_batch(std::move(current_));
  start();
}

}  // namespace intake
