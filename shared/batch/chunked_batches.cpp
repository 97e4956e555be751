// Chunked validation (see chunked_batches.h).
#include "batch/chunked_batches.h"

#include <algorithm>
#include <cstring>

#include "core/platform.h"

#include "csv/tokenizer.h"

namespace intake {

ChunkLines::ChunkLines(std::vector<std::string> keys)
    : builder_(std::move(keys), BatchLimits{SIZE_MAX, SIZE_MAX}) {}

void ChunkLines::add(const CleanRow& row) {
  const size_t at = builder_.body_bytes();
  uint64_t hash = 0;
  if (!row.identity.empty()) hash = DuplicateTracker::hash(row.identity);
  const uint32_t words[kChunkMetaWords] = {
      uint32_t(row.row), uint32_t(at), uint32_t(hash), uint32_t(hash >> 32),
      row.identity_output < 0 ? UINT32_MAX : uint32_t(row.identity_output)};
  meta_.insert(meta_.end(), words, words + kChunkMetaWords);
  builder_.add(row, [](Batch&&) {});  // unbounded: never full
}

void ChunkLines::finish() {
  body_.clear();
  builder_.flush([this](Batch&& b) { body_ = std::move(b.body); });
}

void ChunkLines::clear() {
  body_.clear();
  meta_.clear();
}

namespace {
// Reads the header record of a file (the chunks' common first record) with the core.
struct HeaderOnly : ValidationSink {
  void on_header(const HeaderInfo& h) override { header = h; }
  std::optional<HeaderInfo> header;
};
}  // namespace

ChunkSequencer::ChunkSequencer(std::vector<Field> fields, ValidatorOptions options, BatchLimits limits,
                               std::string_view header_record)
    : fields_(fields), policy_(options.duplicate_policy) {
  const bool track = options.track_duplicates;
  const size_t capacity = options.duplicate_capacity;
  options.track_duplicates = false;
  FileValidator reader(std::move(fields), std::move(options));
  HeaderOnly sink;
  reader.push(header_record, sink);
  if (!reader.file_error() && !reader.between_records())
    error_ = FileError{"invalid_chunk", "the header record given does not end at a line break"};
  if (!error_) reader.finish(sink);
  if (!error_ && reader.file_error()) error_ = reader.file_error();
  if (!error_ && reader.records_read() != 1)
    error_ = FileError{"invalid_chunk", "the header record given holds more than the header row"};
  if (error_) return;
  header_ = sink.header;
  std::vector<std::string> keys;
  for (size_t f : header_->output_fields) keys.push_back(fields_[f].key);
  builder_.emplace(std::move(keys), limits);
  if (track) duplicates_ = std::make_unique<DuplicateTracker>(capacity);
}

ChunkSequencer::~ChunkSequencer() = default;

std::string_view ChunkSequencer::line_rest(std::string_view body, std::span<const uint32_t> meta, size_t i) {
  const size_t start = meta[i + 1];
  const size_t end = i + kChunkMetaWords < meta.size() ? meta[i + kChunkMetaWords + 1] : body.size();
  size_t p = start;
  while (p < end && body[p] != ',' && body[p] != '\r') ++p;  // past the row number
  return body.substr(p, end - p);
}

void ChunkSequencer::request(std::span<const uint32_t> meta, size_t i) {
  if (!duplicates_) return;
  const size_t end = std::min(meta.size(), i + kRequestLines * kChunkMetaWords);
  uint32_t touched = 0;
  for (; i + kChunkMetaWords <= end; i += kChunkMetaWords) {
    const uint64_t hash = meta[i + 2] | uint64_t(meta[i + 3]) << 32;
    if (!hash) continue;
    if constexpr (platform::kHasPrefetch) duplicates_->prefetch(hash);
    else touched ^= duplicates_->touch(hash);
  }
  touched_ ^= touched;
}

RowError ChunkSequencer::duplicate_error(uint64_t row, uint64_t first, uint32_t value_index,
                                         std::string_view rest) const {
  // The value as the line holds it: read back with the tokenizer (it may be quoted).
  struct Values : CsvRecordSink {
    void on_record(const CsvRecord& r) override {
      for (std::string_view v : r.fields) values.emplace_back(v);
    }
    std::vector<std::string> values;
  } line;
  CsvTokenizer reader(',', CsvLimits{}, false);  // a line holds no value longer than a file may
  reader.push(rest.substr(rest.empty() ? 0 : 1), line);  // after the row number's comma
  reader.finish(line);
  const size_t output = value_index < header_->output_fields.size() ? value_index : 0;
  const Field& f = fields_[header_->output_fields[output]];
  return duplicate_identity_error(row, f, output < line.values.size() ? line.values[output] : std::string(), first);
}

void ChunkSequencer::count_refused(const RowError& e) {
  ++adjust_.failed;
  ++adjust_.errors;
  tally_error(adjust_.by_field_code, e.field, e.code);
}

}  // namespace intake
