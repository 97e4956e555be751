// Communication statuses: the ten statuses, their three groups, the five final ones, the trigger
// each change fires (communication.ended for a final status, communication.updated otherwise),
// and the refusal of any change once a status is final.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace intake {

enum class CommStatus { planned, started, delivered, read, replied, completed, no_response, canceled, skipped, failed };
enum class CommGroup { in_progress, successful, ended_without_success };
enum class Trigger { communication_updated, communication_ended };

std::string_view to_string(CommStatus s);  // "Planned", ..., "NoResponse", ...
std::optional<CommStatus> comm_status_from_string(std::string_view s);  // exact spelling
std::string_view to_string(CommGroup g);   // "in_progress", "successful", "ended_without_success"
std::string_view to_string(Trigger t);     // "communication.updated", "communication.ended"

CommGroup group_of(CommStatus s);
bool is_final(CommStatus s);  // Completed, NoResponse, Failed, Canceled, Skipped

struct StatusChange {
  bool allowed = false;
  Trigger trigger = Trigger::communication_updated;
  std::string refusal;  // when not allowed: why, for a person
};

// A change of a communication currently in `from` to `to` (to == from for a change of other
// properties such as the status message). Refused once `from` is final.
StatusChange change_status(CommStatus from, CommStatus to);

}  // namespace intake
