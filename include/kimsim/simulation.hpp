// Monte Carlo over a scenario: uncertain uptake, hiring, personnel cost and indicators, over one or
// more years. Every draw comes from a counter-based generator (Philox2x64-10) keyed by the seed and
// counted by (purpose, year, replication, item): the same seed gives the same bits whatever the
// number of threads. Accumulators are integers, so merging them is order-free.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kimsim/model.hpp"

namespace kimsim {

/// A distribution from a small documented set. Parameters (a, b, c):
///   fixed(value) | uniform(min, max) | triangular(min, mode, max) | normal(mean, sd) |
///   lognormal(mu, sigma) of log X | beta(alpha, beta) on [0, 1] | bernoulli(p)
/// The standard normal quantile (M. J. Wichura, Algorithm AS 241, PPND16), p in (0, 1).
double normal_quantile(double p);
/// normal_quantile() of each p, into z (as long as p, not overlapping it): the same bits, faster
/// for many.
void normal_quantiles(std::span<const double> p, std::span<double> z);

struct Distribution {
  enum class Kind : std::uint8_t { fixed, uniform, triangular, normal, lognormal, beta, bernoulli };
  Kind kind = Kind::fixed;
  double a = 0, b = 0, c = 0;

  /// Empty if the parameters are valid, else what is wrong with them.
  std::string check() const;
  /// The draw for one uniform u in (0, 1): the quantile function, the inverse of the
  /// distribution function (normal and lognormal by Wichura's AS 241), so that one draw costs one
  /// uniform and a larger u never gives a smaller draw (WholeDraw relies on it). Beta has no closed-form
  /// inverse: a simulation draws it from two gamma variates instead.
  double invert(double u) const;
  /// invert() of each u, into x (as long as u, not overlapping it): the same bits, faster for
  /// many (not beta).
  void invert_all(std::span<const double> u, std::span<double> x) const;
};


struct SimulationYear {
  int year = 0;
  double budget_factor = 1.0;         ///< budgets of every Baustein scaled by this
  std::optional<Cents> rate_per_vza;  ///< flat amount per VZÄ that year (default: the scenario's)
  std::string where;                  ///< "file:line:column: simulation.years[i]", for messages
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

/// Counts of integer values (cents): exact while they take at most kExact distinct values —
/// positions at a flat rate take few — else merged into 0.01 %-wide logarithmic bins, each
/// keeping its count and smallest value, so that memory stays bounded whatever the number of
/// replications. Both forms merge by addition, and the form of a merged result depends only on
/// the values added, never on how they were split among threads.
class ValueCounts {
 public:
  static constexpr std::size_t kExact = 1024;
  void add(std::int64_t v) {
    // Most replications repeat the last value (positions at a flat rate take few amounts).
    if (!binned_ && last_ < counts_.size() && counts_[last_].first == v) [[likely]]
      ++counts_[last_].second;
    else
      add_other(v);
  }
  void merge(const ValueCounts& o);
  /// The k-th smallest value (1-based): exact, or the smallest value of its bin when binned.
  std::int64_t nth(std::uint64_t k) const;
  bool exact() const { return !binned_; }
  /// The entries (value, or smallest value of a bin; count), ascending: for packing.
  const std::vector<std::pair<std::int64_t, std::uint64_t>>& entries() const { return counts_; }
  static ValueCounts from_entries(std::vector<std::pair<std::int64_t, std::uint64_t>> entries, bool exact);

 private:
  std::vector<std::pair<std::int64_t, std::uint64_t>> counts_;  // ascending values (bin minima)
  std::size_t last_ = 0;  // where the last value went: most replications repeat it
  bool binned_ = false;
  void add_other(std::int64_t v);
  void to_bins();
};

inline double Distribution::invert(double u) const {
  switch (kind) {
    case Kind::fixed: return a;
    case Kind::uniform: return a + (b - a) * u;
    case Kind::triangular: {
      const double f = (b - a) / (c - a);
      return u < f ? a + std::sqrt(u * (c - a) * (b - a)) : c - std::sqrt((1 - u) * (c - a) * (c - b));
    }
    case Kind::normal: return a + b * normal_quantile(u);
    case Kind::lognormal: return std::exp(a + b * normal_quantile(u));
    case Kind::bernoulli: return u > 1.0 - a ? 1.0 : 0.0;
    case Kind::beta: break;
  }
  return std::numeric_limits<double>::quiet_NaN();  // beta: see Distribution::invert
}

/// A draw that ends as a whole number in [lo, hi] (a start month, months to fill): the draw of
/// the distribution, bounded to the range and rounded half up. Compiled once: the 32-bit random
/// values at which it steps up to the next number, found by bisection on the distribution's
/// inverse (which never falls). A draw is then a table lookup, no arithmetic on the
/// distribution. Beta has no inverse: its draws are rounded from gamma variates instead.
class WholeDraw {
 public:
  WholeDraw(const Distribution& d, std::int64_t lo, std::int64_t hi);
  bool by_table() const { return d_.kind != Distribution::Kind::beta; }
  /// The same value at every x (a fixed distribution, or one within one rounding step).
  bool constant() const { return by_table() && (steps_.empty() || steps_.back() == 0); }
  /// The draw at 32 random bits x (by_table() only).
  std::int64_t operator()(std::uint32_t x) const {
    std::size_t k = first_[x >> 24];
    while (k < steps_.size() && x >= steps_[k]) ++k;
    return lo_ + static_cast<std::int64_t>(k);
  }
  /// A value of the distribution, bounded and rounded (a NaN to lo).
  std::int64_t round(double v) const;
  const Distribution& distribution() const { return d_; }
  /// The least x at which the draw is lo + k + 1, for k = 0, 1, ...; steps never taken omitted.
  const std::vector<std::uint32_t>& steps() const { return steps_; }

 private:
  std::int64_t lo_, hi_;
  Distribution d_;
  std::vector<std::uint32_t> steps_;
  std::array<std::uint8_t, 256> first_{};  // per top byte of x: the steps at or below its first x
};

/// Integer accumulators of one allocation slot (recipient x Baustein x year).
struct SlotStats {
  std::uint64_t nothing = 0;                 ///< replications with no money
  std::int64_t halves = 0;                   ///< sum of half positions
  __int128 halves_sq = 0;
  __int128 cents = 0, cents_sq = 0;
  __int128 outflow = 0, cofinancing = 0;     ///< cents
  std::vector<std::uint64_t> halves_hist;    ///< count per number of half positions
  ValueCounts cents_counts;

  void add(Halves h, Cents c, Cents out, Cents cofin) {
    nothing += c == 0;
    halves += h;
    halves_sq += static_cast<__int128>(h) * h;
    cents += c;
    cents_sq += static_cast<__int128>(c) * c;
    outflow += out;
    cofinancing += cofin;
    const auto k = static_cast<std::size_t>(h);
    if (k >= halves_hist.size()) [[unlikely]]
      halves_hist.resize(k + 1, 0);
    ++halves_hist[k];
    cents_counts.add(c);
  }
  void merge(const SlotStats& o);
};

/// The largest max/min ratio accumulated as it is; beyond it, as this (and counted): the sum of
/// squares of 10^9 replications in units of 1e-9 then stays within 128 bits.
inline constexpr std::int64_t kMaxRatio = 100'000;

/// Statewide quantities per year, also as integers: sums, squares and a histogram. Fairness is
/// measured over the territories (Kreis-level region and its Gemeinden) whose Kreis-level region
/// applied and received money.
struct StateStats {
  __int128 spent = 0, spent_sq = 0;          ///< cents that flowed out
  __int128 filled = 0, filled_sq = 0;        ///< half-position-months filled
  __int128 gini = 0, gini_sq = 0;            ///< Gini of euros per inhabitant, in 1e-9
  __int128 maxmin = 0, maxmin_sq = 0;        ///< max/min euros per inhabitant, in 1e-9, at most kMaxRatio
  std::uint64_t maxmin_capped = 0;           ///< replications whose ratio exceeded kMaxRatio
  std::map<std::int64_t, std::uint64_t> spent_hist;  ///< count per 1,000 EUR of spending
  void merge(const StateStats& o);
};

/// One slot per row of the allocation plan (Baustein, recipient), per year.
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

/// Everything one thread needs to run replications: the compiled allocation plan, copies of the
/// data it perturbs, scratch. Nothing allocates per replication.
class Replicator {
 public:
  Replicator(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec);
  /// Runs replication r and adds it to `stats`/`state` (sized like the result's).
  void run(std::uint64_t r, std::vector<SlotStats>& stats, std::vector<StateStats>& state);
  /// Allocates every year once with everyone applying and no noise, as `run` would with the
  /// year's budget and rate: an InputError names the year (SimulationYear::where) of the first
  /// that a rule cannot satisfy (a budget factor that leaves less than the fixed positions need).
  /// `kimsim validate` calls it, so that it finds what `simulate` would fail on.
  void check_years();
  const std::vector<SlotKey>& slots() const { return slots_; }
  const std::vector<Cents>& budgets() const { return budgets_; }
  const std::vector<int>& years() const { return years_; }

 private:
  const Regions& regions_;
  const SimulationSpec& spec_;
  Plan plan_;
  Draft draft_;
  Eigen::MatrixXd indicators_;  // this replication's: noise applied to the regions read
  std::vector<SlotKey> slots_;  // year * plan rows + row
  std::vector<std::vector<Cents>> budget_, rate_;  // per year, per Baustein
  std::vector<Cents> budgets_;  // per year, all Bausteine
  std::vector<int> years_;
  std::vector<std::size_t> kreis_level_;  // Kreise and kreisfreie Städte with a population
  std::vector<double> uptake_;      // per region: probability to apply
  struct Noise {
    std::size_t column;
    const Distribution* dist;
  };
  std::vector<Noise> noise_;
  WholeDraw start_draw_, fill_draw_;
  // Scratch, per replication.
  std::vector<double> uniform_, value_;  // draws of one kind, before and after transforming them
  std::vector<std::int64_t> fill_;       // per row: months to fill its positions
  std::vector<Cents> cost_;              // per row: personnel cost per VZÄ
  std::vector<std::uint8_t> absent_;
  std::vector<std::int64_t> start_;  // per region: the month it starts
  std::vector<Halves> floor_;        // per row: positions held last year
  static constexpr std::uint32_t kNoKreis = ~std::uint32_t{0};
  std::vector<std::uint32_t> row_kreis_;  // per row: its Kreis-level region in kreis_level_, or kNoKreis
  std::vector<Cents> per_kreis_;          // per Kreis-level region: its money and its Gemeinden's
  std::vector<double> euros_per_cent_inhabitant_;         // per Kreis-level region
  std::vector<std::uint32_t> order_;                      // Kreis-level regions, by euros per inhabitant
  std::vector<std::pair<double, std::uint32_t>> counted_;  // euros per inhabitant, Kreis-level index
};

/// Sizes beyond which a simulation is refused before it starts. Each has a reason in the code:
struct SimulationLimits {
  /// About 6 CPU hours for KIM NRW 2021; the standard errors shrink with the square root only.
  static constexpr std::uint64_t replications = 1'000'000'000;
  /// The random streams count the year in 8 bits of the counter.
  static constexpr std::size_t years = 200;
  /// Kreise and Gemeinden together; noise draws are counted as indicator x regions + region in
  /// 32 bits, and Germany has about 11,000 Gemeinden.
  static constexpr std::size_t regions = 1'000'000;
  /// Indicators of the data (population and area included): at most 64 x 10^6 noise items.
  static constexpr std::size_t indicators = 64;
  /// (year, Baustein, region) slots: every thread keeps accumulators for each, about 3 GiB here.
  static constexpr std::uint64_t slots = 10'000'000;
  /// Threads: each keeps its own accumulators.
  static constexpr int threads = 1024;
};

/// Bytes of accumulators that one thread keeps for `slots` (year, Baustein, region) slots. A
/// lower bound: the counts of distinct amounts grow with the spread of the outcomes (up to
/// ValueCounts::kExact entries, then one per 0.01 % bin).
double accumulator_bytes(double slots);
/// CPU seconds that `replications` of `slots` slots take, scaled from the benchmark of one KIM
/// NRW 2021 replication (1 year x 3 Bausteine x 449 regions: about 20 µs, results/bench/).
double replication_seconds(double replications, double slots);

using Progress = void (*)(std::uint64_t done, std::uint64_t total);

/// Runs the replications on `threads` threads (0: OpenMP's default). `progress` is called now
/// and then with the number done, from one thread. An exception in a replication is rethrown
/// after the loop: that of the lowest replication, whatever the thread count.
SimulationResult simulate(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                          int threads, Progress progress = nullptr);

/// Replications [first, first + count) only: one process's share of a run spread over several
/// (MPI ranks). Merging the shares gives the bits simulate() gives. Where it throws, `failed_at`
/// (if given) holds the replication whose exception it is.
SimulationResult simulate_share(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                                std::uint64_t first, std::uint64_t count, int threads, Progress progress = nullptr,
                                std::uint64_t* failed_at = nullptr);

/// Adds the accumulators of `part` (same scenario and spec, other replications) to `into`.
void merge(SimulationResult& into, const SimulationResult& part);

/// The accumulators as bytes and back, to send them between processes of one machine type.
std::string pack(const SimulationResult& r);
SimulationResult unpack(std::string_view bytes);

}  // namespace kimsim
