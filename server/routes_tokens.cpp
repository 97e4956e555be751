// Token routes: create (the secret is returned once), list without secrets, revoke.
#include "auth.h"
#include "json_shapes.h"
#include "routes.h"

namespace intake::server {

void add_token_routes(RouteTable& t, store::Store& store) {
  const Param limit{"limit", "page size, 1..1000 (default 50)"};
  const Param cursor{"cursor", "next_cursor of the previous page"};

  t.add({"POST", "/api/v1/tokens", "Create an API token; the secret is in this answer only",
         {201, 400, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           auto body = json_object_body(req);
           only_keys(body, "name");
           std::string name = req_string(body, "name");
           if (name.empty() || name.size() > 200)
             throw ApiError(400, "invalid_field", "\"name\" must be 1 to 200 characters.");
           std::string secret = new_token_secret();
           auto token = store.create_token(name, sha256_hex(secret));
           auto j = token_json(token);
           j["token"] = secret;
           send_json(res, 201, j);
         }});

  t.add({"GET", "/api/v1/tokens", "List tokens (names and ids, never secrets)", {200, 400},
         {limit, cursor}, "", 0, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           auto page = store.list_tokens(query_limit(req), query_id_cursor(req));
           nlohmann::json items = nlohmann::json::array();
           for (auto& tk : page.items) items.push_back(token_json(tk));
           send_json(res, 200, list_body(items, page.total, next_cursor(page.next_after)));
         }});

  t.add({"DELETE", "/api/v1/tokens/{id}", "Revoke a token", {204, 404}, {}, "", 0, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           if (!store.delete_token(path_id(req, 1, "token")))
             throw ApiError(404, "not_found", "No token with this id.");
           res.status = 204;
         }});
}

}  // namespace intake::server
