// BatchSequencer: the browser's handle on ChunkSequencer (shared/batch/chunked_batches.h), which
// takes the chunks of a file validated apart (each by a Validator with the `chunk` option, often
// in another Worker) in file order and turns their lines into the file's batches, applying the
// duplicate policy across the whole file. Exposed to JS by bindings.cpp as `Sequencer`.
#pragma once

#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/chunked_batches.h"
#include "js_values.h"

namespace intake::wasm {

class BatchSequencer {
 public:
  // Fields, mapping and options as for a Validator (see read_setup in js_values.h; `dialect` is
  // required); `header_record`: the file's bytes from its start through the header record's line
  // end. An invalid setup or header is not thrown: file_error() says what is wrong.
  BatchSequencer(std::string fields_json, std::string mapping_json, val options, val header_record);

  // Adds the next chunk in file order: `chunk` is what Validator.takeChunk() returned, and row r
  // of the chunk is row r + row_offset of the file. Returns {batches, errors_json}: the batches
  // it completed and, under the reject policy, the rows it refused as duplicates (JSON array
  // texts of error records, in row order; empty otherwise).
  val add(val chunk, double row_offset);
  // Ends the file: {batches, errors_json} with the last, partial batch.
  val finish();

  val adjustments() const;  // ChunkSequencer::adjustments(), as counts
  val file_error() const;   // {code, message} or null
  bool duplicate_tracking_full() const;

 private:
  val result();

  ValidatorSetup setup_;
  std::optional<ChunkSequencer> sequencer_;
  std::optional<FileError> error_;
  std::string body_;
  std::vector<uint32_t> meta_;
  std::string errors_json_;
  val batches_ = val::array();
  val body_buffer_ = val::undefined();
};

}  // namespace intake::wasm
