// Upload status logic: Processing → Completed, or Failed when any row failed, rows are missing,
// or the upload was canceled or interrupted; and the counters the status is decided from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace intake {

enum class UploadStatus { processing, completed, failed };
std::string_view to_string(UploadStatus s);  // "Processing", "Completed", "Failed"
std::optional<UploadStatus> upload_status_from_string(std::string_view s);

struct UploadCounters {
  uint64_t total_rows = 0;  // data rows in the file, as declared when completing
  uint64_t created = 0;
  uint64_t updated = 0;
  uint64_t skipped = 0;
  uint64_t failed = 0;
  uint64_t accounted() const { return created + updated + skipped + failed; }
};

struct StatusDecision {
  UploadStatus status;
  std::string message;  // "" when Completed cleanly; otherwise what happened and what to do
};

// The status when the client declares the file done with `declared_total` data rows.
StatusDecision decide_completion(const UploadCounters& counters, uint64_t declared_total);

// Only a Processing upload may change status, and only to Completed or Failed.
bool can_transition(UploadStatus from, UploadStatus to);

}  // namespace intake
