// Batch building (see batch_builder.h).
#include "batch/batch_builder.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "core/platform.h"
#include "report/csv_writer.h"

namespace intake {

namespace {
// Positions of ',', '"', CR and LF in [base, base + n), found in order through 64-byte bitmasks.
struct SpecialBits {
  const char* base;
  size_t n;
  size_t block = SIZE_MAX;
  uint64_t bits = 0;
  // The first special byte at or after `from`, or n.
  size_t next(size_t from) {
    while (from < n) {
      size_t b = from & ~size_t(63);
      if (b != block) load(b);
      uint64_t m = bits >> (from - b);
      if (m) return from + size_t(std::countr_zero(m));
      from = b + 64;
    }
    return n;
  }
  void load(size_t b) {
    block = b;
    uint64_t quote;
    if (b + 64 <= n) {
      platform::classify64(base + b, ',', bits, quote);
      return;
    }
    char tmp[64] = {};
    std::memcpy(tmp, base + b, n - b);
    platform::classify64(tmp, ',', bits, quote);
    bits &= (uint64_t(1) << (n - b)) - 1;
  }
};
}  // namespace

BatchBuilder::BatchBuilder(std::vector<std::string> keys, BatchLimits limits)
    : keys_(std::move(keys)), limits_(limits) {
  start();
}

void BatchBuilder::start() {
  // The body keeps its buffer when on_batch did not take it: fresh pages for every batch cost
  // the kernel more (zeroing them) than the rows cost to write. Its bytes stay too (they are
  // written over, from used_ = 0): clearing it would have the next resize zero them all again.
  std::string body = std::move(current_.body);
  current_ = Batch{};
  current_.body = std::move(body);
  current_.seq = seq_;
  used_ = 0;
  std::string header(kRowColumn);
  for (const std::string& k : keys_) header.append(",").append(k);
  header.append("\r\n");
  // A new buffer is sized once for about the last batch (see room()); then the header.
  const size_t expect = std::min(limits_.max_bytes, last_body_size_ + last_body_size_ / 8) + 64;
  char* w = room(current_.body.empty() ? std::max(expect, header.size()) : header.size());
  std::memcpy(w, header.data(), header.size());
  used_ = header.size();
}

void BatchBuilder::grow(size_t bytes) {
  std::string& body = current_.body;
  body.resize(std::max(used_ + bytes, 2 * body.size()));
}

std::string_view BatchBuilder::row_number(uint64_t row) {
  if (row == number_ + 1 && number_ != 0) {
    size_t k = number_len_;
    while (k > 0 && number_text_[k - 1] == '9') number_text_[--k] = '0';
    if (k > 0) {
      ++number_text_[k - 1];
    } else {  // 99 -> 100
      number_text_[0] = '1';
      number_text_[number_len_++] = '0';
    }
  } else {
    auto [end, ec] = std::to_chars(number_text_, number_text_ + sizeof number_text_, row);
    number_len_ = size_t(end - number_text_);
  }
  number_ = row;
  return std::string_view(number_text_, number_len_);
}

bool BatchBuilder::append(const CleanRow& row) {
  const size_t mark = used_;
  const std::string_view number = row_number(row.row);
  const char* const num = number.data();
  const size_t num_len = number.size();
  if (row.joined_plain) {  // FileValidator's rows: the values already form the rest of the line
    const size_t rest = row.values.empty() ? 0 : 1 + row.joined.size();
    char* w = room(num_len + rest + 2);
    platform::copy_bytes(w, num, num_len);
    w += num_len;
    if (rest) {
      *w++ = ',';
      platform::copy_bytes(w, row.joined.data(), row.joined.size());
      w += row.joined.size();
    }
    w[0] = '\r';
    w[1] = '\n';
    used_ = size_t(w + 2 - current_.body.data());
    return close_if_full(row.row, mark);
  }
  if (row.joined.data() != nullptr && !row.values.empty() && row.quote_mask) {
    // Values lie in `joined` separated by commas, and the mask says which need quoting: the
    // runs between those are copied whole. Sized for the worst case (every quote doubled)
    // first, then written in place and cut.
    const char* base = row.joined.data();
    size_t most = num_len + 1 + row.joined.size() + 2;
    for (uint64_t m = *row.quote_mask; m; m &= m - 1) most += 2 + row.values[size_t(std::countr_zero(m))].size();
    char* w = room(most);
    platform::copy_bytes(w, num, num_len);
    w += num_len;
    *w++ = ',';
    size_t run = 0;
    for (uint64_t m = *row.quote_mask; m; m &= m - 1) {
      std::string_view v = row.values[size_t(std::countr_zero(m))];
      const size_t vb = size_t(v.data() - base);
      platform::copy_bytes(w, base + run, vb - run);
      w += vb - run;
      *w++ = '"';
      for (size_t i = 0; i < v.size();) {  // each quote doubled
        const size_t q = i + platform::find_any4(v.data() + i, v.data() + v.size(), '"', '"', '"', '"');
        platform::copy_bytes(w, v.data() + i, q - i);
        w += q - i;
        if (q == v.size()) break;
        *w++ = '"';
        *w++ = '"';
        i = q + 1;
      }
      *w++ = '"';
      run = vb + v.size();
    }
    platform::copy_bytes(w, base + run, row.joined.size() - run);
    w += row.joined.size() - run;
    *w++ = '\r';
    *w++ = '\n';
    used_ = size_t(w - current_.body.data());
    return close_if_full(row.row, mark);
  }
  // The other rows are written with string calls: the body is its written part meanwhile.
  std::string& body = current_.body;
  body.resize(used_);
  append_slow(row, std::string_view(num, num_len));
  used_ = body.size();
  return close_if_full(row.row, mark);
}

void BatchBuilder::append_slow(const CleanRow& row, std::string_view num) {
  std::string& body = current_.body;
  body.append(num);
  if (row.joined.data() != nullptr && !row.values.empty()) {
    // Values lie in `joined` separated by commas: copy the runs of plain values (with their
    // separators) whole and quote only the values that hold a comma, quote, CR or LF, or start
    // or end with a space. Special bytes are found with 64-byte bitmasks: a hit at a value's
    // end is its separator, a hit inside it means quoting.
    SpecialBits hits{row.joined.data(), row.joined.size()};
    const char* base = row.joined.data();
    size_t hit = hits.next(0), run = 0;
    body.push_back(',');
    for (std::string_view v : row.values) {
      const size_t vb = size_t(v.data() - base), ve = vb + v.size();
      while (hit < vb) hit = hits.next(hit + 1);
      if (hit < ve || (!v.empty() && (v.front() == ' ' || v.back() == ' '))) {
        body.append(base + run, vb - run);
        append_csv_value(body, v);
        run = ve;
        while (hit < ve) hit = hits.next(hit + 1);
      }
    }
    body.append(base + run, row.joined.size() - run);
    body.append("\r\n", 2);
    return;
  }
  // Values that lie back to back in memory (as FileValidator hands them over) are checked for
  // characters that need quoting in one pass; those before the first such character are plain.
  std::span<const std::string_view> values = row.values;
  size_t plain = 0;
  if (!values.empty()) {
    const char* first = values.front().data();
    const char* last = values.back().data() + values.back().size();
    size_t k = 1;
    while (k < values.size() && values[k].data() == values[k - 1].data() + values[k - 1].size()) ++k;
    if (k == values.size()) {
      const char* hit = first + platform::find_any4(first, last, ',', '"', '\n', '\r');
      while (plain < values.size() && values[plain].data() + values[plain].size() <= hit &&
             (values[plain].empty() ||
              (values[plain].front() != ' ' && values[plain].back() != ' ')))
        ++plain;
    }
  }
  if (plain == values.size()) {  // the usual row: sized once, then filled
    const size_t at = body.size();
    size_t len = values.size() + 2;
    for (std::string_view v : values) len += v.size();
    body.resize(at + len);
    char* w = body.data() + at;
    for (std::string_view v : values) {
      *w++ = ',';
      platform::copy_bytes(w, v.data(), v.size());
      w += v.size();
    }
    w[0] = '\r';
    w[1] = '\n';
  } else {
    for (size_t k = 0; k < values.size(); ++k) {
      body.push_back(',');
      if (k < plain) body.append(values[k]);
      else append_csv_value(body, values[k]);
    }
    body.append("\r\n");
  }
}

bool BatchBuilder::append_line(uint64_t row, std::string_view rest) {
  const size_t mark = used_;
  const std::string_view number = row_number(row);
  char* w = room(number.size() + rest.size());
  platform::copy_bytes(w, number.data(), number.size());
  platform::copy_bytes(w + number.size(), rest.data(), rest.size());
  used_ += number.size() + rest.size();
  return close_if_full(row, mark);
}

// The full batch's last line (appended at `mark`) moves to line_, for the next batch.
void BatchBuilder::hold_line(size_t mark) {
  std::string& body = current_.body;
  line_.assign(body, mark, used_ - mark);
  body.resize(mark);
  used_ = mark;
  last_body_size_ = body.size();
}

void BatchBuilder::carry_line(uint64_t row) {
  current_.first_row = current_.last_row = row;
  current_.rows = 1;
  std::memcpy(room(line_.size()), line_.data(), line_.size());
  used_ += line_.size();
}

void BatchBuilder::flush(const std::function<void(Batch&&)>& on_batch) {
  if (current_.rows == 0) return;
  ++seq_;
  current_.body.resize(used_);
  last_body_size_ = current_.body.size();
  on_batch(std::move(current_));
  start();
}

}  // namespace intake
