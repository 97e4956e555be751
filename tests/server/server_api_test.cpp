// Server API basics over HTTP: auth, tokens, campaigns and fields, OpenAPI completeness,
// refusals (404/405/400/411/413/415), and persistence across a restart.
#include "test_server.h"

using namespace intake::test;

TEST_CASE("every /api/v1 route but openapi.json refuses a missing or unknown token") {
  TestServer ts;
  auto anon = ts.client("");
  auto r = get(*anon, "/api/v1/campaigns");
  CHECK(r.status == 401);
  CHECK(error_code(r) == "unauthorized");
  auto wrong = ts.client("itk_not_a_token");
  CHECK(get(*wrong, "/api/v1/campaigns").status == 401);
  CHECK(post(*wrong, "/api/v1/tokens", {{"name", "x"}}).status == 401);
  CHECK(get(*anon, "/api/v1/openapi.json").status == 200);
  auto admin = ts.client();
  CHECK(get(*admin, "/api/v1/campaigns").status == 200);
}

TEST_CASE("tokens: created with a secret shown once, listed without secrets, revoked") {
  TestServer ts;
  auto admin = ts.client();
  auto created = post(*admin, "/api/v1/tokens", {{"name", "sync job"}});
  REQUIRE(created.status == 201);
  std::string secret = created.body["token"];
  CHECK(secret.rfind("itk_", 0) == 0);
  auto job = ts.client(secret);
  CHECK(get(*job, "/api/v1/campaigns").status == 200);

  auto list = get(*admin, "/api/v1/tokens");
  REQUIRE(list.status == 200);
  CHECK(list.body["total"] == 2);
  for (auto& t : list.body["items"]) CHECK_FALSE(t.contains("token"));
  CHECK(list.text.find(secret) == std::string::npos);

  CHECK(post(*admin, "/api/v1/tokens", json::object()).status == 400);
  std::string id = created.body["id"];
  CHECK(del(*admin, "/api/v1/tokens/" + id).status == 204);
  CHECK(get(*job, "/api/v1/campaigns").status == 401);
  CHECK(del(*admin, "/api/v1/tokens/" + id).status == 404);
}

TEST_CASE("campaigns: create, read, list, rename, delete, with errors for bad input") {
  TestServer ts;
  auto c = ts.client();
  auto made = post(*c, "/api/v1/campaigns", {{"name", "Spring"}});
  REQUIRE(made.status == 201);
  std::string id = made.body["id"];
  CHECK(made.body["name"] == "Spring");
  CHECK(made.body["created_at"].get<std::string>().back() == 'Z');

  CHECK(get(*c, "/api/v1/campaigns/" + id).body["name"] == "Spring");
  CHECK(patch(*c, "/api/v1/campaigns/" + id, {{"name", "Summer"}}).body["name"] == "Summer");
  make_campaign(*c, "Autumn");
  auto page1 = get(*c, "/api/v1/campaigns?limit=1");
  CHECK(page1.body["total"] == 2);
  REQUIRE(page1.body["next_cursor"].is_string());
  auto page2 = get(*c, "/api/v1/campaigns?limit=1&cursor=" + page1.body["next_cursor"].get<std::string>());
  CHECK(page2.body["items"][0]["name"] == "Autumn");
  CHECK(page2.body["next_cursor"].is_null());

  CHECK(error_code(post(*c, "/api/v1/campaigns", {{"name", 5}})) == "invalid_field");
  CHECK(error_code(post(*c, "/api/v1/campaigns", {{"name", "x"}, {"colour", "red"}})) == "unknown_field");
  auto malformed = reply_of(c->Post("/api/v1/campaigns", "{\"name\":", "application/json"));
  CHECK(malformed.status == 400);
  CHECK(error_code(malformed) == "invalid_json");
  auto wrong_type = reply_of(c->Post("/api/v1/campaigns", "name=x", "text/plain"));
  CHECK(wrong_type.status == 415);
  CHECK(get(*c, "/api/v1/campaigns?limit=0").status == 400);
  CHECK(get(*c, "/api/v1/campaigns/999").status == 404);
  CHECK(get(*c, "/api/v1/campaigns/abc").status == 404);

  CHECK(del(*c, "/api/v1/campaigns/" + id).status == 204);
  CHECK(get(*c, "/api/v1/campaigns/" + id).status == 404);
}

TEST_CASE("fields: the identity fields first, replaced in order, 422 with problems, 409 while processing") {
  TestServer ts;
  auto c = ts.client();
  std::string id = make_campaign(*c);
  auto fields = get(*c, "/api/v1/campaigns/" + id + "/fields");
  REQUIRE(fields.status == 200);
  REQUIRE(fields.body["fields"].size() == 4);

  json list = fields.body["fields"];
  list.push_back({{"key", "plan"}, {"label", "Plan"}, {"type", "enum"}, {"values", {"free", "pro"}},
                  {"required", false}, {"import", true}});
  list.insert(list.begin(), json{{"key", "signup"}, {"label", "Signup"}, {"type", "date"},
                                 {"required", false}, {"import", true}});
  auto replaced = put(*c, "/api/v1/campaigns/" + id + "/fields", {{"fields", list}});
  REQUIRE(replaced.status == 200);
  auto again = get(*c, "/api/v1/campaigns/" + id + "/fields");
  CHECK(again.body["fields"].size() == 6);
  CHECK(again.body["fields"][0]["key"] == "signup");
  CHECK(again.body["fields"][5]["key"] == "plan");

  json bad = list;
  bad.push_back({{"key", "plan"}, {"label", "Again"}, {"type", "text"}});
  auto invalid = put(*c, "/api/v1/campaigns/" + id + "/fields", {{"fields", bad}});
  CHECK(invalid.status == 422);
  CHECK(error_code(invalid) == "invalid_fields");
  CHECK(invalid.body["error"]["problems"].size() >= 1);
  CHECK(put(*c, "/api/v1/campaigns/" + id + "/fields", {{"nope", 1}}).status == 400);

  std::string upload = make_upload(*c, id);
  auto locked = put(*c, "/api/v1/campaigns/" + id + "/fields", {{"fields", list}});
  CHECK(locked.status == 409);
  CHECK(error_code(locked) == "upload_in_progress");
  CHECK(post(*c, "/api/v1/uploads/" + upload + "/cancel").status == 200);
  CHECK(put(*c, "/api/v1/campaigns/" + id + "/fields", {{"fields", list}}).status == 200);
  CHECK(put(*c, "/api/v1/campaigns/999/fields", {{"fields", list}}).status == 404);
}

TEST_CASE("openapi.json documents every registered route, and each documented route is served") {
  TestServer ts;
  auto anon = ts.client("");
  auto doc = get(*anon, "/api/v1/openapi.json");
  REQUIRE(doc.status == 200);
  CHECK(doc.body["openapi"] == "3.0.3");
  const auto& routes = ts.server().routes().routes();
  CHECK(routes.size() >= 29);
  for (const auto& r : routes) {
    std::string method = r.method;
    for (char& ch : method) ch = char(std::tolower(ch));
    INFO(r.method << " " << r.path);
    REQUIRE(doc.body["paths"].contains(r.path));
    CHECK(doc.body["paths"][r.path].contains(method));
    CHECK_FALSE(doc.body["paths"][r.path][method]["summary"].get<std::string>().empty());
  }
  // The contract's routes (API.md) are all there.
  for (const char* p : {"/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/campaigns", "/api/v1/campaigns/{id}",
                        "/api/v1/campaigns/{id}/fields", "/api/v1/campaigns/{id}/summary",
                        "/api/v1/campaigns/{id}/uploads", "/api/v1/uploads/{id}",
                        "/api/v1/uploads/{id}/batches/{seq}", "/api/v1/uploads/{id}/errors",
                        "/api/v1/uploads/{id}/complete", "/api/v1/uploads/{id}/cancel",
                        "/api/v1/uploads/{id}/errors.csv", "/api/v1/campaigns/{id}/participants",
                        "/api/v1/participants/{id}", "/api/v1/participants/{id}/communications",
                        "/api/v1/communications/{id}", "/api/v1/events", "/api/v1/sessions/{id}",
                        "/api/v1/openapi.json"}) {
    INFO(p);
    CHECK(doc.body["paths"].contains(p));
  }
}

TEST_CASE("unknown routes are 404 and wrong methods 405, both as JSON errors") {
  TestServer ts;
  auto c = ts.client();
  auto missing = get(*c, "/api/v1/nothing-here");
  CHECK(missing.status == 404);
  CHECK(error_code(missing) == "not_found");
  auto wrong = reply_of(c->Put("/api/v1/campaigns", "{}", "application/json"));
  CHECK(wrong.status == 405);
  CHECK(error_code(wrong) == "method_not_allowed");
}

TEST_CASE("body limits: JSON over 1 MiB is 413, chunked bodies 411, batches over 16 MiB 413") {
  TestServer ts;
  auto c = ts.client();
  std::string big = "{\"name\":\"" + std::string((1 << 20) + 10, 'a') + "\"}";
  auto r = reply_of(c->Post("/api/v1/campaigns", big, "application/json"));
  CHECK(r.status == 413);
  CHECK(error_code(r) == "payload_too_large");

  std::string campaign = make_campaign(*ts.client());
  std::string upload = make_upload(*ts.client(), campaign);
  auto c2 = ts.client();
  std::string huge((16 << 20) + 1, 'x');
  auto too_big = c2->Put(("/api/v1/uploads/" + upload + "/batches/0").c_str(), huge, "text/csv");
  // Refused before the body is read, and the connection closed: the client sees the 413, or a
  // reset if it was still sending.
  if (too_big) CHECK(too_big->status == 413);
  CHECK(get(*ts.client(), "/api/v1/uploads/" + upload).body["acked_batches"] == json::array());

  auto c3 = ts.client();
  auto chunked = c3->Put(("/api/v1/uploads/" + upload + "/batches/0").c_str(),
                         [](size_t offset, httplib::DataSink& sink) {
                           if (offset == 0) sink.write("_row,name\r\n", 11);
                           sink.done();
                           return true;
                         },
                         "text/csv");
  // Refused from the headers, connection closed: the client sees the 411, or a reset if it was
  // still writing its chunks when the server closed.
  if (chunked) CHECK(chunked->status == 411);
  // The server is still fine afterwards.
  CHECK(get(*ts.client(), "/api/v1/uploads/" + upload).status == 200);
}

TEST_CASE("data persists across a restart on the same database file") {
  TestServer ts;
  std::string campaign, upload, secret;
  {
    auto c = ts.client();
    campaign = make_campaign(*c, "Durable");
    upload = make_upload(*c, campaign);
    REQUIRE(put_batch(*c, upload, 0, "_row,name,external_id\r\n2,Ana,P1\r\n").status == 200);
    secret = post(*c, "/api/v1/tokens", {{"name", "kept"}}).body["token"];
  }
  ts.restart();
  CHECK_FALSE(ts.server().created_admin_token());  // the database already has tokens
  auto c = ts.client(secret);
  CHECK(get(*c, "/api/v1/campaigns/" + campaign).body["name"] == "Durable");
  auto u = get(*c, "/api/v1/uploads/" + upload);
  CHECK(u.body["status"] == "Processing");
  CHECK(u.body["acked_batches"] == json::array({0}));
  auto list = get(*c, "/api/v1/campaigns/" + campaign + "/participants");
  CHECK(list.body["total"] == 1);
  CHECK(list.body["items"][0]["name"] == "Ana");
  // The replayed batch is still recognized after the restart.
  CHECK(put_batch(*c, upload, 0, "_row,name,external_id\r\n2,Ana,P1\r\n").body["created"] == 1);
  CHECK(get(*c, "/api/v1/uploads/" + upload).body["created"] == 1);
}

TEST_CASE("an empty database gets an admin token, printed by the caller") {
  TestServer ts;
  REQUIRE(ts.server().created_admin_token());
  CHECK(*ts.server().created_admin_token() == kAdminToken);
}

TEST_CASE("field lists of the wrong JSON type are 400; a POST without Content-Length says so") {
  TestServer ts;
  auto c = ts.client();
  std::string id = make_campaign(*c);
  auto str = put(*c, "/api/v1/campaigns/" + id + "/fields", {{"fields", "x"}});
  CHECK(str.status == 400);
  CHECK(error_code(str) == "invalid_field");
  auto member = put(*c, "/api/v1/campaigns/" + id + "/fields",
                    {{"fields", json::array({{{"key", 5}, {"label", "A"}, {"type", "text"}}})}});
  CHECK(member.status == 400);
  auto semantic = put(*c, "/api/v1/campaigns/" + id + "/fields",
                      {{"fields", json::array({{{"key", "a"}, {"label", "A"}, {"type", "colour"}}})}});
  CHECK(semantic.status == 422);

  // httplib's client always sends Content-Length for POST: write the request by hand.
  std::string path = "/api/v1/uploads/" + make_upload(*c, id) + "/cancel";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(ts.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string text = "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAdminToken +
                     "\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, text.data(), text.size(), 0) == ssize_t(text.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, size_t(n));
  ::close(fd);
  CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(answer.find("Content-Length: 0") != std::string::npos);
  CHECK(answer.find("length_required") != std::string::npos);
}
