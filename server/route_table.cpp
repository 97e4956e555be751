// Route registration, request gating and OpenAPI generation: see route_table.h.
#include "route_table.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "auth.h"
#include "http_support.h"

namespace intake::server {

std::string path_regex(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '{') {
      i = path.find('}', i);
      out += "([^/]+)";
    } else if (c == '.') {
      out += "\\.";
    } else {
      out += c;
    }
  }
  return out;
}

void RouteTable::add(Route route) {
  patterns_.emplace_back(path_regex(route.path));
  routes_.push_back(std::move(route));
}

const Route* RouteTable::find(const std::string& method, const std::string& path,
                              std::string& allow) const {
  allow.clear();
  // HEAD is GET without the body (httplib answers it with the GET handler and drops the body).
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : std::string_view(method);
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!std::regex_match(path, patterns_[i])) continue;
    if (routes_[i].method == wanted) return &routes_[i];
    if (!allow.empty()) allow += ", ";
    allow += routes_[i].method;
    if (routes_[i].method == "GET") allow += ", HEAD";
  }
  return nullptr;
}

namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad input: the message names what is wrong";
    case 401: return "Missing or unknown bearer token";
    case 404: return "No such resource";
    case 409: return "State conflict";
    case 411: return "Chunked body refused: send Content-Length";
    case 413: return "Body too large";
    case 415: return "Unsupported Content-Type";
    case 422: return "Well-formed but invalid";
    case 425: return "Too early: an earlier batch has not been applied yet; retry after it";
    case 503: return "Shutting down: retry shortly";
    default: return "Response";
  }
}

std::string lower_method(const std::string& m) {
  std::string s = m;
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json RouteTable::openapi() const {
  using nlohmann::json;
  json paths = json::object();
  json error_schema = {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
  for (const Route& r : routes_) {
    json op = {{"summary", r.summary}, {"operationId", lower_method(r.method) + r.path}};
    json params = json::array();
    for (size_t i = 0; i < r.path.size(); ++i) {
      if (r.path[i] != '{') continue;
      size_t end = r.path.find('}', i);
      params.push_back({{"name", r.path.substr(i + 1, end - i - 1)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
      i = end;
    }
    for (const Param& q : r.query) {
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"description", q.description},
                        {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.body_type.empty()) {
      op["requestBody"] = {{"required", true},
                           {"content", {{r.body_type, {{"schema", {{"type", r.body_type == "application/json" ? "object" : "string"}}}}}}},
                           {"description", "at most " + std::to_string(r.max_body) + " bytes"}};
    }
    json responses = json::object();
    std::vector<int> codes = r.responses;
    codes.push_back(400);  // every route: an unknown query parameter, a malformed Content-Length
    if (r.auth) codes.push_back(401);
    if (r.max_body) codes.push_back(411), codes.push_back(413);
    const bool csv = r.path.ends_with(".csv");
    for (int code : codes) {
      json resp = {{"description", reason(code)}};
      if (code >= 400) resp["content"] = {{"application/json", {{"schema", error_schema}}}};
      else if (code != 204)
        resp["content"] = {{csv ? "text/csv" : "application/json", {{"schema", {{"type", csv ? "string" : "object"}}}}}};
      responses[std::to_string(code)] = resp;
    }
    op["responses"] = responses;
    if (r.auth) op["security"] = json::array({{{"bearer", json::array()}}});
    else op["security"] = json::array();
    paths[r.path][lower_method(r.method)] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "Intake API"}, {"version", "1"}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"paths", paths}};
}

void RouteTable::install(httplib::Server& http, store::Store& store) const {
  for (const Route& r : routes_) {
    const Route* route = &r;
    Handler wrapped = [route](const httplib::Request& req, httplib::Response& res) {
      try {
        if (req.body.size() > route->max_body) {
          throw ApiError(413, "payload_too_large",
                         route->max_body == 0
                             ? req.method + " " + route->path + " takes no body."
                             : "The body is " + std::to_string(req.body.size()) +
                                   " bytes; this route accepts at most " + std::to_string(route->max_body) +
                                   " bytes.");
        }
        route->handler(req, res);
      } catch (const ApiError& e) {
        send_error(res, e.status(), e.code(), e.what());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "intake-server: %s %s failed: %s\n", req.method.c_str(),
                     req.path.c_str(), e.what());
        send_error(res, 500, "internal_error",
                   "The server failed on this request; it has been logged. Retry, and report it if it persists.");
      } catch (...) {
        send_error(res, 500, "internal_error", "The server failed on this request.");
      }
    };
    std::string pattern = path_regex(r.path);
    if (r.method == "GET") http.Get(pattern, wrapped);
    else if (r.method == "POST") http.Post(pattern, wrapped);
    else if (r.method == "PUT") http.Put(pattern, wrapped);
    else if (r.method == "PATCH") http.Patch(pattern, wrapped);
    else if (r.method == "DELETE") http.Delete(pattern, wrapped);
  }

  http.set_pre_routing_handler([this, &store](const httplib::Request& req, httplib::Response& res) {
    using HR = httplib::Server::HandlerResponse;
    try {
      bool api = req.path.rfind("/api/", 0) == 0;
      std::string allow;
      const Route* route = find(req.method, req.path, allow);
      if (!route) {
        if (!api) return HR::Unhandled;  // static files
        if (!allow.empty()) {
          res.set_header("Allow", allow);
          send_error(res, 405, "method_not_allowed",
                     req.method + " is not supported on " + req.path + "; use " + allow + ".");
        } else {
          send_error(res, 404, "not_found",
                     "No route " + req.path + "; see /api/v1/openapi.json for the routes.");
        }
        return HR::Handled;
      }
      if (route->auth && !authorized(store, req)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "unauthorized",
                   "Send a valid token as \"Authorization: Bearer <token>\" (create one with POST /api/v1/tokens).");
        return HR::Handled;
      }
      // Query parameters the route does not take (a typo such as limt=5 would otherwise pass
      // unnoticed). Routes with a family of names (filter[<key>]) check their own.
      bool open_ended = false;
      for (const Param& p : route->query) open_ended = open_ended || p.name.find('[') != std::string::npos;
      if (!open_ended) {
        for (const auto& [key, value] : req.params) {
          bool known = false;
          for (const Param& p : route->query) known = known || p.name == key;
          if (known) continue;
          std::string takes;
          for (const Param& p : route->query) takes += (takes.empty() ? "" : ", ") + p.name;
          send_error(res, 400, "unknown_parameter",
                     "Unknown query parameter \"" + key + "\"; " +
                         (takes.empty() ? req.method + " " + route->path + " takes none."
                                        : "this route takes: " + takes + "."));
          return HR::Handled;
        }
      }
      std::string encoding = req.get_header_value("Transfer-Encoding");
      for (char& c : encoding) c = char(std::tolower(static_cast<unsigned char>(c)));
      if (encoding.find("chunked") != std::string::npos) {
        res.set_header("Connection", "close");
        send_error(res, 411, "length_required",
                   "Chunked request bodies are not accepted; send the body with a Content-Length.");
        return HR::Handled;
      }
      size_t length = 0;
      std::string length_text = req.get_header_value("Content-Length");
      if (!length_text.empty()) {
        bool digits = length_text.size() <= 19;  // below 10^19: fits, and far above any limit
        for (char c : length_text) digits = digits && c >= '0' && c <= '9';
        if (!digits) {
          res.set_header("Connection", "close");
          send_error(res, 400, "bad_request",
                     "The Content-Length header \"" + length_text.substr(0, 40) +
                         "\" is not a number of bytes; send the body's length in bytes.");
          return HR::Handled;
        }
        length = std::strtoull(length_text.c_str(), nullptr, 10);
      }
      // Above the largest body any route takes, refuse before reading: the connection closes
      // (the unread body cannot be skipped), so a client still sending may see a reset instead.
      if (length > kBatchBodyMax) {
        res.set_header("Connection", "close");
        send_error(res, 413, "payload_too_large",
                   "The body is " + std::to_string(length) + " bytes; this route accepts at most " +
                       std::to_string(route->max_body) + " bytes.");
        return HR::Handled;
      }
      return HR::Unhandled;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "intake-server: pre-routing %s %s failed: %s\n", req.method.c_str(),
                   req.path.c_str(), e.what());
      send_error(res, 500, "internal_error", "The server failed on this request.");
      return HR::Handled;
    }
  });
}

}  // namespace intake::server
