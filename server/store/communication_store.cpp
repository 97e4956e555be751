// Communications, the trigger events their changes append (in the same transaction, so a
// follower of GET /events sees every change once and in order), and session transcripts.
#include "comms/communication_status.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/store_internal.h"

namespace intake::store {
namespace {

const char* const kCommColumns =
    "id, participant_id, name, status, status_message, channel, agent_id, scheduled_at, "
    "created_at, updated_at, session_id, result, result_at";

std::optional<std::string> opt_text(const Statement& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return s.text(col);
}

Communication comm_from(const Statement& s) {
  Communication m;
  m.id = s.int64(0);
  m.participant_id = s.int64(1);
  m.name = s.text(2);
  m.status = s.text(3);
  m.status_message = s.text(4);
  m.channel = s.text(5);
  m.agent_id = s.text(6);
  m.scheduled_at = opt_text(s, 7);
  m.created_at = s.text(8);
  m.updated_at = s.text(9);
  m.session_id = opt_text(s, 10);
  m.result = opt_text(s, 11);
  m.result_at = opt_text(s, 12);
  return m;
}

std::optional<Communication> read_comm(Connection& c, int64_t id) {
  auto s = c.prepare(std::string("SELECT ") + kCommColumns + " FROM communications WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return comm_from(s);
}

void bind_opt(Statement& s, int i, const std::optional<std::string>& v) {
  if (v) s.bind(i, *v); else s.bind_null(i);
}

void append_event(Connection& c, Trigger t, int64_t comm_id, int64_t participant_id,
                  const std::string& status, const std::string& at) {
  c.prepare(
       "INSERT INTO events(type, communication_id, participant_id, campaign_id, status, at) "
       "SELECT ?1, ?2, ?3, campaign_id, ?4, ?5 FROM participants WHERE id = ?3")
      .bind(1, to_string(t)).bind(2, comm_id).bind(3, participant_id).bind(4, status).bind(5, at)
      .run();
}

}  // namespace

Result<Communication> Store::create_communication(int64_t participant_id, const NewCommunication& n) {
  auto status = comm_status_from_string(n.status);
  if (!status) {
    return Result<Communication>::fail(Outcome::invalid, "invalid_status",
                                       "Unknown status \"" + n.status + "\".");
  }
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    {
      auto s = c.prepare("SELECT EXISTS(SELECT 1 FROM participants WHERE id = ?1)");
      s.bind(1, participant_id);
      if (!s.step() || s.int64(0) == 0)
        return Result<Communication>::fail(Outcome::not_found, "not_found",
                                           "No participant with this id.");
    }
    std::string now = iso_time(now_seconds());
    auto ins = c.prepare(
        "INSERT INTO communications(id, participant_id, name, status, status_message, channel, "
        "agent_id, scheduled_at, created_at, updated_at, session_id) "
        "VALUES(?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)");
    const int64_t id = detail::next_id(c, "communications");
    ins.bind(10, id);
    ins.bind(1, participant_id).bind(2, n.name).bind(3, n.status).bind(4, n.status_message)
        .bind(5, n.channel).bind(6, n.agent_id);
    bind_opt(ins, 7, n.scheduled_at);
    ins.bind(8, now);
    bind_opt(ins, 9, n.session_id);
    ins.run();
    c.prepare("UPDATE participants SET communications = communications + 1 WHERE id = ?1")
        .bind(1, participant_id).run();
    append_event(c, is_final(*status) ? Trigger::communication_ended : Trigger::communication_updated,
                 id, participant_id, n.status, now);
    Result<Communication> r;
    r.value = *read_comm(c, id);
    tx.commit();
    return r;
  });
}

std::optional<Page<Communication>> Store::list_communications(int64_t participant_id, int limit,
                                                              std::optional<int64_t> after) {
  return db_->read([&](Connection& c) -> std::optional<Page<Communication>> {
    Transaction tx(c, Transaction::Kind::read);
    Page<Communication> page;
    {
      auto s = c.prepare("SELECT communications FROM participants WHERE id = ?1");
      s.bind(1, participant_id);
      if (!s.step()) return std::nullopt;
      page.total = s.int64(0);
    }
    auto s = c.prepare(std::string("SELECT ") + kCommColumns +
                       " FROM communications WHERE participant_id = ?1 AND id < ?2 "
                       "ORDER BY id DESC LIMIT ?3");
    s.bind(1, participant_id).bind(2, after.value_or(INT64_MAX)).bind(3, limit + 1);
    while (s.step()) {
      if (int(page.items.size()) == limit) {
        page.next_after = page.items.back().id;
        break;
      }
      page.items.push_back(comm_from(s));
    }
    return page;
  });
}

Result<Communication> Store::update_communication(int64_t id, const CommunicationPatch& p) {
  std::optional<CommStatus> to;
  if (p.status) {
    to = comm_status_from_string(*p.status);
    if (!to)
      return Result<Communication>::fail(Outcome::invalid, "invalid_status",
                                         "Unknown status \"" + *p.status + "\".");
  }
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    auto m = read_comm(c, id);
    if (!m)
      return Result<Communication>::fail(Outcome::not_found, "not_found",
                                         "No communication with this id.");
    auto from = comm_status_from_string(m->status).value_or(CommStatus::planned);
    StatusChange change = change_status(from, to.value_or(from));
    if (!change.allowed)
      return Result<Communication>::fail(Outcome::conflict, "communication_final", change.refusal);
    if (p.status) m->status = *p.status;
    if (p.status_message) m->status_message = *p.status_message;
    if (p.result) m->result = *p.result;
    if (p.result_at) m->result_at = *p.result_at;
    if (p.session_id) m->session_id = *p.session_id;
    m->updated_at = iso_time(now_seconds());
    auto s = c.prepare(
        "UPDATE communications SET status = ?2, status_message = ?3, result = ?4, result_at = ?5, "
        "session_id = ?6, updated_at = ?7 WHERE id = ?1");
    s.bind(1, id).bind(2, m->status).bind(3, m->status_message);
    bind_opt(s, 4, m->result);
    bind_opt(s, 5, m->result_at);
    bind_opt(s, 6, m->session_id);
    s.bind(7, m->updated_at);
    s.run();
    append_event(c, change.trigger, id, m->participant_id, m->status, m->updated_at);
    tx.commit();
    Result<Communication> r;
    r.value = *m;
    return r;
  });
}

Page<Event> Store::events(int64_t after, int limit) {
  return db_->read([&](Connection& c) {
    Page<Event> page;
    Transaction tx(c, Transaction::Kind::read);
    {
      auto s = c.prepare("SELECT count(*) FROM events WHERE id > ?1");
      s.bind(1, after);
      if (s.step()) page.total = s.int64(0);
    }
    auto s = c.prepare(
        "SELECT id, type, communication_id, participant_id, campaign_id, status, at FROM events "
        "WHERE id > ?1 ORDER BY id LIMIT ?2");
    s.bind(1, after).bind(2, limit + 1);
    while (s.step()) {
      if (int(page.items.size()) == limit) {
        page.next_after = page.items.back().id;
        break;
      }
      page.items.push_back(
          {s.int64(0), s.text(1), s.int64(2), s.int64(3), s.int64(4), s.text(5), s.text(6)});
    }
    return page;
  });
}

void Store::put_session(const std::string& id, const std::string& messages_json) {
  db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    c.prepare(
         "INSERT INTO sessions(id, messages, updated_at) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(id) DO UPDATE SET messages = excluded.messages, updated_at = excluded.updated_at")
        .bind(1, id).bind(2, messages_json).bind(3, iso_time(now_seconds())).run();
    tx.commit();
    return 0;
  });
}

std::optional<std::string> Store::get_session(const std::string& id) {
  return db_->read([&](Connection& c) -> std::optional<std::string> {
    auto s = c.prepare("SELECT messages FROM sessions WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  });
}

}  // namespace intake::store
