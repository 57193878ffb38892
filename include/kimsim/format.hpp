// Numbers as kimsim writes them for people and files: money from integer cents and positions from
// half VZÄ, exactly (no floating point between the integer and its digits), in the plain form of
// CSV, JSON and messages ("1234567.89") and in the German form of a report ("1.234.567,89 €").
// Pure functions over values: the model's messages and every writer use the same digits.
// (Cents and Halves of kimsim/model.hpp are std::int64_t; this header stays free of the model.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kimsim {

/// "1234567.89", "-0.05": cents as euros with a decimal point and two decimals, no thousands
/// separator (machine-readable: CSV, JSON, messages). Takes 128 bits, so that sums of many
/// 64-bit amounts are written exactly too.
std::string format_euros(__int128 cents);

/// "3.5", "3.0": half positions (0.5 VZÄ) as positions with one decimal.
std::string format_positions(std::int64_t halves);

/// German digit grouping of a number written with a decimal point: "-1234567.89" gives
/// "-1.234.567,89" (a dot between groups of three digits, a decimal comma). Locale-independent:
/// the machines kimsim runs on have only the C and POSIX locales, and a report must not change
/// with the machine's settings. `plain` is an optional '-', digits, and optionally '.' and digits.
std::string german_number(std::string_view plain);

/// `value` rounded to `decimals` digits after the comma (like printf's "%.*f": exact binary
/// value, ties to even), in German form: german_number(1234.5, 2) is "1.234,50".
std::string german_number(double value, int decimals);

/// "1.234.567,89 €" from 123456789 cents. A no-break space (U+00A0) stands before the euro sign,
/// as German typesetting has it, so that the amount never wraps away from its unit in HTML.
std::string german_euros(__int128 cents);

/// "3,5" from 7 half positions; "3,0" from 6 (one decimal, as in the CSV).
std::string german_positions(std::int64_t halves);

}  // namespace kimsim
