// The API's route groups. Each add_*_routes appends its routes (with their documentation) to
// the table; handlers parse the request, call the store or the core, and shape the response.
#pragma once

#include <chrono>

#include "batch_order.h"
#include "http_support.h"
#include "route_table.h"
#include "store/store.h"

namespace intake::server {

void add_token_routes(RouteTable& table, store::Store& store);
// `order`: a campaign's delete wakes the batches waiting on its uploads.
void add_campaign_routes(RouteTable& table, store::Store& store, BatchOrder& order);
// `order`/`batch_wait`: a batch waits up to `batch_wait` for its predecessor (then 425); one
// more than `batch_ahead_max` seqs past the highest acknowledged seq is 425 at once.
void add_upload_routes(RouteTable& table, store::Store& store, BatchOrder& order,
                       std::chrono::milliseconds batch_wait, int64_t batch_ahead_max);
void add_participant_routes(RouteTable& table, store::Store& store);
void add_communication_routes(RouteTable& table, store::Store& store);
// GET /api/v1/openapi.json, generated from `table` itself (add it last).
void add_doc_routes(RouteTable& table);

// The value of an ok Result; otherwise the matching ApiError (404, 409, 422).
template <class T>
T take(store::Result<T>&& r) {
  switch (r.outcome) {
    case store::Outcome::ok: return std::move(r.value);
    case store::Outcome::not_found: throw ApiError(404, r.code, r.message);
    case store::Outcome::conflict: throw ApiError(409, r.code, r.message);
    case store::Outcome::invalid: throw ApiError(422, r.code, r.message);
  }
  throw ApiError(500, "internal_error", "unexpected store outcome");
}

inline std::optional<std::string> next_cursor(const std::optional<int64_t>& after) {
  if (!after) return std::nullopt;
  return std::to_string(*after);
}

}  // namespace intake::server
