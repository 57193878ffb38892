#include "io/variant.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "io/input.hpp"
#include "io/scenario.hpp"
#include "io/suggest.hpp"

namespace kimsim::io {

namespace {

namespace fs = std::filesystem;

/// A chain deeper than this is a mistake, not a design: each level is a file someone must read.
constexpr std::size_t kMaxChain = 16;

/// The lists whose items merge by a key, by their path without selectors.
struct ListKey {
  std::string_view list, key;
};
constexpr ListKey kMergeKeys[] = {
    {"bausteine", "id"},
    {"bausteine.pass_through", "kreis"},
    {"data.indicators", "file"},
    {"simulation.years", "year"},
};

/// "bausteine[B2].pass_through[05978].key" -> "bausteine.pass_through.key".
std::string without_selectors(std::string_view path) {
  std::string out;
  int depth = 0;
  for (const char c : path) {
    if (c == '[') ++depth;
    else if (c == ']') depth = std::max(0, depth - 1);
    else if (depth == 0) out += c;
  }
  return out;
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string place(const std::string& file, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null() || m.line < 0) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

/// The merge-key value of a list item, where it has one as plain text.
std::optional<std::string> selector_of(const YAML::Node& item, std::string_view key) {
  if (key.empty() || !item.IsMap()) return std::nullopt;
  const YAML::Node v = item[std::string(key)];
  if (!v || !v.IsScalar() || v.Scalar().empty() || v.Scalar().find_first_of("[]") != std::string::npos)
    return std::nullopt;
  return v.Scalar();
}

std::optional<int> year_key(const YAML::Node& k);

class Merger {
 public:
  Merger(MergedScenario& m, const RuleKeys& rules, std::vector<std::string>& errors)
      : m_(m), rules_(rules), errors_(errors) {}

  /// Merges file `k`'s document into the merged one: its `remove` list first, then its values.
  void overlay_file(std::size_t k, const YAML::Node& patch) {
    file_ = k;
    refuse_duplicates(patch, "");
    if (const YAML::Node rm = patch["remove"]) remove_all(rm);
    overlay_map(m_.root, patch, "");
  }

 private:
  MergedScenario& m_;
  const RuleKeys& rules_;
  std::vector<std::string>& errors_;
  std::size_t file_ = 0;

  const std::string& file() const { return m_.files[file_].path; }
  std::string folder_of(std::size_t k) const { return fs::path(m_.files[k].path).parent_path().string(); }

  /// Records that the current file set the value at `path`, and that nothing below it is from
  /// another file any more.
  void set_origin(const std::string& path) {
    forget(path);
    m_.origin[path] = file_;
  }
  /// Drops the origins of the value at `path` and below (it was removed or replaced).
  void forget(const std::string& path) {
    for (auto it = m_.origin.lower_bound(path); it != m_.origin.end() && it->first.compare(0, path.size(), path) == 0;) {
      const char next = it->first.size() > path.size() ? it->first[path.size()] : '\0';
      if (next == '.' || next == '[' || next == '\0') it = m_.origin.erase(it);
      else ++it;
    }
  }

  /// Two equal keys in one mapping of a variant: yaml-cpp keeps both, and the merge took the
  /// second silently (the reader finds them in the deepest base, which it reads as it is, but a
  /// variant's reach the merged document only once).
  void refuse_duplicates(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) {
      std::map<std::string, YAML::Mark> seen;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) continue;  // reported by the reader
        const std::string key = kv.first.Scalar(), child = join(path, key);
        if (const auto [first, fresh] = seen.emplace(key, kv.first.Mark()); !fresh)
          errors_.push_back(place(file(), kv.first) + ": " + child + ": duplicate key (first at " +
                            std::to_string(first->second.line + 1) + ":" + std::to_string(first->second.column + 1) +
                            "); keep one");
        refuse_duplicates(kv.second, child);
      }
    } else if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) refuse_duplicates(n[i], item_path(path, n[i], i));
    }
  }

  /// The pair of `map` whose key is `key`, as a handle that assigns into the map.
  static std::optional<YAML::Node> value_of(YAML::Node map, const std::string& key) {
    for (auto it = map.begin(); it != map.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return YAML::Node(it->second);
    return std::nullopt;
  }

  /// Whether two items of a keyed list are the same item: equal merge keys, and for data files
  /// the same file (each written relative to the folder of the scenario that names it).
  bool same_item(std::string_view key, const std::string& base_sel, const std::string& base_path,
                 const std::string& patch_sel) const {
    if (key != "file") return base_sel == patch_sel;
    // One may be spelled through a symbolic link, the other not.
    return same_place(path_in(folder_of(m_.file_index(base_path)), base_sel), path_in(folder_of(file_), patch_sel));
  }

  /// The item of a keyed list whose merge key reads `sel` as text (a data file of the same name,
  /// relative to another folder, where same_item found none).
  static std::optional<std::size_t> same_name(const YAML::Node& list, std::string_view key, const std::string& sel) {
    for (std::size_t j = 0; j < list.size(); ++j)
      if (const auto b = selector_of(list[j], key); b && *b == sel) return j;
    return std::nullopt;
  }

  /// Two distributions of different kinds (`dist: uniform` and `dist: normal`): their parameters
  /// are others, and merged, the base's would stand beside the variant's as unknown keys, at the
  /// base's lines. The variant's replaces the base's whole, as a rule block of another type does.
  static bool other_distribution(const YAML::Node& base, const YAML::Node& patch) {
    const YAML::Node a = base["dist"], b = patch["dist"];
    return a && b && a.IsScalar() && b.IsScalar() && a.Scalar() != b.Scalar();
  }

  /// `skip`: a key left as the base wrote it — the `file` of a data file matched by it, whose
  /// name is relative to the folder of the file that wrote it (the variant's spelling would be
  /// read relative to the base's folder).
  void overlay_map(YAML::Node base, const YAML::Node& patch, const std::string& path, std::string_view skip = {}) {
    if (!patch.IsMap()) return;  // reported by the reader, where the kind matters
    // A rule block of another type replaces the base's rule: a Baustein has one rule.
    if (!path.empty() && path.back() == ']' && without_selectors(path) == "bausteine") {
      std::optional<std::string> new_rule;
      for (const auto& r : rules_)
        if (patch[r]) new_rule = r;
      if (new_rule)
        for (const auto& r : rules_)
          if (r != *new_rule && base[r]) {
            base.remove(r);
            forget(join(path, r));
          }
    }
    for (const auto& kv : patch) {
      if (!kv.first.IsScalar()) continue;  // reported by the reader
      const std::string key = kv.first.Scalar();
      if (path.empty() && (key == "extends" || key == "remove")) continue;
      if (!skip.empty() && key == skip) continue;
      const std::string child = join(path, key);
      std::optional<YAML::Node> old = value_of(base, key);
      if (!old) {
        base.force_insert(kv.first, kv.second);  // the variant's own key node: it keeps its place
        set_origin(child);
      } else if (key != "key" && old->IsMap() && kv.second.IsMap() && !other_distribution(*old, kv.second)) {
        overlay_map(*old, kv.second, child);
      } else if (old->IsSequence() && kv.second.IsSequence() && !merge_key_of(child).empty()) {
        overlay_list(*old, kv.second, child);
      } else if (old->IsSequence() && kv.second.IsSequence() && (child == "sources" || child == "assumptions")) {
        // Provenance accumulates: a variant's sources and assumptions add to its base's.
        for (const auto& item : kv.second) {
          bool known = false;
          for (const auto& b : *old) known = known || (b.IsScalar() && item.IsScalar() && b.Scalar() == item.Scalar());
          if (!known) old->push_back(item), set_origin(item_path(child, item, old->size() - 1));
        }
      } else {
        // A value, a distribution key or a list without merge key: the variant's replaces the base's.
        *old = kv.second;
        set_origin(child);
      }
    }
  }

  void overlay_list(YAML::Node base, const YAML::Node& patch, const std::string& path) {
    const std::string key = merge_key_of(path);
    std::vector<std::pair<std::string, YAML::Mark>> given;  // this file's items, by what they select
    for (std::size_t i = 0; i < patch.size(); ++i) {
      const YAML::Node item = patch[i];
      const auto sel = selector_of(item, key);
      if (sel) {
        // The same item twice in one file: the second would silently overwrite the first.
        const std::string same = key == "file" ? path_in(folder_of(file_), *sel) : *sel;
        const auto twice = std::find_if(given.begin(), given.end(), [&](const auto& g) { return g.first == same; });
        if (twice != given.end()) {
          errors_.push_back(place(file(), item) + ": " + path + "[" + *sel + "]: given twice (also at line " +
                            std::to_string(twice->second.line + 1) + "); give each " + key + " once");
          continue;
        }
        given.emplace_back(same, item.Mark());
      }
      std::optional<std::size_t> match;
      for (std::size_t j = 0; sel && !match && j < base.size(); ++j)
        if (const auto b = selector_of(base[j], key); b && same_item(key, *b, item_path(path, base[j], j), *sel)) match = j;
      if (match) {
        overlay_map(base[*match], item, item_path(path, base[*match], *match), key == "file" ? key : "");
      } else if (const auto namesake = sel ? same_name(base, key, *sel) : std::nullopt) {
        // Another file of the same name, relative to another folder: both items would have one
        // path, and the base's would be read from this file's folder (the wrong data, silently).
        const ChainFile& by = m_.files[m_.file_index(item_path(path, base[*namesake], *namesake))];
        errors_.push_back(place(file(), item) + ": " + path + "[" + *sel + "]: names " + path_in(folder_of(file_), *sel) +
                          ", and " + by.path + " names another file by the same name, " +
                          path_in(fs::path(by.path).parent_path(), *sel) +
                          "; give this file another name, or write its path so that it names that file to change it");
      } else {
        base.push_back(item);
        set_origin(item_path(path, item, base.size() - 1));
        if (key == "year") in_year_order(base);
      }
    }
  }

  /// Simulation years run in increasing order: a year a variant adds between two of its base's
  /// takes its place among them (the reader refuses a list out of order, as the author wrote it).
  static void in_year_order(YAML::Node years) {
    auto year_of = [](const YAML::Node& item) -> std::optional<int> {
      const auto y = selector_of(item, "year");
      return y ? year_key(YAML::Node(*y)) : std::nullopt;
    };
    const std::size_t last = years.size() - 1;
    const auto added = year_of(years[last]);
    if (!added) return;
    std::size_t at = last;
    while (at > 0 && year_of(years[at - 1]) && *year_of(years[at - 1]) > *added) --at;
    if (at == last) return;
    // No insert in yaml-cpp: the items are taken out and put back (the nodes themselves, not
    // copies: `a = b` between nodes would overwrite an item).
    std::vector<YAML::Node> items;
    for (std::size_t j = 0; j < years.size(); ++j) items.push_back(years[j]);
    while (years.size() > 0) years.remove(years.size() - 1);
    for (std::size_t j = 0; j < items.size(); ++j) {
      if (j == at) years.push_back(items[last]);
      if (j != last) years.push_back(items[j]);
    }
  }

  /// A value `remove` deletes: the key of a mapping, or an item of a list (by identity: its
  /// position may change as other items go).
  struct Target {
    YAML::Node parent;
    std::optional<std::string> key;
    YAML::Node item;
    std::string path;
    std::string by;  ///< the entry of `remove` that names it: "v.yaml:3:10: remove[0]"
  };

  void remove_all(const YAML::Node& rm) {
    if (!rm.IsSequence()) {
      errors_.push_back(place(file(), rm) + ": remove: expected a list of paths such as "
                                            "bausteine[B2].pass_through");
      return;
    }
    // Every path names a value of the base as the variant's author reads it: all are found before
    // any is deleted, so that `sources[0]` and `sources[1]` are the base's first two.
    std::vector<Target> targets;
    for (std::size_t i = 0; i < rm.size(); ++i) {
      const std::string entry = place(file(), rm[i]) + ": remove[" + std::to_string(i) + "]", at = entry + ": ";
      if (!rm[i].IsScalar()) {
        errors_.push_back(at + "expected a path such as bausteine[B2].pass_through");
        continue;
      }
      Target t;
      t.by = entry;
      if (const std::string why = find(rm[i].Scalar(), t); !why.empty()) {
        errors_.push_back(at + why);
        continue;
      }
      // A value named twice, or one inside another: most likely a slip for another path.
      const auto inside = [](const std::string& inner, const std::string& outer) {
        return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
               (inner[outer.size()] == '.' || inner[outer.size()] == '[');
      };
      const auto earlier = std::find_if(targets.begin(), targets.end(), [&](const Target& e) {
        return t.path == e.path || inside(t.path, e.path) || inside(e.path, t.path);
      });
      if (earlier != targets.end()) {
        const std::size_t cut = earlier->by.rfind(": ");  // "v.yaml:3:5: remove[0]"
        const std::string other = earlier->by.substr(cut + 2) + " (" + earlier->by.substr(0, cut) + ")";
        const std::string what = t.path == earlier->path ? "is named by " + other + " already"
                                 : inside(t.path, earlier->path)
                                     ? "lies inside " + earlier->path + ", which " + other + " removes already"
                                     : "holds " + earlier->path + ", which " + other + " names already";
        errors_.push_back(at + "'" + rm[i].Scalar() + "' " + what +
                          "; name each value once (removing a value removes all that lies inside it)");
        continue;
      }
      targets.push_back(std::move(t));
    }
    for (Target& t : targets) {
      if (t.key) {
        t.parent.remove(*t.key);
      } else {
        for (std::size_t j = 0; j < t.parent.size(); ++j)
          if (t.parent[j].is(t.item)) {
            t.parent.remove(j);
            break;
          }
      }
      forget(t.path);
      m_.removed[t.path] = t.by;
    }
  }

  /// Finds the value at `text` in the merged document; "" or why it cannot.
  std::string find(const std::string& text, Target& target) {
    const auto steps = parse_value_path(text);
    if (!steps)
      return "'" + text + "' is not a path: dotted keys, list items by their merge key, such as "
                          "bausteine[B2].positions_by_key.min_vza";
    YAML::Node node = m_.root;
    std::string path;
    for (std::size_t s = 0; s < steps->size(); ++s) {
      const PathStep& step = (*steps)[s];
      const bool last = s + 1 == steps->size();
      if (!node.IsMap()) return "'" + text + "' matches nothing: " + (path.empty() ? "the scenario" : path) + " is no mapping";
      std::optional<YAML::Node> value = value_of(node, step.key);
      if (!value) {
        std::vector<std::string> keys;
        for (const auto& kv : node)
          if (kv.first.IsScalar()) keys.push_back(kv.first.Scalar());
        return "'" + text + "' matches nothing: " + (path.empty() ? "the scenario" : path) + " has no key '" + step.key +
               "'" + did_you_mean(step.key, keys);
      }
      const std::string key_path = join(path, step.key);
      if (!step.item) {
        if (last) {
          target.parent.reset(node), target.key = step.key, target.path = key_path;
          return "";
        }
        node.reset(*value), path = key_path;  // reset: `=` would overwrite the node itself
        continue;
      }
      if (!value->IsSequence()) return "'" + text + "' matches nothing: " + key_path + " is no list";
      const std::string key = merge_key_of(key_path);
      std::optional<std::size_t> match;
      for (std::size_t j = 0; !match && j < value->size(); ++j) {
        const YAML::Node item = (*value)[j];
        const auto sel = selector_of(item, key);
        if (sel ? same_item(key, *sel, item_path(key_path, item, j), *step.item)
                : std::to_string(j) == *step.item)
          match = j;
      }
      if (!match) {
        std::string items;
        for (std::size_t j = 0; j < value->size(); ++j)
          items += (items.empty() ? "" : ", ") + item_path(key_path, (*value)[j], j);
        return "'" + text + "' matches nothing: " + key_path + " has no item [" + *step.item + "]" +
               (items.empty() ? "" : "; it has " + items);
      }
      const std::string at = item_path(key_path, (*value)[*match], *match);
      if (last) {
        target.parent.reset(*value), target.item.reset((*value)[*match]), target.path = at;
        return "";
      }
      node.reset((*value)[*match]), path = at;
    }
    return "";
  }
};

/// A scalar as YAML text: as it was quoted where it was, plain where that reads back the same.
std::string scalar_text(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  bool plain = n.Tag() != "!" && !s.empty() && s.front() != ' ' && s.back() != ' ' &&
               std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) == std::string_view::npos &&
               s.find(": ") == std::string::npos && s.find(" #") == std::string::npos && s.back() != ':';
  for (const unsigned char c : s) plain = plain && c >= 0x20 && c != 0x7f;
  if (plain) return s;
  std::string q = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') q += '\\', q += static_cast<char>(c);
    else if (c == '\n') q += "\\n";
    else if (c == '\t') q += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      q += "\\x", q += hex[c >> 4], q += hex[c & 15];
    } else q += static_cast<char>(c);
  }
  return q + "\"";
}

void emit(std::string& out, const YAML::Node& n, const std::string& path, std::size_t indent, const MergedScenario& m);

void emit_value(std::string& out, const YAML::Node& v, const std::string& path, std::size_t indent,
                const MergedScenario& m) {
  if (v.IsScalar() || v.IsNull()) {
    out += " " + (v.IsScalar() ? scalar_text(v) : std::string("null"));
    const YAML::Mark mk = v.Mark();
    out += "  # " + m.file_of(path);
    if (!mk.is_null() && mk.line >= 0) out += ":" + std::to_string(mk.line + 1);
    else if (path == "scenario") out += " (its file name)";
    out += "\n";
  } else if (v.size() == 0) {
    out += v.IsMap() ? " {}\n" : " []\n";
  } else {
    out += "\n";
    emit(out, v, path, indent + 2, m);
  }
}

void emit(std::string& out, const YAML::Node& n, const std::string& path, std::size_t indent, const MergedScenario& m) {
  const std::string pad(indent, ' ');
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      out += pad + (kv.first.IsScalar() ? scalar_text(kv.first) : key) + ":";
      emit_value(out, kv.second, join(path, key), indent, m);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string at = item_path(path, n[i], i);
      if (n[i].IsMap() && n[i].size() > 0) {
        std::string item;
        emit(item, n[i], at, indent + 2, m);
        out += pad + "- " + item.substr(indent + 2);
      } else {
        out += pad + "-";
        emit_value(out, n[i], at, indent, m);
      }
    }
  }
}

/// The year of a dated value's key: four digits, 1000 to 9999.
std::optional<int> year_key(const YAML::Node& k) {
  if (!k.IsScalar() || k.Scalar().size() != 4 || k.Scalar()[0] == '0') return std::nullopt;
  for (const char c : k.Scalar())
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoi(k.Scalar());
}

/// Whether a value is written as a number (the reader says whether it is a good one): a dated
/// value holds numbers, so that `columns: {2019: einwohner_2019}` stays a mapping.
bool numeric(const YAML::Node& v) {
  if (!v.IsScalar() || v.Scalar().empty()) return false;
  const char c = v.Scalar().front();
  return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

bool is_dated(const YAML::Node& n) {
  if (!n.IsMap() || n.size() == 0) return false;
  for (const auto& kv : n)
    if (!year_key(kv.first) || !numeric(kv.second)) return false;
  return true;
}

/// Mappings whose keys are names, never years: a distribution key, a file's columns and the noise
/// per indicator name indicators, and an indicator may be called 2019.
/// Mappings whose keys are recipients' AGS, never years (their values may be dated): an AGS
/// written without its leading zero, 5978 for "05978", reads as a year, and the reader's hint
/// ("did you mean 05978?") never came.
bool names_recipients(const std::string& path) {
  const std::size_t dot = path.find_last_of('.');
  const std::string last = dot == std::string::npos ? path : path.substr(dot + 1);
  // validation.observed_positions.B2: the observed positions of a Baustein's recipients.
  const std::string_view observed = "validation.observed_positions.";
  return last == "per_recipient" || last == "exclude_from" ||
         (path.rfind(observed, 0) == 0 && path.find('.', observed.size()) == std::string::npos);
}

/// A key that makes a dated value none: in a mapping whose values are all numbers and whose
/// other keys are years, a key of digits that is no year ("202", "20211"), a typo, which would
/// leave the mapping for a reader that takes a number ("got a mapping"); nothing where there is none.
std::optional<YAML::Node> mistyped_year(const YAML::Node& n) {
  if (!n.IsMap()) return std::nullopt;
  std::optional<YAML::Node> typo;
  bool years = false;
  for (const auto& kv : n) {
    if (!numeric(kv.second) || !kv.first.IsScalar()) return std::nullopt;
    const std::string& key = kv.first.Scalar();
    if (year_key(kv.first)) years = true;
    else if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    else if (!typo) typo = kv.first;
  }
  return years ? typo : std::nullopt;
}

bool names_indicators(const std::string& path) {
  const std::size_t dot = path.find_last_of('.');
  const std::string last = dot == std::string::npos ? path : path.substr(dot + 1);
  return last == "key" || last == "columns" || last == "indicator_noise";
}

void settle(YAML::Node n, const std::string& path, int year, MergedScenario& m, std::vector<DatedValue>& out,
            std::vector<std::string>& errors) {
  // Returns true where the value does not apply to the year and goes (an observation of a later year).
  auto visit = [&](YAML::Node child, const std::string& at) {
    if (names_indicators(at)) return false;
    if (const auto typo = names_recipients(at) ? std::nullopt : mistyped_year(child)) {
      errors.push_back(place(m.file_of(at + "." + typo->Scalar()), *typo) + ": " + at + ": '" + typo->Scalar() +
                       "' is not a year: a value given by year has four-digit years as keys, such as 2021");
      return false;
    }
    if (!is_dated(child) || names_recipients(at)) {
      settle(child, at, year, m, out, errors);
      return false;
    }
    DatedValue d;
    d.path = at;
    // Sorted through indices: sorting the nodes themselves would assign one YAML::Node to another
    // (yaml-cpp has no move assignment), which overwrites the first value with the second.
    std::vector<std::pair<int, YAML::Node>> given;
    for (const auto& kv : child) given.emplace_back(*year_key(kv.first), kv.second);
    std::vector<std::size_t> order(given.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return given[a].first < given[b].first; });
    for (const std::size_t i : order) d.by_year.push_back(given[i]);
    // An observation by year is what was observed in that year: other years have none (a count
    // of 2022 says nothing of 2024).
    if (year > 0 && at.rfind("validation.observed_positions.", 0) == 0 &&
        std::none_of(d.by_year.begin(), d.by_year.end(), [&](const auto& e) { return e.first == year; }))
      return true;
    if (const auto v = d.at(year)) {
      // The value is that year's entry, set by the file that wrote the entry (a variant may add a
      // year to its base's dated value): the origin moves from the mapping to it.
      int chosen = d.by_year.front().first;
      for (const auto& [y, node] : d.by_year)
        if (y <= year) chosen = y;
      const std::size_t by = m.file_index(at + "." + std::to_string(chosen));
      for (auto it = m.origin.lower_bound(at + "."); it != m.origin.end() && it->first.rfind(at + ".", 0) == 0;)
        it = m.origin.erase(it);
      m.origin[at] = by;
      child = *v;  // the mapping's node now holds that year's value, with its place
    } else if (year > 0 && at.rfind("validation.", 0) == 0) {
      // An observation (or a published figure) first dated after the year says nothing about
      // it: for that year it is not there, rather than an error.
      return true;
    } else if (year > 0) {
      errors.push_back(place(m.file_of(at), child) + ": " + at + ": no value for " + std::to_string(year) +
                       " or before: the first year given is " + std::to_string(d.by_year.front().first));
    }
    out.push_back(std::move(d));
    return false;
  };
  if (n.IsMap()) {
    std::vector<std::string> gone;
    for (auto it = n.begin(); it != n.end(); ++it)
      if (it->first.IsScalar() && visit(YAML::Node(it->second), join(path, it->first.Scalar()))) gone.push_back(it->first.Scalar());
    for (const auto& key : gone) n.remove(key);
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      // A dated value inside a simulated year takes that year's value.
      if (path == "simulation.years")
        if (const auto y = selector_of(n[i], "year"); y && year_key(YAML::Node(*y))) {
          settle(n[i], item_path(path, n[i], i), *year_key(YAML::Node(*y)), m, out, errors);
          continue;
        }
      visit(n[i], item_path(path, n[i], i));
    }
  }
}

}  // namespace

std::optional<YAML::Node> DatedValue::at(int year) const {
  // By index: assigning one YAML::Node to another would overwrite the first value's node.
  std::size_t n = 0;
  while (n < by_year.size() && by_year[n].first <= year) ++n;
  if (n == 0) return std::nullopt;
  return by_year[n - 1].second;
}

std::vector<DatedValue> settle_dated(MergedScenario& merged, int year, std::vector<std::string>& errors) {
  std::vector<DatedValue> out;
  settle(merged.root, "", year, merged, out, errors);
  return out;
}

std::optional<std::vector<PathStep>> parse_value_path(std::string_view path) {
  std::vector<PathStep> steps;
  std::size_t i = 0;
  while (i <= path.size()) {
    PathStep step;
    while (i < path.size() && path[i] != '.' && path[i] != '[') step.key += path[i++];
    if (step.key.empty()) return std::nullopt;
    if (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos || close == i + 1) return std::nullopt;
      step.item = std::string(path.substr(i + 1, close - i - 1));
      if (step.item->find('[') != std::string::npos) return std::nullopt;
      i = close + 1;
    }
    steps.push_back(std::move(step));
    if (i == path.size()) return steps;
    if (path[i] != '.') return std::nullopt;
    ++i;
  }
  return std::nullopt;
}

std::string merge_key_of(std::string_view list_path) {
  const std::string generic = without_selectors(list_path);
  for (const auto& k : kMergeKeys)
    if (generic == k.list) return std::string(k.key);
  return "";
}

std::string item_path(const std::string& list_path, const YAML::Node& item, std::size_t index) {
  const auto sel = selector_of(item, merge_key_of(list_path));
  return list_path + "[" + (sel ? *sel : std::to_string(index)) + "]";
}

const std::string& MergedScenario::file_of(std::string path) const {
  return files[file_index(std::move(path))].path;
}

std::size_t MergedScenario::file_index(std::string path) const {
  for (;;) {
    if (const auto it = origin.find(path); it != origin.end()) return it->second;
    if (path.empty()) return files.size() - 1;
    // Up one step: "a.b[x].c" -> "a.b[x]" -> "a.b" -> "a" -> "". A selector may hold dots
    // (data.indicators[data/s.csv]) but no brackets.
    std::size_t cut = std::string::npos;
    if (path.back() == ']') {
      cut = path.rfind('[');
    } else {
      for (std::size_t i = path.size(), depth = 0; i-- > 0;) {
        if (path[i] == ']') ++depth;
        else if (path[i] == '[' && depth > 0) --depth;
        else if (path[i] == '.' && depth == 0) {
          cut = i;
          break;
        }
      }
    }
    path.resize(cut == std::string::npos ? 0 : cut);
  }
}

MergedScenario merge_chain(const std::string& path, const ParseScenarioFile& parse, const RuleKeys& rule_keys,
                           const std::optional<std::string>& base) {
  MergedScenario m;
  std::vector<YAML::Node> roots;
  std::vector<fs::path> seen;
  std::vector<std::string> errors;
  for (std::string current = path;;) {
    std::string text;
    YAML::Node root = parse(current, text);
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(current, ec);
    m.files.push_back({current, std::move(text)});
    roots.push_back(root);
    if (std::find(seen.begin(), seen.end(), canonical) != seen.end()) {
      std::string cycle;
      for (const auto& f : m.files) cycle += (cycle.empty() ? "" : " -> ") + f.path;
      const ChainFile& by = m.files[m.files.size() - 2];
      throw ScenarioError({place(by.path, roots[roots.size() - 2]["extends"]) + ": extends: the chain " + cycle +
                           " returns to a file it already extends; a base cannot extend its own variant"});
    }
    seen.push_back(canonical);
    // Not `YAML::Node()`: that is a null node, which reads as a present `extends:` without value.
    if (!root.IsMap() || !root["extends"]) break;
    const YAML::Node ext = root["extends"];
    const std::string at = place(current, ext) + ": extends: ";
    if (!ext.IsScalar() || ext.Scalar().empty())
      throw ScenarioError({at + "expected the file name of the base scenario, relative to this file's folder, "
                                "such as ../kim-nrw-2021.yaml"});
    const std::string next = base && m.files.size() == 1
                                 ? *base
                                 : path_in(fs::path(current).parent_path(), ext.Scalar());
    if (const std::string why = input_problem(next); !why.empty())
      throw ScenarioError({at + "the base scenario " + next + ": " + why});
    if (m.files.size() == kMaxChain)
      throw ScenarioError({at + "a chain of more than " + std::to_string(kMaxChain) +
                           " scenarios; a variant should extend the baseline or a variant of it"});
    current = next;
  }
  // The deepest base is the document; each file above it is merged into it in turn.
  const std::size_t last = roots.size() - 1;
  m.root = roots[last];
  m.origin[""] = last;
  if (m.root.IsMap() && m.root["remove"])
    errors.push_back(place(m.files[last].path, m.root["remove"]) +
                     ": remove: only a variant (a scenario with extends:) removes values of its base");
  if (m.root.IsMap() && m.root["remove"]) m.root.remove("remove");
  Merger merger(m, rule_keys, errors);
  for (std::size_t k = last; k-- > 0;) {
    if (!roots[k].IsMap()) {
      errors.push_back(place(m.files[k].path, roots[k]) + ": expected a mapping: a variant states extends: and the "
                                                          "values it changes");
      continue;
    }
    if (!m.root.IsMap()) break;  // the base's own problem, reported when it is read alone
    merger.overlay_file(k, roots[k]);
  }
  // A variant's results must not land in its base's folder: its name is its own.
  if (m.is_variant() && m.root.IsMap() && roots[0].IsMap() && !roots[0]["scenario"]) {
    if (auto old = [&]() -> std::optional<YAML::Node> {
          for (auto it = m.root.begin(); it != m.root.end(); ++it)
            if (it->first.IsScalar() && it->first.Scalar() == "scenario") return YAML::Node(it->second);
          return std::nullopt;
        }())
      *old = YAML::Node(fs::path(m.files[0].path).stem().string());
    m.origin["scenario"] = 0;
    m.named_by_file = true;
  }
  if (!errors.empty()) throw ScenarioError(errors);
  return m;
}

std::string resolved_text(const MergedScenario& m) {
  std::string out = "# The effective scenario " + m.files[0].path;
  for (std::size_t k = 1; k < m.files.size(); ++k) out += (k == 1 ? ", extending " : ", which extends ") + m.files[k].path;
  out += ".\n# Each value is followed by the file and line that set it; a file name in a value is relative to\n# the folder of the file that set it.\n";
  emit(out, m.root, "", 0, m);
  return out;
}

}  // namespace kimsim::io
