// The result files of `kimsim simulate`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "io/scenario.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::io {

/// Per recipient, Baustein and year: mean, sd, p05, p50, p95 of positions and euros, probability of
/// receiving nothing, mean outflow and co-financing.
std::string simulation_csv(const LoadedScenario& ls, const SimulationResult& r);
/// Statewide distributions per year (spent, unspent, positions filled) and fairness measures with
/// their Monte Carlo standard errors.
nlohmann::json simulation_summary(const LoadedScenario& ls, const SimulationSpec& spec, const SimulationResult& r);

/// Per recipient, Baustein and year, the numbers of report.html (the same as simulation.csv's):
/// p05, p50, p95 of half positions (`halves_p05` ...) and of cents (`cents_p05` ...), the mean
/// outflow in cents (rounded half up, as the CSV), and `p_nothing` as the CSV writes it.
nlohmann::json simulation_slots_json(const LoadedScenario& ls, const SimulationResult& r);

}  // namespace kimsim::io
