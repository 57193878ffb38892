#include "kimsim/format.hpp"

#include <fmt/format.h>

namespace kimsim {

namespace {

/// The magnitude of a signed amount, also of the most negative one (whose negation overflows).
unsigned __int128 magnitude(__int128 v) {
  return v < 0 ? 0 - static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
}

}  // namespace

namespace {

/// The decimal digits of `w`, backwards, into `digits`; returns how many.
template <class Unsigned>
std::size_t digits_backwards(Unsigned w, char* digits) {
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<unsigned>(w % 10));
    w /= 10;
  } while (w != 0);
  return n;
}

}  // namespace

std::string format_euros(__int128 cents) {
  // Digit by digit, 64-bit where the amount fits (as it always does in practice): every CSV and
  // report writes each amount, and a runtime format string with 128-bit division was most of it.
  const unsigned __int128 m = magnitude(cents);
  const unsigned __int128 whole = m / 100;
  const unsigned rest = static_cast<unsigned>(m % 100);
  char digits[40];  // 2^127 / 100 has 37 digits
  const std::size_t n = whole >> 64 == 0 ? digits_backwards(static_cast<std::uint64_t>(whole), digits) : digits_backwards(whole, digits);
  std::string out;
  out.reserve(n + 4);
  if (cents < 0) out += '-';
  for (std::size_t i = n; i > 0; --i) out += digits[i - 1];
  out += '.';
  out += static_cast<char>('0' + rest / 10);  // always two decimals: 5 cents are .05
  out += static_cast<char>('0' + rest % 10);
  return out;
}

std::string format_positions(std::int64_t halves) {
  const std::uint64_t m = halves < 0 ? 0 - static_cast<std::uint64_t>(halves) : static_cast<std::uint64_t>(halves);
  char digits[20];
  const std::size_t n = digits_backwards(m / 2, digits);
  std::string out;
  out.reserve(n + 3);
  if (halves < 0) out += '-';
  for (std::size_t i = n; i > 0; --i) out += digits[i - 1];
  out += '.';
  out += m % 2 ? '5' : '0';
  return out;
}

std::string german_number(std::string_view plain) {
  const bool negative = !plain.empty() && plain.front() == '-';
  if (negative) plain.remove_prefix(1);
  const std::size_t point = plain.find('.');
  const std::string_view whole = plain.substr(0, point);
  std::string out = negative ? "-" : "";
  out.reserve(plain.size() + plain.size() / 3 + 2);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    // A dot before each group of three digits counted from the decimal comma.
    if (i > 0 && (whole.size() - i) % 3 == 0) out += '.';
    out += whole[i];
  }
  if (point != std::string_view::npos) out.append(",").append(plain.substr(point + 1));
  return out;
}

std::string german_number(double value, int decimals) {
  return german_number(fmt::format("{:.{}f}", value, decimals));
}

std::string german_euros(__int128 cents) {
  // Digit by digit, in one pass: a report writes about a thousand amounts, and formatting each
  // twice (fmt, then the grouping) was a tenth of the report's time. The same text as
  // german_number(format_euros(cents)) + " €".
  const unsigned __int128 m = magnitude(cents);
  const unsigned __int128 whole = m / 100;
  const unsigned rest = static_cast<unsigned>(m % 100);
  char digits[64];  // backwards: 2^127 has 39 digits, with 12 dots
  std::size_t n = 0;
  auto put = [&](auto w) {  // 64-bit division where the amount fits, as it always does in practice
    for (int in_group = 0;; ++in_group) {
      if (in_group == 3) digits[n++] = '.', in_group = 0;
      digits[n++] = static_cast<char>('0' + static_cast<unsigned>(w % 10));
      w /= 10;
      if (w == 0) break;
    }
  };
  if (whole >> 64 == 0) put(static_cast<std::uint64_t>(whole));
  else put(whole);
  std::string out;
  out.reserve(n + 10);
  if (cents < 0) out += '-';
  while (n > 0) out += digits[--n];
  out += ',';
  out += static_cast<char>('0' + rest / 10);
  out += static_cast<char>('0' + rest % 10);
  return out += "\u00A0€";
}

std::string german_positions(std::int64_t halves) { return german_number(format_positions(halves)); }

}  // namespace kimsim
