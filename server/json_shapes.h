// The JSON shapes of API.md, built from store records: one function per resource so every
// route that returns an upload (or a campaign, ...) returns the same keys.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace intake::server {

nlohmann::json token_json(const store::TokenInfo& t);
nlohmann::json campaign_json(const store::Campaign& c);
nlohmann::json upload_json(const store::Upload& u, bool with_acked = false);
nlohmann::json participant_row_json(const store::ParticipantRow& p);
nlohmann::json communication_json(const store::Communication& m);
nlohmann::json event_json(const store::Event& e);
nlohmann::json id_text(int64_t id);  // ids are strings in the API

}  // namespace intake::server
