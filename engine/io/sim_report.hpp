// The result files of `kimsim simulate`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/scenario.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::io {

/// Per recipient, Baustein and year: mean, sd, p05, p50, p95 of positions and euros, probability of
/// receiving nothing, mean outflow and co-financing.
std::string simulation_csv(const LoadedScenario& ls, const SimulationResult& r);
/// The column names of simulation.csv, in order (its header, which `simulate --help` lists too).
std::vector<std::string> simulation_csv_columns();
/// The notes of a simulation's summary: those of the data (splits, values marked [A], data of
/// another year) and of the plan (a pass-through left out for the scenario's year) that `run`
/// gives too, then what the simulation's quantiles, spending and fairness mean.
std::vector<Note> simulation_notes(const LoadedScenario& ls, const SimulationResult& r);
/// Statewide distributions per year (spent, unspent, positions filled) and fairness measures with
/// their Monte Carlo standard errors.
nlohmann::json simulation_summary(const LoadedScenario& ls, const SimulationSpec& spec, const SimulationResult& r);

/// `compare --replications`: per variant, year, territory and Baustein, the difference variant
/// minus base (mean, sd, p05, p50, p95 in positions and euros), p_lose, and the base's and the
/// variant's own mean and sd; `names` are the scenarios', the base first.
std::string compare_simulation_csv(const CompareSimulation& c, const std::vector<std::string>& names, const Regions& regions);
/// Replications, seed, the variance ratios per variant, year and Baustein, and their definitions:
/// the `monte_carlo` entry of compare.json.
nlohmann::json compare_simulation_json(const CompareSimulation& c, const std::vector<std::string>& names);
/// The Monte Carlo section of compare's report.html: replications, seed, years, the variance
/// ratios (as compare.json), and per variant and year the `top` territory-Baustein lines with the
/// largest mean difference in euros: its mean, p05, p50, p95 in cents and p_lose as
/// compare_mc.csv writes it.
nlohmann::json compare_simulation_report_json(const CompareSimulation& c, const std::vector<std::string>& names,
                                             const Regions& regions, std::size_t top);
/// The variance ratios for the terminal.
std::string compare_simulation_summary(const CompareSimulation& c, const std::vector<std::string>& names);
/// Per recipient, Baustein and year, the numbers of report.html (the same as simulation.csv's):
/// p05, p50, p95 of half positions (`halves_p05` ...) and of cents (`cents_p05` ...), the mean
/// outflow in cents (rounded half up, as the CSV), and `p_nothing` as the CSV writes it.
nlohmann::json simulation_slots_json(const LoadedScenario& ls, const SimulationResult& r);

}  // namespace kimsim::io
