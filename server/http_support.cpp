// HTTP plumbing: see http_support.h.
#include "http_support.h"

#include <charconv>

namespace intake::server {

nlohmann::json error_body(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message) {
  send_json(res, status, error_body(code, message));
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

MediaType media_type(std::string_view header) {
  MediaType m;
  size_t semi = header.find(';');
  m.type = lower(trim(header.substr(0, semi)));
  while (semi != std::string_view::npos) {
    header.remove_prefix(semi + 1);
    semi = header.find(';');
    std::string_view param = trim(header.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos || lower(trim(param.substr(0, eq))) != "charset") continue;
    std::string_view value = trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    m.charset = lower(value);
  }
  return m;
}

nlohmann::json json_object_body(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  if (!type.empty()) {
    MediaType m = media_type(type);
    if (m.type != "application/json" || !m.utf8())
      throw ApiError(415, "unsupported_media_type",
                     "Send the body as application/json in UTF-8 (got " + type + ").");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw ApiError(400, "invalid_json",
                   "The body is not valid JSON (byte " + std::to_string(e.byte) + "): send a JSON object.");
  }
  if (!j.is_object()) throw ApiError(400, "invalid_json", "The body must be a JSON object.");
  return j;
}

namespace {
// How a message names a member: "key" in the body, messages[2].text inside it.
std::string member_name(const char* key, std::string_view where) {
  return where.empty() ? "\"" + std::string(key) + "\"" : std::string(where) + "." + key;
}
}  // namespace

std::optional<std::string> opt_string(const nlohmann::json& obj, const char* key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw ApiError(400, "invalid_field", member_name(key, where) + " must be a string.");
  return it->get<std::string>();
}

std::string req_string(const nlohmann::json& obj, const char* key, std::string_view where) {
  auto v = opt_string(obj, key, where);
  if (!v) throw ApiError(400, "invalid_field", member_name(key, where) + " is required (a string).");
  return *v;
}

std::optional<int64_t> opt_int(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    throw ApiError(400, "invalid_field", std::string("\"") + key + "\" must be an integer.");
  // Above 2^63 - 1 (parsed as unsigned): as large as an int64 gets, for the caller's range check.
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX)) return INT64_MAX;
  return it->get<int64_t>();
}

void only_keys(const nlohmann::json& obj, std::string_view allowed, std::string_view where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::string_view rest = allowed;
    bool ok = false;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (rest.substr(0, comma) == it.key()) {
        ok = true;
        break;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!ok)
      throw ApiError(400, "unknown_field",
                     "Unknown member \"" + it.key() + "\"" + (where.empty() ? "" : " in " + std::string(where)) +
                         "; expected one of: " + std::string(allowed) + ".");
  }
}

namespace {
std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

int64_t path_id(const httplib::Request& req, size_t index, std::string_view what) {
  std::string text = path_text(req, index);
  auto v = parse_int(text);
  if (!v || *v <= 0)
    throw ApiError(404, "not_found", "No " + std::string(what) + " with id \"" + text + "\".");
  return *v;
}

std::string path_text(const httplib::Request& req, size_t index) {
  if (index >= req.matches.size()) return {};
  return req.matches[index].str();  // httplib has already decoded the path
}

int query_limit(const httplib::Request& req) {
  if (!req.has_param("limit")) return kDefaultLimit;
  auto v = parse_int(req.get_param_value("limit"));
  if (!v || *v < 1 || *v > kMaxLimit)
    throw ApiError(400, "invalid_limit", "\"limit\" must be an integer from 1 to 1000.");
  return int(*v);
}

std::optional<int64_t> query_id_cursor(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  std::string text = req.get_param_value(name);
  if (text.empty()) return std::nullopt;
  auto v = parse_int(text);
  if (!v || *v < 0)
    throw ApiError(400, "invalid_cursor",
                   std::string("\"") + name + "\" is not a cursor this list returned.");
  return *v;
}

std::string base64url_encode(std::string_view bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8 | uint8_t(bytes[i + 2]);
    out += k[n >> 18];
    out += k[(n >> 12) & 63];
    out += k[(n >> 6) & 63];
    out += k[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += k[n >> 18];
    out += k[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8;
    out += k[n >> 18];
    out += k[(n >> 12) & 63];
    out += k[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

nlohmann::json list_body(nlohmann::json items, int64_t total, std::optional<std::string> next) {
  nlohmann::json j = {{"items", std::move(items)}, {"total", total}};
  j["next_cursor"] = next ? nlohmann::json(*next) : nlohmann::json(nullptr);
  return j;
}

}  // namespace intake::server
