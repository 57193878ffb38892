// Loading a scenario YAML and the regional data it names, with every error located
// (file:line:column and key path) and all errors collected before giving up.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kimsim/error.hpp"
#include "kimsim/model.hpp"
#include "io/variant.hpp"
#include "kimsim/rule.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::io {

/// All errors found in a scenario, one per line of what().
class ScenarioError : public InputError {
 public:
  explicit ScenarioError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::string> errors_;
};

struct LoadedScenario {
  Scenario scenario;
  Regions regions;
  std::optional<SimulationSpec> simulation;  ///< the scenario's `simulation:` block, if any
  std::string path;                ///< the scenario file
  std::vector<std::string> inputs; ///< every file read: the scenario, the ones it extends, then data files
  std::size_t chain = 1;           ///< how many of the inputs are scenario files (a variant's chain)
  std::vector<DatedValue> dated;   ///< the values given by year, for simulations over several years
  /// SHA-256 of each input's bytes, parallel to inputs: the bytes that were parsed (each file is
  /// read once), for the manifest.
  std::vector<std::string> input_sha256;
};

class DataCache;  // io/region_loader.hpp

struct LoadOptions {
  std::optional<int> year;  ///< the year whose dated values apply (default: the scenario's `year`)
  /// A variant merged onto this scenario instead of the one it extends (its own changes alone).
  std::optional<std::string> extends;
  /// Data files already parsed for another scenario (compare loads a base and its variants,
  /// which usually share them): each file is then read and parsed once. None: read every file.
  DataCache* cache = nullptr;
  /// Also read the scenario for every other year its dated values name (within `years:` where
  /// given), so that a bad value of another year is found where it stands (`kimsim validate`).
  bool every_dated_year = false;
};

/// Reads and validates a scenario (a variant merged with its chain of bases) and its data. Throws
/// ScenarioError with every problem found.
LoadedScenario load_scenario(const std::string& path, const LoadOptions& options = {});
/// The same with the rule types of `rules` (RuleTable::builtin() and any a program adds).
LoadedScenario load_scenario(const std::string& path, const RuleTable& rules, const LoadOptions& options = {});

/// A scenario merged with the files it extends, its dated values settled for `year` (default:
/// its own). Only the YAML: nothing is checked beyond the chain and the dated values, no data
/// read. Each dated value is added to `dated` where given.
MergedScenario resolve_scenario(const std::string& path, const LoadOptions& options = {},
                                std::vector<DatedValue>* dated = nullptr, const RuleTable& rules = RuleTable::builtin());

/// What makes `text` unfit to be read as a scenario, each as "file:line:column: message": bytes
/// that are not UTF-8, tabs in the indentation, anchors, aliases and merge keys, nesting deeper
/// than 32 levels, an unclosed quote, a second document, or YAML that does not parse.
std::vector<std::string> strict_yaml_problems(std::string_view text, const std::string& file);

/// A simulation's dimensions, for refusing absurd sizes before it starts.
struct SimulationSize {
  double replications = 0;  ///< as requested, possibly beyond 64 bits
  std::size_t years = 1, bausteine = 0, regions = 0;
};
/// The dimensions of `spec` over a loaded scenario; `replications` > 0 overrides the spec's.
SimulationSize size_of(const LoadedScenario& ls, const SimulationSpec& spec, double replications = 0);
/// "" within SimulationLimits; else a message naming the size, the CPU time (memory) it would
/// need and the limit.
std::string replications_problem(const SimulationSize& size);
std::string years_problem(const SimulationSize& size);
std::string threads_problem(int threads, const SimulationSize& size);

}  // namespace kimsim::io
