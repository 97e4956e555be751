// Participants: the sorted, filtered, keyset-paginated list; details with the latest
// communication's result; deletion (communications and upload links go with it).
//
// The list query is assembled from fixed fragments only: the sort column comes from an enum,
// filter columns from a fixed set, field keys inside the JSON `data` column travel as a bound
// JSON path, and every value is a bound parameter.
#include <variant>

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

// Appends " AND ..." conditions for the query's filters; returns false on an unknown column.
void append_filters(std::string& sql, std::vector<Bound>& binds, const ParticipantQuery& q) {
  for (const Filter& f : q.filters) {
    std::string expr;
    if (f.column) {
      const char* col = filter_column(f.key);
      if (!col) throw SqliteError(0, "unknown participant column " + f.key);
      expr = col;
    } else {
      std::string path = "$.\"" + f.key + "\"";
      binds.emplace_back(path);
      expr = "json_extract(data, ?" + std::to_string(binds.size()) + ")";
    }
    if (f.numeric) expr = "CAST(" + expr + " AS REAL)";
    auto param = [&](const std::string& v) {
      binds.emplace_back(v);
      std::string p = "?" + std::to_string(binds.size());
      return f.numeric ? "CAST(" + p + " AS REAL)" : p;
    };
    switch (f.op) {
      case FilterOp::equals:
        sql += " AND " + expr + " = " + param(f.value);
        break;
      case FilterOp::contains:
        sql += " AND instr(lower(" + expr + "), lower(" + param(f.value) + ")) > 0";
        break;
      case FilterOp::range:
        if (f.low) sql += " AND " + expr + " >= " + param(*f.low);
        if (f.high) sql += " AND " + expr + " <= " + param(*f.high);
        break;
    }
  }
  if (q.upload_id) {
    binds.emplace_back(*q.upload_id);
    sql += " AND id IN (SELECT participant_id FROM participant_uploads WHERE upload_id = ?" +
           std::to_string(binds.size()) + ")";
  }
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

}  // namespace

ParticipantPage Store::list_participants(int64_t campaign_id, const ParticipantQuery& q) {
  return db_->read([&](Connection& c) {
    ParticipantPage page;
    Transaction tx(c, Transaction::Kind::read);
    std::vector<Bound> binds{campaign_id};
    std::string where = " FROM participants WHERE campaign_id = ?1";
    append_filters(where, binds, q);
    if (q.filters.empty() && !q.upload_id) {
      // Kept by triggers (schema.cpp): no scan of the campaign's index entries.
      auto s = c.prepare("SELECT participant_count FROM campaigns WHERE id = ?1");
      s.bind(1, campaign_id);
      if (s.step()) page.total = s.int64(0);
    } else {
      auto s = c.prepare("SELECT count(*)" + where);
      bind_all(s, binds);
      if (s.step()) page.total = s.int64(0);
    }
    std::string col = sort_column(q.sort);
    std::string sql =
        "SELECT id, name, email, phone, external_id, communications, created_at, updated_at" + where;
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
    auto s = c.prepare(sql);
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
      auto s = c.prepare(
          "SELECT upload_id FROM participant_uploads WHERE participant_id = ?1 ORDER BY upload_id");
      s.bind(1, id);
      while (s.step()) d.upload_ids.push_back(s.int64(0));
    }
    return d;
  });
}

bool Store::delete_participant(int64_t id) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    c.prepare("DELETE FROM participants WHERE id = ?1").bind(1, id).run();
    bool deleted = c.changes() > 0;
    tx.commit();
    return deleted;
  });
}

}  // namespace intake::store
