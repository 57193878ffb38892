// The result files of `kimsim simulate`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/scenario.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::io {

/// Per recipient, Baustein and year: mean, sd, p05, p50, p95 of positions and euros, probability of
/// receiving nothing, mean outflow and co-financing.
std::string simulation_csv(const LoadedScenario& ls, const SimulationResult& r);
/// The column names of simulation.csv, in order (its header, which `simulate --help` lists too).
std::vector<std::string> simulation_csv_columns();
/// Statewide distributions per year (spent, unspent, positions filled) and fairness measures with
/// their Monte Carlo standard errors.
nlohmann::json simulation_summary(const LoadedScenario& ls, const SimulationSpec& spec, const SimulationResult& r);

}  // namespace kimsim::io
