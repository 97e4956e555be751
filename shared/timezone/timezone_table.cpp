// Lookup over the generated timezone table: the name is lower-cased into a stack buffer eight
// bytes at a time, then found through an open-addressing hash index over the table's keys,
// built once on first use.
#include "timezone/timezone_table.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/platform.h"

namespace intake {
namespace {

constexpr size_t kSlots = 4096;  // power of two, well over twice the ~600 names
constexpr uint16_t kEmpty = 0xFFFF;

constexpr size_t kWords = 8;  // names up to 64 bytes are looked up (the longest is about 32)

// A lower-cased name in whole words, zero-padded, and its hash.
struct Key {
  uint64_t words[kWords] = {};
  size_t size = 0;
  uint32_t hash() const {
    // The first and the last word tell the ~600 names apart well enough: a hash
    // collision costs only a probe.
    const uint64_t last = words[(size - 1) / 8];
    const uint64_t h = (words[0] * 0x9E3779B97F4A7C15ull) ^ (last * 0xC2B2AE3D27D4EB4Full) ^ size;
    return uint32_t(h >> 32) ^ uint32_t(h);
  }
};

// The bytes of `name` (not empty) in the first (size + 7) / 8 words of `w`, the last one
// zero-padded. Whole words are loaded straight from the name (no byte-wise copy for the loads to
// wait on); the last, partial word is the name's last eight bytes shifted down, or, for a name
// under eight bytes, its bytes one by one.
void load_words(std::string_view name, uint64_t* w) {
  static_assert(std::endian::native == std::endian::little);
  const char* p = name.data();
  const size_t n = name.size();
  size_t i = 0;
  for (; (i + 1) * 8 <= n; ++i) std::memcpy(&w[i], p + i * 8, 8);
  if (const size_t rest = n - i * 8) {
    uint64_t last = 0;
    if (n >= 8) {
      std::memcpy(&last, p + n - 8, 8);
      last >>= 8 * (8 - rest);
    } else {
      for (size_t b = 0; b < rest; ++b) last |= uint64_t(static_cast<unsigned char>(p[b])) << (8 * b);
    }
    w[i] = last;
  }
}

// `name` (1 to kWords * 8 bytes) lower-cased into `key`.
void make_key(std::string_view name, Key& key) {
  load_words(name, key.words);
  for (size_t i = 0; i * 8 < name.size(); ++i) key.words[i] = platform::lower_ascii8(key.words[i]);
  key.size = name.size();
}

bool same_key(const Key& a, const Key& b) {
  if (a.size != b.size) return false;
  for (size_t i = 0; i * 8 < a.size; ++i)
    if (a.words[i] != b.words[i]) return false;
  return true;
}

struct HashIndex {
  std::array<uint16_t, kSlots> slots;
  std::vector<Key> keys;  // kTimezoneNames[i].key as a Key
  HashIndex() {
    slots.fill(kEmpty);
    keys.resize(kTimezoneNameCount);
    for (size_t i = 0; i < kTimezoneNameCount && i < kEmpty; ++i) {
      Key& key = keys[i];
      make_key(kTimezoneNames[i].key, key);
      size_t s = key.hash() & (kSlots - 1);
      while (slots[s] != kEmpty) s = (s + 1) & (kSlots - 1);
      slots[s] = static_cast<uint16_t>(i);
    }
  }
};

const HashIndex& hash_index() {
  static const HashIndex index;
  return index;
}

}  // namespace

std::span<const TimezoneName> timezone_names() { return {kTimezoneNames, kTimezoneNameCount}; }

std::string_view tzdata_version() { return kTzdataVersion; }

namespace {

// The last names looked up, as spelled (a column holds a few zones over and over): a name seen
// before is found by comparing its bytes, without lower-casing, hashing and probing. Per thread
// (the server validates on several); names up to 32 bytes.
struct Recent {
  uint64_t words[4];
  size_t size = 0;  // 0: empty
  const TimezoneName* found;
};
constexpr size_t kRecent = 64;
thread_local Recent recent[kRecent];

// The name's bytes (1 to 32) in four words, zero-padded.
void raw_words(std::string_view name, uint64_t (&w)[4]) {
  w[0] = w[1] = w[2] = w[3] = 0;
  load_words(name, w);
}

size_t recent_slot(const uint64_t (&w)[4], size_t size) {
  const uint64_t h = (w[0] ^ (w[1] * 0x9E3779B97F4A7C15ull) ^ size) * 0xC2B2AE3D27D4EB4Full;
  return size_t(h >> 58) & (kRecent - 1);
}

const TimezoneName* find_uncached(std::string_view name);

}  // namespace

const TimezoneName* find_timezone(std::string_view name) {
  if (name.empty() || name.size() > 32) return find_uncached(name);
  uint64_t w[4];
  raw_words(name, w);
  Recent& r = recent[recent_slot(w, name.size())];
  if (r.size == name.size() && r.words[0] == w[0] && r.words[1] == w[1] && r.words[2] == w[2] && r.words[3] == w[3])
    return r.found;
  const TimezoneName* found = find_uncached(name);
  r = Recent{{w[0], w[1], w[2], w[3]}, name.size(), found};
  return found;
}

namespace {

const TimezoneName* find_uncached(std::string_view name) {
  if (name.empty() || name.size() > kTimezoneNameMaxLength || name.size() > kWords * 8) return nullptr;
  Key key;
  make_key(name, key);
  const HashIndex& index = hash_index();
  for (size_t s = key.hash() & (kSlots - 1);; s = (s + 1) & (kSlots - 1)) {
    const uint16_t i = index.slots[s];
    if (i == kEmpty) return nullptr;
    if (same_key(index.keys[i], key)) return &kTimezoneNames[i];
  }
}

}  // namespace

}  // namespace intake
