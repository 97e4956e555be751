// Communication routes (create, list newest first, update through the core's status rules),
// the trigger event feed, and session transcripts.
#include "comms/communication_status.h"
#include "csv/encoding.h"
#include "validate/field_checks.h"
#include "json_shapes.h"
#include "routes.h"

namespace intake::server {
namespace {

std::optional<std::optional<std::string>> nullable_string(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (it->is_null()) return std::optional<std::string>();
  if (!it->is_string())
    throw ApiError(400, "invalid_field", std::string("\"") + key + "\" must be a string or null.");
  return std::optional<std::string>(it->get<std::string>());
}

// A time the contract carries as ISO 8601 UTC: any ISO 8601 date and time with an offset is
// taken, and kept as its UTC form (2026-11-22T09:30:00Z).
std::string iso_time(const std::string& value, const std::string& where) {
  std::string out;
  CellError err;
  if (!check_datetime(value, out, err))
    throw ApiError(400, "invalid_field",
                   "\"" + where + "\" must be an ISO 8601 date and time with an offset, like "
                   "2026-11-22T09:30:00Z (got \"" + value + "\").");
  return out;
}

std::optional<std::string> opt_time(const nlohmann::json& body, const char* key) {
  auto v = opt_string(body, key);
  if (v) v = iso_time(*v, key);
  return v;
}

// A session id (in a path, or a communication's session_id): 1 to 200 characters of UTF-8, so
// that it reads back as it was sent.
void check_session_id(const std::string& id, const std::string& what) {
  if (id.empty() || id.size() > 200 || find_invalid_utf8(id) != std::string_view::npos)
    throw ApiError(400, what == "id" ? "invalid_id" : "invalid_field",
                   (what == "id" ? std::string("A session id") : "\"" + what + "\"") +
                       " must be 1 to 200 characters of UTF-8 text.");
}

void check_status(const std::string& s) {
  if (!comm_status_from_string(s))
    throw ApiError(400, "invalid_status",
                   "Unknown status \"" + s + "\"; use Planned, Started, Delivered, Read, Replied, "
                   "Completed, NoResponse, Canceled, Skipped or Failed.");
}

}  // namespace

void add_communication_routes(RouteTable& t, store::Store& store) {
  t.add({"POST", "/api/v1/participants/{id}/communications",
         "Create a communication (status defaults to Planned); appends a trigger event",
         {201, 400, 404, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t participant = path_id(req, 1, "participant");
           auto body = json_object_body(req);
           only_keys(body, "name,status,status_message,channel,agent_id,scheduled_at,session_id");
           store::NewCommunication c;
           c.name = req_string(body, "name");
           if (c.name.empty() || c.name.size() > 200)
             throw ApiError(400, "invalid_field", "\"name\" must be 1 to 200 characters.");
           c.status = opt_string(body, "status").value_or("Planned");
           check_status(c.status);
           c.status_message = opt_string(body, "status_message").value_or("");
           c.channel = opt_string(body, "channel").value_or("");
           c.agent_id = opt_string(body, "agent_id").value_or("");
           c.scheduled_at = opt_time(body, "scheduled_at");
           c.session_id = opt_string(body, "session_id");
           if (c.session_id) check_session_id(*c.session_id, "session_id");
           send_json(res, 201, communication_json(take(store.create_communication(participant, c))));
         }});

  t.add({"GET", "/api/v1/participants/{id}/communications", "A participant's communications, newest first",
         {200, 400, 404},
         {{"limit", "page size, 1..1000 (default 50)"}, {"cursor", "next_cursor of the previous page"}},
         "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           auto page = store.list_communications(path_id(req, 1, "participant"), query_limit(req),
                                                 query_id_cursor(req));
           if (!page) throw ApiError(404, "not_found", "No participant with this id.");
           nlohmann::json items = nlohmann::json::array();
           for (auto& m : page->items) items.push_back(communication_json(m));
           send_json(res, 200, list_body(items, page->total, next_cursor(page->next_after)));
         }});

  t.add({"PATCH", "/api/v1/communications/{id}",
         "Change status, status_message, result, result_at, session_id; 409 once the status is final",
         {200, 400, 404, 409, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "communication");
           auto body = json_object_body(req);
           only_keys(body, "status,status_message,result,result_at,session_id");
           store::CommunicationPatch p;
           p.status = opt_string(body, "status");
           if (p.status) check_status(*p.status);
           p.status_message = opt_string(body, "status_message");
           p.result = nullable_string(body, "result");
           p.result_at = nullable_string(body, "result_at");
           if (p.result_at && *p.result_at) *p.result_at = iso_time(**p.result_at, "result_at");
           p.session_id = nullable_string(body, "session_id");
           if (p.session_id && *p.session_id) check_session_id(**p.session_id, "session_id");
           send_json(res, 200, communication_json(take(store.update_communication(id, p))));
         }});

  t.add({"GET", "/api/v1/events",
         "Trigger events in order (communication.updated / communication.ended); follow with after=<last id>",
         {200, 400},
         {{"after", "id of the last event already seen (default 0: from the start)"},
          {"cursor", "alias of after (next_cursor of the previous page)"},
          {"limit", "page size, 1..1000 (default 50)"}},
         "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           // (Other query parameters are refused before this runs: RouteTable::install.)
           // `cursor` (the list convention: next_cursor of the previous page) is an alias of after.
           int64_t after = query_id_cursor(req, "after").value_or(0);
           if (!req.has_param("after")) after = query_id_cursor(req, "cursor").value_or(0);
           auto page = store.events(after, query_limit(req));
           nlohmann::json items = nlohmann::json::array();
           for (auto& e : page.items) items.push_back(event_json(e));
           send_json(res, 200, list_body(items, page.total, next_cursor(page.next_after)));
         }});

  t.add({"PUT", "/api/v1/sessions/{id}", "Store a session's conversation {\"messages\": [{from, text, at}]}",
         {200, 400, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           std::string id = path_text(req, 1);
           check_session_id(id, "id");
           auto body = json_object_body(req);
           only_keys(body, "id,messages");
           if (auto given = body.find("id"); given != body.end() && (!given->is_string() || *given != id))
             throw ApiError(400, "invalid_field",
                            "\"id\" in the body must be the session id of the path (\"" + id + "\"), or be left out.");
           auto it = body.find("messages");
           if (it == body.end() || !it->is_array())
             throw ApiError(400, "invalid_field", "\"messages\" is required (an array).");
           nlohmann::json messages = nlohmann::json::array();
           for (size_t i = 0; i < it->size(); ++i) {
             const auto& m = (*it)[i];
             std::string where = "messages[" + std::to_string(i) + "]";
             if (!m.is_object()) throw ApiError(400, "invalid_field", where + " must be an object.");
             only_keys(m, "from,text,at", where);
             std::string from = req_string(m, "from", where), text = req_string(m, "text", where);
             auto at = opt_string(m, "at", where);
             messages.push_back({{"from", from}, {"text", text},
                                 {"at", at && !at->empty() ? iso_time(*at, where + ".at") : ""}});
           }
           store.put_session(id, messages.dump());
           send_json(res, 200, {{"id", id}, {"messages", messages}});
         }});

  t.add({"GET", "/api/v1/sessions/{id}", "A session's conversation", {200, 404}, {}, "", 0, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           std::string id = path_text(req, 1);
           auto messages = store.get_session(id);
           if (!messages) throw ApiError(404, "not_found", "No session with this id.");
           send_json(res, 200, {{"id", id}, {"messages", nlohmann::json::parse(*messages)}});
         }});
}

}  // namespace intake::server
