// Resource JSON shapes: see json_shapes.h and API.md.
#include "json_shapes.h"

namespace intake::server {
namespace {

nlohmann::json opt(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json id_text(int64_t id) { return std::to_string(id); }

nlohmann::json token_json(const store::TokenInfo& t) {
  return {{"id", id_text(t.id)}, {"name", t.name}, {"created_at", t.created_at}};
}

nlohmann::json campaign_json(const store::Campaign& c) {
  return {{"id", id_text(c.id)}, {"name", c.name}, {"created_at", c.created_at}};
}

nlohmann::json upload_json(const store::Upload& u, bool with_acked) {
  nlohmann::json j = {
      {"id", id_text(u.id)},
      {"campaign_id", id_text(u.campaign_id)},
      {"filename", u.filename},
      {"size_bytes", u.size_bytes},
      {"fingerprint", u.fingerprint},
      {"duplicate_policy", u.duplicate_policy},
      {"default_region", u.default_region},
      {"status", u.status},
      {"status_message", u.status_message},
      {"created_at", u.created_at},
      {"finished_at", opt(u.finished_at)},
      {"total_rows", u.total_rows},
      {"created", u.created},
      {"updated", u.updated},
      {"skipped", u.skipped},
      {"failed", u.failed},
      {"error_count", u.error_count},
  };
  j["mapping"] = nlohmann::json::parse(u.mapping_json, nullptr, false);
  if (j["mapping"].is_discarded()) j["mapping"] = nlohmann::json::object();
  if (with_acked) j["acked_batches"] = u.acked_batches;
  return j;
}

nlohmann::json participant_row_json(const store::ParticipantRow& p) {
  return {{"id", id_text(p.id)},         {"name", p.name},
          {"email", p.email},            {"phone", p.phone},
          {"external_id", p.external_id}, {"communications", p.communications},
          {"created_at", p.created_at},  {"updated_at", p.updated_at}};
}

nlohmann::json communication_json(const store::Communication& m) {
  return {{"id", id_text(m.id)},
          {"participant_id", id_text(m.participant_id)},
          {"name", m.name},
          {"status", m.status},
          {"status_message", m.status_message},
          {"channel", m.channel},
          {"agent_id", m.agent_id},
          {"scheduled_at", opt(m.scheduled_at)},
          {"created_at", m.created_at},
          {"updated_at", m.updated_at},
          {"session_id", opt(m.session_id)},
          {"result", opt(m.result)},
          {"result_at", opt(m.result_at)}};
}

nlohmann::json event_json(const store::Event& e) {
  return {{"id", id_text(e.id)},
          {"type", e.type},
          {"communication_id", id_text(e.communication_id)},
          {"participant_id", id_text(e.participant_id)},
          {"campaign_id", id_text(e.campaign_id)},
          {"status", e.status},
          {"at", e.at}};
}

}  // namespace intake::server
