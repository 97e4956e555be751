// Lookup over the generated timezone table: the name is lower-cased into a stack buffer, then
// found through an open-addressing hash index over the table's keys, built once on first use.
#include "timezone/timezone_table.h"

#include <array>
#include <cstdint>

namespace intake {
namespace {

constexpr size_t kSlots = 4096;  // power of two, well over twice the ~600 names
constexpr uint16_t kEmpty = 0xFFFF;

uint32_t hash_key(std::string_view k) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : k) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

struct HashIndex {
  std::array<uint16_t, kSlots> slots;
  HashIndex() {
    slots.fill(kEmpty);
    for (size_t i = 0; i < kTimezoneNameCount && i < kEmpty; ++i) {
      size_t s = hash_key(kTimezoneNames[i].key) & (kSlots - 1);
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

const TimezoneName* find_timezone(std::string_view name) {
  char buf[64];
  if (name.empty() || name.size() > kTimezoneNameMaxLength || name.size() > sizeof buf) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  const std::string_view key(buf, name.size());
  const auto& slots = hash_index().slots;
  for (size_t s = hash_key(key) & (kSlots - 1);; s = (s + 1) & (kSlots - 1)) {
    const uint16_t i = slots[s];
    if (i == kEmpty) return nullptr;
    if (kTimezoneNames[i].key == key) return &kTimezoneNames[i];
  }
}

}  // namespace intake
