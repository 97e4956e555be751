// server_bench: drives a running intake-server over loopback HTTP for the "Speed" targets of
// issue 3 and prints one JSON line per measurement (scripts/bench_server.sh starts the server,
// times sqlite3's .import in the same run and prints the table).
//
//   ingest  — the file is validated with the core (FileValidator + BatchBuilder, as the browser
//             does on the user's machine) into batches before the clock starts; then timed from
//             creating the upload to complete's answer: the batches PUT with 3 in flight (the
//             server re-parses and re-validates each), the browser-found errors POSTed in chunks
//             of 1000, complete. sqlite3's .import, which it is compared with, has no client.
//   ingest_inline — the earlier measurement: the same, but the client validates the file inside
//             the clock (from the first byte read), competing with the server for the CPUs.
//   list    — after the ingest: every sort ascending and descending, plus field filters, the
//             first page (limit 50) and the page 10,000 rows deep (the cursor reached by 10 hops
//             of limit=1000, then limit=50 requests with that cursor), 20+ requests each, p95.
//   report  — a new upload gets 100,000 errors through POST /uploads/{id}/errors (100 x 1000),
//             then GET errors.csv is streamed and timed; the server's VmRSS/VmHWM before/after.
//
// usage: server_bench --url http://127.0.0.1:PORT --token T --pid PID --fields FIELDS.json
//                     --file FILE.csv [--requests 20] [--report-errors 100000]
//                     [--stages ingest,list,report]   (or ingest_inline instead of ingest;
//                     reingest: the file again into the same campaign, every row an update)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "batch/batch_builder.h"
#include "validate/file_validator.h"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string token, fields, file;
  int pid = 0;
  int requests = 20;
  int report_errors = 100000;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "server_bench: %s\n", what.c_str());
  std::exit(1);
}

std::unique_ptr<httplib::Client> client(const Args& a) {
  auto c = std::make_unique<httplib::Client>(a.host, a.port);
  c->set_tcp_nodelay(true);
  c->set_keep_alive(true);
  c->set_read_timeout(120, 0);
  c->set_write_timeout(120, 0);
  c->set_bearer_token_auth(a.token.c_str());
  return c;
}

json call(httplib::Client& c, const std::string& method, const std::string& path, const json& body,
          int expect) {
  httplib::Result r = method == "POST" ? c.Post(path.c_str(), body.dump(), "application/json")
                      : method == "PUT" ? c.Put(path.c_str(), body.dump(), "application/json")
                                        : c.Get(path.c_str());
  if (!r) die(method + " " + path + ": " + httplib::to_string(r.error()));
  if (r->status != expect)
    die(method + " " + path + " answered " + std::to_string(r->status) + ": " + r->body.substr(0, 300));
  return json::parse(r->body);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// /proc/PID/status values in KiB.
long proc_kib(int pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key) + 1);
  }
  return -1;
}

// CPU seconds (user + system) the process has used, from /proc/PID/stat.
double proc_cpu_s(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  return ticks / double(sysconf(_SC_CLK_TCK));
}

double p95(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  size_t i = size_t(std::ceil(0.95 * double(ms.size()))) - 1;
  return ms[std::min(i, ms.size() - 1)];
}

std::string make_campaign(httplib::Client& c, const std::string& name, const std::string& fields_json) {
  std::string id = call(c, "POST", "/api/v1/campaigns", {{"name", name}}, 201)["id"];
  call(c, "PUT", "/api/v1/campaigns/" + id + "/fields", json::parse(fields_json), 200);
  return id;
}

// ---- ingest ---------------------------------------------------------------------------------

class Sender {
 public:
  Sender(const Args& a, std::string upload, int in_flight) : upload_(std::move(upload)) {
    for (int i = 0; i < in_flight; ++i) threads_.emplace_back([this, &a] { run(client(a)); });
    capacity_ = size_t(in_flight);
  }
  void send(intake::Batch&& b) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(b));
    ready_.notify_one();
  }
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  uint64_t created = 0, updated = 0, skipped = 0, failed = 0, too_early = 0;

 private:
  void run(std::unique_ptr<httplib::Client> c) {
    for (;;) {
      intake::Batch b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        b = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      std::string path = "/api/v1/uploads/" + upload_ + "/batches/" + std::to_string(b.seq) +
                         "?first_row=" + std::to_string(b.first_row);
      for (;;) {
        auto r = c->Put(path.c_str(), b.body, "text/csv; charset=utf-8");
        if (!r) die("PUT " + path + ": " + httplib::to_string(r.error()));
        if (r->status == 425) {  // its predecessor is slow: the browser retries too
          std::lock_guard<std::mutex> lock(mu_);
          ++too_early;
          continue;
        }
        if (r->status != 200) die("PUT " + path + " answered " + std::to_string(r->status) + ": " + r->body);
        json a = json::parse(r->body);
        std::lock_guard<std::mutex> lock(mu_);
        created += a["created"].get<uint64_t>();
        updated += a["updated"].get<uint64_t>();
        skipped += a["skipped"].get<uint64_t>();
        failed += a["failed"].get<uint64_t>();
        break;
      }
    }
  }
  std::string upload_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<intake::Batch> queue_;
  size_t capacity_ = 3;
  bool done_ = false;
};

// Batches go to `sender` as they close, or into `prepared` when there is no sender.
struct IngestSink : intake::ValidationSink {
  const std::vector<intake::Field>* fields = nullptr;
  Sender* sender = nullptr;
  std::vector<intake::Batch> prepared;
  std::unique_ptr<intake::BatchBuilder> builder;
  std::vector<intake::RowError> errors;
  void on_header(const intake::HeaderInfo& h) override {
    std::vector<std::string> keys;
    for (size_t f : h.output_fields) keys.push_back((*fields)[f].key);
    builder = std::make_unique<intake::BatchBuilder>(keys);
  }
  void on_clean_row(const intake::CleanRow& r) override {
    builder->add(r, [this](intake::Batch&& b) { take(std::move(b)); });
  }
  void take(intake::Batch&& b) {
    if (sender) sender->send(std::move(b));
    else prepared.push_back(std::move(b));
  }
  void on_row_failed(uint64_t, std::span<const intake::RowError> errs) override {
    errors.insert(errors.end(), errs.begin(), errs.end());
  }
};

json error_json(const intake::RowError& e) {
  return {{"row", e.row}, {"field", e.field}, {"value", e.value}, {"code", e.code}, {"message", e.message}};
}

void post_errors(httplib::Client& c, const std::string& upload, const std::vector<intake::RowError>& errors,
                 size_t from, size_t to) {
  json body = {{"errors", json::array()}};
  for (size_t i = from; i < to; ++i) body["errors"].push_back(error_json(errors[i]));
  call(c, "POST", "/api/v1/uploads/" + upload + "/errors", body, 200);
}

// Validates the file with the core into `sink` (batches to its sender, or kept in it).
uint64_t validate_file(const Args& a, const std::vector<intake::Field>& fields, IngestSink& sink) {
  std::FILE* in = std::fopen(a.file.c_str(), "rb");
  if (!in) die("cannot read " + a.file);
  intake::ValidatorOptions opts;
  intake::FileValidator validator(fields, opts);
  sink.fields = &fields;
  std::vector<char> buf(size_t(1) << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) validator.push(std::string_view(buf.data(), n), sink);
  std::fclose(in);
  validator.finish(sink);
  if (validator.file_error()) die("file error: " + validator.file_error()->message);
  if (sink.builder) sink.builder->flush([&](intake::Batch&& b) { sink.take(std::move(b)); });
  return validator.counts().rows;
}

// One ingest of the file into a new campaign. `inline_validation`: the client validates the
// file inside the clock, sending batches as they close; otherwise the batches are prepared
// first and the clock covers only the upload (see the header).
// `campaign`: ingest into that existing campaign (a re-upload: its rows update) instead of a new one.
std::string ingest(const Args& a, const std::string& fields_json, bool inline_validation, std::string campaign = "") {
  auto c = client(a);
  if (campaign.empty()) campaign = make_campaign(*c, "bench ingest", fields_json);
  auto parsed = intake::fields_from_json_text(fields_json);
  if (!parsed.problems.empty()) die("bad fields: " + parsed.problems[0].message);

  std::FILE* in = std::fopen(a.file.c_str(), "rb");
  if (!in) die("cannot read " + a.file);
  std::fseek(in, 0, SEEK_END);
  long size = std::ftell(in);
  std::fclose(in);

  IngestSink sink;
  uint64_t rows = 0;
  if (!inline_validation) rows = validate_file(a, parsed.fields, sink);
  size_t batches = sink.prepared.size();

  auto t0 = Clock::now();
  double server_cpu0 = proc_cpu_s(a.pid), self_cpu0 = proc_cpu_s(int(getpid()));
  json created = call(*c, "POST", "/api/v1/campaigns/" + campaign + "/uploads",
                      {{"filename", "ref.csv"}, {"size_bytes", size}, {"duplicate_policy", "update"}}, 201);
  std::string upload = created["id"];
  Sender sender(a, upload, 3);
  if (inline_validation) {
    sink.sender = &sender;
    rows = validate_file(a, parsed.fields, sink);
    batches = sink.builder ? sink.builder->batches() : 0;
  } else {
    for (intake::Batch& b : sink.prepared) sender.send(std::move(b));
  }
  double validated_at = seconds_since(t0);
  sender.finish();
  for (size_t i = 0; i < sink.errors.size(); i += 1000)
    post_errors(*c, upload, sink.errors, i, std::min(sink.errors.size(), i + 1000));
  json done = call(*c, "POST", "/api/v1/uploads/" + upload + "/complete", {{"total_rows", rows}}, 200);
  double secs = seconds_since(t0);
  double server_cpu = proc_cpu_s(a.pid) - server_cpu0, self_cpu = proc_cpu_s(int(getpid())) - self_cpu0;

  json out = {{"stage", inline_validation ? "ingest_inline" : "ingest"},
              {"server_cpu_s", server_cpu},
              {"client_cpu_s", self_cpu},
              {"rows", rows},
              {"seconds", secs},
              {"rows_per_s", double(rows) / secs},
              {"validated_s", validated_at},
              {"batches", batches},
              {"created", sender.created},
              {"updated", sender.updated},
              {"skipped", sender.skipped},
              {"failed", done["failed"]},
              {"status", done["status"]},
              {"too_early_retries", sender.too_early},
              {"campaign", campaign}};
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  return campaign;
}

// ---- list -----------------------------------------------------------------------------------

double timed_get(httplib::Client& c, const std::string& path, json* body = nullptr) {
  auto t0 = Clock::now();
  auto r = c.Get(path.c_str());
  double ms = seconds_since(t0) * 1000;
  if (!r) die("GET " + path + ": " + httplib::to_string(r.error()));
  if (r->status != 200) die("GET " + path + " answered " + std::to_string(r->status) + ": " + r->body);
  if (body) *body = json::parse(r->body);
  return ms;
}

std::string url_encode(const std::string& s) { return httplib::detail::encode_query_param(s); }

void list_bench(const Args& a, const std::string& campaign) {
  auto c = client(a);
  std::string base = "/api/v1/campaigns/" + campaign + "/participants?";
  struct Query {
    std::string label, query;
  };
  std::vector<Query> queries;
  for (std::string s : {"name", "email", "phone", "external_id", "communications", "created_at", "updated_at"}) {
    queries.push_back({"sort=" + s, "sort=" + s});
    queries.push_back({"sort=-" + s, "sort=-" + s});
  }
  // Field filters: a non-identity field (kept in the JSON data column), an identity column, a
  // contains filter, and a date range.
  queries.push_back({"filter[plan]=pro", url_encode("filter[plan]") + "=pro"});
  queries.push_back({"filter[plan]=pro&sort=-name", url_encode("filter[plan]") + "=pro&sort=-name"});
  queries.push_back({"filter[timezone]=Asia/Tokyo", url_encode("filter[timezone]") + "=" + url_encode("Asia/Tokyo")});
  queries.push_back({"filter[email]=~smith", url_encode("filter[email]") + "=" + url_encode("~smith")});
  queries.push_back({"filter[signup_date]=2020-01-01..2020-12-31",
                     url_encode("filter[signup_date]") + "=" + url_encode("2020-01-01..2020-12-31")});

  for (const Query& q : queries) {
    json first;
    std::vector<double> first_ms, deep_ms;
    timed_get(*c, base + q.query, &first);  // warm-up, not counted
    for (int i = 0; i < a.requests; ++i) first_ms.push_back(timed_get(*c, base + q.query + "&limit=50"));
    // The cursor 10,000 rows deep: 10 hops of limit=1000.
    std::string cursor;
    double walk_ms = 0;
    int64_t total = first["total"].get<int64_t>();
    bool deep = total > 10000;
    for (int hop = 0; deep && hop < 10; ++hop) {
      json page;
      std::string path = base + q.query + "&limit=1000" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor));
      walk_ms += timed_get(*c, path, &page);
      if (page["next_cursor"].is_null()) {
        deep = false;
        break;
      }
      cursor = page["next_cursor"];
    }
    if (deep) {
      std::string path = base + q.query + "&limit=50&cursor=" + url_encode(cursor);
      for (int i = 0; i < a.requests; ++i) deep_ms.push_back(timed_get(*c, path));
    }
    json out = {{"stage", "list"},       {"query", q.label},
                {"total", total},        {"requests", a.requests},
                {"first_p95_ms", p95(first_ms)}, {"first_max_ms", *std::max_element(first_ms.begin(), first_ms.end())},
                {"deep_p95_ms", deep ? json(p95(deep_ms)) : json(nullptr)},
                {"walk_10x1000_ms", deep ? json(walk_ms) : json(nullptr)}};
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
  }
}

// ---- error report ---------------------------------------------------------------------------

void report_bench(const Args& a, const std::string& fields_json) {
  auto c = client(a);
  std::string campaign = make_campaign(*c, "bench report", fields_json);
  std::string upload = call(*c, "POST", "/api/v1/campaigns/" + campaign + "/uploads",
                            {{"filename", "errors.csv"}, {"size_bytes", 1}}, 201)["id"];
  auto t0 = Clock::now();
  const char* codes[] = {"invalid_email", "invalid_phone", "invalid_date", "required_missing"};
  const char* fields[] = {"email", "phone", "signup_date", "external_id"};
  for (int from = 0; from < a.report_errors; from += 1000) {
    json body = {{"errors", json::array()}};
    for (int i = from; i < std::min(a.report_errors, from + 1000); ++i) {
      int k = i % 4;
      std::string value = i % 7 == 0 ? "=HYPERLINK(\"x\"," + std::to_string(i) + ")" : "bad value " + std::to_string(i);
      body["errors"].push_back({{"row", i + 2}, {"field", fields[k]}, {"value", value}, {"code", codes[k]},
                                {"message", std::string("This value is not valid for ") + fields[k] + "; fix it and upload again."}});
    }
    call(*c, "POST", "/api/v1/uploads/" + upload + "/errors", body, 200);
  }
  double post_s = seconds_since(t0);
  call(*c, "POST", "/api/v1/uploads/" + upload + "/complete", {{"total_rows", a.report_errors}}, 200);

  long rss_before = proc_kib(a.pid, "VmRSS:"), hwm_before = proc_kib(a.pid, "VmHWM:");
  std::vector<double> secs;
  uint64_t bytes = 0, lines = 0;
  long rss_peak_seen = rss_before;
  for (int rep = 0; rep < 3; ++rep) {
    bytes = lines = 0;
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
      while (sampling) {
        rss_peak_seen = std::max(rss_peak_seen, proc_kib(a.pid, "VmRSS:"));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
    auto t1 = Clock::now();
    auto r = c->Get(("/api/v1/uploads/" + upload + "/errors.csv").c_str(), [&](const char* data, size_t n) {
      bytes += n;
      lines += uint64_t(std::count(data, data + n, '\n'));
      return true;
    });
    secs.push_back(seconds_since(t1));
    sampling = false;
    sampler.join();
    if (!r || r->status != 200) die("GET errors.csv failed");
  }
  long rss_after = proc_kib(a.pid, "VmRSS:"), hwm_after = proc_kib(a.pid, "VmHWM:");
  json out = {{"stage", "report"},
              {"errors", a.report_errors},
              {"post_s", post_s},
              {"lines", lines},
              {"bytes", bytes},
              {"seconds", *std::max_element(secs.begin(), secs.end())},
              {"seconds_best", *std::min_element(secs.begin(), secs.end())},
              {"rss_before_kib", rss_before},
              {"rss_after_kib", rss_after},
              {"rss_peak_seen_kib", rss_peak_seen},
              {"hwm_before_kib", hwm_before},
              {"hwm_after_kib", hwm_after}};
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  std::string url, stages = "ingest,list,report", campaign;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") url = v;
    else if (k == "--token") a.token = v;
    else if (k == "--pid") a.pid = std::atoi(v.c_str());
    else if (k == "--fields") a.fields = v;
    else if (k == "--file") a.file = v;
    else if (k == "--requests") a.requests = std::max(20, std::atoi(v.c_str()));
    else if (k == "--report-errors") a.report_errors = std::atoi(v.c_str());
    else if (k == "--stages") stages = v;
    else if (k == "--campaign") campaign = v;  // an existing campaign: listed, or ingested into
    else die("unknown option " + k);
  }
  auto colon = url.rfind(':');
  if (url.rfind("http://", 0) != 0 || colon == std::string::npos || a.token.empty() || a.fields.empty())
    die("usage: server_bench --url http://127.0.0.1:PORT --token T --pid PID --fields F.json --file F.csv");
  a.host = url.substr(7, colon - 7);
  a.port = std::atoi(url.c_str() + colon + 1);
  std::string fields_json = read_text(a.fields);
  if (stages.find("ingest_inline") != std::string::npos) campaign = ingest(a, fields_json, true, campaign);
  else if (stages.find("ingest") != std::string::npos) campaign = ingest(a, fields_json, false, campaign);
  if (stages.find("reingest") != std::string::npos) ingest(a, fields_json, false, campaign);
  if (stages.find("list") != std::string::npos && !campaign.empty()) list_bench(a, campaign);
  if (stages.find("report") != std::string::npos) report_bench(a, fields_json);
  return 0;
}
