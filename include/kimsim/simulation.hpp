// Monte Carlo over a scenario: uncertain uptake, hiring, personnel cost and indicators, over one or
// more years. Every draw comes from a counter-based generator (Philox4x32-10) keyed by the seed and
// named by what it decides — (replication, calendar year, purpose, region AGS, Baustein id,
// indicator name) — never by a position in a list: the same seed gives the same bits whatever
// the number of threads, and two variants of a scenario draw the same for the recipients they
// share (common random numbers). Accumulators are integers, so merging them is order-free.
#pragma once

#include <cmath>
#include <limits>
#include <cstdint>
#include <map>
#include <memory>
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
  /// distribution function (normal and lognormal by Wichura's AS 241, lognormal's exp kimsim's
  /// own: the same bits on every machine), so that one draw costs one
  /// uniform and a larger u never gives a smaller draw (the whole-number draws rely on it). Beta has no closed-form
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
  /// Per Baustein, its budget and flat amount that year from the scenario's dated values
  /// ({2021: ..., 2023: ...}); empty: the scenario's. budget_factor scales the budget on top, and
  /// the year's own rate_per_vza wins over the dated one.
  std::vector<Cents> budget, rate;
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

struct SlotStats;   // per slot: engine/sim/accumulators.hpp, internal
struct StateStats;  // per year: engine/sim/accumulators.hpp, internal

/// One slot per row of the allocation plan (Baustein, recipient), per year.
struct SlotKey {
  std::size_t year = 0, baustein = 0, region = 0;
};

/// The accumulators of a simulation (or of a share of its replications). Their statistics are
/// declared in an internal header (engine/sim/accumulators.hpp), so that a new output changes no
/// installed header; kimsim's writers read them, and pack() carries them between processes.
struct SimulationResult {
  std::vector<SlotKey> slots;
  std::vector<SlotStats> stats;       ///< parallel to slots
  std::vector<StateStats> state;      ///< per year
  std::vector<Cents> budget;          ///< per year, all Bausteine
  std::vector<int> years;
  std::uint64_t replications = 0;

  SimulationResult();
  ~SimulationResult();
  SimulationResult(const SimulationResult&);
  SimulationResult(SimulationResult&&) noexcept;
  SimulationResult& operator=(const SimulationResult&);
  SimulationResult& operator=(SimulationResult&&) noexcept;
};

/// Sizes beyond which a simulation is refused before it starts, each with its reason (which the
/// messages quote). Every check of a size uses these; nothing else states them.
struct SimulationLimits {
  /// About 6 CPU hours for KIM NRW 2021; the standard errors shrink with the square root only.
  /// (The random streams number replications in 30 bits: engine/sim/replication.cpp.)
  static constexpr std::uint64_t replications = 1'000'000'000;
  /// Years of one simulation: each costs an allocation per replication and accumulators per
  /// slot; a path of more than two centuries is a slip of the pen, not a forecast.
  static constexpr std::size_t years = 200;
  static constexpr const char* years_reason = "a path of more than two centuries is no forecast";
  /// Calendar years a scenario or a simulation may name: the random streams key the year in
  /// 14 bits (engine/sim/replication.cpp).
  static constexpr int first_year = 1000, last_year = 9999;
  /// Kreise and Gemeinden together: every thread keeps accumulators per region, Baustein and
  /// year; Germany has about 11,000 Gemeinden.
  static constexpr std::size_t regions = 1'000'000;
  /// Indicators of the data (population and area included): every thread keeps its own copy of
  /// the indicator matrix to perturb, 512 MB at 64 indicators of 10^6 regions.
  static constexpr std::size_t indicators = 64;
  static constexpr const char* indicators_reason =
      "every simulation thread copies the regions x indicators matrix it perturbs";
  /// (year, Baustein, region) slots: every thread keeps accumulators for each, about 3 GiB here.
  static constexpr std::uint64_t slots = 10'000'000;
  /// Threads: each keeps its own accumulators.
  static constexpr int threads = 1024;
};

/// Bytes of accumulators that one thread keeps for `slots` (year, Baustein, region) slots. A
/// lower bound: the counts of distinct amounts grow with the spread of the outcomes (up to
/// ValueCounts::kExact entries, engine/sim/accumulators.hpp, then one per 0.01 % bin).
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

/// A simulation run in pieces: each call of run() adds the replications it is given to the
/// accumulators this object keeps (one set per thread, their replicators built once), and
/// take() hands over everything run since the last take() and starts again from nothing. The
/// pieces may come in any order and be split among processes: merged, they give the bits
/// simulate() gives. The building block of runs in chunks — balanced MPI ranks that take chunks
/// from a shared counter, checkpoints between chunks (engine/cli/batch.hpp). Scenario, regions
/// and spec must outlive it.
class SimulationRun {
 public:
  SimulationRun(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec, int threads);
  ~SimulationRun();
  SimulationRun(const SimulationRun&) = delete;
  SimulationRun& operator=(const SimulationRun&) = delete;
  /// Runs replications [first, first + count) on the threads. Where one throws, the exception of
  /// the lowest is rethrown and `failed_at` (if given) holds its number.
  void run(std::uint64_t first, std::uint64_t count, Progress progress = nullptr, std::uint64_t* failed_at = nullptr);
  /// The accumulators of the replications run since the last take(), merged; then none.
  SimulationResult take();
  /// A result of this simulation's layout without replications: what shares are merged into.
  SimulationResult empty() const;

 private:
  struct Crew;
  std::unique_ptr<Crew> crew_;
};

/// Allocates every year of `spec` once with everyone applying and no noise, as a replication
/// would with the year's budget and rate: an InputError names the year (SimulationYear::where)
/// of the first that a rule cannot satisfy (a budget factor that leaves less than the fixed
/// positions need). `kimsim validate` calls it, so that it finds what `simulate` would fail on.
void check_simulation_years(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec);

/// Adds the accumulators of `part` (same scenario and spec, other replications) to `into`.
void merge(SimulationResult& into, const SimulationResult& part);

/// The accumulators as bytes and back, to send them between processes of one machine type.
std::string pack(const SimulationResult& r);
SimulationResult unpack(std::string_view bytes);

}  // namespace kimsim
