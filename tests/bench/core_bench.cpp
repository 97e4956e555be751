// core_bench: throughput of the shared core on one file, single thread — tokenizing alone, and
// tokenizing + every check + batch building — reading the file in 1 MiB slices as the browser
// and the CLI do. The same source runs natively and compiled to wasm under node.
// usage: core_bench FIELDS.json FILE.csv [repeats] [tokenize|validate|checksum]
// (prints one JSON line per measurement; both stages unless one is named). `checksum` times
// nothing: it validates once and prints hashes of every batch body and every error record, so
// that two builds can be shown to produce the very same output.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "batch/batch_builder.h"
#include "csv/tokenizer.h"
#include "validate/file_validator.h"

using namespace intake;
using Clock = std::chrono::steady_clock;

namespace {

struct CountRecords : CsvRecordSink {
  uint64_t records = 0, fields = 0;
  void on_record(const CsvRecord& r) override {
    ++records;
    fields += r.fields.size();
  }
};

// Hashes of everything a validation produced, in order (checksum mode).
struct Checksums : ValidationSink {
  std::vector<std::string> keys;
  const std::vector<Field>* fields = nullptr;
  std::unique_ptr<BatchBuilder> builder;
  uint64_t batches = 0, batch_bytes = 0, batch_hash = 0, errors = 0, error_hash = 0;
  void add_batch(const Batch& b) {
    ++batches;
    batch_bytes += b.body.size();
    std::string text;
    for (uint64_t n : {batch_hash, b.seq, b.first_row, b.last_row, b.rows}) text.append(std::to_string(n)).append(",");
    text.append(b.body);
    batch_hash = hash_bytes(text);
  }
  void on_header(const HeaderInfo& h) override {
    for (size_t f : h.output_fields) keys.push_back((*fields)[f].key);
    builder = std::make_unique<BatchBuilder>(keys);
  }
  void on_clean_row(const CleanRow& r) override {
    builder->add(r, [this](Batch&& b) { add_batch(b); });
  }
  void on_row_failed(uint64_t row, std::span<const RowError> errs) override {
    for (const RowError& e : errs) {
      ++errors;
      std::string text;
      for (uint64_t n : {error_hash, e.row}) text.append(std::to_string(n)).append(",");
      for (const std::string* s : {&e.field, &e.value, &e.code, &e.message}) text.append(*s).append("\x1f");
      error_hash = hash_bytes(text);
    }
  }
};

struct Batches : ValidationSink {
  std::vector<std::string> keys;
  const std::vector<Field>* fields = nullptr;
  std::unique_ptr<BatchBuilder> builder;
  uint64_t batches = 0, batch_bytes = 0;
  void on_header(const HeaderInfo& h) override {
    for (size_t f : h.output_fields) keys.push_back((*fields)[f].key);
    builder = std::make_unique<BatchBuilder>(keys);
  }
  void on_clean_row(const CleanRow& r) override {
    builder->add(r, [this](Batch&& b) { ++batches; batch_bytes += b.body.size(); });
  }
};

template <class F>
void for_each_slice(const std::string& path, F&& f) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) {
    std::perror(path.c_str());
    std::exit(2);
  }
  std::vector<char> buf(size_t(1) << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) f(std::string_view(buf.data(), n));
  std::fclose(in);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: core_bench FIELDS.json FILE.csv [repeats] [tokenize|validate]\n");
    return 2;
  }
  std::ifstream fj(argv[1]);
  std::stringstream ss;
  ss << fj.rdbuf();
  FieldsParse fields = fields_from_json_text(ss.str());
  if (!fields.problems.empty()) {
    std::fprintf(stderr, "bad fields: %s\n", fields.problems[0].message.c_str());
    return 2;
  }
  int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  std::string only = argc > 4 ? argv[4] : "";
  int tokenize_repeats = only.empty() || only == "tokenize" ? repeats : 0;
  int validate_repeats = only.empty() || only == "validate" ? repeats : 0;

  if (only == "checksum") {
    Checksums sink;
    sink.fields = &fields.fields;
    FileValidator validator(fields.fields, {});
    for_each_slice(argv[2], [&](std::string_view s) { validator.push(s, sink); });
    validator.finish(sink);
    if (sink.builder) sink.builder->flush([&](Batch&& b) { sink.add_batch(b); });
    const auto& c = validator.counts();
    std::printf("{\"stage\":\"checksum\",\"rows\":%llu,\"valid\":%llu,\"failed\":%llu,\"duplicates\":%llu,\"batches\":%llu,"
                "\"batch_bytes\":%llu,\"batch_hash\":\"%016llx\",\"errors\":%llu,\"error_hash\":\"%016llx\"}\n",
                (unsigned long long)c.rows, (unsigned long long)c.valid, (unsigned long long)c.failed,
                (unsigned long long)c.duplicates, (unsigned long long)sink.batches,
                (unsigned long long)sink.batch_bytes, (unsigned long long)sink.batch_hash,
                (unsigned long long)sink.errors, (unsigned long long)sink.error_hash);
    return 0;
  }

  for (int rep = 0; rep < tokenize_repeats; ++rep) {
    uint64_t bytes = 0;
    CountRecords count;
    CsvTokenizer tokenizer(',');
    auto t0 = Clock::now();
    for_each_slice(argv[2], [&](std::string_view s) {
      bytes += s.size();
      tokenizer.push(s, count);
    });
    tokenizer.finish(count);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("{\"stage\":\"tokenize\",\"bytes\":%llu,\"rows\":%llu,\"seconds\":%.4f,\"mb_per_s\":%.1f,\"rows_per_s\":%.0f}\n",
                (unsigned long long)bytes, (unsigned long long)count.records, secs, bytes / 1e6 / secs,
                count.records / secs);
  }
  for (int rep = 0; rep < validate_repeats; ++rep) {
    Batches sink;
    sink.fields = &fields.fields;
    FileValidator validator(fields.fields, {});
    auto t0 = Clock::now();
    for_each_slice(argv[2], [&](std::string_view s) { validator.push(s, sink); });
    validator.finish(sink);
    if (sink.builder) sink.builder->flush([&](Batch&& b) { ++sink.batches; sink.batch_bytes += b.body.size(); });
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto& c = validator.counts();
    std::printf("{\"stage\":\"validate+batch\",\"bytes\":%llu,\"rows\":%llu,\"valid\":%llu,\"failed\":%llu,\"batches\":%llu,"
                "\"seconds\":%.4f,\"mb_per_s\":%.1f,\"rows_per_s\":%.0f}\n",
                (unsigned long long)c.bytes, (unsigned long long)c.rows, (unsigned long long)c.valid,
                (unsigned long long)c.failed, (unsigned long long)sink.batches, secs, c.bytes / 1e6 / secs,
                c.rows / secs);
  }
  return 0;
}
