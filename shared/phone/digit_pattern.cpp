// Compiles libphonenumber's digit patterns to a small instruction list, runs it by backtracking
// (JavaScript match priority, captures) and determinizes sets of patterns into one DFA over the
// ten digits by subset construction. See digit_pattern.h for the supported subset.
#include "phone/digit_pattern.h"

#include <algorithm>
#include <map>
#include <memory>

namespace intake::phone {
namespace {

struct Node {
  enum Kind { kSet, kCat, kAlt, kRep, kGroup, kEnd } kind;
  uint16_t mask = 0;
  int min = 0, max = 0;  // kRep; max < 0 means unbounded
  bool greedy = true;
  int group = -1;  // kGroup: capture index, or -1 for (?:...)
  std::vector<std::unique_ptr<Node>> kids;
  explicit Node(Kind k) : kind(k) {}
};
using NodePtr = std::unique_ptr<Node>;

constexpr int kMaxRepeat = 64;  // metadata uses at most {17}; bounds the compiled size

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  NodePtr parse(int* groups) {
    NodePtr n = alternation();
    if (!ok_ || pos_ != s_.size()) return nullptr;
    *groups = groups_;
    return n;
  }

 private:
  bool more() const { return pos_ < s_.size(); }
  char peek() const { return more() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  NodePtr alternation() {
    auto alt = std::make_unique<Node>(Node::kAlt);
    alt->kids.push_back(sequence());
    while (ok_ && eat('|')) alt->kids.push_back(sequence());
    if (alt->kids.size() == 1) return std::move(alt->kids[0]);
    return alt;
  }

  NodePtr sequence() {
    auto cat = std::make_unique<Node>(Node::kCat);
    while (ok_ && more() && peek() != '|' && peek() != ')') {
      NodePtr atom_node = atom();
      if (!ok_) break;
      cat->kids.push_back(quantified(std::move(atom_node)));
    }
    return cat;
  }

  NodePtr quantified(NodePtr atom_node) {
    while (ok_ && more()) {
      int lo, hi;
      char c = peek();
      if (c == '?') { lo = 0; hi = 1; ++pos_; }
      else if (c == '*') { lo = 0; hi = -1; ++pos_; }
      else if (c == '+') { lo = 1; hi = -1; ++pos_; }
      else if (c == '{') {
        ++pos_;
        lo = number();
        hi = lo;
        if (eat(',')) hi = peek() == '}' ? -1 : number();
        if (!eat('}') || lo < 0 || (hi >= 0 && hi < lo) || lo > kMaxRepeat || hi > kMaxRepeat) {
          ok_ = false;
          return nullptr;
        }
      } else {
        break;
      }
      auto rep = std::make_unique<Node>(Node::kRep);
      rep->min = lo;
      rep->max = hi;
      rep->greedy = !eat('?');
      rep->kids.push_back(std::move(atom_node));
      atom_node = std::move(rep);
    }
    return atom_node;
  }

  int number() {
    int n = -1;
    while (more() && peek() >= '0' && peek() <= '9') {
      n = (n < 0 ? 0 : n * 10) + (s_[pos_++] - '0');
      if (n > 10000) break;
    }
    return n;
  }

  NodePtr set(uint16_t mask) {
    auto n = std::make_unique<Node>(Node::kSet);
    n->mask = mask;
    return n;
  }

  NodePtr atom() {
    char c = s_[pos_++];
    if (c >= '0' && c <= '9') return set(uint16_t(1u << (c - '0')));
    if (c == '\\') {
      if (eat('d')) return set(0x3FF);
      ok_ = false;
      return nullptr;
    }
    if (c == '$') return std::make_unique<Node>(Node::kEnd);
    if (c == '[') return char_class();
    if (c == '(') {
      auto g = std::make_unique<Node>(Node::kGroup);
      if (eat('?')) {
        if (!eat(':')) { ok_ = false; return nullptr; }
      } else {
        g->group = groups_++;
      }
      g->kids.push_back(alternation());
      if (!eat(')')) ok_ = false;
      return g;
    }
    ok_ = false;
    return nullptr;
  }

  NodePtr char_class() {
    uint16_t mask = 0;
    bool negate = eat('^');
    while (ok_ && more() && peek() != ']') {
      int lo;
      if (eat('\\')) {
        if (!eat('d')) { ok_ = false; break; }
        mask |= 0x3FF;
        continue;
      }
      char c = s_[pos_++];
      if (c < '0' || c > '9') { ok_ = false; break; }
      lo = c - '0';
      int hi = lo;
      if (peek() == '-' && pos_ + 1 < s_.size() && s_[pos_ + 1] != ']') {
        ++pos_;
        char h = s_[pos_++];
        if (h < '0' || h > '9' || h < c) { ok_ = false; break; }
        hi = h - '0';
      }
      for (int d = lo; d <= hi; ++d) mask |= uint16_t(1u << d);
    }
    if (!eat(']')) ok_ = false;
    if (negate) mask = uint16_t(~mask & 0x3FF);
    return set(mask);
  }

  std::string_view s_;
  size_t pos_ = 0;
  int groups_ = 0;
  bool ok_ = true;
};

using Inst = DigitPattern::Inst;

class Emitter {
 public:
  explicit Emitter(std::vector<Inst>& code) : code_(code) {}

  void emit(const Node& n) {
    switch (n.kind) {
      case Node::kSet: code_.push_back({Inst::kChar, n.mask, 0, 0}); break;
      case Node::kEnd: code_.push_back({Inst::kEnd, 0, 0, 0}); break;
      case Node::kCat:
        for (const auto& k : n.kids) emit(*k);
        break;
      case Node::kGroup:
        if (n.group >= 0) code_.push_back({Inst::kSave, 0, 2 * n.group, 0});
        emit(*n.kids[0]);
        if (n.group >= 0) code_.push_back({Inst::kSave, 0, 2 * n.group + 1, 0});
        break;
      case Node::kAlt: {
        std::vector<size_t> to_end;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          if (i + 1 < n.kids.size()) {
            size_t split = code_.size();
            code_.push_back({Inst::kSplit, 0, int32_t(split + 1), 0});
            emit(*n.kids[i]);
            to_end.push_back(code_.size());
            code_.push_back({Inst::kJmp, 0, 0, 0});
            code_[split].y = int32_t(code_.size());
          } else {
            emit(*n.kids[i]);
          }
        }
        for (size_t j : to_end) code_[j].x = int32_t(code_.size());
        break;
      }
      case Node::kRep: {
        const Node& body = *n.kids[0];
        for (int i = 0; i < n.min; ++i) emit(body);
        if (n.max < 0) {
          size_t loop = code_.size();
          code_.push_back({Inst::kSplit, 0, 0, 0});
          emit(body);
          code_.push_back({Inst::kJmp, 0, int32_t(loop), 0});
          set_split(loop, int32_t(loop + 1), int32_t(code_.size()), n.greedy);
        } else {
          std::vector<size_t> splits;
          for (int i = n.min; i < n.max; ++i) {
            splits.push_back(code_.size());
            code_.push_back({Inst::kSplit, 0, 0, 0});
            emit(body);
          }
          for (size_t s : splits) set_split(s, int32_t(s + 1), int32_t(code_.size()), n.greedy);
        }
        break;
      }
    }
  }

 private:
  void set_split(size_t at, int32_t take, int32_t skip, bool greedy) {
    code_[at].x = greedy ? take : skip;
    code_[at].y = greedy ? skip : take;
  }
  std::vector<Inst>& code_;
};

// Backtracking run from `pc` at `sp`; JavaScript priority. `budget` bounds pathological patterns.
struct Backtracker {
  const std::vector<Inst>& code;
  std::string_view in;
  int* caps;  // may be null
  long budget = 200000;

  bool run(int32_t pc, size_t sp, size_t* end) {
    for (;;) {
      if (--budget < 0) return false;
      const Inst& i = code[size_t(pc)];
      switch (i.op) {
        case Inst::kChar:
          if (sp >= in.size() || !((i.mask >> (in[sp] - '0')) & 1)) return false;
          ++pc;
          ++sp;
          break;
        case Inst::kSplit:
          if (run(i.x, sp, end)) return true;
          pc = i.y;
          break;
        case Inst::kJmp: pc = i.x; break;
        case Inst::kSave: {
          if (!caps) { ++pc; break; }
          int old = caps[i.x];
          caps[i.x] = int(sp);
          if (run(pc + 1, sp, end)) return true;
          caps[i.x] = old;
          return false;
        }
        case Inst::kEnd:
          if (sp != in.size()) return false;
          ++pc;
          break;
        case Inst::kMatch: *end = sp; return true;
      }
    }
  }
};

}  // namespace

DigitPattern::DigitPattern(std::string_view pattern) {
  if (pattern.empty()) return;  // absent: empty() and never matches
  int groups = 0;
  NodePtr root = Parser(pattern).parse(&groups);
  if (!root) return;
  Emitter(code_).emit(*root);
  code_.push_back({Inst::kMatch, 0, 0, 0});
  groups_ = groups;
  ok_ = true;
  // First digits, so most non-matching inputs are refused without backtracking.
  std::vector<bool> seen(code_.size());
  std::vector<int32_t> stack{0};
  while (!stack.empty()) {
    int32_t pc = stack.back();
    stack.pop_back();
    if (seen[size_t(pc)]) continue;
    seen[size_t(pc)] = true;
    const Inst& i = code_[size_t(pc)];
    switch (i.op) {
      case Inst::kChar: first_digits_ |= i.mask; break;
      case Inst::kSplit: stack.push_back(i.x); stack.push_back(i.y); break;
      case Inst::kJmp: stack.push_back(i.x); break;
      case Inst::kSave: stack.push_back(pc + 1); break;
      case Inst::kEnd:
      case Inst::kMatch: first_digits_ |= 0x400; break;
    }
  }
  if (first_digits_ & 0x400) first_digits_ = 0x7FF;
}

bool DigitPattern::run_prefix(std::string_view digits, size_t* match_end, int* captures) const {
  if (captures) std::fill(captures, captures + 2 * groups_, -1);
  Backtracker bt{code_, digits, captures};
  size_t end = 0;
  if (!bt.run(0, 0, &end)) return false;
  if (match_end) *match_end = end;
  return true;
}

DigitDfa::DigitDfa(const std::vector<const DigitPattern*>& patterns) {
  // One instruction list for all patterns; kMatch carries its pattern index in x.
  std::vector<Inst> code;
  std::vector<int32_t> starts;
  for (size_t p = 0; p < patterns.size(); ++p) {
    if (!patterns[p]->ok()) continue;
    int32_t base = int32_t(code.size());
    starts.push_back(base);
    for (Inst i : patterns[p]->code()) {
      if (i.op == Inst::kSplit) { i.x += base; i.y += base; }
      else if (i.op == Inst::kJmp) i.x += base;
      else if (i.op == Inst::kMatch) i.x = int32_t(p);
      code.push_back(i);
    }
  }

  // Epsilon closure: the set of kChar / kMatch instructions reachable without input.
  std::vector<uint32_t> seen(code.size(), 0);
  uint32_t epoch = 0;
  std::vector<int32_t> stack;
  auto closure = [&](const std::vector<int32_t>& from) {
    ++epoch;
    std::vector<int32_t> out;
    stack.assign(from.begin(), from.end());
    while (!stack.empty()) {
      int32_t pc = stack.back();
      stack.pop_back();
      if (seen[size_t(pc)] == epoch) continue;
      seen[size_t(pc)] = epoch;
      const Inst& i = code[size_t(pc)];
      switch (i.op) {
        case Inst::kChar:
        case Inst::kMatch: out.push_back(pc); break;
        case Inst::kSplit: stack.push_back(i.y); stack.push_back(i.x); break;
        case Inst::kJmp: stack.push_back(i.x); break;
        case Inst::kSave:
        case Inst::kEnd: stack.push_back(pc + 1); break;  // $ only ever ends a full match here
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  };

  std::map<std::vector<int32_t>, uint32_t> ids;
  std::vector<std::vector<int32_t>> sets;
  auto intern = [&](std::vector<int32_t> set) -> uint32_t {
    if (set.empty()) return 0;
    auto [it, inserted] = ids.emplace(std::move(set), uint32_t(sets.size()));
    if (inserted) sets.push_back(it->first);
    return it->second;
  };
  sets.emplace_back();  // dead state 0
  intern(closure(starts));
  std::vector<int32_t> moved;
  std::vector<uint32_t> next, accept;  // state * 10 + digit -> next state; state -> accept mask
  for (size_t s = 0; s < sets.size(); ++s) {
    uint32_t mask = 0;
    for (int32_t pc : sets[s]) {
      if (code[size_t(pc)].op == Inst::kMatch) mask |= 1u << code[size_t(pc)].x;
    }
    accept.push_back(mask);
    for (int d = 0; d < 10; ++d) {
      moved.clear();
      for (int32_t pc : sets[s]) {
        const Inst& i = code[size_t(pc)];
        if (i.op == Inst::kChar && ((i.mask >> d) & 1)) moved.push_back(pc + 1);
      }
      uint32_t to = moved.empty() ? 0 : intern(closure(moved));
      next.push_back(to);
    }
  }
  if (accept.size() < 2) {  // nothing can match: keep state 1 valid as a dead copy
    accept.resize(2, 0);
    next.resize(20, 0);
  }
  table_.reserve(accept.size() * kStride);
  for (size_t s = 0; s < accept.size(); ++s) {
    for (int d = 0; d < 10; ++d) table_.push_back(next[s * 10 + size_t(d)] * kStride);
    table_.push_back(accept[s]);
  }
}

}  // namespace intake::phone
