// The digits of money and positions: the plain form of CSV, JSON and messages, and the German
// form of a report. Exact from integers, whatever the machine's locale.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <clocale>
#include <cstdint>
#include <limits>
#include <vector>

#include "kimsim/format.hpp"

using namespace kimsim;

namespace {
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
const std::string nbsp_euro = "\u00A0€";
}  // namespace

TEST_CASE("format_euros: two decimals from cents, a sign only below zero") {
  CHECK(format_euros(0) == "0.00");
  CHECK(format_euros(5) == "0.05");
  CHECK(format_euros(50) == "0.50");
  CHECK(format_euros(123450) == "1234.50");
  CHECK(format_euros(-5) == "-0.05");
  CHECK(format_euros(-100) == "-1.00");
  CHECK(format_euros(kMax) == "92233720368547758.07");
  CHECK(format_euros(kMin) == "-92233720368547758.08");  // its negation does not fit 64 bits
  // Sums of 64-bit amounts (the Bausteine of a scenario) are written exactly in 128 bits.
  CHECK(format_euros(static_cast<__int128>(kMax) * 4) == "368934881474191032.28");
}

TEST_CASE("format_positions: half positions with one decimal") {
  CHECK(format_positions(0) == "0.0");
  CHECK(format_positions(1) == "0.5");
  CHECK(format_positions(6) == "3.0");
  CHECK(format_positions(7) == "3.5");
  CHECK(format_positions(-1) == "-0.5");
  CHECK(format_positions(-7) == "-3.5");
  CHECK(format_positions(kMax) == "4611686018427387903.5");
}

TEST_CASE("german_number: a dot between groups of three digits, a decimal comma") {
  CHECK(german_number("0") == "0");
  CHECK(german_number("0.00") == "0,00");
  CHECK(german_number("999.99") == "999,99");
  CHECK(german_number("1000") == "1.000");
  CHECK(german_number("1234567.89") == "1.234.567,89");
  CHECK(german_number("-1234567.89") == "-1.234.567,89");
  CHECK(german_number("-123") == "-123");
  CHECK(german_number("123456") == "123.456");
  CHECK(german_number("12.3456") == "12,3456");  // decimals are not grouped
}

TEST_CASE("german_number of a double: rounded as printf rounds, then grouped") {
  CHECK(german_number(1234.5, 2) == "1.234,50");
  CHECK(german_number(0.0, 1) == "0,0");
  CHECK(german_number(3.5, 1) == "3,5");
  CHECK(german_number(3.45, 1) == "3,5");    // 3.45 is 3.4500000000000001776 in binary
  CHECK(german_number(0.25, 1) == "0,2");    // an exact tie goes to the even digit
  CHECK(german_number(2.5, 0) == "2");
  CHECK(german_number(3.5, 0) == "4");
  CHECK(german_number(-1234567.891, 2) == "-1.234.567,89");
  CHECK(german_number(1e15, 0) == "1.000.000.000.000.000");
}

TEST_CASE("german_euros and german_positions: the forms of a German report") {
  CHECK(german_euros(0) == "0,00" + nbsp_euro);
  CHECK(german_euros(5) == "0,05" + nbsp_euro);
  CHECK(german_euros(123456789) == "1.234.567,89" + nbsp_euro);
  CHECK(german_euros(-123456789) == "-1.234.567,89" + nbsp_euro);
  CHECK(german_euros(-99) == "-0,99" + nbsp_euro);
  CHECK(german_euros(kMax) == "92.233.720.368.547.758,07" + nbsp_euro);
  CHECK(german_euros(kMin) == "-92.233.720.368.547.758,08" + nbsp_euro);
  CHECK(german_positions(7) == "3,5");  // half a position stays a half, never rounded
  CHECK(german_positions(6) == "3,0");
  CHECK(german_positions(0) == "0,0");
  CHECK(german_positions(2001) == "1.000,5");
  CHECK(german_positions(-3) == "-1,5");
}

TEST_CASE("the German forms do not depend on the process locale") {
  // The machines have only C and POSIX; whatever a host program sets, the digits stay the same.
  const std::string before = std::setlocale(LC_ALL, nullptr);
  std::setlocale(LC_ALL, "C");
  const std::string in_c = german_euros(123456789) + german_number(1234.5, 1);
  std::setlocale(LC_ALL, "POSIX");
  CHECK(german_euros(123456789) + german_number(1234.5, 1) == in_c);
  std::setlocale(LC_ALL, before.c_str());
  CHECK(in_c == "1.234.567,89" + nbsp_euro + "1.234,5");
}

TEST_CASE("german_euros written in one pass reads as format_euros grouped the German way") {
  // Amounts of every length and sign, and the extremes of 128 bits.
  std::vector<__int128> amounts = {0, 1, -1, 99, 100, -100, 99999, 100000, 123456789012, -123456789012};
  __int128 v = 7;
  for (int i = 0; i < 36; ++i) amounts.push_back(v), amounts.push_back(-v), v = v * 10 + (i % 10);  // up to 38 digits
  amounts.push_back(~(static_cast<__int128>(1) << 127));
  amounts.push_back(static_cast<__int128>(1) << 127);
  for (const __int128 c : amounts) CHECK(german_euros(c) == german_number(format_euros(c)) + "\u00A0€");
}

TEST_CASE("format_euros and format_positions, digit by digit: the text of the format strings they replace") {
  // The reference: what both wrote through {fmt} before (sign, whole part, decimals).
  const auto euros_ref = [](__int128 c) {
    const unsigned __int128 m = c < 0 ? 0 - static_cast<unsigned __int128>(c) : static_cast<unsigned __int128>(c);
    return fmt::format("{}{}.{:02}", c < 0 ? "-" : "", m / 100, static_cast<unsigned>(m % 100));
  };
  const auto positions_ref = [](std::int64_t h) {
    const std::uint64_t m = h < 0 ? 0 - static_cast<std::uint64_t>(h) : static_cast<std::uint64_t>(h);
    return fmt::format("{}{}.{}", h < 0 ? "-" : "", m / 2, m % 2 ? 5 : 0);
  };
  std::vector<__int128> values = {0, 1, 9, 10, 99, 100, 101, 999, 1000, 123456789, kMax, kMin, static_cast<__int128>(kMax) * 1000 + 7,
                                  -static_cast<__int128>(kMax) * 1000 - 7};
  // A walk over every digit count, both signs.
  for (__int128 v = 1; v < static_cast<__int128>(kMax) * 100; v = v * 7 + 3) values.insert(values.end(), {v, -v});
  for (const __int128 v : values) CHECK(format_euros(v) == euros_ref(v));
  for (const __int128 v : values)
    if (v >= kMin && v <= kMax) CHECK(format_positions(static_cast<std::int64_t>(v)) == positions_ref(static_cast<std::int64_t>(v)));
}
