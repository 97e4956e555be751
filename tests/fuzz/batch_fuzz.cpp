// libFuzzer target: FileValidator in batch mode on arbitrary bytes, configured as the server
// reads an untrusted PUT /uploads/{id}/batches/{seq} body (server/batch_check.cpp): delimiter
// ',', row column "_row", no duplicate tracking. The first 4 input bytes choose the policy,
// region, first_row and slice lengths; the rest is the body. Invariants: nothing crashes, and the
// body pushed whole or in slices gives the same transcript.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "batch/batch_builder.h"
#include "fuzz_support.h"

using namespace intake;
using namespace intake::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kConfigBytes = 4;
  uint8_t c[kConfigBytes] = {};
  const size_t n = std::min(size, kConfigBytes);
  for (size_t i = 0; i < n; ++i) c[i] = data[i];
  const std::string_view body(reinterpret_cast<const char*>(data) + n, size - n);

  static constexpr DuplicatePolicy kPolicies[] = {DuplicatePolicy::update, DuplicatePolicy::skip,
                                                  DuplicatePolicy::reject, DuplicatePolicy::update};
  ValidatorOptions o;
  o.delimiter = ',';
  o.row_column = std::string(kRowColumn);
  o.track_duplicates = false;
  o.duplicate_policy = kPolicies[c[0] & 3];
  o.default_region = (c[0] & 4) ? "GB" : "US";
  // The server's first_row query parameter: 2 by default; any value for rows without "_row".
  o.first_row = (c[0] & 8) ? uint64_t(c[1]) << (c[0] >> 4) * 4 : 2;

  FileValidator whole(reference_fields(), o);
  TranscriptSink whole_sink;
  whole.push(body, whole_sink);
  whole.finish(whole_sink);
  whole_sink.finish(whole);

  FileValidator sliced(reference_fields(), o);
  TranscriptSink sliced_sink;
  run_sliced(sliced, body, std::span<const uint8_t>(c + 2, 2), sliced_sink);
  if (sliced_sink.text != whole_sink.text)
    std::fprintf(stderr, "whole:\n%s\nsliced:\n%s\n", whole_sink.text.c_str(), sliced_sink.text.c_str());
  FUZZ_CHECK(sliced_sink.text == whole_sink.text, "slicing changes nothing");
  return 0;
}
