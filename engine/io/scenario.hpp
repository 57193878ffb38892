// Loading a scenario YAML and the regional data it names, with every error located
// (file:line:column and key path) and all errors collected before giving up.
#pragma once

#include <string>
#include <vector>

#include "kimsim/error.hpp"
#include "kimsim/model.hpp"
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
  std::vector<std::string> inputs; ///< every file read: the scenario first, then data files
};

/// Reads and validates a scenario and its data. Throws ScenarioError with every problem found.
LoadedScenario load_scenario(const std::string& path);

}  // namespace kimsim::io
