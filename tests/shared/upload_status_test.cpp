// Tests of upload status decisions.
#include "upload/upload_status.h"

#include <doctest/doctest.h>

using namespace intake;

TEST_CASE("completion: Completed only when every declared row arrived and none failed") {
  UploadCounters c{.created = 5, .updated = 3, .skipped = 2};
  CHECK(decide_completion(c, 10).status == UploadStatus::completed);
  CHECK(decide_completion(c, 10).message.empty());
  c.failed = 1;
  StatusDecision d = decide_completion(c, 11);
  CHECK(d.status == UploadStatus::failed);
  CHECK(d.message == "1 row failed; download the error report to fix and re-upload them");
  d = decide_completion(c, 20);
  CHECK(d.status == UploadStatus::failed);
  CHECK(d.message == "9 of 20 rows never arrived; upload the file again to resume");
  CHECK(decide_completion(c, 3).status == UploadStatus::failed);
  CHECK(decide_completion(UploadCounters{}, 0).status == UploadStatus::completed);
}

TEST_CASE("status names and transitions") {
  for (auto s : {UploadStatus::processing, UploadStatus::completed, UploadStatus::failed})
    CHECK(upload_status_from_string(to_string(s)) == s);
  CHECK(!upload_status_from_string("processing"));
  CHECK(can_transition(UploadStatus::processing, UploadStatus::completed));
  CHECK(can_transition(UploadStatus::processing, UploadStatus::failed));
  CHECK(!can_transition(UploadStatus::completed, UploadStatus::failed));
  CHECK(!can_transition(UploadStatus::failed, UploadStatus::processing));
}
