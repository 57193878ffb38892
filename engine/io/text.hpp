// Checks on input text before it is parsed, and sizes written for people: shared by the scenario
// and CSV readers so that both name a bad byte, and an absurd size, the same way.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kimsim::io {

/// 1-based line and byte column of a byte offset (columns count bytes, as every located message
/// of kimsim does).
struct TextPlace {
  std::size_t line = 1, column = 1;
};

inline TextPlace place_of(std::string_view text, std::size_t offset) {
  TextPlace p;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++p.line, p.column = 1;
    else ++p.column;
  }
  return p;
}

/// Length of the valid UTF-8 sequence at `i`, or 0 where the bytes there are not UTF-8
/// (overlong forms, surrogates and code points above U+10FFFF included).
inline std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned c = b(0);
  const auto cont = [&](std::size_t k) { return (b(k) & 0xC0u) == 0x80u; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return b(1) >= lo && b(1) <= hi && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return b(1) >= lo && b(1) <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/// A byte that does not belong in a text file: one outside UTF-8, or a control character other
/// than tab, line feed and carriage return.
struct BadByte {
  std::size_t offset = 0;
  unsigned char value = 0;
  bool control = false;
  std::size_t more = 0;  ///< further bad bytes after it
};

inline std::optional<BadByte> find_bad_bytes(std::string_view text) {
  std::optional<BadByte> first;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
    // U+0080..U+009F: valid UTF-8, but C1 control characters (0x9B starts an escape sequence
    // on many terminals), as unwelcome in a name as the C0 ones.
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    const std::size_t n = control || c1 ? 0 : utf8_length(text, i);
    if (n == 0) {
      const unsigned char value = c1 ? static_cast<unsigned char>(text[i + 1]) : c;
      if (first) ++first->more;
      else first = BadByte{i, value, control || c1, 0};
      i += c1 ? 2 : 1;
    } else {
      i += n;
    }
  }
  return first;
}

/// What is wrong with a bad byte, for a message located at it. German data is often saved as
/// Latin-1 or Windows-1252 (an 'ä' is the single byte 0xE4 there), hence the hint.
inline std::string describe_bad_byte(const BadByte& b) {
  const unsigned v = b.value;
  // A C1 control character is valid UTF-8: named as the code point; any other bad byte as a byte.
  std::string s = b.control ? fmt::format("the control character {} does not belong in a text file",
                                          v >= 0x80 ? fmt::format("U+{:04X}", v) : fmt::format("0x{:02X}", v))
                            : fmt::format("the byte 0x{:02X} is not UTF-8 (is the file Latin-1 or Windows-1252? save it as UTF-8)", v);
  if (b.more) s += fmt::format("; {} more such byte{}", b.more, b.more == 1 ? " follows" : "s follow");
  return s;
}

/// A byte order mark of UTF-16 or UTF-32, which kimsim does not read: the name of the encoding.
inline std::optional<std::string> foreign_byte_order_mark(std::string_view text) {
  if (text.substr(0, 4) == std::string_view("\xFF\xFE\0\0", 4) || text.substr(0, 4) == std::string_view("\0\0\xFE\xFF", 4))
    return "UTF-32";
  if (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF") return "UTF-16";
  return std::nullopt;
}

/// "335 bytes", "2.1 GiB": a size estimate for messages.
inline std::string human_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) bytes /= 1024, ++u;
  return u == 0 ? fmt::format("{:.0f} {}", bytes, units[u]) : fmt::format("{:.1f} {}", bytes, units[u]);
}

/// "40 seconds", "3.2 hours", "1.5 years": a duration estimate for messages.
inline std::string human_seconds(double s) {
  struct Unit {
    const char* name;
    double seconds;
  };
  static const Unit units[] = {{"years", 365.25 * 86400}, {"days", 86400}, {"hours", 3600}, {"minutes", 60}};
  for (const auto& u : units)
    if (s >= u.seconds)  // an absurd estimate in years reads as 1.2e+09 years, not as 10 digits
      return s / u.seconds < 1e6 ? fmt::format("{:.1f} {}", s / u.seconds, u.name)
                                 : fmt::format("{:.1e} {}", s / u.seconds, u.name);
  return fmt::format("{:.0f} seconds", s);
}

/// "10^9", "1000000": a limit as people write it.
inline std::string power_of_ten(std::uint64_t v) {
  int e = 0;
  for (std::uint64_t x = v; x >= 10 && x % 10 == 0; x /= 10) ++e;
  std::uint64_t p = 1;
  for (int k = 0; k < e; ++k) p *= 10;
  return e >= 3 && p == v ? "10^" + std::to_string(e) : std::to_string(v);
}

}  // namespace kimsim::io
