// The streaming CSV tokenizer (see tokenizer.h). A resumable state machine that reads each slice
// in place and copies only the unfinished record into a carry buffer; 64-byte blocks are
// classified with SIMD bitmasks (core/platform.h) so ordinary bytes are skipped. Slice
// invariance comes from making every decision depend on the bytes of the record alone, never on
// where a slice ended.
#include "csv/tokenizer.h"

#include <algorithm>
#include <cstring>

#include "core/platform.h"
#include "core/row_error.h"
#include "csv/encoding.h"

namespace intake {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
// Smallest piece of a slice appended to a non-empty carry buffer at a time: once the carried
// record ends, the rest of the slice is read in place.
constexpr size_t kMinCarryChunk = size_t(64) << 10;

std::string mib(size_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}
}  // namespace

CsvTokenizer::CsvTokenizer(char delimiter, CsvLimits limits, bool check_utf8)
    : delim_(delimiter), limits_(limits), check_utf8_(check_utf8) {
  views_.resize(64);
}

void CsvTokenizer::push(std::string_view bytes, CsvRecordSink& sink) {
  pushed_ += bytes.size();
  if (!bom_checked_) {
    buf_.append(bytes);
    if (buf_.size() < kBom.size() && kBom.starts_with(buf_)) return;  // could still be a BOM
    if (std::string_view(buf_).starts_with(kBom)) buf_.erase(0, kBom.size());
    bom_checked_ = true;
    bytes = {};
    win_ = buf_.data();
    win_n_ = buf_.size();
    scan(false, sink);
    keep_tail();
  }
  while (!bytes.empty()) {
    if (buf_.empty()) {  // nothing carried: read the slice where it is
      win_ = bytes.data();
      win_n_ = bytes.size();
      scan(false, sink);
      keep_tail();
      return;
    }
    size_t chunk = std::min(bytes.size(), std::max(buf_.size(), kMinCarryChunk));
    save_views(buf_.data());
    buf_.append(bytes.data(), chunk);
    restore_views(buf_.data());
    bytes.remove_prefix(chunk);
    win_ = buf_.data();
    win_n_ = buf_.size();
    scan(false, sink);
    keep_tail();
    if (!buf_.empty() && buf_.size() <= chunk && !bytes.empty()) {
      // What is still carried came from this slice: go on reading the slice in place from there.
      bytes = std::string_view(bytes.data() - buf_.size(), bytes.size() + buf_.size());
      save_views(buf_.data());
      restore_views(bytes.data());
      buf_.clear();
    }
  }
}

void CsvTokenizer::finish(CsvRecordSink& sink) {
  bom_checked_ = true;  // fewer than three bytes that began like a BOM are data
  win_ = buf_.data();
  win_n_ = buf_.size();
  scan(true, sink);
  buf_.clear();
  win_ = nullptr;
  win_n_ = 0;
  pos_ = rec_start_ = field_start_ = quote_open_ = utf8_ok_to_ = 0;
  state_ = State::field_start;
  pending_lf_ = false;
}

// Keeps the bytes of the window still needed in buf_: everything from the current record on,
// or, once a record is known to be too large, only what an unclosed quote may still need.
// Positions are then relative to buf_.
void CsvTokenizer::keep_tail() {
  size_t keep = rec_start_;
  if (row_too_large_ || state_ == State::skip_line) {
    bool quoted = state_ == State::quoted || state_ == State::quote_in_quoted;
    keep = quoted ? std::min(pos_, quote_open_) : pos_;
  }
  if (pending_lf_) keep = pos_;
  save_views(win_ + keep);  // the values read so far all lie at or after keep
  if (win_ == buf_.data()) buf_.erase(0, keep);
  else buf_.assign(win_ + keep, win_n_ - keep);
  restore_views(buf_.data());
  win_ = nullptr;
  win_n_ = 0;
  block_ = SIZE_MAX;
  if (keep == 0) return;
  auto shift = [keep](size_t& x) { x = x >= keep ? x - keep : 0; };
  shift(pos_);
  shift(rec_start_);
  shift(field_start_);
  shift(quote_open_);
  shift(utf8_ok_to_);
}

// Views into a window that is about to move: save_views(old address of the values' base),
// move the bytes, restore_views(new address of that base).
void CsvTokenizer::save_views(const char* base) {
  view_offsets_.clear();
  for (size_t i = 0; i < views_n_; ++i) view_offsets_.push_back(size_t(views_[i].data() - base));
}

void CsvTokenizer::restore_views(const char* base) {
  for (size_t i = 0; i < views_n_; ++i) views_[i] = std::string_view(base + view_offsets_[i], views_[i].size());
}

// Classifies the 64-byte block at window offset `base` (a multiple of 64); a block cut by the
// end of the window has no bits past it.
inline void CsvTokenizer::load_block(size_t base) {
  block_ = base;
  if (base + 64 <= win_n_) [[likely]] {
    platform::classify64(win_ + base, delim_, block_special_, block_quote_);
    return;
  }
  load_last_block(base);
}

[[gnu::noinline]] void CsvTokenizer::load_last_block(size_t base) {
  char tmp[64] = {};
  size_t len = win_n_ - base;
  std::memcpy(tmp, win_ + base, len);
  platform::classify64(tmp, delim_, block_special_, block_quote_);
  uint64_t keep = (uint64_t(1) << len) - 1;  // len < 64 here
  block_special_ &= keep;
  block_quote_ &= keep;
}

// The first delimiter, quote, LF or CR at or after `from`, or the end of the window.
inline size_t CsvTokenizer::next_special(size_t from) {
  while (from < win_n_) {
    size_t base = from & ~size_t(63);
    if (base != block_) load_block(base);
    uint64_t bits = block_special_ >> (from - base);
    if (bits) return from + size_t(std::countr_zero(bits));
    from = base + 64;
  }
  return win_n_;
}

// The first quote at or after `from`, or the end of the window.
inline size_t CsvTokenizer::next_quote(size_t from) {
  while (from < win_n_) {
    size_t base = from & ~size_t(63);
    if (base != block_) load_block(base);
    uint64_t bits = block_quote_ >> (from - base);
    if (bits) return from + size_t(std::countr_zero(bits));
    from = base + 64;
  }
  return win_n_;
}

void CsvTokenizer::set_error(const char* code, std::string message) {
  if (err_code_) return;  // the first problem of a record is the one reported
  err_code_ = code;
  err_msg_ = std::move(message);
}

void CsvTokenizer::start_record(size_t at) {
  rec_start_ = at;
  in_record_ = false;
}

[[gnu::noinline, gnu::cold]] void CsvTokenizer::field_too_large() {
  set_error(codes::kFieldTooLarge, "value " + std::to_string(fields_seen_ + 1) +
                                       " is longer than " + mib(limits_.max_field_bytes) +
                                       "; shorten it or split it into several columns");
}

inline void CsvTokenizer::end_field(size_t begin, size_t end, bool escaped) {
  ++fields_seen_;
  if (row_too_large_) return;
  if (end - begin > limits_.max_field_bytes) [[unlikely]] field_too_large();
  if (escaped) [[unlikely]] escaped_fields_.push_back(uint32_t(views_n_));
  value_bytes_ += end - begin;
  if (views_n_ == views_.size()) [[unlikely]] views_.resize(2 * views_.size());
  views_[views_n_++] = std::string_view(win_ + begin, end - begin);
}

// Ends the quoted value whose closing quote is at pos_ - 1.
inline void CsvTokenizer::end_quoted_field() {
  quoted_fields_ |= uint64_t(1) << std::min<size_t>(views_n_, 63);
  end_field(field_start_, pos_ - 1, escaped_);
}

void CsvTokenizer::mark_too_large() {
  row_too_large_ = true;
  views_n_ = 0;
  escaped_fields_.clear();
  err_code_ = codes::kRowTooLarge;
  err_msg_ = "the row is longer than " + mib(limits_.max_row_bytes) +
             "; it was skipped — check for a missing line break or an unclosed quote";
}

void CsvTokenizer::reset_record() {
  views_n_ = 0;
  escaped_fields_.clear();
  quoted_fields_ = 0;
  err_code_ = nullptr;
  if (!err_msg_.empty()) err_msg_.clear();
  row_too_large_ = false;
  fields_seen_ = 0;
  value_bytes_ = 0;
}

// Sets invalid_encoding on the record [rec_start_, end) when it is not valid UTF-8. Validation
// runs ahead to the last ASCII byte of the window, so one pass covers many records: a record
// starts after an ASCII terminator, so decoding across records finds the very same first bad
// byte of each record as decoding each alone (a sequence cut by the terminator fails at its lead
// byte either way).
void CsvTokenizer::check_record_utf8(size_t end) {
  const char* b = win_;
  size_t from = std::max(utf8_ok_to_, rec_start_);
  if (from >= end) return;
  size_t limit = win_n_;
  for (int back = 0; limit > end && static_cast<unsigned char>(b[limit - 1]) >= 0x80; ++back) {
    if (back == 8) {
      limit = end;
      break;
    }
    --limit;
  }
  size_t bad = find_invalid_utf8(std::string_view(b + from, limit - from));
  if (bad == std::string_view::npos) {
    utf8_ok_to_ = limit;
    return;
  }
  utf8_ok_to_ = from + bad;
  if (utf8_ok_to_ >= end) return;
  static const char* hex = "0123456789ABCDEF";
  auto c = static_cast<unsigned char>(b[utf8_ok_to_]);
  set_error(codes::kInvalidEncoding,
            std::string("byte 0x") + hex[c >> 4] + hex[c & 15] + " at position " +
                std::to_string(utf8_ok_to_ - rec_start_ + 1) +
                " of the row is not valid UTF-8; save the file as UTF-8 (CSV UTF-8)");
}

void CsvTokenizer::end_record(size_t end, CsvRecordSink& sink) {
  if (!row_too_large_ && end - rec_start_ > limits_.max_row_bytes) mark_too_large();
  CsvRecord r;
  r.row = ++row_;
  if (!row_too_large_) {
    bool blank = views_n_ == 1 && views_[0].empty() && !err_code_;
    if (blank) {
      reset_record();
      return;
    }
    if (check_utf8_ && !err_code_) check_record_utf8(end);
    if (!escaped_fields_.empty()) [[unlikely]] {
      // unescaped_ is a buffer sized up front (the views into it must not move) and written
      // through a pointer: no string call per piece (each one a library call in wasm).
      size_t escaped_bytes = 0;
      for (uint32_t k : escaped_fields_) escaped_bytes += views_[k].size();
      if (unescaped_.size() < escaped_bytes) unescaped_.resize(std::max(escaped_bytes, 2 * unescaped_.size()));
      char* out = unescaped_.data();
      for (uint32_t k : escaped_fields_) {
        const std::string_view v = views_[k];
        char* const start = out;
        size_t i = 0;
        while (i < v.size()) {  // "" becomes "
          const size_t j = i + platform::find_any4(v.data() + i, v.data() + v.size(), '"', '"', '"', '"');
          platform::copy_bytes(out, v.data() + i, j - i);
          out += j - i;
          if (j == v.size()) break;
          *out++ = '"';
          i = (j + 1 < v.size() && v[j + 1] == '"') ? j + 2 : j + 1;
        }
        views_[k] = std::string_view(start, size_t(out - start));
      }
    }
    r.fields = std::span<const std::string_view>(views_.data(), views_n_);
    r.quoted_fields = quoted_fields_;
    r.value_bytes = value_bytes_;
  }
  r.error_code = err_code_;
  r.error_message = err_msg_;
  sink.on_record(r);
  reset_record();
}

// Ends the current line at the terminator `c` found at pos_.
inline void CsvTokenizer::end_line(char c) {
  ++pos_;
  state_ = State::field_start;
  if (c == '\r') pending_lf_ = true;
  else start_record(pos_);
}

// The quoted field opened at quote_open_ is not closed within max_field_bytes, or not before
// the end of the input. The record is reported as unclosed_quote, and reading resumes at the
// first line break after the opening quote, so the rows after it survive.
void CsvTokenizer::unclosed_quote(bool eof, CsvRecordSink& sink) {
  size_t column = fields_seen_ + 1;  // counted even once the row is too large: slice-independent
  reset_record();
  err_code_ = codes::kUnclosedQuote;
  err_msg_ = "value " + std::to_string(column) +
             " opens a quote that is not closed (or is longer than " +
             mib(limits_.max_field_bytes) +
             "); the row was skipped — close the quote or double the quote characters inside it";
  CsvRecord r;
  r.row = ++row_;
  r.error_code = err_code_;
  r.error_message = err_msg_;
  sink.on_record(r);
  reset_record();
  size_t n = win_n_;
  size_t k = quote_open_ + 1;
  k += platform::find_any4(win_ + k, win_ + n, '\n', '\r', '\n', '\r');
  if (k < n) {
    pos_ = k;
    end_line(win_[k]);
  } else if (eof) {
    pos_ = n;
    state_ = State::field_start;
    start_record(n);
  } else {
    pos_ = n;
    state_ = State::skip_line;
  }
}

// The hot loop of scan_unquoted: reads the values ended by the delimiter, from value start `fs`
// at `p`, while they lie in whole 64-byte blocks of the window, with the state in locals (the
// members are written back once, at the end: stores of values through a pointer would make the
// compiler reload them all for every value). Everything else is left to scan_unquoted's general
// steps, which it returns to with `p` at the byte to look at: another special byte (a line end,
// a quote), a value over the size limit or one more than views_ holds (end_field reports or
// grows), or the window's last, partial block. Returns true when the value after a delimiter
// starts with a quote or the window ends there (`p` just past the delimiter).
inline bool CsvTokenizer::delimited_run(size_t& p_io, size_t& fs_io) {
  const char* const b = win_;
  const size_t n = win_n_;
  const char delim = delim_;
  const size_t max_field = limits_.max_field_bytes;
  std::string_view* const views = views_.data();
  const size_t room = views_.size();
  size_t count = views_n_, bytes = value_bytes_, seen = fields_seen_;
  size_t p = p_io, fs = fs_io;
  size_t base = block_;
  uint64_t special = block_special_;
  bool after_delimiter = false;
  for (;;) {
    const size_t want = p & ~size_t(63);
    if (want != base) {
      if (want + 64 > n) break;  // the last, partial block: load_block's
      uint64_t quote;
      platform::classify64(b + want, delim, special, quote);
      base = block_ = want;
      block_special_ = special;
      block_quote_ = quote;
    }
    // The block's special bytes at or after p, one by one.
    uint64_t bits = special & (~uint64_t(0) << (p - base));
    for (; bits; bits &= bits - 1) {
      const size_t q = base + size_t(std::countr_zero(bits));
      if (b[q] != delim || q - fs > max_field || count == room) {
        p = q;
        goto done;
      }
      views[count++] = std::string_view(b + fs, q - fs);
      bytes += q - fs;
      ++seen;
      p = q + 1;
      if (p >= n || b[p] == '"') {
        after_delimiter = true;
        goto done;
      }
      fs = p;
    }
    p = base + 64;  // none left in this block
  }
done:
  views_n_ = count;
  value_bytes_ = bytes;
  fields_seen_ = seen;
  p_io = p;
  fs_io = fs;
  return after_delimiter;
}

// Reads unquoted values (and the records they end), through delimited_run and the general steps
// for everything it leaves, until a quoted value, a CR, or the end of the window. Returns true
// when the window ran out in an unquoted value; otherwise pos_ and state_ say where to go on.
bool CsvTokenizer::scan_unquoted(CsvRecordSink& sink) {
  const char* b = win_;
  const size_t n = win_n_;
  size_t p = pos_, fs = field_start_;
  for (;;) {
    if (!row_too_large_ && delimited_run(p, fs)) {
      pos_ = p;
      state_ = State::field_start;
      return false;
    }
    p = next_special(p);
    if (p >= n) {
      pos_ = p;
      field_start_ = fs;
      return true;
    }
    char c = b[p];
    if (c == delim_) {
      end_field(fs, p, false);
      if (++p < n && b[p] != '"') {  // the next value is unquoted too
        fs = p;
        continue;
      }
      pos_ = p;
      state_ = State::field_start;
      return false;
    }
    if (c == '"') [[unlikely]] {
      set_error(codes::kMalformedQuotes,
                "value " + std::to_string(fields_seen_ + 1) +
                    " has a quote inside an unquoted value; put the whole value in quotes "
                    "and double the quotes inside it, like \"say \"\"hi\"\"\"");
      ++p;
      continue;
    }
    end_field(fs, p, false);
    end_record(p, sink);
    // The next record starts unquoted after LF or CRLF (a spreadsheet's line end).
    const size_t next = p + 1 + size_t(c == '\r' && p + 1 < n && b[p + 1] == '\n');
    if ((c == '\n' || next == p + 2) && next < n && b[next] != '"') {
      p = next;
      start_record(p);
      in_record_ = true;
      fs = p;
      continue;
    }
    pos_ = p;
    end_line(c);
    return false;
  }
}

void CsvTokenizer::scan(bool eof, CsvRecordSink& sink) {
  block_ = SIZE_MAX;
  const char* b = win_;
  const size_t n = win_n_;
  for (;;) {
    if (pending_lf_) {
      if (pos_ >= n) {
        if (eof) pending_lf_ = false;
        return;
      }
      if (b[pos_] == '\n') ++pos_;
      pending_lf_ = false;
      start_record(pos_);
    }
    switch (state_) {
      case State::field_start:
        if (pos_ >= n) break;
        in_record_ = true;
        if (b[pos_] == '"') {
          quote_open_ = pos_;
          field_start_ = ++pos_;
          escaped_ = false;
          state_ = State::quoted;
          continue;
        }
        field_start_ = pos_;
        state_ = State::unquoted;
        [[fallthrough]];
      case State::unquoted:
        if (scan_unquoted(sink)) break;
        continue;
      case State::quoted: {
        size_t window_end = std::min(n, quote_open_ + 2 + limits_.max_field_bytes);
        size_t k = next_quote(pos_);
        if (k < window_end) {
          pos_ = k + 1;
          state_ = State::quote_in_quoted;
          continue;
        }
        if (window_end < n) {  // no closing quote within the limit
          unclosed_quote(eof, sink);
          continue;
        }
        pos_ = n;
        break;
      }
      case State::quote_in_quoted: {
        if (pos_ >= n) break;
        char c = b[pos_];
        if (c == '"') {
          escaped_ = true;
          ++pos_;
          state_ = State::quoted;
          continue;
        }
        if (c == delim_ || c == '\n' || c == '\r') {
          end_quoted_field();
          if (c == delim_) {
            ++pos_;
            state_ = State::field_start;
          } else {
            end_record(pos_, sink);
            end_line(c);
          }
          continue;
        }
        set_error(codes::kMalformedQuotes,
                  "value " + std::to_string(fields_seen_ + 1) +
                      " has text after its closing quote; put the whole value in quotes and "
                      "double the quotes inside it");
        state_ = State::unquoted;  // the value goes on, raw, to the next delimiter
        continue;
      }
      case State::skip_line: {
        pos_ += platform::find_any4(b + pos_, b + n, '\n', '\r', '\n', '\r');
        if (pos_ >= n) break;
        end_line(b[pos_]);
        continue;
      }
    }
    // The window is exhausted in the current state.
    if (!row_too_large_ && in_record_ && state_ != State::skip_line &&
        pos_ - rec_start_ > limits_.max_row_bytes)
      mark_too_large();
    if (!eof) return;
    switch (state_) {
      case State::field_start:
        if (in_record_) {
          end_field(pos_, pos_, false);
          end_record(pos_, sink);
        }
        break;
      case State::unquoted:
        end_field(field_start_, pos_, false);
        end_record(pos_, sink);
        break;
      case State::quote_in_quoted:
        end_quoted_field();
        end_record(pos_, sink);
        break;
      case State::quoted:
        unclosed_quote(true, sink);
        continue;  // the rows after the opening quote are read again
      case State::skip_line:
        break;
    }
    state_ = State::field_start;
    start_record(pos_);
    return;
  }
}

}  // namespace intake
