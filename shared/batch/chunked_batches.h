// Validating one file as chunks checked apart — in the browser, by several Workers at once — with
// the very batches, errors and counts a single FileValidator and BatchBuilder give.
//
// A chunk is a run of whole records. Each is validated on its own by a FileValidator fed the
// file's header record and then the chunk (ValidatorOptions::dialect set to the file's, no
// duplicate tracking): its rows are numbered as if the chunk followed the header directly, and
// its clean rows are kept as batch lines by ChunkLines. ChunkSequencer then takes the chunks in
// file order: it renumbers their rows (row r of a chunk is row r + offset of the file, offset
// being the records of the chunks before it, less one per chunk for the repeated header), applies
// the duplicate policy across the whole file with one DuplicateTracker, and refills one
// BatchBuilder, so batch boundaries do not depend on where the chunks were cut.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "batch/batch_builder.h"
#include "validate/duplicate_tracker.h"
#include "validate/file_validator.h"

namespace intake {

// Words per line in ChunkLines::meta(): the row (numbered within the chunk), the line's offset
// in body(), the identity's hash (low, high word; 0 without an identity) and the index of the
// identity's value in the line (or 0xFFFFFFFF).
inline constexpr size_t kChunkMetaWords = 5;

// The clean rows of one chunk as batch lines (written by a BatchBuilder, so quoted exactly as
// batches quote), with what ChunkSequencer needs to know of each.
class ChunkLines {
 public:
  // `keys`: field keys of the values in each CleanRow (HeaderInfo::output_fields).
  explicit ChunkLines(std::vector<std::string> keys);
  void add(const CleanRow& row);
  // Ends the chunk: body() and meta() are complete until clear().
  void finish();
  void clear();

  std::string_view body() const { return body_; }           // a batch header line, then the lines
  std::span<const uint32_t> meta() const { return meta_; }  // kChunkMetaWords per line
  size_t lines() const { return meta_.size() / kChunkMetaWords; }
  // Memory the lines added since the last finish() or clear() hold, text and meta.
  size_t pending_bytes() const { return builder_.body_bytes() + meta_.size() * sizeof(uint32_t); }

 private:
  BatchBuilder builder_;
  std::string body_;
  std::vector<uint32_t> meta_;
};

class ChunkSequencer {
 public:
  // `header_record`: the file's bytes from its start through the header record's line end
  // (BOM included). `options.dialect` must be set (the file's); `options.duplicate_policy`,
  // `track_duplicates` and `duplicate_capacity` apply across the file.
  ChunkSequencer(std::vector<Field> fields, ValidatorOptions options, BatchLimits limits,
                 std::string_view header_record);
  ~ChunkSequencer();

  // Set when the header record could not be read or mapped: nothing can be added then.
  const std::optional<FileError>& error() const { return error_; }

  // Adds the next chunk, in file order: its ChunkLines' body and meta, and the offset of its row
  // numbers. Full batches go to `on_batch` (Batch&&), rows refused as duplicates (reject policy)
  // to `on_error` (const RowError&), in row order.
  template <class OnBatch, class OnError>
  void add(std::string_view body, std::span<const uint32_t> meta, uint64_t row_offset, OnBatch&& on_batch,
           OnError&& on_error) {
    for (size_t i = 0; i + kChunkMetaWords <= meta.size(); i += kChunkMetaWords) {
      if (i % (kRequestLines * kChunkMetaWords) == 0) request(meta, i);
      const uint64_t row = meta[i] + row_offset;
      const std::string_view rest = line_rest(body, meta, i);
      if (const uint64_t hash = meta[i + 2] | uint64_t(meta[i + 3]) << 32; hash && duplicates_) {
        if (const uint64_t first = duplicates_->first_seen_hash(hash, row); first && refuse(row, first, meta[i + 4], rest, on_error))
          continue;
      }
      builder_->add_line(row, rest, on_batch);
    }
  }
  // Ends the file: the last, partial batch.
  void finish(const std::function<void(Batch&&)>& on_batch) { builder_->flush(on_batch); }

  // What the sequencing changed in the chunks' counts: `duplicates` and `skipped`; and, for rows
  // refused under reject, `failed` and `errors` (each such row was counted valid by its chunk)
  // with their tallies in `by_field_code`.
  const ValidationCounts& adjustments() const { return adjust_; }
  bool duplicate_tracking_full() const { return duplicates_ && duplicates_->full(); }
  const HeaderInfo& header() const { return *header_; }

 private:
  // Starts loading the duplicate index words of the kRequestLines lines from meta entry i, so
  // that their misses overlap (as FileValidator does for the rows it holds).
  static constexpr size_t kRequestLines = 32;
  void request(std::span<const uint32_t> meta, size_t i);
  // The line of meta entry i after its row number (see BatchBuilder::add_line).
  static std::string_view line_rest(std::string_view body, std::span<const uint32_t> meta, size_t i);
  // Counts a duplicate; under reject also reports it and returns true (the row is dropped).
  template <class OnError>
  bool refuse(uint64_t row, uint64_t first, uint32_t value_index, std::string_view rest, OnError&& on_error) {
    ++adjust_.duplicates;
    if (policy_ == DuplicatePolicy::skip) ++adjust_.skipped;
    if (policy_ != DuplicatePolicy::reject) return false;
    const RowError e = duplicate_error(row, first, value_index, rest);
    count_refused(e);
    on_error(e);
    return true;
  }
  RowError duplicate_error(uint64_t row, uint64_t first, uint32_t value_index, std::string_view rest) const;
  void count_refused(const RowError& e);

  std::vector<Field> fields_;
  DuplicatePolicy policy_;
  std::optional<HeaderInfo> header_;
  std::optional<FileError> error_;
  std::optional<BatchBuilder> builder_;
  std::unique_ptr<DuplicateTracker> duplicates_;
  ValidationCounts adjust_;
  uint32_t touched_ = 0;  // keeps request()'s loads where there is no prefetch
};

}  // namespace intake
