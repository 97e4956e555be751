// StreamingValidator (see streaming_validator.h).
#include "streaming_validator.h"

#include <algorithm>

#include "report/json_writer.h"

namespace intake::wasm {

namespace {
// The core is fed in pieces of this size so that the error records of one piece, kept in the
// heap as JSON until handed to JS, stay small whatever slice size the caller chooses.
constexpr size_t kPieceBytes = size_t(64) << 10;
constexpr size_t kErrorsFlushBytes = size_t(1) << 20;
// Input is copied into the heap this much at a time, so a large slice costs no heap.
constexpr size_t kCopyBytes = size_t(1) << 20;
// Chunk mode: lines (text and meta) are moved out of the heap once they hold this much.
constexpr size_t kPartBytes = size_t(2) << 20;
}  // namespace

StreamingValidator::StreamingValidator(std::string fields_json, std::string mapping_json, val options)
    : setup_(read_setup(fields_json, mapping_json, options)) {
  if (setup_.error) return;
  body_buffer_ = lend_function(options);
  if (is_function(options, "lines_buffer")) lines_buffer_ = options["lines_buffer"];
  validator_ = std::make_unique<FileValidator>(setup_.fields, setup_.options);
}

StreamingValidator::~StreamingValidator() = default;

void StreamingValidator::on_header(const HeaderInfo& header) {
  header_ = to_js(header, setup_.fields);
  if (header.mapping.error || (!setup_.build_batches && !setup_.chunk)) return;
  std::vector<std::string> keys;
  for (size_t f : header.output_fields) keys.push_back(setup_.fields[f].key);
  if (setup_.chunk) lines_.emplace(std::move(keys));
  else builder_.emplace(std::move(keys), setup_.limits);
}

void StreamingValidator::push_batch(const Batch& b) {
  batches_.call<void>("push", batch_to_js(b, body_buffer_));
}

void StreamingValidator::on_clean_row(const CleanRow& row) {
  if (lines_) lines_->add(row);
  else if (builder_) builder_->add(row, [this](Batch&& b) { push_batch(b); });
}

void StreamingValidator::on_row_failed(uint64_t row, std::span<const RowError> errors) {
  for (const RowError& e : errors) {
    errors_json_.push_back(errors_json_.empty() ? '[' : ',');
    append_row_error_json(errors_json_, e);
  }
}

void StreamingValidator::flush_errors() {
  if (errors_json_.empty()) return;
  errors_json_.push_back(']');
  if (setup_.errors_as_json)
    errors_json_texts_.call<void>("push", utf8_to_js(errors_json_));
  else
    errors_ = errors_.call<val>("concat", parse_json(errors_json_));
  errors_json_.clear();
  if (errors_json_.capacity() > 4 * kErrorsFlushBytes) errors_json_.shrink_to_fit();
}

val StreamingValidator::take_result(bool done) {
  flush_errors();
  val out = val::object();
  out.set("header", header_);
  out.set("batches", batches_);
  out.set("errors", errors_);
  out.set("errors_json", errors_json_texts_);
  out.set("counts", counts());
  out.set("file_error", file_error());
  out.set("done", done);
  header_ = val::null();
  batches_ = val::array();
  errors_ = val::array();
  errors_json_texts_ = val::array();
  return out;
}

val StreamingValidator::push(val bytes) {
  if (!validator_ || finished_) return take_result(finished_);
  val u8 = bytes.instanceof(val::global("ArrayBuffer")) ? val::global("Uint8Array").new_(bytes) : bytes;
  size_t total = u8.instanceof(val::global("Uint8Array")) ? u8["length"].as<size_t>() : 0;
  for (size_t offset = 0; offset < total; offset += kCopyBytes) {
    copy_bytes_in(u8.call<val>("subarray", offset, std::min(total, offset + kCopyBytes)), input_);
    std::string_view rest(input_);
    while (!rest.empty()) {
      std::string_view piece = rest.substr(0, kPieceBytes);
      rest.remove_prefix(piece.size());
      validator_->push(piece, *this);
      if (lines_ && lines_->pending_bytes() >= kPartBytes) take_part();
      if (errors_json_.size() >= kErrorsFlushBytes) flush_errors();
    }
  }
  return take_result(false);
}

val StreamingValidator::finish() {
  if (validator_ && !finished_) {
    validator_->finish(*this);
    if (builder_) builder_->flush([this](Batch&& b) { push_batch(b); });
  }
  finished_ = true;
  return take_result(true);
}

void StreamingValidator::take_part() {
  lines_->finish();
  const std::string_view body = lines_->body();
  const std::span<const uint32_t> meta = lines_->meta();
  val part = val::object();
  part.set("body", lines_buffer_.isUndefined() ? copy_bytes_out(body) : copy_bytes_out(body, lines_buffer_));
  part.set("meta", val(emscripten::typed_memory_view(meta.size(), meta.data())).call<val>("slice"));
  parts_.call<void>("push", part);
  lines_->clear();
}

val StreamingValidator::take_chunk() {
  if (lines_ && lines_->lines() > 0) take_part();
  val out = val::object();
  out.set("parts", parts_);
  out.set("records", records_read());
  out.set("between_records", between_records());
  parts_ = val::array();
  return out;
}

bool StreamingValidator::between_records() const { return validator_ && validator_->between_records(); }

double StreamingValidator::records_read() const { return validator_ ? double(validator_->records_read()) : 0; }

val StreamingValidator::counts() const {
  return validator_ ? to_js(validator_->counts()) : to_js(ValidationCounts{});
}

val StreamingValidator::file_error() const {
  if (setup_.error) return to_js(*setup_.error);
  if (validator_ && validator_->file_error()) return to_js(*validator_->file_error());
  return val::null();
}

bool StreamingValidator::duplicate_tracking_full() const {
  return validator_ && validator_->duplicate_tracking_full();
}

}  // namespace intake::wasm
