// Participants, communications, events and sessions over HTTP: every sort in both directions
// across page boundaries, filters, details in Data-tab order with the latest result, deletion,
// status changes through the core's rules, and trigger events in order.
#include <algorithm>
#include <map>

#include <sys/resource.h>

#include "test_server.h"

using namespace intake::test;

namespace {

struct Fixture {
  TestServer ts;
  std::unique_ptr<httplib::Client> c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload1, upload2;

  Fixture() {
    json fields = get(*c, "/api/v1/campaigns/" + campaign + "/fields").body["fields"];
    fields.push_back({{"key", "plan"}, {"label", "Plan"}, {"type", "enum"}, {"values", {"free", "pro"}}});
    fields.push_back({{"key", "score"}, {"label", "Score"}, {"type", "number"}});
    fields.push_back({{"key", "signup"}, {"label", "Signup"}, {"type", "date"}});
    fields.insert(fields.begin(), json{{"key", "notes"}, {"label", "Notes"}, {"type", "text"}});
    REQUIRE(put(*c, "/api/v1/campaigns/" + campaign + "/fields", {{"fields", fields}}).status == 200);

    const char* names[] = {"Ana", "Bob", "Cid", "Ana", "Eve", "bob", "Zoë", "Ana", "Dan", "Eve", "Fay"};
    std::string batch = "_row,notes,name,email,phone,external_id,plan,score,signup\r\n";
    for (int i = 0; i < 11; ++i) {
      std::string n = std::to_string(i);
      batch += std::to_string(i + 2) + ",note " + n + "," + names[i] + ",p" + n + "@example.com,," +
               "E" + std::to_string(100 - i) + "," + (i % 3 ? "free" : "pro") + "," + std::to_string(i * 5) +
               ",2024-0" + std::to_string(1 + i % 9) + "-15\r\n";
    }
    upload1 = make_upload(*c, campaign);
    REQUIRE(put_batch(*c, upload1, 0, batch).body["created"] == 11);
    REQUIRE(post(*c, "/api/v1/uploads/" + upload1 + "/complete", {{"total_rows", 11}}).status == 200);
    upload2 = make_upload(*c, campaign);
    REQUIRE(put_batch(*c, upload2, 0,
                      "_row,name,external_id,score\r\n2,Ana Prime,E100,99\r\n3,Gus,E1,1\r\n")
                .body["updated"] == 1);
    REQUIRE(post(*c, "/api/v1/uploads/" + upload2 + "/complete", {{"total_rows", 2}}).status == 200);
  }

  std::string list_path(const std::string& query) {
    return "/api/v1/campaigns/" + campaign + "/participants?" + query;
  }

  // Walks every page of a query with `limit`, returning the items in order.
  json walk(const std::string& query, int limit) {
    json all = json::array();
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      std::string q = query + "&limit=" + std::to_string(limit);
      if (!cursor.empty()) q += "&cursor=" + cursor;
      auto r = get(*c, list_path(q));
      REQUIRE(r.status == 200);
      CHECK(r.body["items"].size() <= size_t(limit));
      for (auto& item : r.body["items"]) all.push_back(item);
      if (r.body["next_cursor"].is_null()) break;
      cursor = r.body["next_cursor"].get<std::string>();
    }
    return all;
  }
};

std::vector<std::string> ids(const json& items) {
  std::vector<std::string> out;
  for (auto& i : items) out.push_back(i["id"]);
  return out;
}

}  // namespace

TEST_CASE("every sort, ascending and descending, is total and stable across page boundaries") {
  Fixture f;
  // Give some participants communications so that sort has ties and differences.
  json everyone = f.walk("sort=created_at", 1000);
  REQUIRE(everyone.size() == 12);
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k <= i % 2; ++k) {
      std::string pid = everyone[size_t(i * 2)]["id"];
      REQUIRE(post(*f.c, "/api/v1/participants/" + pid + "/communications", {{"name", "Call"}}).status == 201);
    }
  }
  everyone = f.walk("sort=created_at", 1000);

  for (std::string key : {"name", "email", "phone", "external_id", "communications", "created_at", "updated_at"}) {
    for (bool desc : {false, true}) {
      INFO("sort " << (desc ? "-" : "") << key);
      json expected = everyone;
      std::vector<json> v(expected.begin(), expected.end());
      std::stable_sort(v.begin(), v.end(), [&](const json& a, const json& b) {
        int64_t ia = std::stoll(a["id"].get<std::string>()), ib = std::stoll(b["id"].get<std::string>());
        if (a[key] != b[key]) return desc ? b[key] < a[key] : a[key] < b[key];
        return desc ? ib < ia : ia < ib;
      });
      json got = f.walk(std::string("sort=") + (desc ? "-" : "") + key, 5);
      CHECK(ids(got) == ids(json(v)));
    }
  }
  auto bad = get(*f.c, f.list_path("sort=plan"));
  CHECK(bad.status == 400);
  CHECK(error_code(bad) == "unknown_sort");
  CHECK(error_message(bad).find("\"plan\"") != std::string::npos);
  auto stale = get(*f.c, f.list_path("sort=name&cursor=" + std::string("garbage!")));
  CHECK(stale.status == 400);
}

TEST_CASE("filters: exact, contains, numeric and date ranges, upload_id, combined and paged") {
  Fixture f;
  auto total = [&](const std::string& q) {
    auto r = get(*f.c, f.list_path(q));
    REQUIRE(r.status == 200);
    return r.body["total"].get<int>();
  };
  CHECK(total("") == 12);
  CHECK(total("filter[plan]=pro") == 4);           // i = 0, 3, 6, 9
  CHECK(total("filter[name]=Ana") == 2);           // exact, case-sensitive; one Ana became Ana Prime
  CHECK(total("filter[name]=~ana") == 3);          // contains, ignoring case
  CHECK(total("filter[score]=10..20") == 3);       // 10, 15, 20
  CHECK(total("filter[score]=40..") == 4);         // 40, 45, 50, 99 (updated)
  CHECK(total("filter[signup]=..2024-02-29") == 4);  // months 01 and 02
  CHECK(total("filter[external_id]=E1") == 1);
  CHECK(total("upload_id=" + f.upload2) == 2);
  CHECK(total("upload_id=" + f.upload1) == 11);
  CHECK(total("filter[plan]=free&filter[score]=..25") == 4);  // i = 1, 2, 4, 5
  json paged = f.walk("filter[plan]=free&sort=-name", 2);
  CHECK(paged.size() == 7);
  for (auto& p : paged) CHECK(p["name"] != "Zoë");  // i = 6 is pro

  auto unknown = get(*f.c, f.list_path("filter[colour]=red"));
  CHECK(unknown.status == 400);
  CHECK(error_code(unknown) == "unknown_filter");
  CHECK(error_message(unknown).find("\"colour\"") != std::string::npos);
  CHECK(error_code(get(*f.c, f.list_path("colour=red"))) == "unknown_parameter");
  CHECK(error_code(get(*f.c, f.list_path("filter[score]=a..b"))) == "invalid_filter");
  CHECK(get(*f.c, "/api/v1/campaigns/999/participants").status == 404);
  // Values only travel as parameters: SQL in a filter is just a value that matches nothing.
  CHECK(total("filter[name]=x'%20OR%20'1'='1") == 0);
}

TEST_CASE("field filters: the same rows through a field index or the sort's index, after field changes") {
  Fixture f;
  auto total = [&](const std::string& q) {
    auto r = get(*f.c, f.list_path(q));
    REQUIRE(r.status == 200);
    return r.body["total"].get<int>();
  };
  auto ids = [&](const std::string& q, int limit) {
    std::vector<std::string> out;
    for (auto& p : f.walk(q, limit)) out.push_back(p["id"]);
    return out;
  };
  // A small limit makes walking the sort's index the cheaper plan for broad filters (plan=free,
  // 7 of 12), a large one reading the field index and sorting: both give the same pages.
  for (std::string q : {"filter[plan]=free&sort=-name", "filter[score]=10..50&sort=email",
                        "filter[signup]=2024-01-15..2024-05-15&sort=-created_at"}) {
    CAPTURE(q);
    auto small = ids(q, 1), large = ids(q, 1000);
    CHECK(small == large);
    CHECK(int(small.size()) == total(q));
  }
  // contains is a plain substring: LIKE's wildcards in the value match only themselves.
  CHECK(total("filter[notes]=~note") == 11);
  CHECK(total("filter[notes]=~NOTE%201") == 2);  // note 1, note 10
  CHECK(total("filter[notes]=~note%25") == 0);
  CHECK(total("filter[notes]=~n_te") == 0);
  CHECK(total("filter[email]=~p1%40") == 1);
  CHECK(total("filter[email]=~_") == 0);

  // New field list: score becomes text (no index, exact text match), plan goes away, signup
  // stays; filters answer from the stored values exactly as before.
  json fields = get(*f.c, "/api/v1/campaigns/" + f.campaign + "/fields").body["fields"];
  json changed = json::array();
  for (json fld : fields) {
    if (fld["key"] == "plan") continue;
    if (fld["key"] == "score") fld = {{"key", "score"}, {"label", "Score"}, {"type", "text"}};
    changed.push_back(fld);
  }
  REQUIRE(put(*f.c, "/api/v1/campaigns/" + f.campaign + "/fields", {{"fields", changed}}).status == 200);
  CHECK(total("filter[score]=15") == 1);
  CHECK(total("filter[signup]=..2024-02-29") == 4);
  CHECK(error_code(get(*f.c, f.list_path("filter[plan]=pro"))) == "unknown_filter");
  // And back: the index is rebuilt over the stored participants.
  REQUIRE(put(*f.c, "/api/v1/campaigns/" + f.campaign + "/fields", {{"fields", fields}}).status == 200);
  CHECK(total("filter[plan]=pro") == 4);
  CHECK(total("filter[score]=40..") == 4);
  // A restart finds the indexes as they are (nothing rebuilt, nothing lost).
  f.ts.restart();
  f.c = f.ts.client();
  CHECK(total("filter[plan]=pro") == 4);
  CHECK(total("filter[signup]=..2024-02-29") == 4);
}

TEST_CASE("details: fields in Data-tab order, the latest communication's result, uploads; delete") {
  Fixture f;
  json ana = f.walk("filter[external_id]=E100", 10);
  REQUIRE(ana.size() == 1);
  std::string pid = ana[0]["id"];
  auto d = get(*f.c, "/api/v1/participants/" + pid);
  REQUIRE(d.status == 200);
  std::vector<std::string> keys;
  for (auto& fld : d.body["fields"]) keys.push_back(fld["key"]);
  CHECK(keys == std::vector<std::string>{"notes", "name", "email", "phone", "external_id", "plan", "score", "signup"});
  CHECK(d.body["fields"][0]["value"] == "note 0");
  CHECK(d.body["fields"][1]["value"] == "Ana Prime");
  CHECK(d.body["fields"][6]["value"] == "99");
  CHECK(d.body["result"].is_null());
  CHECK(d.body["upload_ids"] == json::array({f.upload1, f.upload2}));

  auto m1 = post(*f.c, "/api/v1/participants/" + pid + "/communications", {{"name", "First"}});
  REQUIRE(patch(*f.c, "/api/v1/communications/" + m1.body["id"].get<std::string>(),
                {{"status", "Completed"}, {"result", "interested"}, {"result_at", "2026-01-02T03:04:05Z"}})
              .status == 200);
  d = get(*f.c, "/api/v1/participants/" + pid);
  CHECK(d.body["result"] == json{{"result", "interested"}, {"result_at", "2026-01-02T03:04:05Z"}});
  CHECK(d.body["communications"] == 1);
  post(*f.c, "/api/v1/participants/" + pid + "/communications", {{"name", "Second"}});
  d = get(*f.c, "/api/v1/participants/" + pid);
  CHECK(d.body["result"] == json{{"result", nullptr}, {"result_at", nullptr}});  // latest has none yet

  CHECK(del(*f.c, "/api/v1/participants/" + pid).status == 204);
  CHECK(get(*f.c, "/api/v1/participants/" + pid).status == 404);
  CHECK(get(*f.c, "/api/v1/participants/" + pid + "/communications").status == 404);
  CHECK(patch(*f.c, "/api/v1/communications/" + m1.body["id"].get<std::string>(), {{"status", "Read"}}).status == 404);
  CHECK(del(*f.c, "/api/v1/participants/" + pid).status == 404);
  CHECK(get(*f.c, f.list_path("")).body["total"] == 11);
}

TEST_CASE("communications: create, list newest first, status rules, events in order") {
  Fixture f;
  json people = f.walk("sort=external_id", 100);
  std::string p1 = people[0]["id"], p2 = people[1]["id"];
  auto a = post(*f.c, "/api/v1/participants/" + p1 + "/communications",
                {{"name", "Welcome"}, {"channel", "sms"}, {"agent_id", "agent-7"},
                 {"scheduled_at", "2026-11-22T09:30:00Z"}, {"session_id", "s-1"}});
  REQUIRE(a.status == 201);
  CHECK(a.body["status"] == "Planned");
  CHECK(a.body["channel"] == "sms");
  CHECK(a.body["session_id"] == "s-1");
  std::string ida = a.body["id"];
  auto b = post(*f.c, "/api/v1/participants/" + p2 + "/communications", {{"name", "Reminder"}, {"status", "Started"}});
  std::string idb = b.body["id"];
  CHECK(error_code(post(*f.c, "/api/v1/participants/" + p1 + "/communications", {{"name", "X"}, {"status", "Done"}})) ==
        "invalid_status");
  CHECK(post(*f.c, "/api/v1/participants/" + p1 + "/communications", {{"status", "Planned"}}).status == 400);
  CHECK(post(*f.c, "/api/v1/participants/999/communications", {{"name", "X"}}).status == 404);

  CHECK(patch(*f.c, "/api/v1/communications/" + ida, {{"status", "Delivered"}}).body["status"] == "Delivered");
  CHECK(patch(*f.c, "/api/v1/communications/" + ida, {{"status_message", "read receipt pending"}}).status == 200);
  auto ended = patch(*f.c, "/api/v1/communications/" + ida, {{"status", "NoResponse"}});
  CHECK(ended.body["status"] == "NoResponse");
  auto refused = patch(*f.c, "/api/v1/communications/" + ida, {{"status", "Replied"}});
  CHECK(refused.status == 409);
  CHECK(error_code(refused) == "communication_final");
  CHECK(patch(*f.c, "/api/v1/communications/" + idb, {{"status", "Bogus"}}).status == 400);
  CHECK(patch(*f.c, "/api/v1/communications/" + idb, {{"colour", "red"}}).status == 400);
  CHECK(patch(*f.c, "/api/v1/communications/" + idb, {{"status", "Canceled"}}).status == 200);

  post(*f.c, "/api/v1/participants/" + p1 + "/communications", {{"name", "Follow-up"}});
  auto list = get(*f.c, "/api/v1/participants/" + p1 + "/communications");
  REQUIRE(list.body["items"].size() == 2);
  CHECK(list.body["items"][0]["name"] == "Follow-up");
  CHECK(list.body["items"][1]["name"] == "Welcome");
  CHECK(list.body["total"] == 2);

  // Events: every change, in order, followable with after= in small pages without gaps.
  std::vector<std::pair<std::string, std::string>> expected = {
      {"communication.updated", "Planned"},   {"communication.updated", "Started"},
      {"communication.updated", "Delivered"}, {"communication.updated", "Delivered"},
      {"communication.ended", "NoResponse"},  {"communication.ended", "Canceled"},
      {"communication.updated", "Planned"}};
  std::vector<std::pair<std::string, std::string>> seen;
  std::string after = "0";
  int64_t last = 0;
  for (int guard = 0; guard < 20; ++guard) {
    auto page = get(*f.c, "/api/v1/events?limit=2&after=" + after);
    REQUIRE(page.status == 200);
    if (page.body["items"].empty()) break;
    for (auto& e : page.body["items"]) {
      int64_t id = std::stoll(e["id"].get<std::string>());
      CHECK(id > last);
      last = id;
      CHECK(e["campaign_id"] == f.campaign);
      seen.emplace_back(e["type"], e["status"]);
      after = e["id"];
    }
  }
  CHECK(seen == expected);
  CHECK(get(*f.c, "/api/v1/events?after=abc").status == 400);
}

TEST_CASE("sessions: stored and read back; unknown ones are 404") {
  TestServer ts;
  auto c = ts.client();
  json messages = json::array({{{"from", "agent"}, {"text", "Hi! Still interested?"}, {"at", "2026-11-22T09:30:00Z"}},
                               {{"from", "participant"}, {"text", "Yes"}, {"at", "2026-11-22T09:31:00Z"}}});
  auto stored = put(*c, "/api/v1/sessions/s-42", {{"messages", messages}});
  CHECK(stored.status == 200);
  auto read = get(*c, "/api/v1/sessions/s-42");
  CHECK(read.body == json{{"id", "s-42"}, {"messages", messages}});
  CHECK(put(*c, "/api/v1/sessions/s-42", {{"messages", "nope"}}).status == 400);
  CHECK(put(*c, "/api/v1/sessions/s-42", {{"messages", {{{"from", "x"}}}}}).status == 400);
  CHECK(get(*c, "/api/v1/sessions/unknown").status == 404);
}

TEST_CASE("filter values are checked and normalized like the core stores them") {
  Fixture f;
  auto total = [&](const std::string& q) {
    auto r = get(*f.c, f.list_path(q));
    REQUIRE(r.status == 200);
    return r.body["total"].get<int>();
  };
  // Emails compare case-insensitively; number exact filters must be numbers.
  CHECK(total("filter[email]=P3@EXAMPLE.COM") == 1);
  CHECK(total("filter[email]=p3@Example.com") == 1);
  auto abc = get(*f.c, f.list_path("filter[score]=abc"));
  CHECK(abc.status == 400);
  CHECK(error_code(abc) == "invalid_filter");
  CHECK(total("filter[score]=5.0") == 1);
  CHECK(get(*f.c, f.list_path("filter[communications]=abc")).status == 400);
  CHECK(total("filter[communications]=0") == 12);
  // Range ends are dates or datetimes; a date-only upper end includes that whole day.
  char today[16];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(today, sizeof today, "%Y-%m-%d", &tm);
  CHECK(total(std::string("filter[created_at]=..") + today) == 12);
  CHECK(total(std::string("filter[updated_at]=") + today + ".." + today) == 12);
  CHECK(total("filter[created_at]=..2000-01-01") == 0);
  CHECK(total("filter[created_at]=2000-01-01T00:00:00Z..") == 12);
  CHECK(total("filter[signup]=..2024-03-15") == 5);  // signup months 1,2,3 (i % 9)
  for (const char* bad : {"filter[created_at]=yesterday..", "filter[created_at]=..2026-13-01",
                          "filter[signup]=..2024-03-15T00:00:00Z", "filter[score]=1..x"}) {
    auto r = get(*f.c, f.list_path(bad));
    CHECK_MESSAGE(r.status == 400, bad);
    CHECK(error_code(r) == "invalid_filter");
  }
}

TEST_CASE("a phone filter takes the number as people type it (default region US)") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, upload, 0, "_row,name,phone\r\n2,Ana,(212) 555-0134\r\n3,Bob,+44 20 7946 0958\r\n")
              .body["created"] == 2);
  std::string path = "/api/v1/campaigns/" + campaign + "/participants?filter[phone]=";
  CHECK(get(*c, path + "%28212%29%20555-0134").body["total"] == 1);
  CHECK(get(*c, path + "%2B12125550134").body["total"] == 1);
  CHECK(get(*c, path + "%2B442079460958").body["total"] == 1);
  CHECK(get(*c, path + "not-a-phone").status == 400);
}

TEST_CASE("events page with cursor as well as after; unknown parameters are 400") {
  Fixture f;
  auto r = get(*f.c, "/api/v1/events?cursor=0&limit=5");
  CHECK(r.status == 200);
  auto unknown = get(*f.c, "/api/v1/events?since=3");
  CHECK(unknown.status == 400);
  CHECK(error_code(unknown) == "unknown_parameter");
  CHECK(get(*f.c, "/api/v1/events?cursor=abc").status == 400);
}

TEST_CASE("sorted runs stay exact through many batches, updates, repeats within a batch and deletes") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  json fields = get(*c, "/api/v1/campaigns/" + campaign + "/fields").body["fields"];
  fields.push_back({{"key", "plan"}, {"label", "Plan"}, {"type", "enum"}, {"values", {"free", "pro"}}});
  fields.push_back({{"key", "score"}, {"label", "Score"}, {"type", "number"}});
  REQUIRE(put(*c, "/api/v1/campaigns/" + campaign + "/fields", {{"fields", fields}}).status == 200);

  struct Person {
    std::string name, plan;
    int score = -1;
  };
  std::map<std::string, Person> model;  // by external id
  const char* names[] = {"Ana", "bob", "Cid", "Dee", "Eve", "ana", "Zed"};
  // 20 batches (more runs than a tier holds, so runs are merged on the way).
  std::string up = make_upload(*c, campaign);
  int row = 2;
  for (int b = 0; b < 20; ++b) {
    std::string csv = "_row,name,email,external_id,plan,score\r\n";
    for (int k = 0; k < 12; ++k, ++row) {
      int i = b * 12 + k;
      std::string ext = "X" + std::to_string(1000 + i);
      Person p{std::string(names[i % 7]) + (i % 4 ? "" : " Jr"), i % 3 ? "free" : "pro", i % 9};
      model[ext] = p;
      csv += std::to_string(row) + "," + p.name + ",x" + std::to_string(i) + "@example.com," + ext + "," + p.plan +
             "," + std::to_string(p.score) + "\r\n";
    }
    REQUIRE(put_batch(*c, up, b, csv).status == 200);
  }
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", row - 2}}).status == 200);

  // Updates: changed and unchanged names, a value changed twice in one batch, a row created and
  // updated in one batch, and a value changed back in the next batch.
  up = make_upload(*c, campaign);
  std::string csv = "_row,name,external_id,plan\r\n";
  row = 2;
  for (int i = 0; i < 60; i += 3, ++row) {
    std::string ext = "X" + std::to_string(1000 + i);
    if (i % 2) model[ext].name = "Moe";
    model[ext].plan = "pro";
    csv += std::to_string(row) + "," + (i % 2 ? "Moe" : model[ext].name) + "," + ext + ",pro\r\n";
  }
  for (const char* line : {",Kim,X1005,\r\n", ",Lou,X1005,\r\n", ",Nia,X9000,free\r\n", ",Oli,X9000,\r\n"})
    csv += std::to_string(row++) + line;
  model["X1005"].name = "Lou";
  model["X9000"] = Person{"Oli", "free", -1};
  auto applied = put_batch(*c, up, 0, csv);
  INFO(applied.text);
  REQUIRE(applied.status == 200);
  REQUIRE(put_batch(*c, up, 1, "_row,name,external_id\r\n" + std::to_string(row++) + ",Ana,X1005\r\n").status == 200);
  model["X1005"].name = "Ana";
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", row - 2}}).status == 200);

  auto path = [&](const std::string& q) { return "/api/v1/campaigns/" + campaign + "/participants?" + q; };
  auto walk = [&](const std::string& query, int limit) { return all_pages(*c, path(query), limit); };
  // Deletes, every 17th participant.
  json everyone = walk("sort=created_at", 1000);
  for (size_t i = 0; i < everyone.size(); i += 17) {
    REQUIRE(del(*c, "/api/v1/participants/" + everyone[i]["id"].get<std::string>()).status == 204);
    model.erase(everyone[i]["external_id"].get<std::string>());
  }
  everyone = walk("sort=created_at", 1000);  // the truth, read by id order (no runs involved)
  REQUIRE(everyone.size() == model.size());
  for (auto& p : everyone) CHECK(p["name"] == model.at(p["external_id"].get<std::string>()).name);

  auto id_of = [](const json& p) { return std::stoll(p["id"].get<std::string>()); };
  auto expect = [&](auto keep, const std::string& key, bool desc) {
    std::vector<json> v;
    for (auto& p : everyone)
      if (keep(p)) v.push_back(p);
    std::sort(v.begin(), v.end(), [&](const json& a, const json& b) {
      if (a[key] != b[key]) return desc ? b[key] < a[key] : a[key] < b[key];
      return desc ? id_of(b) < id_of(a) : id_of(a) < id_of(b);
    });
    return ids(json(v));
  };
  auto all = [](const json&) { return true; };
  for (std::string key : {"name", "email", "external_id"}) {
    for (bool desc : {false, true}) {
      INFO("sort " << (desc ? "-" : "") << key);
      CHECK(ids(walk("sort=" + std::string(desc ? "-" : "") + key, 7)) == expect(all, key, desc));
    }
  }
  auto lower = [](std::string s) {
    for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  auto total = [&](const std::string& q) { return get(*c, path(q)).body["total"].get<size_t>(); };
  auto has_an = [&](const json& p) { return lower(p["name"].get<std::string>()).find("an") != std::string::npos; };
  CHECK(total("filter%5Bname%5D=~aN") == expect(has_an, "name", false).size());
  CHECK(ids(walk("filter%5Bname%5D=~aN&sort=-name", 5)) == expect(has_an, "name", true));
  auto is_ana = [](const json& p) { return p["name"] == "Ana"; };
  CHECK(total("filter%5Bname%5D=Ana") == expect(is_ana, "name", false).size());
  CHECK(ids(walk("filter%5Bname%5D=Ana&sort=email", 4)) == expect(is_ana, "email", false));
  auto field = [&](const json& p) { return model.at(p["external_id"].get<std::string>()); };
  auto pro = [&](const json& p) { return field(p).plan == "pro"; };
  CHECK(total("filter%5Bplan%5D=pro") == expect(pro, "name", false).size());
  CHECK(ids(walk("filter%5Bplan%5D=pro&sort=-name", 9)) == expect(pro, "name", true));
  auto mid = [&](const json& p) { return field(p).score >= 2 && field(p).score <= 4; };
  CHECK(total("filter%5Bscore%5D=2..4") == expect(mid, "name", false).size());
  CHECK(ids(walk("filter%5Bscore%5D=2.0..4&sort=name", 6)) == expect(mid, "name", false));
  auto three = [&](const json& p) { return field(p).score == 3; };
  CHECK(total("filter%5Bscore%5D=3") == expect(three, "name", false).size());
  CHECK(total("filter%5Bscore%5D=3&filter%5Bplan%5D=pro") ==
        expect([&](const json& p) { return three(p) && pro(p); }, "name", false).size());
}

TEST_CASE("a column with many replaced values is rebuilt without them and stays exact") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  const int n = 4500;  // more replaced names than a column keeps as stale records
  for (int pass = 0; pass < 2; ++pass) {
    std::string up = make_upload(*c, campaign);
    std::string csv = "_row,name,external_id\r\n";
    for (int i = 0; i < n; ++i)
      csv += std::to_string(i + 2) + "," + (pass ? "M" : "N") + std::to_string((i * 7919) % n) + ",E" + std::to_string(i) + "\r\n";
    auto r = put_batch(*c, up, 0, csv);
    REQUIRE(r.status == 200);
    CHECK(r.body[pass ? "updated" : "created"] == n);
    REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", n}}).status == 200);
  }
  auto path = [&](const std::string& q) { return "/api/v1/campaigns/" + campaign + "/participants?" + q; };
  auto first = get(*c, path("sort=name&limit=3"));
  REQUIRE(first.status == 200);
  CHECK(first.body["total"] == n);
  CHECK(first.body["items"][0]["name"] == "M0");
  CHECK(first.body["items"][1]["name"] == "M1");
  CHECK(first.body["items"][2]["name"] == "M10");
  CHECK(get(*c, path("sort=-name&limit=1")).body["items"][0]["name"] == "M999");
  CHECK(get(*c, path("filter%5Bname%5D=~n")).body["total"] == 0);
  CHECK(get(*c, path("filter%5Bname%5D=~m44")).body["total"] == 111);  // M44, M440..M449, M4400..M4499
  CHECK(get(*c, path("filter%5Bname%5D=N5")).body["total"] == 0);
  CHECK(get(*c, path("filter%5Bname%5D=M5")).body["total"] == 1);
}

TEST_CASE("created_at order and filters come from created ranges: exact for any stamps, ties, deletes, reused ids, restarts") {
  TestServer ts;
  auto c = ts.client();
  std::string db = ts.dir() + "/intake.db";
  std::string a = make_campaign(*c, "A"), b = make_campaign(*c, "B");
  const std::string header = "_row,name,email,phone,external_id\r\n";
  auto batch = [&](int from, int n, const std::string& prefix) {
    std::string csv = header;
    for (int i = from; i < from + n; ++i) {
      std::string e = std::to_string(i);
      csv += std::to_string(i + 2) + "," + prefix + "name" + e + ",,," + prefix + e + "\r\n";
    }
    return csv;
  };
  // A: two uploads around one of B's, so the campaigns' ids interleave.
  std::string up = make_upload(*c, a);
  REQUIRE(put_batch(*c, up, 0, batch(0, 7, "E")).body["created"] == 7);
  REQUIRE(put_batch(*c, up, 1, batch(7, 5, "E")).body["created"] == 5);
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 12}}).status == 200);
  std::string upb = make_upload(*c, b);
  REQUIRE(put_batch(*c, upb, 0, batch(0, 4, "F")).body["created"] == 4);
  REQUIRE(post(*c, "/api/v1/uploads/" + upb + "/complete", {{"total_rows", 4}}).status == 200);
  std::string up2 = make_upload(*c, a);
  REQUIRE(put_batch(*c, up2, 0, batch(12, 6, "E")).body["created"] == 6);
  REQUIRE(post(*c, "/api/v1/uploads/" + up2 + "/complete", {{"total_rows", 6}}).status == 200);

  // Communications: 1 or 2 for some participants (the rest keep 0).
  auto communicate = [&](int64_t id, int times) {
    for (int k = 0; k < times; ++k)
      REQUIRE(post(*c, "/api/v1/participants/" + std::to_string(id) + "/communications", {{"name", "Call"}}).status == 201);
  };
  for (int64_t id : {2, 5, 6, 8, 11, 14, 15, 20}) communicate(id, 1 + int(id % 2));

  // A database from before v8 with stamps in no relation to the ids: ties across non-adjacent
  // ids, later ids created earlier. The migration makes its ranges from the rows.
  ts.stop();
  run_sql(db,
          "UPDATE participants SET created_at = CASE id % 5 WHEN 0 THEN '2026-01-02T00:00:00Z' "
          "WHEN 1 THEN '2025-12-31T23:59:59Z' WHEN 2 THEN '2026-01-02T00:00:00Z' "
          "WHEN 3 THEN '2026-03-01T10:00:00Z' ELSE '2025-12-31T08:00:00Z' END; "
          "UPDATE participants SET created_at = '2026-02-10T00:00:00Z' WHERE id BETWEEN 8 AND 10; "
          // Most never updated (updated_at = created_at); some updated, a few of them to a
          // stamp other participants were created with (ties between the two parts).
          "UPDATE participants SET updated_at = created_at WHERE id % 3 <> 0; "
          "UPDATE participants SET updated_at = '2026-01-02T00:00:00Z' WHERE id % 3 = 0 AND id % 2 = 0; "
          "UPDATE participants SET updated_at = '2026-02-20T00:00:00Z' WHERE id = 10; " +
              std::string(kUndoCreatedRangesSql) + "PRAGMA user_version = 7;");
  ts.start();
  c = ts.client();
  REQUIRE(run_sql(db, "PRAGMA user_version") == 11);

  auto path = [&](const std::string& campaign, const std::string& q) {
    return "/api/v1/campaigns/" + campaign + "/participants?" + q;
  };
  auto walk = [&](const std::string& campaign, const std::string& query, int limit) {
    return all_pages(*c, path(campaign, query), limit);
  };
  auto id_of = [](const json& p) { return std::stoll(p["id"].get<std::string>()); };
  // The truth: every participant (read in external_id order, from the sort runs), sorted here.
  auto expect_by = [&](const std::string& campaign, auto keep, bool desc, const char* key) {
    std::vector<json> v;
    for (auto& p : walk(campaign, "sort=external_id", 1000))
      if (keep(p)) v.push_back(p);
    std::sort(v.begin(), v.end(), [&](const json& x, const json& y) {
      if (x[key] != y[key]) return desc ? y[key] < x[key] : x[key] < y[key];
      return desc ? id_of(y) < id_of(x) : id_of(x) < id_of(y);
    });
    return ids(json(v));
  };
  auto expect = [&](const std::string& campaign, auto keep, bool desc) {
    return expect_by(campaign, keep, desc, "created_at");
  };
  auto total = [&](const std::string& campaign, const std::string& q) {
    auto r = get(*c, path(campaign, q));
    REQUIRE(r.status == 200);
    return r.body["total"].get<size_t>();
  };
  auto all = [](const json&) { return true; };
  auto stamp_is = [](const char* s) { return [s](const json& p) { return p["created_at"] == s; }; };
  auto in_jan = [](const json& p) { return p["created_at"].get<std::string>().find("2026-01") != std::string::npos; };
  auto early = [](const json& p) {
    std::string s = p["created_at"];
    return s >= "2025-12-31T12:00:00Z" && s <= "2026-02-10T00:00:00Z";
  };
  auto has_1 = [](const json& p) { return p["name"].get<std::string>().find('1') != std::string::npos; };
  auto check_all = [&](const std::string& stage) {
    INFO(stage);
    // The ranges' counters: live participants, and those without communications.
    CHECK(run_sql(db, "SELECT sum(live) FROM created_ranges") == run_sql(db, "SELECT count(*) FROM participants"));
    CHECK(run_sql(db, "SELECT sum(zero) FROM created_ranges") ==
          run_sql(db, "SELECT count(*) FROM participants WHERE communications = 0"));
    CHECK(run_sql(db, "SELECT sum(base) FROM created_ranges") ==
          run_sql(db, "SELECT count(*) FROM participants WHERE updated_at = created_at"));
    const std::string contains = "filter%5Bcreated_at%5D=~2026-01";
    for (const std::string& campaign : {a, b}) {
      for (bool desc : {false, true}) {
        INFO(stage << ", campaign " << campaign << (desc ? ", descending" : ", ascending"));
        std::string sort = desc ? "sort=-created_at" : "sort=created_at";
        for (int limit : {1, 2, 3, 50}) CHECK(ids(walk(campaign, sort, limit)) == expect(campaign, all, desc));
        // communications: those without any in id order (from the ranges), the others from
        // their partial index.
        std::string by_count = desc ? "sort=-communications" : "sort=communications";
        for (int limit : {1, 2, 50})
          CHECK(ids(walk(campaign, by_count, limit)) == expect_by(campaign, all, desc, "communications"));
        CHECK(ids(walk(campaign, contains + "&filter%5Bname%5D=~1&" + by_count, 1)) ==
              expect_by(campaign, [&](const json& p) { return in_jan(p) && has_1(p); }, desc, "communications"));
        // updated_at: the never-updated participants (from the ranges) merged with the updated
        // ones (partial index), ties between the two broken by id; its filters count both.
        std::string by_update = desc ? "sort=-updated_at" : "sort=updated_at";
        for (int limit : {1, 2, 50})
          CHECK(ids(walk(campaign, by_update, limit)) == expect_by(campaign, all, desc, "updated_at"));
        auto u_is = [](const json& p) { return p["updated_at"] == "2026-01-02T00:00:00Z"; };
        auto u_jan = [](const json& p) { return p["updated_at"].get<std::string>().find("2026-01") != std::string::npos; };
        auto u_early = [](const json& p) {
          std::string s = p["updated_at"];
          return s >= "2025-12-31T12:00:00Z" && s <= "2026-02-10T00:00:00Z";
        };
        std::string u_eq = "filter%5Bupdated_at%5D=2026-01-02T00:00:00Z", u_contains = "filter%5Bupdated_at%5D=~2026-01",
                    u_range = "filter%5Bupdated_at%5D=2025-12-31T12:00:00Z..2026-02-10T00:00:00Z";
        CHECK(total(campaign, u_eq) == expect_by(campaign, u_is, desc, "updated_at").size());
        CHECK(total(campaign, u_contains) == expect_by(campaign, u_jan, desc, "updated_at").size());
        CHECK(total(campaign, u_range) == expect_by(campaign, u_early, desc, "updated_at").size());
        CHECK(ids(walk(campaign, u_eq + "&" + by_update, 1)) == expect_by(campaign, u_is, desc, "updated_at"));
        CHECK(ids(walk(campaign, u_range + "&" + by_update, 2)) == expect_by(campaign, u_early, desc, "updated_at"));
        CHECK(ids(walk(campaign, u_contains + "&" + sort, 2)) == expect_by(campaign, u_jan, desc, "created_at"));
        CHECK(ids(walk(campaign, u_contains + "&sort=" + (desc ? "-" : "") + "name", 2)) ==
              expect_by(campaign, u_jan, desc, "name"));
        auto u_and_c = [&](const json& p) { return u_early(p) && in_jan(p); };
        CHECK(total(campaign, u_range + "&" + contains) == expect_by(campaign, u_and_c, desc, "updated_at").size());
        CHECK(ids(walk(campaign, u_range + "&" + contains + "&" + by_update, 2)) ==
              expect_by(campaign, u_and_c, desc, "updated_at"));
        // (10 was created 2026-02-10 beside 8, never updated, and updated 2026-02-20.)
        auto u_feb = [](const json& p) { return p["updated_at"].get<std::string>().find("2026-02") != std::string::npos; };
        CHECK(total(campaign, "filter%5Bupdated_at%5D=~2026-02&filter%5Bname%5D=~name") ==
              expect_by(campaign, u_feb, desc, "updated_at").size());
        CHECK(ids(walk(campaign, "filter%5Bupdated_at%5D=~2026-02&sort=name", 1)) == expect_by(campaign, u_feb, false, "name"));
        auto u_and_1 = [&](const json& p) { return u_jan(p) && has_1(p); };
        CHECK(total(campaign, u_contains + "&filter%5Bname%5D=~1") == expect_by(campaign, u_and_1, desc, "updated_at").size());
        CHECK(ids(walk(campaign, u_contains + "&filter%5Bname%5D=~1&" + by_update, 1)) ==
              expect_by(campaign, u_and_1, desc, "updated_at"));
        CHECK(total(campaign, "") == expect(campaign, all, desc).size());
        // Filters on created_at: exact, contains, a range, a date-only upper end (that whole day).
        std::string eq = "filter%5Bcreated_at%5D=2026-01-02T00:00:00Z";
        CHECK(total(campaign, eq) == expect(campaign, stamp_is("2026-01-02T00:00:00Z"), desc).size());
        CHECK(ids(walk(campaign, eq + "&" + sort, 2)) == expect(campaign, stamp_is("2026-01-02T00:00:00Z"), desc));
        CHECK(total(campaign, contains) == expect(campaign, in_jan, desc).size());
        CHECK(ids(walk(campaign, contains + "&" + sort, 3)) == expect(campaign, in_jan, desc));
        std::string range = "filter%5Bcreated_at%5D=2025-12-31T12:00:00Z..2026-02-10T00:00:00Z";
        CHECK(total(campaign, range) == expect(campaign, early, desc).size());
        CHECK(ids(walk(campaign, range + "&" + sort, 2)) == expect(campaign, early, desc));
        CHECK(total(campaign, "filter%5Bcreated_at%5D=..2025-12-31") ==
              expect(campaign, [](const json& p) { return p["created_at"].get<std::string>() < "2026"; }, desc).size());
        // With another filter (rows tested one by one) and sorted by another column.
        std::string both = contains + "&filter%5Bname%5D=~1";
        auto jan_1 = [&](const json& p) { return in_jan(p) && has_1(p); };
        CHECK(total(campaign, both) == expect(campaign, jan_1, desc).size());
        CHECK(ids(walk(campaign, both + "&" + sort, 2)) == expect(campaign, jan_1, desc));
        CHECK(walk(campaign, range + "&sort=name", 2).size() == expect(campaign, early, desc).size());
      }
    }
    // An upload's participants in created_at order.
    auto of_up2 = [&](const json& p) {
      int n = std::stoi(p["external_id"].get<std::string>().substr(1));
      return p["external_id"].get<std::string>()[0] == 'E' && n >= 12 && n < 18;
    };
    CHECK(ids(walk(a, "upload_id=" + up2 + "&sort=-created_at", 2)) == expect(a, of_up2, true));
    // An upload's participants with an updated_at filter: both parts, counted in SQL.
    auto of_up_feb = [&](const json& p) {
      int n = std::stoi(p["external_id"].get<std::string>().substr(1));
      return n < 12 && p["updated_at"].get<std::string>().find("2026-02") != std::string::npos;
    };
    CHECK(total(a, "upload_id=" + up + "&filter%5Bupdated_at%5D=~2026-02") == expect(a, of_up_feb, false).size());
    CHECK(ids(walk(a, "upload_id=" + up + "&filter%5Bupdated_at%5D=~2026-02&sort=updated_at", 1)) ==
          expect_by(a, of_up_feb, false, "updated_at"));
  };
  check_all("migrated");

  // Deletes: one in the middle of a range, and A's largest id, which SQLite gives out again to
  // the next created participant (the new row must not join the deleted one's range).
  json everyone = walk(a, "sort=external_id", 1000);
  int64_t largest = 0;
  for (auto& p : everyone) largest = std::max(largest, int64_t(id_of(p)));
  // (8 has communications and shares its range with 10, which has none.)
  for (int64_t id : {int64_t(3), int64_t(9), int64_t(8), largest})
    REQUIRE(del(*c, "/api/v1/participants/" + std::to_string(id)).status == 204);
  check_all("after deletes");
  communicate(1, 1);
  communicate(2, 1);
  communicate(13, 2);
  check_all("after more communications");
  std::string up3 = make_upload(*c, a);
  REQUIRE(put_batch(*c, up3, 0, batch(30, 3, "E")).body["created"] == 3);
  REQUIRE(post(*c, "/api/v1/uploads/" + up3 + "/complete", {{"total_rows", 3}}).status == 200);
  auto e30 = get(*c, path(a, "filter%5Bexternal_id%5D=E30")).body["items"];
  REQUIRE(e30.size() == 1);
  CHECK(id_of(e30[0]) == largest);
  // An update does not move a participant in the created_at order.
  std::string up4 = make_upload(*c, a);
  REQUIRE(put_batch(*c, up4, 0, header + "2,Renamed,,,E5\r\n3,Again,,,E0\r\n4,Also,,,E4\r\n").body["updated"] == 3);
  REQUIRE(post(*c, "/api/v1/uploads/" + up4 + "/complete", {{"total_rows", 3}}).status == 200);
  check_all("after new rows");
  // The reused id deleted again: only its new range loses it.
  REQUIRE(del(*c, "/api/v1/participants/" + std::to_string(largest)).status == 204);
  check_all("after deleting the reused id");
  ts.restart();
  c = ts.client();
  check_all("after a restart");
  // A reused id within one second: the deleted participant's range (same stamp) is cut back,
  // or its new owner would be listed twice. Retried until both batches share their second.
  bool same_second = false;
  for (int attempt = 0; attempt < 5 && !same_second; ++attempt) {
    std::string u = make_upload(*c, a);
    REQUIRE(put_batch(*c, u, 0, batch(100 + attempt * 10, 3, "E")).body["created"] == 3);
    json first = walk(a, "sort=-created_at", 3);
    REQUIRE(del(*c, "/api/v1/participants/" + first[0]["id"].get<std::string>()).status == 204);
    REQUIRE(put_batch(*c, u, 1, batch(105 + attempt * 10, 2, "E")).body["created"] == 2);
    REQUIRE(post(*c, "/api/v1/uploads/" + u + "/complete", {{"total_rows", 5}}).status == 200);
    json latest = walk(a, "sort=-created_at", 4);
    same_second = latest[3]["created_at"] == latest[0]["created_at"];
    check_all("after an id reused within a second");
  }
  CHECK(same_second);
  // Deleting a campaign takes its ranges.
  REQUIRE(del(*c, "/api/v1/campaigns/" + b).status == 204);
  CHECK(run_sql(db, "SELECT count(*) FROM created_ranges WHERE campaign = " + b) == 0);
  CHECK(total(a, "") == expect(a, all, false).size());
}

TEST_CASE("created ranges span at most 1024 ids, from batches and from the migration") {
  TestServer ts;
  auto c = ts.client();
  std::string db = ts.dir() + "/intake.db";
  std::string campaign = make_campaign(*c);
  auto batch = [&](int from, int n) {
    std::string csv = "_row,name,external_id\r\n";
    for (int i = from; i < from + n; ++i)
      csv += std::to_string(i + 2) + ",N" + std::to_string(i % 7) + ",X" + std::to_string(i) + "\r\n";
    return csv;
  };
  std::string up = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, up, 0, batch(0, 1500)).body["created"] == 1500);
  REQUIRE(put_batch(*c, up, 1, batch(1500, 1000)).body["created"] == 1000);
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", 2500}}).status == 200);
  auto path = [&](const std::string& q) { return "/api/v1/campaigns/" + campaign + "/participants?" + q; };
  auto walk = [&](const std::string& query, int limit) { return all_pages(*c, path(query), limit); };
  auto check = [&](const std::string& stage) {
    INFO(stage);
    CHECK(run_sql(db, "SELECT max(last_id - first_id + 1) FROM created_ranges") <= 1024);
    CHECK(run_sql(db, "SELECT count(*) FROM created_ranges") >= 3);
    CHECK(run_sql(db, "SELECT sum(live) FROM created_ranges") == run_sql(db, "SELECT count(*) FROM participants"));
    std::vector<json> v;
    for (auto& p : walk("sort=external_id", 1000)) v.push_back(p);
    auto id_of = [](const json& p) { return std::stoll(p["id"].get<std::string>()); };
    for (bool desc : {false, true}) {
      std::sort(v.begin(), v.end(), [&](const json& x, const json& y) {
        if (x["created_at"] != y["created_at"]) return desc ? y["created_at"] < x["created_at"] : x["created_at"] < y["created_at"];
        return desc ? id_of(y) < id_of(x) : id_of(x) < id_of(y);
      });
      CHECK(ids(walk(desc ? "sort=-created_at" : "sort=created_at", 300)) == ids(json(v)));
    }
  };
  check("from batches");
  // From the migration: one stamp for all, so only the span cap splits them.
  ts.stop();
  run_sql(db,
          "UPDATE participants SET created_at = '2026-05-05T05:05:05Z'; " +
              std::string(kUndoCreatedRangesSql) + "PRAGMA user_version = 7;");
  ts.start();
  c = ts.client();
  check("from the migration");
}

namespace {

// Rewrites every front-coded sort block of the database file in the plain layout that blocks
// had before front coding (see the top of server/store/sort_runs.cpp; decoded here from that
// description, not with the server's code). Returns how many it rewrote.
int64_t rewrite_blocks_plain(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto varint = [](const std::string& in, size_t& pos) {
    uint64_t v = 0;
    for (int shift = 0; pos < in.size(); shift += 7) {
      uint8_t b = uint8_t(in[pos++]);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  auto put = [](std::string& out, uint64_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(char(uint8_t(v) | 0x80));
    out.push_back(char(v));
  };
  std::vector<std::pair<int64_t, std::string>> plain;
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, entries FROM sort_blocks", -1, &s, nullptr) == SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::string blob(static_cast<const char*>(sqlite3_column_blob(s, 1)), size_t(sqlite3_column_bytes(s, 1)));
    REQUIRE(!blob.empty());
    if (blob[0] != 0) continue;  // already plain
    size_t pos = 1;
    uint64_t n = varint(blob, pos), size = varint(blob, pos);
    std::string values, pairs, prev;
    uint64_t id = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t shared = varint(blob, pos), rest = varint(blob, pos);
      REQUIRE(shared <= prev.size());
      REQUIRE(rest <= blob.size() - pos);
      std::string value = prev.substr(0, shared) + blob.substr(pos, rest);
      pos += rest;
      uint64_t zigzag = varint(blob, pos);
      id += (zigzag & 1) ? ~(zigzag >> 1) : (zigzag >> 1);
      values += value;
      put(pairs, value.size());
      put(pairs, id);
      prev = value;
    }
    REQUIRE(pos == blob.size());
    REQUIRE(values.size() == size);
    std::string out;
    put(out, n);
    put(out, values.size());
    plain.emplace_back(sqlite3_column_int64(s, 0), out + values + pairs);
  }
  sqlite3_finalize(s);
  REQUIRE(sqlite3_prepare_v2(db, "UPDATE sort_blocks SET entries = ?2 WHERE id = ?1", -1, &s, nullptr) == SQLITE_OK);
  for (const auto& [id, blob] : plain) {
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_blob(s, 2, blob.data(), int(blob.size()), SQLITE_STATIC);
    REQUIRE(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return int64_t(plain.size());
}

}  // namespace

TEST_CASE("sort blocks written before front coding read the same, and merge with front-coded ones") {
  // Two servers take the same batches; one of them has its blocks rewritten in the plain layout
  // between batches. Every sort and filter must answer the same on both, before and after runs
  // of both layouts are merged.
  TestServer plain_ts, coded_ts;
  auto pc = plain_ts.client(), cc = coded_ts.client();
  std::string db = plain_ts.dir() + "/intake.db";
  std::string campaign;
  for (auto* c : {pc.get(), cc.get()}) {
    campaign = make_campaign(*c);
    json fields = get(*c, "/api/v1/campaigns/" + campaign + "/fields").body["fields"];
    fields.push_back({{"key", "plan"}, {"label", "Plan"}, {"type", "enum"}, {"values", {"free", "pro"}}});
    fields.push_back({{"key", "score"}, {"label", "Score"}, {"type", "number"}});
    REQUIRE(put(*c, "/api/v1/campaigns/" + campaign + "/fields", {{"fields", fields}}).status == 200);
  }
  // Names and emails sharing long prefixes, equal values, an empty-prefix jump, numbers whose
  // encoded bytes share prefixes (and hold zero bytes).
  const char* names[] = {"Ana", "Anabel", "Ana Jr", "Anastasia", "ana", "Bob", "Bobby", "Zoë", "Zoë Ann"};
  int row = 2;
  auto send = [&](const std::string& up, int seq, int from, int n) {
    std::string csv = "_row,name,email,external_id,plan,score\r\n";
    for (int i = from; i < from + n; ++i, ++row)
      csv += std::to_string(row) + "," + names[(i * 7) % 9] + ",anabel." + std::to_string(i % 23) + "." +
             std::to_string(i) + "@example.com,X" + std::to_string(100000 + (i * 37) % 1201) + "," +
             (i % 3 ? "free" : "pro") + "," + std::to_string((i % 11) * 1.25) + "\r\n";
    for (auto* c : {pc.get(), cc.get()}) REQUIRE(put_batch(*c, up, seq, csv).status == 200);
  };
  auto path = [&](const std::string& q) { return "/api/v1/campaigns/" + campaign + "/participants?" + q; };
  auto same = [](const json& a, const json& b) {
    REQUIRE(a.size() == b.size());
    for (auto& [key, value] : a.items()) {
      INFO(key);
      CHECK(value == b[key]);
    }
  };
  auto answers = [&](httplib::Client& c) {
    json out;
    for (std::string sort : {"name", "-name", "email", "-email", "external_id", "-external_id"}) {
      INFO("sort=" << sort);
      out[sort] = ids(all_pages(c, path("sort=" + sort), 7));
    }
    for (std::string filter : {"name%5D=~an", "name%5D=~a%20j", "name%5D=~jra", "name%5D=Ana", "email%5D=~l.1",
                               "email%5D=~comanabel", "plan%5D=pro", "score%5D=2..5", "score%5D=1.25",
                               "external_id%5D=~0010"}) {
      INFO("filter[" << filter);
      out[filter] = get(c, path("filter%5B" + filter)).body["total"];
      out[filter + " ids"] = ids(all_pages(c, path("filter%5B" + filter + "&sort=-name"), 50));
    }
    return out;
  };
  // The truth for the name order: the names sent, sorted by bytes.
  auto check_names = [&](httplib::Client& c, int n) {
    std::vector<std::string> want, got;
    for (int i = 0; i < n; ++i) want.push_back(names[(i * 7) % 9]);
    std::sort(want.begin(), want.end());
    for (auto& p : all_pages(c, path("sort=name"), 50)) got.push_back(p["name"]);
    CHECK(got == want);
  };
  std::string up = make_upload(*pc, campaign);
  REQUIRE(make_upload(*cc, campaign) == up);
  for (int b = 0; b < 10; ++b) send(up, b, b * 40, 40);
  check_names(*cc, 400);
  same(answers(*pc), answers(*cc));
  CHECK(answers(*pc)["name%5D=~a%20j"] > 0);
  CHECK(answers(*pc)["name%5D=~jra"] == 0);  // "Ana Jr" + "Anabel": a hit across two values

  plain_ts.stop();
  CHECK(rewrite_blocks_plain(db) > 0);
  plain_ts.start();
  pc = plain_ts.client();
  same(answers(*pc), answers(*cc));
  check_names(*pc, 400);
  // More batches: tiers fill, and runs of both layouts are merged into front-coded ones.
  int64_t plain_before = run_sql(db, "SELECT count(*) FROM sort_blocks WHERE substr(entries, 1, 1) <> x'00'");
  for (int b = 10; b < 30; ++b) send(up, b, b * 40, 40);
  CHECK(run_sql(db, "SELECT count(*) FROM sort_blocks WHERE substr(entries, 1, 1) <> x'00'") < plain_before);
  same(answers(*pc), answers(*cc));
  check_names(*pc, 1200);
  for (auto* c : {pc.get(), cc.get()})
    REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", row - 2}}).status == 200);
}

TEST_CASE("a sort block of zero entries is refused as corrupt by merges too, not read past its end") {
  // decode() accepts a front-coded block that says n = 0 (x'000000'); walks refuse it
  // (take_block), but merged_entries puts each run's first block on its heap and reads its
  // entry 0: with the first-tier merge that 16 batch runs start, the merge thread reads
  // Block::off[0] of an empty vector and the whole server process dies.
  TestServer ts;
  auto c = ts.client();
  std::string db = ts.dir() + "/intake.db";
  std::string campaign = make_campaign(*c);
  std::string up = make_upload(*c, campaign);
  int row = 2;
  auto send = [&](int seq) {
    std::string csv = "_row,name,email,phone,external_id\r\n";
    for (int k = 0; k < 2; ++k, ++row)
      csv += std::to_string(row) + ",Name " + std::to_string(row) + ",,,E" + std::to_string(row) + "\r\n";
    REQUIRE(put_batch(*c, up, seq, csv).status == 200);
  };
  for (int b = 0; b < 3; ++b) send(b);
  ts.stop();
  run_sql(db, "UPDATE sort_blocks SET entries = x'000000' WHERE col = 'name' AND "
              "run = (SELECT min(run) FROM sort_blocks WHERE col = 'name')");
  ts.start();
  c = ts.client();
  // A walk refuses the block with a 500, as it does any corrupt block.
  CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=name").status == 500);
  for (int b = 3; b < 17; ++b) send(b);  // 17 runs: the first tier is full, merged in the background
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The server is still there (the merge failed and was logged, not a crash).
  CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=external_id").status == 200);
}

TEST_CASE("a malformed sort block cannot make a walk allocate gigabytes") {
  // decode_front_coded sizes its buffer from the block's own values size, bounded only by
  // n * blob size and 2^31: a 46 KB block claiming 46,400 entries and 2 GiB of values gets a
  // zero-filled 2 GiB string before its first entry is checked. (The server runs in this
  // process, so its peak RSS is ours.)
  auto peak_mib = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return int64_t(u.ru_maxrss / 1024);
  };
  TestServer ts;
  auto c = ts.client();
  std::string db = ts.dir() + "/intake.db";
  std::string campaign = make_campaign(*c);
  std::string up = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, up, 0, "_row,name,email,phone,external_id\r\n2,Ana,,,E1\r\n").status == 200);
  ts.stop();
  // byte 0, varint n = 46400 (c0 ea 02), varint size = 2^31 (80 80 80 80 08), then entries of
  // three zero bytes (shared 0, rest 0, id delta 0) up to 46,400 bytes.
  run_sql(db, "UPDATE sort_blocks SET entries = CAST(x'00c0ea028080808008' || zeroblob(46400 - 9) AS BLOB) "
              "WHERE col = 'name'");
  REQUIRE(run_sql(db, "SELECT length(entries) FROM sort_blocks WHERE col = 'name'") == 46400);
  ts.start();
  c = ts.client();
  int64_t before = peak_mib();
  CHECK(get(*c, "/api/v1/campaigns/" + campaign + "/participants?sort=name").status == 500);
  INFO("peak RSS before " << before << " MiB, after " << peak_mib() << " MiB");
  CHECK(peak_mib() - before < 256);
}

TEST_CASE("sort runs keep long values exactly: blocks of their own, prefixes shared past 127 bytes") {
  TestServer ts;
  auto c = ts.client();
  std::string campaign = make_campaign(*c);
  // Names of ~4.5 KB (longer than a block holds: each gets a block of its own) sharing ~4 KB
  // prefixes, ~300-byte names sharing 200+ bytes (a shared length that takes two varint bytes),
  // and short ones between them; 20 batches, so runs are merged too (TestServer merges at 16).
  json fields = get(*c, "/api/v1/campaigns/" + campaign + "/fields").body["fields"];
  for (auto& f : fields)
    if (f["key"] == "name") f["max_length"] = 10000;  // the default, 1000, would refuse them
  REQUIRE(put(*c, "/api/v1/campaigns/" + campaign + "/fields", {{"fields", fields}}).status == 200);
  const std::string big(4000, 'q'), mid(250, 'm');
  std::vector<std::string> names;
  std::string up = make_upload(*c, campaign);
  int row = 2;
  for (int b = 0; b < 20; ++b) {
    std::string csv = "_row,name,external_id\r\n";
    for (int k = 0; k < 6; ++k, ++row) {
      int i = b * 6 + k;
      std::string name = i % 3 == 0 ? big + std::to_string((i * 7) % 50) + std::string(size_t(i % 5) * 100, 'z')
                         : i % 3 == 1 ? mid + std::to_string((i * 13) % 40)
                                      : "s" + std::to_string(i % 9);
      names.push_back(name);
      csv += std::to_string(row) + "," + name + ",L" + std::to_string(i) + "\r\n";
    }
    auto r = put_batch(*c, up, b, csv);
    INFO(r.text);
    REQUIRE(r.body["created"] == 6);
  }
  REQUIRE(post(*c, "/api/v1/uploads/" + up + "/complete", {{"total_rows", row - 2}}).status == 200);
  auto path = [&](const std::string& q) { return "/api/v1/campaigns/" + campaign + "/participants?" + q; };
  std::vector<std::string> want = names, got;
  std::sort(want.begin(), want.end());
  for (auto& p : all_pages(*c, path("sort=name"), 9)) got.push_back(p["name"]);
  CHECK(got == want);
  auto count = [&](auto keep) { return size_t(std::count_if(names.begin(), names.end(), keep)); };
  CHECK(get(*c, path("filter%5Bname%5D=~qq7z")).body["total"] ==
        count([](const std::string& n) { return n.find("qq7z") != std::string::npos; }));
  CHECK(get(*c, path("filter%5Bname%5D=~m1")).body["total"] ==
        count([](const std::string& n) { return n.find("m1") != std::string::npos; }));
  CHECK(get(*c, path("filter%5Bname%5D=" + names[3])).body["total"] == count([&](const std::string& n) { return n == names[3]; }));
}
