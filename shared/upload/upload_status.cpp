// Upload status decisions (see upload_status.h).
#include "upload/upload_status.h"

namespace intake {

std::string_view to_string(UploadStatus s) {
  switch (s) {
    case UploadStatus::processing: return "Processing";
    case UploadStatus::completed: return "Completed";
    case UploadStatus::failed: return "Failed";
  }
  return "Processing";
}

std::optional<UploadStatus> upload_status_from_string(std::string_view s) {
  if (s == "Processing") return UploadStatus::processing;
  if (s == "Completed") return UploadStatus::completed;
  if (s == "Failed") return UploadStatus::failed;
  return std::nullopt;
}

StatusDecision decide_completion(const UploadCounters& c, uint64_t declared_total) {
  uint64_t seen = c.accounted();
  if (seen < declared_total) {
    return {UploadStatus::failed, std::to_string(declared_total - seen) + " of " +
                                      std::to_string(declared_total) +
                                      " rows never arrived; upload the file again to resume"};
  }
  if (seen > declared_total) {
    return {UploadStatus::failed, "the file was declared to have " + std::to_string(declared_total) +
                                      (declared_total == 1 ? " row" : " rows") + " but " +
                                      std::to_string(seen) + " were received"};
  }
  if (c.failed > 0) {
    return {UploadStatus::failed, std::to_string(c.failed) + (c.failed == 1 ? " row" : " rows") +
                                      " failed; download the error report to fix and re-upload them"};
  }
  return {UploadStatus::completed, ""};
}

bool can_transition(UploadStatus from, UploadStatus to) {
  return from == UploadStatus::processing && to != UploadStatus::processing;
}

}  // namespace intake
