// Communication status rules (see communication_status.h).
#include "comms/communication_status.h"

#include <array>

namespace intake {

namespace {
constexpr std::array<std::pair<CommStatus, std::string_view>, 10> kNames = {{
    {CommStatus::planned, "Planned"},
    {CommStatus::started, "Started"},
    {CommStatus::delivered, "Delivered"},
    {CommStatus::read, "Read"},
    {CommStatus::replied, "Replied"},
    {CommStatus::completed, "Completed"},
    {CommStatus::no_response, "NoResponse"},
    {CommStatus::canceled, "Canceled"},
    {CommStatus::skipped, "Skipped"},
    {CommStatus::failed, "Failed"},
}};
}  // namespace

std::string_view to_string(CommStatus s) {
  for (auto& [v, name] : kNames)
    if (v == s) return name;
  return "Planned";
}

std::optional<CommStatus> comm_status_from_string(std::string_view s) {
  for (auto& [v, name] : kNames)
    if (name == s) return v;
  return std::nullopt;
}

std::string_view to_string(CommGroup g) {
  switch (g) {
    case CommGroup::in_progress: return "in_progress";
    case CommGroup::successful: return "successful";
    case CommGroup::ended_without_success: return "ended_without_success";
  }
  return "in_progress";
}

std::string_view to_string(Trigger t) {
  return t == Trigger::communication_ended ? "communication.ended" : "communication.updated";
}

CommGroup group_of(CommStatus s) {
  switch (s) {
    case CommStatus::planned:
    case CommStatus::started:
    case CommStatus::delivered:
    case CommStatus::read: return CommGroup::in_progress;
    case CommStatus::replied:
    case CommStatus::completed: return CommGroup::successful;
    default: return CommGroup::ended_without_success;
  }
}

bool is_final(CommStatus s) {
  return s == CommStatus::completed || s == CommStatus::no_response || s == CommStatus::failed ||
         s == CommStatus::canceled || s == CommStatus::skipped;
}

StatusChange change_status(CommStatus from, CommStatus to) {
  StatusChange c;
  if (is_final(from)) {
    c.refusal = "the communication is already " + std::string(to_string(from)) +
                ", a final status; it cannot change any more — create a new communication instead";
    return c;
  }
  c.allowed = true;
  c.trigger = is_final(to) ? Trigger::communication_ended : Trigger::communication_updated;
  return c;
}

}  // namespace intake
