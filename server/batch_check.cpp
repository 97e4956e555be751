// Batch re-validation: see batch_check.h. Identity values go to their own columns; the other
// imported values become one JSON object (empty cells left out, so an update keeps them).
#include "batch_check.h"

#include "batch/batch_builder.h"
#include "report/json_writer.h"

namespace intake::server {

namespace {

class BatchSink final : public ValidationSink {
 public:
  BatchSink(const std::vector<Field>& fields, store::ValidatedBatch& out) : fields_(fields), out_(out) {}

  void on_header(const HeaderInfo& header) override {
    const auto& outputs = header.output_fields;
    slot_.assign(outputs.size(), -1);
    for (size_t k = 0; k < outputs.size(); ++k) {
      const Field& f = fields_[outputs[k]];
      keys_.push_back(f.key);
      switch (f.identity) {
        case Identity::name: slot_[k] = 0; break;
        case Identity::email: slot_[k] = 1; identity_key_[1] = f.key; break;
        case Identity::phone: slot_[k] = 2; identity_key_[2] = f.key; break;
        case Identity::external_id: slot_[k] = 3; identity_key_[0] = f.key; break;
        default: break;
      }
    }
  }

  void on_clean_row(const CleanRow& row) override {
    store::StagedRow r;
    r.row = int64_t(row.row);
    r.identity = std::string(row.identity);
    if (r.identity.rfind("external_id:", 0) == 0) r.identity_field = identity_key_[0];
    else if (r.identity.rfind("email:", 0) == 0) r.identity_field = identity_key_[1];
    else if (r.identity.rfind("phone:", 0) == 0) r.identity_field = identity_key_[2];
    std::string& data = r.data_json;
    data.push_back('{');
    for (size_t k = 0; k < row.values.size() && k < slot_.size(); ++k) {
      std::string_view v = row.values[k];
      switch (slot_[k]) {
        case 0: r.name = v; continue;
        case 1: r.email = v; continue;
        case 2: r.phone = v; continue;
        case 3: r.external_id = v; continue;
        default: break;
      }
      if (v.empty()) continue;
      if (data.size() > 1) data.push_back(',');
      append_json_string(data, keys_[k]);
      data.push_back(':');
      append_json_string(data, v);
      r.values.emplace_back(keys_[k], v);
    }
    data.push_back('}');
    out_.rows.push_back(std::move(r));
  }

  void on_row_failed(uint64_t row, std::span<const RowError> errors) override {
    ++out_.failed_rows;
    out_.errors.insert(out_.errors.end(), errors.begin(), errors.end());
  }

 private:
  const std::vector<Field>& fields_;
  store::ValidatedBatch& out_;
  std::vector<int> slot_;  // per output value: 0 name, 1 email, 2 phone, 3 external id, -1 data
  std::vector<std::string> keys_;
  std::string identity_key_[3];  // external_id, email, phone field keys
};

}  // namespace

BatchCheck check_batch(std::string_view body, const std::vector<Field>& fields,
                       DuplicatePolicy policy, const std::string& default_region, uint64_t first_row) {
  BatchCheck check;
  check.batch.first_row = int64_t(first_row);
  ValidatorOptions opts;
  opts.delimiter = ',';
  opts.row_column = std::string(kRowColumn);
  opts.first_row = first_row;
  opts.track_duplicates = false;
  opts.default_region = default_region;
  opts.duplicate_policy = policy;
  FileValidator validator(fields, opts);
  BatchSink sink(fields, check.batch);
  validator.push(body, sink);
  validator.finish(sink);
  check.file_error = validator.file_error();
  auto& b = check.batch;
  auto see = [&b](int64_t row) {
    if (b.min_row == 0 || row < b.min_row) b.min_row = row;
    if (row > b.max_row) b.max_row = row;
  };
  for (const auto& r : b.rows) see(r.row);
  for (const auto& e : b.errors) see(int64_t(e.row));
  return check;
}

}  // namespace intake::server
