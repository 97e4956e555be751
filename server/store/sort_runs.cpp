// Sorted runs of (value, id) per campaign and column: see sort_runs.h.
//
// A block (sort_blocks.entries) is, since front coding (blocks written before are read as
// they are, and rewritten so by the next merge of their run):
//   byte 0, varint n, varint size of the n values back to back, then per entry: varint bytes
//   shared with the previous value, varint length of the rest, the rest, varint id - previous id
//   (zigzag; the first entry's previous value is empty and previous id 0).
// Sorted neighbours share most of their bytes (the same plan, date or name; ids with one
// prefix), so a block holds ~2.5 times the entries of the plain layout it replaces: every
// batch's runs, and every merge rewriting them, cost that much less WAL and commit time.
// The plain layout (first byte non-zero, as n >= 1): varint n, varint size of the values, the n
// values back to back, then n pairs (varint value length, varint id).
// sort_blocks.n repeats n so counts can sum blocks from the index. A contains count searches a
// block's values in one pass over them (decoded back to back) and maps the hits to entries.
// Blocks are cut so that each row, with its key columns (campaign_id, col, run, first_value,
// first_id, n), fills most of one 4 KiB page without overflow (kRowBytes; blocks written before
// were cut at 3000 bytes and read the same way); a longer value makes a block of its own.
#include "store/sort_runs.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include <emmintrin.h>

#include "store/store_internal.h"

namespace intake::store::detail {
namespace {

int compare(std::string_view av, int64_t ai, std::string_view bv, int64_t bi) {
  if (int c = compare_bytes(av, bv)) return c;
  return ai < bi ? -1 : ai > bi ? 1 : 0;
}

// A value's first 8 bytes as a big-endian number, zero-padded: heads order like the values'
// first 8 bytes (equal heads need the whole comparison).
uint64_t value_head(std::string_view v) {
  uint64_t h = 0;
  if (v.size() >= 8) {
    std::memcpy(&h, v.data(), 8);
  } else if (!v.empty()) {
    unsigned char b[8] = {};
    std::memcpy(b, v.data(), v.size());
    std::memcpy(&h, b, 8);
  }
  return __builtin_bswap64(h);
}

}  // namespace

bool entry_less(const EntryView& a, const EntryView& b) { return compare(a.value, a.id, b.value, b.id) < 0; }

namespace {

// A table b-tree cell keeps up to 4061 bytes of a 4 KiB page before spilling to overflow pages;
// a block is cut so that its row (the block, its first value, the column key and ~30 bytes of
// integers and record header) stays under kRowBytes: one row fills a 4 KiB page (databases
// made before 16 KiB pages), four fill a 16 KiB one.
constexpr size_t kRowBytes = 4000;
// Runs are merged by size tier: a tier holds runs of kTierBase * kRunFanIn^t .. ^(t+1) entries;
// when kRunFanIn runs share a tier they become one run — tier 0, where each batch's run starts,
// when the store's first_tier_runs do (Store::kFirstTierRuns). A walk reads one block per run,
// so the number of runs (at most about that many per tier) bounds a page's cost.
constexpr int64_t kTierBase = 4096;
constexpr size_t kRunFanIn = 16;
// A column whose stale records pass both bounds is rebuilt from all its runs without them
// (counts read every stale record of the column, so they are kept few).
constexpr int64_t kStaleMin = 4096;
constexpr int64_t kStaleShare = 32;  // stale > entries / kStaleShare

bool get_varint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    uint8_t b = uint8_t(in[pos++]);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// A decoded block: value i is raw.substr(off[i], len[i]); the values lie back to back from
// values_at to values_end.
struct Block {
  std::string raw;
  std::vector<uint32_t> off, len;
  std::vector<int64_t> ids;
  std::string first_value;
  int64_t first_id = 0;
  size_t values_at = 0, values_end = 0;
  size_t size() const { return ids.size(); }
  std::string_view value(size_t i) const { return std::string_view(raw).substr(off[i], len[i]); }
  std::string_view values() const { return std::string_view(raw).substr(values_at, values_end - values_at); }
};

constexpr char kFrontCoded = 0;  // the first byte of a front-coded block

// The plain layout: the values stay where they are in the blob (raw is a copy of it).
bool decode_plain(std::string_view blob, Block& b) {
  b.raw.assign(blob);
  size_t pos = 0;
  uint64_t n = 0, size = 0;
  if (!get_varint(b.raw, pos, n) || !get_varint(b.raw, pos, size) || n == 0 || n > b.raw.size() ||
      size > b.raw.size() - pos)
    return false;
  b.values_at = pos;
  b.values_end = pos + size;
  b.len.resize(n);
  b.ids.resize(n);
  b.off.resize(n);
  size_t value = pos, end = pos + size;
  pos = end;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len, id;
    if (!get_varint(b.raw, pos, len) || !get_varint(b.raw, pos, id) || len > end - value) return false;
    b.off[i] = uint32_t(value);
    b.len[i] = uint32_t(len);
    b.ids[i] = int64_t(id);
    value += len;
  }
  return value == end;
}

// The front-coded layout: each value is rebuilt from the one before it, into raw. A first pass
// reads only the lengths, so a corrupt block's claims cost no memory before they add up.
bool decode_front_coded(std::string_view blob, Block& b) {
  size_t pos = 1;
  uint64_t n = 0, size = 0;
  // An entry takes at least 3 bytes of the blob.
  if (!get_varint(blob, pos, n) || !get_varint(blob, pos, size) || n == 0 || n > blob.size() ||
      size > (uint64_t(1) << 31))
    return false;
  const size_t entries_at = pos;
  uint64_t total = 0, prev_len = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t shared, rest, delta;
    if (!get_varint(blob, pos, shared) || !get_varint(blob, pos, rest) || shared > prev_len ||
        rest > blob.size() - pos)
      return false;
    pos += rest;
    prev_len = shared + rest;
    total += prev_len;
    if (total > size || !get_varint(blob, pos, delta)) return false;
  }
  if (total != size || pos != blob.size()) return false;
  b.raw.resize(size);
  b.values_at = 0;
  b.values_end = size;
  b.len.resize(n);
  b.ids.resize(n);
  b.off.resize(n);
  pos = entries_at;
  size_t at = 0, prev_at = 0;
  uint64_t id = 0, shared = 0, rest = 0, delta = 0;
  for (uint64_t i = 0; i < n; ++i) {
    get_varint(blob, pos, shared);
    get_varint(blob, pos, rest);
    char* out = b.raw.data() + at;
    if (shared) std::memmove(out, b.raw.data() + prev_at, shared);
    if (rest) std::memcpy(out + shared, blob.data() + pos, rest);
    pos += rest;
    get_varint(blob, pos, delta);
    id += (delta & 1) ? ~(delta >> 1) : (delta >> 1);  // zigzag: 0, -1, 1, -2, ...
    b.off[i] = uint32_t(at);
    b.len[i] = uint32_t(shared + rest);
    b.ids[i] = int64_t(id);
    prev_at = at;
    at += shared + rest;
  }
  return true;
}

bool decode(std::string_view blob, Block& b) {
  if (blob.empty()) return false;
  return blob[0] == kFrontCoded ? decode_front_coded(blob, b) : decode_plain(blob, b);
}

using EntryRef = EntryView;

// A value as runs keep it: numbers (from REAL expressions or trigger records) encoded, text as is.
std::string run_value(const Statement& s, int column) {
  if (s.is_number(column)) return encode_number(s.real(column));
  return std::string(s.text_view(column));
}

std::vector<SortEntry> stale_entries(Connection& c, int64_t campaign_id, const std::string& col) {
  std::vector<SortEntry> out;
  auto s = c.prepare("SELECT value, id FROM sort_stale WHERE campaign_id = ?1 AND col = ?2");
  s.bind(1, campaign_id).bind(2, col);
  while (s.step()) out.push_back({run_value(s, 0), s.int64(1)});
  return out;
}

// A block ready to insert: its key columns and its bytes.
struct EncodedBlock {
  std::string first_value;
  int64_t first_id = 0;
  int64_t n = 0;
  std::string blob;
};

// How far ahead encode_blocks asks for the values it will read.
constexpr size_t kPrefetchAhead = 16;

// Cuts sorted `entries` of column `col` into front-coded blocks (see the top of this file).
std::vector<EncodedBlock> encode_blocks(const std::string& col, const std::vector<EntryRef>& entries) {
  std::vector<EncodedBlock> out;
  auto put = [](char* p, uint64_t v) {
    while (v >= 0x80) {
      *p++ = char(uint8_t(v) | 0x80);
      v >>= 7;
    }
    *p++ = char(v);
    return p;
  };
  // The difference of two ids, zigzagged (0, -1, 1, -2, ... as 0, 1, 2, 3, ...), in unsigned
  // arithmetic: it wraps like the decoder's sum.
  auto zigzag = [](uint64_t d) { return int64_t(d) < 0 ? (~d << 1) | 1 : d << 1; };
  std::string body;  // one block's entries, before its n and size are known
  size_t from = 0;
  while (from < entries.size()) {
    size_t overhead = col.size() + entries[from].value.size() + 30;
    size_t budget = kRowBytes > overhead ? kRowBytes - overhead : 0;
    body.clear();
    std::string_view prev;
    int64_t prev_id = 0;
    size_t to = from, values = 0;
    for (; to < entries.size(); ++to) {
      const EntryRef& e = entries[to];
      // Values in (value, id) order lie scattered over the batch or the merged blocks: their
      // cache misses, one after another behind each comparison, were most of this loop's time.
      if (to + kPrefetchAhead < entries.size()) __builtin_prefetch(entries[to + kPrefetchAhead].value.data());
      size_t shared = 0, m = std::min(prev.size(), e.value.size());
      for (uint64_t x, y; shared + 8 <= m; shared += 8) {
        std::memcpy(&x, prev.data() + shared, 8);
        std::memcpy(&y, e.value.data() + shared, 8);
        if (x != y) {
          shared += size_t(std::countr_zero(x ^ y)) / 8;  // little-endian: the first differing byte
          m = shared;
          break;
        }
      }
      while (shared < m && prev[shared] == e.value[shared]) ++shared;
      size_t rest = e.value.size() - shared;
      char head[20], *p = put(put(head, shared), rest);
      char tail[10], *q = put(tail, zigzag(uint64_t(e.id) - uint64_t(prev_id)));
      size_t bytes = size_t(p - head) + rest + size_t(q - tail);
      // 12: room for the block's n and values size.
      if (to > from && body.size() + bytes + 12 > budget) break;
      body.append(head, p).append(e.value.substr(shared)).append(tail, q);
      values += e.value.size();
      prev = e.value;
      prev_id = e.id;
    }
    EncodedBlock& b = out.emplace_back();
    b.first_value.assign(entries[from].value);
    b.first_id = entries[from].id;
    b.n = int64_t(to - from);
    char head[21] = {kFrontCoded}, *p = put(put(head + 1, to - from), values);
    b.blob.reserve(size_t(p - head) + body.size());
    b.blob.append(head, p).append(body);
    from = to;
  }
  return out;
}

// Inserts `blocks` holding `entries` entries as run `run` of (campaign, col).
void insert_blocks(Connection& c, int64_t campaign_id, const std::string& col, int64_t run,
                   const std::vector<EncodedBlock>& blocks, int64_t entries) {
  if (blocks.empty()) return;
  auto ins = c.prepare(
      "INSERT INTO sort_blocks(campaign_id, col, run, first_value, first_id, n, entries) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const EncodedBlock& b : blocks) {
    // The block outlives the statement's run.
    ins.bind(1, campaign_id).bind(2, col).bind(3, run).bind_static(4, b.first_value).bind(5, b.first_id)
        .bind(6, b.n).bind_blob_static(7, b.blob.data(), b.blob.size());
    ins.run();
    ins.reset();
  }
  c.prepare("INSERT INTO sort_runs(campaign_id, col, run, entries) VALUES(?1, ?2, ?3, ?4)")
      .bind(1, campaign_id).bind(2, col).bind(3, run).bind(4, entries).run();
}

// Writes sorted `entries` as run `run` of (campaign, col).
void write_run(Connection& c, int64_t campaign_id, const std::string& col, int64_t run,
               const std::vector<EntryRef>& entries) {
  insert_blocks(c, campaign_id, col, run, encode_blocks(col, entries), int64_t(entries.size()));
}

int64_t next_run(Connection& c, int64_t campaign_id, const std::string& col) {
  auto s = c.prepare("SELECT coalesce(max(run), 0) + 1 FROM sort_runs WHERE campaign_id = ?1 AND col = ?2");
  s.bind(1, campaign_id).bind(2, col);
  return s.step() ? s.int64(0) : 1;
}

// The blocks of run `run`, decoded, in order.
void load_run(Connection& c, int64_t campaign_id, const std::string& col, int64_t run, std::vector<Block>& blocks) {
  auto s = c.prepare(
      "SELECT entries FROM sort_blocks WHERE campaign_id = ?1 AND col = ?2 AND run = ?3 "
      "ORDER BY first_value, first_id");
  s.bind(1, campaign_id).bind(2, col).bind(3, run);
  while (s.step()) {
    blocks.emplace_back();
    if (!decode(s.blob_view(0), blocks.back())) throw SqliteError(0, "corrupt sort block");
  }
}

void drop_run(Connection& c, int64_t campaign_id, const std::string& col, int64_t run) {
  c.prepare("DELETE FROM sort_blocks WHERE campaign_id = ?1 AND col = ?2 AND run = ?3")
      .bind(1, campaign_id).bind(2, col).bind(3, run).run();
  c.prepare("DELETE FROM sort_runs WHERE campaign_id = ?1 AND col = ?2 AND run = ?3")
      .bind(1, campaign_id).bind(2, col).bind(3, run).run();
}

// Merges `runs` of (campaign, col) into one new run. With `drop_stale`, `runs` must be all of
// the column's runs: the stale records are subtracted and deleted.
// The entries of `runs` of (campaign, col) in order; their values live in `blocks`.
std::vector<EntryRef> merged_entries(Connection& c, int64_t campaign_id, const std::string& col,
                                     const std::vector<int64_t>& runs, std::vector<std::vector<Block>>& blocks) {
  // k-way merge of the runs' blocks (each run is sorted, so O(n log k)).
  blocks.assign(runs.size(), {});
  size_t total = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    load_run(c, campaign_id, col, runs[k], blocks[k]);
    for (const Block& b : blocks[k]) total += b.size();
  }
  // Each cursor keeps its current entry with the value's first 8 bytes as a big-endian
  // number, so most comparisons are one integer comparison; the smallest cursor is the top of
  // a binary heap, advanced and sifted down in place.
  struct Cursor {
    uint64_t head;
    EntryRef e;
    size_t run, block, pos;
  };
  auto load = [&](Cursor& x) {
    const Block& b = blocks[x.run][x.block];
    x.e = EntryRef{b.value(x.pos), b.ids[x.pos]};
    x.head = value_head(x.e.value);
  };
  auto less = [](const Cursor& x, const Cursor& y) {
    if (x.head != y.head) return x.head < y.head;
    return compare(x.e.value, x.e.id, y.e.value, y.e.id) < 0;
  };
  std::vector<Cursor> heap;
  for (size_t k = 0; k < runs.size(); ++k) {
    if (blocks[k].empty()) continue;
    heap.push_back({0, {}, k, 0, 0});
    load(heap.back());
  }
  auto sift_down = [&](size_t i) {
    const size_t n = heap.size();
    Cursor x = heap[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && less(heap[child + 1], heap[child])) ++child;
      if (!less(heap[child], x)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = x;
  };
  for (size_t i = heap.size() / 2; i-- > 0;) sift_down(i);
  std::vector<EntryRef> entries;
  entries.reserve(total);
  while (!heap.empty()) {
    Cursor& x = heap.front();
    entries.push_back(x.e);
    if (++x.pos == blocks[x.run][x.block].size()) {
      x.pos = 0;
      ++x.block;
    }
    if (x.block < blocks[x.run].size()) {
      load(x);
    } else {
      x = heap.back();
      heap.pop_back();
      if (heap.empty()) break;
    }
    sift_down(0);
  }
  return entries;
}

void merge_runs(Connection& c, int64_t campaign_id, const std::string& col, const std::vector<int64_t>& runs,
                bool drop_stale) {
  std::vector<std::vector<Block>> blocks;
  std::vector<EntryRef> entries = merged_entries(c, campaign_id, col, runs, blocks);
  if (drop_stale) {
    std::vector<SortEntry> stale = stale_entries(c, campaign_id, col);
    std::sort(stale.begin(), stale.end(), [](const SortEntry& a, const SortEntry& b) {
      return compare(a.value, a.id, b.value, b.id) < 0;
    });
    // Multiset difference: each stale record removes one equal entry.
    std::vector<EntryRef> kept;
    kept.reserve(entries.size());
    size_t j = 0;
    for (const EntryRef& e : entries) {
      while (j < stale.size() && compare(stale[j].value, stale[j].id, e.value, e.id) < 0) ++j;
      if (j < stale.size() && compare(stale[j].value, stale[j].id, e.value, e.id) == 0) {
        ++j;
        continue;
      }
      kept.push_back(e);
    }
    entries.swap(kept);
    c.prepare("DELETE FROM sort_stale WHERE campaign_id = ?1 AND col = ?2").bind(1, campaign_id).bind(2, col).run();
  }
  int64_t run = next_run(c, campaign_id, col);
  for (int64_t r : runs) drop_run(c, campaign_id, col, r);
  write_run(c, campaign_id, col, run, entries);
}

int tier(int64_t entries) {
  int t = 0;
  for (int64_t limit = kTierBase * int64_t(kRunFanIn); entries >= limit; limit *= int64_t(kRunFanIn)) ++t;
  return t;
}

// The runs of the lowest tier that holds enough of them to merge (empty if none).
std::vector<int64_t> full_tier(const std::map<int, std::vector<int64_t>>& tiers, size_t first_tier_runs) {
  const size_t first = std::max<size_t>(first_tier_runs, 2);  // a run alone is not merged
  for (const auto& [t, runs] : tiers)
    if (runs.size() >= (t == 0 ? first : kRunFanIn)) return runs;
  return {};
}

// Rebuilds the column without its stale records when they pass kStaleMin and 1/kStaleShare of
// the entries, and merges runs while a tier is full (full_tier). Returns true when a
// tier is full and `tier_merges` is false (the merges are left to the caller).
bool tidy(Connection& c, int64_t campaign_id, const std::string& col, size_t first_tier_runs,
          bool tier_merges = true) {
  for (;;) {
    std::map<int, std::vector<int64_t>> tiers;
    std::vector<int64_t> all;
    int64_t total = 0;
    {
      auto s = c.prepare("SELECT run, entries FROM sort_runs WHERE campaign_id = ?1 AND col = ?2");
      s.bind(1, campaign_id).bind(2, col);
      while (s.step()) {
        tiers[tier(s.int64(1))].push_back(s.int64(0));
        all.push_back(s.int64(0));
        total += s.int64(1);
      }
    }
    int64_t stale = 0;
    {
      auto s = c.prepare("SELECT count(*) FROM sort_stale WHERE campaign_id = ?1 AND col = ?2");
      s.bind(1, campaign_id).bind(2, col);
      if (s.step()) stale = s.int64(0);
    }
    if (stale >= kStaleMin && stale * kStaleShare > total) {
      merge_runs(c, campaign_id, col, all, true);
      return false;
    }
    std::vector<int64_t> runs = full_tier(tiers, first_tier_runs);
    if (runs.empty()) return false;
    if (!tier_merges) return true;
    merge_runs(c, campaign_id, col, runs, false);
  }
}

std::map<int, std::vector<int64_t>> run_tiers(Connection& c, int64_t campaign_id, const std::string& col,
                                              std::map<int64_t, int64_t>* entries = nullptr) {
  std::map<int, std::vector<int64_t>> tiers;
  auto s = c.prepare("SELECT run, entries FROM sort_runs WHERE campaign_id = ?1 AND col = ?2");
  s.bind(1, campaign_id).bind(2, col);
  while (s.step()) {
    tiers[tier(s.int64(1))].push_back(s.int64(0));
    if (entries) (*entries)[s.int64(0)] = s.int64(1);
  }
  return tiers;
}

unsigned char fold(unsigned char ch) { return unsigned(ch - 'A') < 26u ? ch | 0x20 : ch; }

}  // namespace

const char* sort_run_key(SortColumn c) {
  switch (c) {
    case SortColumn::name: return kIdentityRunKeys[0];
    case SortColumn::email: return kIdentityRunKeys[1];
    case SortColumn::phone: return kIdentityRunKeys[2];
    case SortColumn::external_id: return kIdentityRunKeys[3];
    default: return nullptr;
  }
}

bool is_identity_run_key(std::string_view column_name) {
  for (const char* k : kIdentityRunKeys)
    if (column_name == k) return true;
  return false;
}

std::string field_run_key(std::string_view field_key) { return "f:" + std::string(field_key); }

std::vector<RunColumn> run_columns(Connection& c, int64_t campaign_id) {
  std::vector<RunColumn> out;
  for (const char* k : kIdentityRunKeys) out.push_back({k, k, false});
  auto s = c.prepare("SELECT col, expr, numeric FROM sort_columns WHERE campaign_id = ?1 ORDER BY col");
  s.bind(1, campaign_id);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.int64(2) != 0});
  return out;
}

std::string encode_number(double v) {
  if (v == 0) v = 0;  // -0 sorts and compares as 0
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits = (bits >> 63) ? ~bits : bits | (uint64_t(1) << 63);
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, bits >>= 8) out[size_t(i)] = char(uint8_t(bits));
  return out;
}

void add_sort_runs(Connection& c, int64_t campaign_id, std::vector<BatchRun>& runs, size_t first_tier_runs,
                   std::vector<std::string>* merges_due) {
  std::vector<SortEntry> pending;  // owns the values of the pending records
  std::vector<std::string> pending_keys;
  {
    auto s = c.prepare("SELECT col, value, id FROM sort_pending WHERE campaign_id = ?1");
    s.bind(1, campaign_id);
    while (s.step()) {
      pending_keys.emplace_back(s.text_view(0));
      pending.push_back({run_value(s, 1), s.int64(2)});
    }
  }
  if (!pending.empty()) {
    c.prepare("DELETE FROM sort_pending WHERE campaign_id = ?1").bind(1, campaign_id).run();
    for (size_t i = 0; i < pending.size(); ++i) {
      auto it = std::find_if(runs.begin(), runs.end(), [&](const BatchRun& r) { return r.key == pending_keys[i]; });
      if (it == runs.end()) it = runs.insert(runs.end(), BatchRun{pending_keys[i], {}, true});
      it->entries.push_back({pending[i].value, pending[i].id});
      it->sorted = false;
    }
  }
  for (BatchRun& run : runs) {
    if (run.entries.empty()) continue;
    if (!run.sorted) std::sort(run.entries.begin(), run.entries.end(), entry_less);
    write_run(c, campaign_id, run.key, next_run(c, campaign_id, run.key), run.entries);
    if (tidy(c, campaign_id, run.key, first_tier_runs, merges_due == nullptr)) merges_due->push_back(run.key);
  }
}

// ---- merges outside the write lock --------------------------------------------------------

bool tier_full(Connection& c, int64_t campaign_id, const std::string& key, size_t first_tier_runs) {
  return !full_tier(run_tiers(c, campaign_id, key), first_tier_runs).empty();
}

namespace {

// A tier merge computed from a read snapshot: the runs it replaces (number, entries, first
// key) and the blocks of the merged run.
struct PreparedMerge {
  struct Source {
    int64_t run = 0, entries = 0;
    std::string first_value;
    int64_t first_id = 0;
  };
  std::vector<Source> sources;
  std::vector<EncodedBlock> blocks;
  int64_t entries = 0;
};

bool first_key(Connection& c, int64_t campaign_id, const std::string& col, int64_t run, std::string& value,
               int64_t& id) {
  auto s = c.prepare(
      "SELECT first_value, first_id FROM sort_blocks WHERE campaign_id = ?1 AND col = ?2 AND run = ?3 "
      "ORDER BY first_value, first_id LIMIT 1");
  s.bind(1, campaign_id).bind(2, col).bind(3, run);
  if (!s.step()) return false;
  value = s.text(0);
  id = s.int64(1);
  return true;
}

// In a read transaction: the merge of the column's lowest full tier; false if no tier is full.
bool prepare_merge(Connection& c, int64_t campaign_id, const std::string& col, size_t first_tier_runs,
                   PreparedMerge& m) {
  std::map<int64_t, int64_t> entries;
  std::vector<int64_t> runs = full_tier(run_tiers(c, campaign_id, col, &entries), first_tier_runs);
  if (runs.empty()) return false;
  for (int64_t run : runs) {
    PreparedMerge::Source& src = m.sources.emplace_back();
    src.run = run;
    src.entries = entries[run];
    first_key(c, campaign_id, col, run, src.first_value, src.first_id);
  }
  std::vector<std::vector<Block>> blocks;
  std::vector<EntryRef> merged = merged_entries(c, campaign_id, col, runs, blocks);
  m.entries = int64_t(merged.size());
  m.blocks = encode_blocks(col, merged);
  return true;
}

// In the write transaction: replaces the merge's runs by its merged run, unless one of them
// changed since it was read (a rebuild or a drop): then false, nothing written.
bool apply_merge(Connection& c, int64_t campaign_id, const std::string& col, const PreparedMerge& m) {
  for (const PreparedMerge::Source& src : m.sources) {
    auto s = c.prepare("SELECT entries FROM sort_runs WHERE campaign_id = ?1 AND col = ?2 AND run = ?3");
    s.bind(1, campaign_id).bind(2, col).bind(3, src.run);
    if (!s.step() || s.int64(0) != src.entries) return false;
    std::string value;
    int64_t id = 0;
    if (first_key(c, campaign_id, col, src.run, value, id) != (src.entries > 0) ||
        (src.entries > 0 && (value != src.first_value || id != src.first_id)))
      return false;
  }
  int64_t run = next_run(c, campaign_id, col);
  for (const PreparedMerge::Source& src : m.sources) drop_run(c, campaign_id, col, src.run);
  insert_blocks(c, campaign_id, col, run, m.blocks, m.entries);
  return true;
}

}  // namespace

struct RunMerger::Ready {
  int64_t campaign_id = 0;
  std::string col;
  PreparedMerge merge;
};

RunMerger::RunMerger(Database& db, size_t first_tier_runs)
    : db_(db), first_tier_runs_(first_tier_runs), thread_([this] { loop(); }) {}

RunMerger::~RunMerger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void RunMerger::schedule(int64_t campaign_id, const std::vector<std::string>& keys) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& key : keys)
      if (in_flight_.emplace(campaign_id, key).second) queue_.emplace_back(campaign_id, key);
  }
  cv_.notify_all();
}

void RunMerger::apply_ready(Connection& c) {
  std::vector<std::unique_ptr<Ready>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready.swap(ready_);
    for (const auto& r : ready) in_flight_.erase({r->campaign_id, r->col});
  }
  if (ready.empty()) return;
  cv_.notify_all();
  // A merge whose runs changed is dropped (a later batch finds it due again). A failure
  // fails the caller's transaction, so no merge is ever half applied.
  for (const auto& r : ready) apply_merge(c, r->campaign_id, r->col, r->merge);
}

void RunMerger::loop() {
  lower_thread_priority();
  for (;;) {
    auto job = std::make_unique<Ready>();
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job->campaign_id = queue_.front().first;
      job->col = std::move(queue_.front().second);
      queue_.pop_front();
    }
    const int64_t campaign_id = job->campaign_id;
    const std::string col = job->col;
    try {
      bool due = db_.read([&](Connection& c) {
        Transaction tx(c, Transaction::Kind::read);
        return prepare_merge(c, campaign_id, col, first_tier_runs_, job->merge);
      });
      std::unique_lock<std::mutex> lock(mu_);
      if (!due) {
        in_flight_.erase({campaign_id, col});
        continue;
      }
      // Handed to the next batch's transaction; if none takes it soon, merged here.
      Ready* mine = job.get();
      ready_.push_back(std::move(job));
      auto taken = [&] {
        return std::none_of(ready_.begin(), ready_.end(), [&](const auto& r) { return r.get() == mine; });
      };
      cv_.wait_for(lock, kHandOff, [&] { return stopping_ || taken(); });
      if (stopping_ || taken()) continue;
      auto it = std::find_if(ready_.begin(), ready_.end(), [&](const auto& r) { return r.get() == mine; });
      job = std::move(*it);
      ready_.erase(it);
      in_flight_.erase({campaign_id, col});
      lock.unlock();
      db_.write([&](Connection& c) {
        Transaction tx(c, Transaction::Kind::write);
        if (apply_merge(c, campaign_id, col, job->merge)) tx.commit();
        return 0;
      });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "intake-server: merging sort runs of %s failed: %s\n", col.c_str(), e.what());
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_.erase({campaign_id, col});
    }
  }
}

void tidy_sort_runs(Connection& c, int64_t campaign_id, size_t first_tier_runs) {
  for (const RunColumn& col : run_columns(c, campaign_id)) tidy(c, campaign_id, col.key, first_tier_runs);
}

void drop_sort_runs(Connection& c, int64_t campaign_id, const std::string& key) {
  for (const char* table : {"sort_blocks", "sort_runs", "sort_stale", "sort_pending"}) {
    c.prepare(std::string("DELETE FROM ") + table + " WHERE campaign_id = ?1 AND col = ?2")
        .bind(1, campaign_id).bind(2, key).run();
  }
}

void rebuild_sort_runs(Connection& c, int64_t campaign_id, const RunColumn& col) {
  drop_sort_runs(c, campaign_id, col.key);
  std::vector<SortEntry> entries;
  auto s = c.prepare_once("SELECT " + col.expr + ", id FROM participants WHERE campaign_id = ?1");
  s.bind(1, campaign_id);
  while (s.step()) {
    if (!s.is_null(0)) entries.push_back({run_value(s, 0), s.int64(1)});
  }
  std::vector<EntryRef> refs;
  refs.reserve(entries.size());
  for (const SortEntry& e : entries) refs.push_back({e.value, e.id});
  std::sort(refs.begin(), refs.end(), entry_less);
  write_run(c, campaign_id, col.key, 1, refs);
}

// ---- walks ----------------------------------------------------------------------------------

struct SortWalk::Run {
  int64_t run = 0;
  Block block;
  size_t pos = 0;  // current entry in block
  bool valid = false;
};

namespace {

const char* const kBlockColumns = "SELECT first_value, first_id, entries FROM sort_blocks "
                                  "WHERE campaign_id = ?1 AND col = ?2 AND run = ?3";

// Loads the block the statement found, if any.
bool take_block(Statement& s, Block& b) {
  if (!s.step()) return false;
  if (!decode(s.blob_view(2), b) || b.size() == 0) throw SqliteError(0, "corrupt sort block");
  b.first_value = s.text(0);
  b.first_id = s.int64(1);
  return true;
}

}  // namespace

SortWalk::SortWalk(Connection& c, int64_t campaign_id, std::string key, bool descending,
                   const std::optional<std::pair<std::string, int64_t>>& after)
    : c_(c), campaign_id_(campaign_id), key_(std::move(key)), descending_(descending) {
  std::vector<int64_t> runs;
  {
    auto s = c.prepare("SELECT run FROM sort_runs WHERE campaign_id = ?1 AND col = ?2");
    s.bind(1, campaign_id).bind(2, key_);
    while (s.step()) runs.push_back(s.int64(0));
  }
  for (int64_t run : runs) {
    Run& r = *runs_.emplace_back(std::make_unique<Run>());
    r.run = run;
    if (fill(r, true, after)) heap_.push_back(runs_.size() - 1);
  }
  auto later = [this](size_t a, size_t b) {
    const Run& x = *runs_[a];
    const Run& y = *runs_[b];
    int cmp = compare(x.block.value(x.pos), x.block.ids[x.pos], y.block.value(y.pos), y.block.ids[y.pos]);
    return descending_ ? cmp < 0 : cmp > 0;
  };
  std::make_heap(heap_.begin(), heap_.end(), later);
}

SortWalk::~SortWalk() = default;

// Positions `r` on its first entry after `after` (first) or on its next entry; false when the
// run has no more.
bool SortWalk::fill(Run& r, bool first, const std::optional<std::pair<std::string, int64_t>>& after) {
  Block& b = r.block;
  if (!first) {
    if (!descending_) {
      if (++r.pos < b.size()) return true;
      auto s = c_.prepare(std::string(kBlockColumns) +
                          " AND (first_value, first_id) > (?4, ?5) ORDER BY first_value, first_id LIMIT 1");
      s.bind(1, campaign_id_).bind(2, key_).bind(3, r.run).bind(4, b.first_value).bind(5, b.first_id);
      if (!take_block(s, b)) return r.valid = false;
      r.pos = 0;
      return r.valid = true;
    }
    if (r.pos > 0) {
      --r.pos;
      return true;
    }
    auto s = c_.prepare(std::string(kBlockColumns) +
                        " AND (first_value, first_id) < (?4, ?5) ORDER BY first_value DESC, first_id DESC LIMIT 1");
    s.bind(1, campaign_id_).bind(2, key_).bind(3, r.run).bind(4, b.first_value).bind(5, b.first_id);
    if (!take_block(s, b)) return r.valid = false;
    r.pos = b.size() - 1;
    return r.valid = true;
  }
  if (!descending_) {
    bool found = false;
    if (after) {
      auto s = c_.prepare(std::string(kBlockColumns) +
                          " AND (first_value, first_id) <= (?4, ?5) ORDER BY first_value DESC, first_id DESC LIMIT 1");
      s.bind(1, campaign_id_).bind(2, key_).bind(3, r.run).bind(4, after->first).bind(5, after->second);
      found = take_block(s, b);
    }
    if (!found) {
      auto s = c_.prepare(std::string(kBlockColumns) + " ORDER BY first_value, first_id LIMIT 1");
      s.bind(1, campaign_id_).bind(2, key_).bind(3, r.run);
      if (!take_block(s, b)) return r.valid = false;
    }
    r.pos = 0;
    r.valid = true;
    if (after) {
      // Skip entries at or before the cursor (at most this block and the start of the next).
      while (compare(b.value(r.pos), b.ids[r.pos], after->first, after->second) <= 0) {
        if (!fill(r, false, std::nullopt)) return false;
      }
    }
    return true;
  }
  if (after) {
    auto s = c_.prepare(std::string(kBlockColumns) +
                        " AND (first_value, first_id) < (?4, ?5) ORDER BY first_value DESC, first_id DESC LIMIT 1");
    s.bind(1, campaign_id_).bind(2, key_).bind(3, r.run).bind(4, after->first).bind(5, after->second);
    if (!take_block(s, b)) return r.valid = false;
    r.pos = b.size() - 1;
    while (compare(b.value(r.pos), b.ids[r.pos], after->first, after->second) >= 0) --r.pos;  // first entry < cursor exists
  } else {
    auto s = c_.prepare(std::string(kBlockColumns) + " ORDER BY first_value DESC, first_id DESC LIMIT 1");
    s.bind(1, campaign_id_).bind(2, key_).bind(3, r.run);
    if (!take_block(s, b)) return r.valid = false;
    r.pos = b.size() - 1;
  }
  return r.valid = true;
}

bool SortWalk::next(std::string_view& value, int64_t& id) {
  auto later = [this](size_t a, size_t b) {
    const Run& x = *runs_[a];
    const Run& y = *runs_[b];
    int cmp = compare(x.block.value(x.pos), x.block.ids[x.pos], y.block.value(y.pos), y.block.ids[y.pos]);
    return descending_ ? cmp < 0 : cmp > 0;
  };
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    size_t top = heap_.back();
    Run& r = *runs_[top];
    std::string_view v = r.block.value(r.pos);
    int64_t i = r.block.ids[r.pos];
    bool repeat = has_last_ && i == last_id_ && v == last_value_;
    last_value_.assign(v);
    last_id_ = i;
    has_last_ = true;
    if (fill(r, false, std::nullopt)) std::push_heap(heap_.begin(), heap_.end(), later);
    else heap_.pop_back();
    if (repeat) continue;
    value = last_value_;
    id = last_id_;
    return true;
  }
  return false;
}

// ---- counts and lookups ---------------------------------------------------------------------

namespace {

// Calls on_hit(id) for each entry whose value contains `folded` (already folded).
// 16 bytes with ASCII letters in lower case.
__m128i fold16(__m128i x) {
  // x - 'A' < 26 (unsigned), as a signed compare after flipping the sign bits.
  __m128i shifted = _mm_xor_si128(_mm_sub_epi8(x, _mm_set1_epi8('A')), _mm_set1_epi8(char(0x80)));
  __m128i upper = _mm_cmplt_epi8(shifted, _mm_set1_epi8(char(26 ^ 0x80)));
  return _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
}

// The first position at or after `from` where `text`, ASCII letters folded to lower case,
// holds `needle` (already folded, not empty); npos if none. Candidates are found 16 positions
// at a time by the needle's first and last bytes, then compared.
size_t find_folded(std::string_view text, std::string_view needle, size_t from) {
  size_t m = needle.size();
  if (text.size() < m) return std::string_view::npos;
  size_t last_start = text.size() - m;  // the last position a match may start at
  auto rest_equal = [&](size_t at) {
    for (size_t k = 1; k + 1 < m; ++k)
      if (fold(uint8_t(text[at + k])) != uint8_t(needle[k])) return false;
    return true;
  };
  const __m128i first = _mm_set1_epi8(needle[0]), last = _mm_set1_epi8(needle[m - 1]);
  size_t i = from;
  for (; i + 16 <= last_start + 1; i += 16) {
    __m128i a = fold16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i)));
    __m128i b = fold16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + m - 1)));
    unsigned mask = unsigned(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
    while (mask) {
      size_t at = i + size_t(__builtin_ctz(mask));
      if (rest_equal(at)) return at;
      mask &= mask - 1;
    }
  }
  for (; i <= last_start; ++i)
    if (fold(uint8_t(text[i])) == uint8_t(needle[0]) && fold(uint8_t(text[i + m - 1])) == uint8_t(needle[m - 1]) &&
        rest_equal(i))
      return i;
  return std::string_view::npos;
}

// Calls on_hit(id) for each entry whose value contains `folded` (already folded). A plain
// block is decoded only when its folded values contain `folded` somewhere.
template <class OnHit>
void scan_containing(Connection& c, int64_t campaign_id, const std::string& key, const std::string& folded,
                     OnHit&& on_hit) {
  Block b;
  auto s = c.prepare("SELECT entries FROM sort_blocks WHERE campaign_id = ?1 AND col = ?2");
  s.bind(1, campaign_id).bind(2, key);
  while (s.step()) {
    std::string_view blob = s.blob_view(0);
    bool decoded = folded.empty() || (!blob.empty() && blob[0] == kFrontCoded);
    if (decoded && !decode(blob, b)) throw SqliteError(0, "corrupt sort block");
    if (folded.empty()) {
      for (size_t i = 0; i < b.size(); ++i) on_hit(b.ids[i]);
      continue;
    }
    std::string_view values;
    if (decoded) {
      values = b.values();
    } else {
      size_t at = 0;
      uint64_t n = 0, size = 0;
      if (!get_varint(blob, at, n) || !get_varint(blob, at, size) || size > blob.size() - at)
        throw SqliteError(0, "corrupt sort block");
      values = blob.substr(at, size);
    }
    size_t hit = find_folded(values, folded, 0);
    if (hit == std::string_view::npos) continue;
    if (!decoded && !decode(blob, b)) throw SqliteError(0, "corrupt sort block");
    // Walk the entries alongside the hits (offsets in `values`).
    auto entry_end = [&](size_t i) { return b.off[i] - b.values_at + b.len[i]; };
    size_t i = 0;
    while (hit != std::string_view::npos) {
      while (i < b.size() && entry_end(i) <= hit) ++i;
      if (i == b.size()) break;
      size_t from = hit + 1;  // a hit spanning two values is not a match of this one
      if (hit + folded.size() <= entry_end(i)) {
        on_hit(b.ids[i]);
        from = entry_end(i);  // on to the next entry
      }
      hit = from < values.size() ? find_folded(values, folded, from) : std::string_view::npos;
    }
  }
}

// Entries of one run before (value, id), counted from the block index and one block.
int64_t rank(Connection& c, int64_t campaign_id, const std::string& key, int64_t run, std::string_view value,
             int64_t id) {
  auto s = c.prepare(
      "SELECT first_value, first_id, entries FROM sort_blocks WHERE campaign_id = ?1 AND col = ?2 "
      "AND run = ?3 AND (first_value, first_id) < (?4, ?5) ORDER BY first_value DESC, first_id DESC LIMIT 1");
  s.bind(1, campaign_id).bind(2, key).bind(3, run).bind(4, value).bind(5, id);
  Block b;
  if (!take_block(s, b)) return 0;
  int64_t n = 0;
  while (n < int64_t(b.size()) && compare(b.value(size_t(n)), b.ids[size_t(n)], value, id) < 0) ++n;
  auto sum = c.prepare(
      "SELECT coalesce(sum(n), 0) FROM sort_blocks WHERE campaign_id = ?1 AND col = ?2 AND run = ?3 "
      "AND (first_value, first_id) < (?4, ?5)");
  sum.bind(1, campaign_id).bind(2, key).bind(3, run).bind(4, b.first_value).bind(5, b.first_id);
  if (sum.step()) n += sum.int64(0);
  return n;
}

bool in_range(std::string_view v, const std::optional<std::string>& low, const std::optional<std::string>& high) {
  return (!low || v >= std::string_view(*low)) && (!high || v <= std::string_view(*high));
}

}  // namespace

int64_t count_containing(Connection& c, int64_t campaign_id, const std::string& key, std::string_view needle,
                         std::vector<int64_t>* ids) {
  std::string folded(needle);
  for (char& ch : folded) ch = char(fold(uint8_t(ch)));
  int64_t count = 0;
  scan_containing(c, campaign_id, key, folded, [&](int64_t id) {
    ++count;
    if (ids) ids->push_back(id);
  });
  std::string v;
  for (const SortEntry& e : stale_entries(c, campaign_id, key)) {
    v = e.value;
    for (char& ch : v) ch = char(fold(uint8_t(ch)));
    if (v.find(folded) != std::string::npos) --count;
  }
  return count;
}

int64_t count_in_range(Connection& c, int64_t campaign_id, const std::string& key,
                       const std::optional<std::string>& low, const std::optional<std::string>& high) {
  if (low && high && *low > *high) return 0;
  int64_t count = 0;
  auto s = c.prepare("SELECT run, entries FROM sort_runs WHERE campaign_id = ?1 AND col = ?2");
  s.bind(1, campaign_id).bind(2, key);
  while (s.step()) {
    int64_t run = s.int64(0);
    int64_t upto = high ? rank(c, campaign_id, key, run, *high, INT64_MAX) : s.int64(1);
    int64_t before = low ? rank(c, campaign_id, key, run, *low, INT64_MIN) : 0;
    count += upto - before;
  }
  for (const SortEntry& e : stale_entries(c, campaign_id, key))
    if (in_range(e.value, low, high)) --count;
  return count;
}

std::vector<int64_t> ids_in_range(Connection& c, int64_t campaign_id, const std::string& key,
                                  const std::optional<std::string>& low, const std::optional<std::string>& high) {
  std::vector<int64_t> ids;
  std::optional<std::pair<std::string, int64_t>> after;
  if (low) after.emplace(*low, INT64_MIN);
  SortWalk walk(c, campaign_id, key, false, after);
  std::string_view v;
  int64_t id;
  while (walk.next(v, id) && (!high || v <= std::string_view(*high))) ids.push_back(id);
  return ids;
}

}  // namespace intake::store::detail
