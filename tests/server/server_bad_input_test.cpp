// Bad input over HTTP, from a review that probed every route: each request below once crashed
// the server, held a worker, stored something other than what was sent, or answered with the
// wrong status. Each now gets the contract's JSON error naming the part at fault, and the server
// goes on serving.
#include <chrono>
#include <future>
#include <set>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "batch_check.h"
#include "test_server.h"

using namespace intake::test;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Sends `request` as it is over a socket of its own and returns the response's status line.
std::string raw_status_line(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(write(fd, request.data(), request.size()) == ssize_t(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    response.append(buf, size_t(n));
    if (response.find("\r\n\r\n") != std::string::npos) break;
  }
  close(fd);
  return response.substr(0, response.find("\r\n"));
}

Reply send(httplib::Client& c, const std::string& method, const std::string& path, const std::string& body,
           const std::string& type) {
  if (method == "POST") return reply_of(c.Post(path.c_str(), body, type.c_str()));
  return reply_of(c.Put(path.c_str(), body, type.c_str()));
}

}  // namespace

TEST_CASE("a deeply nested mapping is refused, and the server goes on") {
  TestServer s;
  auto c = s.client();
  std::string campaign = make_campaign(*c);
  const int depth = 100000;
  std::string body = R"({"filename":"f.csv","mapping":{"a":)" + std::string(depth, '[') + std::string(depth, ']') + "}}";
  auto r = send(*c, "POST", "/api/v1/campaigns/" + campaign + "/uploads", body, "application/json");
  CHECK(r.status == 400);
  CHECK(error_code(r) == "invalid_mapping");
  CHECK(error_message(r).find("mapping[\"a\"]") != std::string::npos);
  r = post(*c, "/api/v1/campaigns/" + campaign + "/uploads", {{"filename", "f.csv"}, {"mapping", json::array()}});
  CHECK(r.status == 400);
  CHECK(error_code(r) == "invalid_mapping");
  CHECK(get(*c, "/api/v1/campaigns/" + campaign).status == 200);
}

TEST_CASE("a batch seq near 2^63 is refused at once, not after the wait") {
  TestServer s;  // batches wait up to 15 s for their predecessor
  auto c = s.client();
  std::string upload = make_upload(*c, make_campaign(*c));
  auto t0 = Clock::now();
  auto r = put_batch(*c, upload, 0, "");  // (seq is an int: send the path by hand)
  (void)r;
  auto big = reply_of(c->Put(("/api/v1/uploads/" + upload + "/batches/9223372036854775807").c_str(),
                             "name\nBob\n", "text/csv; charset=utf-8"));
  CHECK(big.status == 425);
  CHECK(error_code(big) == "batch_too_early");
  CHECK(seconds_since(t0) < 5);
}

TEST_CASE("deleting a campaign answers the batches waiting on its uploads at once") {
  TestServer s;  // batches wait up to 15 s for their predecessor
  auto c = s.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  auto t0 = Clock::now();
  auto waiting = std::async(std::launch::async, [&] {
    auto own = s.client();
    return put_batch(*own, upload, 1, "_row,name\n3,Ann\n");  // waits for batch 0
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(del(*c, "/api/v1/campaigns/" + campaign).status == 204);
  Reply r = waiting.get();
  CHECK(r.status == 404);
  CHECK(seconds_since(t0) < 5);
}

TEST_CASE("a batch's columns go to the fields their keys name, and its bytes are UTF-8") {
  // A field list stored before labels were checked against keys: the label "Name" of nickname
  // reads as the key of name. A batch column "name" is the field name's, not nickname's.
  std::vector<intake::Field> fields = intake::default_identity_fields();
  fields.insert(fields.begin(), intake::Field{.key = "nickname", .label = "Name", .type = intake::FieldType::text});
  fields[1].label = "Full name";
  auto check = intake::server::check_batch("_row,name,email\n2,Robert Smith,bob@x.com\n", fields,
                                           intake::DuplicatePolicy::update, "US", 2);
  REQUIRE_FALSE(check.file_error);
  REQUIRE(check.batch.rows.size() == 1);
  CHECK(check.batch.rows[0].name == "Robert Smith");

  TestServer s;
  auto c = s.client();
  std::string campaign = make_campaign(*c);
  // Such a list is refused now: a column headed "Name" could mean either field.
  auto refused = put(*c, "/api/v1/campaigns/" + campaign + "/fields", fields_to_json(fields));
  CHECK(refused.status == 422);
  CHECK(error_message(refused).find("\"Name\" reads the same as the key of the field name") != std::string::npos);
  fields[0].label = "Same";
  fields[1].label = "same";
  refused = put(*c, "/api/v1/campaigns/" + campaign + "/fields", fields_to_json(fields));
  CHECK(refused.status == 422);
  CHECK(error_message(refused).find("reads the same as the label of the field nickname") != std::string::npos);

  // Bytes that are not UTF-8 are an error on their row, whatever else the batch holds (they
  // were once read as Windows-1252 when nothing else in the batch was UTF-8 text).
  std::string upload = make_upload(*c, campaign);
  auto r = put_batch(*c, upload, 0, "_row,name,email\n2,\xff\xfe,bob@x.com\n3,Ann,ann@x.com\n");
  REQUIRE(r.status == 200);
  CHECK(r.body["failed"] == 1);
  CHECK(r.body["created"] == 1);
  auto errors = c->Get(("/api/v1/uploads/" + upload + "/errors.csv").c_str());
  REQUIRE(errors);
  CHECK(errors->body.find("invalid_encoding") != std::string::npos);
}

TEST_CASE("times are ISO 8601 and kept in UTC; session ids are UTF-8") {
  TestServer s;
  auto c = s.client();
  std::string campaign = make_campaign(*c);
  std::string upload = make_upload(*c, campaign);
  REQUIRE(put_batch(*c, upload, 0, "_row,name,email\n2,Ann,ann@x.com\n").status == 200);
  auto list = get(*c, "/api/v1/campaigns/" + campaign + "/participants");
  std::string participant = list.body["items"][0]["id"].get<std::string>();
  std::string comms = "/api/v1/participants/" + participant + "/communications";

  auto r = post(*c, comms, {{"name", "Call"}, {"scheduled_at", "not a time"}});
  CHECK(r.status == 400);
  CHECK(error_message(r).find("\"scheduled_at\" must be an ISO 8601 date and time") != std::string::npos);
  CHECK(post(*c, comms, {{"name", ""}}).status == 400);
  r = post(*c, comms, {{"name", "Call"}, {"scheduled_at", "2026-11-22T10:30:00+01:00"}});
  REQUIRE(r.status == 201);
  CHECK(r.body["scheduled_at"] == "2026-11-22T09:30:00Z");
  std::string id = r.body["id"].get<std::string>();
  r = patch(*c, "/api/v1/communications/" + id, {{"result_at", "yesterday"}});
  CHECK(r.status == 400);
  CHECK(error_message(r).find("result_at") != std::string::npos);
  CHECK(patch(*c, "/api/v1/communications/" + id, {{"result_at", nullptr}}).status == 200);

  r = put(*c, "/api/v1/sessions/s1", {{"messages", {{{"from", "agent"}, {"text", "hi"}, {"at", "nope"}}}}});
  CHECK(r.status == 400);
  CHECK(error_message(r).find("messages[0].at") != std::string::npos);
  r = put(*c, "/api/v1/sessions/s1", {{"messages", {{{"from", "agent"}}}}});
  CHECK(r.status == 400);
  CHECK(error_message(r).find("messages[0].text is required") != std::string::npos);
  r = put(*c, "/api/v1/sessions/s1", {{"id", "other"}, {"messages", json::array()}});
  CHECK(r.status == 400);
  r = put(*c, "/api/v1/sessions/%FF", {{"messages", json::array()}});
  CHECK(r.status == 400);
  CHECK(error_code(r) == "invalid_id");
  r = put(*c, "/api/v1/sessions/s1", {{"messages", {{{"from", "agent"}, {"text", "hi"}, {"at", "2026-11-22T09:30:00Z"}}}}});
  CHECK(r.status == 200);
  r = post(*c, comms, {{"name", "Call"}, {"session_id", std::string(201, 's')}});
  CHECK(r.status == 400);

  auto f = get(*c, "/api/v1/campaigns/" + campaign + "/participants?filter%5Bcreated_at%5D=abc");
  CHECK(f.status == 400);
  CHECK(error_code(f) == "invalid_filter");
}

TEST_CASE("numbers past 2^63, a malformed Content-Length, unknown members and parameters") {
  TestServer s;
  auto c = s.client();
  std::string campaign = make_campaign(*c);
  auto r = send(*c, "POST", "/api/v1/campaigns/" + campaign + "/uploads",
                R"({"filename":"f.csv","size_bytes":18446744073709551615})", "application/json");
  CHECK(r.status == 413);
  CHECK(error_code(r) == "file_too_large");
  std::string upload = make_upload(*c, campaign);
  r = send(*c, "POST", "/api/v1/uploads/" + upload + "/complete", R"({"total_rows":18446744073709551615})",
           "application/json");
  CHECK(r.status == 400);
  CHECK(error_message(r).find("0 to 2^53") != std::string::npos);

  for (const char* length : {"-1", "12abc", "12345678901234567890123"}) {
    CAPTURE(length);
    std::string line = raw_status_line(
        s.port(), std::string("POST /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kAdminToken +
                      "\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n{}");
    CHECK(line.find(" 400 ") != std::string::npos);
  }

  r = post(*c, "/api/v1/uploads/" + upload + "/errors", {{"errors", {{{"row", 10}, {"code", "x"}, {"extra", 1}}}}});
  CHECK(r.status == 400);
  CHECK(error_code(r) == "unknown_field");
  CHECK(error_message(r).find("in errors[0]") != std::string::npos);

  r = get(*c, "/api/v1/campaigns?limt=5");
  CHECK(r.status == 400);
  CHECK(error_code(r) == "unknown_parameter");
  CHECK(error_message(r).find("limit, cursor") != std::string::npos);
  CHECK(get(*c, "/api/v1/campaigns?limit=5").status == 200);

  auto head = c->Head("/api/v1/campaigns");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
}

TEST_CASE("Content-Type is read as a media type with a charset") {
  TestServer s;
  auto c = s.client();
  CHECK(send(*c, "POST", "/api/v1/campaigns", R"({"name":"A"})", "Application/JSON").status == 201);
  CHECK(send(*c, "POST", "/api/v1/campaigns", R"({"name":"A"})", "application/json; charset=UTF-8").status == 201);
  CHECK(send(*c, "POST", "/api/v1/campaigns", R"({"name":"A"})", "application/json-patch+json").status == 415);
  CHECK(send(*c, "POST", "/api/v1/campaigns", R"({"name":"A"})", "application/json; charset=latin1").status == 415);
  std::string upload = make_upload(*c, make_campaign(*c));
  std::string path = "/api/v1/uploads/" + upload + "/batches/0";
  CHECK(send(*c, "PUT", path, "_row,name\n2,Ann\n", "text/csvx").status == 415);
  CHECK(send(*c, "PUT", path, "_row,name\n2,Ann\n", "text/csv; charset=\"utf-8\"").status == 200);
}

TEST_CASE("max_length belongs to text fields only") {
  TestServer s;
  auto c = s.client();
  std::string campaign = make_campaign(*c);
  json fields = fields_to_json(intake::default_identity_fields());
  fields["fields"].push_back({{"key", "age"}, {"label", "Age"}, {"type", "number"}, {"max_length", 5}});
  auto r = put(*c, "/api/v1/campaigns/" + campaign + "/fields", fields);
  CHECK(r.status == 422);
  CHECK(error_message(r).find("only text fields have a max_length") != std::string::npos);
}

TEST_CASE("campaign, upload and communication ids are never given out again, across a restart") {
  TestServer s;
  auto c = s.client();
  auto ids = [&](const std::string& campaign) {
    std::string upload = make_upload(*c, campaign);
    REQUIRE(put_batch(*c, upload, 0, "_row,name,email\n2,Ann,ann@x.com\n").status == 200);
    auto list = get(*c, "/api/v1/campaigns/" + campaign + "/participants");
    std::string participant = list.body["items"][0]["id"].get<std::string>();
    auto comm = post(*c, "/api/v1/participants/" + participant + "/communications", {{"name", "Call"}});
    REQUIRE(comm.status == 201);
    return std::vector<std::string>{campaign, upload, comm.body["id"].get<std::string>()};
  };
  std::string first = make_campaign(*c, "First");
  auto old = ids(first);
  REQUIRE(del(*c, "/api/v1/campaigns/" + first).status == 204);
  s.restart();
  c = s.client();
  auto fresh = ids(make_campaign(*c, "Second"));
  for (size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(std::stoll(fresh[i]) > std::stoll(old[i]));
  }
  // The event feed still tells the two communications apart.
  auto events = get(*c, "/api/v1/events?limit=1000");
  std::set<std::string> comms;
  for (const auto& e : events.body["items"]) comms.insert(e["communication_id"].get<std::string>());
  CHECK(comms.size() == 2);
}
