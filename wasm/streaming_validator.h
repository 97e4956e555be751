// StreamingValidator: the browser's handle on one file's validation — FileValidator feeding a
// BatchBuilder — exposed to JS by bindings.cpp. Each push() or finish() crosses the boundary
// once and returns a plain JS object holding copies of everything the slice produced: batches
// ready to PUT, error records, counters. Nothing in it points into the wasm heap.
#pragma once

#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>

#include "batch/batch_builder.h"
#include "batch/chunked_batches.h"
#include "js_values.h"
#include "validate/file_validator.h"

namespace intake::wasm {

class StreamingValidator final : public ValidationSink {
 public:
  // See read_setup() in js_values.h for the arguments. An invalid setup is not thrown: every
  // result then carries `file_error` and no rows are read. One more option is the module's own:
  // `batch_body_buffer`, a function (n) => Uint8Array of length n that each batch body is copied
  // into (a caller that recycles its buffers spares a fresh allocation per batch); without it,
  // each body is a new Uint8Array.
  StreamingValidator(std::string fields_json, std::string mapping_json, val options);
  ~StreamingValidator() override;

  // `bytes`: the next slice of the file (Uint8Array or ArrayBuffer), any size, cut anywhere.
  // Returns {header, batches, errors, errors_json, counts, file_error, done}: `header` only in
  // the result where the header row was read (else null); `batches` and `errors` are what this
  // slice completed, in file order. With the errors_as_json option, `errors` stays empty and
  // `errors_json` holds the same records as JSON array texts, in order (a string is posted to
  // another thread far more cheaply than objects); otherwise `errors_json` is empty. After a
  // file error, further slices are counted but not read.
  val push(val bytes);
  // Ends the file: the last row and the last, partial batch come out. Later calls return empty
  // results with done = true.
  val finish();

  // Chunk mode (option `chunk`): the chunk's clean rows so far as batch lines, moved out:
  // {parts: [{body: Uint8Array, meta: Uint32Array}, ...], records, between_records} — see
  // ChunkLines and FileValidator::records_read / between_records. The lines are moved out of
  // the heap in parts of about kPartBytes as they are written (so the heap stays small however
  // short the rows); each part's body is copied into a Uint8Array from options.lines_buffer(n)
  // when that is a function. Batches are then built by a BatchSequencer, part after part.
  val take_chunk();
  bool between_records() const;
  double records_read() const;  // FileValidator::records_read()

  val counts() const;      // the counters so far (see to_js(ValidationCounts))
  val file_error() const;  // {code, message} or null
  bool duplicate_tracking_full() const;

  void on_header(const HeaderInfo& header) override;
  void on_clean_row(const CleanRow& row) override;
  void on_row_failed(uint64_t row, std::span<const RowError> errors) override;

 private:
  void flush_errors();
  val take_result(bool done);

  ValidatorSetup setup_;
  std::unique_ptr<FileValidator> validator_;
  std::optional<BatchBuilder> builder_;
  std::optional<ChunkLines> lines_;  // chunk mode
  void take_part();
  val parts_ = val::array();
  val lines_buffer_ = val::undefined();  // options.lines_buffer, if a function
  void push_batch(const Batch& b);  // copies the batch out to the JS array of this push
  std::string input_;        // the current slice, copied in once
  std::string errors_json_;  // error records of the current slice not yet handed to JS
  val batches_ = val::array();
  val errors_ = val::array();
  val errors_json_texts_ = val::array();
  val body_buffer_ = val::undefined();  // options.batch_body_buffer, if a function
  val header_ = val::null();
  bool finished_ = false;
};

}  // namespace intake::wasm
