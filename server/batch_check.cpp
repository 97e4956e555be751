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
      std::string_view key = out_.text.copy(f.key);
      keys_.push_back(key);
      std::string member;  // "key": as it opens the value in the JSON object
      append_json_string(member, f.key);
      member.push_back(':');
      json_keys_.push_back(std::move(member));
      switch (f.identity) {
        case Identity::name: slot_[k] = 0; break;
        case Identity::email: slot_[k] = 1; identity_key_[1] = key; break;
        case Identity::phone: slot_[k] = 2; identity_key_[2] = key; break;
        case Identity::external_id: slot_[k] = 3; identity_key_[0] = key; break;
        default: break;
      }
    }
  }

  void on_clean_row(const CleanRow& row) override {
    store::BatchText& text = out_.text;
    store::StagedRow& r = out_.rows.emplace_back();
    r.row = int64_t(row.row);
    // The identity as stored (store.h): the core's kind shortened to one letter.
    for (int k = 0; k < 3; ++k) {
      if (!row.identity.starts_with(kIdentityKinds[k])) continue;
      identity_.assign(kStoredKinds[k]);
      identity_.append(row.identity.substr(kIdentityKinds[k].size()));
      r.identity = text.copy(identity_);
      r.identity_field = identity_key_[k];
      break;
    }
    data_.clear();
    data_.push_back('{');
    r.values_at = uint32_t(out_.values.size());
    for (size_t k = 0; k < row.values.size() && k < slot_.size(); ++k) {
      std::string_view v = row.values[k];
      switch (slot_[k]) {
        case 0: r.name = text.copy(v); continue;
        case 1: r.email = text.copy(v); continue;
        case 2: r.phone = text.copy(v); continue;
        case 3: r.external_id = text.copy(v); continue;
        default: break;
      }
      if (v.empty()) continue;
      if (data_.size() > 1) data_.push_back(',');
      data_ += json_keys_[k];
      append_json_string(data_, v);
      out_.values.emplace_back(keys_[k], text.copy(v));
    }
    data_.push_back('}');
    r.data_json = text.copy(data_);
    r.values_count = uint32_t(out_.values.size()) - r.values_at;
  }

  void on_row_failed(uint64_t row, std::span<const RowError> errors) override {
    ++out_.failed_rows;
    out_.errors.insert(out_.errors.end(), errors.begin(), errors.end());
  }

 private:
  const std::vector<Field>& fields_;
  store::ValidatedBatch& out_;
  std::vector<int> slot_;  // per output value: 0 name, 1 email, 2 phone, 3 external id, -1 data
  std::vector<std::string_view> keys_;  // field keys, in the batch's text
  std::vector<std::string> json_keys_;  // the same as JSON member names: "key":
  std::string_view identity_key_[3];    // external_id, email, phone field keys
  std::string data_;                    // the row's JSON object, built here, then copied
  std::string identity_;                // the row's stored identity, built here, then copied
  static constexpr std::string_view kStoredKinds[3] = {"x:", "e:", "p:"};  // for kIdentityKinds
};

}  // namespace

BatchCheck check_batch(std::string_view body, const std::vector<Field>& fields,
                       DuplicatePolicy policy, const std::string& default_region, uint64_t first_row) {
  BatchCheck check;
  check.batch.first_row = int64_t(first_row);
  ValidatorOptions opts;
  opts.delimiter = ',';
  // A batch is UTF-8 (its Content-Type says so): never sniffed, so the same bytes mean the same
  // in every batch, and bytes that are not UTF-8 are an error on their row.
  Dialect utf8;
  utf8.bom = body.starts_with("\xEF\xBB\xBF");
  opts.dialect = utf8;
  // Its header names field keys: each column goes to the field with that key, never to another
  // field whose label happens to read the same (labels still match columns no key names).
  for (const Field& f : fields) opts.mapping[f.key] = f.key;
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
