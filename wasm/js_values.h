// Conversions between the core's types and plain JS values for the browser module: bytes in
// and out of the wasm heap (one copy each way, never a view the caller could keep), counts,
// headers, dialects, batches and errors as plain objects, and options read from a JS object.
// Everything returned here is owned by JS; nothing points into the wasm heap.
#pragma once

#include <emscripten/val.h>

#include <string>
#include <string_view>
#include <vector>

#include "batch/batch_builder.h"
#include "core/row_error.h"
#include "csv/dialect.h"
#include "schema/field.h"
#include "validate/file_validator.h"

namespace intake::wasm {

using emscripten::val;

// Copies a JS Uint8Array or ArrayBuffer into `out` (resized to fit; capacity is kept between
// calls). Anything else leaves `out` empty.
void copy_bytes_in(const val& bytes, std::string& out);

// A new Uint8Array holding a copy of `bytes`.
val copy_bytes_out(std::string_view bytes);

// A copy of `bytes` in a Uint8Array the caller lends: `lend(n)` must return a Uint8Array of
// length n, which is filled and returned (its memory is the caller's, not the heap's). When it
// returns anything else, a new Uint8Array is made instead (copy_bytes_out).
val copy_bytes_out(std::string_view bytes, const val& lend);

// A JS string from UTF-8 bytes (invalid sequences become U+FFFD, as TextDecoder does).
val utf8_to_js(std::string_view bytes);

// JSON.parse of UTF-8 JSON text.
val parse_json(std::string_view json);


val to_js(const FileError& e);         // {code, message}
val to_js(const Dialect& d);           // {delimiter, delimiter_name, encoding, bom, utf16}
val to_js(const ValidationCounts& c);  // {rows, valid, failed, ..., by_field_code: [...]}
val to_js(const Batch& b, val body);  // {seq, first_row, last_row, rows, body}
// A batch with its body copied out: into a buffer `lend` gives when it is a function (see
// copy_bytes_out), else into a new Uint8Array.
val batch_to_js(const Batch& b, const val& lend);
// options.batch_body_buffer when it is a function, else undefined.
val lend_function(const val& options);
// Whether options[key] is a function.
bool is_function(const val& options, const char* key);
val field_refs(const std::vector<size_t>& indexes, const std::vector<Field>& fields);  // [{key, label}]
val to_js(const HeaderInfo& h, const std::vector<Field>& fields);  // see intake.d.ts HeaderInfo
val to_js(const std::vector<FieldProblem>& problems);                // [{index, path, message}]

// Everything a validator is built from, read from the JS side's arguments. `error` is set (and
// the rest unusable) when the fields, mapping or options are invalid.
struct ValidatorSetup {
  std::vector<Field> fields;
  ValidatorOptions options;
  BatchLimits limits;
  bool build_batches = true;
  bool errors_as_json = false;  // results carry `errors_json` (JSON texts), `errors` stays empty
  bool chunk = false;           // one chunk of a file: clean rows kept as lines (ChunkLines)
  std::optional<FileError> error;
};

// `fields_json`: API.md field list ({"fields": [...]} or an array). `mapping_json`: {"header":
// "key" | null} or empty. `options`: a JS object with optional default_region, duplicate_policy
// ("update" | "skip" | "reject"), delimiter (one character, or "comma", "semicolon", "tab",
// "pipe"), duplicate_capacity (default and maximum 1.5 Mi identities), batch_rows, batch_bytes, batches (false: no batch bodies),
// errors_as_json (true: error records as JSON text, see StreamingValidator::push), dialect (the
// file's, as sniffDialect() gives it: a chunk is then read as the whole file would be) and chunk
// (true: validate one chunk of a file, see StreamingValidator::takeChunk; no duplicate tracking).
// With `fields_optional`, empty `fields_json` means no fields (every column is extra).
ValidatorSetup read_setup(std::string_view fields_json, std::string_view mapping_json, const val& options,
                          bool fields_optional = false);

}  // namespace intake::wasm
