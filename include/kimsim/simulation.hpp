// Monte Carlo over a scenario: uncertain uptake, hiring, personnel cost and indicators, over one or
// more years. Every draw comes from a counter-based generator (Philox4x32-10) keyed by the seed and
// counted by (purpose, year, replication, item): the same seed gives the same bits whatever the
// number of threads. Accumulators are integers, so merging them is order-free.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kimsim/model.hpp"

namespace kimsim {

/// A distribution from a small documented set. Parameters (a, b, c):
///   fixed(value) | uniform(min, max) | triangular(min, mode, max) | normal(mean, sd) |
///   lognormal(mu, sigma) of log X | beta(alpha, beta) on [0, 1] | bernoulli(p)
struct Distribution {
  enum class Kind : std::uint8_t { fixed, uniform, triangular, normal, lognormal, beta, bernoulli };
  Kind kind = Kind::fixed;
  double a = 0, b = 0, c = 0;

  /// Empty if the parameters are valid, else what is wrong with them.
  std::string check() const;
  /// A draw from uniforms u1, u2, u3 in (0, 1); beta may need more, taken from `more`.
  template <typename More>
  double sample(double u1, double u2, More&& more) const;
};

struct SimulationYear {
  int year = 0;
  double budget_factor = 1.0;         ///< budgets of every Baustein scaled by this
  std::optional<Cents> rate_per_vza;  ///< flat amount per VZÄ that year (default: the scenario's)
};

struct SimulationSpec {
  std::uint64_t replications = 1000;
  std::uint64_t seed = 0;
  // Uptake: probability that a recipient applies, by type, overridden per recipient (AGS).
  std::map<RegionType, double> uptake_by_type;
  std::map<std::string, double> uptake_per_recipient;
  bool redistribute = false;  ///< funds of non-applicants go to the applicants (else they lapse)
  Distribution start_month{Distribution::Kind::fixed, 1};     ///< 1..12, month the recipient starts
  Distribution months_to_fill{Distribution::Kind::fixed, 0};  ///< months until a position is filled
  std::optional<Distribution> cost_per_vza_eur;               ///< actual personnel cost per VZÄ
  std::map<std::string, Distribution> indicator_noise;        ///< multiplicative factor per indicator
  std::vector<SimulationYear> years;  ///< empty: the scenario's year only
  bool hold_harmless = false;  ///< positions by key never fall below the previous year's
};

/// Integer accumulators of one allocation slot (recipient x Baustein x year).
struct SlotStats {
  std::uint64_t nothing = 0;                 ///< replications with no money
  std::int64_t halves = 0;                   ///< sum of half positions
  __int128 halves_sq = 0;
  __int128 cents = 0, cents_sq = 0;
  __int128 outflow = 0, cofinancing = 0;     ///< cents
  std::vector<std::uint64_t> halves_hist;    ///< count per number of half positions
  /// Per 0.01 %-wide log bin of cents: the count and the smallest value seen (exact where a bin
  /// holds one value, as it does for positions at a flat rate).
  std::map<std::int32_t, std::pair<std::uint64_t, Cents>> cents_hist;

  void add(Halves h, Cents c, Cents out, Cents cofin);
  void merge(const SlotStats& o);
};

/// Statewide quantities per year, also as integers: sums, squares and a histogram.
struct StateStats {
  __int128 spent = 0, spent_sq = 0;          ///< cents that flowed out
  __int128 filled = 0, filled_sq = 0;        ///< half-position-months filled
  __int128 gini = 0, gini_sq = 0;            ///< Gini of euros per inhabitant, in 1e-9
  __int128 maxmin = 0, maxmin_sq = 0;        ///< max/min euros per inhabitant, in 1e-9
  std::map<std::int64_t, std::uint64_t> spent_hist;  ///< count per 1,000 EUR of spending
  void merge(const StateStats& o);
};

/// One slot per possible (Baustein, recipient) row, per year.
struct SlotKey {
  std::size_t year = 0, baustein = 0, region = 0;
};

struct SimulationResult {
  std::vector<SlotKey> slots;
  std::vector<SlotStats> stats;       ///< parallel to slots
  std::vector<StateStats> state;      ///< per year
  std::vector<Cents> budget;          ///< per year, all Bausteine
  std::vector<int> years;
  std::uint64_t replications = 0;
};

/// Everything one thread needs to run replications: copies of the data it perturbs, scratch.
class Replicator {
 public:
  Replicator(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec);
  /// Runs replication r and adds it to `stats`/`state` (sized like the result's).
  void run(std::uint64_t r, std::vector<SlotStats>& stats, std::vector<StateStats>& state);
  const std::vector<SlotKey>& slots() const { return slots_; }
  const std::vector<Cents>& budgets() const { return budgets_; }
  const std::vector<int>& years() const { return years_; }

 private:
  const Scenario& base_;
  const Regions& regions_;
  const SimulationSpec& spec_;
  Scenario scenario_;  // this year's budgets and rates
  Regions perturbed_;  // this replication's indicators
  std::vector<SlotKey> slots_;
  std::vector<std::int32_t> slot_of_;  // (year, Baustein, region) -> slot, -1 for none
  std::vector<Cents> budgets_;
  std::vector<int> years_;
  std::vector<double> population_;
  std::vector<std::size_t> active_;  // regions any rule reads: the only ones worth a draw
  Workspace workspace_;
  std::int32_t& slot_of(std::size_t year, std::size_t baustein, std::size_t region) {
    return slot_of_[(year * base_.bausteine.size() + baustein) * regions_.list.size() + region];
  }
};

/// Sizes beyond which a simulation is refused before it starts. Each has a reason in the code:
struct SimulationLimits {
  /// About 13 CPU hours for KIM NRW 2021; the standard errors shrink with the square root only.
  static constexpr std::uint64_t replications = 1'000'000'000;
  /// The random streams count the year in 8 bits of the counter.
  static constexpr std::size_t years = 200;
  /// Kreise and Gemeinden together; draws per region are counted as region x 64 + indicator in
  /// 32 bits, and Germany has about 11,000 Gemeinden.
  static constexpr std::size_t regions = 1'000'000;
  /// Indicators of the data (population and area included): the 64 of region x 64 + indicator.
  static constexpr std::size_t indicators = 64;
  /// (year, Baustein, region) slots: every thread keeps accumulators for each, about 3 GiB here.
  static constexpr std::uint64_t slots = 10'000'000;
  /// Threads: each keeps its own accumulators.
  static constexpr int threads = 1024;
};

/// Bytes of accumulators that one thread keeps for `slots` (year, Baustein, region) slots. A
/// lower bound: the histograms grow with the spread of the outcomes.
double accumulator_bytes(double slots);
/// CPU seconds that `replications` of `slots` slots take, scaled from the benchmark of one KIM
/// NRW 2021 replication (1 year x 3 Bausteine x 449 regions: 47 µs, results/bench/kernel.md).
double replication_seconds(double replications, double slots);

/// Runs the replications on `threads` threads (0: OpenMP's default). `progress` is called now
/// and then with the number done, from one thread.
SimulationResult simulate(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                          int threads, void (*progress)(std::uint64_t done, std::uint64_t total) = nullptr);

}  // namespace kimsim
