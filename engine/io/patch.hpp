// Patches: numbers of a scenario changed for one evaluation of its compiled plan, without
// reading YAML again. A path in the variant path syntax (io/variant.hpp) is resolved once
// against the loaded scenario to a typed slot; each value is then an exact integer in the
// slot's unit (cents, half positions, key weight in 10^-12) and becomes an input of
// Plan::evaluate (BausteinOverrides). `kimsim sweep` patches every point this way; the what-if
// server of the planners will do the same per request.
//
// Patchable numbers (and nothing else: any other path is refused, naming these):
//   budget_eur                                      the total; the Bausteine's budgets follow in
//                                                   the base's proportions (largest remainder, cents)
//   bausteine[ID].budget_eur                        a Baustein's budget (the total follows)
//   bausteine[ID].rate_per_vza_eur                  positive, an even number of cents
//   bausteine[ID].<rule>.key.<indicator>            a weight of a term the key has (12 decimals)
//   bausteine[ID].positions_by_key.{unit_vza, base_vza, min_vza, max_vza}   in steps of 0.5 VZÄ
//   bausteine[ID].positions_by_key.method           an apportionment method by name
//   bausteine[ID].money_by_key.minimum_eur          an amount
//   bausteine[ID].pass_through                      true (as written) or false (switched off)
// A value stands for the value written at that path in the scenario: the weight of one term
// changes that term alone (the others keep theirs), unlike a variant's `key:`, which replaces
// the whole key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/scenario.hpp"
#include "kimsim/model.hpp"

namespace kimsim::io {

enum class SlotKind : std::uint8_t { total_budget, budget, rate, key_weight, unit, base, min, max, method, minimum, pass_through };

/// A patchable number of a scenario.
struct Slot {
  SlotKind kind = SlotKind::budget;
  std::size_t baustein = 0;  ///< index in the scenario (not for total_budget)
  std::size_t term = 0;      ///< key_weight: index of the term in the rule's key
  std::string path;          ///< as written in the scenario's syntax
};

/// What the values of a slot are: "money" (cents), "vza" (half positions), "weight" (10^-12),
/// "method" (index in method_names()), "switch" (0 or 1).
std::string_view value_kind(SlotKind k);
/// Units of a key weight in one: weights are exact decimals of up to 12 places.
inline constexpr std::int64_t kWeightScale = 1'000'000'000'000;

/// `path` resolved against the scenario; nullopt with `why` (naming the patchable paths of the
/// scenario) where it names no patchable number.
std::optional<Slot> resolve_slot(const Scenario& s, std::string_view path, std::string& why);
/// Every patchable path of the scenario, for messages and documentation.
std::vector<std::string> patchable_paths(const Scenario& s);

/// Why the scenario reader would refuse `value` at `slot` ("" where it accepts it): a rate that
/// is not positive or not an even number of cents, a unit below 0.5 VZÄ, an amount beyond the
/// reader's range, a negative number.
std::string value_problem(const Slot& slot, std::int64_t value);
/// `text` read as a value of `slot` in its unit, as the scenario reader reads it there ("57000.00",
/// "3.5", "0.35", "hamilton", "true"); nullopt with `why` (what is expected) where it is none or
/// value_problem refuses it. For values that come as text rather than YAML (the what-if server).
std::optional<std::int64_t> parse_value(const Slot& slot, std::string_view text, std::string& why);
/// The value as a scenario writes it: "55000.00", "3.5", "0.35", "hamilton", "true".
std::string value_text(const Slot& slot, std::int64_t value);
/// The value of `slot` in the scenario as loaded (for a slot not set there, such as a min_vza
/// the base lacks: nullopt).
std::optional<std::int64_t> base_value(const Scenario& s, const Slot& slot);

/// The entries of a patch (indices into `slots`) behind a refusal of the rules at the key path
/// `refused` (LocatedError::path, TieError::path: "bausteine[B2].positions_by_key.min_vza").
/// `sets`: those that set the refused value or a part of it (a weight of a refused key; the
/// total, whose split sets a Baustein's budget). `changes`: those that set another value of the
/// refused value's Baustein. A Baustein's rule reads its own values alone, so where the base
/// allocates, a refusal under a patch has one of them behind it.
struct PatchBlame {
  std::vector<std::size_t> sets, changes;
};
PatchBlame blame(const Scenario& s, std::span<const Slot> slots, std::string_view refused);

/// Per-evaluation inputs of a plan for a set of slot values: buffers that PlanInputs points
/// into, reused from one point to the next (no allocation once sized).
struct PatchedInputs {
  std::vector<Cents> budget, rate;
  std::vector<BausteinOverrides> bausteine;
  std::vector<std::vector<double>> weights;  ///< per Baustein: the key's weights as written
  std::vector<std::uint64_t> split_weight;   ///< working memory of the total budget's split
  std::vector<std::int64_t> split_parts;
  /// Inputs of Plan::evaluate that point into these buffers.
  PlanInputs inputs() const;
};

/// Sets `out` to the scenario's numbers with `values[i]` at `slots[i]`. A total budget is split
/// among the Bausteine in the proportions of the scenario's budgets (largest remainder, exact
/// in cents). Slots must come from resolve_slot on the same scenario; at most one slot per path.
void apply(const Scenario& s, std::span<const Slot> slots, std::span<const std::int64_t> values, PatchedInputs& out);

/// The scenario with the same values written in (its rules copied where they change): what a
/// scenario with these values would load as (with `places`, its source map: errors then name
/// where the base set a value). For what reads rules from a Scenario (paradox checks,
/// simulations); apply() is the fast path for evaluations.
Scenario patched_scenario(const Scenario& s, std::span<const Slot> slots, std::span<const std::int64_t> values,
                          bool places = false);

}  // namespace kimsim::io
