// Strict YAML: what makes a text unfit to be read as a scenario, found before yaml-cpp builds
// anything (see strict_yaml_problems in io/scenario.hpp).
#include "io/strict_yaml.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "io/scenario.hpp"
#include "io/text.hpp"

namespace kimsim::io {

namespace {

// Strict YAML. A scenario is read by people as much as by kimsim, so every value must stand where
// it applies: anchors, aliases and merge keys, which make a value stand elsewhere (and let one edit
// change several places unseen), are refused. So are texts that yaml-cpp reads in a surprising
// way: an unclosed quote silently swallows the rest of the file, tabs in the indentation give
// "illegal map value", a megabyte of '[' takes seconds and ends in "bad file" at 1:1.

constexpr std::size_t kMaxYamlDepth = 32;  // a scenario nests 6 levels deep

const std::string kWhyNoAnchors =
    "anchors and aliases are not supported in scenarios: every value must stand where it applies, so "
    "that the file reads as it runs and one edit cannot change several places";

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

}  // namespace

/// Line `line` (0-based) of text, without its line end; "" past the end.
static std::string_view line_of(std::string_view text, int line) {
  std::size_t at = 0;
  for (int k = 0; k < line; ++k) {
    at = text.find('\n', at);
    if (at == std::string_view::npos) return {};
    ++at;
  }
  const std::size_t end = text.find('\n', at);
  return text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
}

/// "file:line:column: not valid YAML: ..." from yaml-cpp's exception.
std::string not_valid_yaml(const std::string& file, const YAML::Exception& e) {
  std::string s = file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                  ": not valid YAML: " + e.msg;
  if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) s += " (and " + kWhyNoAnchors + ")";
  return s;
}

std::vector<std::string> strict_yaml_problems(std::string_view text, const std::string& file) {
  if (const auto enc = foreign_byte_order_mark(text))
    return {file + ":1:1: the file is " + *enc + " (byte order mark); kimsim reads UTF-8: save it as UTF-8"};
  if (const auto bad = find_bad_bytes(text)) return {locate_offset(file, text, bad->offset) + ": " + describe_bad_byte(*bad)};
  // yaml-cpp reads a lone CR as text, and then fails on something else, somewhere later.
  for (std::size_t cr = text.find('\r'); cr != std::string_view::npos; cr = text.find('\r', cr + 1))
    if (cr + 1 == text.size() || text[cr + 1] != '\n')
      return {locate_offset(file, text, cr) + ": a carriage return (CR) without a line feed: kimsim reads lines that end in "
                                              "LF or CRLF (is the file from an old Mac? save it with LF line ends)"};
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
    // A path such as bausteine[B2].key in a flow list ([a, b]) opens a list of its own.
    if (const std::string_view line = line_of(text, e.mark.line); line.find('[') != std::string_view::npos) {
      for (std::size_t k = 1; k < line.size(); ++k)
        if (line[k] == '[' && (std::isalnum(static_cast<unsigned char>(line[k - 1])) || line[k - 1] == '_')) {
          why += " (a path with [...] inside a [...] list must be quoted: [\"bausteine[B2].pass_through\"], or "
                 "written as a block list, one '- path' per line)";
          break;
        }
    }
    problems.push_back(why);
  }
  return problems;
}

}  // namespace kimsim::io
