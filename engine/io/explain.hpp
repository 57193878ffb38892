// `kimsim explain`: the trace from the inputs to one recipient's result, Baustein by Baustein,
// each number with where it came from. Built from the plan's own description of its steps
// (Plan::describe, which evaluates as `run` does), so that it cannot drift from what `run`
// computes.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/scenario.hpp"
#include "kimsim/model.hpp"

namespace kimsim::io {

/// One Baustein of the recipient: its row of the plan, the steps and the result.
struct ExplainedBaustein {
  std::size_t baustein = 0;
  std::size_t row = 0;  ///< in Plan::rows()
  Trace steps;
  Halves halves = 0;
  Cents cents = 0;
};

struct Explanation {
  std::size_t region = 0;
  std::vector<ExplainedBaustein> bausteine;  ///< in the scenario's order
};

/// The region `who` names: an AGS exactly, else a name, case-insensitively, in full ("Kamen,
/// Stadt") or before its comma ("Kamen"). InputError where none matches (with "did you mean"
/// over AGS and names) or several do (listed with their AGS). A whole name wins over the same
/// name before another's comma (the Kreis Unna over "Unna, Stadt"); `also`, where given, then
/// receives a sentence naming the other.
std::size_t find_recipient(const Regions& regions, std::string_view who, std::string* also = nullptr);

/// The trace of `region` in the Baustein with the id `baustein`, or in every Baustein it
/// receives from. InputError (at the scenario's place) for an id no Baustein has, a Baustein the
/// region receives nothing from, and a region that receives from none.
Explanation explain(const LoadedScenario& ls, const Plan& plan, std::size_t region,
                    const std::optional<std::string>& baustein);

/// For people: a header per Baustein, then one line per step, label, value and [place] aligned,
/// readable at 100 columns.
std::string explain_text(const LoadedScenario& ls, const Explanation& e);

/// For programs: {scenario, scenario_sha256, recipient {ags, name, type}, bausteine: [{id,
/// steps: [{label, value, place, whole?, real?}], positions, cents}]}.
nlohmann::json explain_json(const LoadedScenario& ls, const Explanation& e);

}  // namespace kimsim::io
