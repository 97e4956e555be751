// Campaigns, their ordered field list (stored as the core's JSON), and the campaign summary.
#include <nlohmann/json.hpp>

#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/store_internal.h"

namespace intake::store {

namespace detail {

std::vector<Field> parse_fields(std::string_view json_text) {
  auto parsed = fields_from_json_text(json_text);
  if (!parsed.problems.empty()) {
    throw SqliteError(0, "stored field list does not parse: " + parsed.problems.front().message);
  }
  return std::move(parsed.fields);
}

std::string fields_text(const std::vector<Field>& fields) { return fields_to_json(fields).dump(); }

int64_t next_id(Connection& conn, std::string_view table) {
  // `table` is one of three names written in the callers, never a value from a request.
  auto s = conn.prepare("SELECT max(coalesce((SELECT max(id) FROM " + std::string(table) +
                        "), 0), coalesce((SELECT high FROM id_high_water WHERE tbl = ?1), 0)) + 1");
  s.bind(1, std::string(table));
  s.step();
  return s.int64(0);
}

}  // namespace detail

Campaign Store::create_campaign(const std::string& name, const std::vector<Field>& fields) {
  return db_->write([&](Connection& c) {
    Campaign k{0, name, iso_time(now_seconds())};
    Transaction tx(c, Transaction::Kind::write);
    k.id = detail::next_id(c, "campaigns");
    c.prepare("INSERT INTO campaigns(id, name, fields, created_at) VALUES(?4, ?1, ?2, ?3)")
        .bind(1, name).bind(2, detail::fields_text(fields)).bind(3, k.created_at).bind(4, k.id).run();
    detail::sync_field_indexes(c, k.id, fields);
    tx.commit();
    return k;
  });
}

Page<Campaign> Store::list_campaigns(int limit, std::optional<int64_t> after) {
  return db_->read([&](Connection& c) {
    Page<Campaign> page;
    Transaction tx(c, Transaction::Kind::read);
    {
      auto s = c.prepare("SELECT count(*) FROM campaigns");
      if (s.step()) page.total = s.int64(0);
    }
    auto s = c.prepare(
        "SELECT id, name, created_at FROM campaigns WHERE id > ?1 ORDER BY id LIMIT ?2");
    s.bind(1, after.value_or(0)).bind(2, limit + 1);
    while (s.step()) {
      if (int(page.items.size()) == limit) {
        page.next_after = page.items.back().id;
        break;
      }
      page.items.push_back({s.int64(0), s.text(1), s.text(2)});
    }
    return page;
  });
}

std::optional<Campaign> Store::get_campaign(int64_t id) {
  return db_->read([&](Connection& c) -> std::optional<Campaign> {
    auto s = c.prepare("SELECT id, name, created_at FROM campaigns WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return Campaign{s.int64(0), s.text(1), s.text(2)};
  });
}

std::optional<Campaign> Store::rename_campaign(int64_t id, const std::string& name) {
  return db_->write([&](Connection& c) -> std::optional<Campaign> {
    Transaction tx(c, Transaction::Kind::write);
    auto s = c.prepare("UPDATE campaigns SET name = ?2 WHERE id = ?1 RETURNING id, name, created_at");
    s.bind(1, id).bind(2, name);
    if (!s.step()) return std::nullopt;
    Campaign k{s.int64(0), s.text(1), s.text(2)};
    s.run();
    tx.commit();
    return k;
  });
}

bool Store::delete_campaign(int64_t id) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    c.prepare("DELETE FROM campaigns WHERE id = ?1").bind(1, id).run();
    bool deleted = c.changes() > 0;
    detail::drop_field_indexes(c, id);
    tx.commit();
    return deleted;
  });
}

std::optional<std::vector<Field>> Store::get_fields(int64_t campaign_id) {
  return db_->read([&](Connection& c) -> std::optional<std::vector<Field>> {
    auto s = c.prepare("SELECT fields FROM campaigns WHERE id = ?1");
    s.bind(1, campaign_id);
    if (!s.step()) return std::nullopt;
    return detail::parse_fields(s.text_view(0));
  });
}

Result<Empty> Store::replace_fields(int64_t campaign_id, const std::vector<Field>& fields) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    detail::expire_idle(c, idle_seconds_, 0);
    if (!detail::campaign_exists(c, campaign_id))
      return Result<Empty>::fail(Outcome::not_found, "not_found", "No campaign with this id.");
    {
      auto s = c.prepare(
          "SELECT id FROM uploads WHERE campaign_id = ?1 AND status = 'Processing'");
      s.bind(1, campaign_id);
      if (s.step()) {
        return Result<Empty>::fail(
            Outcome::conflict, "upload_in_progress",
            "Upload " + std::to_string(s.int64(0)) +
                " is still processing; fields cannot change until it completes or is canceled.");
      }
    }
    c.prepare("UPDATE campaigns SET fields = ?2 WHERE id = ?1")
        .bind(1, campaign_id).bind(2, detail::fields_text(fields)).run();
    // Indexes for the new field list (built here for the participants already stored).
    detail::sync_field_indexes(c, campaign_id, fields);
    tx.commit();
    return Result<Empty>{};
  });
}

std::optional<Summary> Store::summary(int64_t campaign_id) {
  if (!get_campaign(campaign_id)) return std::nullopt;
  expire_idle_uploads();  // reads first; writes only when an upload is actually idle
  return db_->read([&](Connection& c) {
    Summary sum;
    Transaction tx(c, Transaction::Kind::read);
    {
      auto s = c.prepare(std::string("SELECT ") + detail::kUploadColumns +
                         " FROM uploads WHERE campaign_id = ?1 ORDER BY id DESC LIMIT 1");
      s.bind(1, campaign_id);
      if (s.step()) sum.last_upload = detail::upload_from_row(s);
    }
    {
      auto s = c.prepare(
          "SELECT coalesce(sum(created + updated + skipped + failed), 0) FROM uploads "
          "WHERE campaign_id = ?1");
      s.bind(1, campaign_id);
      if (s.step()) sum.total_participants_processed = s.int64(0);
    }
    {
      auto s = c.prepare("SELECT participant_count FROM campaigns WHERE id = ?1");
      s.bind(1, campaign_id);
      if (s.step()) sum.participants = s.int64(0);
    }
    return sum;
  });
}

}  // namespace intake::store

namespace intake::store::detail {

bool campaign_exists(Connection& conn, int64_t id) {
  auto s = conn.prepare("SELECT EXISTS(SELECT 1 FROM campaigns WHERE id = ?1)");
  s.bind(1, id);
  return s.step() && s.int64(0) != 0;
}

}  // namespace intake::store::detail
