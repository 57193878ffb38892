// Comparing allocations: who wins and who loses between a baseline and its variants, how much
// money moves, how fair each allocation is, and which apportionment paradoxes occur. Pure
// functions over allocations already computed; no I/O.
//
// Definitions (each stated once, here):
//
// * Territory. A recipient together with the Gemeinden its Kreis passes shares on to (TIntG
//   § 9(2)): the row of a passed-on share counts for the Kreis that passed it on. A variant that
//   only switches pass-through off moves money inside a territory and shows no winner or loser.
//   A Gemeinde that receives in its own right (Stadt Aachen, a große kreisangehörige Stadt in B3)
//   is a territory of its own.
// * Winners and losers, the largest gains and losses, money moved: over territories, with a
//   territory's euros summed over all Bausteine (what one municipality receives in all). Money
//   moved is half the L1 distance between the two vectors of territory totals, i.e. what would
//   have to be taken from the losers and given to the winners at equal totals. It is kept exact
//   in half cents (`moved_half_cents` = the L1 distance in cents), so an odd L1 sum is not rounded.
// * Allocation share of a territory in a Baustein: its share of the Baustein's positions where
//   the Baustein allocates positions, else of its euros. Key share: the recipient's share of the
//   rule's key (need); quota share: its exact proportional claim (the rule's own ideal, base and
//   bounds included) over the sum of claims.
// * Gallagher (least squares) index: sqrt(1/2 * sum_t (100 a_t - 100 s_t)^2); Loosemore-Hanby
//   index: 1/2 * sum_t |100 a_t - 100 s_t| — both in percentage points, a = allocation shares,
//   s = key shares or quota shares (M. Gallagher, Electoral Studies 10 (1991); J. Loosemore,
//   V. Hanby, British Journal of Political Science 1 (1971)).
// * Gini of euros per unit of an indicator (per inhabitant for `population`), weighted: each
//   territory t has x_t = euros_t / w_t with w_t its indicator value, G = sum_i sum_j w_i w_j
//   |x_i - x_j| / (2 W^2 mu), W = sum w, mu = sum w x / W — the Gini over inhabitants, not over
//   territories (a Kreis of 600,000 counts 600,000 times). w_t is the territory's value less
//   that of its member Gemeinden that are territories of the same Baustein themselves (they are
//   counted once, where they receive). Territories with w_t = 0 are left out. Per Baustein, and
//   for the whole allocation over Kreis-level areas (a Kreis or kreisfreie Stadt with everything
//   paid to any region inside it, per its own indicator value), where the Bausteine's recipients
//   differ.
// * Max/min ratio: the largest over the smallest euros per inhabitant among the territories of a
//   Baustein with inhabitants; absent (null) where the smallest is 0.
// * Held at a minimum (maximum): a territory whose positions equal the rule's min_vza (max_vza)
//   while its exact claim (quota) lies below (above) it — the bound, not the key, decided;
//   for money by key, euros at minimum_eur with a claim below it.
//
// Paradox flags, checked for every ordered pair of the scenarios compared (i before j) and every
// Baustein present in both with positions by key and the same rule (method, unit, base, bounds):
// * Alabama: the same recipients with the same key shares, more positions in j than in i (a
//   larger budget, a lower rate), and a territory with fewer positions in j. (Or the reverse
//   pair: fewer positions in j and a territory with more.)
// * Population: the same recipients and the same total positions; two territories A and B with
//   k_A(j)/k_B(j) > k_A(i)/k_B(i) (A's key weight rose relative to B's) where A loses positions
//   and B gains. Divisor methods never do this (Balinski-Young); Hamilton can.
// * New recipient: the recipients differ (one added or removed); two territories A and B in both
//   whose key weights stand in the same ratio in i and j, where A gains and B loses: a recipient
//   that came or went reordered two others between which nothing changed.
// Key weights are compared with a relative tolerance of 1e-9 (key shares are rounded to 12
// decimals by the model).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kimsim/model.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim {

/// One scenario to compare: its name, the scenario, its regions and its allocation. The regions
/// of all scenarios must be the same list (same AGS in the same order); indicator values may
/// differ (a variant with newer data).
struct ComparedScenario {
  std::string name;
  const Scenario* scenario = nullptr;
  const Regions* regions = nullptr;
  const Allocation* allocation = nullptr;
};

/// One recipient (or territory) in one Baustein, across the scenarios (index as given).
struct CompareLine {
  std::size_t region = 0;   ///< the recipient; for a territory, its Kreis (or the recipient)
  std::string baustein;     ///< Baustein id
  std::vector<Halves> halves;
  std::vector<Cents> cents;
  std::vector<std::uint8_t> present;  ///< the recipient has a row in that scenario
};

/// A territory's change in all Bausteine together, from the base to a variant.
struct Change {
  std::size_t region = 0;
  Cents cents = 0;     ///< variant minus base
  Halves halves = 0;
};

/// What changes from the base (scenario 0) to one variant, over territories.
struct VariantChange {
  std::size_t winners = 0, losers = 0;
  Cents gained = 0, lost = 0;   ///< sums of the gains and of the losses (both >= 0)
  Cents moved_half_cents = 0;   ///< money moved in half cents: the L1 distance in cents
  std::vector<Change> top_gains, top_losses;  ///< at most ten each, largest first (ties: region order)
};

struct Fairness {
  std::string baustein;  ///< Baustein id; "total" for the whole allocation over Kreis-level areas
  /// Gini per indicator name, in the order of Regions::indicator_names (nullopt where no
  /// territory has a value or the Baustein pays nothing).
  std::vector<std::pair<std::string, std::optional<double>>> gini;
  std::optional<double> gallagher_key, loosemore_hanby_key;      ///< absent without a key
  std::optional<double> gallagher_quota, loosemore_hanby_quota;  ///< absent where nothing is allocated
  std::optional<double> max_min_ratio;  ///< euros per inhabitant; absent where the smallest is 0
  std::vector<std::size_t> held_at_minimum, held_at_maximum;  ///< territories (region index)
};

enum class ParadoxKind : std::uint8_t { alabama, population, new_recipient };
std::string_view paradox_name(ParadoxKind k);

struct Paradox {
  ParadoxKind kind = ParadoxKind::alabama;
  std::size_t from = 0, to = 0;  ///< scenario indices
  std::string baustein;
  std::vector<std::size_t> recipients;  ///< regions (territories) involved: the loser first
  std::string reason;                   ///< one line
};

struct Comparison {
  std::vector<std::string> names;
  std::vector<CompareLine> recipients;   ///< per recipient row (passed-on Gemeinden apart), region order
  std::vector<CompareLine> territories;  ///< per territory, region order
  std::vector<VariantChange> changes;    ///< per variant (scenario 1, 2, ...), against scenario 0
  std::vector<std::vector<Fairness>> fairness;  ///< per scenario: per Baustein, then "total"
  std::vector<Paradox> paradoxes;
};

/// Compares scenario 0 (the base) with each of the others. Throws InputError where the
/// scenarios cover different regions (naming the first difference) or fewer than two are given.
Comparison compare(std::span<const ComparedScenario> scenarios);

/// The fairness of one allocation: per Baustein, then "total" (also used by compare()).
std::vector<Fairness> fairness(const ComparedScenario& s);

/// The paradoxes between two allocations of the same regions (also used by compare()).
std::vector<Paradox> find_paradoxes(std::span<const ComparedScenario> scenarios);

/// fairness()'s "total" and the number of find_paradoxes() against one base, for many
/// evaluations of one plan (the points of a sweep): the same numbers, bit for bit, without the
/// Allocation of each (its rows of text), with what the evaluations share worked out once — the
/// territory and the Kreis-level area of every row slot, the base's territories — and every
/// buffer reused. Not to be shared between threads: one each.
class PlanMetrics {
 public:
  /// `base`: an evaluation of `plan` with claims (PlanInputs::claims), the first of every pair.
  /// The plan must outlive this.
  PlanMetrics(const Plan& plan, const Draft& base);
  ~PlanMetrics();
  PlanMetrics(PlanMetrics&&) noexcept;
  PlanMetrics& operator=(PlanMetrics&&) noexcept;

  struct Total {
    std::optional<double> gini_population;  ///< Fairness::gini of "population" (nullopt without that indicator)
    std::optional<double> max_min_ratio;
  };
  /// fairness(point).back() (the whole allocation over Kreis-level areas) of the allocation that
  /// the evaluation `d` of the plan gives.
  Total total(const Draft& d);
  /// find_paradoxes({base, point}).size(), the point being the evaluation `d` of the plan made
  /// with claims and `overrides` (PlanInputs::bausteine; empty: none): its rules are the base's
  /// with the overrides written in, as a scenario with those values would have them.
  std::size_t paradoxes(const Draft& d, std::span<const BausteinOverrides> overrides);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Decomposition of a chain of changes base -> v1 -> ... -> vn per territory and Baustein:
/// `alone[k]` is the base with step k alone, `chain[k]` the base with steps 1..k+1 stacked.
struct Decomposition {
  struct Line {
    std::size_t region = 0;
    std::string baustein;
    Cents total = 0;                ///< chain[n-1] minus base
    std::vector<Cents> alone;       ///< per step: alone[k] minus base
    std::vector<Cents> stacked;     ///< per step: chain[k] minus chain[k-1]; they sum to total exactly
  };
  std::vector<Line> lines;
  /// Per step: the sum over lines of |alone - stacked| in cents: how far the step's effect
  /// depends on the steps before it (0 where the steps do not interact).
  std::vector<Cents> interaction;
};

/// Throws InputError where alone and chain differ in length, are empty, or the regions differ.
Decomposition decompose(const ComparedScenario& base, std::span<const ComparedScenario> alone,
                        std::span<const ComparedScenario> chain);

// ---------------------------------------------------------------------------------------------
// Under uncertainty (`kimsim compare --replications N`).
//
// Every scenario is simulated replication by replication on the same random streams: the streams
// are keyed by the seed, the replication, the calendar year and the names of what they decide
// (AGS, Baustein id, indicator), never by a scenario's own lists (simulation.hpp), so the base and
// a variant draw the same uptake, noise and hiring for every recipient they share (common random
// numbers). The seed is one for all scenarios (their own `simulation.seed` does not apply); each
// scenario keeps the rest of its own `simulation:` block (a variant may change the uptake).
// Per replication, variant, simulated year, territory (as above) and Baustein: the difference
// variant minus base in positions and euros, accumulated as integers (the same bits for any
// thread or rank count).
//
// * p(lose): the share of replications in which the territory receives fewer euros in the
//   Baustein under the variant than under the base.
// * p05, median, p95 of the difference: nearest-rank quantiles over the replications.
// * Variance ratio: Var(difference on common streams) / Var(difference on independent streams).
//   The second is estimated from the same replications as Var(base) + Var(variant) — for
//   independent X and Y, Var(Y - X) = Var(X) + Var(Y) — the standard estimator of what common
//   random numbers save (Law, "Simulation Modeling and Analysis", 5th ed., § 11.2). Pooled over
//   the territories of a Baustein: sum of the variances of the differences over the sum of the
//   variances of base and variant. Below 1: the common streams make the difference tighter.

struct DeltaStats;  // per line and variant: engine/sim/accumulators.hpp, internal

/// One scenario of a comparison under uncertainty: its scenario, regions and simulation block
/// (the seed and the number of replications come from the comparison).
struct SimulatedScenario {
  const Scenario* scenario = nullptr;
  const Regions* regions = nullptr;
  const SimulationSpec* spec = nullptr;
};

/// One line of a comparison under uncertainty: a simulated year, a territory and a Baustein.
struct DeltaLine {
  std::size_t year = 0;    ///< index into CompareSimulation::years
  std::size_t region = 0;  ///< the territory: a recipient, or the Kreis that passes shares on
  std::string baustein;    ///< Baustein id
};

/// The accumulators of a comparison under uncertainty (or of a share of its replications).
struct CompareSimulation {
  std::vector<int> years;          ///< calendar years simulated (the same in every scenario)
  std::vector<DeltaLine> lines;    ///< by year, then territory, then Baustein (first appearance)
  std::size_t variants = 0;        ///< scenarios compared with the base
  std::vector<DeltaStats> stats;   ///< per variant, then per line: [v * lines.size() + l]
  std::uint64_t replications = 0;
  std::uint64_t seed = 0;

  CompareSimulation();
  ~CompareSimulation();
  CompareSimulation(const CompareSimulation&);
  CompareSimulation(CompareSimulation&&) noexcept;
  CompareSimulation& operator=(const CompareSimulation&);
  CompareSimulation& operator=(CompareSimulation&&) noexcept;
};

/// Replications [first, first + count) of the comparison of scenario 0 (the base) with each of
/// the others, on `threads` threads (0: OpenMP's default). Throws InputError where fewer than
/// two scenarios are given or they simulate different years; an exception in a replication is
/// rethrown after the loop, that of the lowest replication (`failed_at`, if given, holds it).
CompareSimulation compare_replications(std::span<const SimulatedScenario> scenarios, std::uint64_t seed,
                                       std::uint64_t first, std::uint64_t count, int threads,
                                       Progress progress = nullptr, std::uint64_t* failed_at = nullptr);

/// Adds the accumulators of `part` (the same comparison, other replications) to `into`.
void merge(CompareSimulation& into, const CompareSimulation& part);
/// The accumulators as bytes and back, to send them between processes of one machine type. The
/// lines do not travel: unpacking takes them from `like`, a share of the same comparison.
std::string pack(const CompareSimulation& c);
CompareSimulation unpack_comparison(std::string_view bytes, const CompareSimulation& like);

/// The variance ratio of one variant, year and Baustein (see above), pooled over its territories.
struct VarianceRatio {
  std::size_t variant = 0;  ///< 0 for the first variant (scenario 1)
  std::size_t year = 0;     ///< index into CompareSimulation::years
  std::string baustein;
  std::optional<double> euros, positions;  ///< absent where the independent variance is 0
};
/// Per variant, year and Baustein (in the order of first appearance of the lines).
std::vector<VarianceRatio> variance_ratios(const CompareSimulation& c);

}  // namespace kimsim
