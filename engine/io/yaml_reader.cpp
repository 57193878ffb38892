#include "io/yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "io/csv.hpp"
#include "io/suggest.hpp"
#include "io/text.hpp"

namespace kimsim::io {

namespace {

/// Amounts up to 10^13 EUR: sums of thousands of them still fit in 64-bit cents.
constexpr std::uint64_t kMaxCents = 1'000'000'000'000'000;

/// An amount written with digit groups ("55_000", "50_000_000.00") without its underscores; the
/// text as it is where it has none; nullopt where an underscore stands anywhere else ("_5", "5_",
/// "5_0_0", "1_000.00_0"): a group is one to three digits, then groups of exactly three, all
/// before the decimal point.
std::optional<std::string> without_digit_groups(const std::string& text) {
  if (text.find('_') == std::string::npos) return text;
  const std::size_t point = std::min(text.find('.'), text.size());
  if (text.find('_', point) != std::string::npos) return std::nullopt;
  const std::string whole = text.substr(0, point);
  std::size_t start = 0, group = 0;
  std::string out;
  for (std::size_t end;; start = end + 1, ++group) {
    end = std::min(whole.find('_', start), whole.size());
    const std::string digits = whole.substr(start, end - start);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    if (group == 0 ? digits.size() > 3 : digits.size() != 3) return std::nullopt;
    out += digits;
    if (end == whole.size()) break;
  }
  return out + text.substr(point);
}

}  // namespace

std::string Reader::locate(const YAML::Node& at, const std::string& path) const {
  // A node looked up by a key the map does not have is invalid, and its Mark() throws: such an
  // error is placed at the file alone.
  const YAML::Mark m = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  std::string where = file_of(path);
  if (!m.is_null() && m.line >= 0)
    where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  return path.empty() ? where : where + ": " + path;
}

void Reader::error(const YAML::Node& at, const std::string& path, const std::string& what) { say(locate(at, path), path, what); }

void Reader::say(const std::string& where, const std::string& path, const std::string& what) {
  errors_.push_back(where + ": " + what);
  if (path == "data" || path.rfind("data.", 0) == 0) ++data_errors;
}

void Reader::error_among(const YAML::Node& map, const std::string& path, const std::vector<std::string>& keys,
                         const std::string& what) {
  std::size_t layer = merged_.file_index(path);
  const std::string* latest = nullptr;
  for (const auto& k : keys)
    if (map.IsMap() && map[k])
      if (const std::size_t by = merged_.file_index(join(path, k)); by < layer) layer = by, latest = &k;
  if (latest) error(map[*latest], join(path, *latest), what);
  else error(map, path, what);
}

void Reader::place(const YAML::Node& at, const std::string& path) {
  // A node looked up by a key the map does not have is invalid, and its Mark() throws: such an
  // error is placed at the file alone.
  const YAML::Mark m = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  if (!path.empty() && !m.is_null() && m.line >= 0)
    places.set(path, {file_of(path), static_cast<std::size_t>(m.line + 1), static_cast<std::size_t>(m.column + 1)},
               merged_.file_index(path));
}

void Reader::refer(std::vector<Ref>& to, const YAML::Node& n, const std::string& path) {
  if (n && n.IsScalar()) to.push_back({n.Scalar(), locate(n, path)});
}

void Reader::refer_all(std::vector<Ref>& to, const YAML::Node& seq, const std::string& path) {
  for (std::size_t i = 0; seq && seq.IsSequence() && i < seq.size(); ++i)
    refer(to, seq[i], item_path(path, seq[i], i));
}

bool Reader::mapping(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known,
                     const std::vector<std::string>& required) {
  if (!map.IsMap()) {
    error(map, path, "expected a mapping with the keys " + comma_list(known) + ", " + got(map));
    return false;
  }
  std::set<std::string> seen;
  place(map, path);
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      error(kv.first, path, "a key must be plain text");
      continue;
    }
    const std::string key = kv.first.Scalar();
    place(kv.second, join(path, key));
    // yaml-cpp keeps the first of two equal keys silently; a hand-written file means the second.
    if (!seen.insert(key).second) error(kv.first, join(path, key), "duplicate key");
    if (std::find(known.begin(), known.end(), key) == known.end())
      error(kv.first, join(path, key), "unknown key" + did_you_mean(key, known) + "; expected one of " + comma_list(known));
  }
  for (const auto& r : required) {
    if (map[r]) continue;
    // Taken out by a variant's `remove`: said at that entry, not at the base's mapping.
    if (const auto by = merged_.removed.find(join(path, r)); by != merged_.removed.end())
      say(by->second + ": " + join(path, r), join(path, r),
          "removes a value the scenario needs (missing key '" + r + "'): set the value instead of removing it");
    else
      error(map, path, "missing key '" + r + "'");
  }
  return true;
}

std::optional<std::string> Reader::text(const YAML::Node& map, const std::string& path, const std::string& key) {
  const YAML::Node n = map[key];
  if (!n) return std::nullopt;
  if (!n.IsScalar()) {
    error(n, join(path, key), "expected text, " + got(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> Reader::key(const YAML::Node& k, const std::string& path) {
  if (!k.IsScalar()) {
    error(k, path, "a key must be plain text, " + got(k));
    return std::nullopt;
  }
  const std::string here = std::to_string(k.Mark().line + 1) + ":" + std::to_string(k.Mark().column + 1);
  const auto [at, fresh] = keys_seen_[path].emplace(k.Scalar(), here);
  if (!fresh) {
    error(k, join(path, k.Scalar()), "duplicate key (first at " + at->second + "): yaml-cpp would keep the first value "
                                     "silently; keep one");
    return std::nullopt;
  }
  return k.Scalar();
}

std::optional<Cents> Reader::euros(const YAML::Node& map, const std::string& path, const std::string& key) {
  const YAML::Node n = map[key];
  if (!n) return std::nullopt;
  return amount(n, join(path, key));
}

std::optional<Cents> Reader::amount(const YAML::Node& n, const std::string& at) {
  const std::string written = n.IsScalar() ? n.Scalar() : "";
  const auto grouped = without_digit_groups(written);
  if (!grouped) {
    error(n, at, "expected an amount in EUR such as 55000.00 or 55_000.00; '" + written +
                                  "' has an underscore that does not separate groups of three digits before the "
                                  "decimal point (as in 50_000_000.00)");
    return std::nullopt;
  }
  const std::string& s = *grouped;
  const auto d = parse_decimal(s);
  const auto cents = d && d->decimals <= 2 ? scale_to(*d, 2, kMaxCents) : std::nullopt;
  if (!n.IsScalar() || !cents) {
    std::string why;
    if (!n.IsScalar()) why = ", " + got(n);
    else if (d && d->decimals > 2) why = "; '" + n.Scalar() + "' has more than two decimals";
    else if (d) why = "; '" + written + "' is out of range (max " + power_of_ten(kMaxCents / 100) +
                      " EUR: sums of thousands of amounts must fit in 64-bit cents)";
    else if (const auto magnitude = s.size() > 1 && s[0] == '-' ? parse_decimal(s.substr(1)) : std::nullopt;
             magnitude && magnitude->digits > 0)
      why = " (amounts must not be negative)";
    else why = "; " + decimal_problem(s);
    error(n, at, "expected an amount in EUR with at most two decimals, such as 55000.00" + why);
    return std::nullopt;
  }
  return static_cast<Cents>(*cents);
}

std::uint64_t Reader::max_cents() { return kMaxCents; }

std::optional<Halves> Reader::vza(const YAML::Node& n, const std::string& path) {
  const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
  std::string why;
  if (d) {
    const auto tenths = scale_to(*d, 1, 1u << 30);
    if (d->decimals <= 1 && tenths && *tenths % 5 == 0) return static_cast<Halves>(*tenths / 5);
    if (!tenths && d->decimals <= 1) why = "; '" + n.Scalar() + "' is out of range (max " + std::to_string((1u << 30) / 10) + ")";
  }
  error(n, path, "expected a number of positions (VZÄ) in steps of 0.5, such as 3.5" +
                     (n.IsScalar() && !d ? "; " + decimal_problem(n.Scalar()) : n.IsScalar() ? why : ", " + got(n)));
  return std::nullopt;
}

std::optional<double> Reader::number(const YAML::Node& n, const std::string& path) {
  const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
  if (!d) {
    error(n, path, "expected a non-negative number" + (n.IsScalar() ? "; " + decimal_problem(n.Scalar()) : ", " + got(n)));
    return std::nullopt;
  }
  return static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
}

std::optional<double> Reader::signed_number(const YAML::Node& n, const std::string& path) {
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  const bool minus = !s.empty() && s[0] == '-';
  const auto d = n.IsScalar() ? parse_decimal(minus ? s.substr(1) : s) : std::nullopt;
  if (!d) {
    error(n, path, "expected a number" +
                       (n.IsScalar() ? "; " + decimal_problem(minus ? s.substr(1) : s) : ", " + got(n)));
    return std::nullopt;
  }
  const double v = static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
  return minus && v != 0 ? -v : v;
}

std::optional<std::uint64_t> Reader::whole(const YAML::Node& n, const std::string& path, std::uint64_t lo, std::uint64_t hi,
                                           const std::string& what) {
  const auto v = n.IsScalar() ? parse_whole(n.Scalar()) : std::nullopt;
  if (v && *v >= lo && *v <= hi) return v;
  error(n, path, "expected " + what + ", " + got(n));
  return std::nullopt;
}

std::string Reader::got(const YAML::Node& n) {
  if (n.IsScalar()) {
    // A whole file read as one value (extends: naming a CSV) is shown by its start, not 4 KB of it.
    const std::string& v = n.Scalar();
    constexpr std::size_t kShown = 60;
    if (v.size() <= kShown + 20) return "got '" + v + "'";
    std::size_t cut = kShown;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    return "got '" + v.substr(0, cut) + "…' (" + std::to_string(v.size()) + " bytes)";
  }
  if (n.IsSequence()) return "got a list";
  if (n.IsMap()) return "got a mapping";
  return "got nothing";
}

std::vector<std::string> Reader::strings(const YAML::Node& map, const std::string& path, const std::string& key) {
  std::vector<std::string> out;
  const YAML::Node n = map[key];
  if (!n) return out;
  if (!n.IsSequence()) {
    error(n, join(path, key), "expected a list");
    return out;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (n[i].IsScalar()) out.push_back(n[i].Scalar());
    else error(n[i], join(path, key) + "[" + std::to_string(i) + "]", "expected text");
  }
  return out;
}

Key Reader::distribution_key(const YAML::Node& node, const std::string& path) {
  Key out;
  if (!node.IsMap()) {
    error(node, path, "expected a mapping of indicator to weight, such as {population: 0.9, area_km2: 0.1}");
    return out;
  }
  for (const auto& kv : node) {
    const auto name = key(kv.first, path);
    if (!name) continue;
    refer(indicators, kv.first, join(path, *name));
    if (auto w = number(kv.second, join(path, *name))) out.terms.push_back({*name, *w});
  }
  if (node.size() == 0) error(node, path, "a key needs at least one indicator with a weight");
  // Weights that add up to zero share nothing out (the shares would be 0/0).
  else if (out.terms.size() == node.size() && std::none_of(out.terms.begin(), out.terms.end(), [](const auto& t) { return t.weight > 0; }))
    error(node, path, "a key needs at least one indicator with a positive weight");
  return out;
}

void Reader::cap(const YAML::Node& c, const std::string& path, Key& key) {
  if (!mapping(c, path, {"indicator", "factor"}, {"indicator", "factor"})) return;
  key.cap_indicator = text(c, path, "indicator");
  refer(indicators, c["indicator"], path + ".indicator");
  if (c["factor"]) key.cap_factor = number(c["factor"], path + ".factor").value_or(1);
  // The caps add up to the factor and the shares to 1: below 1, no shares can keep to their caps.
  if (key.cap_factor < 1) error(c["factor"], path + ".factor", "a cap factor must be at least 1");
}

// ---------------------------------------------------------------------------------------------
// The rules' view of a mapping.

bool YamlBlock::has(std::string_view key) const { return bool(at(key)); }

std::vector<std::string> YamlBlock::keys() {
  std::vector<std::string> out;
  for (const auto& kv : node_) {
    if (free_keys_) {
      if (const auto k = rd_.key(kv.first, path_)) out.push_back(*k);
    } else if (kv.first.IsScalar() && std::find(out.begin(), out.end(), kv.first.Scalar()) == out.end()) {
      out.push_back(kv.first.Scalar());  // checked by Reader::mapping
    }
  }
  return out;
}

std::optional<std::string> YamlBlock::text(std::string_view key) { return rd_.text(node_, path_, std::string(key)); }

std::vector<std::string> YamlBlock::texts(std::string_view key) { return rd_.strings(node_, path_, std::string(key)); }

std::optional<Cents> YamlBlock::euros(std::string_view key) { return rd_.euros(node_, path_, std::string(key)); }

std::optional<Halves> YamlBlock::vza(std::string_view key) { return has(key) ? rd_.vza(at(key), path(key)) : std::nullopt; }

std::optional<std::uint64_t> YamlBlock::seed(std::string_view key) {
  return has(key) ? rd_.seed(at(key), path(key)) : std::nullopt;
}

Key YamlBlock::distribution_key(std::string_view key, std::string_view cap) {
  Key k;
  if (has(key)) k = rd_.distribution_key(at(key), path(key));
  if (has(cap)) rd_.cap(at(cap), path(cap), k);
  return k;
}

std::unique_ptr<BlockReader> YamlBlock::block(std::string_view key, const std::vector<std::string>& known,
                                              const std::string& what) {
  const YAML::Node n = at(key);
  if (!known.empty()) {
    if (!rd_.mapping(n, path(key), known, {})) return nullptr;
  } else if (!n.IsMap()) {
    rd_.error(n, path(key), "expected a mapping of " + what);
    return nullptr;
  }
  return std::make_unique<YamlBlock>(rd_, n, path(key), known.empty());
}

void YamlBlock::error(std::string_view key, const std::string& what) {
  if (key.empty()) rd_.error(node_, path_, what);
  else rd_.error(at(key), path(key), what);
}

std::string YamlBlock::did_you_mean(std::string_view word, const std::vector<std::string>& known) const {
  return io::did_you_mean(word, known);
}

}  // namespace kimsim::io
