// Upload routes: create (one Processing upload per campaign), list, read with acknowledged
// batches, batches re-validated by the core and applied once, browser-found errors,
// complete/cancel, and the error report streamed from the database.
#include <charconv>
#include <memory>

#include "auth.h"
#include "batch_check.h"
#include "json_shapes.h"
#include "report/csv_writer.h"
#include "routes.h"
#include "schema/header_mapping.h"

namespace intake::server {
namespace {

constexpr int kReportPageRows = 2000;
// Row numbers are exact in JSON and JavaScript up to 2^53 (and fit SQLite's int64 columns).
constexpr uint64_t kMaxRow = uint64_t(1) << 53;

store::NewUpload new_upload(const nlohmann::json& body, const std::vector<Field>& fields) {
  only_keys(body, "filename,size_bytes,fingerprint,duplicate_policy,default_region,mapping");
  store::NewUpload u;
  u.filename = req_string(body, "filename");
  if (u.filename.empty() || u.filename.size() > 1000)
    throw ApiError(400, "invalid_field", "\"filename\" must be 1 to 1000 characters.");
  u.size_bytes = opt_int(body, "size_bytes").value_or(0);
  if (u.size_bytes < 0) throw ApiError(400, "invalid_field", "\"size_bytes\" must not be negative.");
  if (u.size_bytes > (int64_t(4) << 30))
    throw ApiError(413, "file_too_large", "The file is larger than 4 GB; split it into smaller files.");
  u.fingerprint = opt_string(body, "fingerprint").value_or("");
  std::string policy = opt_string(body, "duplicate_policy").value_or("update");
  auto p = duplicate_policy_from_string(policy);
  if (!p)
    throw ApiError(400, "invalid_field",
                   "\"duplicate_policy\" must be \"update\", \"skip\" or \"reject\" (got \"" + policy + "\").");
  u.duplicate_policy = *p;
  u.default_region = opt_string(body, "default_region").value_or("US");
  if (u.default_region.size() != 2 || !std::isupper(static_cast<unsigned char>(u.default_region[0])) ||
      !std::isupper(static_cast<unsigned char>(u.default_region[1])))
    throw ApiError(400, "invalid_field",
                   "\"default_region\" must be a two-letter ISO 3166 region code such as \"US\".");
  if (body.contains("mapping") && !body["mapping"].is_null()) {
    // Its shape is checked before it is written out as text: dump() recurses once per level of
    // nesting, and a deeply nested value would overflow the stack.
    const nlohmann::json& given = body["mapping"];
    if (!given.is_object())
      throw ApiError(400, "invalid_mapping",
                     "\"mapping\" must be an object like {\"E-mail address\": \"email\", \"Unused\": null}.");
    for (auto it = given.begin(); it != given.end(); ++it)
      if (!it->is_string() && !it->is_null())
        throw ApiError(400, "invalid_mapping",
                       "mapping[\"" + it.key() + "\"] must be a field key (a string) or null.");
    ExplicitMapping mapping;
    std::string error;
    std::string text = given.dump();
    if (!mapping_from_json_text(text, mapping, error)) throw ApiError(400, "invalid_mapping", error);
    for (const auto& [header, key] : mapping) {
      if (key.empty()) continue;
      bool known = false;
      for (const Field& f : fields) known = known || f.key == key;
      if (!known)
        throw ApiError(422, "invalid_mapping",
                       "The mapping sends column \"" + header + "\" to \"" + key +
                           "\", which is not a field of this campaign.");
    }
    u.mapping_json = text;
  }
  return u;
}

int64_t parse_seq(const httplib::Request& req) {
  std::string text = path_text(req, 2);
  int64_t v = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    throw ApiError(400, "invalid_seq", "The batch number must be an integer from 0 (got \"" + text + "\").");
  return v;
}

uint64_t parse_first_row(const httplib::Request& req) {
  if (!req.has_param("first_row")) return 2;
  std::string text = req.get_param_value("first_row");
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 2 || v > kMaxRow)
    throw ApiError(400, "invalid_first_row",
                   "\"first_row\" must be the spreadsheet row of the batch's first line (2 to 2^53).");
  return v;
}

void check_csv_type(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  MediaType m = media_type(type);
  if (m.type != "text/csv" || !m.utf8())
    throw ApiError(415, "unsupported_media_type",
                   "Send a batch as \"text/csv; charset=utf-8\" (got \"" + type + "\").");
}

nlohmann::json answer_json(const store::BatchAnswer& a) {
  return {{"seq", a.seq}, {"created", a.created}, {"updated", a.updated}, {"skipped", a.skipped},
          {"failed", a.failed}};
}

RowError error_from_json(const nlohmann::json& e, size_t index) {
  std::string where = "errors[" + std::to_string(index) + "]";
  if (!e.is_object()) throw ApiError(400, "invalid_field", where + " must be an object.");
  only_keys(e, "row,field,value,code,message", where);
  auto it = e.find("row");
  if (it == e.end() || !it->is_number_unsigned() || it->get<uint64_t>() < 2 ||
      it->get<uint64_t>() > kMaxRow)
    throw ApiError(400, "invalid_field", where + ".row must be the spreadsheet row (2 to 2^53).");
  RowError r;
  r.row = it->get<uint64_t>();
  r.field = opt_string(e, "field", where).value_or("");
  r.value = opt_string(e, "value", where).value_or("");
  r.code = req_string(e, "code", where);
  r.message = opt_string(e, "message", where).value_or("");
  if (r.code.empty()) throw ApiError(400, "invalid_field", where + ".code must not be empty.");
  return r;
}

}  // namespace

void add_upload_routes(RouteTable& t, store::Store& store, BatchOrder& order,
                       std::chrono::milliseconds batch_wait, int64_t batch_ahead_max) {
  const Param limit{"limit", "page size, 1..1000 (default 50)"};
  const Param cursor{"cursor", "next_cursor of the previous page"};

  t.add({"POST", "/api/v1/campaigns/{id}/uploads",
         "Start an upload; 409 upload_in_progress while another one is Processing",
         {201, 400, 404, 409, 415, 422}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t campaign = path_id(req, 1, "campaign");
           auto body = json_object_body(req);
           auto fields = store.get_fields(campaign);
           if (!fields) throw ApiError(404, "not_found", "No campaign with this id.");
           auto u = take(store.create_upload(campaign, new_upload(body, *fields)));
           send_json(res, 201, upload_json(u, true));
         }});

  t.add({"GET", "/api/v1/campaigns/{id}/uploads", "The campaign's uploads, newest first",
         {200, 400, 404}, {limit, cursor}, "", 0, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           auto page = store.list_uploads(path_id(req, 1, "campaign"), query_limit(req),
                                          query_id_cursor(req));
           if (!page) throw ApiError(404, "not_found", "No campaign with this id.");
           nlohmann::json items = nlohmann::json::array();
           for (auto& u : page->items) items.push_back(upload_json(u));
           send_json(res, 200, list_body(items, page->total, next_cursor(page->next_after)));
         }});

  t.add({"GET", "/api/v1/uploads/{id}", "An upload with its counters and acked_batches",
         {200, 404}, {}, "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           auto u = store.get_upload(path_id(req, 1, "upload"));
           if (!u) throw ApiError(404, "not_found", "No upload with this id.");
           send_json(res, 200, upload_json(*u, true));
         }});

  t.add({"PUT", "/api/v1/uploads/{id}/batches/{seq}",
         "Store batch seq (CSV: \"_row,<field keys>\"), re-validated; a replay returns the first answer",
         {200, 400, 404, 409, 415, 422, 425, 503},
         {{"first_row", "spreadsheet row of the first line when the body has no _row column (default 2)"}},
         "text/csv", kBatchBodyMax, true,
         [&store, &order, batch_wait, batch_ahead_max](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "upload");
           int64_t seq = parse_seq(req);
           uint64_t first_row = parse_first_row(req);
           check_csv_type(req);
           std::string hash = sha256_hex(req.body + "\n" + std::to_string(first_row));
           auto plan = take(store.plan_batch(id, seq, hash));
           if (plan.replay) {
             send_json(res, 200, answer_json(*plan.replay));
             return;
           }
           // A batch far ahead of the acknowledged ones would only hold a worker thread: refuse
           // it before validating (same answer as a timed-out wait).
           if (seq > plan.max_acked_seq + batch_ahead_max) {  // (seq - max_acked_seq could overflow)
             res.set_header("Retry-After", "1");
             throw ApiError(425, "batch_too_early",
                            "batch " + std::to_string(plan.max_acked_seq + 1) +
                                " has not arrived; batches are applied in order — send it, then retry this one");
           }
           auto check = check_batch(req.body, plan.fields, plan.duplicate_policy,
                                    plan.default_region, first_row);
           if (check.file_error)
             throw ApiError(422, check.file_error->code, "Batch " + std::to_string(seq) +
                                                             " cannot be read: " + check.file_error->message);
           if (uint64_t(check.batch.max_row) > kMaxRow)
             throw ApiError(400, "invalid_first_row",
                            "Batch " + std::to_string(seq) + " would number rows past 2^53 from first_row " +
                                std::to_string(first_row) + "; send a smaller first_row.");
           store::Store::order_batch_runs(check.batch, plan.run_keys);  // sorted here, not under the write lock
           // Batches apply in seq order (a later row must win under update, the first under
           // skip/reject). Validation above runs in parallel; applying waits for seq-1.
           auto waited = order.wait(id, batch_wait, [&] { return store.batch_may_apply(id, seq); });
           if (waited == BatchOrder::Wait::stopping) {
             res.set_header("Retry-After", "2");
             throw ApiError(503, "shutting_down",
                            "The server is shutting down; retry batch " + std::to_string(seq) + " shortly.");
           }
           if (waited == BatchOrder::Wait::timed_out || waited == BatchOrder::Wait::full) {
             res.set_header("Retry-After", "1");
             throw ApiError(425, "batch_too_early",
                            "batch " + std::to_string(seq - 1) +
                                " has not arrived; batches are applied in order — send it, then retry this one");
           }
           auto applied = store.apply_batch(id, seq, hash, check.batch);
           order.notify();
           send_json(res, 200, answer_json(take(std::move(applied))));
         }});

  t.add({"POST", "/api/v1/uploads/{id}/errors",
         "Record rows the browser already found invalid ({\"errors\": [error...]})",
         {200, 400, 404, 409, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "upload");
           auto body = json_object_body(req);
           only_keys(body, "errors");
           auto it = body.find("errors");
           if (it == body.end() || !it->is_array())
             throw ApiError(400, "invalid_field", "\"errors\" is required (an array of errors).");
           std::vector<RowError> errors;
           for (size_t i = 0; i < it->size(); ++i) errors.push_back(error_from_json((*it)[i], i));
           send_json(res, 200, upload_json(take(store.add_errors(id, errors)), true));
         }});

  t.add({"POST", "/api/v1/uploads/{id}/complete",
         "Declare the file done ({\"total_rows\": N}): Completed, or Failed if rows failed or are missing",
         {200, 400, 404, 409, 415}, {}, "application/json", kJsonBodyMax, true,
         [&store, &order](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "upload");
           auto body = json_object_body(req);
           only_keys(body, "total_rows");
           auto total = opt_int(body, "total_rows");
           if (!total)
             throw ApiError(400, "invalid_field", "\"total_rows\" is required: the number of data rows in the file.");
           if (*total < 0 || uint64_t(*total) > kMaxRow)
             throw ApiError(400, "invalid_field", "\"total_rows\" must be the number of data rows in the file (0 to 2^53).");
           auto done = store.complete_upload(id, *total);
           order.notify();  // batches waiting on this upload now get 409 upload_not_processing
           send_json(res, 200, upload_json(take(std::move(done)), true));
         }});

  t.add({"POST", "/api/v1/uploads/{id}/cancel", "Cancel: the upload becomes Failed \"canceled\"",
         {200, 404, 409}, {}, "", kJsonBodyMax, true,
         [&store, &order](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "upload");
           auto canceled = store.cancel_upload(id);
           order.notify();
           send_json(res, 200, upload_json(take(std::move(canceled)), true));
         }});

  t.add({"GET", "/api/v1/uploads/{id}/errors.csv",
         "The error report (row,field,value,code,message), spreadsheet-safe, ordered by row, streamed",
         {200, 404}, {}, "", 0, true, [&store](const httplib::Request& req, httplib::Response& res) {
           int64_t id = path_id(req, 1, "upload");
           if (!store.get_upload(id)) throw ApiError(404, "not_found", "No upload with this id.");
           struct State {
             std::optional<store::ErrorCursor> after;
             bool header = false;
             std::string buf;
           };
           auto state = std::make_shared<State>();
           res.set_header("Content-Disposition",
                          "attachment; filename=\"upload-" + std::to_string(id) + "-errors.csv\"");
           res.set_chunked_content_provider(
               "text/csv; charset=utf-8",
               [&store, id, state](size_t, httplib::DataSink& sink) {
                 try {
                   auto& st = *state;
                   st.buf.clear();
                   if (!st.header) {
                     st.buf.append(kErrorReportHeader);
                     st.header = true;
                   }
                   auto page = store.error_page(id, st.after, kReportPageRows);
                   for (const RowError& e : page) append_error_report_line(st.buf, e);
                   if (!page.empty())
                     st.after = store::ErrorCursor{int64_t(page.back().row), page.back().field, page.back().code};
                   if (!st.buf.empty() && !sink.write(st.buf.data(), st.buf.size())) return false;
                   if (int(page.size()) < kReportPageRows) sink.done();
                   return true;
                 } catch (const std::exception& e) {
                   std::fprintf(stderr, "intake-server: error report of upload %lld failed: %s\n",
                                static_cast<long long>(id), e.what());
                   return false;
                 }
               });
         }});
}

}  // namespace intake::server
