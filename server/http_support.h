// HTTP plumbing shared by the route files: the ApiError a handler throws to refuse a request
// (turned into the contract's {"error": {"code", "message"}} by the route wrapper), JSON bodies
// in and out, path ids, list paging parameters and opaque cursors.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace intake::server {

inline constexpr size_t kJsonBodyMax = size_t(1) << 20;    // 1 MiB
inline constexpr size_t kBatchBodyMax = size_t(16) << 20;  // 16 MiB
inline constexpr int kDefaultLimit = 50;
inline constexpr int kMaxLimit = 1000;

// A refusal with its HTTP status, stable snake_case code and a message for a person.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

nlohmann::json error_body(std::string_view code, std::string_view message);
void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

// The request body as a JSON object. 415 for a non-JSON Content-Type, 400 for malformed JSON
// or a non-object (the message says where parsing stopped).
nlohmann::json json_object_body(const httplib::Request& req);

// A Content-Type header read as RFC 9110 has it: the type/subtype lower-cased, and the charset
// parameter (lower-cased, quotes removed) when there is one.
struct MediaType {
  std::string type;
  std::optional<std::string> charset;
  // No charset, or UTF-8 (the only one the API reads).
  bool utf8() const { return !charset || *charset == "utf-8" || *charset == "utf8"; }
};
MediaType media_type(std::string_view header);

// Members of a JSON object, type-checked: 400 `invalid_field` naming the key and the type.
// `where`: the object's place in the body for the message (messages[2].text), "" for the body.
std::optional<std::string> opt_string(const nlohmann::json& obj, const char* key, std::string_view where = "");
std::string req_string(const nlohmann::json& obj, const char* key, std::string_view where = "");
std::optional<int64_t> opt_int(const nlohmann::json& obj, const char* key);
// Rejects members not in `allowed` (comma-separated) with 400 `unknown_field`.
// `where`: the object's place in the body for the message (e.g. "errors[3]"), "" for the body.
void only_keys(const nlohmann::json& obj, std::string_view allowed, std::string_view where = "");

// Path parameter `index` (1-based regex group) as a positive id; 404 naming `what` otherwise.
int64_t path_id(const httplib::Request& req, size_t index, std::string_view what);
std::string path_text(const httplib::Request& req, size_t index);

// `limit` (default 50, 1..1000) and an integer `cursor` (an id) for id-ordered lists.
int query_limit(const httplib::Request& req);
std::optional<int64_t> query_id_cursor(const httplib::Request& req, const char* name = "cursor");

// Opaque cursor text: base64url of the bytes, and back (nullopt when not valid base64url).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// A list in the contract's shape: {"items", "total", "next_cursor"}.
nlohmann::json list_body(nlohmann::json items, int64_t total, std::optional<std::string> next);

}  // namespace intake::server
