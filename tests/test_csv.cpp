#include <doctest/doctest.h>

#include "io/csv.hpp"

using namespace kimsim;
using namespace kimsim::io;

namespace {
std::string error_of(std::string_view text) {
  try {
    parse_csv(text, "f.csv");
  } catch (const LocatedError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("CSV: BOM, CRLF, comments, quotes, positions") {
  const auto t = parse_csv("\xEF\xBB\xBF# source: test\r\nname,weight\r\n\"a, b\",1\r\n\"say \"\"hi\"\"\", 2.5 \r\n", "f.csv");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.header.line == 2);
  CHECK(t.cell(t.rows[0], 0) == "a, b");
  CHECK(t.cell(t.rows[1], 0) == "say \"hi\"");
  CHECK(t.cell(t.rows[1], 1) == "2.5");
  CHECK(t.rows[1].line == 4);
  CHECK(t.at(t.rows[1], 1).str() == "f.csv:4:15");
  CHECK(csv_quote("a, b") == "\"a, b\"");
  CHECK(csv_quote("x\"y") == "\"x\"\"y\"");
}

TEST_CASE("CSV: errors name file, line and column") {
  CHECK(error_of("") == "f.csv: the file is empty: expected a header row");
  CHECK(error_of("a,b\n1,2,3\n") == "f.csv:2:5: the row has 3 cells, the header 2");
  CHECK(error_of("a,b\n\"1,2\n") == "f.csv:2:1: a quoted cell is not closed");
  CHECK(error_of("a,b\n\"1\"x,2\n") == "f.csv:2:4: text after the closing quote of a cell");
  const auto t = parse_csv("name,wieght\nx,1\n", "f.csv");
  try {
    t.require("weight");
    FAIL("expected an error");
  } catch (const LocatedError& e) {
    CHECK(std::string(e.what()) == "f.csv:1:1: the header has no column 'weight' (did you mean 'wieght'?)");
  }
}

TEST_CASE("decimals") {
  CHECK(parse_decimal("216")->digits == 216);
  CHECK(parse_decimal("12.75")->decimals == 2);
  CHECK(!parse_decimal("-1"));
  CHECK(!parse_decimal("1e5"));
  CHECK(!parse_decimal("1.2.3"));
  CHECK(!parse_decimal(""));
  CHECK(*scale_to(*parse_decimal("1.5"), 3, 1u << 20) == 1500);
  CHECK(!scale_to(*parse_decimal("9007199254740993"), 0, 1ULL << 53));
  CHECK(parse_count("12") == 12);
  CHECK(!parse_count("1.0"));
}
