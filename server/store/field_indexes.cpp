// Per-campaign field indexes: exact and range filters on a field kept in the JSON `data`
// column are counted and answered from sorted runs of the field's values (store/sort_runs.h)
// instead of reading every participant's JSON.
//
// For each campaign, the first kMaxFieldIndexes imported, non-identity fields of a filterable
// type (enum, boolean, timezone, date, datetime, number — the types one filters by exact value
// or range; free text, email and phone fields are not indexed) are listed in sort_columns with
// the expression of their value, field_filter_expr(key, numeric) — the one the list query
// filters on. Two triggers per campaign, pf_<campaign>_changed and pf_<campaign>_deleted,
// record a changed or deleted participant's replaced values (sort_stale) and new ones
// (sort_pending), as the schema's triggers do for the identity columns. Until schema v5 these
// fields had partial expression indexes pf_<campaign>_<key>: those are dropped here.
//
// Field keys are 1-64 characters of a-z, 0-9 and _ (checked by the core), so they are safe
// inside an identifier, a string literal and a JSON path literal; the campaign id is an integer
// we formatted.
#include <algorithm>

#include "store/sort_runs.h"
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

// Names of the campaign's pf_* indexes left from before schema v5.
std::vector<std::string> legacy_indexes(Connection& c, int64_t campaign_id) {
  std::vector<std::string> out;
  auto s = c.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'participants' "
      "AND substr(name, 1, length(?1)) = ?1");
  s.bind(1, prefix(campaign_id));
  while (s.step()) out.push_back(s.text(0));
  return out;
}

// `expr` over the OLD or NEW row of a trigger.
std::string on_row(const RunColumn& col, const char* row) {
  std::string e = col.expr;
  auto at = e.find("(data,");
  return e.replace(at, 6, std::string("(") + row + ".data,");
}

std::string trigger_sql(int64_t campaign_id, const std::vector<RunColumn>& cols) {
  std::string id = std::to_string(campaign_id);
  std::string stale, pending, deleted;
  for (const RunColumn& col : cols) {
    std::string key = "'" + col.key + "'";
    std::string o = on_row(col, "OLD"), n = on_row(col, "NEW");
    if (!stale.empty()) stale += " UNION ALL ", pending += " UNION ALL ", deleted += " UNION ALL ";
    stale += "SELECT " + id + ", " + key + ", " + o + ", OLD.id WHERE " + o + " IS NOT NULL AND " + o + " IS NOT " + n;
    pending += "SELECT " + id + ", " + key + ", " + n + ", NEW.id WHERE " + n + " IS NOT NULL AND " + o + " IS NOT " + n;
    deleted += "SELECT " + id + ", " + key + ", " + o + ", OLD.id WHERE " + o + " IS NOT NULL";
  }
  return "CREATE TRIGGER " + prefix(campaign_id) + "changed AFTER UPDATE OF data ON participants WHEN NEW.campaign_id = " +
         id + " BEGIN INSERT INTO sort_stale(campaign_id, col, value, id) " + stale +
         "; INSERT INTO sort_pending(campaign_id, col, value, id) " + pending + "; END; " +
         "CREATE TRIGGER " + prefix(campaign_id) + "deleted AFTER DELETE ON participants WHEN OLD.campaign_id = " + id +
         " AND EXISTS(SELECT 1 FROM campaigns WHERE id = " + id + ") BEGIN INSERT INTO sort_stale(campaign_id, col, value, id) " +
         deleted + "; END;";
}

void drop_triggers(Connection& c, int64_t campaign_id) {
  c.exec(("DROP TRIGGER IF EXISTS " + prefix(campaign_id) + "changed").c_str());
  c.exec(("DROP TRIGGER IF EXISTS " + prefix(campaign_id) + "deleted").c_str());
}

bool has_trigger(Connection& c, const std::string& name) {
  auto s = c.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND name = ?1");
  s.bind(1, name);
  return s.step();
}

}  // namespace

std::string field_filter_expr(std::string_view key, bool numeric) {
  std::string e = "json_extract(data, '$.\"" + std::string(key) + "\"')";
  return numeric ? "CAST(" + e + " AS REAL)" : e;
}

void sync_field_indexes(Connection& c, int64_t campaign_id, const std::vector<Field>& fields) {
  for (const std::string& name : legacy_indexes(c, campaign_id)) c.exec(("DROP INDEX " + name).c_str());
  std::vector<RunColumn> wanted;
  for (const Field& f : fields) {
    if (wanted.size() == kMaxFieldIndexes) break;
    bool numeric = f.type == FieldType::number;
    if (indexable(f)) wanted.push_back({field_run_key(f.key), field_filter_expr(f.key, numeric), numeric});
  }
  std::vector<RunColumn> have;
  for (RunColumn& col : run_columns(c, campaign_id))
    if (!is_identity_run_key(col.key)) have.push_back(std::move(col));
  auto same = [](const RunColumn& a, const RunColumn& b) { return a.key == b.key && a.expr == b.expr; };
  bool changed = false;
  for (const RunColumn& h : have) {
    if (std::any_of(wanted.begin(), wanted.end(), [&](const RunColumn& w) { return same(w, h); })) continue;
    drop_sort_runs(c, campaign_id, h.key);
    c.prepare("DELETE FROM sort_columns WHERE campaign_id = ?1 AND col = ?2").bind(1, campaign_id).bind(2, h.key).run();
    changed = true;
  }
  for (const RunColumn& w : wanted) {
    if (std::any_of(have.begin(), have.end(), [&](const RunColumn& h) { return same(w, h); })) continue;
    c.prepare("INSERT INTO sort_columns(campaign_id, col, expr, numeric) VALUES(?1, ?2, ?3, ?4)")
        .bind(1, campaign_id).bind(2, w.key).bind(3, w.expr).bind(4, int64_t(w.numeric)).run();
    rebuild_sort_runs(c, campaign_id, w);  // for the participants already stored
    changed = true;
  }
  if (changed || wanted.empty() != !has_trigger(c, prefix(campaign_id) + "changed")) {
    drop_triggers(c, campaign_id);
    if (!wanted.empty()) c.exec(trigger_sql(campaign_id, wanted).c_str());
  }
}

void drop_field_indexes(Connection& c, int64_t campaign_id) {
  for (const std::string& name : legacy_indexes(c, campaign_id)) c.exec(("DROP INDEX " + name).c_str());
  drop_triggers(c, campaign_id);
}

void sync_all_field_indexes(Connection& c) {
  std::vector<std::pair<int64_t, std::string>> campaigns;
  {
    auto s = c.prepare("SELECT id, fields FROM campaigns");
    while (s.step()) campaigns.emplace_back(s.int64(0), s.text(1));
  }
  for (const auto& [id, text] : campaigns) sync_field_indexes(c, id, parse_fields(text));
}

std::optional<RunColumn> field_runs(Connection& c, int64_t campaign_id, std::string_view key) {
  auto s = c.prepare("SELECT col, expr, numeric FROM sort_columns WHERE campaign_id = ?1 AND col = ?2");
  s.bind(1, campaign_id).bind(2, field_run_key(key));
  if (!s.step()) return std::nullopt;
  return RunColumn{s.text(0), s.text(1), s.int64(2) != 0};
}

}  // namespace intake::store::detail
