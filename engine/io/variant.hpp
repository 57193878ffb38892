// Variants: a scenario that `extends` another states only what changes. The chain of files is
// merged into one YAML document before it is read, and every value keeps the file that set it, so
// that an error (and `resolve`, and `explain`) names the place a value came from, whichever file
// of the chain that is.
//
// Merge rules (the README states them for users):
// - mappings merge by key; the variant's value wins;
// - except a distribution key (`key:`), a rule block whose rule type changes and a distribution
//   whose `dist` changes: they replace the base's as a whole (`key: {population: 1.0}` means
//   population only);
// - lists of Bausteine merge by `id`, pass-through entries by `kreis`, indicator files by `file`
//   (the base's name of a matched file stays), simulation years by `year`; an item with a new
//   merge key is appended (a simulation year in its place among the base's years); `sources` and
//   `assumptions` add the variant's entries to the base's (provenance accumulates); other lists
//   replace; the same item twice in one file is an error;
// - `remove: [path, ...]` deletes values of the base before the variant's own are merged; every
//   path names a value of the base as it stands before any is deleted;
// - the variant's name is its own `scenario:`, else its file name: never the base's.
//
// Paths: one syntax for a value inside a scenario, used by `remove`, `resolve`, error messages
// and sweeps: dotted keys, list items selected by their merge key, other list items by position:
// `bausteine[B2].positions_by_key.key.population`, `simulation.years[2022].budget_factor`,
// `sources[0]`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kimsim::io {

/// One step of a value path: a mapping key, and for a list, the item (by merge key or position).
struct PathStep {
  std::string key;
  std::optional<std::string> item;
};

/// The steps of a path such as `bausteine[B2].positions_by_key.key`; nullopt where it is not one
/// (empty, an empty key, an unclosed bracket).
std::optional<std::vector<PathStep>> parse_value_path(std::string_view path);

/// The merge key of the items of the list at `list_path` (selectors ignored: "bausteine",
/// "bausteine[B2].pass_through"): "id", "kreis", "file", "year"; "" for a list that is replaced
/// as a whole and whose items are selected by position.
std::string merge_key_of(std::string_view list_path);

/// The path of item `index` of the list at `list_path`: `bausteine[B2]` where the item has its
/// merge key as plain text, `sources[0]` otherwise.
std::string item_path(const std::string& list_path, const YAML::Node& item, std::size_t index);

/// A file of a chain: its path as given (relative to the working folder) and the bytes parsed
/// (which the manifest hashes).
struct ChainFile {
  std::string path;
  std::string text;
};

/// A scenario merged from its chain of files.
struct MergedScenario {
  YAML::Node root;
  /// files[0] is the one named on the command line, files[1] the scenario it extends, and so on.
  std::vector<ChainFile> files;
  /// The file (index into files) that set a value, by path; a path not listed has the file of
  /// its nearest enclosing path. "" holds the deepest base.
  std::map<std::string, std::size_t> origin;
  /// The values a variant's `remove` took out of its base, by path: the place of the entry
  /// ("v.yaml:3:10: remove[0]"), where an error about the value's absence belongs.
  std::map<std::string, std::string> removed;

  /// The file that set the value at `path`.
  const std::string& file_of(std::string path) const;
  std::size_t file_index(std::string path) const;
  bool is_variant() const { return files.size() > 1; }
  /// The variant sets no name of its own: `scenario` is its file name (not the base's name).
  bool named_by_file = false;
};

/// Reads the file at a path and parses it as strictly as a scenario (throws ScenarioError for any
/// problem of its own); fills `text` with the bytes parsed.
using ParseScenarioFile = std::function<YAML::Node(const std::string& path, std::string& text)>;

/// The keys of the rule blocks of a Baustein ("fixed_staffing", ...): a variant that sets
/// another one than its base replaces the base's rule instead of merging into it.
using RuleKeys = std::vector<std::string>;

/// Reads `path` and every scenario it extends, merged. Throws ScenarioError: a base that cannot
/// be read, a cycle, a chain deeper than 16, a `remove` path that matches nothing or is malformed,
/// `remove` without `extends` — each located in the file that wrote it. With `base`, the file at
/// `path` is merged onto that scenario instead of the one it extends: its own changes alone, as
/// `compare --decompose` applies each step of a chain to the baseline.
MergedScenario merge_chain(const std::string& path, const ParseScenarioFile& parse, const RuleKeys& rule_keys,
                           const std::optional<std::string>& base = std::nullopt);

/// A number given by year, OpenFisca's dated parameter: `rate_per_vza_eur: {2020: 50000.00,
/// 2021: 55000.00}` holds from each year until the next. A plain number holds for every year.
struct DatedValue {
  std::string path;
  /// Ascending years. Never assign one of these nodes to another (nor sort or insert into the
  /// vector, which assigns): yaml-cpp's `a = b` overwrites the value a refers to.
  std::vector<std::pair<int, YAML::Node>> by_year;
  /// The value for `year`: that of the latest year not after it; nullopt before the first.
  std::optional<YAML::Node> at(int year) const;
};

/// Settles the dated values of the merged document for `year`: each becomes the value it has
/// that year, so that the reader sees plain numbers. Returns every dated value (a simulation over
/// several years takes each year's). A dated value that has none for `year` (its first year is
/// later) is an error, located at it, in `errors`. A mapping is a dated value when each key is
/// a year (four digits) and each value a number, except the mappings of indicator names (`key`,
/// `columns`, `indicator_noise`). Inside `simulation.years`, a dated value settles for its year.
std::vector<DatedValue> settle_dated(MergedScenario& merged, int year, std::vector<std::string>& errors);

/// The effective scenario as YAML, with a `# file:line` comment on each value: what `kimsim
/// resolve` prints.
std::string resolved_text(const MergedScenario& merged);

}  // namespace kimsim::io
