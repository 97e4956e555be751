// Per-campaign field indexes: exact and range filters on a field kept in the JSON `data`
// column use a partial expression index instead of reading every participant's JSON.
//
// For each campaign, the first kMaxFieldIndexes imported, non-identity fields of a filterable
// type (enum, boolean, timezone, date, datetime, number — the types one filters by exact value
// or range; free text, email and phone fields are not indexed) get
//   CREATE INDEX pf_<campaign>_<key> ON participants(<expr>) WHERE campaign_id = <campaign>
// where <expr> is field_filter_expr(key, numeric), the very expression the list query filters
// on (SQLite uses an expression index only for the same expression, and a partial index only
// when the query's WHERE names the same literal campaign id). Each index costs every ingested
// row of its campaign one more B-tree insert (and every insert into participants one
// `campaign_id = N` test per partial index in the database), hence the cap.
//
// Field keys are 1-64 characters of a-z, 0-9 and _ (checked by the core), so they are safe
// inside an identifier and a JSON path literal; the campaign id is an integer we formatted.
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/store_internal.h"

namespace intake::store::detail {
namespace {

constexpr size_t kMaxFieldIndexes = 6;

bool safe_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool indexable(const Field& f) {
  if (!f.import || f.identity != Identity::none || !safe_key(f.key)) return false;
  switch (f.type) {
    case FieldType::enumeration:
    case FieldType::boolean:
    case FieldType::timezone:
    case FieldType::date:
    case FieldType::datetime:
    case FieldType::number:
      return true;
    default:
      return false;
  }
}

std::string prefix(int64_t campaign_id) { return "pf_" + std::to_string(campaign_id) + "_"; }

std::string create_sql(int64_t campaign_id, const Field& f) {
  return "CREATE INDEX " + field_index_name(campaign_id, f.key) + " ON participants(" +
         field_filter_expr(f.key, f.type == FieldType::number) +
         ") WHERE campaign_id = " + std::to_string(campaign_id);
}

// name → CREATE statement of the campaign's field indexes as stored in sqlite_schema.
std::vector<std::pair<std::string, std::string>> existing(Connection& c, int64_t campaign_id) {
  std::vector<std::pair<std::string, std::string>> out;
  auto s = c.prepare(
      "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'participants' "
      "AND substr(name, 1, length(?1)) = ?1");
  s.bind(1, prefix(campaign_id));
  while (s.step()) out.emplace_back(s.text(0), s.text(1));
  return out;
}

}  // namespace

std::string field_index_name(int64_t campaign_id, std::string_view key) {
  return prefix(campaign_id) + std::string(key);
}

std::string field_filter_expr(std::string_view key, bool numeric) {
  std::string e = "json_extract(data, '$.\"" + std::string(key) + "\"')";
  return numeric ? "CAST(" + e + " AS REAL)" : e;
}

void sync_field_indexes(Connection& c, int64_t campaign_id, const std::vector<Field>& fields) {
  std::vector<std::pair<std::string, std::string>> wanted;
  for (const Field& f : fields) {
    if (wanted.size() == kMaxFieldIndexes) break;
    if (indexable(f)) wanted.emplace_back(field_index_name(campaign_id, f.key), create_sql(campaign_id, f));
  }
  auto have = existing(c, campaign_id);
  for (const auto& [name, sql] : have) {
    bool keep = false;
    for (const auto& w : wanted) keep = keep || (w.first == name && w.second == sql);
    if (!keep) c.exec(("DROP INDEX " + name).c_str());
  }
  for (const auto& [name, sql] : wanted) {
    bool present = false;
    for (const auto& h : have) present = present || (h.first == name && h.second == sql);
    if (!present) c.exec(sql.c_str());
  }
}

void drop_field_indexes(Connection& c, int64_t campaign_id) {
  for (const auto& [name, sql] : existing(c, campaign_id)) c.exec(("DROP INDEX " + name).c_str());
}

void sync_all_field_indexes(Connection& c) {
  std::vector<std::pair<int64_t, std::string>> campaigns;
  {
    auto s = c.prepare("SELECT id, fields FROM campaigns");
    while (s.step()) campaigns.emplace_back(s.int64(0), s.text(1));
  }
  for (const auto& [id, text] : campaigns) sync_field_indexes(c, id, parse_fields(text));
}

bool has_field_index(Connection& c, int64_t campaign_id, std::string_view key) {
  auto s = c.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1");
  s.bind(1, field_index_name(campaign_id, key));
  return s.step();
}

}  // namespace intake::store::detail
