// inspect(): what the browser shows before validating a whole file — dialect and encoding, the
// header and its suggested mapping to the campaign's fields (with the required fields no column
// feeds), and the first rows with each cell's raw text and errors — all read from the head of
// the file only.
#pragma once

#include <emscripten/val.h>

#include <string>

namespace intake::wasm {

using emscripten::val;

// `head`: the first bytes of the file (Uint8Array or ArrayBuffer); `complete`: the head is the
// whole file (otherwise a last, partial row is left out). `fields_json` may be empty (no
// campaign fields: every column is extra). See read_setup() for `mapping_json` and `options`.
// Returns {file_error, dialect, header, rows: [{row, cells, values, errors}], counts, complete};
// `header` is null when the head holds no complete header row.
val inspect_head(val head, std::string fields_json, std::string mapping_json, val options,
                 int preview_rows, bool complete);

}  // namespace intake::wasm
