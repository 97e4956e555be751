// BatchSequencer (see batch_sequencer.h).
#include "batch_sequencer.h"

#include "report/json_writer.h"

namespace intake::wasm {

BatchSequencer::BatchSequencer(std::string fields_json, std::string mapping_json, val options, val header_record)
    : setup_(read_setup(fields_json, mapping_json, options)) {
  if (setup_.error) {
    error_ = setup_.error;
    return;
  }
  if (!setup_.options.dialect) {
    error_ = FileError{"invalid_options", "options.dialect is required: sniffDialect() of the file's first 64 KiB"};
    return;
  }
  body_buffer_ = lend_function(options);
  std::string header;
  copy_bytes_in(header_record, header);
  sequencer_.emplace(setup_.fields, setup_.options, setup_.limits, header);
  if (sequencer_->error()) error_ = sequencer_->error();
}

val BatchSequencer::add(val chunk, double row_offset) {
  if (error_) return result();
  copy_bytes_in(chunk["body"], body_);
  const val meta = chunk["meta"];
  meta_.resize(meta.instanceof(val::global("Uint32Array")) ? meta["length"].as<size_t>() : 0);
  if (!meta_.empty()) val(emscripten::typed_memory_view(meta_.size(), meta_.data())).call<void>("set", meta);
  sequencer_->add(
      body_, meta_, uint64_t(row_offset), [this](Batch&& b) { batches_.call<void>("push", batch_to_js(b, body_buffer_)); },
      [this](const RowError& e) {
        errors_json_.push_back(errors_json_.empty() ? '[' : ',');
        append_row_error_json(errors_json_, e);
      });
  return result();
}

val BatchSequencer::finish() {
  if (!error_) sequencer_->finish([this](Batch&& b) { batches_.call<void>("push", batch_to_js(b, body_buffer_)); });
  return result();
}

val BatchSequencer::result() {
  val out = val::object();
  out.set("batches", batches_);
  val texts = val::array();
  if (!errors_json_.empty()) {
    errors_json_.push_back(']');
    texts.call<void>("push", utf8_to_js(errors_json_));
    errors_json_.clear();
  }
  out.set("errors_json", texts);
  batches_ = val::array();
  return out;
}

val BatchSequencer::adjustments() const {
  return sequencer_ ? to_js(sequencer_->adjustments()) : to_js(ValidationCounts{});
}

val BatchSequencer::file_error() const { return error_ ? to_js(*error_) : val::null(); }

bool BatchSequencer::duplicate_tracking_full() const { return sequencer_ && sequencer_->duplicate_tracking_full(); }

}  // namespace intake::wasm
