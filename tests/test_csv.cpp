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
  CHECK(error_of("\r\r\r") == "f.csv: the file holds only 3 carriage returns (CR, 0x0D), no text: expected a header row");
  CHECK(error_of("\r\n \n") == "f.csv: the file holds only 1 carriage return (CR, 0x0D), 2 line feeds (LF) and 1 space, no text: expected a header row");
  CHECK(error_of("name\nx\xC2\x9B[2J\n") == "f.csv:2:2: the control character U+009B does not belong in a text file");
  CHECK(error_of("name\nx\xC2\xA0y\n") == "no error");  // U+00A0, a no-break space, is text
  CHECK(error_of("# only a comment\n") == "f.csv: the file has only comments and blank lines: expected a header row");
  CHECK(error_of("a,b\r1,2\r").rfind("f.csv:1:4: a carriage return (CR) without a line feed", 0) == 0);
  CHECK(error_of("a,b\n1,2,3\n") == "f.csv:2:5: the row has 3 cells, the header 2 (a ',' too many, or a value that needs quotes?)");
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
  // 20 digits: up to the largest that fits, 2^64 - 1, which the message of a larger one names as
  // the maximum, and one more that would wrap to 0.
  CHECK(parse_decimal("18446744073709551609")->digits == 18446744073709551609ULL);
  CHECK(parse_decimal("18446744073709551610")->digits == 18446744073709551610ULL);
  CHECK(parse_decimal("18446744073709551615")->digits == UINT64_MAX);
  CHECK(parse_decimal("1844674407370955161.5")->digits == UINT64_MAX);
  CHECK(decimal_problem("18446744073709551615", '.').empty());
  CHECK(!parse_decimal("18446744073709551616"));
  CHECK(decimal_problem("18446744073709551616", '.') ==
        "'18446744073709551616' is out of range (max 18446744073709551615, or as many digits with a decimal point)");
  CHECK(!parse_decimal("184467440737095516.16"));
  CHECK(!parse_decimal("99999999999999999999"));
  CHECK(*scale_to(*parse_decimal("1.5"), 3, 1u << 20) == 1500);
  CHECK(!scale_to(*parse_decimal("9007199254740993"), 0, 1ULL << 53));
  CHECK(parse_count("12") == 12);
  CHECK(!parse_count("1.0"));
}

TEST_CASE("CSV: delimiter ';' and decimal comma, as German statistical offices publish") {
  const CsvFormat de{';', ','};
  const auto t = parse_csv("\xEF\xBB\xBF" "ags;name;area_km2\r\n05111;D\xC3\xBCsseldorf, Stadt;217,41\r\n05112;\"a;b\";1\r\n", "f.csv", de);
  REQUIRE(t.rows.size() == 2);
  CHECK(t.cell(t.rows[0], 1) == "D\xC3\xBCsseldorf, Stadt");
  CHECK(t.cell(t.rows[1], 1) == "a;b");
  const auto d = parse_decimal(t.cell(t.rows[0], 2), ',');
  REQUIRE(d);
  CHECK(d->digits == 21741);
  CHECK(d->decimals == 2);
  CHECK(!parse_decimal("217.41", ','));
  CHECK(!parse_decimal("217,41"));
}

TEST_CASE("CSV: why a cell is not a number") {
  CHECK(decimal_problem("12.5") == "");
  CHECK(decimal_problem("") == "the cell is empty");
  CHECK(decimal_problem("-4") == "'-4' is negative");
  CHECK(decimal_problem("-0") == "'-0' has a sign: write the digits only");
  CHECK(decimal_problem("+4") == "'+4' has a sign: write the digits only");
  CHECK(decimal_problem("1e400") == "'1e400' is in exponent notation: write the digits out");
  CHECK(decimal_problem("NaN") == "'NaN' is not a finite number");
  CHECK(decimal_problem("-.inf") == "'-.inf' is not a finite number");
  CHECK(decimal_problem("12,5") == "'12,5' has a ',', but the decimal mark of this file is '.'");
  CHECK(decimal_problem("1,234.5") == "'1,234.5' has a thousands separator: write the digits only, with '.' as the decimal mark");
  CHECK(decimal_problem("1.234,5", ',') == "'1.234,5' has a thousands separator: write the digits only, with ',' as the decimal mark");
  CHECK(decimal_problem("232.8", ',') == "'232.8' has a '.', but the decimal mark of this file is ','");
  CHECK(decimal_problem("1.2.3") == "'1.2.3' has more than one '.'");
  CHECK(decimal_problem("0.1234567890123") == "'0.1234567890123' has more than 12 decimals");
  CHECK(decimal_problem("99999999999999999999") == "'99999999999999999999' is out of range (max 18446744073709551615, or as many digits with a decimal point)");
  CHECK(decimal_problem("viele") == "'viele' is not a number");
}

TEST_CASE("CSV: short rows, bytes that are not UTF-8, duplicate and misdelimited headers") {
  CHECK(error_of("a,b,c\n1,2\n") == "f.csv:2:3: the row has 2 cells, the header 3: no cell for column 'c'");
  CHECK(error_of("a,b\nD\xFCsseldorf,1\n") ==
        "f.csv:2:2: the byte 0xFC is not UTF-8 (is the file Latin-1 or Windows-1252? save it as UTF-8)");
  CHECK(error_of("a,b\n\xE4,\xF6\n") ==
        "f.csv:2:1: the byte 0xE4 is not UTF-8 (is the file Latin-1 or Windows-1252? save it as UTF-8); 1 more such byte follows");
  CHECK(error_of("a,b\n\xED\xA0\x80,1\n").find("0xED is not UTF-8") != std::string::npos);  // a surrogate
  CHECK(error_of("a,b\n\x01,1\n") == "f.csv:2:1: the control character 0x01 does not belong in a text file");
  CHECK(error_of(std::string_view("\xFF\xFE" "a\0,\0b\0", 8)) ==
        "f.csv:1:1: the file is UTF-16 (byte order mark); kimsim reads UTF-8: save it as UTF-8");
  const auto dup = parse_csv("name,weight,weight\nx,1,2\n", "f.csv");
  try {
    dup.require("weight");
    FAIL("expected an error");
  } catch (const LocatedError& e) {
    CHECK(std::string(e.what()) == "f.csv:1:13: column 'weight' appears twice (also column 2): which one holds the data?");
  }
  const auto semi = parse_csv("name;weight\nx;1\n", "f.csv");
  CHECK(semi.other_delimiter() == ';');
  try {
    semi.require("weight");
    FAIL("expected an error");
  } catch (const LocatedError& e) {
    CHECK(std::string(e.what()) ==
          "f.csv:1:1: the header has no column 'weight'; the header does not split at ',' but contains ';': is that the delimiter?");
  }
  CHECK(!parse_csv("name,weight\nx,1\n", "f.csv").other_delimiter());
}

TEST_CASE("a header written with another delimiter is found before its rows fail the parse") {
  // Rows of a semicolon file split at their commas (a name, a decimal comma): the header says why.
  const std::string semi = "\xEF\xBB\xBF# source\r\nags;name;area_km2\r\n05111;D\xC3\xBCsseldorf, Stadt;217,41\r\n";
  CHECK(error_of(semi) == "f.csv:2:1: the header does not split at ',' but contains ';': is that the delimiter?");
  const auto d = header_delimiter(semi, {}, {"ags", "name"});
  REQUIRE(d);
  CHECK(d->delimiter == ';');
  CHECK(d->line == 2);
  CHECK(d->why == "the header does not split at ',' but contains ';'");
  // A header that splits at ',' too, inside a column's name: the columns needed decide.
  const auto named = header_delimiter("kreis_ags;name, Kreis;s\n05111;a, b;1\n", {}, {"kreis_ags", "s"});
  REQUIRE(named);
  CHECK(named->delimiter == ';');
  CHECK(named->why == "the header has no column 'kreis_ags' at ',' but has every column it needs at ';'");
  CHECK(!header_delimiter("kreis_ags;name, Kreis;s\n", {}, {"kreis_ags", "t"}));  // not at ';' either
  // Read as written: nothing to say, also where a cell holds the other delimiter.
  CHECK(!header_delimiter("ags,name\n05111,\"a;b\"\n", {}, {"ags", "name"}));
  CHECK(!header_delimiter("ags;name, Kreis\n05111;a, b\n", {';', ','}, {"ags", "name, Kreis"}));
  CHECK(!header_delimiter("# only a comment\n", {}, {"ags"}));
  // Quoted header cells at ';', read at ',': text after a closing quote, not a delimiter hint.
  CHECK(header_delimiter("\"ags\";\"s\"\n", {}, {"ags", "s"})->delimiter == ';');
}

TEST_CASE("whole numbers use all 64 bits, and nothing else") {
  CHECK(parse_whole("0") == 0u);
  CHECK(parse_whole("18446744073709551615") == UINT64_MAX);
  CHECK(!parse_whole("18446744073709551616"));
  CHECK(!parse_whole("-1"));
  CHECK(!parse_whole("1.0"));
  CHECK(!parse_whole(""));
}

TEST_CASE("the semicolon test file holds the shipped Kreis data, cell for cell") {
  const auto comma = read_csv(KIMSIM_SOURCE_DIR "/scenarios/data/nrw_kreise_2018.csv");
  const auto de = read_csv(KIMSIM_TEST_DATA "/nrw_kreise_2018_semicolon.csv", {';', ','});
  REQUIRE(comma.rows.size() == 53);
  REQUIRE(de.rows.size() == comma.rows.size());
  const auto area = comma.require("area_km2");
  CHECK(de.require("area_km2") == area);
  for (std::size_t r = 0; r < comma.rows.size(); ++r)
    for (std::size_t c = 0; c < comma.header.cells.size(); ++c) {
      if (c != area) {
        CHECK(de.cell(de.rows[r], c) == comma.cell(comma.rows[r], c));
        continue;
      }
      const auto a = parse_decimal(comma.cell(comma.rows[r], c)), b = parse_decimal(de.cell(de.rows[r], c), ',');
      REQUIRE(a);
      REQUIRE(b);
      CHECK(a->digits == b->digits);
      CHECK(a->decimals == b->decimals);
    }
}
