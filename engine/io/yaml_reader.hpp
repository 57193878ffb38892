// The collecting reader of scenario YAML: typed values out of yaml-cpp nodes, each error recorded
// with its file, line, column and key path instead of thrown, so that one run reports every
// problem of a file; the source map of every key read; the names and sizes that can only be
// checked once the data is loaded. YamlBlock lends it to the allocation rules (kimsim/rule.hpp),
// which read their own blocks.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/variant.hpp"
#include "kimsim/model.hpp"
#include "kimsim/rule.hpp"

namespace kimsim::io {

class Reader {
 public:
  /// Reads the merged document of a scenario and the files it extends: each value is located in
  /// the file that set it.
  Reader(const MergedScenario& merged, std::vector<std::string>& errors) : merged_(merged), errors_(errors) {}

  /// The file that set the value at `path`.
  const std::string& file_of(const std::string& path) const { return merged_.file_of(path); }
  /// The scenario's name is its file name (a variant that gives none).
  bool named_by_file() const { return merged_.named_by_file; }

  /// "file:line:column: path" of a node.
  std::string locate(const YAML::Node& at, const std::string& path) const;
  void error(const YAML::Node& at, const std::string& path, const std::string& what);
  /// An error about values of the mapping `map` together (a distribution's min above its max):
  /// at the one of `keys` that a variant set, where a variant set one but not the mapping whole
  /// (the merged mapping's place is in the base), else at the mapping.
  void error_among(const YAML::Node& map, const std::string& path, const std::vector<std::string>& keys,
                   const std::string& what);
  /// Errors in the `data:` block: then the data cannot be loaded to check the names against.
  std::size_t data_errors = 0;

  /// The source map: every key of every mapping read, with where its value stands.
  SourceMap places;
  void place(const YAML::Node& at, const std::string& path);

  /// Names that can only be checked against the data once it is loaded, with their places.
  struct Ref {
    std::string value, where;
  };
  std::vector<Ref> indicators, regions;
  void refer(std::vector<Ref>& to, const YAML::Node& n, const std::string& path);
  void refer_all(std::vector<Ref>& to, const YAML::Node& seq, const std::string& path);

  /// Sizes that can only be judged once the data is loaded (it gives the number of regions).
  struct Sizes {
    std::string simulation_where, replications_where, years_where;
    double replications = 0;  ///< as written: may be beyond 64 bits
    std::size_t years = 0;
  } sizes;

  /// Checks that `map` is a mapping whose keys are all known and whose required keys are there.
  bool mapping(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known,
               const std::vector<std::string>& required);
  std::optional<std::string> text(const YAML::Node& map, const std::string& path, const std::string& key);
  /// A key of the mapping at `path` as text, once: a list or mapping as a key is an error (yaml-cpp
  /// allows them), and so is a key that the mapping already had (yaml-cpp would keep the first
  /// silently; a hand-written file means the second, or a slip).
  std::optional<std::string> key(const YAML::Node& k, const std::string& path);
  /// Money as written ("20000000", "22500000.00", "55_000"): exact cents, no floating point.
  std::optional<Cents> euros(const YAML::Node& map, const std::string& path, const std::string& key);
  /// The same for the value `n` itself, at key path `at` (a sweep's list of amounts).
  std::optional<Cents> amount(const YAML::Node& n, const std::string& at);
  /// The largest amount in cents: sums of thousands of amounts must fit in 64 bits.
  static std::uint64_t max_cents();
  /// Positions in VZÄ as half positions: 3.5 -> 7; anything not a multiple of 0.5 is an error.
  std::optional<Halves> vza(const YAML::Node& n, const std::string& path);
  std::optional<double> number(const YAML::Node& n, const std::string& path);
  /// A number that may be negative (a distribution's parameter). "-0" is 0.
  std::optional<double> signed_number(const YAML::Node& n, const std::string& path);
  /// A whole number from `lo` to `hi`, exact to the last of 64 bits (seeds use them all).
  /// `what` says what it counts, for the message.
  std::optional<std::uint64_t> whole(const YAML::Node& n, const std::string& path, std::uint64_t lo, std::uint64_t hi,
                                     const std::string& what);
  /// A seed: any whole number of 64 bits.
  std::optional<std::uint64_t> seed(const YAML::Node& n, const std::string& path) {
    return whole(n, path, 0, UINT64_MAX, "a whole number from 0 to 18446744073709551615 (64 bits)");
  }
  std::vector<std::string> strings(const YAML::Node& map, const std::string& path, const std::string& key);
  /// A distribution key {indicator: weight, ...}.
  Key distribution_key(const YAML::Node& node, const std::string& path);
  /// A key's cap: {indicator, factor} (FlüAG § 3: 125 % of the population-only share).
  void cap(const YAML::Node& c, const std::string& path, Key& key);

  /// "got '1e400'", "got a list": what a node holds, for messages.
  static std::string got(const YAML::Node& n);
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  bool clean() const { return errors_.empty(); }

 private:
  const MergedScenario& merged_;
  std::vector<std::string>& errors_;
  std::map<std::string, std::map<std::string, std::string>> keys_seen_;  // per mapping path: key -> "line:column"
  /// Records an error at `where` ("file:line:column: path") about the value at `path`.
  void say(const std::string& where, const std::string& path, const std::string& what);
};

/// A mapping of the scenario as an allocation rule reads it (BlockReader over Reader).
class YamlBlock final : public BlockReader {
 public:
  /// `free_keys`: the mapping's keys are names (flags), checked once each by keys().
  YamlBlock(Reader& rd, YAML::Node node, std::string path, bool free_keys = false)
      : rd_(rd), node_(std::move(node)), path_(std::move(path)), free_keys_(free_keys) {}

  bool has(std::string_view key) const override;
  std::vector<std::string> keys() override;
  std::optional<std::string> text(std::string_view key) override;
  std::vector<std::string> texts(std::string_view key) override;
  std::optional<Cents> euros(std::string_view key) override;
  std::optional<Halves> vza(std::string_view key) override;
  std::optional<std::uint64_t> seed(std::string_view key) override;
  Key distribution_key(std::string_view key, std::string_view cap) override;
  std::unique_ptr<BlockReader> block(std::string_view key, const std::vector<std::string>& known,
                                     const std::string& what) override;
  void error(std::string_view key, const std::string& what) override;
  std::string did_you_mean(std::string_view word, const std::vector<std::string>& known) const override;

 private:
  YAML::Node at(std::string_view key) const { return node_[std::string(key)]; }
  std::string path(std::string_view key) const { return Reader::join(path_, std::string(key)); }
  Reader& rd_;
  YAML::Node node_;
  std::string path_;
  bool free_keys_;
};

}  // namespace kimsim::io
