// The one route table: each route's method, path, documentation and handler. The same table
// registers the routes with httplib (each handler wrapped so nothing escapes as a crash),
// answers 401/404/405/411/413 before a body is read, and generates /api/v1/openapi.json, so a
// route cannot exist without being documented.
#pragma once

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace intake::server {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

struct Param {
  std::string name;
  std::string description;
};

struct Route {
  std::string method;          // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path;            // OpenAPI template, e.g. "/api/v1/uploads/{id}/batches/{seq}"
  std::string summary;         // one line for the reference
  std::vector<int> responses;  // documented status codes, success first
  std::vector<Param> query;    // documented query parameters
  std::string body_type;       // request body media type, "" when none is read
  size_t max_body = 0;         // largest body accepted, bytes (413 above it)
  bool auth = true;            // needs a bearer token
  Handler handler;
};

class RouteTable {
 public:
  void add(Route route);
  const std::vector<Route>& routes() const { return routes_; }

  // The route for `method` and `path`; when none, `allow` lists the methods the path has
  // (empty: no route has this path).
  const Route* find(const std::string& method, const std::string& path, std::string& allow) const;

  // OpenAPI 3.0 document of every route.
  nlohmann::json openapi() const;

  // Registers every route on `http` and a pre-routing check (auth, body limits, 404/405 for
  // /api/ paths). Handlers run inside a wrapper that turns ApiError into its JSON error and
  // anything else into a JSON 500.
  void install(httplib::Server& http, store::Store& store) const;

 private:
  std::vector<Route> routes_;
  std::vector<std::regex> patterns_;
};

// The regex httplib matches for an OpenAPI path template ("{x}" → one path segment).
std::string path_regex(const std::string& path);

}  // namespace intake::server
