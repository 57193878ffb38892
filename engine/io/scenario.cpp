#include "io/scenario.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "io/csv.hpp"
#include "io/input.hpp"
#include "io/suggest.hpp"
#include "io/text.hpp"
#include "io/variant.hpp"
#include "kimsim/format.hpp"

namespace kimsim::io {

ScenarioError::ScenarioError(std::vector<std::string> errors)
    : InputError([&] {
        std::string s;
        for (const auto& e : errors) s += (s.empty() ? "" : "\n") + e;
        return s;
      }()),
      errors_(std::move(errors)) {}

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxScenarioBytes = 1 << 20;


// ---------------------------------------------------------------------------------------------
// Strict YAML. A scenario is read by people as much as by kimsim, so every value must stand where
// it applies: anchors, aliases and merge keys, which make a value stand elsewhere (and let one edit
// change several places unseen), are refused. So are texts that yaml-cpp reads in a surprising
// way: an unclosed quote silently swallows the rest of the file, tabs in the indentation give
// "illegal map value", a megabyte of '[' takes seconds and ends in "bad file" at 1:1.

constexpr std::size_t kMaxYamlDepth = 32;  // a scenario nests 6 levels deep

/// Amounts up to 10^13 EUR: sums of thousands of them still fit in 64-bit cents.
constexpr std::uint64_t kMaxCents = 1'000'000'000'000'000;

const std::string kWhyNoAnchors =
    "anchors and aliases are not supported in scenarios: every value must stand where it applies, so "
    "that the file reads as it runs and one edit cannot change several places";

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

/// "file:line:column" of a byte offset.
std::string locate_offset(const std::string& file, std::string_view text, std::size_t offset) {
  const TextPlace p = place_of(text, offset);
  return file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

/// Lines indented with tabs: YAML indents with spaces only. One message for the first, with the
/// number of further lines, since a file indented with tabs has them everywhere.
std::optional<std::string> tab_indentation(const std::string& file, std::string_view text) {
  std::optional<std::size_t> first;
  std::size_t more = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    const std::size_t content = line.find_first_not_of(" \t\r");
    const std::size_t tab = line.substr(0, content).find('\t');
    if (content != std::string_view::npos && tab != std::string_view::npos) {  // yaml-cpp refuses it before comments too
      if (first) ++more;
      else first = start + tab;
    }
    start = end + 1;
  }
  if (!first) return std::nullopt;
  return locate_offset(file, text, *first) + ": a tab in the indentation: YAML indents with spaces only" +
         (more ? " (" + std::to_string(more) + " more line" + (more == 1 ? "" : "s") + " below)" : "");
}

/// The offset where flow brackets ('[', '{') open more than kMaxYamlDepth deep. yaml-cpp scans a
/// flow collection to its end before it reports anything, so this is found here, outside quoted
/// values and comments. (Block nesting is counted exactly on yaml-cpp's events.)
std::optional<std::size_t> too_deep_brackets(std::string_view text) {
  std::size_t depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i], prev = i == 0 ? '\n' : text[i - 1];
    if (quote) {
      if (quote == '"' && c == '\\') ++i;
      else if (c == quote && quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    const bool blank = prev == '\n' || prev == ' ' || prev == '\t' || prev == '\r';
    const bool token_start = blank || prev == '[' || prev == '{' || prev == ',';
    if (c == '#' && blank) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if ((c == '"' || c == '\'') && token_start) {
      quote = c;
    } else if ((c == '[' || c == '{') && token_start) {
      if (++depth > kMaxYamlDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

/// `flow`: the nesting is of brackets, where an unclosed one is the usual cause.
std::string too_deep_message(bool flow) {
  return "nesting deeper than " + std::to_string(kMaxYamlDepth) + " levels (a scenario needs 6)" +
         (flow ? ": is a bracket not closed?" : ": is the indentation off?");
}

/// Watches yaml-cpp's parse events for what a scenario must not contain; nothing is built.
class StrictYaml : public YAML::EventHandler {
 public:
  struct TooDeep {};  ///< thrown to stop parsing: deeper input can only cost time

  StrictYaml(const std::string& file, std::string_view text, std::vector<std::string>& problems)
      : file_(file), text_(text), problems_(problems),
        bom_(text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0) {}

  void OnDocumentStart(const YAML::Mark& m) override {
    if (++documents_ < 2) return;
    const std::size_t at = bom_ + static_cast<std::size_t>(std::max(m.pos, 0));
    if (text_.substr(at, 3) == "---")
      report(m, "a second YAML document ('---'): a scenario file holds exactly one");
    else  // yaml-cpp found text it cannot take and starts over (it would do so forever)
      report(m, "text that is not part of any YAML value (a stray ',', ']' or '}' at the top?)");
  }
  int documents() const { return documents_; }
  /// The last quoted value that ran on over several lines: where it opened (0-based line and
  /// column) and the line where a quote closed it.
  struct Spanning {
    int line = -1, column = 0, closed = 0;
  };
  const Spanning& spanning() const { return spanning_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { item(); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    item();
    const bool known = anchor >= 1 && anchor <= anchors_.size();
    report(m, "alias '*" + (known ? anchors_[anchor - 1].first : std::string("?")) + "'" +
                  (known ? " (anchor on line " + std::to_string(anchors_[anchor - 1].second + 1) + ")" : "") + ": " +
                  kWhyNoAnchors + "; write the value out here");
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t, const std::string& value) override {
    // A plain "<<" key is YAML's merge key; a quoted one is an ordinary (unknown) key.
    if (is_key() && tag == "?" && value == "<<")
      report(m, "merge key '<<': " + kWhyNoAnchors + "; write the keys out here");
    item();
    if (tag != "?") check_closed(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value style) override {
    open(m, false, style == YAML::EmitterStyle::Flow);
  }
  void OnSequenceEnd() override { levels_.pop_back(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value style) override {
    open(m, true, style == YAML::EmitterStyle::Flow);
  }
  void OnMapEnd() override { levels_.pop_back(); }
  void OnAnchor(const YAML::Mark& m, const std::string& name) override {
    anchors_.emplace_back(name, m.line);  // anchor ids count from 1 in this order
    report(m, "anchor '&" + name + "': " + kWhyNoAnchors + "; write the value out at each place it is used");
  }

 private:
  struct Level {
    bool map;
    std::size_t items;  // in a mapping, keys and values alternate
  };

  void report(const YAML::Mark& m, const std::string& what) {
    problems_.push_back(file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + what);
  }
  bool is_key() const { return !levels_.empty() && levels_.back().map && levels_.back().items % 2 == 0; }
  void item() {
    if (!levels_.empty()) ++levels_.back().items;
  }
  void open(const YAML::Mark& m, bool map, bool flow) {
    item();
    levels_.push_back({map, 0});
    if (levels_.size() > kMaxYamlDepth) {
      report(m, too_deep_message(flow));
      throw TooDeep{};
    }
  }
  /// A quoted value must have its closing quote: yaml-cpp takes the rest of the file instead.
  void check_closed(const YAML::Mark& m) {
    std::size_t i = bom_ + static_cast<std::size_t>(m.pos);
    while (i < text_.size() && (text_[i] == '!' || text_[i] == '&')) {  // a tag or anchor before it
      while (i < text_.size() && !std::isspace(static_cast<unsigned char>(text_[i]))) ++i;
      while (i < text_.size() && std::isspace(static_cast<unsigned char>(text_[i]))) ++i;
    }
    if (i >= text_.size() || (text_[i] != '"' && text_[i] != '\'')) return;  // a block scalar
    const char quote = text_[i];
    for (std::size_t k = i + 1; k < text_.size(); ++k) {
      if (quote == '"' && text_[k] == '\\') ++k;
      else if (quote == '\'' && text_[k] == '\'' && k + 1 < text_.size() && text_[k + 1] == '\'') ++k;
      else if (text_[k] == quote) {
        // Legal YAML, but in a scenario almost always a quote left open that a later one closed.
        if (const auto lines = std::count(text_.begin() + long(i), text_.begin() + long(k), '\n'); lines > 0)
          spanning_ = {m.line, m.column, m.line + static_cast<int>(lines)};
        return;
      }
    }
    report(m, std::string("this quoted value is never closed: a missing ") + quote +
                  " makes the rest of the file part of it");
  }

  const std::string& file_;
  std::string_view text_;
  std::vector<std::string>& problems_;
  std::size_t bom_;
  int documents_ = 0;
  std::vector<Level> levels_;
  std::vector<std::pair<std::string, int>> anchors_;  // name, 0-based line
  Spanning spanning_;
};

/// "file:line:column: not valid YAML: ..." from yaml-cpp's exception.
std::string not_valid_yaml(const std::string& file, const YAML::Exception& e) {
  std::string s = file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                  ": not valid YAML: " + e.msg;
  if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) s += " (and " + kWhyNoAnchors + ")";
  return s;
}

}  // namespace

std::vector<std::string> strict_yaml_problems(std::string_view text, const std::string& file) {
  if (const auto enc = foreign_byte_order_mark(text))
    return {file + ":1:1: the file is " + *enc + " (byte order mark); kimsim reads UTF-8: save it as UTF-8"};
  if (const auto bad = find_bad_bytes(text)) return {locate_offset(file, text, bad->offset) + ": " + describe_bad_byte(*bad)};
  std::vector<std::string> problems;
  if (auto tab = tab_indentation(file, text)) problems.push_back(*tab);
  if (auto deep = too_deep_brackets(text)) problems.push_back(locate_offset(file, text, *deep) + ": " + too_deep_message(true));
  if (!problems.empty()) return problems;  // yaml-cpp would only add noise
  StrictYaml watch(file, text, problems);
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    // A scenario is one document; past the second there is nothing more to report. (On some
    // stray text yaml-cpp yields empty documents without end.)
    while (watch.documents() < 2 && parser.HandleNextDocument(watch)) {
    }
  } catch (const StrictYaml::TooDeep&) {
  } catch (const YAML::Exception& e) {
    std::string why = not_valid_yaml(file, e);
    // Said where the cause is: a quote left open is closed by the next one, lines later.
    if (const auto& q = watch.spanning(); q.line >= 0 && e.mark.line >= q.closed)
      why += " (the quoted value that opens at line " + std::to_string(q.line + 1) + ", column " +
             std::to_string(q.column + 1) + " runs on to line " + std::to_string(q.closed + 1) +
             ": is its closing quote missing?)";
    problems.push_back(why);
  }
  return problems;
}

namespace {

/// Reads typed values out of YAML nodes, recording located errors instead of throwing, so that
/// one run reports every problem of a file.
class Reader {
 public:
  /// Reads the merged document of a scenario and the files it extends: each value is located in
  /// the file that set it.
  Reader(const MergedScenario& merged, std::vector<std::string>& errors) : merged_(merged), errors_(errors) {}

  /// The file that set the value at `path`.
  const std::string& file_of(const std::string& path) const { return merged_.file_of(path); }

  /// "file:line:column: path" of a node.
  std::string locate(const YAML::Node& at, const std::string& path) const {
    const YAML::Mark m = at.Mark();
    std::string where = file_of(path);
    if (!m.is_null() && m.line >= 0)
      where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    return path.empty() ? where : where + ": " + path;
  }

  void error(const YAML::Node& at, const std::string& path, const std::string& what) {
    errors_.push_back(locate(at, path) + ": " + what);
    if (path == "data" || path.rfind("data.", 0) == 0) ++data_errors;
  }
  /// Errors in the `data:` block: then the data cannot be loaded to check the names against.
  std::size_t data_errors = 0;

  /// The source map: every key of every mapping read, with where its value stands.
  SourceMap places;
  void place(const YAML::Node& at, const std::string& path) {
    const YAML::Mark m = at.Mark();
    if (!path.empty() && !m.is_null() && m.line >= 0)
      places.set(path, {file_of(path), static_cast<std::size_t>(m.line + 1), static_cast<std::size_t>(m.column + 1)});
  }

  /// Names that can only be checked against the data once it is loaded, with their places.
  struct Ref {
    std::string value, where;
  };
  std::vector<Ref> indicators, regions;
  void refer(std::vector<Ref>& to, const YAML::Node& n, const std::string& path) {
    if (n && n.IsScalar()) to.push_back({n.Scalar(), locate(n, path)});
  }
  void refer_all(std::vector<Ref>& to, const YAML::Node& seq, const std::string& path) {
    for (std::size_t i = 0; seq && seq.IsSequence() && i < seq.size(); ++i)
      refer(to, seq[i], item_path(path, seq[i], i));
  }

  /// Sizes that can only be judged once the data is loaded (it gives the number of regions).
  struct Sizes {
    std::string simulation_where, replications_where, years_where;
    double replications = 0;  ///< as written: may be beyond 64 bits
    std::size_t years = 0;
  } sizes;

  /// Checks that `map` is a mapping whose keys are all known and whose required keys are there.
  bool mapping(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known,
               const std::vector<std::string>& required) {
    if (!map.IsMap()) {
      error(map, path, "expected a mapping with the keys " + list(known) + ", " + got(map));
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
        error(kv.first, join(path, key), "unknown key" + did_you_mean(key, known) + "; expected one of " + list(known));
    }
    for (const auto& r : required)
      if (!map[r]) error(map, path, "missing key '" + r + "'");
    return true;
  }

  std::optional<std::string> text(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node n = map[key];
    if (!n) return std::nullopt;
    if (!n.IsScalar()) {
      error(n, join(path, key), "expected text, " + got(n));
      return std::nullopt;
    }
    return n.Scalar();
  }

  /// A key of the mapping at `path` as text, once: a list or mapping as a key is an error (yaml-cpp
  /// allows them), and so is a key that the mapping already had (yaml-cpp would keep the first
  /// silently; a hand-written file means the second, or a slip).
  std::optional<std::string> key(const YAML::Node& k, const std::string& path) {
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

  /// Money as written ("20000000", "22500000.00", "55_000"): exact cents, no floating point.
  std::optional<Cents> euros(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node n = map[key];
    if (!n) return std::nullopt;
    const std::string written = n.IsScalar() ? n.Scalar() : "";
    const auto grouped = without_digit_groups(written);
    if (!grouped) {
      error(n, join(path, key), "expected an amount in EUR such as 55000.00 or 55_000.00; '" + written +
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
      error(n, join(path, key), "expected an amount in EUR with at most two decimals, such as 55000.00" + why);
      return std::nullopt;
    }
    return static_cast<Cents>(*cents);
  }

  /// Positions in VZÄ as half positions: 3.5 -> 7; anything not a multiple of 0.5 is an error.
  std::optional<Halves> vza(const YAML::Node& n, const std::string& path) {
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

  std::optional<double> number(const YAML::Node& n, const std::string& path) {
    const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
    if (!d) {
      error(n, path, "expected a non-negative number" + (n.IsScalar() ? "; " + decimal_problem(n.Scalar()) : ", " + got(n)));
      return std::nullopt;
    }
    return static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
  }

  /// A number that may be negative (a distribution's parameter). "-0" is 0.
  std::optional<double> signed_number(const YAML::Node& n, const std::string& path) {
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

  /// A whole number from `lo` to `hi`, exact to the last of 64 bits (seeds use them all).
  /// `what` says what it counts, for the message.
  std::optional<std::uint64_t> whole(const YAML::Node& n, const std::string& path, std::uint64_t lo, std::uint64_t hi,
                                     const std::string& what) {
    const auto v = n.IsScalar() ? parse_whole(n.Scalar()) : std::nullopt;
    if (v && *v >= lo && *v <= hi) return v;
    error(n, path, "expected " + what + ", " + got(n));
    return std::nullopt;
  }

  /// "got '1e400'", "got a list": what a node holds, for messages.
  static std::string got(const YAML::Node& n) {
    if (n.IsScalar()) return "got '" + n.Scalar() + "'";
    if (n.IsSequence()) return "got a list";
    if (n.IsMap()) return "got a mapping";
    return "got nothing";
  }

  std::vector<std::string> strings(const YAML::Node& map, const std::string& path, const std::string& key) {
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

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  bool clean() const { return errors_.empty(); }

 private:
  const MergedScenario& merged_;
  std::vector<std::string>& errors_;
  std::map<std::string, std::map<std::string, std::string>> keys_seen_;  // per mapping path: key -> "line:column"
};

const std::vector<std::string> kTypeNames = {"kreis", "kreisfreie_stadt", "gemeinde"};
const std::string kSeedRange = "a whole number from 0 to 18446744073709551615 (64 bits)";
const std::string kYearRange = "a year from " + std::to_string(SimulationLimits::first_year) + " to " +
                               std::to_string(SimulationLimits::last_year);

std::optional<RegionType> parse_type(const std::string& s) {
  if (s == "kreis") return RegionType::kreis;
  if (s == "kreisfreie_stadt") return RegionType::kreisfreie_stadt;
  if (s == "gemeinde") return RegionType::gemeinde;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Regional data.

/// A data file as the scenario names it.
struct DataFile {
  std::string path;     // relative to the working directory
  std::string written;  // as the scenario writes it, for messages that must not depend on the checkout
  std::string entry;    // its place in the scenario ("data.kreise"), for hints
  CsvFormat format;
};

struct DataSpec {
  DataFile kreise, gemeinden;
  struct Indicator {
    DataFile file;
    std::string key;
    std::vector<std::pair<std::string, std::string>> columns;  // indicator name, CSV column
    std::string split_by;     // Kreis-level values split to Gemeinden by this indicator
    std::string split_where;  // where the scenario says so
    bool missing_zero = false;  // `missing: zero`: a region without a row counts as 0 (and is noted)
    std::string where;          // "file:line:column: data.indicators[i]"
  };
  std::vector<Indicator> indicators;
};

/// "delimiter: \";\"" as a scenario writes it.
std::string option_text(const char* option, char c) {
  return std::string(option) + ": \"" + (c == '\t' ? std::string("\\t") : std::string(1, c)) + "\"";
}

/// Reads a data file in its format; a header that only splits under another delimiter says so.
CsvTable read_data(const DataFile& f) {
  CsvTable t = read_csv(f.path, f.format);
  if (const auto d = t.other_delimiter())
    throw LocatedError({t.file, t.header.line, 1},
                       "the header does not split at " + delimiter_name(f.format.delimiter) + " but contains " +
                           delimiter_name(*d) + ": set " + option_text("delimiter", *d) + " for this file in " + f.entry);
  return t;
}

/// A data cell as a non-negative number, or a located error saying what is wrong with it (and
/// which option to set where the cell reads under the other decimal mark).
double read_number(const CsvTable& t, const CsvRow& row, std::size_t col, const DataFile& f) {
  const std::string& text = t.cell(row, col);
  const auto d = parse_decimal(text, t.format.decimal);
  if (!d) {
    std::string hint;
    if (t.format.decimal == '.' && text.find(',') != std::string::npos && parse_decimal(text, ','))
      hint = ": set " + option_text("decimal", ',') + " for this file in " + f.entry;
    throw LocatedError(t.at(row, col), "column '" + t.header.cells[col].text + "' expects a non-negative number; " +
                                           decimal_problem(text, t.format.decimal) + hint);
  }
  return static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
}

/// Refuses more regions than a simulation can hold, at the first row beyond the limit, before
/// any of them is built.
void check_region_count(const CsvTable& kreise, const CsvTable& gemeinden) {
  const std::size_t n = kreise.rows.size() + gemeinden.rows.size(), limit = SimulationLimits::regions;
  if (n <= limit) return;
  const CsvTable& t = kreise.rows.size() > limit ? kreise : gemeinden;
  const CsvRow& row = t.rows[kreise.rows.size() > limit ? limit : limit - kreise.rows.size()];
  throw LocatedError({t.file, row.line, 1}, std::to_string(n) + " regions (Kreise and Gemeinden together) need about " +
                                                human_bytes(accumulator_bytes(double(n))) +
                                                " of simulation accumulators per Baustein, year and thread; the limit is " +
                                                power_of_ten(limit) + " regions");
}

/// "; did you mean 05978? ..." where an AGS that lost its leading zero (written as a number in
/// YAML or saved by a spreadsheet) names a region; "" otherwise.
std::string ags_hint(const Regions& r, const std::string& ags, bool in_csv) {
  if (ags.empty() || ags.find_first_not_of("0123456789") != std::string::npos) return "";
  if (!r.find("0" + ags)) return "";
  return "; did you mean 0" + ags + "? " +
         (in_csv ? std::string("(a spreadsheet drops the leading zero of a number: save the column as text)")
                 : "(an AGS keeps its leading zero: write it in quotes, \"0" + ags + "\")");
}

/// Regions without a row in an indicator file. A file covers a level (Kreise and kreisfreie
/// Städte, or Gemeinden) if it has a row of it, and must then cover all of it: a missing row
/// would count as 0 and silently take the region's share away. `missing: zero` accepts that,
/// and every value so filled is named in the notes.
void check_missing(Regions& r, const std::vector<std::uint8_t>& seen, const DataSpec::Indicator& ind,
                   const std::string& name, const std::string& column) {
  bool level[2] = {false, false};  // Kreis level, Gemeinde level
  for (std::size_t i = 0; i < r.list.size(); ++i)
    if (seen[i]) level[r.list[i].type == RegionType::gemeinde] = true;
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < r.list.size(); ++i)
    if (!seen[i] && level[r.list[i].type == RegionType::gemeinde]) missing.push_back(i);
  if (missing.empty()) return;
  const auto who = [&](std::size_t i) { return r.list[i].ags + " " + r.list[i].name; };
  if (ind.missing_zero) {
    for (std::size_t i : missing)
      r.notes.push_back("indicator '" + name + "': no row for " + who(i) + " in " + ind.file.written +
                        "; counted as 0 (missing: zero)");
    return;
  }
  std::string list;
  for (std::size_t k = 0; k < missing.size() && k < 5; ++k) list += (k ? ", " : "") + who(missing[k]);
  if (missing.size() > 5) list += " and " + std::to_string(missing.size() - 5) + " more";
  const bool gemeinde = r.list[missing[0]].type == RegionType::gemeinde;
  throw InputError(ind.where + ": " + ind.file.written + " has no value in column '" + column + "' (indicator '" + name +
                   "') for " + list + "; the file has rows of " + (gemeinde ? "Gemeinden" : "Kreise and kreisfreie Städte") +
                   ", so every one needs a row: add the missing rows, or set missing: zero for this file to count them "
                   "as 0 (each is then named in the notes)");
}

/// The 53 Kreise and kreisfreie Städte and the 396 Gemeinden, with population and area, plus the
/// indicator files. Flags: every Kreis-level unit runs a KI and an ABH; a große kreisangehörige
/// Stadt has its own ABH (gkst, abh); mittlere ones are mkst; Stadt Aachen runs its own KI (ki).
/// A region's AGS as written: digits only (an empty one would match nothing and show as blank).
std::string checked_ags(const CsvTable& t, const CsvRow& row, std::size_t column) {
  const std::string& ags = t.cell(row, column);
  if (ags.empty() || ags.find_first_not_of("0123456789") != std::string::npos)
    throw LocatedError(t.at(row, column), "'" + ags + "' is not an AGS: expected digits, such as 05978 or 05978020");
  return ags;
}

Regions load_regions(const DataSpec& spec, std::vector<std::string>& inputs) {
  Regions r;
  r.indicator_names = {"population", "area_km2"};
  std::vector<std::array<double, 2>> base;
  {  // the tables are freed before the indicator files are read: a million rows take 300 MB
    const CsvTable kt = read_data(spec.kreise);
    inputs.push_back(spec.kreise.path);
    const CsvTable gt = read_data(spec.gemeinden);
    inputs.push_back(spec.gemeinden.path);
    check_region_count(kt, gt);
    r.reserve(kt.rows.size() + gt.rows.size());
    base.reserve(kt.rows.size() + gt.rows.size());
    {
      const CsvTable& t = kt;
      const auto ags = t.require("ags"), type = t.require("type"), name = t.require("name"),
                 pop = t.require("population"), area = t.require("area_km2");
      for (const auto& row : t.rows) {
        Region reg;
        reg.ags = checked_ags(t, row, ags);
        reg.name = t.cell(row, name);
        const std::string& ty = t.cell(row, type);
        if (ty == "Kreis") reg.type = RegionType::kreis;
        else if (ty == "Kreisfreie Stadt") reg.type = RegionType::kreisfreie_stadt;
        else throw LocatedError(t.at(row, type), "unknown type '" + ty + "' (expected Kreis or Kreisfreie Stadt)");
        reg.flags = {"ki", "abh"};
        if (!r.add(std::move(reg))) throw LocatedError(t.at(row, ags), "duplicate AGS " + t.cell(row, ags));
        base.push_back({read_number(t, row, pop, spec.kreise), read_number(t, row, area, spec.kreise)});
      }
    }
    {
      const CsvTable& t = gt;
      const auto ags = t.require("ags"), name = t.require("name"), kreis = t.require("kreis_ags"),
                 status = t.require("status"), pop = t.require("population"), area = t.require("area_km2");
      for (const auto& row : t.rows) {
        Region reg;
        reg.ags = checked_ags(t, row, ags);
        reg.name = t.cell(row, name);
        reg.kreis = t.cell(row, kreis);
        const auto parent = r.find(reg.kreis);
        if (!parent)
          throw LocatedError(t.at(row, kreis), "unknown Kreis AGS " + reg.kreis + ags_hint(r, reg.kreis, true));
        if (r.list[*parent].type == RegionType::gemeinde)
          throw LocatedError(t.at(row, kreis), "the AGS " + reg.kreis + " is a Gemeinde (" + r.list[*parent].name +
                                                   "): a Gemeinde belongs to a Kreis or kreisfreie Stadt");
        const std::string& st = t.cell(row, status);
        if (st == "große kreisangehörige Stadt") reg.flags = {"gkst", "abh"};
        else if (st == "mittlere kreisangehörige Stadt") reg.flags = {"mkst"};
        else if (st == "regionsangehörige Stadt Aachen") reg.flags = {"ki"};
        else if (st == "kreisfreie Stadt") reg.flags = {"kreisfrei"};
        if (!r.add(std::move(reg))) throw LocatedError(t.at(row, ags), "duplicate AGS " + t.cell(row, ags));
        base.push_back({read_number(t, row, pop, spec.gemeinden), read_number(t, row, area, spec.gemeinden)});
      }
    }
  }
  r.index();
  r.indicators = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(r.list.size()),
                                       static_cast<Eigen::Index>(2 + [&] {
                                         std::size_t n = 0;
                                         for (const auto& i : spec.indicators) n += i.columns.size();
                                         return n;
                                       }()));
  for (std::size_t i = 0; i < r.list.size(); ++i)
    r.indicators(Eigen::Index(i), 0) = base[i][0], r.indicators(Eigen::Index(i), 1) = base[i][1];
  Eigen::Index col = 2;
  for (const auto& ind : spec.indicators) {
    const CsvTable t = read_data(ind.file);
    inputs.push_back(ind.file.path);
    const auto key = t.require(ind.key);
    for (const auto& [name, column] : ind.columns) {
      const auto c = t.require(column);
      r.indicator_names.push_back(name);
      std::vector<std::uint8_t> seen(r.list.size(), 0);
      std::size_t next = 0;  // data files usually list the regions in the order of the region files
      for (const auto& row : t.rows) {
        const std::string& ags = t.cell(row, key);
        const auto i = next < r.list.size() && r.list[next].ags == ags ? std::optional<std::size_t>(next) : r.find(ags);
        if (i) next = *i + 1;
        if (!i)
          throw LocatedError(t.at(row, key), "unknown AGS " + ags + " (not in " + spec.kreise.path + " or " +
                                                 spec.gemeinden.path + ")" + ags_hint(r, ags, true));
        if (seen[*i]++) throw LocatedError(t.at(row, key), "duplicate AGS " + ags);
        r.indicators(Eigen::Index(*i), col) = read_number(t, row, c, ind.file);
      }
      check_missing(r, seen, ind, name, column);
      if (!ind.split_by.empty()) {
        // Per-Kreis values split to the Kreis' Gemeinden in proportion to another indicator.
        const auto by = r.indicator(ind.split_by);
        if (!by)
          throw InputError(ind.split_where + ": unknown indicator '" + ind.split_by + "'" +
                           did_you_mean(ind.split_by, r.indicator_names) + "; known so far: " + Reader::list(r.indicator_names));
        for (std::size_t g = 0; g < r.list.size(); ++g) {
          if (r.list[g].type != RegionType::gemeinde) continue;
          const std::size_t k = *r.find(r.list[g].kreis);
          const double total = r.indicators(Eigen::Index(k), Eigen::Index(*by));
          r.indicators(Eigen::Index(g), col) =
              total > 0 ? r.indicators(Eigen::Index(k), col) * r.indicators(Eigen::Index(g), Eigen::Index(*by)) / total : 0.0;
        }
        r.notes.push_back("indicator '" + name + "' is given per Kreis (" + ind.file.written +
                          "); Gemeinde values are split from it by " + ind.split_by + " (an estimate)");
      }
      ++col;
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The scenario.

Key read_key(Reader& rd, const YAML::Node& node, const std::string& path) {
  Key key;
  if (!node.IsMap()) {
    rd.error(node, path, "expected a mapping of indicator to weight, such as {population: 0.9, area_km2: 0.1}");
    return key;
  }
  for (const auto& kv : node) {
    const auto name = rd.key(kv.first, path);
    if (!name) continue;
    rd.refer(rd.indicators, kv.first, Reader::join(path, *name));
    if (auto w = rd.number(kv.second, Reader::join(path, *name))) key.terms.push_back({*name, *w});
  }
  if (node.size() == 0) rd.error(node, path, "a key needs at least one indicator with a weight");
  // Weights that add up to zero share nothing out (the shares would be 0/0).
  else if (key.terms.size() == node.size() && std::none_of(key.terms.begin(), key.terms.end(), [](const auto& t) { return t.weight > 0; }))
    rd.error(node, path, "a key needs at least one indicator with a positive weight");
  return key;
}

/// A key's cap: {indicator, factor} (FlüAG § 3: 125 % of the population-only share).
void read_cap(Reader& rd, const YAML::Node& c, const std::string& path, Key& key) {
  if (!rd.mapping(c, path, {"indicator", "factor"}, {"indicator", "factor"})) return;
  key.cap_indicator = rd.text(c, path, "indicator");
  rd.refer(rd.indicators, c["indicator"], path + ".indicator");
  if (c["factor"]) key.cap_factor = rd.number(c["factor"], path + ".factor").value_or(1);
  // The caps add up to the factor and the shares to 1: below 1, no shares can keep to their caps.
  if (key.cap_factor < 1) rd.error(c["factor"], path + ".factor", "a cap factor must be at least 1");
}

Selector read_selector(Reader& rd, const YAML::Node& node, const std::string& path) {
  Selector s;
  if (!rd.mapping(node, path, {"types", "flags", "include", "exclude"}, {})) return s;
  for (const auto& t : rd.strings(node, path, "types")) {
    if (auto ty = parse_type(t)) s.types.push_back(*ty);
    else rd.error(node["types"], path + ".types", "unknown region type '" + t + "'" + did_you_mean(t, kTypeNames) +
                                                      "; expected " + Reader::list(kTypeNames));
  }
  s.flags = rd.strings(node, path, "flags");
  s.include = rd.strings(node, path, "include");
  s.exclude = rd.strings(node, path, "exclude");
  for (std::size_t i = 0; i < s.include.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (s.include[i] == s.include[k])
        rd.error(node["include"][i], path + ".include[" + std::to_string(i) + "]",
                 "duplicate recipient '" + s.include[i] + "' (also include[" + std::to_string(k) + "])");
  rd.refer_all(rd.regions, node["include"], path + ".include");
  rd.refer_all(rd.regions, node["exclude"], path + ".exclude");
  // Without types or flags there is nothing to select by: `include` alone lists the recipients
  // exactly; with none of the three the selector would have to guess between all and none.
  if (!node["types"] && !node["flags"] && !node["include"])
    rd.error(node, path, "selects no region: give types (and flags) to select by kind, such as "
                         "{types: [kreis, kreisfreie_stadt]}, or include to list the recipients");
  return s;
}

/// The flat amount per VZÄ: positive, and an even number of cents, since a half position
/// receives exactly half of it.
std::optional<Cents> read_rate(Reader& rd, const YAML::Node& map, const std::string& path) {
  const auto rate = rd.euros(map, path, "rate_per_vza_eur");
  if (rate && (*rate == 0 || *rate % 2 != 0))
    rd.error(map["rate_per_vza_eur"], Reader::join(path, "rate_per_vza_eur"),
             "the amount per VZÄ must be above 0 with an even number of cents, since a half position receives half of it");
  return rate;
}

Baustein read_baustein(Reader& rd, const YAML::Node& node, const std::string& path) {
  Baustein b;
  const std::vector<std::string> known = {"id", "name", "budget_eur", "rate_per_vza_eur", "recipients",
                                          "fixed_staffing", "positions_by_key", "money_by_key",
                                          "residual", "pass_through", "source"};
  if (!rd.mapping(node, path, known, {"id", "name", "budget_eur", "recipients"})) return b;
  b.id = rd.text(node, path, "id").value_or("");
  b.name = rd.text(node, path, "name").value_or("");
  b.budget = rd.euros(node, path, "budget_eur").value_or(0);
  b.rate_per_vza = read_rate(rd, node, path).value_or(0);
  if (node["recipients"]) b.recipients = read_selector(rd, node["recipients"], path + ".recipients");
  if (auto s = rd.text(node, path, "source")) b.sources.push_back(*s);
  if (auto r = rd.text(node, path, "residual")) {
    if (*r == "unallocated") b.residual = Residual::unallocated;
    else if (*r == "split_by_key") b.residual = Residual::split_by_key;
    else rd.error(node["residual"], path + ".residual", "unknown value '" + *r + "'" +
                  did_you_mean(*r, std::vector<std::string>{"unallocated", "split_by_key"}) +
                  "; expected unallocated or split_by_key");
  }
  int rules = 0;
  if (const YAML::Node f = node["fixed_staffing"]) {
    ++rules;
    const std::string p = path + ".fixed_staffing";
    FixedStaffing fs;
    if (rd.mapping(f, p, {"per_type", "per_flag", "per_member_flag"}, {})) {
      if (f["per_type"] && rd.mapping(f["per_type"], p + ".per_type", kTypeNames, {}))
        for (const auto& kv : f["per_type"])
          if (auto t = kv.first.IsScalar() ? parse_type(kv.first.Scalar()) : std::nullopt)
            if (auto h = rd.vza(kv.second, p + ".per_type." + kv.first.Scalar())) fs.per_type[*t] = *h;
      for (const char* which : {"per_flag", "per_member_flag"}) {
        if (!f[which]) continue;
        if (!f[which].IsMap()) {
          rd.error(f[which], p + "." + which, "expected a mapping of flag to positions");
          continue;
        }
        for (const auto& kv : f[which]) {
          const auto flag = rd.key(kv.first, p + "." + which);
          if (!flag) continue;
          if (auto h = rd.vza(kv.second, p + "." + which + "." + *flag))
            (std::string(which) == "per_flag" ? fs.per_flag : fs.per_member_flag)[*flag] = *h;
        }
      }
    }
    b.rule = fs;
    if (!node["rate_per_vza_eur"]) rd.error(node, path, "fixed_staffing needs rate_per_vza_eur");
  }
  if (const YAML::Node k = node["positions_by_key"]) {
    ++rules;
    const std::string p = path + ".positions_by_key";
    PositionsByKey pk;
    if (rd.mapping(k, p, {"key", "cap", "unit_vza", "base_vza", "min_vza", "max_vza", "method", "ties", "seed"}, {"key"})) {
      if (k["key"]) pk.key = read_key(rd, k["key"], p + ".key");
      if (k["cap"]) read_cap(rd, k["cap"], p + ".cap", pk.key);
      if (k["unit_vza"]) pk.unit = rd.vza(k["unit_vza"], p + ".unit_vza").value_or(1);
      if (pk.unit <= 0) rd.error(k["unit_vza"], p + ".unit_vza", "the unit must be at least 0.5");
      if (k["base_vza"]) pk.base = rd.vza(k["base_vza"], p + ".base_vza").value_or(0);
      if (k["min_vza"]) pk.min = rd.vza(k["min_vza"], p + ".min_vza");
      if (k["max_vza"]) pk.max = rd.vza(k["max_vza"], p + ".max_vza");
      const std::string method = rd.text(k, p, "method").value_or("sainte-lague");
      if (auto m = parse_method(method)) pk.rule.method = *m;
      else rd.error(k["method"], p + ".method", "unknown method '" + method + "'" + did_you_mean(method, method_names()));
      const std::string ties = rd.text(k, p, "ties").value_or("error");
      if (auto t = parse_tie_policy(ties)) pk.rule.ties = *t;
      else rd.error(k["ties"], p + ".ties", "unknown tie policy '" + ties + "'; expected error, order or lot");
      if (k["seed"]) pk.rule.seed = rd.whole(k["seed"], p + ".seed", 0, UINT64_MAX, kSeedRange).value_or(0);
    }
    b.rule = pk;
    if (!node["rate_per_vza_eur"]) rd.error(node, path, "positions_by_key needs rate_per_vza_eur");
  }
  if (const YAML::Node m = node["money_by_key"]) {
    ++rules;
    const std::string p = path + ".money_by_key";
    MoneyByKey mk;
    if (rd.mapping(m, p, {"key", "cap", "minimum_eur"}, {"key"})) {
      if (m["key"]) mk.key = read_key(rd, m["key"], p + ".key");
      if (m["cap"]) read_cap(rd, m["cap"], p + ".cap", mk.key);
      mk.minimum = rd.euros(m, p, "minimum_eur").value_or(0);
    }
    b.rule = mk;
  }
  if (rules != 1)
    rd.error(node, path, "needs exactly one rule: fixed_staffing, positions_by_key or money_by_key");
  if (const YAML::Node pts = node["pass_through"]) {
    if (!pts.IsSequence()) rd.error(pts, path + ".pass_through", "expected a list");
    for (std::size_t i = 0; pts.IsSequence() && i < pts.size(); ++i) {
      const std::string p = item_path(path + ".pass_through", pts[i], i);
      PassThrough pt;
      if (!rd.mapping(pts[i], p, {"kreis", "key", "gemeinden", "waived", "minimum_vza", "source"},
                      {"kreis", "key", "gemeinden"}))
        continue;
      pt.kreis = rd.text(pts[i], p, "kreis").value_or("");
      rd.refer(rd.regions, pts[i]["kreis"], p + ".kreis");
      rd.refer(rd.indicators, pts[i]["key"], p + ".key");
      rd.refer_all(rd.regions, pts[i]["gemeinden"], p + ".gemeinden");
      rd.refer_all(rd.regions, pts[i]["waived"], p + ".waived");
      pt.key = rd.text(pts[i], p, "key").value_or("");
      pt.gemeinden = rd.strings(pts[i], p, "gemeinden");
      pt.waived = rd.strings(pts[i], p, "waived");
      // A Gemeinde either takes part or waives, once: listed twice, which applies is a guess.
      std::map<std::string, std::string> listed;
      for (const char* which : {"gemeinden", "waived"}) {
        const auto& list = std::string(which) == "gemeinden" ? pt.gemeinden : pt.waived;
        for (std::size_t k = 0; k < list.size(); ++k) {
          const std::string here = std::string(which) + "[" + std::to_string(k) + "]";
          const auto [at, fresh] = listed.emplace(list[k], here);
          if (!fresh)
            rd.error(pts[i][which][k], p + "." + here,
                     "'" + list[k] + "' is already " + at->second +
                         (at->second.rfind(which, 0) == 0 ? ": list each Gemeinde once"
                                                          : ": a Gemeinde either takes part (gemeinden) or waives (waived)"));
        }
      }
      if (pts[i]["minimum_vza"]) pt.minimum = rd.vza(pts[i]["minimum_vza"], p + ".minimum_vza").value_or(1);
      pt.source = rd.text(pts[i], p, "source").value_or("");
      b.pass_through.push_back(pt);
    }
  }
  return b;
}


Distribution read_distribution(Reader& rd, const YAML::Node& n, const std::string& path) {
  using K = Distribution::Kind;
  static const std::vector<std::pair<std::string, std::pair<K, std::vector<std::string>>>> kinds = {
      {"fixed", {K::fixed, {"value"}}},          {"uniform", {K::uniform, {"min", "max"}}},
      {"triangular", {K::triangular, {"min", "mode", "max"}}}, {"normal", {K::normal, {"mean", "sd"}}},
      {"lognormal", {K::lognormal, {"mu", "sigma"}}}, {"beta", {K::beta, {"alpha", "beta"}}},
      {"bernoulli", {K::bernoulli, {"p"}}}};
  Distribution d;
  if (n.IsScalar()) {  // a plain number is a fixed value
    d.a = rd.signed_number(n, path).value_or(0);
    return d;
  }
  std::vector<std::string> names;
  for (const auto& k : kinds) names.push_back(k.first);
  const std::string dist = n.IsMap() ? rd.text(n, path, "dist").value_or("") : "";
  auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == dist; });
  if (it == kinds.end()) {
    rd.error(n, path, (dist.empty() ? std::string("missing 'dist'") : "unknown distribution '" + dist + "'" + did_you_mean(dist, names)) +
                          "; expected a number or {dist: " + Reader::list(names) + ", ...}");
    return d;
  }
  std::vector<std::string> known = {"dist"};
  known.insert(known.end(), it->second.second.begin(), it->second.second.end());
  if (!rd.mapping(n, path, known, known)) return d;
  d.kind = it->second.first;
  double* slots[] = {&d.a, &d.b, &d.c};
  for (std::size_t k = 0; k < it->second.second.size(); ++k)
    if (n[it->second.second[k]]) *slots[k] = rd.signed_number(n[it->second.second[k]], path + "." + it->second.second[k]).value_or(0);
  const bool complete = std::all_of(known.begin(), known.end(), [&](const std::string& k) { return bool(n[k]); });
  if (const std::string why = d.check(); complete && !why.empty()) rd.error(n, path, "invalid parameters: " + why);
  return d;
}

/// A probability in [0, 1].
double read_probability(Reader& rd, const YAML::Node& v, const std::string& p) {
  const auto x = rd.number(v, p);
  if (x && *x > 1) rd.error(v, p, "a probability must lie between 0 and 1");
  return std::min(1.0, x.value_or(1.0));
}

void read_uptake(Reader& rd, const YAML::Node& u, const std::string& path, SimulationSpec& s) {
  if (!rd.mapping(u, path, {"by_type", "per_recipient", "non_applicants"}, {})) return;
  if (u["by_type"] && rd.mapping(u["by_type"], path + ".by_type", kTypeNames, {}))
    for (const auto& kv : u["by_type"])
      if (auto t = kv.first.IsScalar() ? parse_type(kv.first.Scalar()) : std::nullopt)
        s.uptake_by_type[*t] = read_probability(rd, kv.second, path + ".by_type." + kv.first.Scalar());
  if (const YAML::Node pr = u["per_recipient"]) {
    if (!pr.IsMap()) rd.error(pr, path + ".per_recipient", "expected a mapping of AGS to probability, " + Reader::got(pr));
    for (const auto& kv : pr.IsMap() ? pr : YAML::Node()) {
      const auto ags = rd.key(kv.first, path + ".per_recipient");
      if (!ags) continue;
      rd.refer(rd.regions, kv.first, path + ".per_recipient");
      s.uptake_per_recipient[*ags] = read_probability(rd, kv.second, path + ".per_recipient." + *ags);
    }
  }
  const std::string na = rd.text(u, path, "non_applicants").value_or("lapse");
  if (na == "redistribute") s.redistribute = true;
  else if (na != "lapse") rd.error(u["non_applicants"], path + ".non_applicants", "expected lapse or redistribute");
}

void read_years(Reader& rd, const YAML::Node& ys, const std::string& path, SimulationSpec& s) {
  if (!ys.IsSequence()) {
    rd.error(ys, path, "expected a list of {year, budget_factor, rate_per_vza_eur}, " + Reader::got(ys));
    return;
  }
  rd.sizes.years = ys.size();
  rd.sizes.years_where = rd.locate(ys, path);
  for (std::size_t i = 0; i < ys.size(); ++i) {
    const std::string p = item_path(path, ys[i], i);
    if (!rd.mapping(ys[i], p, {"year", "budget_factor", "rate_per_vza_eur"}, {"year"})) continue;
    SimulationYear y;
    if (ys[i]["year"]) y.year = static_cast<int>(rd.whole(ys[i]["year"], p + ".year", SimulationLimits::first_year, SimulationLimits::last_year, kYearRange).value_or(0));
    if (const YAML::Node f = ys[i]["budget_factor"]) {
      // Budgets are scaled in millionths of the factor, in 64-bit cents.
      y.budget_factor = rd.number(f, p + ".budget_factor").value_or(1);
      if (y.budget_factor > 1000) rd.error(f, p + ".budget_factor", "expected a factor from 0 to 1000, " + Reader::got(f));
    }
    y.rate_per_vza = read_rate(rd, ys[i], p);
    y.where = rd.locate(ys[i], p);
    // Years run in order, each once: hold-harmless carries one year's positions into the next.
    if (y.year && !s.years.empty() && s.years.back().year && y.year <= s.years.back().year)
      rd.error(ys[i]["year"], p + ".year",
               y.year == s.years.back().year
                   ? "the year " + std::to_string(y.year) + " is given twice: each year once"
                   : "the years must increase: " + std::to_string(y.year) + " comes after " +
                         std::to_string(s.years.back().year) + " (" + item_path(path, ys[i - 1], i - 1) + ")");
    s.years.push_back(y);
  }
}

SimulationSpec read_simulation(Reader& rd, const YAML::Node& n) {
  const std::string path = "simulation";
  SimulationSpec s;
  if (!rd.mapping(n, path, {"replications", "seed", "uptake", "start_month", "months_to_fill", "cost_per_vza_eur",
                            "indicator_noise", "years", "hold_harmless"}, {}))
    return s;
  rd.sizes.simulation_where = rd.locate(n, path);
  if (const YAML::Node r = n["replications"]) {
    // The upper limit is checked with the data loaded, where the time it would take can be told.
    const std::string text = r.IsScalar() ? r.Scalar() : "";
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || text.find_first_not_of('0') == std::string::npos)
      rd.error(r, path + ".replications", "expected a whole number of replications from 1 to " +
                                              power_of_ten(SimulationLimits::replications) + ", " + Reader::got(r));
    else {
      rd.sizes.replications = std::strtod(text.c_str(), nullptr);  // no exception beyond 10^308
      rd.sizes.replications_where = rd.locate(r, path + ".replications");
      s.replications = parse_whole(text).value_or(UINT64_MAX);
    }
  }
  if (n["seed"]) s.seed = rd.whole(n["seed"], path + ".seed", 0, UINT64_MAX, kSeedRange).value_or(0);
  if (const YAML::Node u = n["uptake"]) read_uptake(rd, u, path + ".uptake", s);
  if (n["start_month"]) s.start_month = read_distribution(rd, n["start_month"], path + ".start_month");
  if (n["months_to_fill"]) s.months_to_fill = read_distribution(rd, n["months_to_fill"], path + ".months_to_fill");
  if (n["cost_per_vza_eur"]) s.cost_per_vza_eur = read_distribution(rd, n["cost_per_vza_eur"], path + ".cost_per_vza_eur");
  if (const YAML::Node noise = n["indicator_noise"]) {
    if (!noise.IsMap()) rd.error(noise, path + ".indicator_noise", "expected a mapping of indicator to distribution, " + Reader::got(noise));
    for (const auto& kv : noise.IsMap() ? noise : YAML::Node()) {
      const auto name = rd.key(kv.first, path + ".indicator_noise");
      if (!name) continue;
      rd.refer(rd.indicators, kv.first, path + ".indicator_noise." + *name);
      s.indicator_noise[*name] = read_distribution(rd, kv.second, path + ".indicator_noise." + *name);
    }
  }
  if (const YAML::Node ys = n["years"]) read_years(rd, ys, path + ".years", s);
  if (const YAML::Node h = n["hold_harmless"]) {
    if (h.IsScalar() && (h.Scalar() == "true" || h.Scalar() == "false")) s.hold_harmless = h.Scalar() == "true";
    else rd.error(h, path + ".hold_harmless", "expected true or false, " + Reader::got(h));
  }
  return s;
}

/// The delimiter and decimal mark of a data file, from its entry (defaults ',' and '.').
CsvFormat read_format(Reader& rd, const YAML::Node& entry, const std::string& path) {
  CsvFormat f;
  if (const auto d = rd.text(entry, path, "delimiter")) {
    if (*d == "," || *d == ";" || *d == "\t") f.delimiter = (*d)[0];
    else rd.error(entry["delimiter"], path + ".delimiter", "expected \",\", \";\" or \"\\t\" (tab), got '" + *d + "'");
  }
  if (const auto d = rd.text(entry, path, "decimal")) {
    if (*d == "." || *d == ",") f.decimal = (*d)[0];
    else rd.error(entry["decimal"], path + ".decimal", "expected \".\" or \",\", got '" + *d + "'");
  }
  if (f.decimal == f.delimiter)
    rd.error(entry["decimal"], path + ".decimal",
             "the decimal mark must differ from the delimiter: with decimal: \",\" set delimiter: \";\"");
  return f;
}

/// A data file: its name, or {file, delimiter, decimal} for files in another format. Relative
/// names are relative to the scenario's folder.
DataFile read_data_file(Reader& rd, const YAML::Node& node, const std::string& path,
                        const std::vector<std::string>& more_keys = {}, const std::vector<std::string>& more_required = {}) {
  DataFile f;
  f.entry = path;
  if (node.IsMap()) {
    std::vector<std::string> known = {"file", "delimiter", "decimal"};
    known.insert(known.end(), more_keys.begin(), more_keys.end());
    std::vector<std::string> required = {"file"};
    required.insert(required.end(), more_required.begin(), more_required.end());
    if (!rd.mapping(node, path, known, required)) return f;
    f.format = read_format(rd, node, path);
  }
  // Not `name = node["file"]`: assigning a YAML::Node overwrites the node it refers to.
  const YAML::Node name = node.IsMap() ? node["file"] : node;
  const std::string name_path = node.IsMap() ? path + ".file" : path;
  if (!name) return f;
  if (!name.IsScalar()) {
    rd.error(name, name_path, "expected a file name or {file: ..., delimiter: \";\", decimal: \",\"}, " + Reader::got(name));
    return f;
  }
  f.written = name.Scalar();
  // Relative to the folder of the scenario that names it (a variant may sit elsewhere than its base).
  f.path = (fs::path(rd.file_of(name_path)).parent_path() / f.written).lexically_normal().string();
  // Checked here so that every data file that cannot be read is reported with the other errors.
  if (const std::string why = input_problem(f.path); !why.empty()) rd.error(name, name_path, "data file " + f.path + ": " + why);
  return f;
}

/// The `data:` block: the Kreise, the Gemeinden and the indicator files.
void read_data_spec(Reader& rd, const YAML::Node& root, DataSpec& spec) {
  const YAML::Node d = root["data"];
  if (!d || !rd.mapping(d, "data", {"kreise", "gemeinden", "indicators"}, {"kreise", "gemeinden"})) return;
  if (d["kreise"]) spec.kreise = read_data_file(rd, d["kreise"], "data.kreise");
  if (d["gemeinden"]) spec.gemeinden = read_data_file(rd, d["gemeinden"], "data.gemeinden");
  const YAML::Node inds = d["indicators"];
  if (!inds) return;
  if (!inds.IsSequence()) rd.error(inds, "data.indicators", "expected a list of {file, key, columns}, " + Reader::got(inds));
  std::size_t count = 2;  // population and area
  // Each indicator name once: a second definition would be ignored (the first is the one found).
  std::map<std::string, std::string> defined = {{"population", "data.gemeinden and data.kreise (built in)"},
                                                {"area_km2", "data.gemeinden and data.kreise (built in)"}};
  for (std::size_t i = 0; inds.IsSequence() && i < inds.size(); ++i) {
    const std::string p = item_path("data.indicators", inds[i], i);
    if (!inds[i].IsMap()) {
      rd.error(inds[i], p, "expected a mapping with the keys file, key, columns, " + Reader::got(inds[i]));
      continue;
    }
    DataSpec::Indicator ind;
    ind.file = read_data_file(rd, inds[i], p, {"key", "columns", "split_to_gemeinden", "missing", "source"},
                              {"key", "columns"});
    if (!inds[i]["key"] || !inds[i]["columns"]) continue;  // reported by read_data_file
    ind.where = rd.locate(inds[i], p);
    if (const auto m = rd.text(inds[i], p, "missing")) {
      if (*m == "zero") ind.missing_zero = true;
      else if (*m != "error")
        rd.error(inds[i]["missing"], p + ".missing", "unknown value '" + *m + "'" +
                                                         did_you_mean(*m, std::vector<std::string>{"error", "zero"}) +
                                                         "; expected error (the default) or zero");
    }
    ind.key = rd.text(inds[i], p, "key").value_or("");
    ind.split_by = rd.text(inds[i], p, "split_to_gemeinden").value_or("");
    if (inds[i]["split_to_gemeinden"]) ind.split_where = rd.locate(inds[i]["split_to_gemeinden"], p + ".split_to_gemeinden");
    const YAML::Node cols = inds[i]["columns"];
    if (!cols.IsMap()) rd.error(cols, p + ".columns", "expected a mapping of indicator name to CSV column, " + Reader::got(cols));
    for (const auto& kv : cols.IsMap() ? cols : YAML::Node()) {
      const auto name = rd.key(kv.first, p + ".columns");
      if (!name) continue;
      if (!kv.second.IsScalar()) rd.error(kv.second, p + ".columns." + *name, "expected a CSV column name, " + Reader::got(kv.second));
      else if (const auto [at, fresh] = defined.emplace(*name, p + ".columns"); !fresh)
        rd.error(kv.first, p + ".columns." + *name,
                 "the indicator '" + *name + "' is already defined by " + at->second + "; give this one another name");
      else ind.columns.emplace_back(*name, kv.second.Scalar());
    }
    if (count <= SimulationLimits::indicators && count + ind.columns.size() > SimulationLimits::indicators)
      rd.error(cols, p + ".columns", std::to_string(count + ind.columns.size()) +
                                         " indicators (population and area included); the limit is " +
                                         std::to_string(SimulationLimits::indicators) +
                                         " (" + SimulationLimits::indicators_reason + ")");
    count += ind.columns.size();
    spec.indicators.push_back(ind);
  }
}

/// "1234.50" from cents, also for sums beyond 64 bits.
std::string euros_text(__int128 cents) { return format_euros(cents); }

/// `validation:` observed positions per Baustein and AGS, and a published total.
void read_validation(Reader& rd, const YAML::Node& v, Scenario& s) {
  if (!rd.mapping(v, "validation", {"observed_positions", "published_positions_over", "source"}, {})) return;
  if (v["published_positions_over"])
    s.published_positions_over = rd.number(v["published_positions_over"], "validation.published_positions_over");
  const YAML::Node o = v["observed_positions"];
  if (!o) return;
  const std::string path = "validation.observed_positions";
  if (!o.IsMap()) rd.error(o, path, "expected a mapping of Baustein to {AGS: positions}, " + Reader::got(o));
  for (const auto& bkv : o.IsMap() ? o : YAML::Node()) {
    const auto id = rd.key(bkv.first, path);
    if (!id) continue;
    if (!bkv.second.IsMap()) {
      rd.error(bkv.second, path + "." + *id, "expected a mapping of AGS to positions, " + Reader::got(bkv.second));
      continue;
    }
    for (const auto& kv : bkv.second) {
      const auto ags = rd.key(kv.first, path + "." + *id);
      if (!ags) continue;
      rd.refer(rd.regions, kv.first, path + "." + *id + "." + *ags);
      if (auto x = rd.number(kv.second, path + "." + *id + "." + *ags)) s.observed[*id + ":" + *ags] = *x;
    }
  }
}

/// The first control character in `text` (C0 but tab and line feed, DEL, C1): its code point.
std::optional<unsigned> control_character(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) return c;
    if (c == 0xC2 && i + 1 < text.size()) {  // U+0080..U+009F in UTF-8
      const auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x80 && d <= 0x9F) return d;
    }
  }
  return std::nullopt;
}

/// Refuses control characters in every key and text value. The file's raw bytes are checked
/// before parsing; these come from escapes ("\e[2J", "\x07", "\0"), which would clear or
/// retitle the terminal that shows a name, or cut it short in summary.json.
void refuse_control_characters(Reader& rd, const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    if (const auto c = control_character(n.Scalar())) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", *c);
      rd.error(n, path, std::string("the control character ") + code +
                            " (from an escape such as \\e, \\x07 or \\0) in a text: it would act on the terminal or "
                            "cut the text short rather than show; remove it");
    } else if (find_bad_bytes(n.Scalar())) {
      // The file is UTF-8, but the escapes \N, \_ and \xHH give single bytes that are not.
      rd.error(n, path, "the text is not UTF-8 once its escapes are read (\\N, \\_ and \\xHH give single bytes): "
                        "write the character itself");
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) refuse_control_characters(rd, n[i], item_path(path, n[i], i));
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      // A key with a control character is not repeated in the message: it would act there too.
      const bool plain = kv.first.IsScalar() && !control_character(kv.first.Scalar());
      const std::string key = plain ? kv.first.Scalar() : "?";
      refuse_control_characters(rd, kv.first, path.empty() ? "(a key)" : path + " (a key)");
      refuse_control_characters(rd, kv.second, Reader::join(path, key));
    }
  }
}

/// Reads the whole document into `out`, recording errors in `rd`.
void read_document(Reader& rd, const YAML::Node& root, LoadedScenario& out,
                   DataSpec& spec) {
  Scenario& s = out.scenario;
  const std::vector<std::string> known = {"scenario", "programme", "year", "budget_eur", "sources",
                                          "assumptions", "data", "bausteine", "validation", "simulation"};
  if (!rd.mapping(root, "", known, {"scenario", "programme", "year", "budget_eur", "data", "bausteine"}))
    return;
  const std::optional<std::string> name = rd.text(root, "", "scenario");
  s.name = name.value_or("");
  s.programme = rd.text(root, "", "programme").value_or("");
  if (root["year"]) s.year = static_cast<int>(rd.whole(root["year"], "year", SimulationLimits::first_year, SimulationLimits::last_year, kYearRange).value_or(0));
  s.budget = rd.euros(root, "", "budget_eur").value_or(0);
  s.sources = rd.strings(root, "", "sources");
  s.assumptions = rd.strings(root, "", "assumptions");
  // The name is the default output folder, results/NAME: it must name a folder of its own ("" would
  // be results/ itself, ".." the working folder), with room for the run's temporary suffixes.
  if (name && (s.name.empty() || s.name == "." || s.name == ".." || s.name.size() > 200 ||
                           s.name.find_first_of("/\\ ") != std::string::npos))
    rd.error(root["scenario"], "scenario",
             "the name is used as a folder name: 1 to 200 bytes, not '.' or '..', no spaces or slashes, such as "
             "kim-nrw-2021");

  read_data_spec(rd, root, spec);
  if (const YAML::Node bs = root["bausteine"]) {
    if (!bs.IsSequence() || bs.size() == 0) rd.error(bs, "bausteine", "expected a list of Bausteine");
    std::set<std::string> ids;
    for (std::size_t i = 0; bs.IsSequence() && i < bs.size(); ++i) {
      const std::string p = item_path("bausteine", bs[i], i);
      Baustein b = read_baustein(rd, bs[i], p);
      if (!b.id.empty() && !ids.insert(b.id).second) rd.error(bs[i]["id"], p + ".id", "duplicate Baustein id '" + b.id + "'");
      s.bausteine.push_back(std::move(b));
    }
    // In 128 bits: thousands of Bausteine at the largest amount would overflow 64.
    __int128 sum = 0;
    for (const auto& b : s.bausteine) sum += b.budget;
    if (rd.clean() && sum != s.budget)
      rd.error(root["budget_eur"], "budget_eur", "the Bausteine add up to " + euros_text(sum) + " EUR, not to the total budget");
  }
  if (const YAML::Node v = root["validation"]) read_validation(rd, v, s);
  if (root["simulation"]) out.simulation = read_simulation(rd, root["simulation"]);
}

}  // namespace

namespace {

/// The scenario's text, refused when it is too large to be a scenario.
std::string read_scenario_text(const std::string& path) {
  try {
    return read_input(path, kMaxScenarioBytes, "for a scenario (scenarios are short; data belongs in CSV files)");
  } catch (const InputError& e) {
    throw ScenarioError({e.what()});
  }
}

/// Parses a scenario that passed strict_yaml_problems.
YAML::Node parse_scenario(const std::string& text, const std::string& path) {
  // A file of white space alone is a null document with no place of its own: say what it holds.
  if (const std::string blank = blank_file(text); !blank.empty())
    throw ScenarioError({path + ": " + blank + ": expected a mapping with the keys scenario, programme, year, budget_eur, "
                                "data, bausteine"});
  if (auto problems = strict_yaml_problems(text, path); !problems.empty()) throw ScenarioError(problems);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError({not_valid_yaml(path, e)});
  }
  // A file of comments only is a null document too.
  if (root.IsNull())
    throw ScenarioError({path + ":1:1: the file holds no scenario: expected a mapping with the keys scenario, "
                                "programme, year, budget_eur, data, bausteine"});
  return root;
}

/// Sizes of the simulation block that need the number of regions to be judged: the time its
/// replications take and the memory its years need.
void check_simulation_size(const Reader& rd, const LoadedScenario& out, std::vector<std::string>& errors) {
  if (!out.simulation) return;
  const SimulationSize size = size_of(out, *out.simulation, rd.sizes.replications);
  if (!rd.sizes.replications_where.empty())
    if (auto why = replications_problem(size); !why.empty()) errors.push_back(rd.sizes.replications_where + ": " + why);
  if (auto why = years_problem(size); !why.empty())
    errors.push_back((rd.sizes.years_where.empty() ? rd.sizes.simulation_where : rd.sizes.years_where) + ": " + why);
}

}  // namespace

SimulationSize size_of(const LoadedScenario& ls, const SimulationSpec& spec, double replications) {
  SimulationSize s;
  s.replications = replications > 0 ? replications : static_cast<double>(spec.replications);
  s.years = spec.years.empty() ? 1 : spec.years.size();
  s.bausteine = ls.scenario.bausteine.size();
  s.regions = ls.regions.list.size();
  return s;
}

namespace {

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// "5000 years x 3 Bausteine x 449 regions"
std::string dimensions(const SimulationSize& s) {
  return count_of(s.years, "year", "years") + " x " + count_of(s.bausteine, "Baustein", "Bausteine") + " x " +
         count_of(s.regions, "region", "regions");
}

double slots_of(const SimulationSize& s) {
  return static_cast<double>(s.years) * static_cast<double>(s.bausteine) * static_cast<double>(s.regions);
}

std::string replications_text(double r) {
  if (r < 1e19) return std::to_string(static_cast<std::uint64_t>(r));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", r);
  return buf;
}

}  // namespace

std::string replications_problem(const SimulationSize& s) {
  if (s.replications <= static_cast<double>(SimulationLimits::replications)) return "";
  return replications_text(s.replications) + " replications of " + dimensions(s) + " take about " +
         human_seconds(replication_seconds(s.replications, slots_of(s))) + " of CPU time; the limit is " +
         power_of_ten(SimulationLimits::replications);
}

std::string years_problem(const SimulationSize& s) {
  const std::string need = dimensions(s) + " need about " + human_bytes(accumulator_bytes(slots_of(s))) +
                           " of accumulators per thread; the limit is ";
  if (s.years > SimulationLimits::years)
    return need + std::to_string(SimulationLimits::years) + " years (" + SimulationLimits::years_reason + ")";
  if (slots_of(s) > static_cast<double>(SimulationLimits::slots))
    return need + power_of_ten(SimulationLimits::slots) + " (year, Baustein, region) slots, about " +
           human_bytes(accumulator_bytes(static_cast<double>(SimulationLimits::slots)));
  return "";
}

std::string threads_problem(int threads, const SimulationSize& s) {
  if (threads <= SimulationLimits::threads) return "";
  const double each = accumulator_bytes(slots_of(s));
  return "every thread keeps its own accumulators, about " + human_bytes(each) + " for " + dimensions(s) + ", " +
         human_bytes(each * threads) + " in all; the limit is " + std::to_string(SimulationLimits::threads) + " threads";
}

MergedScenario resolve_scenario(const std::string& path, const LoadOptions& options, std::vector<DatedValue>* dated) {
  const std::optional<int>& year = options.year;
  const ParseScenarioFile parse = [](const std::string& file, std::string& text) {
    text = read_scenario_text(file);
    return parse_scenario(text, file);
  };
  MergedScenario merged = merge_chain(path, parse, {"fixed_staffing", "positions_by_key", "money_by_key"}, options.extends);
  if (year) {
    // The year the command line asks for: its dated values, and the year of every report.
    if (merged.root.IsMap() && merged.root["year"]) {
      YAML::Node y = merged.root["year"];
      y = std::to_string(*year);
    } else if (merged.root.IsMap()) {
      merged.root["year"] = std::to_string(*year);
    }
  }
  // Dated values settle for the scenario's year; a year that is not one is reported by the reader.
  std::vector<std::string> errors;
  int settle_for = 0;
  if (merged.root.IsMap() && merged.root["year"] && merged.root["year"].IsScalar())
    if (const auto y = parse_whole(merged.root["year"].Scalar()); y && *y >= 1000 && *y <= 9999) settle_for = static_cast<int>(*y);
  std::vector<DatedValue> values = settle_dated(merged, settle_for, errors);
  if (!errors.empty()) throw ScenarioError(errors);
  if (dated) *dated = std::move(values);
  return merged;
}

LoadedScenario load_scenario(const std::string& path, const LoadOptions& options) {
  LoadedScenario out;
  out.path = path;
  std::vector<std::string> errors;
  const MergedScenario merged = resolve_scenario(path, options, &out.dated);
  const YAML::Node root = merged.root;
  for (const auto& f : merged.files) out.inputs.push_back(f.path);
  out.chain = merged.files.size();
  Reader rd(merged, errors);
  DataSpec spec;
  try {
    refuse_control_characters(rd, root, "");
    // Stop here: the messages below quote values, and would pass the characters on.
    if (!errors.empty()) throw ScenarioError(errors);
    read_document(rd, root, out, spec);
  } catch (const YAML::Exception& e) {
    // A shape the reader did not expect (e.g. a list where text belongs): still a located error.
    errors.push_back(merged.files[0].path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": unexpected structure: " + e.msg);
    ++rd.data_errors;  // the reading stopped there: what it did not reach cannot be checked
  }
  // The names the rules use are checked against the data even where the document has other
  // errors, so that one run lists them all; only a broken `data:` block (or a shape the reader
  // did not expect) stops here.
  if (!errors.empty() && (rd.data_errors > 0 || !root.IsMap() || !root["data"])) throw ScenarioError(errors);
  out.scenario.places = std::move(rd.places);

  try {
    out.regions = load_regions(spec, out.inputs);
  } catch (const InputError& e) {
    errors.push_back(e.what());
    throw ScenarioError(errors);
  }
  // Names that the rules use must exist in the data.
  for (const auto& r : rd.indicators)
    if (!out.regions.indicator(r.value))
      errors.push_back(r.where + ": no data provides the indicator '" + r.value + "'" +
                       did_you_mean(r.value, out.regions.indicator_names) + "; known: " +
                       Reader::list(out.regions.indicator_names));
  for (const auto& r : rd.regions)
    if (!out.regions.find(r.value))
      errors.push_back(r.where + ": unknown AGS '" + r.value + "'" + ags_hint(out.regions, r.value, false));
  check_simulation_size(rd, out, errors);
  if (!errors.empty()) throw ScenarioError(errors);
  return out;
}

}  // namespace kimsim::io
