// Campaign routes: CRUD, the ordered field list (validated by the core's check_fields), and
// the summary shown above the Uploads tab.
#include "json_shapes.h"
#include "routes.h"
#include "schema/field.h"

namespace intake::server {
namespace {

std::string campaign_name(const nlohmann::json& body) {
  std::string name = req_string(body, "name");
  if (name.empty() || name.size() > 200)
    throw ApiError(400, "invalid_field", "\"name\" must be 1 to 200 characters.");
  return name;
}

}  // namespace

void add_campaign_routes(RouteTable& t, store::Store& store, BatchOrder& order) {
  const Param limit{"limit", "page size, 1..1000 (default 50)"};
  const Param cursor{"cursor", "next_cursor of the previous page"};

  t.add({"POST", "/api/v1/campaigns", "Create a campaign with the four identity fields",
         {201, 400, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           auto body = json_object_body(req);
           only_keys(body, "name");
           auto c = store.create_campaign(campaign_name(body), default_identity_fields());
           send_json(res, 201, campaign_json(c));
         }});

  t.add({"GET", "/api/v1/campaigns", "List campaigns, oldest first", {200, 400}, {limit, cursor},
         "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           auto page = store.list_campaigns(query_limit(req), query_id_cursor(req));
           nlohmann::json items = nlohmann::json::array();
           for (auto& c : page.items) items.push_back(campaign_json(c));
           send_json(res, 200, list_body(items, page.total, next_cursor(page.next_after)));
         }});

  t.add({"GET", "/api/v1/campaigns/{id}", "Read a campaign", {200, 404}, {}, "", 0, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           auto c = store.get_campaign(path_id(req, 1, "campaign"));
           if (!c) throw ApiError(404, "not_found", "No campaign with this id.");
           send_json(res, 200, campaign_json(*c));
         }});

  t.add({"PATCH", "/api/v1/campaigns/{id}", "Rename a campaign", {200, 400, 404, 415},
         {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "campaign");
           auto body = json_object_body(req);
           only_keys(body, "name");
           auto c = store.rename_campaign(id, campaign_name(body));
           if (!c) throw ApiError(404, "not_found", "No campaign with this id.");
           send_json(res, 200, campaign_json(*c));
         }});

  t.add({"DELETE", "/api/v1/campaigns/{id}",
         "Delete a campaign with its uploads, participants and communications", {204, 404}, {},
         "", 0, true, [&store, &order](const httplib::Request& req, httplib::Response& res) {
           if (!store.delete_campaign(path_id(req, 1, "campaign")))
             throw ApiError(404, "not_found", "No campaign with this id.");
           order.notify();  // batches waiting on its uploads now get 404
           res.status = 204;
         }});

  t.add({"GET", "/api/v1/campaigns/{id}/fields", "The campaign's fields in Data-tab order",
         {200, 404}, {}, "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           auto fields = store.get_fields(path_id(req, 1, "campaign"));
           if (!fields) throw ApiError(404, "not_found", "No campaign with this id.");
           send_json(res, 200, fields_to_json(*fields));
         }});

  t.add({"PUT", "/api/v1/campaigns/{id}/fields",
         "Replace the ordered field list; 422 lists every problem; 409 while an upload is Processing",
         {200, 400, 404, 409, 415, 422}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "campaign");
           auto body = json_object_body(req);
           if (!body.contains("fields"))
             throw ApiError(400, "invalid_field", "\"fields\" is required (an array of fields).");
           only_keys(body, "fields");
           auto parsed = fields_from_json(body);
           if (parsed.problems.empty()) parsed.problems = check_field_labels(parsed.fields);
           if (!parsed.problems.empty()) {
             nlohmann::json problems = nlohmann::json::array();
             std::string message = "The field list is invalid: " + parsed.problems.front().path + ": " +
                                   parsed.problems.front().message;
             if (parsed.problems.size() > 1)
               message += " (and " + std::to_string(parsed.problems.size() - 1) + " more problems)";
             for (auto& p : parsed.problems)
               problems.push_back({{"index", p.index}, {"path", p.path}, {"message", p.message}});
             // A value of the wrong JSON type (fields not a list, a field not an object, a
             // string/boolean/list member of another type) is a malformed body: 400
             // invalid_field. Problems of meaning (unknown type, duplicate keys...) stay 422.
             bool wrong_type = false;
             for (auto& p : parsed.problems)
               for (const char* t : {"must be a string", "must be true or false", "must be a list",
                                     "must be an object"})
                 wrong_type = wrong_type || p.message.rfind(t, 0) == 0;
             auto j = error_body(wrong_type ? "invalid_field" : "invalid_fields", message);
             j["error"]["problems"] = problems;
             send_json(res, wrong_type ? 400 : 422, j);
             return;
           }
           take(store.replace_fields(id, parsed.fields));
           send_json(res, 200, fields_to_json(parsed.fields));
         }});

  t.add({"GET", "/api/v1/campaigns/{id}/summary",
         "Last upload, total participants processed and participants stored", {200, 404}, {}, "",
         0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           auto s = store.summary(path_id(req, 1, "campaign"));
           if (!s) throw ApiError(404, "not_found", "No campaign with this id.");
           nlohmann::json j = {{"total_participants_processed", s->total_participants_processed},
                               {"participants", s->participants}};
           j["last_upload"] = s->last_upload ? upload_json(*s->last_upload) : nlohmann::json(nullptr);
           send_json(res, 200, j);
         }});
}

}  // namespace intake::server
