// Tests of batch building: bounds, row numbers, and the round trip through the server's reader
// (FileValidator in batch mode) giving back exactly the rows that went in.
#include "batch/batch_builder.h"

#include <doctest/doctest.h>

using namespace intake;

namespace {
struct Rows : ValidationSink {
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> numbers;
  std::vector<std::string> keys;
  std::vector<Field> fields;
  void on_header(const HeaderInfo& h) override {
    for (size_t f : h.output_fields) keys.push_back(fields[f].key);
  }
  void on_clean_row(const CleanRow& r) override {
    numbers.push_back(r.row);
    rows.emplace_back(r.values.begin(), r.values.end());
  }
};
}  // namespace

TEST_CASE("batches are bounded, numbered, and read back identically") {
  std::vector<Field> fields = {
      {.key = "external_id", .label = "External ID", .required = true, .identity = Identity::external_id},
      {.key = "notes", .label = "Notes"},
  };
  std::string csv = "external_id,notes\n";
  for (int i = 0; i < 25; ++i) csv += "P" + std::to_string(i) + ",\"n, \"\"" + std::to_string(i) + "\"\"\nline\"\n";
  csv += "P99,\n";

  Rows original;
  original.fields = fields;
  FileValidator v(fields, {});
  v.push(csv, original);
  v.finish(original);
  REQUIRE(original.rows.size() == 26);

  std::vector<Batch> batches;
  BatchBuilder builder(original.keys, BatchLimits{.max_rows = 10, .max_bytes = 1 << 20});
  for (size_t i = 0; i < original.rows.size(); ++i) {
    std::vector<std::string_view> views(original.rows[i].begin(), original.rows[i].end());
    CleanRow r{.row = original.numbers[i], .values = views};
    builder.add(r, [&](Batch&& b) { batches.push_back(std::move(b)); });
  }
  builder.flush([&](Batch&& b) { batches.push_back(std::move(b)); });
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].seq == 0);
  CHECK(batches[2].seq == 2);
  CHECK(batches[0].rows == 10);
  CHECK(batches[0].first_row == 2);
  CHECK(batches[0].last_row == 11);
  CHECK(batches[2].rows == 6);
  CHECK(batches[2].last_row == 27);
  CHECK(batches[0].body.starts_with("_row,external_id,notes\r\n2,P0,\"n, \"\"0\"\"\nline\"\r\n"));

  Rows back;
  back.fields = fields;
  for (const Batch& b : batches) {
    ValidatorOptions o;
    o.delimiter = ',';
    o.row_column = "_row";
    o.track_duplicates = false;
    FileValidator reader(fields, o);
    reader.push(b.body, back);
    reader.finish(back);
    CHECK(!reader.file_error());
  }
  CHECK(back.rows == original.rows);
  CHECK(back.numbers == original.numbers);
}

TEST_CASE("a batch closes before it passes the byte limit") {
  BatchBuilder builder({"k"}, BatchLimits{.max_rows = 1000, .max_bytes = 64});
  std::vector<Batch> batches;
  std::string big(30, 'x');
  std::vector<std::string_view> values = {big};
  for (uint64_t row = 2; row < 8; ++row)
    builder.add(CleanRow{.row = row, .values = values}, [&](Batch&& b) { batches.push_back(std::move(b)); });
  builder.flush([&](Batch&& b) { batches.push_back(std::move(b)); });
  REQUIRE(batches.size() == 6);
  for (const Batch& b : batches) CHECK(b.body.size() <= 64);
}

TEST_CASE("dates with a declared format come back from a batch as the ISO dates they became") {
  std::vector<Field> fields = {
      {.key = "external_id", .label = "External ID", .required = true, .identity = Identity::external_id},
      {.key = "born", .label = "Born", .type = FieldType::date, .format = "DD/MM/YYYY"},
  };
  Rows original;
  original.fields = fields;
  FileValidator v(fields, {});
  v.push("external_id,born\nP1,31/12/1999\n", original);
  v.finish(original);
  REQUIRE(original.rows.size() == 1);
  CHECK(original.rows[0][1] == "1999-12-31");

  ValidatorOptions o;
  o.delimiter = ',';
  o.row_column = "_row";
  o.track_duplicates = false;
  Rows back;
  back.fields = fields;
  FileValidator reader(fields, o);
  reader.push("_row,external_id,born\r\n2,P1,1999-12-31\r\n", back);
  reader.finish(back);
  CHECK(back.rows == original.rows);
  CHECK(reader.counts().failed == 0);
}

TEST_CASE("every line starts with its row number, consecutive or not, across every digit count") {
  // The builder writes the next row's number by incrementing the previous one's digits.
  std::vector<uint64_t> rows;
  for (uint64_t r = 2; r <= 1002; ++r) rows.push_back(r);
  for (uint64_t r : {7ull, 8ull, 9999ull, 10000ull, 10001ull, 99999999ull, 100000000ull, 3ull,
                     18446744073709551614ull, 18446744073709551615ull, 2ull, 3ull})
    rows.push_back(r);
  BatchBuilder builder({"k"}, BatchLimits{.max_rows = 100, .max_bytes = 1 << 20});
  std::string all;
  std::vector<std::string_view> values = {"v"};
  auto keep = [&](Batch&& b) { all += b.body.substr(b.body.find("\r\n") + 2); };
  for (uint64_t row : rows) builder.add(CleanRow{.row = row, .values = values}, keep);
  builder.flush(keep);
  std::string expected;
  for (uint64_t row : rows) expected += std::to_string(row) + ",v\r\n";
  CHECK(all == expected);
}
