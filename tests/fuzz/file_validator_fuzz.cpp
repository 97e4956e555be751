// libFuzzer target: FileValidator on arbitrary bytes with the reference fields, as a browser
// or the CLI runs it. The first 8 input bytes choose options and slice lengths; the rest is the
// file. Invariants: nothing crashes; pushing the file whole or in those slices gives the same
// transcript (rows, errors, counters); and the clean rows, written as batches by BatchBuilder
// and re-read in the server's batch mode, come back clean with the same values.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <string>

#include "batch/batch_builder.h"
#include "fuzz_support.h"

using namespace intake;
using namespace intake::fuzz;

namespace {

constexpr size_t kConfigBytes = 8;

// Input layout: c[0] policy (bits 0-1), delimiter (bits 2-4: sniff , ; tab |), region GB
// (bit 5), small limits (bit 6), small sniff head (bit 7); c[1] sniff bytes and duplicate
// capacity; c[2], c[3] field and row limits; c[4..7] slice lengths (also batch limits).
ValidatorOptions options_from(const uint8_t* c) {
  ValidatorOptions o;
  static constexpr DuplicatePolicy kPolicies[] = {DuplicatePolicy::update, DuplicatePolicy::skip,
                                                  DuplicatePolicy::reject, DuplicatePolicy::update};
  static constexpr char kDelimiters[] = {0, ',', ';', '\t', '|', 0, 0, 0};
  o.duplicate_policy = kPolicies[c[0] & 3];
  o.delimiter = kDelimiters[(c[0] >> 2) & 7];
  o.default_region = (c[0] & 0x20) ? "GB" : "US";
  if (c[0] & 0x40) {
    o.limits.max_field_bytes = size_t(c[2]) * 4 + 1;
    o.limits.max_row_bytes = size_t(c[3]) * 8 + 1;
  }
  if (c[0] & 0x80) o.sniff_bytes = size_t(c[1]) + 1;
  o.duplicate_capacity = size_t(2) << (c[1] & 3);  // small: the table fills and says so
  return o;
}

// Writes the clean rows as batches and validates each as the server does (batch_check.cpp):
// every row must come back clean, with the same row number, identity and values.
void check_batch_round_trip(const FileValidator& v, const TranscriptSink& whole, const uint8_t* c,
                            const ValidatorOptions& file_opts) {
  if (!v.header() || v.file_error() || whole.rows.empty()) return;
  const auto& fields = reference_fields();
  std::vector<std::string> keys;
  for (size_t f : v.header()->output_fields) keys.push_back(fields[f].key);
  BatchLimits limits;
  limits.max_rows = 1 + (c[4] & 7);
  limits.max_bytes = 32 + size_t(c[5]) * 4;
  BatchBuilder builder(keys, limits);
  std::vector<Batch> batches;
  auto keep = [&](Batch&& b) { batches.push_back(std::move(b)); };
  for (const TranscriptSink::Row& r : whole.rows) {
    std::vector<std::string_view> values(r.values.begin(), r.values.end());
    CleanRow row;
    row.row = r.row;
    row.values = values;
    row.identity = r.identity;
    builder.add(row, keep);
  }
  builder.flush(keep);

  size_t next = 0;
  for (const Batch& b : batches) {
    ValidatorOptions o;
    o.delimiter = ',';
    o.row_column = std::string(kRowColumn);
    o.first_row = 2;
    o.track_duplicates = false;
    o.default_region = file_opts.default_region;
    o.duplicate_policy = file_opts.duplicate_policy;
    FileValidator server(fields, o);
    TranscriptSink sink;
    sink.keep_rows = true;
    server.push(b.body, sink);
    server.finish(sink);
    sink.finish(server);
    if (server.file_error()) std::fprintf(stderr, "batch:\n%s\n", b.body.c_str());
    FUZZ_CHECK(!server.file_error(), "a batch built from clean rows is readable");
    if (sink.failed_rows) std::fprintf(stderr, "batch:\n%s\ntranscript:\n%s\n", b.body.c_str(), sink.text.c_str());
    FUZZ_CHECK(sink.failed_rows == 0, "clean rows stay clean when re-checked in batch mode");
    FUZZ_CHECK(sink.rows.size() == b.rows, "one row per batch line");
    for (const TranscriptSink::Row& got : sink.rows) {
      FUZZ_CHECK(next < whole.rows.size(), "no extra rows");
      const TranscriptSink::Row& want = whole.rows[next++];
      FUZZ_CHECK(got.row == want.row, "row numbers survive the batch");
      FUZZ_CHECK(got.identity == want.identity, "identities survive the batch");
      FUZZ_CHECK(got.values == want.values, "normalized values are a fixed point of the checks");
    }
  }
  FUZZ_CHECK(next == whole.rows.size(), "every clean row is in a batch");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t c[kConfigBytes] = {};
  const size_t n = std::min(size, kConfigBytes);
  for (size_t i = 0; i < n; ++i) c[i] = data[i];
  const std::string_view body(reinterpret_cast<const char*>(data) + n, size - n);
  const ValidatorOptions opts = options_from(c);

  FileValidator whole(reference_fields(), opts);
  TranscriptSink whole_sink;
  whole_sink.keep_rows = true;
  whole.push(body, whole_sink);
  whole.finish(whole_sink);
  whole_sink.finish(whole);

  FileValidator sliced(reference_fields(), opts);
  TranscriptSink sliced_sink;
  run_sliced(sliced, body, std::span<const uint8_t>(c + 4, 4), sliced_sink);
  if (sliced_sink.text != whole_sink.text)
    std::fprintf(stderr, "whole:\n%s\nsliced:\n%s\n", whole_sink.text.c_str(), sliced_sink.text.c_str());
  FUZZ_CHECK(sliced_sink.text == whole_sink.text, "slicing changes nothing");

  check_batch_round_trip(whole, whole_sink, c, opts);
  return 0;
}
