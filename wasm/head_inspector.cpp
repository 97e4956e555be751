// inspect() (see head_inspector.h): the head runs once through the tokenizer, for the raw
// cells of the preview rows, and once through the FileValidator, for the mapping, the errors
// and the normalized values — the very code that later validates the whole file.
#include "head_inspector.h"

#include <algorithm>
#include <map>
#include <vector>

#include "csv/encoding.h"
#include "csv/tokenizer.h"
#include "js_values.h"
#include "report/json_writer.h"
#include "validate/file_validator.h"

namespace intake::wasm {

namespace {

constexpr size_t kInspectDuplicateCapacity = size_t(1) << 12;

struct PreviewRow {
  uint64_t row = 0;
  std::vector<std::string> cells;
  val values = val::null();
  std::string errors_json;
};

// Collects the first records of the head (header included) as raw text.
class RecordCollector final : public CsvRecordSink {
 public:
  explicit RecordCollector(size_t limit) : limit_(limit) {}
  void on_record(const CsvRecord& r) override {
    if (records.size() >= limit_) return;
    PreviewRow p;
    p.row = r.row;
    for (std::string_view f : r.fields) p.cells.emplace_back(f);
    records.push_back(std::move(p));
  }
  std::vector<PreviewRow> records;

 private:
  size_t limit_;
};

// Attaches the validator's findings to the preview rows.
class PreviewSink final : public ValidationSink {
 public:
  PreviewSink(std::map<uint64_t, PreviewRow*> rows, const std::vector<Field>& fields)
      : rows_(std::move(rows)), fields_(fields) {}
  void on_header(const HeaderInfo& h) override {
    header = to_js(h, fields_);
    output_fields_ = h.output_fields;
  }
  void on_clean_row(const CleanRow& r) override {
    auto it = rows_.find(r.row);
    if (it == rows_.end()) return;
    val values = val::object();
    for (size_t k = 0; k < r.values.size() && k < output_fields_.size(); ++k)
      values.set(fields_[output_fields_[k]].key, std::string(r.values[k]));
    it->second->values = values;
  }
  void on_row_failed(uint64_t row, std::span<const RowError> errors) override {
    auto it = rows_.find(row);
    if (it == rows_.end()) return;
    for (const RowError& e : errors) {
      it->second->errors_json.push_back(it->second->errors_json.empty() ? '[' : ',');
      append_row_error_json(it->second->errors_json, e);
    }
  }
  val header = val::null();

 private:
  std::map<uint64_t, PreviewRow*> rows_;
  const std::vector<Field>& fields_;
  std::vector<size_t> output_fields_;
};

}  // namespace

val inspect_head(val head, std::string fields_json, std::string mapping_json, val options,
                 int preview_rows, bool complete) {
  ValidatorSetup setup = read_setup(fields_json, mapping_json, options, /*fields_optional=*/true);
  val out = val::object();
  out.set("complete", complete);
  out.set("dialect", val::null());
  out.set("header", val::null());
  out.set("rows", val::array());
  out.set("counts", to_js(ValidationCounts{}));
  if (setup.error) {
    out.set("file_error", to_js(*setup.error));
    return out;
  }
  std::string bytes;
  copy_bytes_in(head, bytes);

  ValidatorOptions opts = setup.options;
  opts.sniff_bytes = std::max<size_t>(bytes.size(), 1);  // the head is all there is to sniff
  opts.duplicate_capacity = kInspectDuplicateCapacity;
  FileValidator validator(setup.fields, opts);

  // Raw cells first, with the dialect the validator will use.
  Dialect dialect = sniff_dialect(bytes);
  if (opts.delimiter) dialect.delimiter = opts.delimiter;
  RecordCollector collector(size_t(std::max(preview_rows, 0)) + 1);
  if (!dialect.utf16) {
    std::string utf8;
    if (dialect.encoding == Encoding::windows_1252) windows_1252_to_utf8(bytes, utf8);
    CsvTokenizer tokenizer(dialect.delimiter, opts.limits, false);
    tokenizer.push(dialect.encoding == Encoding::windows_1252 ? std::string_view(utf8) : std::string_view(bytes),
                   collector);
    if (complete) tokenizer.finish(collector);
  }
  std::map<uint64_t, PreviewRow*> wanted;
  for (size_t i = 1; i < collector.records.size(); ++i) wanted[collector.records[i].row] = &collector.records[i];

  PreviewSink sink(wanted, setup.fields);
  validator.push(bytes, sink);
  if (complete) validator.finish(sink);

  val rows = val::array();
  for (size_t i = 1; i < collector.records.size(); ++i) {
    PreviewRow& p = collector.records[i];
    val r = val::object();
    r.set("row", double(p.row));
    val cells = val::array();
    for (size_t c = 0; c < p.cells.size(); ++c) cells.set(c, utf8_to_js(p.cells[c]));
    r.set("cells", cells);
    r.set("values", p.values);
    if (p.errors_json.empty()) {
      r.set("errors", val::array());
    } else {
      p.errors_json.push_back(']');
      r.set("errors", parse_json(p.errors_json));
    }
    rows.set(i - 1, r);
  }
  out.set("dialect", to_js(validator.header() ? validator.header()->dialect : dialect));
  out.set("header", sink.header);
  out.set("rows", rows);
  out.set("counts", to_js(validator.counts()));
  out.set("file_error", validator.file_error() ? to_js(*validator.file_error()) : val::null());
  return out;
}

}  // namespace intake::wasm
