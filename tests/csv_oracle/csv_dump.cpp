// csv_dump: the native side of the CSV oracle tests (papaparse_oracle.mjs, python_csv_oracle.py).
// Tokenizes one file with intake::CsvTokenizer and prints one JSON line per record:
//   {"row":N,"fields":[...],"error":null|"code"}
// Usage: csv_dump <file> [delimiter: one character, or "tab"] [slice bytes, 0 = whole file]
// Slicing lets the oracles also exercise the tokenizer's slice invariance.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "csv/tokenizer.h"

namespace {

class JsonLinesSink : public intake::CsvRecordSink {
 public:
  void on_record(const intake::CsvRecord& r) override {
    nlohmann::ordered_json fields = nlohmann::ordered_json::array();
    for (std::string_view f : r.fields) fields.push_back(std::string(f));
    nlohmann::ordered_json line = {{"row", r.row}, {"fields", std::move(fields)}, {"error", nullptr}};
    if (r.error_code) line["error"] = r.error_code;
    out_ += line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    out_ += '\n';
  }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: csv_dump <file> [delimiter|tab] [slice bytes]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "csv_dump: cannot open " << argv[1] << "\n";
    return 2;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();

  char delim = ',';
  if (argc >= 3) {
    std::string d = argv[2];
    if (d == "tab" || d == "\\t") delim = '\t';
    else if (d.size() == 1) delim = d[0];
    else {
      std::cerr << "csv_dump: the delimiter must be one character or \"tab\"\n";
      return 2;
    }
  }
  size_t slice = argc >= 4 ? std::strtoull(argv[3], nullptr, 10) : 0;
  if (slice == 0) slice = data.size() ? data.size() : 1;

  intake::CsvTokenizer tok(delim);
  JsonLinesSink sink;
  for (size_t at = 0; at < data.size(); at += slice)
    tok.push(std::string_view(data).substr(at, slice), sink);
  tok.finish(sink);
  std::fwrite(sink.text().data(), 1, sink.text().size(), stdout);
  return 0;
}
