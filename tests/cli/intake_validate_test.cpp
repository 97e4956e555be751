// Tests of the intake-validate command: exit status 0/1/2, the summary, --json, --errors, and
// clear messages for unusable files and options.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

struct Result {
  int status;
  std::string out;  // stdout and stderr together
};

Result run(const std::string& args) {
  std::string cmd = std::string(INTAKE_VALIDATE) + " " + args + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("intake_cli_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kFields = R"({"fields": [
  {"key": "external_id", "label": "External ID", "type": "text", "required": true, "identity": "external_id"},
  {"key": "email", "label": "Email", "type": "email", "identity": "email"},
  {"key": "phone", "label": "Phone", "type": "phone", "identity": "phone"}]})";

}  // namespace

TEST_CASE("exit 0 when every row is valid, with a readable summary") {
  TempDir d;
  std::string fields = d.write("fields.json", kFields);
  std::string csv = d.write("ok.csv", "External ID;Email;Phone\r\nP1;a@b.co;(212) 555-0134\r\n");
  Result r = run("--fields " + fields + " " + csv);
  CHECK(r.status == 0);
  CHECK(r.out.find("delimiter   semicolon") != std::string::npos);
  CHECK(r.out.find("1 read, 1 valid, 0 failed") != std::string::npos);
}

TEST_CASE("exit 1 with errors per field and code, the report and the JSON summary") {
  TempDir d;
  std::string fields = d.write("fields.json", kFields);
  std::string csv = d.write("bad.csv", "external_id,email,phone\nP1,=cmd@,\nP2,b@c.de,12\nP3,c@d.ee,\n");
  std::string report = (d.path / "errors.csv").string();
  Result r = run("--fields " + fields + " --errors " + report + " " + csv);
  CHECK(r.status == 1);
  CHECK(r.out.find("3 read, 1 valid, 2 failed") != std::string::npos);
  CHECK(r.out.find("invalid_email") != std::string::npos);
  std::string rep = read(report);
  CHECK(rep.starts_with("row,field,value,code,message\r\n2,email,'=cmd@,invalid_email,"));
  CHECK(rep.find("\r\n3,phone,12,invalid_phone,") != std::string::npos);

  r = run("--json --quiet --fields " + fields + " " + csv);
  CHECK(r.status == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["rows"] == 3);
  CHECK(j["failed"] == 2);
  CHECK(j["delimiter"] == ",");
  CHECK(j["encoding"] == "utf-8");
  CHECK(j["errors_by_field_code"].size() == 2);
}

TEST_CASE("exit 2 with a message naming what to fix") {
  TempDir d;
  std::string fields = d.write("fields.json", kFields);
  Result r = run("--fields " + fields + " " + d.write("nohead.csv", "email\na@b.co\n"));
  CHECK(r.status == 2);
  CHECK(r.out.find("the required column \"External ID\" (external_id) is missing") != std::string::npos);
  r = run("--fields " + fields + " " + (d.path / "missing.csv").string());
  CHECK(r.status == 2);
  CHECK(r.out.find("cannot open") != std::string::npos);
  r = run("--fields " + d.write("bad.json", "{\"fields\": [{\"key\": \"x\"}]}") + " x.csv");
  CHECK(r.status == 2);
  CHECK(r.out.find("fields[0].label: is missing") != std::string::npos);
  r = run("--fields " + fields + " --duplicates maybe x.csv");
  CHECK(r.status == 2);
  CHECK(r.out.find("--duplicates must be update, skip or reject") != std::string::npos);
  r = run("--fields " + fields + " --default-region ZZ x.csv");
  CHECK(r.status == 2);
  CHECK(r.out.find("is not a region code") != std::string::npos);
}

TEST_CASE("standard input and the duplicate policy") {
  TempDir d;
  std::string fields = d.write("fields.json", kFields);
  std::string csv = d.write("dups.csv", "external_id\nP1\nP1\n");
  Result r = run("--fields " + fields + " --duplicates reject - < " + csv);
  CHECK(r.status == 1);
  CHECK(r.out.find("duplicate_identity") != std::string::npos);
  r = run("--fields " + fields + " --duplicates skip " + csv);
  CHECK(r.status == 0);
  CHECK(r.out.find("1 duplicates to skip") != std::string::npos);
}
