// Tests of the file validation pipeline: header mapping outcomes, row errors with their row
// numbers, duplicate policies, encodings and dialects, batch mode, and slice invariance of the
// whole pipeline's output.
#include "validate/file_validator.h"

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "report/csv_writer.h"

using namespace intake;

namespace {

std::vector<Field> bench_fields() {
  std::ifstream in(INTAKE_SOURCE_DIR "/../shared/bench/fields.json");
  std::stringstream ss;
  ss << in.rdbuf();
  FieldsParse p = fields_from_json_text(ss.str());
  REQUIRE(p.problems.empty());
  return p.fields;
}

std::vector<Field> small_fields() {
  return {
      {.key = "external_id", .label = "External ID", .type = FieldType::text, .required = true, .identity = Identity::external_id},
      {.key = "email", .label = "Email", .type = FieldType::email, .identity = Identity::email},
      {.key = "amount", .label = "Amount", .type = FieldType::number},
      {.key = "plan", .label = "Plan", .type = FieldType::enumeration, .values = {"free", "pro"}},
  };
}

// Everything the pipeline reports, serialized so whole runs compare as strings.
struct Transcript : ValidationSink {
  std::string out;
  void on_header(const HeaderInfo& h) override {
    out += "header delim=" + std::string(1, h.dialect.delimiter) + " enc=" + std::string(to_string(h.dialect.encoding)) + " out=";
    for (size_t f : h.output_fields) out += std::to_string(f) + ";";
    for (auto& e : h.mapping.extra_columns) out += " extra=" + e;
    out += "\n";
  }
  void on_clean_row(const CleanRow& r) override {
    out += "ok " + std::to_string(r.row) + " dup=" + std::to_string(r.duplicate_of) + " id=" + std::string(r.identity) + " |";
    for (auto v : r.values) out += std::string(v) + "|";
    out += "\n";
  }
  void on_row_failed(uint64_t row, std::span<const RowError> errors) override {
    for (const RowError& e : errors) {
      out += "err " + std::to_string(row) + " ";
      append_error_report_line(out, e);
    }
  }
};

std::string run(std::string_view csv, std::vector<Field> fields, ValidatorOptions options = {}, size_t slice = 0,
                FileValidator** keep = nullptr) {
  Transcript t;
  FileValidator v(std::move(fields), options);
  if (slice == 0) v.push(csv, t);
  else
    for (size_t i = 0; i < csv.size(); i += slice) v.push(csv.substr(i, slice), t);
  v.finish(t);
  if (v.file_error()) t.out += "file_error " + v.file_error()->code + ": " + v.file_error()->message + "\n";
  const auto& c = v.counts();
  t.out += "counts rows=" + std::to_string(c.rows) + " valid=" + std::to_string(c.valid) + " failed=" +
           std::to_string(c.failed) + " skipped=" + std::to_string(c.skipped) + " dups=" + std::to_string(c.duplicates) + "\n";
  return t.out;
}

}  // namespace

TEST_CASE("clean rows are normalized and errors name row, field, value and code") {
  std::string csv =
      "External ID,E-mail,Amount,PLAN,Unused\r\n"
      "P1,Ana@Example.COM,+1.50,PRO,x\r\n"
      "P2,bob@,abc,gold,y\r\n"
      ",c@d.io,1,free,z\r\n";
  std::string out = run(csv, small_fields());
  CHECK(out.find("ok 2 dup=0 id=external_id:P1 |P1|Ana@example.com|1.5|pro|") != std::string::npos);
  CHECK(out.find("err 3 3,email,bob@,invalid_email,") != std::string::npos);
  CHECK(out.find("err 3 3,amount,abc,invalid_number,") != std::string::npos);
  CHECK(out.find("err 3 3,plan,gold,invalid_enum,") != std::string::npos);
  CHECK(out.find("err 4 4,external_id,,required_missing,External ID is required") != std::string::npos);
  CHECK(out.find("extra=Unused") != std::string::npos);
  CHECK(out.find("counts rows=3 valid=1 failed=2") != std::string::npos);
}

TEST_CASE("missing required columns and duplicate headers are file errors naming them") {
  std::string out = run("email,amount\na@b.co,1\n", small_fields());
  CHECK(out.find("file_error missing_required_columns: the required column \"External ID\" (external_id) is missing") != std::string::npos);
  CHECK(out.find("ok ") == std::string::npos);
  out = run("external_id,email,Email\nP1,a@b.co,c@d.co\n", small_fields());
  CHECK(out.find("file_error duplicate_header:") != std::string::npos);
  out = run("", small_fields());
  CHECK(out.find("file_error empty_file:") != std::string::npos);
}

TEST_CASE("an explicit mapping overrides header matching and can ignore columns") {
  ValidatorOptions o;
  o.mapping = {{"Client", "external_id"}, {"email", ""}};
  std::string out = run("Client,email\nP1,not-an-email\n", small_fields(), o);
  CHECK(out.find("ok 2 dup=0 id=external_id:P1 |P1|") != std::string::npos);
  o.mapping = {{"Client", "nope"}};
  out = run("Client\nP1\n", small_fields(), o);
  CHECK(out.find("file_error invalid_mapping:") != std::string::npos);
}

TEST_CASE("wrong field counts and malformed rows fail alone") {
  std::string out = run("external_id,email\nP1,a@b.co,extra\nP2,\"x\"y\nP3,c@d.co\n", small_fields());
  CHECK(out.find("err 2 2,,,wrong_field_count,") != std::string::npos);
  CHECK(out.find("err 3 3,,,malformed_quotes,") != std::string::npos);
  CHECK(out.find("ok 4 ") != std::string::npos);
}

TEST_CASE("duplicate policies") {
  std::string csv = "external_id,email\nP1,a@b.co\nP2,b@b.co\nP1,c@b.co\n";
  ValidatorOptions o;
  o.duplicate_policy = DuplicatePolicy::update;
  std::string out = run(csv, small_fields(), o);
  CHECK(out.find("ok 4 dup=2 ") != std::string::npos);
  CHECK(out.find("valid=3 failed=0 skipped=0 dups=1") != std::string::npos);
  o.duplicate_policy = DuplicatePolicy::skip;
  out = run(csv, small_fields(), o);
  CHECK(out.find("ok 4 dup=2 ") != std::string::npos);
  CHECK(out.find("valid=3 failed=0 skipped=1 dups=1") != std::string::npos);
  o.duplicate_policy = DuplicatePolicy::reject;
  out = run(csv, small_fields(), o);
  CHECK(out.find("err 4 4,external_id,P1,duplicate_identity,\"row 2 has the same External ID") != std::string::npos);
  CHECK(out.find("valid=2 failed=1") != std::string::npos);
  // Identity falls back to email when the external id column is absent.
  std::vector<Field> f = small_fields();
  f[0].required = false;
  out = run("email\nA@X.io\na@x.IO\n", f, o);
  CHECK(out.find("err 3 3,email,a@x.io,duplicate_identity,\"row 2 has the same Email") != std::string::npos);
}

TEST_CASE("semicolon files with decimal commas and Windows-1252 text") {
  std::vector<Field> f = small_fields();
  f[2].type = FieldType::text;
  std::string out = run("external_id;amount\r\nP1;1,5\r\nP2;caf\xE9\r\n", f);
  CHECK(out.find("header delim=; enc=windows-1252") != std::string::npos);
  CHECK(out.find("|P1|1,5|") != std::string::npos);
  CHECK(out.find("|P2|caf\xC3\xA9|") != std::string::npos);
  // Valid UTF-8 head, a stray byte later: only that row fails.
  out = run("external_id,amount\nP1,caf\xC3\xA9\nP2,caf\xE9\nP3,ok\n", f);
  CHECK(out.find("enc=utf-8") != std::string::npos);
  CHECK(out.find("err 3 3,,,invalid_encoding,") != std::string::npos);
  CHECK(out.find("ok 4 ") != std::string::npos);
  // A UTF-8 BOM in front of Windows-1252 bytes: the BOM is dropped, not transcoded.
  out = run("\xEF\xBB\xBF" "External ID;amount\r\nP1;M\xFCller\r\n", f);
  CHECK(out.find("header delim=; enc=windows-1252") != std::string::npos);
  CHECK(out.find("|P1|M\xC3\xBCller|") != std::string::npos);
  out = run("\xFF\xFE" "e\0x\0", f);
  CHECK(out.find("file_error invalid_encoding: the file is UTF-16") != std::string::npos);
}

TEST_CASE("exactly the first 64 KiB decide the dialect, whatever the first slice's size") {
  // The head favours commas (3 fields against 2); the rows after 64 KiB favour semicolons.
  std::string csv = "a,b;c,d\n";
  while (csv.size() < (64 << 10)) csv += "1,2;3,4\n";
  while (csv.size() < (900 << 10)) csv += "1;2\n";
  std::string small_slices = run(csv, small_fields(), {}, 4096);
  CHECK(small_slices.find("header delim=,") != std::string::npos);
  CHECK(run(csv, small_fields(), {}, 1 << 20) == small_slices);
}

TEST_CASE("batch mode reads row numbers from the _row column") {
  ValidatorOptions o;
  o.delimiter = ',';
  o.row_column = "_row";
  o.track_duplicates = false;
  std::string out = run("_row,external_id,email\r\n17,P1,a@b.co\r\n40,P2,bad\r\n", small_fields(), o);
  CHECK(out.find("ok 17 ") != std::string::npos);
  CHECK(out.find("err 40 40,email,bad,invalid_email,") != std::string::npos);
  out = run("_row,external_id\r\nx,P1\r\n", small_fields(), o);
  CHECK(out.find("file_error invalid_row_number:") != std::string::npos);
  // A malformed row keeps the number its _row column gives.
  out = run("_row,external_id,email\r\n500,\"x\"y,a@b.co\r\n501,P2,c@d.co\r\n", small_fields(), o);
  CHECK(out.find("err 500 500,,,malformed_quotes,") != std::string::npos);
  CHECK(out.find("ok 501 ") != std::string::npos);
  // Unreadable, repeated, decreasing or huge row numbers make the batch unusable.
  out = run("_row,external_id\r\n7,P1\r\n8,\"never closed\r\n", small_fields(), o);
  CHECK(out.find("file_error unclosed_quote: line 3 of the batch cannot be read") != std::string::npos);
  out = run("_row,external_id\r\n3,P1\r\n3,P2\r\n", small_fields(), o);
  CHECK(out.find("file_error invalid_row_number: line 3 of the batch has row 3 after row 3") != std::string::npos);
  out = run("_row,external_id\r\n9,P1\r\n4,P2\r\n", small_fields(), o);
  CHECK(out.find("file_error invalid_row_number:") != std::string::npos);
  out = run("_row,external_id\r\n9223372036854775809,P1\r\n", small_fields(), o);
  CHECK(out.find("file_error invalid_row_number:") != std::string::npos);
  out = run("_row,external_id\r\n9007199254740992,P1\r\n", small_fields(), o);
  CHECK(out.find("ok 9007199254740992 ") != std::string::npos);
  o.row_column.clear();
  o.first_row = 100;
  out = run("external_id\r\nP1\r\nP2\r\n", small_fields(), o);
  CHECK(out.find("ok 101 ") != std::string::npos);
  // Found by fuzzing: first_row 1 would number a data row 1, the header's row.
  o.first_row = 1;
  out = run("external_id\r\nP1\r\n", small_fields(), o);
  CHECK(out.find("file_error invalid_options: first_row must be") != std::string::npos);
  CHECK(out.find("ok ") == std::string::npos);
}

TEST_CASE("the whole pipeline is slice invariant on the reference fields") {
  std::string csv = "external_id,name,email,phone,timezone,signup_date,plan,notes\r\n";
  const char* rows[] = {
      "P1,Ana Smith,ana@example.com,(212) 555-0134,America/New_York,2020-02-29,pro,\"said \"\"hi\"\"\"",
      "P2,Ben,ben@example,+1 305 555 0199,Mars/Olympus,2021-02-29,gold,",
      "P3,\"Chloé\nMüller\",chloe@example.com,415.555.0123,UTC,2019-01-01,FREE,\"line1\r\nline2\"",
      "P1,Dup,dup@example.com,,Europe/Berlin,2018-05-05,free,",
      "P4,\"unterminated,x@example.com,,,,,",
      "P5,Eve,eve@example.com,12,Asia/Tokyo,2015-13-01,pro,=cmd()",
  };
  for (int i = 0; i < 40; ++i) csv += std::string(rows[i % 6]) + "\r\n";
  csv += "P9,\"never closed,x@example.com\r\nP10,Last,last@example.com,,,,,\r\n";
  std::string whole = run(csv, bench_fields());
  CHECK(whole.find("unclosed_quote") != std::string::npos);
  std::mt19937 rng(7);
  for (size_t slice : {1, 2, 3, 5, 8, 13, 100, 4096}) CHECK(run(csv, bench_fields(), {}, slice) == whole);
}
