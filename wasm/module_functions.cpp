// The browser module's free functions (see module_functions.h).
#include "module_functions.h"

#include <emscripten/heap.h>

#include <nlohmann/json.hpp>

#include "csv/dialect.h"
#include "js_values.h"
#include "schema/field.h"
#include "validate/duplicate_tracker.h"

namespace intake::wasm {

val sniff(val head) {
  std::string bytes;
  copy_bytes_in(head, bytes);
  return to_js(sniff_dialect(bytes));
}

val check_fields_json(std::string fields_json) {
  FieldsParse parsed = fields_from_json_text(fields_json);
  val out = val::object();
  out.set("fields", parsed.problems.empty() ? parse_json(fields_to_json(parsed.fields)["fields"].dump())
                                            : val::array());
  out.set("problems", to_js(parsed.problems));
  return out;
}

std::string hash_hex(val bytes) {
  std::string data;
  copy_bytes_in(bytes, data);
  char out[17];
  uint64_t h = hash_bytes(data);
  for (int i = 15; i >= 0; --i, h >>= 4) out[i] = "0123456789abcdef"[h & 15];
  out[16] = 0;
  return out;
}

double heap_bytes() { return double(emscripten_get_heap_size()); }

}  // namespace intake::wasm
