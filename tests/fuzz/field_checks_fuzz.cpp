// libFuzzer target: the core's small parsers on one arbitrary string each run — check_cell for
// every field type (several date formats and regions), parse_phone, fields_from_json_text,
// mapping_from_json_text and sniff_dialect. Invariants beyond "no crash": the check contract of
// field_checks.h (append on success, `out` untouched and an error on failure); a normalized value
// passes its check again unchanged (the server re-checks normalized batches); an accepted field
// list re-reads from its own JSON without problems (the server stores it that way).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "csv/dialect.h"
#include "fuzz_support.h"
#include "phone/phone_number.h"
#include "schema/header_mapping.h"
#include "validate/field_checks.h"

using namespace intake;
using namespace intake::fuzz;

namespace {

Field field(FieldType type, bool required = false) {
  Field f;
  f.key = "f";
  f.label = "F";
  f.type = type;
  f.required = required;
  return f;
}

const std::vector<Field>& fields_under_test() {
  static const std::vector<Field> fields = [] {
    std::vector<Field> v;
    for (FieldType t : {FieldType::text, FieldType::email, FieldType::phone, FieldType::date, FieldType::datetime,
                        FieldType::number, FieldType::boolean, FieldType::timezone})
      v.push_back(field(t));
    Field short_text = field(FieldType::text, true);
    short_text.max_length = 8;
    v.push_back(short_text);
    Field plan = field(FieldType::enumeration);
    plan.values = {"free", "pro", "Enterprise", "ÉLITE"};
    v.push_back(plan);
    for (const char* format : {"DD/MM/YYYY", "M/D/YYYY", "YYYY.MM.DD", "D MM YYYY", "MM-DD-YYYY"}) {
      Field d = field(FieldType::date, true);
      d.format = format;
      v.push_back(d);
    }
    return v;
  }();
  return fields;
}

constexpr const char* kRegions[] = {"US", "GB", "DE", "IN", "BR", "jp", "", "ZZ"};

// check_cell's contract, and normalization as a fixed point: the normal form of a value passes
// the same check (ISO for dates: the form batches carry) and comes out the same.
void check_one(const Field& f, std::string_view in, const CheckOptions& opts) {
  const std::string prefix = "prefix,";
  std::string out = prefix;
  CellError err;
  const bool ok = check_cell(f, in, opts, out, err);
  if (!ok) {
    FUZZ_CHECK(out == prefix, "a failed check leaves `out` as it was");
    FUZZ_CHECK(err.code != nullptr && !err.message.empty(), "a failed check says why");
    return;
  }
  FUZZ_CHECK(out.compare(0, prefix.size(), prefix) == 0, "a check appends to `out`");
  FUZZ_CHECK(err.code == nullptr, "a passed check sets no error");
  const std::string normal = out.substr(prefix.size());
  if (normal.empty()) return;  // blank optional cell
  Field again = f;
  again.format.clear();
  std::string out2;
  CellError err2;
  const bool ok2 = check_cell(again, normal, opts, out2, err2);
  if (!ok2 || out2 != normal)
    std::fprintf(stderr, "type %s, region %s: \"%s\" -> \"%s\" -> %s \"%s\"\n", std::string(to_string(f.type)).c_str(),
                 opts.default_region.c_str(), std::string(in).c_str(), normal.c_str(),
                 ok2 ? "ok" : err2.code, ok2 ? out2.c_str() : err2.message.c_str());
  FUZZ_CHECK(ok2 && out2 == normal, "a normalized value passes its check unchanged");
}

void check_fields_json(std::string_view text) {
  FieldsParse p = fields_from_json_text(text);
  for (const FieldProblem& problem : p.problems) FUZZ_CHECK(!problem.message.empty(), "problems say why");
  if (!p.problems.empty()) return;
  const std::string stored = fields_to_json(p.fields).dump();
  FieldsParse again = fields_from_json_text(stored);
  if (!again.problems.empty()) std::fprintf(stderr, "stored: %s\nproblem: %s\n", stored.c_str(), again.problems[0].message.c_str());
  FUZZ_CHECK(again.problems.empty(), "an accepted field list re-reads from its stored JSON");
  FUZZ_CHECK(fields_to_json(again.fields).dump() == stored, "the stored JSON is a fixed point");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  for (const char* region : kRegions) {
    phone::PhoneResult r = phone::parse_phone(in, region);
    if (r.status == phone::PhoneStatus::ok) {
      FUZZ_CHECK(r.e164.size() >= 2 && r.e164[0] == '+', "E.164 starts with +");
      FUZZ_CHECK(r.region == "001" || phone::is_known_region(r.region),
                 "a valid number belongs to a known region, or is non-geographic (001)");
    }
    CheckOptions opts;
    opts.default_region = region;
    for (const Field& f : fields_under_test())
      if (f.type == FieldType::phone || std::string_view(region) == "US") check_one(f, in, opts);
  }

  check_fields_json(in);

  ExplicitMapping mapping;
  std::string error;
  if (!mapping_from_json_text(in, mapping, error)) FUZZ_CHECK(!error.empty(), "a refused mapping says why");

  const Dialect d = sniff_dialect(in);
  FUZZ_CHECK(std::string_view(",;\t|").find(d.delimiter) != std::string_view::npos, "a candidate delimiter");
  return 0;
}
