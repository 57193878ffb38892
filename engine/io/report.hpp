// The result files of `kimsim run` and its terminal summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "io/scenario.hpp"
#include "kimsim/model.hpp"

namespace kimsim::io {

/// The notes of a run: how the regions' indicators were derived, then the allocation's.
std::vector<Note> run_notes(const LoadedScenario& ls, const Allocation& a);

/// Observed positions against the model's, per Baustein and region: a Kreis's positions include
/// the shares it passed on to its Gemeinden.
struct ValidationRow {
  std::string baustein, ags;
  const std::string* name = nullptr;
  double observed_positions = 0, model_positions = 0;
};
std::vector<ValidationRow> validation_rows(const LoadedScenario& ls, const Allocation& a);

/// One row per recipient and Baustein: ags,name,type,baustein,positions,euros,key_share,quota,note.
std::string allocation_csv(const LoadedScenario& ls, const Allocation& a);
/// Totals per Baustein, the largest and smallest allocations, validation, notes, provenance.
nlohmann::json summary_json(const LoadedScenario& ls, const Allocation& a);
/// Version, SHA-256 of the scenario and every data file, command line and time.
nlohmann::json manifest_json(const LoadedScenario& ls, const std::string& command_line, const std::string& time);
/// What a planner reads on the terminal.
std::string terminal_summary(const LoadedScenario& ls, const Allocation& a, const std::string& out_dir);

}  // namespace kimsim::io
