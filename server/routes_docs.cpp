// The API reference route: /api/v1/openapi.json, generated from the route table that also
// registers the routes, so every route is documented. Open (no token needed).
#include "routes.h"

namespace intake::server {

void add_doc_routes(RouteTable& t) {
  t.add({"GET", "/api/v1/openapi.json", "This document: every route, generated from the route table",
         {200}, {}, "", 0, false, [&t](const httplib::Request&, httplib::Response& res) {
           send_json(res, 200, t.openapi());
         }});
}

}  // namespace intake::server
