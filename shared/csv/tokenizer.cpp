// The streaming CSV tokenizer (see tokenizer.h). A resumable state machine over an internal
// buffer that holds only the unfinished record; SIMD scanning (core/platform.h) skips ordinary
// bytes. Slice invariance comes from making every decision depend on the bytes of the record
// alone, never on where a slice ended.
#include "csv/tokenizer.h"

#include <algorithm>

#include "core/platform.h"
#include "core/row_error.h"
#include "csv/encoding.h"

namespace intake {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string mib(size_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}
}  // namespace

CsvTokenizer::CsvTokenizer(char delimiter, CsvLimits limits, bool check_utf8)
    : delim_(delimiter), limits_(limits), check_utf8_(check_utf8) {
  spans_.reserve(64);
  views_.reserve(64);
}

void CsvTokenizer::push(std::string_view bytes, CsvRecordSink& sink) {
  pushed_ += bytes.size();
  compact();
  buf_.append(bytes);
  if (!bom_checked_) {
    if (buf_.size() < kBom.size() && kBom.starts_with(buf_)) return;  // could still be a BOM
    if (std::string_view(buf_).starts_with(kBom)) buf_.erase(0, kBom.size());
    bom_checked_ = true;
  }
  scan(false, sink);
}

void CsvTokenizer::finish(CsvRecordSink& sink) {
  bom_checked_ = true;  // fewer than three bytes that began like a BOM are data
  scan(true, sink);
  buf_.clear();
  pos_ = rec_start_ = field_start_ = quote_open_ = 0;
  state_ = State::field_start;
  pending_lf_ = false;
}

// Drops the bytes no longer needed: everything before the current record, or, once a record
// is known to be too large, everything but what an unclosed quote may still need.
void CsvTokenizer::compact() {
  size_t keep = rec_start_;
  if (row_too_large_ || state_ == State::skip_line) {
    bool quoted = state_ == State::quoted || state_ == State::quote_in_quoted;
    keep = quoted ? std::min(pos_, quote_open_) : pos_;
  }
  if (pending_lf_) keep = pos_;
  if (keep == 0) return;
  buf_.erase(0, keep);
  auto shift = [keep](size_t& x) { x = x >= keep ? x - keep : 0; };
  shift(pos_);
  shift(rec_start_);
  shift(field_start_);
  shift(quote_open_);
  for (Span& s : spans_) {
    s.begin -= keep;
    s.end -= keep;
  }
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

void CsvTokenizer::end_field(size_t begin, size_t end, bool escaped) {
  if (row_too_large_) return;
  if (end - begin > limits_.max_field_bytes) {
    set_error(codes::kFieldTooLarge, "value " + std::to_string(spans_.size() + 1) +
                                         " is longer than " + mib(limits_.max_field_bytes) +
                                         "; shorten it or split it into several columns");
  }
  spans_.push_back({begin, end, escaped});
}

void CsvTokenizer::mark_too_large() {
  row_too_large_ = true;
  spans_.clear();
  err_code_ = codes::kRowTooLarge;
  err_msg_ = "the row is longer than " + mib(limits_.max_row_bytes) +
             "; it was skipped — check for a missing line break or an unclosed quote";
}

void CsvTokenizer::reset_record() {
  spans_.clear();
  err_code_ = nullptr;
  err_msg_.clear();
  row_too_large_ = false;
}

void CsvTokenizer::end_record(size_t end, CsvRecordSink& sink) {
  if (!row_too_large_ && end - rec_start_ > limits_.max_row_bytes) mark_too_large();
  CsvRecord r;
  r.row = ++row_;
  if (!row_too_large_) {
    bool blank = spans_.size() == 1 && spans_[0].begin == spans_[0].end && !err_code_;
    if (blank) {
      reset_record();
      return;
    }
    if (check_utf8_ && !err_code_) {
      std::string_view bytes(buf_.data() + rec_start_, end - rec_start_);
      size_t bad = find_invalid_utf8(bytes);
      if (bad != std::string_view::npos) {
        static const char* hex = "0123456789ABCDEF";
        auto b = static_cast<unsigned char>(bytes[bad]);
        set_error(codes::kInvalidEncoding,
                  std::string("byte 0x") + hex[b >> 4] + hex[b & 15] + " at position " +
                      std::to_string(bad + 1) +
                      " of the row is not valid UTF-8; save the file as UTF-8 (CSV UTF-8)");
      }
    }
    views_.clear();
    char* b = buf_.data();
    for (Span& s : spans_) {
      if (s.escaped) {  // collapse "" to " in place; the text only gets shorter
        size_t w = s.begin;
        for (size_t i = s.begin; i < s.end; ++i) {
          b[w++] = b[i];
          if (b[i] == '"' && i + 1 < s.end && b[i + 1] == '"') ++i;
        }
        s.end = w;
      }
      views_.emplace_back(b + s.begin, s.end - s.begin);
    }
    r.fields = views_;
  }
  r.error_code = err_code_;
  r.error_message = err_msg_;
  sink.on_record(r);
  reset_record();
}

// Ends the current line at the terminator `c` found at pos_.
void CsvTokenizer::end_line(char c) {
  ++pos_;
  state_ = State::field_start;
  if (c == '\r') pending_lf_ = true;
  else start_record(pos_);
}

// The quoted field opened at quote_open_ is not closed within max_field_bytes, or not before
// the end of the input. The record is reported as unclosed_quote, and reading resumes at the
// first line break after the opening quote, so the rows after it survive.
void CsvTokenizer::unclosed_quote(bool eof, CsvRecordSink& sink) {
  size_t column = row_too_large_ ? 0 : spans_.size() + 1;
  reset_record();
  err_code_ = codes::kUnclosedQuote;
  err_msg_ = (column ? "value " + std::to_string(column) : std::string("a value")) +
             " opens a quote that is not closed (or is longer than " +
             mib(limits_.max_field_bytes) +
             "); the row was skipped — close the quote or double the quote characters inside it";
  CsvRecord r;
  r.row = ++row_;
  r.error_code = err_code_;
  r.error_message = err_msg_;
  sink.on_record(r);
  reset_record();
  size_t n = buf_.size();
  size_t k = quote_open_ + 1;
  k += platform::find_any4(buf_.data() + k, buf_.data() + n, '\n', '\r', '\n', '\r');
  if (k < n) {
    pos_ = k;
    end_line(buf_[k]);
  } else if (eof) {
    pos_ = n;
    state_ = State::field_start;
    start_record(n);
  } else {
    pos_ = n;
    state_ = State::skip_line;
  }
}

void CsvTokenizer::scan(bool eof, CsvRecordSink& sink) {
  for (;;) {
    const char* b = buf_.data();
    const size_t n = buf_.size();
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
      case State::unquoted: {
        pos_ += platform::find_any4(b + pos_, b + n, delim_, '"', '\n', '\r');
        if (pos_ >= n) break;
        char c = b[pos_];
        if (c == '"') {
          set_error(codes::kMalformedQuotes,
                    "value " + std::to_string(spans_.size() + 1) +
                        " has a quote inside an unquoted value; put the whole value in quotes "
                        "and double the quotes inside it, like \"say \"\"hi\"\"\"");
          ++pos_;
          continue;
        }
        end_field(field_start_, pos_, false);
        if (c == delim_) {
          ++pos_;
          state_ = State::field_start;
          continue;
        }
        end_record(pos_, sink);
        end_line(c);
        continue;
      }
      case State::quoted: {
        size_t window_end = std::min(n, quote_open_ + 2 + limits_.max_field_bytes);
        size_t k = pos_ + platform::find_any4(b + pos_, b + window_end, '"', '"', '"', '"');
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
          end_field(field_start_, pos_ - 1, escaped_);
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
                  "value " + std::to_string(spans_.size() + 1) +
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
    // The buffer is exhausted in the current state.
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
        end_field(field_start_, pos_ - 1, escaped_);
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
