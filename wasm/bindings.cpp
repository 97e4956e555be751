// The browser module's JS surface: Embind declarations only. The glue they name lives beside
// this file (streaming_validator, head_inspector, module_functions, js_values); the logic lives
// in shared/. web/lib/intake.d.ts documents the same surface (IntakeModule) for JS callers.
#include <emscripten/bind.h>

#include "batch_sequencer.h"
#include "head_inspector.h"
#include "module_functions.h"
#include "streaming_validator.h"

EMSCRIPTEN_BINDINGS(intake) {
  using namespace emscripten;
  using namespace intake::wasm;
  class_<StreamingValidator>("Validator")
      .constructor<std::string, std::string, val>()
      .function("push", &StreamingValidator::push)
      .function("finish", &StreamingValidator::finish)
      .function("counts", &StreamingValidator::counts)
      .function("fileError", &StreamingValidator::file_error)
      .function("duplicateTrackingFull", &StreamingValidator::duplicate_tracking_full)
      .function("takeChunk", &StreamingValidator::take_chunk)
      .function("betweenRecords", &StreamingValidator::between_records)
      .function("recordsRead", &StreamingValidator::records_read);
  class_<BatchSequencer>("Sequencer")
      .constructor<std::string, std::string, val, val>()
      .function("add", &BatchSequencer::add)
      .function("finish", &BatchSequencer::finish)
      .function("adjustments", &BatchSequencer::adjustments)
      .function("fileError", &BatchSequencer::file_error)
      .function("duplicateTrackingFull", &BatchSequencer::duplicate_tracking_full);
  function("inspect", &inspect_head);
  function("sniffDialect", &sniff);
  function("checkFields", &check_fields_json);
  function("hashBytes", &hash_hex);
  function("heapBytes", &heap_bytes);
}
