// Tests of the fixed-budget duplicate tracker: first sightings and repeats against a plain
// std::unordered_map over the same identities, in tables small enough that probe sequences wrap
// and tags collide; the capacity limit; and the two hash functions.
#include "validate/duplicate_tracker.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

using namespace intake;

TEST_CASE("first_seen: 0 the first time, then the row where the identity was first seen") {
  DuplicateTracker t(100);
  CHECK(t.first_seen("email:a@b.c", 2) == 0);
  CHECK(t.first_seen("email:x@y.z", 3) == 0);
  CHECK(t.first_seen("email:a@b.c", 4) == 2);
  CHECK(t.first_seen("email:a@b.c", 9) == 2);
  CHECK(t.first_seen("phone:+14155550123", 10) == 0);
  CHECK(t.size() == 3);
  CHECK_FALSE(t.full());
}

TEST_CASE("agrees with an unordered_map over many identities, repeats included") {
  for (size_t capacity : {size_t(20), size_t(1000), size_t(50000)}) {
    CAPTURE(capacity);
    DuplicateTracker t(capacity);
    std::unordered_map<std::string, uint64_t> oracle;
    std::mt19937_64 rng(capacity);
    uint64_t row = 1;
    // Identities drawn from a pool a little smaller than the capacity: many repeats, and the
    // table filled to its limit, where probe runs are longest.
    const size_t pool = capacity - capacity / 10;
    for (size_t i = 0; i < capacity * 3; ++i) {
      const std::string id = "external_id:P" + std::to_string(rng() % pool);
      ++row;
      auto [it, inserted] = oracle.emplace(id, row);
      const uint64_t expected = inserted ? 0 : it->second;
      REQUIRE(t.first_seen(id, row) == expected);
    }
    CHECK(t.size() == oracle.size());
    CHECK_FALSE(t.full());
  }
}

TEST_CASE("beyond its capacity the tracker says it is full and remembers nothing more") {
  DuplicateTracker t(3);
  CHECK(t.first_seen("a", 2) == 0);
  CHECK(t.first_seen("b", 3) == 0);
  CHECK(t.first_seen("c", 4) == 0);
  CHECK_FALSE(t.full());
  CHECK(t.first_seen("d", 5) == 0);
  CHECK(t.full());
  CHECK(t.first_seen("d", 6) == 0);  // not remembered
  CHECK(t.first_seen("b", 7) == 3);  // those remembered still are
  CHECK(t.size() == 3);
}

TEST_CASE("prefetch changes nothing") {
  DuplicateTracker t(10);
  t.prefetch(DuplicateTracker::hash("x"));
  CHECK(t.first_seen("x", 2) == 0);
  t.prefetch(DuplicateTracker::hash("x"));
  CHECK(t.first_seen("x", 3) == 2);
}

TEST_CASE("hashes: never 0, distinct over similar strings of every length up to 40") {
  std::unordered_set<std::string> strings;
  for (size_t len = 0; len <= 40; ++len)
    for (char c = 'a'; c <= 'z'; ++c)
      for (size_t at = 0; at < std::max<size_t>(len, 1); ++at) {
        std::string s(len, 'x');
        if (len) s[at] = c;
        strings.insert(s);
      }
  std::unordered_set<uint64_t> fast, stable;
  for (const std::string& s : strings) {
    fast.insert(DuplicateTracker::hash(s));
    stable.insert(hash_bytes(s));
    CHECK(DuplicateTracker::hash(s) != 0);
    CHECK(hash_bytes(s) != 0);
  }
  CHECK(fast.size() == strings.size());
  CHECK(stable.size() == strings.size());
}

TEST_CASE("hash_bytes values never change: file fingerprints are made of them") {
  CHECK(hash_bytes("participants.csv") == 0x72423ca6ba8bdde5ull);
  CHECK(hash_bytes("") == 0xb9034ad37056f5fbull);
}
