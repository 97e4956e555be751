// Delimiter and encoding sniffing (see dialect.h).
#include "csv/dialect.h"

#include <tuple>
#include <vector>

#include "csv/tokenizer.h"

namespace intake {

namespace {

// Counts fields per record over the head, ignoring the last (possibly cut) record.
class FieldCounter : public CsvRecordSink {
 public:
  void on_record(const CsvRecord& r) override {
    if (r.error_code == nullptr) counts.push_back(r.fields.size());
    else counts.push_back(0);
  }
  std::vector<size_t> counts;
};

struct Score {
  size_t header_fields = 0;
  size_t agreeing = 0;  // data records with the header's field count
  size_t records = 0;
};

Score score(std::string_view head, char delimiter, bool complete) {
  FieldCounter counter;
  CsvTokenizer tokenizer(delimiter, CsvLimits{}, /*check_utf8=*/false);
  tokenizer.push(head, counter);
  if (complete) tokenizer.finish(counter);
  Score s;
  if (counter.counts.empty()) {  // one unfinished record: judge the header alone
    tokenizer.finish(counter);
    if (!counter.counts.empty()) s.header_fields = counter.counts[0];
    return s;
  }
  s.header_fields = counter.counts[0];
  for (size_t i = 1; i < counter.counts.size(); ++i) {
    ++s.records;
    if (counter.counts[i] == s.header_fields) ++s.agreeing;
  }
  return s;
}

}  // namespace

Dialect sniff_dialect(std::string_view head) {
  Dialect d;
  if (head.starts_with("\xEF\xBB\xBF")) {
    d.bom = true;
    head.remove_prefix(3);
  } else if (head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF")) {
    d.utf16 = true;
    return d;
  }
  d.encoding = detect_encoding(head);
  // A head shorter than 64 KiB is taken to be the whole file.
  bool complete = head.size() < (size_t(64) << 10);
  // Rank: most data rows agreeing with the header's field count (90% or more counts as
  // consistent), then the larger share agreeing, then more fields. Ties keep the earlier
  // candidate, so a plain one-column file stays comma-separated.
  auto rank = [](const Score& s) {
    bool consistent = s.agreeing * 10 >= s.records * 9;
    double share = s.records ? double(s.agreeing) / double(s.records) : 1.0;
    return std::tuple(consistent, share, s.header_fields);
  };
  bool found = false;
  Score best;
  char best_delim = ',';
  for (char c : kDelimiterCandidates) {
    Score s = score(head, c, complete);
    if (s.header_fields < 2) continue;
    if (!found || rank(s) > rank(best)) {
      found = true;
      best = s;
      best_delim = c;
    }
  }
  d.delimiter = best_delim;
  return d;
}

std::string_view delimiter_name(char delimiter) {
  switch (delimiter) {
    case ',': return "comma";
    case ';': return "semicolon";
    case '\t': return "tab";
    case '|': return "pipe";
    default: return "other";
  }
}

}  // namespace intake
