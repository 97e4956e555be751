// Participant routes: the list (every sort ascending or descending with a stable id
// tie-break, filters by any field and by upload, keyset cursors with a total), details with
// fields in Data-tab order and the latest communication's result, and deletion.
#include <charconv>

#include "json_shapes.h"
#include "routes.h"
#include "schema/field.h"
#include "validate/field_checks.h"

namespace intake::server {
namespace {

constexpr const char* kSorts = "name, email, phone, external_id, communications, created_at, updated_at";

std::optional<store::SortColumn> sort_from(std::string_view s) {
  using store::SortColumn;
  if (s == "name") return SortColumn::name;
  if (s == "email") return SortColumn::email;
  if (s == "phone") return SortColumn::phone;
  if (s == "external_id") return SortColumn::external_id;
  if (s == "communications") return SortColumn::communications;
  if (s == "created_at") return SortColumn::created_at;
  if (s == "updated_at") return SortColumn::updated_at;
  return std::nullopt;
}

const char* identity_column(Identity i) {
  switch (i) {
    case Identity::name: return "name";
    case Identity::email: return "email";
    case Identity::phone: return "phone";
    case Identity::external_id: return "external_id";
    default: return nullptr;
  }
}

// Resolves filter[key]=value against the campaign's fields (and created_at, updated_at,
// communications). 400 unknown_filter naming the key and the keys that exist.
store::Filter make_filter(const std::string& key, const std::string& value,
                          const std::vector<Field>& fields) {
  store::Filter f;
  bool rangeable = false;
  const Field* field = nullptr;
  if (key == "created_at" || key == "updated_at" || key == "communications") {
    f.key = key;
    f.column = true;
    f.numeric = key == "communications";
    rangeable = true;
  } else {
    for (const Field& x : fields) if (x.key == key) field = &x;
    if (!field) {
      std::string known;
      for (const Field& x : fields) known += (known.empty() ? "" : ", ") + x.key;
      throw ApiError(400, "unknown_filter",
                     "No field \"" + key + "\" to filter on; this campaign's fields are: " + known +
                         " (and created_at, updated_at, communications).");
    }
    if (const char* col = identity_column(field->identity)) {
      f.key = col;
      f.column = true;
    } else {
      f.key = field->key;
    }
    f.numeric = field->type == FieldType::number;
    rangeable = field->type == FieldType::number || field->type == FieldType::date ||
                field->type == FieldType::datetime;
  }
  auto bad = [&](const std::string& what) {
    return ApiError(400, "invalid_filter", "filter[" + key + "]: " + what);
  };
  // A number as the store compares it (communications is an integer count).
  auto number = [&](const std::string& v) {
    std::string out;
    CellError err;
    if (v.empty() || !check_number(v, out, err))
      throw bad("\"" + v + "\" is not a number");
    return out;
  };
  if (!value.empty() && value[0] == '~') {
    f.op = store::FilterOp::contains;
    f.value = value.substr(1);
  } else if (auto dots = value.find(".."); rangeable && dots != std::string::npos) {
    f.op = store::FilterOp::range;
    if (dots > 0) f.low = value.substr(0, dots);
    if (dots + 2 < value.size()) f.high = value.substr(dots + 2);
    bool date_field = field && field->type == FieldType::date;
    for (auto* end : {&f.low, &f.high}) {
      if (!*end) continue;
      if (f.numeric) {
        **end = number(**end);
        continue;
      }
      // Date and datetime ends: an ISO date (YYYY-MM-DD) or an ISO datetime with offset,
      // compared as the normalized text the store keeps.
      std::string out;
      CellError err;
      if (check_date(**end, "", out, err)) {
        // On a datetime column a date-only upper end includes that whole day: the values are
        // whole-second UTC datetimes, so "<= DAYT23:59:59Z" is "< next day".
        if (!date_field && end == &f.high) out += "T23:59:59Z";
      } else if (!date_field && (out.clear(), check_datetime(**end, out, err))) {
      } else {
        throw bad("range ends must be " +
                  std::string(date_field ? "dates like 2026-11-24" :
                                           "dates like 2026-11-24 or datetimes like 2026-11-24T09:30:00Z") +
                  " (got \"" + **end + "\")");
      }
      **end = out;
    }
  } else {
    f.op = store::FilterOp::equals;
    f.value = value;
    if (key == "communications") {
      f.value = number(value);
    } else if (key == "created_at" || key == "updated_at") {
      std::string out;
      CellError err;
      if (!check_datetime(value, out, err))
        throw bad("\"" + value + "\" is not a datetime like 2026-11-24T09:30:00Z; for a whole day use a range, "
                  "2026-11-24..2026-11-24");
      f.value = out;
    } else if (field && field->type != FieldType::text && !value.empty()) {
      // Compare with the value as the core stores it: emails with a lower-cased domain (and
      // compared case-insensitively, as identities are), phones in E.164 (default region US),
      // numbers, dates, datetimes and booleans normalized.
      CheckOptions opts;
      opts.default_region = "US";
      Field loose = *field;
      loose.required = false;
      std::string out;
      CellError err;
      if (!check_cell(loose, value, opts, out, err))
        throw bad("\"" + value + "\" is not a valid value for this field: " + err.message);
      f.value = out;
      f.nocase = field->type == FieldType::email;
    }
  }
  return f;
}

std::string cursor_text(const std::string& sort, const store::ListCursor& c) {
  nlohmann::json j = {{"s", sort}, {"i", c.id}};
  if (auto* n = std::get_if<int64_t>(&c.value)) j["v"] = *n;
  else j["v"] = std::get<std::string>(c.value);
  return base64url_encode(j.dump());
}

store::ListCursor cursor_from(const std::string& text, const std::string& sort) {
  auto bad = [] {
    return ApiError(400, "invalid_cursor",
                    "\"cursor\" is not a next_cursor this list returned for the same sort; start again without it.");
  };
  auto raw = base64url_decode(text);
  if (!raw) throw bad();
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (!j.is_object() || !j.contains("s") || !j.contains("i") || !j.contains("v") || j["s"] != sort ||
      !j["i"].is_number_integer())
    throw bad();
  store::ListCursor c;
  c.id = j["i"].get<int64_t>();
  if (j["v"].is_number_integer()) c.value = j["v"].get<int64_t>();
  else if (j["v"].is_string()) c.value = j["v"].get<std::string>();
  else throw bad();
  return c;
}

}  // namespace

void add_participant_routes(RouteTable& t, store::Store& store) {
  t.add({"GET", "/api/v1/campaigns/{id}/participants",
         "List participants: sort, filter[<field key>] (exact, ~contains, a..b range), upload_id, cursor pages",
         {200, 400, 404},
         {{"sort", std::string("one of ") + kSorts + "; prefix - for descending (default created_at)"},
          {"filter[<field key>]", "value (exact), ~value (contains), a..b (range; either end optional)"},
          {"upload_id", "only participants created or updated by this upload"},
          {"limit", "page size, 1..1000 (default 50)"},
          {"cursor", "next_cursor of the previous page (same sort and filters)"}},
         "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t campaign = path_id(req, 1, "campaign");
           auto fields = store.get_fields(campaign);
           if (!fields) throw ApiError(404, "not_found", "No campaign with this id.");
           store::ParticipantQuery q;
           q.limit = query_limit(req);
           std::string sort = req.has_param("sort") ? req.get_param_value("sort") : "created_at";
           std::string_view name = sort;
           if (!name.empty() && name[0] == '-') {
             q.descending = true;
             name.remove_prefix(1);
           }
           auto col = sort_from(name);
           if (!col)
             throw ApiError(400, "unknown_sort",
                            "Cannot sort by \"" + std::string(name) + "\"; sort by one of: " + kSorts +
                                " (prefix - for descending).");
           q.sort = *col;
           for (const auto& [key, value] : req.params) {
             if (key == "limit" || key == "cursor" || key == "sort") continue;
             if (key == "upload_id") {
               int64_t v = 0;
               auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
               if (ec != std::errc() || p != value.data() + value.size() || v <= 0)
                 throw ApiError(400, "invalid_upload_id", "\"upload_id\" must be an upload's id.");
               q.upload_id = v;
             } else if (key.rfind("filter[", 0) == 0 && key.size() > 8 && key.back() == ']') {
               q.filters.push_back(make_filter(key.substr(7, key.size() - 8), value, *fields));
             } else {
               throw ApiError(400, "unknown_parameter",
                              "Unknown query parameter \"" + key +
                                  "\"; use sort, filter[<field key>], upload_id, limit, cursor.");
             }
           }
           if (req.has_param("cursor") && !req.get_param_value("cursor").empty())
             q.after = cursor_from(req.get_param_value("cursor"), sort);
           auto page = store.list_participants(campaign, q);
           nlohmann::json items = nlohmann::json::array();
           for (auto& p : page.items) items.push_back(participant_row_json(p));
           std::optional<std::string> next;
           if (page.next) next = cursor_text(sort, *page.next);
           send_json(res, 200, list_body(items, page.total, next));
         }});

  t.add({"GET", "/api/v1/participants/{id}",
         "A participant: fields in Data-tab order, the latest communication's result, uploads",
         {200, 404}, {}, "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           auto d = store.get_participant(path_id(req, 1, "participant"));
           if (!d) throw ApiError(404, "not_found", "No participant with this id.");
           auto data = nlohmann::json::parse(d->data_json, nullptr, false);
           if (!data.is_object()) data = nlohmann::json::object();
           nlohmann::json fields = nlohmann::json::array();
           for (const Field& f : d->fields) {
             std::string value;
             switch (f.identity) {
               case Identity::name: value = d->row.name; break;
               case Identity::email: value = d->row.email; break;
               case Identity::phone: value = d->row.phone; break;
               case Identity::external_id: value = d->row.external_id; break;
               default:
                 if (auto it = data.find(f.key); it != data.end() && it->is_string()) value = *it;
             }
             fields.push_back({{"key", f.key}, {"label", f.label}, {"value", value}});
           }
           nlohmann::json j = {{"id", id_text(d->row.id)},
                               {"campaign_id", id_text(d->campaign_id)},
                               {"fields", fields},
                               {"communications", d->row.communications},
                               {"created_at", d->row.created_at},
                               {"updated_at", d->row.updated_at}};
           if (d->has_communication) {
             j["result"] = {{"result", d->result ? nlohmann::json(*d->result) : nlohmann::json(nullptr)},
                            {"result_at", d->result_at ? nlohmann::json(*d->result_at) : nlohmann::json(nullptr)}};
           } else {
             j["result"] = nullptr;
           }
           nlohmann::json uploads = nlohmann::json::array();
           for (int64_t u : d->upload_ids) uploads.push_back(id_text(u));
           j["upload_ids"] = uploads;
           send_json(res, 200, j);
         }});

  t.add({"DELETE", "/api/v1/participants/{id}", "Delete a participant and its communications",
         {204, 404}, {}, "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           if (!store.delete_participant(path_id(req, 1, "participant")))
             throw ApiError(404, "not_found", "No participant with this id.");
           res.status = 204;
         }});
}

}  // namespace intake::server
