// "Did you mean": the closest known word to a misspelt one.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace kimsim::io {

/// The code points of UTF-8 text, lower case for ASCII and Latin-1's capitals (Ä, Ö, Ü: the
/// names' letters). A byte that starts no valid sequence stands for itself.
inline std::vector<char32_t> folded_letters(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = c;
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + n > s.size()) n = 1;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) n = 1;
    if (n > 1) {
      cp = c & (0x7F >> n);
      for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) cp += 0x20;
    out.push_back(cp);
    i += n;
  }
  return out;
}

/// Levenshtein distance in letters (code points), case-insensitive: "Koln" is one letter from
/// "Köln" (two bytes), and closer to it than to "Bonn".
inline std::size_t edit_distance(std::string_view a_text, std::string_view b_text) {
  const std::vector<char32_t> a = folded_letters(a_text), b = folded_letters(b_text);
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

/// The letters of UTF-8 text (code points), for "within a third of the word's length".
inline std::size_t letters(std::string_view s) { return folded_letters(s).size(); }

/// " (did you mean 'x'?)" for the closest candidate within a third of the word's length, else "".
template <typename Range>
std::string did_you_mean(std::string_view word, const Range& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, letters(word) / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = std::string(c);
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

/// "a, b, c": known words, for "expected one of ...".
inline std::string comma_list(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : ", ") + w;
  return s;
}

}  // namespace kimsim::io
