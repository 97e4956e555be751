// API tokens: only SHA-256 hashes of the secrets are stored; lookups compare in constant time.
#include <openssl/crypto.h>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace intake::store {

bool Store::has_tokens() {
  return db_->read([](Connection& c) {
    auto s = c.prepare("SELECT EXISTS(SELECT 1 FROM tokens)");
    return s.step() && s.int64(0) != 0;
  });
}

TokenInfo Store::create_token(const std::string& name, const std::string& hash) {
  return db_->write([&](Connection& c) {
    TokenInfo t{0, name, iso_time(now_seconds())};
    Transaction tx(c, Transaction::Kind::write);
    c.prepare("INSERT INTO tokens(name, hash, created_at) VALUES(?1, ?2, ?3)")
        .bind(1, name).bind(2, hash).bind(3, t.created_at).run();
    t.id = c.last_insert_rowid();
    tx.commit();
    return t;
  });
}

Page<TokenInfo> Store::list_tokens(int limit, std::optional<int64_t> after) {
  return db_->read([&](Connection& c) {
    Page<TokenInfo> page;
    Transaction tx(c, Transaction::Kind::read);
    {
      auto s = c.prepare("SELECT count(*) FROM tokens");
      if (s.step()) page.total = s.int64(0);
    }
    auto s = c.prepare("SELECT id, name, created_at FROM tokens WHERE id > ?1 ORDER BY id LIMIT ?2");
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

bool Store::delete_token(int64_t id) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    c.prepare("DELETE FROM tokens WHERE id = ?1").bind(1, id).run();
    bool deleted = c.changes() > 0;
    tx.commit();
    return deleted;
  });
}

std::optional<int64_t> Store::find_token(const std::string& hash) {
  return db_->read([&](Connection& c) -> std::optional<int64_t> {
    auto s = c.prepare("SELECT id, hash FROM tokens WHERE hash = ?1");
    s.bind(1, hash);
    if (!s.step()) return std::nullopt;
    std::string_view stored = s.text_view(1);
    if (stored.size() != hash.size() || CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0)
      return std::nullopt;
    return s.int64(0);
  });
}

}  // namespace intake::store
