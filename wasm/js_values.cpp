// Conversions between the core's types and plain JS values (see js_values.h).
#include "js_values.h"

#include <emscripten/val.h>

#include <cstdio>

namespace intake::wasm {

namespace {

// 1.5 Mi identities: the largest table of 2 Mi slots (24 MiB, see duplicate_tracker.h), which
// leaves room in the 64 MiB heap for a slice, a batch and the tokenizer's buffer.
constexpr size_t kMaxDuplicateCapacity = size_t(3) << 19;

val number(uint64_t n) { return val(double(n)); }

val string_array(const std::vector<std::string>& v) {
  val out = val::array();
  for (size_t i = 0; i < v.size(); ++i) out.set(i, val(v[i]));
  return out;
}


std::string js_string(const val& obj, const char* key) {
  val v = obj[key];
  return v.isString() ? v.as<std::string>() : std::string();
}

bool is_object(const val& v) { return !v.isNull() && v.typeOf().as<std::string>() == "object"; }

bool js_has(const val& obj, const char* key) {
  if (!is_object(obj)) return false;
  val v = obj[key];
  return !v.isUndefined() && !v.isNull();
}

// Reads a positive whole number option; false (with `error`) when present but not one.
bool read_count(const val& options, const char* key, size_t& out, std::optional<FileError>& error) {
  if (!js_has(options, key)) return true;
  val v = options[key];
  double d = v.isNumber() ? v.as<double>() : -1;
  if (!(d >= 1 && d <= 9007199254740991.0) || d != double(uint64_t(d))) {
    error = FileError{"invalid_options", std::string("options.") + key + " must be a whole number of 1 or more"};
    return false;
  }
  out = size_t(d);
  return true;
}

}  // namespace

void copy_bytes_in(const val& bytes, std::string& out) {
  val u8 = bytes;
  if (bytes.instanceof(val::global("ArrayBuffer"))) u8 = val::global("Uint8Array").new_(bytes);
  if (!u8.instanceof(val::global("Uint8Array"))) {
    out.clear();
    return;
  }
  size_t n = u8["length"].as<size_t>();
  out.resize(n);  // may grow the heap, so the view is made afterwards
  if (n == 0) return;
  val view(emscripten::typed_memory_view(n, reinterpret_cast<unsigned char*>(out.data())));
  view.call<void>("set", u8);
}

val copy_bytes_out(std::string_view bytes) {
  val view(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const unsigned char*>(bytes.data())));
  return view.call<val>("slice");
}

val copy_bytes_out(std::string_view bytes, const val& lend) {
  val out = lend(double(bytes.size()));
  if (!out.instanceof(val::global("Uint8Array")) || out["length"].as<double>() != double(bytes.size()))
    return copy_bytes_out(bytes);
  // The view is made after the call: JS code may not grow the heap, but nothing here relies on it.
  out.call<void>("set", val(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const unsigned char*>(bytes.data()))));
  return out;
}

val utf8_to_js(std::string_view bytes) {
  static val decoder = val::global("TextDecoder").new_(val("utf-8"));
  val view(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const unsigned char*>(bytes.data())));
  return decoder.call<val>("decode", view);
}

val parse_json(std::string_view json) { return val::global("JSON").call<val>("parse", utf8_to_js(json)); }


val to_js(const FileError& e) {
  val o = val::object();
  o.set("code", e.code);
  o.set("message", e.message);
  return o;
}

val to_js(const Dialect& d) {
  val o = val::object();
  o.set("delimiter", std::string(1, d.delimiter));
  o.set("delimiter_name", std::string(delimiter_name(d.delimiter)));
  o.set("encoding", std::string(to_string(d.encoding)));
  o.set("bom", d.bom);
  o.set("utf16", d.utf16);
  return o;
}

val batch_to_js(const Batch& b, const val& lend) {
  return to_js(b, lend.isUndefined() ? copy_bytes_out(b.body) : copy_bytes_out(b.body, lend));
}

bool is_function(const val& options, const char* key) {
  return is_object(options) && options[key].typeOf().as<std::string>() == "function";
}

val lend_function(const val& options) {
  return is_function(options, "batch_body_buffer") ? options["batch_body_buffer"] : val::undefined();
}

val to_js(const ValidationCounts& c) {
  val o = val::object();
  o.set("rows", number(c.rows));
  o.set("valid", number(c.valid));
  o.set("failed", number(c.failed));
  o.set("skipped", number(c.skipped));
  o.set("duplicates", number(c.duplicates));
  o.set("errors", number(c.errors));
  o.set("bytes", number(c.bytes));
  o.set("last_row", number(c.last_row));
  val tallies = val::array();
  for (size_t i = 0; i < c.by_field_code.size(); ++i) {
    const ErrorTally& t = c.by_field_code[i];
    val e = val::object();
    e.set("field", t.field);
    e.set("code", t.code);
    e.set("count", number(t.count));
    tallies.set(i, e);
  }
  o.set("by_field_code", tallies);
  return o;
}

val to_js(const Batch& b, val body) {
  val o = val::object();
  o.set("seq", number(b.seq));
  o.set("first_row", number(b.first_row));
  o.set("last_row", number(b.last_row));
  o.set("rows", number(b.rows));
  o.set("body", body);
  return o;
}

val field_refs(const std::vector<size_t>& indexes, const std::vector<Field>& fields) {
  val out = val::array();
  for (size_t i = 0; i < indexes.size(); ++i) {
    val f = val::object();
    f.set("key", fields[indexes[i]].key);
    f.set("label", fields[indexes[i]].label);
    out.set(i, f);
  }
  return out;
}

val to_js(const HeaderInfo& h, const std::vector<Field>& fields) {
  const HeaderMapping& m = h.mapping;
  val o = val::object();
  o.set("dialect", to_js(h.dialect));
  o.set("headers", string_array(m.headers));
  val columns = val::array();
  val suggested = val::object();
  for (size_t c = 0; c < m.headers.size(); ++c) {
    val col = val::object();
    col.set("index", c);
    col.set("header", m.headers[c]);
    int f = c < m.column_field.size() ? m.column_field[c] : -1;
    col.set("field", f >= 0 ? val(fields[size_t(f)].key) : val::null());
    col.set("explicit", c < m.column_explicit.size() && m.column_explicit[c]);
    columns.set(c, col);
    suggested.set(m.headers[c], f >= 0 ? val(fields[size_t(f)].key) : val::null());
  }
  o.set("columns", columns);
  o.set("mapping", suggested);
  o.set("extra_columns", string_array(m.extra_columns));
  o.set("not_imported", string_array(m.not_imported));
  o.set("missing_required", field_refs(m.missing_required, fields));
  o.set("missing_optional", field_refs(m.missing_optional, fields));
  val keys = val::array();
  for (size_t k = 0; k < h.output_fields.size(); ++k) keys.set(k, fields[h.output_fields[k]].key);
  o.set("output_keys", keys);
  o.set("error", m.error ? to_js(*m.error) : val::null());
  return o;
}

val to_js(const std::vector<FieldProblem>& problems) {
  val out = val::array();
  for (size_t i = 0; i < problems.size(); ++i) {
    val p = val::object();
    p.set("index", problems[i].index);
    p.set("path", problems[i].path);
    p.set("message", problems[i].message);
    out.set(i, p);
  }
  return out;
}

ValidatorSetup read_setup(std::string_view fields_json, std::string_view mapping_json, const val& options,
                          bool fields_optional) {
  ValidatorSetup s;
  FieldsParse parsed;
  if (!fields_optional || !fields_json.empty()) parsed = fields_from_json_text(fields_json);
  if (!parsed.problems.empty()) {
    const FieldProblem& p = parsed.problems.front();
    s.error = FileError{codes::kInvalidFields, "the campaign fields are invalid: " + p.path + ": " + p.message};
    return s;
  }
  s.fields = std::move(parsed.fields);
  s.options.duplicate_capacity = kMaxDuplicateCapacity;
  if (!mapping_json.empty()) {
    std::string message;
    if (!mapping_from_json_text(mapping_json, s.options.mapping, message)) {
      s.error = FileError{codes::kInvalidMapping, message};
      return s;
    }
  }
  if (!is_object(options)) return s;
  if (js_has(options, "default_region")) s.options.default_region = js_string(options, "default_region");
  if (js_has(options, "duplicate_policy")) {
    auto p = duplicate_policy_from_string(js_string(options, "duplicate_policy"));
    if (!p) {
      s.error = FileError{"invalid_options", "options.duplicate_policy must be \"update\", \"skip\" or \"reject\""};
      return s;
    }
    s.options.duplicate_policy = *p;
  }
  if (js_has(options, "delimiter")) {
    std::string d = js_string(options, "delimiter");
    char c = 0;
    if (d.size() == 1) c = d[0];
    for (char candidate : kDelimiterCandidates)
      if (d == delimiter_name(candidate)) c = candidate;
    if (!c || c == '"' || c == '\r' || c == '\n') {
      s.error = FileError{"invalid_options",
                          "options.delimiter must be one character or \"comma\", \"semicolon\", \"tab\" or \"pipe\""};
      return s;
    }
    s.options.delimiter = c;
  }
  if (!read_count(options, "duplicate_capacity", s.options.duplicate_capacity, s.error)) return s;
  if (s.options.duplicate_capacity > kMaxDuplicateCapacity) {
    s.error = FileError{"invalid_options", "options.duplicate_capacity must be at most " +
                                               std::to_string(kMaxDuplicateCapacity) +
                                               " (the wasm heap is capped at 64 MiB)"};
    return s;
  }
  if (!read_count(options, "batch_rows", s.limits.max_rows, s.error)) return s;
  if (!read_count(options, "batch_bytes", s.limits.max_bytes, s.error)) return s;
  if (js_has(options, "batches")) s.build_batches = options["batches"].as<bool>();
  if (js_has(options, "errors_as_json")) s.errors_as_json = options["errors_as_json"].as<bool>();
  if (js_has(options, "dialect")) {
    const val d = options["dialect"];
    const std::string delimiter = is_object(d) ? js_string(d, "delimiter") : "";
    const std::string encoding = is_object(d) ? js_string(d, "encoding") : "";
    if (delimiter.size() != 1 || (encoding != to_string(Encoding::utf8) && encoding != to_string(Encoding::windows_1252))) {
      s.error = FileError{"invalid_options", "options.dialect must be what sniffDialect() returned for the file's head"};
      return s;
    }
    Dialect dialect;
    dialect.delimiter = delimiter[0];
    dialect.encoding = encoding == to_string(Encoding::utf8) ? Encoding::utf8 : Encoding::windows_1252;
    dialect.bom = d["bom"].isTrue();
    dialect.utf16 = d["utf16"].isTrue();
    s.options.dialect = dialect;
  }
  if (js_has(options, "chunk")) s.chunk = options["chunk"].as<bool>();
  if (s.chunk) s.options.track_duplicates = false;  // across chunks: the sequencer's
  return s;
}

}  // namespace intake::wasm
