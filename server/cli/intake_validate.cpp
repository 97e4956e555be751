// intake-validate: checks a participants CSV against a campaign's fields with the same core the
// browser and the server use, in constant memory, for data teams' own pipelines.
// Exit status: 0 every row valid, 1 some rows invalid, 2 file-level error or bad usage.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "phone/phone_number.h"
#include "report/csv_writer.h"
#include "validate/file_validator.h"

using namespace intake;

namespace {

constexpr const char* kUsage =
    "usage: intake-validate --fields FIELDS.json [options] FILE.csv\n"
    "\n"
    "Checks every row of FILE.csv (or - for standard input) against the campaign fields in\n"
    "FIELDS.json ({\"fields\": [...]}, as GET /api/v1/campaigns/{id}/fields returns them).\n"
    "\n"
    "options:\n"
    "  --fields FILE          campaign fields (required)\n"
    "  --mapping FILE         {\"CSV header\": \"field key\" | null, ...} overriding header matching\n"
    "  --default-region CC    region for phone numbers without +country (default US)\n"
    "  --duplicates POLICY    update | skip | reject (default update)\n"
    "  --errors FILE          write every error as CSV: row,field,value,code,message\n"
    "  --json                 print the summary as JSON on standard output\n"
    "  --quiet                no progress on standard error\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: 0 all rows valid, 1 some rows invalid, 2 the file or the options are unusable\n";

struct Args {
  std::string fields, mapping, errors, input;
  std::string region = "US";
  DuplicatePolicy policy = DuplicatePolicy::update;
  bool json = false, quiet = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "intake-validate: %s\n\n%s", message.c_str(), kUsage);
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--fields") a.fields = value();
    else if (arg == "--mapping") a.mapping = value();
    else if (arg == "--default-region") a.region = value();
    else if (arg == "--errors") a.errors = value();
    else if (arg == "--json") a.json = true;
    else if (arg == "--quiet") a.quiet = true;
    else if (arg == "--duplicates") {
      std::string p = value();
      auto policy = duplicate_policy_from_string(p);
      if (!policy) usage_error("--duplicates must be update, skip or reject, not \"" + p + "\"");
      a.policy = *policy;
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") usage_error("unknown option " + arg);
    else if (a.input.empty()) a.input = arg;
    else usage_error("only one input file can be checked at a time");
  }
  if (a.fields.empty()) usage_error("--fields is required");
  if (a.input.empty()) usage_error("name the CSV file to check (or - for standard input)");
  for (char& c : a.region) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (!phone::is_known_region(a.region))
    usage_error("--default-region \"" + a.region + "\" is not a region code like US, GB or DE");
  return a;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

[[noreturn]] void file_error(const std::string& message) {
  std::fprintf(stderr, "intake-validate: %s\n", message.c_str());
  std::exit(2);
}

std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

// Writes errors to the report file as they come; counts nothing itself (the validator does).
class ReportSink : public ValidationSink {
 public:
  explicit ReportSink(std::FILE* report) : report_(report) {
    if (report_) buffer_.append(kErrorReportHeader);
  }
  void on_row_failed(uint64_t, std::span<const RowError> errors) override {
    if (!report_) return;
    for (const RowError& e : errors) append_error_report_line(buffer_, e);
    if (buffer_.size() > (1 << 16)) flush();
  }
  void flush() {
    if (report_ && !buffer_.empty()) {
      if (std::fwrite(buffer_.data(), 1, buffer_.size(), report_) != buffer_.size())
        file_error("could not write the error report: " + std::string(std::strerror(errno)));
      buffer_.clear();
    }
  }

 private:
  std::FILE* report_;
  std::string buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);

  std::string text;
  if (!read_file(args.fields, text)) file_error("cannot read --fields " + args.fields + ": " + std::strerror(errno));
  FieldsParse fields = fields_from_json_text(text);
  if (!fields.problems.empty()) {
    std::string msg = args.fields + " is not a valid field list:";
    for (const FieldProblem& p : fields.problems) msg += "\n  " + p.path + ": " + p.message;
    file_error(msg);
  }
  ValidatorOptions options;
  options.default_region = args.region;
  options.duplicate_policy = args.policy;
  if (!args.mapping.empty()) {
    std::string error;
    if (!read_file(args.mapping, text)) file_error("cannot read --mapping " + args.mapping + ": " + std::strerror(errno));
    if (!mapping_from_json_text(text, options.mapping, error)) file_error(args.mapping + ": " + error);
  }

  std::FILE* in = args.input == "-" ? stdin : std::fopen(args.input.c_str(), "rb");
  if (!in) file_error("cannot open " + args.input + ": " + std::strerror(errno));
  std::FILE* report = nullptr;
  if (!args.errors.empty()) {
    report = std::fopen(args.errors.c_str(), "wb");
    if (!report) file_error("cannot write --errors " + args.errors + ": " + std::strerror(errno));
  }
  uint64_t total_bytes = 0;
  if (in != stdin && std::fseek(in, 0, SEEK_END) == 0) {
    total_bytes = uint64_t(std::ftell(in));
    std::fseek(in, 0, SEEK_SET);
  }

  FileValidator validator(std::move(fields.fields), options);
  ReportSink sink(report);
  bool progress = !args.quiet && isatty(STDERR_FILENO);
  auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  std::vector<char> buffer(size_t(1) << 20);
  for (;;) {
    size_t n = std::fread(buffer.data(), 1, buffer.size(), in);
    if (n == 0) break;
    validator.push(std::string_view(buffer.data(), n), sink);
    if (validator.file_error()) break;
    if (progress) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::milliseconds(250)) {
        last_progress = now;
        const auto& c = validator.counts();
        double secs = std::chrono::duration<double>(now - started).count();
        std::fprintf(stderr, "\r%s rows, %s failed, %.0f MB/s%s", with_commas(c.rows).c_str(),
                     with_commas(c.failed).c_str(), double(c.bytes) / 1e6 / secs,
                     total_bytes ? (", " + std::to_string(int(100.0 * double(c.bytes) / double(total_bytes))) + "%").c_str() : "");
      }
    }
  }
  if (std::ferror(in)) file_error("error reading " + args.input + ": " + std::strerror(errno));
  validator.finish(sink);
  sink.flush();
  if (report && std::fclose(report) != 0) file_error("could not finish the error report " + args.errors);
  if (progress) std::fputs("\r\033[K", stderr);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const ValidationCounts& c = validator.counts();
  const Dialect& d = validator.dialect();
  const auto& file_err = validator.file_error();
  if (args.json) {
    nlohmann::json j = {
        {"file", args.input},
        {"delimiter", std::string(1, d.delimiter)},
        {"encoding", to_string(d.encoding)},
        {"bom", d.bom},
        {"rows", c.rows},
        {"valid", c.valid},
        {"failed", c.failed},
        {"skipped", c.skipped},
        {"duplicates", c.duplicates},
        {"errors", c.errors},
        {"bytes", c.bytes},
        {"seconds", seconds},
        {"duplicate_check_complete", !validator.duplicate_tracking_full()},
    };
    nlohmann::json by = nlohmann::json::array();
    for (const ErrorTally& t : c.by_field_code) by.push_back({{"field", t.field}, {"code", t.code}, {"count", t.count}});
    j["errors_by_field_code"] = by;
    if (const auto& h = validator.header()) {
      j["extra_columns"] = h->mapping.extra_columns;
      j["not_imported_columns"] = h->mapping.not_imported;
    }
    j["file_error"] = file_err ? nlohmann::json{{"code", file_err->code}, {"message", file_err->message}} : nlohmann::json(nullptr);
    std::cout << j.dump(2) << "\n";
  }
  if (file_err) {
    std::fprintf(stderr, "intake-validate: %s: %s\n", args.input.c_str(), file_err->message.c_str());
    return 2;
  }
  if (!args.json) {
    std::printf("%s\n", args.input.c_str());
    std::printf("  encoding    %s%s\n", std::string(to_string(d.encoding)).c_str(), d.bom ? " (with BOM)" : "");
    std::printf("  delimiter   %s\n", std::string(delimiter_name(d.delimiter)).c_str());
    std::printf("  rows        %s read, %s valid, %s failed", with_commas(c.rows).c_str(),
                with_commas(c.valid).c_str(), with_commas(c.failed).c_str());
    if (c.skipped) std::printf(", %s duplicates to skip", with_commas(c.skipped).c_str());
    else if (c.duplicates && args.policy == DuplicatePolicy::update)
      std::printf(", %s duplicates (later rows update earlier ones)", with_commas(c.duplicates).c_str());
    std::printf("\n");
    if (const auto& h = validator.header()) {
      for (const auto& col : h->mapping.extra_columns) std::printf("  ignored     column \"%s\" matches no field\n", col.c_str());
      for (const auto& col : h->mapping.not_imported) std::printf("  ignored     column \"%s\" (field not imported)\n", col.c_str());
    }
    if (!c.by_field_code.empty()) {
      std::printf("  errors by field and code:\n");
      for (const ErrorTally& t : c.by_field_code)
        std::printf("    %-16s %-22s %s\n", t.field.empty() ? "(row)" : t.field.c_str(), t.code.c_str(),
                    with_commas(t.count).c_str());
    }
    if (validator.duplicate_tracking_full())
      std::printf("  note        more identities than the duplicate check remembers; later duplicates are left to the server\n");
    if (report) std::printf("  report      %s errors written to %s\n", with_commas(c.errors).c_str(), args.errors.c_str());
    std::printf("  time        %.2f s, %.0f MB/s\n", seconds, double(c.bytes) / 1e6 / (seconds > 0 ? seconds : 1));
  }
  return c.failed ? 1 : 0;
}
