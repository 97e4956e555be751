// Uploads over HTTP: one Processing upload per campaign, batches re-validated and applied
// once, conflicting replays refused, counts under each duplicate policy, completion, cancel,
// interruption, and the error report's exact bytes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <iterator>
#include <sstream>
#include <fstream>
#include <filesystem>
#include <random>
#include <thread>

#include <sqlite3.h>

#include "store/sqlite_db.h"
#include "store/store.h"
#include "test_server.h"

using namespace intake::test;

namespace {

const std::string kHeader = "_row,name,email,phone,external_id\r\n";

std::string report(httplib::Client& c, const std::string& upload) {
  auto r = c.Get(("/api/v1/uploads/" + upload + "/errors.csv").c_str());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
  return r->body;
}

}  // namespace

TEST_CASE("a second upload while one is Processing is refused with 409 and the exact message") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string first = make_upload(*c, campaign);
  auto second = post(*c, "/api/v1/campaigns/" + campaign + "/uploads", {{"filename", "b.csv"}});
  CHECK(second.status == 409);
  CHECK(error_code(second) == "upload_in_progress");
  CHECK(error_message(second) == "Please wait for the current upload to finish.");
  // Another campaign is not blocked; the same one is free again once the first completes.
  make_upload(*c, make_campaign(*c, "Other"));
  CHECK(post(*c, "/api/v1/uploads/" + first + "/complete", {{"total_rows", 0}}).status == 200);
  CHECK(post(*c, "/api/v1/campaigns/" + campaign + "/uploads", {{"filename", "b.csv"}}).status == 201);
}

TEST_CASE("upload creation validates its body") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string path = "/api/v1/campaigns/" + campaign + "/uploads";
  CHECK(error_code(post(*c, path, json::object())) == "invalid_field");
  CHECK(error_code(post(*c, path, {{"filename", "a.csv"}, {"duplicate_policy", "merge"}})) == "invalid_field");
  CHECK(error_code(post(*c, path, {{"filename", "a.csv"}, {"default_region", "usa"}})) == "invalid_field");
  auto mapping = post(*c, path, {{"filename", "a.csv"}, {"mapping", {{"Mail", "e_mail"}}}});
  CHECK(mapping.status == 422);
  CHECK(error_code(mapping) == "invalid_mapping");
  CHECK(post(*c, "/api/v1/campaigns/77/uploads", {{"filename", "a.csv"}}).status == 404);
  auto ok = post(*c, path, {{"filename", "a.csv"}, {"mapping", {{"Mail", "email"}, {"Junk", nullptr}}}});
  CHECK(ok.status == 201);
  CHECK(ok.body["status"] == "Processing");
  CHECK(ok.body["acked_batches"] == json::array());
  auto list = get(*c, path);
  CHECK(list.body["total"] == 1);
  CHECK(list.body["items"][0]["id"] == ok.body["id"]);
}

TEST_CASE("a replayed batch is applied once; different content for the same seq is 409") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  std::string batch = kHeader + "2,Ana,ana@example.com,,P1\r\n3,Bob,bob@example.com,,P2\r\n";
  auto first = put_batch(*c, upload, 0, batch);
  REQUIRE(first.status == 200);
  CHECK(first.body == json{{"seq", 0}, {"created", 2}, {"updated", 0}, {"skipped", 0}, {"failed", 0}});
  auto replay = put_batch(*c, upload, 0, batch);
  CHECK(replay.status == 200);
  CHECK(replay.body == first.body);
  auto u = get(*c, "/api/v1/uploads/" + upload);
  CHECK(u.body["created"] == 2);
  CHECK(u.body["updated"] == 0);
  CHECK(u.body["acked_batches"] == json::array({0}));
  CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants").body["total"] == 2);

  auto conflict = put_batch(*c, upload, 0, kHeader + "2,Eve,eve@example.com,,P9\r\n");
  CHECK(conflict.status == 409);
  CHECK(error_code(conflict) == "batch_conflict");
  CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants").body["total"] == 2);

  CHECK(put_batch(*c, upload, 1, kHeader + "4,Cid,cid@example.com,,P3\r\n").body["created"] == 1);
  CHECK(get(*c, "/api/v1/uploads/" + upload).body["acked_batches"] == json::array({0, 1}));
}

TEST_CASE("batches are re-validated by the core: bad rows fail, file-level problems are 422") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  json fields = get(*c, "/api/v1/campaigns/" + campaign + "/fields").body["fields"];
  fields[1]["required"] = true;  // email
  REQUIRE(put(*c, "/api/v1/campaigns/" + campaign + "/fields", {{"fields", fields}}).status == 200);
  std::string upload = make_upload(*c, campaign);

  auto r = put_batch(*c, upload, 0, kHeader + "2,Ana,not-an-email,,P1\r\n3,Bob,,,P2\r\n4,Cid,cid@example.com,,P3\r\n");
  REQUIRE(r.status == 200);
  CHECK(r.body["created"] == 1);
  CHECK(r.body["failed"] == 2);

  auto missing = put_batch(*c, upload, 1, "_row,name\r\n5,Dan\r\n");
  CHECK(missing.status == 422);
  CHECK(error_message(missing).find("email") != std::string::npos);

  auto bad_type = reply_of(c->Put(("/api/v1/uploads/" + upload + "/batches/1").c_str(), "{}", "application/json"));
  CHECK(bad_type.status == 415);
  CHECK(put_batch(*c, upload, -1, kHeader).status == 400);
  CHECK(put_batch(*c, "999", 0, kHeader).status == 404);

  // Without a _row column, rows are numbered from first_row. (Batch 1 was refused, so its seq
  // is still free: batches apply in order, so this one must be 1.)
  auto numbered = reply_of(c->Put(("/api/v1/uploads/" + upload + "/batches/1?first_row=10").c_str(),
                                  std::string("name,email,external_id\r\nEve,eve@,P5\r\n"),
                                  "text/csv; charset=utf-8"));
  CHECK(numbered.body["failed"] == 1);
  std::string text = report(*c, upload);
  CHECK(text.find("\r\n10,email,eve@,invalid_email,") != std::string::npos);
  CHECK(text.find("\r\n2,email,not-an-email,invalid_email,") != std::string::npos);
  CHECK(text.find("\r\n3,email,,required_missing,") != std::string::npos);
  CHECK(get(*c, "/api/v1/uploads/" + upload).body["error_count"] == 3);
}

TEST_CASE("created, updated, skipped and failed counts under each duplicate policy") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string seed = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, seed, 0, kHeader + "2,Ana,ana@example.com,,P1\r\n3,Bob,bob@example.com,,P2\r\n")
              .body["created"] == 2);
  REQUIRE(post(*c, "/api/v1/uploads/" + seed + "/complete", {{"total_rows", 2}}).body["status"] == "Completed");

  // P1 exists already; P3 appears twice in the file; a row without identity is always new.
  std::string batch = kHeader +
                      "2,Ana Updated,,,P1\r\n"
                      "3,Cid,cid@example.com,,P3\r\n"
                      "4,Cid Again,,,P3\r\n"
                      "5,Nobody,,,\r\n";
  auto participants = [&] {
    return get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=external_id").body;
  };

  SUBCASE("update: later rows win") {
    std::string up = make_upload(*c, campaign, "update");
    auto r = put_batch(*c, up, 0, batch);
    CHECK(r.body == json{{"seq", 0}, {"created", 2}, {"updated", 2}, {"skipped", 0}, {"failed", 0}});
    auto list = participants();
    CHECK(list["total"] == 4);
    CHECK(list["items"][1]["external_id"] == "P1");
    CHECK(list["items"][1]["name"] == "Ana Updated");
    CHECK(list["items"][1]["email"] == "ana@example.com");  // an empty cell keeps the stored value
    CHECK(list["items"][3]["name"] == "Cid Again");
    // The sort runs hold each participant's current name once (created rows from the batch,
    // the updated ones through the triggers), whichever row created or updated it.
    json by_name = get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=name").body;
    std::vector<std::string> names;
    for (auto& p : by_name["items"]) names.push_back(p["name"]);
    CHECK(names == std::vector<std::string>{"Ana Updated", "Bob", "Cid Again", "Nobody"});
    for (const char* name : {"Cid%20Again", "Nobody", "Ana%20Updated"})
      CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bname%5D=" + name).body["total"] == 1);
    CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bname%5D=Cid").body["total"] == 0);
    // P1 (updated) and the two created rows are the upload's.
    CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?upload_id=" + up).body["total"] == 3);
    CHECK(get(*c, "/api/v1/participants/" + list["items"][1]["id"].get<std::string>()).body["upload_ids"] ==
          json::array({seed, up}));
    auto done = post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 4}});
    CHECK(done.body["status"] == "Completed");
    CHECK(done.body["updated"] == 2);
  }
  SUBCASE("skip: known identities are counted skipped and left alone") {
    std::string up = make_upload(*c, campaign, "skip");
    auto r = put_batch(*c, up, 0, batch);
    CHECK(r.body == json{{"seq", 0}, {"created", 2}, {"updated", 0}, {"skipped", 2}, {"failed", 0}});
    auto list = participants();
    CHECK(list["total"] == 4);
    CHECK(list["items"][1]["name"] == "Ana");
    CHECK(list["items"][3]["name"] == "Cid");
    CHECK(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 4}}).body["status"] == "Completed");
  }
  SUBCASE("reject: known identities fail with duplicate_identity naming the participant") {
    std::string up = make_upload(*c, campaign, "reject");
    auto r = put_batch(*c, up, 0, batch);
    CHECK(r.body == json{{"seq", 0}, {"created", 2}, {"updated", 0}, {"skipped", 0}, {"failed", 2}});
    std::string text = report(*c, up);
    CHECK(text.find("\r\n2,external_id,P1,duplicate_identity,") != std::string::npos);
    CHECK(text.find("participant 1") != std::string::npos);
    CHECK(text.find("\r\n4,external_id,P3,duplicate_identity,") != std::string::npos);
    CHECK(text.find("row 3 of this file") != std::string::npos);
    auto done = post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 4}});
    CHECK(done.body["status"] == "Failed");
    CHECK(done.body["failed"] == 2);
  }
}

TEST_CASE("update: a large batch is written in chunks, in file order; duplicates across chunks update") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  // Rows 0..249 create P0..P249; rows 250..449 repeat P0..P199 with a new name (a later row of
  // the same batch, in a later chunk, updates); rows 450..459 have no identity (always created).
  std::string batch = kHeader;
  for (int i = 0; i < 460; ++i) {
    std::string n = std::to_string(i < 250 ? i : i - 250);
    std::string name = i < 250 ? "First " + n : "Second " + n;
    if (i >= 450) batch += std::to_string(i + 2) + ",Nobody " + std::to_string(i) + ",,,\r\n";
    else batch += std::to_string(i + 2) + "," + name + ",,,P" + n + "\r\n";
  }
  auto r = put_batch(*c, upload, 0, batch);
  REQUIRE(r.status == 200);
  CHECK(r.body == json{{"seq", 0}, {"created", 260}, {"updated", 200}, {"skipped", 0}, {"failed", 0}});
  // A second batch updating stored participants counts them as updated.
  auto r2 = put_batch(*c, upload, 1, kHeader + "462,Third 0,,,P0\r\n463,New,,,P999\r\n");
  CHECK(r2.body == json{{"seq", 1}, {"created", 1}, {"updated", 1}, {"skipped", 0}, {"failed", 0}});
  auto list = get(*c, "/api/v1/campaigns/" + campaign + "/participants?limit=1000&sort=external_id").body;
  CHECK(list["total"] == 261);
  std::map<std::string, std::string> names;
  for (auto& p : list["items"]) names[p["external_id"]] = p["name"];
  CHECK(names["P0"] == "Third 0");
  CHECK(names["P199"] == "Second 199");
  CHECK(names["P200"] == "First 200");
  CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?upload_id=" + upload).body["total"] == 261);
}

TEST_CASE("the error report's exact bytes: ordered by row, formula-like values neutralized") {
  TestServer ts;
  auto c = ts.client();
  std::string upload = make_upload(*c, make_campaign(*c));
  json errors = json::array({
      {{"row", 7}, {"field", "email"}, {"value", "=HYPERLINK(\"http://x\")"}, {"code", "invalid_email"},
       {"message", "not an email, fix it"}},
      {{"row", 3}, {"field", "phone"}, {"value", "+1 (555)"}, {"code", "invalid_phone"}, {"message", "too short"}},
      {{"row", 3}, {"field", ""}, {"value", "@cmd"}, {"code", "wrong_field_count"}, {"message", "m"}},
      {{"row", 5}, {"field", "notes"}, {"value", "-2"}, {"code", "too_long"}, {"message", "line1\nline2"}},
  });
  auto posted = post(*c, "/api/v1/uploads/" + upload + "/errors", {{"errors", errors}});
  REQUIRE(posted.status == 200);
  CHECK(posted.body["failed"] == 3);
  CHECK(posted.body["error_count"] == 4);
  // Posting the same errors again (a retry) changes nothing.
  CHECK(post(*c, "/api/v1/uploads/" + upload + "/errors", {{"errors", errors}}).body["failed"] == 3);

  CHECK(report(*c, upload) ==
        "row,field,value,code,message\r\n"
        "3,,'@cmd,wrong_field_count,m\r\n"
        "3,phone,'+1 (555),invalid_phone,too short\r\n"
        "5,notes,'-2,too_long,\"line1\nline2\"\r\n"
        "7,email,\"'=HYPERLINK(\"\"http://x\"\")\",invalid_email,\"not an email, fix it\"\r\n");

  CHECK(error_code(post(*c, "/api/v1/uploads/" + upload + "/errors", {{"errors", {{{"row", 1}}}}})) ==
        "invalid_field");
  CHECK(post(*c, "/api/v1/uploads/999/errors", {{"errors", json::array()}}).status == 404);
  CHECK(get(*c, "/api/v1/uploads/999/errors.csv").status == 404);
}

TEST_CASE("a long error report streams in row order across pages") {
  TestServer ts;
  auto c = ts.client();
  std::string upload = make_upload(*c, make_campaign(*c));
  for (int part = 0; part < 3; ++part) {
    json errors = json::array();
    for (int i = 0; i < 2500; ++i) {
      int row = 2 + part + 3 * i;  // interleaved across posts
      errors.push_back({{"row", row}, {"field", "email"}, {"value", "=x" + std::to_string(row)},
                        {"code", "invalid_email"}, {"message", "bad"}});
    }
    REQUIRE(post(*c, "/api/v1/uploads/" + upload + "/errors", {{"errors", errors}}).status == 200);
  }
  std::string text = report(*c, upload);
  size_t lines = 0, pos = 0;
  int last = 0;
  bool ordered = true;
  while ((pos = text.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (pos >= text.size()) break;
    int row = std::stoi(text.substr(pos, text.find(',', pos) - pos));
    ordered = ordered && row == last + (last == 0 ? 2 : 1);
    last = row;
    ++lines;
  }
  CHECK(lines == 7500);
  CHECK(ordered);
  CHECK(text.find("\r\n7501,email,'=x7501,invalid_email,bad\r\n") != std::string::npos);
}

TEST_CASE("complete checks the declared row count; cancel fails the upload; both only while Processing") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, upload, 0, kHeader + "2,Ana,,,P1\r\n").status == 200);
  CHECK(post(*c, "/api/v1/uploads/" + upload + "/complete", json::object()).status == 400);
  auto done = post(*c, "/api/v1/uploads/" + upload + "/complete", {{"total_rows", 3}});
  CHECK(done.status == 200);
  CHECK(done.body["status"] == "Failed");  // two declared rows never arrived
  CHECK(done.body["total_rows"] == 3);
  CHECK_FALSE(done.body["finished_at"].is_null());
  CHECK(post(*c, "/api/v1/uploads/" + upload + "/complete", {{"total_rows", 1}}).status == 409);
  auto late = put_batch(*c, upload, 1, kHeader + "3,Bob,,,P2\r\n");
  CHECK(late.status == 409);
  CHECK(error_code(late) == "upload_not_processing");

  std::string second = make_upload(*c, campaign);
  auto canceled = post(*c, "/api/v1/uploads/" + second + "/cancel");
  CHECK(canceled.body["status"] == "Failed");
  CHECK(canceled.body["status_message"] == "canceled");
  CHECK(post(*c, "/api/v1/uploads/" + second + "/cancel").status == 409);

  auto summary = get(*c, "/api/v1/campaigns/" + campaign + "/summary");
  CHECK(summary.body["last_upload"]["id"] == second);
  CHECK(summary.body["total_participants_processed"] == 1);
  CHECK(summary.body["participants"] == 1);
}

TEST_CASE("an idle upload becomes Failed \"interrupted\"") {
  TestServer ts(/*idle_seconds=*/1);
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  auto u = get(*c, "/api/v1/uploads/" + upload);
  CHECK(u.body["status"] == "Failed");
  CHECK(u.body["status_message"] == "interrupted");
  CHECK(put_batch(*c, upload, 0, kHeader + "2,Ana,,,P1\r\n").status == 409);
  CHECK(post(*c, "/api/v1/campaigns/" + campaign + "/uploads", {{"filename", "again.csv"}}).status == 201);
}

TEST_CASE("a batch is the first to find its upload idle: 409, and the upload is Failed \"interrupted\"") {
  // Batches are planned on a reader connection; an upload due to expire is planned on the
  // writer, which commits the expiry before refusing the batch.
  TestServer ts(/*idle_seconds=*/1);
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, upload, 0, kHeader + "2,Ana,,,P1\r\n").status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  auto r = put_batch(*c, upload, 1, kHeader + "3,Bo,,,P2\r\n");
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "upload_not_processing");
  CHECK(run_sql(ts.dir() + "/intake.db", "SELECT count(*) FROM uploads WHERE status = 'Failed' AND "
                                         "status_message = 'interrupted'") == 1);
  // The batch stored before the expiry is still answered as stored (a replay), not refused.
  CHECK(put_batch(*c, upload, 0, kHeader + "2,Ana,,,P1\r\n").status == 200);
}

namespace {

// Report lines without their message (which names participant ids, different per campaign).
std::vector<std::string> report_keys(httplib::Client& c, const std::string& upload) {
  std::vector<std::string> out;
  std::string text = report(c, upload);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t cut = 0;
    for (int commas = 0; commas < 4 && cut != std::string::npos; ++commas) cut = line.find(',', cut + 1);
    out.push_back(line.substr(0, cut));
    pos = end + 2;
  }
  return out;
}

json participant_rows(httplib::Client& c, const std::string& campaign) {
  json rows = json::array();
  auto list = get(c, "/api/v1/campaigns/" + campaign + "/participants?sort=external_id");
  REQUIRE(list.status == 200);
  for (auto& p : list.body["items"])
    rows.push_back({p["name"], p["email"], p["phone"], p["external_id"]});
  return rows;
}

json counters(const json& upload) {
  return {upload["status"], upload["created"], upload["updated"], upload["skipped"], upload["failed"],
          upload["error_count"], upload["acked_batches"]};
}

}  // namespace

TEST_CASE("batches arriving out of order are applied in seq order under each duplicate policy") {
  TestServer ts;
  auto c = ts.client();
  // Batch 1 repeats identities of batch 0 (P1 by external id, bob@ by email) with new values.
  const std::string batch0 = kHeader + "2,Ana,ana@example.com,,P1\r\n3,Bob,bob@example.com,,\r\n";
  const std::string batch1 = kHeader + "4,Ana Later,,,P1\r\n5,Bob Later,bob@example.com,,\r\n6,Cid,,,P3\r\n";

  for (std::string policy : {"update", "skip", "reject"}) {
    CAPTURE(policy);
    // In order, on one campaign.
    std::string in_campaign = make_campaign(*c, "in order " + policy);
    std::string in_upload = make_upload(*c, in_campaign, policy);
    auto in0 = put_batch(*c, in_upload, 0, batch0);
    auto in1 = put_batch(*c, in_upload, 1, batch1);
    REQUIRE(in0.status == 200);
    REQUIRE(in1.status == 200);

    // Out of order, on another: batch 1 is sent first from its own thread and must wait.
    std::string out_campaign = make_campaign(*c, "out of order " + policy);
    std::string out_upload = make_upload(*c, out_campaign, policy);
    Reply out1;
    std::atomic<bool> out1_answered{false};
    std::thread early([&] {
      auto c1 = ts.client();
      out1 = put_batch(*c1, out_upload, 1, batch1);
      out1_answered = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(!out1_answered);  // batch 1 is still waiting: batch 0 has not been sent yet
    auto out0 = put_batch(*c, out_upload, 0, batch0);
    early.join();
    REQUIRE(out0.status == 200);
    REQUIRE(out1.status == 200);

    CHECK(out0.body == in0.body);
    CHECK(out1.body == in1.body);
    CHECK(participant_rows(*c, out_campaign) == participant_rows(*c, in_campaign));
    CHECK(counters(get(*c, "/api/v1/uploads/" + out_upload).body) ==
          counters(get(*c, "/api/v1/uploads/" + in_upload).body));
    CHECK(report_keys(*c, out_upload) == report_keys(*c, in_upload));

    auto rows = participant_rows(*c, out_campaign);
    if (policy == "update") {
      CHECK(in1.body == json{{"seq", 1}, {"created", 1}, {"updated", 2}, {"skipped", 0}, {"failed", 0}});
      CHECK(rows.dump().find("Ana Later") != std::string::npos);  // the later row won
      CHECK(rows.dump().find("Bob Later") != std::string::npos);
    } else if (policy == "skip") {
      CHECK(in1.body == json{{"seq", 1}, {"created", 1}, {"updated", 0}, {"skipped", 2}, {"failed", 0}});
      CHECK(rows.dump().find("Later") == std::string::npos);  // the first row survived
    } else {
      CHECK(in1.body == json{{"seq", 1}, {"created", 1}, {"updated", 0}, {"skipped", 0}, {"failed", 2}});
      CHECK(rows.dump().find("Later") == std::string::npos);
      auto keys = report_keys(*c, out_upload);
      CHECK(keys == std::vector<std::string>{"row,field,value,code", "4,external_id,P1,duplicate_identity",
                                             "5,email,bob@example.com,duplicate_identity"});
    }
    for (auto* u : {&in_upload, &out_upload})
      REQUIRE(post(*c, "/api/v1/uploads/" + *u + "/complete", {{"total_rows", 5}}).status == 200);
  }
}

TEST_CASE("a batch whose predecessor never arrives is 425 batch_too_early after the wait") {
  TestServer ts(1800, 300);
  auto c = ts.client();
  std::string upload = make_upload(*c, make_campaign(*c));
  auto start = std::chrono::steady_clock::now();
  auto r = reply_of(c->Put(("/api/v1/uploads/" + upload + "/batches/1").c_str(),
                           kHeader + "3,Bob,,,P2\r\n", "text/csv; charset=utf-8"));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 425);
  CHECK(error_code(r) == "batch_too_early");
  CHECK(error_message(r) ==
        "batch 0 has not arrived; batches are applied in order — send it, then retry this one");
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(get(*c, "/api/v1/uploads/" + upload).body["acked_batches"] == json::array());

  // Once batch 0 is in, the retry goes through; a replay of an acked seq never waits.
  CHECK(put_batch(*c, upload, 0, kHeader + "2,Ana,,,P1\r\n").status == 200);
  CHECK(put_batch(*c, upload, 1, kHeader + "3,Bob,,,P2\r\n").body["created"] == 1);
  CHECK(put_batch(*c, upload, 1, kHeader + "3,Bob,,,P2\r\n").body["created"] == 1);
  CHECK(get(*c, "/api/v1/uploads/" + upload).body["acked_batches"] == json{0, 1});
}

TEST_CASE("waiting batches do not block other clients; cancel and shutdown wake them") {
  TestServer ts;  // the full 15 s wait: every wakeup below must come from an event
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  // Two uploads: batches far ahead are refused at once, so one upload holds at most 8 waiters.
  std::string upload = make_upload(*c, campaign);
  std::string other = make_upload(*c, make_campaign(*c, "Autumn"));

  // More waiting batches than httplib's default pool (8 workers) would hold.
  std::vector<std::thread> waiters;
  std::vector<int> statuses(12, 0);
  for (int i = 0; i < 12; ++i) {
    waiters.emplace_back([&, i] {
      auto ci = ts.client();
      auto r = ci->Put(("/api/v1/uploads/" + (i % 2 ? other : upload) + "/batches/" +
                        std::to_string(i / 2 + 1)).c_str(),
                       kHeader + std::to_string(i + 3) + ",X,,,Q" + std::to_string(i) + "\r\n",
                       "text/csv; charset=utf-8");
      statuses[size_t(i)] = r ? r->status : -1;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  CHECK(get(*c, "/api/v1/campaigns").status == 200);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // not the 15 s wait

  // Cancel: the waiters answer 409 upload_not_processing at once, not after 15 s.
  start = std::chrono::steady_clock::now();
  CHECK(post(*c, "/api/v1/uploads/" + upload + "/cancel").status == 200);
  CHECK(post(*c, "/api/v1/uploads/" + other + "/cancel").status == 200);
  for (auto& t : waiters) t.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  for (int s : statuses) CHECK(s == 409);

  // Shutdown: a waiter answers 503 and stop() does not wait out the 15 s.
  std::string second = make_upload(*c, campaign);
  int status = 0;
  std::string retry_after;
  std::thread waiter([&] {
    auto ci = ts.client();
    auto r = ci->Put(("/api/v1/uploads/" + second + "/batches/3").c_str(), kHeader + "5,Y,,,R1\r\n",
                     "text/csv; charset=utf-8");
    if (r) {
      status = r->status;
      retry_after = r->get_header_value("Retry-After");
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  start = std::chrono::steady_clock::now();
  ts.server().stop();
  waiter.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(status == 503);
  CHECK(!retry_after.empty());
}

TEST_CASE("waiting batches are capped: beyond the caps, or far ahead, 425 at once; GETs still served") {
  // 8 workers, at most 2 waiters per upload and 3 overall; the full 15 s wait.
  TestServer ts(1800, 15000, [](intake::server::ServerOptions& o) {
    o.http_threads = 8;
    o.batch_waiters_per_upload = 2;
    o.batch_waiters_total = 3;
  });
  auto c = ts.client();
  std::string a = make_upload(*c, make_campaign(*c, "A"));
  std::string b = make_upload(*c, make_campaign(*c, "B"));
  std::string d = make_upload(*c, make_campaign(*c, "D"));
  auto batch = [](int row) { return kHeader + std::to_string(row) + ",X,,,Q" + std::to_string(row) + "\r\n"; };

  std::vector<std::thread> waiters;
  std::vector<int> statuses(3, 0);
  auto wait_on = [&](size_t slot, const std::string& upload, int seq) {
    waiters.emplace_back([&, slot, upload, seq] {
      auto ci = ts.client();
      auto r = ci->Put(("/api/v1/uploads/" + upload + "/batches/" + std::to_string(seq)).c_str(),
                       batch(seq + 2), "text/csv; charset=utf-8");
      statuses[slot] = r ? r->status : -1;
    });
  };
  wait_on(0, a, 1);
  wait_on(1, a, 2);
  wait_on(2, b, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));

  auto quick_425 = [&](const std::string& upload, int seq, const std::string& missing) {
    auto start = std::chrono::steady_clock::now();
    auto r = put_batch(*c, upload, seq, batch(seq + 2));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // not the 15 s wait
    CHECK(r.status == 425);
    CHECK(error_code(r) == "batch_too_early");
    CHECK(error_message(r) == "batch " + missing +
                                  " has not arrived; batches are applied in order — send it, then retry this one");
  };
  quick_425(a, 3, "2");   // a third waiter on upload a
  quick_425(d, 1, "0");   // a fourth waiter overall
  quick_425(d, 8, "0");   // more than 8 past the highest acked seq (none yet)
  auto start = std::chrono::steady_clock::now();
  CHECK(get(*c, "/api/v1/campaigns").status == 200);
  CHECK(get(*c, "/api/v1/uploads/" + a).status == 200);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // not the 15 s wait

  // Seq 7 is within reach of seq 0 on d, and waits only if a slot is free: none is, so 425.
  quick_425(d, 7, "6");
  // Once d's batch 0 is in, seq 8 is no longer too far ahead (and still refused for the cap).
  CHECK(put_batch(*c, d, 0, batch(2)).status == 200);
  quick_425(d, 8, "7");
  quick_425(d, 9, "1");

  // Batch 0 of upload a lets its two waiters through in order; cancel b wakes its waiter.
  CHECK(put_batch(*c, a, 0, batch(2)).status == 200);
  CHECK(post(*c, "/api/v1/uploads/" + b + "/cancel").status == 200);
  for (auto& t : waiters) t.join();
  CHECK(statuses == std::vector<int>{200, 200, 409});
  CHECK(get(*c, "/api/v1/uploads/" + a).body["acked_batches"] == json{0, 1, 2});
}

TEST_CASE("many concurrent reads all succeed over the bounded reader pool") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::vector<std::thread> readers;
  std::vector<int> ok(24, 0);
  for (size_t i = 0; i < ok.size(); ++i) {
    readers.emplace_back([&, i] {
      auto ci = ts.client();
      for (int k = 0; k < 15; ++k) {
        auto r1 = ci->Get("/api/v1/campaigns");
        auto r2 = ci->Get(("/api/v1/campaigns/" + campaign + "/participants?limit=5").c_str());
        auto r3 = ci->Get(("/api/v1/campaigns/" + campaign + "/uploads").c_str());
        if (r1 && r1->status == 200 && r2 && r2->status == 200 && r3 && r3->status == 200) ++ok[i];
      }
    });
  }
  for (auto& t : readers) t.join();
  for (int n : ok) CHECK(n == 15);
}

TEST_CASE("row numbers: at most 2^53, unreadable or decreasing _row is a 422 naming the line") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  std::string base = "/api/v1/uploads/" + upload;
  auto big = post(*c, base + "/errors",
                  {{"errors", json::array({{{"row", 2}, {"code", "x"}}, {{"row", 3}, {"code", "x"}},
                                           {{"row", 4}, {"code", "x"}},
                                           {{"row", 18446744073709551615ull}, {"code", "x"}}})}});
  CHECK(big.status == 400);
  CHECK(error_message(big).find("errors[3].row") != std::string::npos);
  auto over = post(*c, base + "/errors", {{"errors", json::array({{{"row", (1ull << 53) + 1}, {"code", "x"}}})}});
  CHECK(over.status == 400);
  CHECK(error_message(over).find("errors[0].row") != std::string::npos);
  auto one = post(*c, base + "/errors", {{"errors", json::array({{{"row", 1}, {"code", "x"}}})}});
  CHECK(one.status == 400);
  auto max = post(*c, base + "/errors", {{"errors", json::array({{{"row", 1ull << 53}, {"code", "x"}}})}});
  CHECK(max.status == 200);
  CHECK(max.body["failed"] == 1);
  CHECK(report(*c, upload).find("\r\n9007199254740992,") != std::string::npos);

  std::string upload2 = make_upload(*c, make_campaign(*c, "B"));
  auto put_first = [&](const std::string& first_row, const std::string& body) {
    return reply_of(c->Put(("/api/v1/uploads/" + upload2 + "/batches/0?first_row=" + first_row).c_str(),
                           body, "text/csv; charset=utf-8"));
  };
  auto fr = put_first("18446744073709551615", "name,email\r\nAna,ana@example.com\r\n");
  CHECK(fr.status == 400);
  CHECK(error_code(fr) == "invalid_first_row");
  CHECK(error_message(fr).find("first_row") != std::string::npos);
  CHECK(put_first("9007199254740993", "name\r\nAna\r\n").status == 400);
  auto past = put_first("9007199254740992", "name,email\r\nAna,ana@example.com\r\nBob,bob@example.com\r\n");
  CHECK(past.status == 400);
  CHECK(error_code(past) == "invalid_first_row");

  auto huge = put_batch(*c, upload2, 0, kHeader + "9007199254740993,Ana,ana@example.com,,P1\r\n");
  CHECK(huge.status == 422);
  CHECK(error_code(huge) == "invalid_row_number");
  CHECK(error_message(huge).find("line 2") != std::string::npos);
  auto down = put_batch(*c, upload2, 0, kHeader + "5,Ana,ana@example.com,,P1\r\n4,Bob,bob@example.com,,P2\r\n");
  CHECK(down.status == 422);
  CHECK(error_code(down) == "invalid_row_number");
  CHECK(error_message(down).find("line 3") != std::string::npos);
  auto quote = put_batch(*c, upload2, 0, kHeader + "\"5,Ana,ana@example.com,,P1\r\n");
  CHECK(quote.status == 422);
  CHECK(quote.body["error"]["code"].is_string());
  CHECK(get(*c, "/api/v1/uploads/" + upload2).body["acked_batches"] == json::array());
}

TEST_CASE("a batch's rows must come after the previous batch's; a row fails once per upload") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  std::string base = "/api/v1/uploads/" + upload;
  REQUIRE(put_batch(*c, upload, 0, kHeader + "2,Ana,ana@example.com,,P1\r\n5,Bob,bad-email,,P2\r\n").status == 200);
  auto overlap = put_batch(*c, upload, 1, kHeader + "5,Cid,cid@example.com,,P3\r\n6,Dan,dan@example.com,,P4\r\n");
  CHECK(overlap.status == 422);
  CHECK(error_code(overlap) == "batch_rows_overlap");
  CHECK(error_message(overlap).find("row 5") != std::string::npos);
  CHECK(error_message(overlap).find("batch 0") != std::string::npos);
  // first_row numbering overlapping too.
  auto numbered = reply_of(c->Put((base + "/batches/1?first_row=3").c_str(),
                                  std::string("name,email\r\nCid,cid@example.com\r\n"), "text/csv; charset=utf-8"));
  CHECK(numbered.status == 422);
  CHECK(error_code(numbered) == "batch_rows_overlap");
  // Browser-reported row 7 first, then a batch carrying row 7 as failed: counted once.
  auto posted = post(*c, base + "/errors",
                     {{"errors", json::array({{{"row", 7}, {"field", "email"}, {"code", "invalid_email"}},
                                              {{"row", 7}, {"field", "phone"}, {"code", "invalid_phone"}}})}});
  CHECK(posted.status == 200);
  CHECK(posted.body["failed"] == 2);  // rows 5 and 7
  CHECK(posted.body["acked_batches"] == json::array({0}));
  auto again = post(*c, base + "/errors",
                    {{"errors", json::array({{{"row", 7}, {"field", "email"}, {"code", "invalid_email"}},
                                             {{"row", 5}, {"field", "x"}, {"code", "other"}}})}});
  CHECK(again.body["failed"] == 2);
  auto next = put_batch(*c, upload, 1, kHeader + "6,Dan,dan@example.com,,P4\r\n7,Eve,bad,,P5\r\n8,Fay,bad,,P6\r\n");
  CHECK(next.status == 200);
  CHECK(next.body["created"] == 1);
  CHECK(next.body["failed"] == 1);  // row 8; row 7 was already counted
  auto u = get(*c, base);
  CHECK(u.body["failed"] == 3);
  CHECK(u.body["acked_batches"] == json::array({0, 1}));
  auto done = post(*c, base + "/complete", {{"total_rows", 5}});
  CHECK(done.status == 200);
  CHECK(done.body["acked_batches"] == json::array({0, 1}));
}

TEST_CASE("cancel answers the acked batches and needs no body") {
  TestServer ts;
  auto c = ts.client();
  std::string upload = make_upload(*c, make_campaign(*c));
  REQUIRE(put_batch(*c, upload, 0, kHeader + "2,Ana,ana@example.com,,P1\r\n").status == 200);
  auto canceled = post(*c, "/api/v1/uploads/" + upload + "/cancel");
  CHECK(canceled.status == 200);
  CHECK(canceled.body["acked_batches"] == json::array({0}));
}

TEST_CASE("created participants are linked to their upload as id ranges; a v5 database is migrated") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string db = ts.dir() + "/intake.db";
  auto id_of = [&](const std::string& external_id) {
    auto r = get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bexternal_id%5D=" + external_id);
    REQUIRE(r.body["items"].size() == 1);
    return r.body["items"][0]["id"].get<std::string>();
  };
  auto uploads_of = [&](const std::string& external_id) {
    return get(*c, "/api/v1/participants/" + id_of(external_id)).body["upload_ids"];
  };
  auto total = [&](const std::string& upload) {
    return get(*c, "/api/v1/campaigns/" + campaign + "/participants?upload_id=" + upload).body["total"].get<int64_t>();
  };
  auto row = [](int n) {
    std::string e = std::to_string(n);
    return std::to_string(n + 1) + ",P" + e + ",p" + e + "@example.com,,E" + e + "\r\n";
  };

  // Upload A: two batches whose ids follow on make one range.
  std::string a = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, a, 0, kHeader + row(1) + row(2) + row(3)).body["created"] == 3);
  REQUIRE(put_batch(*c, a, 1, kHeader + row(4) + row(5)).body["created"] == 2);
  REQUIRE(post(*c, "/api/v1/uploads/" + a + "/complete", {{"total_rows", 5}}).status == 200);
  CHECK(run_sql(db, "SELECT count(*) FROM upload_created") == 1);
  CHECK(run_sql(db, "SELECT count(*) FROM participant_uploads") == 0);
  CHECK(total(a) == 5);

  // The largest id is deleted; SQLite gives it out again to upload B's first new row. A's
  // range must not claim it. B also updates E1 (a per-row link).
  std::string e5 = id_of("E5");
  REQUIRE(del(*c, "/api/v1/participants/" + e5).status == 204);
  std::string b = make_upload(*c, campaign);
  auto answer = put_batch(*c, b, 0, kHeader + row(6) + row(7) + "9,P1 again,,,E1\r\n").body;
  CHECK(answer["created"] == 2);
  CHECK(answer["updated"] == 1);
  REQUIRE(post(*c, "/api/v1/uploads/" + b + "/complete", {{"total_rows", 3}}).status == 200);
  CHECK(id_of("E6") == e5);
  auto check_links = [&] {
    CHECK(uploads_of("E6") == json::array({b}));
    CHECK(uploads_of("E7") == json::array({b}));
    CHECK(uploads_of("E1") == json::array({a, b}));
    CHECK(uploads_of("E4") == json::array({a}));
    CHECK(total(a) == 4);
    CHECK(total(b) == 3);
    auto page = get(*c, "/api/v1/campaigns/" + campaign + "/participants?upload_id=" + a + "&sort=external_id&limit=2");
    REQUIRE(page.body["items"].size() == 2);
    CHECK(page.body["items"][0]["external_id"] == "E1");
    CHECK(page.body["items"][1]["external_id"] == "E2");
  };
  check_links();

  // The same data as schema v5 kept it: one participant_uploads row per link, no ranges.
  ts.stop();
  run_sql(db,
          "INSERT OR IGNORE INTO participant_uploads(upload_id, participant_id) "
          "SELECT r.upload_id, p.id FROM upload_created r JOIN participants p ON p.id BETWEEN r.first_id AND r.last_id; "
          "DROP TABLE upload_created; "
          // and as v6 kept campaign, upload and communication ids (v7 undone):
          "DROP TABLE id_high_water; DROP TRIGGER campaigns_high_water; "
          "DROP TRIGGER uploads_high_water; DROP TRIGGER communications_high_water; "
          // and as v10 kept identities (v11 undone):
          "UPDATE participants SET identity = 'external_id:' || substr(identity, 3) WHERE identity LIKE 'x:%'; "
          // and as v7 kept the created_at, communications and updated_at orders (v8-v10 undone):
          + std::string(kUndoCreatedRangesSql) + "PRAGMA user_version = 5;");
  REQUIRE(run_sql(db, "SELECT count(*) FROM participant_uploads") == 7);
  ts.start();
  c = ts.client();
  CHECK(run_sql(db, "PRAGMA user_version") == intake::store::Store::schema_version());
  CHECK(intake::store::Store::schema_version() == 11);
  CHECK(run_sql(db, "SELECT count(*) FROM upload_created") == 0);
  check_links();

  // New uploads after the migration link by ranges beside the old rows.
  std::string c3 = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, c3, 0, kHeader + row(8) + "10,P2 again,,,E2\r\n").body["created"] == 1);
  CHECK(uploads_of("E8") == json::array({c3}));
  CHECK(uploads_of("E2") == json::array({a, c3}));
  CHECK(total(c3) == 2);
  CHECK(total(a) == 4);
  CHECK(run_sql(db, "SELECT count(*) FROM upload_created") == 1);
}

TEST_CASE("sort runs of many batches are merged outside the batches; lists stay exact throughout") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string db = ts.dir() + "/intake.db";
  std::string upload = make_upload(*c, campaign);
  std::vector<std::string> names;
  auto count_by_name = [&](const std::string& name) {
    return get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bname%5D=" + name).body["total"].get<int64_t>();
  };
  // 40 batches: tier 0 fills (16 runs) twice and more; each batch's names interleave with the
  // others' so merged runs must really merge.
  for (int b = 0; b < 40; ++b) {
    std::string csv = kHeader;
    for (int k = 0; k < 5; ++k) {
      int n = b * 5 + k;
      // Some names share their first 8 bytes (merges compare those as one integer first),
      // some are equal (then ids order them).
      std::string name = n % 3 ? "N" : "Participant-";  // appended piecewise: "N" + std::to_string(...) trips GCC 12's -Wrestrict
      name += std::to_string((n * 37) % 101);
      name += "-";
      name += std::to_string(n);
      if (n % 10 == 9) name = "Participant-same";
      names.push_back(name);
      csv += std::to_string(n + 2) + "," + name + ",,,E" + std::to_string(n) + "\r\n";
    }
    REQUIRE(put_batch(*c, upload, b, csv).body["created"] == 5);
    if (b % 8 == 0) CHECK(count_by_name(names[size_t(b * 5)]) == 1);
  }
  REQUIRE(post(*c, "/api/v1/uploads/" + upload + "/complete", {{"total_rows", 200}}).status == 200);
  // The merger runs on its own; wait until no tier of the name column holds 16 runs.
  int64_t runs = 0;
  for (int i = 0; i < 100; ++i) {
    runs = run_sql(db, "SELECT count(*) FROM sort_runs WHERE col = 'name'");
    if (runs < 16) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(runs < 16);
  CHECK(run_sql(db, "SELECT sum(entries) FROM sort_runs WHERE col = 'name'") == 200);
  std::sort(names.begin(), names.end());
  std::vector<std::string> got;
  std::string cursor;
  for (int guard = 0; guard < 20; ++guard) {
    auto r = get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=name&limit=30" +
                         (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    CHECK(r.body["total"] == 200);
    for (auto& item : r.body["items"]) got.push_back(item["name"]);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"].get<std::string>();
  }
  CHECK(got == names);
  CHECK(count_by_name(names[17]) == 1);
  // A restart finds nothing left to merge and keeps the same answers.
  ts.restart();
  c = ts.client();
  CHECK(count_by_name(names[101]) == 1);
}

TEST_CASE("with the server's own first tier, batch runs merge only at 128; lists are exact over that many runs") {
  TestServer ts(1800, 15000, [](intake::server::ServerOptions& o) { o.first_tier_runs = intake::store::Store::kFirstTierRuns; });
  REQUIRE(intake::store::Store::kFirstTierRuns == 128);
  TestServer other;  // merging at 16 in the same process: each store keeps its own setting
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string db = ts.dir() + "/intake.db";
  std::string upload = make_upload(*c, campaign);
  std::vector<std::string> names;
  auto name_runs = [&] { return run_sql(db, "SELECT count(*) FROM sort_runs WHERE col = 'name'"); };
  auto check_lists = [&](const std::string& stage) {
    INFO(stage);
    std::vector<std::string> want = names, got;
    std::sort(want.begin(), want.end());
    for (auto& p : all_pages(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=name", 37)) got.push_back(p["name"]);
    CHECK(got == want);
    std::vector<std::string> desc;
    for (auto& p : all_pages(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=-name", 41)) desc.push_back(p["name"]);
    std::reverse(desc.begin(), desc.end());
    CHECK(desc == want);
    auto r = get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bname%5D=" + names[names.size() / 2]);
    CHECK(r.body["total"] == 1);
    r = get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bname%5D=~e-1");
    CHECK(r.body["total"].get<size_t>() == size_t(std::count_if(names.begin(), names.end(), [](const std::string& n) {
            return n.find("e-1") != std::string::npos;
          })));
  };
  auto send = [&](int b) {
    std::string csv = kHeader;
    for (int k = 0; k < 3; ++k) {
      int n = b * 3 + k;
      std::string name = "Name-" + std::to_string((n * 7919) % 1000);
      names.push_back(name);
      csv += std::to_string(n + 2) + "," + name + ",,,E" + std::to_string(n) + "\r\n";
    }
    REQUIRE(put_batch(*c, upload, b, csv).body["created"] == 3);
  };
  for (int b = 0; b < 127; ++b) send(b);
  CHECK(name_runs() == 127);  // no merge yet
  check_lists("127 runs");
  send(127);  // the 128th run fills the first tier: merged in the background
  int64_t runs = 0;
  for (int i = 0; i < 100 && (runs = name_runs()) >= 128; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(runs == 1);
  send(128);
  CHECK(name_runs() == 2);
  check_lists("merged");
  REQUIRE(post(*c, "/api/v1/uploads/" + upload + "/complete", {{"total_rows", 129 * 3}}).status == 200);
}

TEST_CASE("the store's background threads (checkpoints, sort-run merges) run at a lower priority") {
  // Counts this process's threads at nice kBackgroundNice (field 19 of /proc/self/task/*/stat).
  auto background = [] {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream in(task.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
      std::string field;
      for (int i = 3; i <= 19 && fields >> field; ++i) {
        if (i == 19 && std::stoi(field) == intake::store::kBackgroundNice) ++n;
      }
    }
    return n;
  };
  int before = background();
  TestServer ts;
  // The merger lowers itself at start; the checkpoint thread too.
  int now = before;
  for (int i = 0; i < 100 && now < before + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = background();
  }
  CHECK(now >= before + 2);
}

TEST_CASE("a batch's text keeps every copied string in place, across blocks and moves") {
  std::mt19937 rng(11);
  intake::store::ValidatedBatch batch;
  std::vector<std::string> originals;
  std::vector<std::string_view> views;
  for (int i = 0; i < 3000; ++i) {
    size_t size = i % 500 == 7 ? 70000 + rng() % 1000 : rng() % 200;  // some pass a 64 KiB block
    std::string s(size, '\0');
    for (char& ch : s) ch = char('a' + rng() % 26);
    views.push_back(batch.text.copy(s));
    originals.push_back(std::move(s));
  }
  CHECK(batch.text.copy("").empty());
  intake::store::ValidatedBatch moved = std::move(batch);
  for (size_t i = 0; i < originals.size(); ++i) REQUIRE(views[i] == originals[i]);
  for (size_t i = 1; i < views.size(); ++i)  // no two copies overlap
    if (!views[i].empty() && !views[i - 1].empty()) CHECK(views[i].data() != views[i - 1].data());
}

TEST_CASE("order_batch_runs orders each column by (value, row) as a plain sort does") {
  std::mt19937 rng(7);
  const std::vector<std::string> stems = {"", "a", "a", "ab", "America/", "America/Chicago", "America/Denver",
                                          "Kai M\xc3\xbcller", "Kai M\xc3\xbcllers", "zz", std::string("a\0", 2),
                                          "P000000001", "P000000002", "\xff\xfe",
                                          // sharing 8 and 16 bytes and more, NULs past 8 bytes
                                          "kai.muller1@example.com", "kai.muller12@example.com",
                                          "kai.muller1@example.co", "kai.mull", std::string("abcdefgh\0", 9),
                                          std::string("abcdefgh\0\0\0\0\0\0\0\0x", 17), "abcdefgh",
                                          "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyZ"};
  for (int round = 0; round < 60; ++round) {
    intake::store::ValidatedBatch batch;
    size_t n = 1 + rng() % (round % 3 ? 300 : 4000);  // large batches take the radix sort
    for (size_t i = 0; i < n; ++i) {
      intake::store::StagedRow r;
      r.name = batch.text.copy(stems[rng() % stems.size()] + (rng() % 3 ? "" : std::to_string(rng() % 5)));
      r.email = batch.text.copy(stems[rng() % stems.size()]);
      r.values_at = uint32_t(batch.values.size());
      if (rng() % 4) batch.values.emplace_back("plan", batch.text.copy(stems[rng() % stems.size()]));
      r.values_count = uint32_t(batch.values.size()) - r.values_at;
      batch.rows.push_back(r);
    }
    intake::store::Store::order_batch_runs(batch, {"name", "email", "f:plan"});
    REQUIRE(batch.run_orders.size() == 3);
    for (const auto& order : batch.run_orders) {
      std::vector<std::pair<std::string, uint32_t>> expected;
      for (uint32_t i = 0; i < batch.rows.size(); ++i) {
        const auto& r = batch.rows[i];
        if (order.key == "name") expected.emplace_back(r.name, i);
        else if (order.key == "email") expected.emplace_back(r.email, i);
        else if (r.values_count) expected.emplace_back(batch.values[r.values_at].second, i);
      }
      std::sort(expected.begin(), expected.end());
      REQUIRE(order.rows.size() == expected.size());
      for (size_t k = 0; k < expected.size(); ++k) {
        CHECK(order.rows[k].first == expected[k].first);
        CHECK(order.rows[k].second == expected[k].second);
      }
    }
  }
}

TEST_CASE("identities stored with the long kinds (before v11) still match each kind after the migration") {
  TestServer ts;
  auto c = ts.client();
  std::string db = ts.dir() + "/intake.db";
  std::string campaign = make_campaign(*c);
  const std::string header = "_row,name,email,phone,external_id\r\n";
  std::string up = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, up, 0, header + "2,Xena,,,X1\r\n3,Bea,bea@example.com,,\r\n4,Pat,,+14155550100,\r\n")
              .body["created"] == 3);
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 3}}).status == 200);
  CHECK(run_sql(db, "SELECT count(*) FROM participants WHERE identity IN ('x:X1', 'e:bea@example.com', 'p:+14155550100')") == 3);

  // The database as v10 kept it.
  ts.stop();
  run_sql(db,
          "UPDATE participants SET identity = CASE substr(identity, 1, 2) WHEN 'x:' THEN 'external_id:' "
          "WHEN 'e:' THEN 'email:' ELSE 'phone:' END || substr(identity, 3); PRAGMA user_version = 10;");
  REQUIRE(run_sql(db, "SELECT count(*) FROM participants WHERE identity IN "
                      "('external_id:X1', 'email:bea@example.com', 'phone:+14155550100')") == 3);
  ts.start();
  c = ts.client();
  CHECK(run_sql(db, "PRAGMA user_version") == 11);
  CHECK(run_sql(db, "SELECT count(*) FROM participants WHERE identity IN ('x:X1', 'e:bea@example.com', 'p:+14155550100')") == 3);

  // Each kind is found again: updated under update (an email in other case, a phone as typed),
  // refused naming the stored participant under reject.
  up = make_upload(*c, campaign);
  auto r = put_batch(*c, up, 0, header + "2,Xena 2,,,X1\r\n3,Bea 2,BEA@example.com,,\r\n4,Pat 2,,+1 415 555 0100,\r\n");
  CHECK(r.body["created"] == 0);
  CHECK(r.body["updated"] == 3);
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 3}}).status == 200);
  json names = json::array();
  auto list = get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=name");
  INFO(list.text);
  for (auto& p : list.body["items"]) names.push_back(p["name"]);
  CHECK(names == json::array({"Bea 2", "Pat 2", "Xena 2"}));
  up = make_upload(*c, campaign, "reject");
  r = put_batch(*c, up, 0, header + "2,Xena 3,,,X1\r\n3,Bea 3,bea@example.com,,\r\n4,Pat 3,,+14155550100,\r\n");
  CHECK(r.body["failed"] == 3);
  std::string text = report(*c, up);
  INFO(text);
  CHECK(text.find("\r\n2,external_id,X1,duplicate_identity,") != std::string::npos);
  CHECK(text.find("\r\n3,email,bea@example.com,duplicate_identity,") != std::string::npos);
  CHECK(text.find("\r\n4,phone,'+14155550100,duplicate_identity,") != std::string::npos);  // spreadsheet-safe
  CHECK(text.find("participant 1,") != std::string::npos);
  CHECK(run_sql(db, "SELECT count(*) FROM participants") == 3);
}
