// Participants: the sorted, filtered, keyset-paginated list; details with the latest
// communication's result; deletion (communications and upload links go with it).
//
// The list query is assembled from fixed fragments only: the sort column comes from an enum,
// filter columns from a fixed set, field keys inside the JSON `data` column travel as a bound
// JSON path, and every value is a bound parameter.
#include <variant>

#include "store/sort_runs.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/store_internal.h"

namespace intake::store {
namespace {

const char* sort_column(SortColumn c) {
  switch (c) {
    case SortColumn::name: return "name";
    case SortColumn::email: return "email";
    case SortColumn::phone: return "phone";
    case SortColumn::external_id: return "external_id";
    case SortColumn::communications: return "communications";
    case SortColumn::created_at: return "created_at";
    case SortColumn::updated_at: return "updated_at";
  }
  return "id";
}

bool is_integer_sort(SortColumn c) { return c == SortColumn::communications; }

const char* filter_column(std::string_view key) {
  for (const char* c : {"name", "email", "phone", "external_id", "communications", "created_at",
                        "updated_at"}) {
    if (key == c) return c;
  }
  return nullptr;
}

using Bound = std::variant<int64_t, std::string>;

void bind_all(Statement& s, const std::vector<Bound>& values) {
  int i = 1;
  for (const Bound& v : values) {
    if (auto* n = std::get_if<int64_t>(&v)) s.bind(i++, *n);
    else s.bind(i++, std::get<std::string>(v));
  }
}

// `value` as a LIKE pattern matching any text that contains it ('\' escapes % _ and itself).
// `x LIKE '%v%'` is exactly the old `instr(lower(x), lower(v)) > 0`: both fold ASCII letters
// only (SQLite's lower() and LIKE without ICU), both are NULL (no match) for a missing value.
std::string contains_pattern(std::string_view value) {
  std::string p = "%";
  for (char ch : value) {
    if (ch == '%' || ch == '_' || ch == '\\') p.push_back('\\');
    p.push_back(ch);
  }
  p.push_back('%');
  return p;
}

// An upload filter lists up to this many of the upload's id ranges in the query itself.
constexpr size_t kUploadRangesInline = 32;

// A filter the sort runs answer: an exact value or a range of a run column (identity columns,
// indexed fields), or a contains on an identity column. Ends are in run bytes.
struct RunFilter {
  std::string key;
  bool contains = false;
  std::string needle;
  std::optional<std::string> low, high;
  int64_t count = -1;  // live matches, once counted
};

// The WHERE clause of a filtered list. The campaign id is written as a literal (an integer we
// formatted) and every condition stays in it, so a row read any way is tested the same.
struct FilterSql {
  std::string where;
  std::vector<Bound> binds;
  std::vector<RunFilter> run_filters;
  // The rows are limited to ids listed from a run filter: read by rowid (NOT INDEXED).
  bool id_list = false;
  // The created_at filters as conditions on created_ranges.stamp (the same parameters as in
  // `where`): which ranges can hold matching rows. Empty without a created_at filter.
  std::string range_where;
  size_t created_filters = 0;
  // The updated_at filters as conditions on the stamp of the ranges' never-updated
  // participants (whose updated_at is their created_at), with the same parameters.
  std::string updated_range_where;
  size_t updated_filters = 0;
};

// The columns a list page reads (row_from maps them), as a SELECT.
constexpr std::string_view kListSelect =
    "SELECT id, name, email, phone, external_id, communications, created_at, updated_at";

// The conditions of " FROM participants WHERE <conditions>" (a list's `where`), with their
// leading space, to put after another FROM.
std::string where_conditions(const std::string& where) { return where.substr(where.find(" WHERE ") + 6); }

// A query over the campaign's created_ranges joined with the participants each range holds,
// with `where` (" FROM participants WHERE campaign_id = ... AND ...") kept for the rows:
// " FROM created_ranges CROSS JOIN participants NOT INDEXED WHERE ...". Ranges are the outer
// loop (CROSS JOIN), each read by rowid between `low` and `high` (SQL over the range's columns).
// `counter` > 0 skips ranges without rows of interest: `live` (any), `base` (never updated).
std::string by_ranges(const std::string& where, const std::string& campaign, const std::string& range_where,
                      const std::string& low = "first_id", const std::string& high = "last_id",
                      const char* counter = "live") {
  return " FROM created_ranges CROSS JOIN participants NOT INDEXED WHERE campaign = " + campaign + " AND " +
         counter + " > 0" + range_where + " AND id BETWEEN " + low + " AND " + high +
         " AND created_at = stamp AND" + where_conditions(where);
}

// The never-updated rows of `where` through the ranges (schema v10: their updated_at is their
// created_at, so updated_at filters are stamp conditions too), and the updated ones through the
// partial index participants_updated: " FROM (... UNION ALL ...) WHERE 1" over the list's columns.
std::string by_update_parts(const FilterSql& f, const std::string& campaign) {
  const std::string cols(kListSelect);
  return " FROM (" + cols +
         by_ranges(f.where, campaign, f.range_where + f.updated_range_where, "first_id", "last_id", "base") +
         " AND updated_at = created_at UNION ALL " + cols + " FROM participants INDEXED BY participants_updated WHERE" +
         where_conditions(f.where) + " AND updated_at <> created_at) WHERE 1";
}

// " FROM participants WHERE ..." with INDEXED BY `index`, or NOT INDEXED when `index` is "".
std::string indexed_by(const std::string& where, const std::string& index) {
  return " FROM participants " + (index.empty() ? std::string("NOT INDEXED") : "INDEXED BY " + index) +
         where.substr(where.find(" WHERE "));
}

// A filter value as a numeric field's runs keep it: SQLite's own CAST, then encode_number.
std::string run_number(Connection& c, const std::string& v) {
  auto s = c.prepare("SELECT CAST(?1 AS REAL)");
  s.bind(1, v);
  return detail::encode_number(s.step() ? s.real(0) : 0.0);
}

int64_t run_count(Connection& c, int64_t campaign_id, RunFilter& r) {
  if (r.count < 0) {
    r.count = r.contains ? detail::count_containing(c, campaign_id, r.key, r.needle)
                         : detail::count_in_range(c, campaign_id, r.key, r.low, r.high);
  }
  return r.count;
}

// Limits `f` to the ids of its run filter with the fewest matches.
void add_id_list(Connection& c, int64_t campaign_id, FilterSql& f) {
  RunFilter* best = nullptr;
  for (RunFilter& r : f.run_filters)
    if (!best || run_count(c, campaign_id, r) < run_count(c, campaign_id, *best)) best = &r;
  std::vector<int64_t> ids;
  if (best->contains) detail::count_containing(c, campaign_id, best->key, best->needle, &ids);
  else ids = detail::ids_in_range(c, campaign_id, best->key, best->low, best->high);
  std::string list = "[";
  for (int64_t id : ids) {
    if (list.size() > 1) list.push_back(',');
    list += std::to_string(id);
  }
  list.push_back(']');
  f.binds.emplace_back(list);
  f.where += " AND id IN (SELECT value FROM json_each(?" + std::to_string(f.binds.size()) + "))";
  f.id_list = true;
}

FilterSql filter_sql(Connection& c, int64_t campaign_id, const ParticipantQuery& q) {
  FilterSql out;
  out.where = " FROM participants WHERE campaign_id = " + std::to_string(campaign_id);
  auto& binds = out.binds;
  for (const Filter& f : q.filters) {
    std::string expr;
    bool created = false;  // a created_at filter: also a condition on the ranges' stamp
    bool updated = false;  // an updated_at filter: also one on the never-updated rows' stamp
    std::optional<detail::RunColumn> runs;
    if (f.column) {
      const char* col = filter_column(f.key);
      if (!col) throw SqliteError(0, "unknown participant column " + f.key);
      expr = col;
      // created_at and updated_at have the ranges of created_ranges (and updated rows the
      // partial index participants_updated); communications is compared as a number (CAST);
      // the identity columns are kept in sort runs.
      if (f.numeric) expr = "CAST(" + expr + " AS REAL)";
      else if (detail::is_identity_run_key(col)) runs = detail::RunColumn{col, col, false};
      else if (std::string_view(col) == "created_at") created = true, ++out.created_filters;
      else if (std::string_view(col) == "updated_at") updated = true, ++out.updated_filters;
    } else if ((runs = detail::field_runs(c, campaign_id, f.key))) {
      expr = runs->expr;
    } else {
      std::string path = "$.\"" + f.key + "\"";
      binds.emplace_back(path);
      expr = "json_extract(data, ?" + std::to_string(binds.size()) + ")";
      if (f.numeric) expr = "CAST(" + expr + " AS REAL)";
    }
    auto param = [&](const std::string& v) {
      binds.emplace_back(v);
      std::string p = "?" + std::to_string(binds.size());
      return f.numeric ? "CAST(" + p + " AS REAL)" : p;
    };
    auto run_value = [&](const std::string& v) { return runs->numeric ? run_number(c, v) : v; };
    switch (f.op) {
      case FilterOp::equals:
        if (f.nocase) {  // binary-ordered runs and indexes cannot answer this one
          out.where += " AND " + expr + " = " + param(f.value) + " COLLATE NOCASE";
          break;
        }
        out.where += " AND " + expr + " = " + param(f.value);
        if (created) out.range_where += " AND stamp = ?" + std::to_string(binds.size());
        if (updated) out.updated_range_where += " AND stamp = ?" + std::to_string(binds.size());
        if (runs) out.run_filters.push_back({runs->key, false, "", run_value(f.value), run_value(f.value)});
        break;
      case FilterOp::contains:
        binds.emplace_back(contains_pattern(f.value));
        out.where += " AND " + expr + " LIKE ?" + std::to_string(binds.size()) + " ESCAPE '\\'";
        if (created) out.range_where += " AND stamp LIKE ?" + std::to_string(binds.size()) + " ESCAPE '\\'";
        if (updated) out.updated_range_where += " AND stamp LIKE ?" + std::to_string(binds.size()) + " ESCAPE '\\'";
        if (runs && f.column) out.run_filters.push_back({runs->key, true, f.value, {}, {}});
        break;
      case FilterOp::range:
        if (f.low) {
          out.where += " AND " + expr + " >= " + param(*f.low);
          if (created) out.range_where += " AND stamp >= ?" + std::to_string(binds.size());
          if (updated) out.updated_range_where += " AND stamp >= ?" + std::to_string(binds.size());
        }
        if (f.high) {
          out.where += " AND " + expr + " <= " + param(*f.high);
          if (created) out.range_where += " AND stamp <= ?" + std::to_string(binds.size());
          if (updated) out.updated_range_where += " AND stamp <= ?" + std::to_string(binds.size());
        }
        if (runs) {
          RunFilter r{runs->key, false, "", {}, {}};
          if (f.low) r.low = run_value(*f.low);
          if (f.high) r.high = run_value(*f.high);
          out.run_filters.push_back(std::move(r));
        }
        break;
    }
  }
  if (q.upload_id) {
    // The upload's participants: those it created (id ranges, upload_created) and those it
    // updated or linked before schema v6 (participant_uploads). A few ranges are written as
    // rowid ranges (SQLite reads each range by rowid); many are looked up per row.
    binds.emplace_back(*q.upload_id);
    std::string upload = "?" + std::to_string(binds.size());
    std::string cond = "id IN (SELECT participant_id FROM participant_uploads WHERE upload_id = " + upload + ")";
    std::vector<std::pair<int64_t, int64_t>> ranges;
    {
      auto s = c.prepare("SELECT first_id, last_id FROM upload_created WHERE upload_id = ?1 ORDER BY first_id");
      s.bind(1, *q.upload_id);
      while (s.step()) ranges.emplace_back(s.int64(0), s.int64(1));
    }
    if (ranges.size() <= kUploadRangesInline) {
      for (const auto& [first, last] : ranges) {
        binds.emplace_back(first);
        binds.emplace_back(last);
        cond += " OR id BETWEEN ?" + std::to_string(binds.size() - 1) + " AND ?" + std::to_string(binds.size());
      }
    } else {
      cond += " OR EXISTS(SELECT 1 FROM upload_created r WHERE r.upload_id = " + upload +
              " AND r.first_id <= participants.id AND r.last_id >= participants.id)";
    }
    out.where += " AND (" + cond + ")";
  }
  return out;
}

ParticipantRow row_from(const Statement& s) {
  ParticipantRow r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.email = s.text(2);
  r.phone = s.text(3);
  r.external_id = s.text(4);
  r.communications = s.int64(5);
  r.created_at = s.text(6);
  r.updated_at = s.text(7);
  return r;
}

Bound sort_value(const ParticipantRow& r, SortColumn c) {
  switch (c) {
    case SortColumn::name: return r.name;
    case SortColumn::email: return r.email;
    case SortColumn::phone: return r.phone;
    case SortColumn::external_id: return r.external_id;
    case SortColumn::communications: return r.communications;
    case SortColumn::created_at: return r.created_at;
    case SortColumn::updated_at: return r.updated_at;
  }
  return r.id;
}

// The page of a list sorted by a sort-run column, walking the merged runs from the cursor and
// keeping each entry whose participant still has that value and passes the filters.
void walk_runs(Connection& c, int64_t campaign_id, const char* run_key, const ParticipantQuery& q,
               const FilterSql* f, ParticipantPage& page) {
  std::string sql(kListSelect);
  std::vector<Bound> binds;
  if (f) {
    binds = f->binds;
    sql += indexed_by(f->where, "");
  } else {
    binds.emplace_back(campaign_id);
    sql += " FROM participants WHERE campaign_id = ?1";
  }
  int id_param = int(binds.size()) + 1;
  sql += " AND id = ?" + std::to_string(id_param);
  auto s = f ? c.prepare_once(sql) : c.prepare(sql);
  bind_all(s, binds);
  std::optional<std::pair<std::string, int64_t>> after;
  if (q.after) {
    auto* t = std::get_if<std::string>(&q.after->value);
    after.emplace(t ? *t : std::string(), q.after->id);
  }
  detail::SortWalk walk(c, campaign_id, run_key, q.descending, after);
  std::string_view value;
  int64_t id = 0;
  while (walk.next(value, id)) {
    s.bind(id_param, id);
    bool found = s.step();
    std::optional<ParticipantRow> row;
    if (found) row = row_from(s);
    s.reset();
    if (!row || std::get<std::string>(sort_value(*row, q.sort)) != value) continue;  // stale entry
    if (int(page.items.size()) == q.limit) {
      const ParticipantRow& last = page.items.back();
      page.next = ListCursor{sort_value(last, q.sort), last.id};
      break;
    }
    page.items.push_back(std::move(*row));
  }
}

// The next item of a page read by `s` in the sort's order (the limit+1-th makes the cursor).
// False once the page is full.
bool take_row(const Statement& s, const ParticipantQuery& q, ParticipantPage& page) {
  if (int(page.items.size()) == q.limit) {
    const ParticipantRow& last = page.items.back();
    page.next = ListCursor{sort_value(last, q.sort), last.id};
    return false;
  }
  page.items.push_back(row_from(s));
  return true;
}

// The query (and its parameters, appended to `binds`) of the rows of `where` in created_at
// order, from the cursor on, limit + 1 rows: the campaign's created_ranges in (stamp, first_id)
// order (SQLite reads the ranges' primary key in order and each range by rowid, no sorting),
// keeping the rows that pass `where` (see by_ranges). `base`: only never-updated rows (their
// updated_at is their created_at, schema v10), whose created_at order is their updated_at order.
std::string created_order_sql(const ParticipantQuery& q, const std::string& where, const std::string& campaign,
                              const std::string& range_where, std::vector<Bound>& binds, bool base = false) {
  const char* dir = q.descending ? " DESC" : " ASC";
  std::string low = "first_id", high = "last_id", after_range, after_row;
  if (q.after) {
    // Ranges after the cursor's, and within the cursor's range only the ids after it.
    auto* t = std::get_if<std::string>(&q.after->value);
    binds.emplace_back(t ? *t : std::string());
    binds.emplace_back(q.after->id);
    std::string v = "?" + std::to_string(binds.size() - 1), i = "?" + std::to_string(binds.size());
    if (q.descending) {
      after_range = " AND (stamp, first_id) < (" + v + ", " + i + ")";
      high = "(CASE WHEN stamp = " + v + " THEN min(last_id, " + i + " - 1) ELSE last_id END)";
    } else {
      after_range = " AND (stamp, last_id) > (" + v + ", " + i + ")";
      low = "(CASE WHEN stamp = " + v + " THEN max(first_id, " + i + " + 1) ELSE first_id END)";
    }
    after_row = " AND (created_at, id) " + std::string(q.descending ? "<" : ">") + " (" + v + ", " + i + ")";
  }
  binds.emplace_back(int64_t(q.limit) + 1);
  return std::string(kListSelect) +
         by_ranges(where, campaign, range_where + after_range, low, high, base ? "base" : "live") + after_row +
         (base ? " AND updated_at = created_at" : "") + " ORDER BY stamp" + dir + ", first_id" + dir + ", id" +
         dir + " LIMIT ?" + std::to_string(binds.size());
}

// The page of a list sorted by created_at (created_order_sql). `binds` are those of `where`,
// `campaign` and `range_where`; `cached`: a fixed shape, kept prepared.
void read_created_order(Connection& c, const ParticipantQuery& q, const std::string& where,
                        const std::string& campaign, const std::string& range_where,
                        std::vector<Bound> binds, bool cached, ParticipantPage& page) {
  std::string sql = created_order_sql(q, where, campaign, range_where, binds);
  auto s = cached ? c.prepare(sql) : c.prepare_once(sql);
  bind_all(s, binds);
  while (s.step() && take_row(s, q, page)) {
  }
}

// The page of a list sorted by updated_at (schema v10): two ordered parts merged, the
// never-updated participants in created_at order (created_order_sql with `base`; `range_where`
// holds the created_at and updated_at filters as stamp conditions) and the updated ones from
// the partial index participants_updated, each from the cursor on.
void read_updated_order(Connection& c, const ParticipantQuery& q, const std::string& where,
                        const std::string& campaign, const std::string& range_where,
                        const std::vector<Bound>& binds, bool cached, ParticipantPage& page) {
  std::vector<Bound> base_binds = binds, updated_binds = binds;
  std::string base_sql = created_order_sql(q, where, campaign, range_where, base_binds, true);
  const char* dir = q.descending ? " DESC" : " ASC";
  std::string updated_sql =
      std::string(kListSelect) + " FROM participants INDEXED BY participants_updated WHERE" + where_conditions(where) +
      " AND updated_at <> created_at";
  if (q.after) {
    auto* t = std::get_if<std::string>(&q.after->value);
    updated_binds.emplace_back(t ? *t : std::string());
    updated_binds.emplace_back(q.after->id);
    updated_sql += " AND (updated_at, id) " + std::string(q.descending ? "<" : ">") + " (?" +
                   std::to_string(updated_binds.size() - 1) + ", ?" + std::to_string(updated_binds.size()) + ")";
  }
  updated_binds.emplace_back(int64_t(q.limit) + 1);
  updated_sql += std::string(" ORDER BY updated_at") + dir + ", id" + dir + " LIMIT ?" +
                 std::to_string(updated_binds.size());
  auto a = cached ? c.prepare(base_sql) : c.prepare_once(base_sql);
  auto b = cached ? c.prepare(updated_sql) : c.prepare_once(updated_sql);
  bind_all(a, base_binds);
  bind_all(b, updated_binds);
  bool has_a = a.step(), has_b = b.step();
  while (has_a || has_b) {
    bool take_a = has_a;
    if (has_a && has_b) {
      // (updated_at, id) of each head; the first in the list's direction goes next.
      int cmp = a.text_view(7).compare(b.text_view(7));
      if (cmp == 0) cmp = a.int64(0) < b.int64(0) ? -1 : 1;
      take_a = q.descending ? cmp > 0 : cmp < 0;
    }
    Statement& s = take_a ? a : b;
    if (!take_row(s, q, page)) return;
    (take_a ? has_a : has_b) = s.step();
  }
}

// The page of a list sorted by communications (schema v9): the participants without
// communications in id order — the campaign's created_ranges that still hold some, by first_id,
// each read by rowid — and those with communications from the partial index
// participants_communicated; ascending the first come first (0 is the smallest count). From the
// cursor on, keeping the rows that pass `where` (" FROM participants WHERE campaign_id = ... AND
// ..." with `binds`); `cached`: a fixed shape, kept prepared.
void read_communications_order(Connection& c, const ParticipantQuery& q, const std::string& where,
                               const std::string& campaign, const std::vector<Bound>& binds, bool cached,
                               ParticipantPage& page) {
  const char* dir = q.descending ? " DESC" : " ASC";
  const std::string cols(kListSelect);
  std::optional<int64_t> after_value, after_id;
  if (q.after) {
    auto* n = std::get_if<int64_t>(&q.after->value);
    after_value = n ? *n : 0;
    after_id = q.after->id;
  }
  // Reads up to limit + 1 - (rows so far) rows of one part; false once the page is full.
  auto read = [&](bool zero_part) {
    std::vector<Bound> b = binds;
    std::string sql = cols;
    std::string tail = where_conditions(where);
    if (zero_part) {
      std::string low = "first_id", high = "last_id", after;
      if (after_value && *after_value == 0) {
        b.emplace_back(*after_id);
        std::string i = "?" + std::to_string(b.size());
        if (q.descending) after = " AND first_id < " + i, high = "min(last_id, " + i + " - 1)";
        else after = " AND last_id > " + i, low = "max(first_id, " + i + " + 1)";
      }
      sql += " FROM created_ranges INDEXED BY created_ranges_by_campaign CROSS JOIN participants NOT INDEXED"
             " WHERE campaign = " + campaign + " AND zero > 0" + after + " AND id BETWEEN " + low + " AND " +
             high + " AND communications = 0 AND" + tail + " ORDER BY first_id" + dir + ", id" + dir;
    } else {
      sql += " FROM participants INDEXED BY participants_communicated WHERE" + tail + " AND communications <> 0";
      if (after_value && *after_value != 0) {
        b.emplace_back(*after_value);
        b.emplace_back(*after_id);
        sql += " AND (communications, id) " + std::string(q.descending ? "<" : ">") + " (?" +
               std::to_string(b.size() - 1) + ", ?" + std::to_string(b.size()) + ")";
      }
      sql += " ORDER BY communications" + std::string(dir) + ", id" + dir;
    }
    b.emplace_back(int64_t(q.limit) + 1 - int64_t(page.items.size()));
    sql += " LIMIT ?" + std::to_string(b.size());
    auto s = cached ? c.prepare(sql) : c.prepare_once(sql);
    bind_all(s, b);
    while (s.step())
      if (!take_row(s, q, page)) return false;
    return true;
  };
  // Ascending: the zeros (unless the cursor is past them), then the others; descending the
  // other way round.
  bool past_zeros = after_value && *after_value != 0;
  if (!q.descending) {
    if (!past_zeros && !read(true)) return;
    read(false);
  } else {
    if ((!after_value || past_zeros) && !read(false)) return;
    read(true);
  }
}

}  // namespace

ParticipantPage Store::list_participants(int64_t campaign_id, const ParticipantQuery& q) {
  return db_->read([&](Connection& c) {
    ParticipantPage page;
    Transaction tx(c, Transaction::Kind::read);
    std::string col = sort_column(q.sort);
    const char* run_key = detail::sort_run_key(q.sort);
    std::string sql(kListSelect);
    std::vector<Bound> binds;
    bool filtered = !q.filters.empty() || q.upload_id;
    int64_t campaign_rows = 0;
    {
      // Kept by apply_batch and a delete trigger: no scan of the campaign's index entries.
      auto s = c.prepare("SELECT participant_count FROM campaigns WHERE id = ?1");
      s.bind(1, campaign_id);
      if (s.step()) campaign_rows = s.int64(0);
    }
    if (!filtered) {
      page.total = campaign_rows;
      if (run_key) {
        if (page.total > 0) walk_runs(c, campaign_id, run_key, q, nullptr, page);
        return page;
      }
      binds.emplace_back(campaign_id);
      if (q.sort == SortColumn::created_at) {
        if (page.total > 0)
          read_created_order(c, q, " FROM participants WHERE campaign_id = ?1", "?1", "", binds, true, page);
        return page;
      }
      if (q.sort == SortColumn::communications) {
        if (page.total > 0)
          read_communications_order(c, q, " FROM participants WHERE campaign_id = ?1", "?1", binds, true, page);
        return page;
      }
      if (q.sort == SortColumn::updated_at) {
        if (page.total > 0)
          read_updated_order(c, q, " FROM participants WHERE campaign_id = ?1", "?1", "", binds, true, page);
        return page;
      }
      sql += " FROM participants WHERE campaign_id = ?1";
    } else {
      FilterSql f = filter_sql(c, campaign_id, q);
      std::string campaign = std::to_string(campaign_id);
      if (f.run_filters.size() == 1 && q.filters.size() == 1 && !q.upload_id) {
        // One filter the runs answer: counted from them (block sums, or one pass over the
        // packed values for a contains), not over a million rows.
        page.total = run_count(c, campaign_id, f.run_filters[0]);
      } else if (f.created_filters > 0 && f.created_filters == q.filters.size() && !q.upload_id) {
        // Only created_at filters: the live counts of the ranges whose stamp passes them.
        auto s = c.prepare_once("SELECT coalesce(sum(live), 0) FROM created_ranges WHERE campaign = " +
                                campaign + f.range_where);
        bind_all(s, f.binds);
        if (s.step()) page.total = s.int64(0);
      } else if (f.updated_filters > 0 && f.created_filters + f.updated_filters == q.filters.size() &&
                 !q.upload_id) {
        // Only time filters, some on updated_at: the never-updated participants counted from the
        // ranges (base), the updated ones over their partial index.
        auto s = c.prepare_once(
            "SELECT (SELECT coalesce(sum(base), 0) FROM created_ranges WHERE campaign = " + campaign +
            f.range_where + f.updated_range_where + ") + (SELECT count(*) FROM participants INDEXED BY "
            "participants_updated WHERE" + where_conditions(f.where) +
            " AND updated_at <> created_at)");
        bind_all(s, f.binds);
        if (s.step()) page.total = s.int64(0);
      } else {
        // Several filters: the rows are limited to the ids of the most selective run filter.
        if (!f.run_filters.empty()) add_id_list(c, campaign_id, f);
        // A contains filter on created_at or updated_at alone is counted over that column's
        // narrow index (campaign_id, column, id) rather than the table's rows.
        std::string count = "SELECT count(*)" + f.where;
        if (f.id_list) count = "SELECT count(*)" + indexed_by(f.where, "");
        else if (f.updated_filters > 0) count = "SELECT count(*)" + by_update_parts(f, campaign);
        else if (!f.range_where.empty()) count = "SELECT count(*)" + by_ranges(f.where, campaign, f.range_where);
        auto s = c.prepare_once(count);
        bind_all(s, f.binds);
        if (s.step()) page.total = s.int64(0);
      }
      if (page.total == 0) return page;
      // Which way to find the page: walk the sort's order and test the filters on each row
      // (about (limit + 1) * campaign_rows / total rows read, a cursor seeks straight to its
      // place), or read every matching row by the ids a run filter lists (or a time column's
      // index) and sort them (total rows). Walk when that reads fewer rows, or when there is no
      // other way; SQLite has no statistics to make this choice itself.
      double walk_rows = double(q.limit + 1) * double(campaign_rows) / double(page.total);
      bool other_way = f.id_list || !f.run_filters.empty() || !f.range_where.empty() || f.updated_filters > 0;
      bool walk = !q.upload_id && !f.id_list && (!other_way || walk_rows < double(page.total));
      if (walk && run_key) {
        walk_runs(c, campaign_id, run_key, q, &f, page);
        return page;
      }
      if (walk && q.sort == SortColumn::communications) {
        read_communications_order(c, q, f.where, campaign, f.binds, false, page);
        return page;
      }
      if (walk && q.sort == SortColumn::updated_at) {
        read_updated_order(c, q, f.where, campaign, f.range_where + f.updated_range_where, f.binds, false, page);
        return page;
      }
      // created_at's order is walked through the ranges (which created_at filters narrow); an
      // upload's rows are walked that way too when that reads fewer rows.
      if (q.sort == SortColumn::created_at && !f.id_list &&
          (!(other_way || q.upload_id) || walk_rows < double(page.total))) {
        read_created_order(c, q, f.where, campaign, f.range_where, f.binds, false, page);
        return page;
      }
      if (!walk && !f.id_list && !f.run_filters.empty()) add_id_list(c, campaign_id, f);
      std::string where = f.where;
      if (f.id_list) where = indexed_by(where, "");
      else if (f.updated_filters > 0) where = by_update_parts(f, campaign);
      else if (!f.range_where.empty()) where = by_ranges(where, campaign, f.range_where);
      sql += where;
      binds = std::move(f.binds);
    }
    if (q.after) {
      if (is_integer_sort(q.sort)) {
        auto* n = std::get_if<int64_t>(&q.after->value);
        binds.emplace_back(n ? *n : int64_t(0));
      } else {
        auto* t = std::get_if<std::string>(&q.after->value);
        binds.emplace_back(t ? *t : std::string());
      }
      binds.emplace_back(q.after->id);
      sql += " AND (" + col + ", id) " + (q.descending ? "<" : ">") + " (?" +
             std::to_string(binds.size() - 1) + ", ?" + std::to_string(binds.size()) + ")";
    }
    const char* dir = q.descending ? " DESC" : " ASC";
    sql += " ORDER BY " + col + dir + ", id" + dir;
    binds.emplace_back(int64_t(q.limit) + 1);
    sql += " LIMIT ?" + std::to_string(binds.size());
    // Unfiltered lists have a few fixed shapes (cached); filtered ones name the campaign.
    auto s = filtered ? c.prepare_once(sql) : c.prepare(sql);
    bind_all(s, binds);
    while (s.step()) {
      if (int(page.items.size()) == q.limit) {
        const ParticipantRow& last = page.items.back();
        page.next = ListCursor{sort_value(last, q.sort), last.id};
        break;
      }
      page.items.push_back(row_from(s));
    }
    return page;
  });
}

std::optional<ParticipantDetail> Store::get_participant(int64_t id) {
  return db_->read([&](Connection& c) -> std::optional<ParticipantDetail> {
    Transaction tx(c, Transaction::Kind::read);
    ParticipantDetail d;
    {
      auto s = c.prepare(
          "SELECT p.id, p.name, p.email, p.phone, p.external_id, p.communications, p.created_at, "
          "p.updated_at, p.campaign_id, p.data, k.fields FROM participants p "
          "JOIN campaigns k ON k.id = p.campaign_id WHERE p.id = ?1");
      s.bind(1, id);
      if (!s.step()) return std::nullopt;
      d.row = row_from(s);
      d.campaign_id = s.int64(8);
      d.data_json = s.text(9);
      d.fields = detail::parse_fields(s.text_view(10));
    }
    {
      auto s = c.prepare(
          "SELECT result, result_at FROM communications WHERE participant_id = ?1 "
          "ORDER BY id DESC LIMIT 1");
      s.bind(1, id);
      if (s.step()) {
        d.has_communication = true;
        if (!s.is_null(0)) d.result = s.text(0);
        if (!s.is_null(1)) d.result_at = s.text(1);
      }
    }
    {
      // Links of updates (and of everything before schema v6), and the upload whose created
      // range holds the id (ranges do not overlap: the one starting last at or before it).
      auto s = c.prepare(
          "SELECT upload_id FROM participant_uploads WHERE participant_id = ?1 UNION "
          "SELECT upload_id FROM upload_created WHERE last_id >= ?1 AND "
          "first_id = (SELECT max(first_id) FROM upload_created WHERE first_id <= ?1) ORDER BY 1");
      s.bind(1, id);
      while (s.step()) d.upload_ids.push_back(s.int64(0));
    }
    return d;
  });
}

bool Store::delete_participant(int64_t id) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    int64_t campaign_id = 0;
    {
      auto s = c.prepare("SELECT campaign_id FROM participants WHERE id = ?1");
      s.bind(1, id);
      if (s.step()) campaign_id = s.int64(0);
    }
    c.prepare("DELETE FROM participants WHERE id = ?1").bind(1, id).run();
    bool deleted = c.changes() > 0;
    // The deletion left stale sort-run entries (trigger); many of them make counts slower.
    if (deleted) detail::tidy_sort_runs(c, campaign_id, first_tier_runs_);
    tx.commit();
    return deleted;
  });
}

}  // namespace intake::store
