// The browser module's free functions (the stateless part of its JS surface): dialect
// sniffing, field-list checking, the fingerprint hash and the heap size.
#pragma once

#include <emscripten/val.h>

#include <string>

namespace intake::wasm {

using emscripten::val;

// {delimiter, delimiter_name, encoding, bom, utf16} of a file's first bytes.
val sniff(val head);
// {fields: [...] as normalized JSON objects (empty when invalid), problems: [{index, path, message}]}.
val check_fields_json(std::string fields_json);
// 16 hex digits of the core's 64-bit hash of `bytes` (Uint8Array or ArrayBuffer).
std::string hash_hex(val bytes);
// The wasm memory's current size in bytes (it grows, never shrinks, up to the 64 MiB cap).
double heap_bytes();

}  // namespace intake::wasm
