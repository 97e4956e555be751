// Tests of communication statuses: groups, final statuses, triggers, refusals.
#include "comms/communication_status.h"

#include <doctest/doctest.h>

using namespace intake;

TEST_CASE("the ten statuses, their groups and the five final ones") {
  const char* names[] = {"Planned", "Started", "Delivered", "Read", "Replied", "Completed", "NoResponse", "Canceled", "Skipped", "Failed"};
  const char* groups[] = {"in_progress", "in_progress", "in_progress", "in_progress", "successful", "successful",
                          "ended_without_success", "ended_without_success", "ended_without_success", "ended_without_success"};
  const bool final[] = {false, false, false, false, false, true, true, true, true, true};
  for (int i = 0; i < 10; ++i) {
    auto s = comm_status_from_string(names[i]);
    REQUIRE(s);
    CHECK(to_string(*s) == names[i]);
    CHECK(to_string(group_of(*s)) == groups[i]);
    CHECK(is_final(*s) == final[i]);
  }
  CHECK(!comm_status_from_string("completed"));
  CHECK(!comm_status_from_string("Done"));
}

TEST_CASE("triggers: ended for a final status, updated otherwise; refusal once final") {
  CHECK(to_string(change_status(CommStatus::planned, CommStatus::started).trigger) == "communication.updated");
  CHECK(to_string(change_status(CommStatus::read, CommStatus::replied).trigger) == "communication.updated");
  CHECK(to_string(change_status(CommStatus::replied, CommStatus::completed).trigger) == "communication.ended");
  CHECK(to_string(change_status(CommStatus::planned, CommStatus::canceled).trigger) == "communication.ended");
  CHECK(change_status(CommStatus::started, CommStatus::started).allowed);  // e.g. a new status message
  StatusChange c = change_status(CommStatus::failed, CommStatus::started);
  CHECK(!c.allowed);
  CHECK(c.refusal.find("already Failed") != std::string::npos);
  CHECK(!change_status(CommStatus::completed, CommStatus::completed).allowed);
}
