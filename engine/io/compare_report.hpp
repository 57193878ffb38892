// The result files of `kimsim compare` and its terminal summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/scenario.hpp"
#include "kimsim/compare.hpp"

namespace kimsim::io {

/// One scenario of a comparison as loaded and allocated.
struct ComparedRun {
  const LoadedScenario* loaded = nullptr;
  const Allocation* allocation = nullptr;
};

/// Long form, one row per scenario and recipient (or territory) and Baustein:
/// scenario,ags,name,baustein,positions,euros,delta_positions,delta_euros — deltas against the
/// base (0 in the base's own rows); a recipient without a row in a scenario has 0 there.
std::string compare_csv(const Comparison& c, const Regions& regions, bool territories);
/// Indices, paradox flags, winners and losers, money moved (exact decimal strings for money).
nlohmann::json compare_json(const Comparison& c, const std::vector<ComparedRun>& runs);
/// What a planner reads first, at most 100 columns wide.
std::string compare_summary(const Comparison& c, const std::vector<ComparedRun>& runs, const std::string& out_dir,
                            bool decomposed = false, bool simulated = false);
/// `--decompose`: one row per territory and Baustein with a change: ags,name,baustein,total_eur,
/// then per step alone_eur_K and stacked_eur_K (the stacked ones add up to the total exactly).
std::string decompose_csv(const Decomposition& d, const Regions& regions, const std::vector<std::string>& steps);
/// The steps' effects in money moved (alone and stacked) and their interaction, for the summary.
std::string decompose_summary(const Decomposition& d, const std::vector<std::string>& steps);

/// "300.5" cents as euros, exact: money moved is kept in half cents ("3.005").
std::string format_half_cents(Cents half_cents);

}  // namespace kimsim::io
