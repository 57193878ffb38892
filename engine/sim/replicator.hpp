// One Monte Carlo replication and what it is made of: the whole-number draws, the scorers that
// turn a year's outcome into accumulators, the Replicator. Internal to engine/ (the tests and the
// benchmarks see it; it is not installed).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kernel/cpu_path.hpp"
#include "kimsim/simulation.hpp"
#include "sim/accumulators.hpp"

namespace kimsim {

/// Months of a funding year: a recipient starts in month 1..kMonths, and a position is paid for
/// the months after its start and its filling.
inline constexpr std::int64_t kMonths = 12;

/// A draw that ends as a whole number in [lo, hi] (a start month, months to fill): the draw of
/// the distribution, bounded to the range and rounded half up. Compiled once: the 32-bit random
/// values at which it steps up to the next number, found by bisection on the distribution's
/// inverse (which never falls). A draw is then a table lookup, no arithmetic on the
/// distribution. Beta has no inverse: its draws are rounded from gamma variates instead.
class WholeDraw {
 public:
  /// Values a draw can take: the table of first steps per top byte of x counts them in 8 bits.
  static constexpr std::int64_t kMaxValues = 256;
  WholeDraw(const Distribution& d, std::int64_t lo, std::int64_t hi);
  bool by_table() const { return d_.kind != Distribution::Kind::beta; }
  /// The same value at every x (a fixed distribution, or one within one rounding step).
  bool constant() const { return by_table() && (steps_.empty() || steps_.back() == 0); }
  /// The draw at 32 random bits x (by_table() only).
  std::int64_t operator()(std::uint32_t x) const { return lo_ + above_lo(x); }
  /// The least value a draw takes: operator()(x) is lo() + above_lo(x). A loop of draws keeps it
  /// in a local, which its stores of 64-bit integers cannot change (they could lo_: the compiler
  /// reloaded it for every draw).
  std::int64_t lo() const { return lo_; }
  /// The draw at 32 random bits x less lo() (by_table() only).
  std::int64_t above_lo(std::uint32_t x) const {
    const std::uint16_t first = first_[x >> 24];
    // Within the range of most top bytes no step falls: their first value is every x's.
    if (!(first & kStepWithin)) [[likely]]
      return first;
    std::size_t k = first & ~kStepWithin;
    while (k < steps_.size() && x >= steps_[k]) ++k;
    return static_cast<std::int64_t>(k);
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
  static constexpr std::uint16_t kStepWithin = 0x100;
  // Per top byte of x: the steps at or below its first x, and kStepWithin where a step falls
  // above it within the top byte's range.
  std::array<std::uint16_t, 256> first_{};
};

/// Philox4x32-10 (Salmon et al., SC 2011; Random123's philox4x32_10, the generator of cuRAND,
/// JAX and TensorFlow) under one 64-bit key: 128 random bits per counter of two 64-bit words.
/// The same function as r123::Philox4x32 (a test compares every path with it and with Random123's
/// published answers), with its words joined as the little-endian order of r123's arrays: the key
/// (k0, k1) is the seed's (low, high) 32 bits, the counter (c0, c1) is r123's (c0 low, c0 high,
/// c1 low, c1 high), and word 0 of the output is r123's words 0 and 1 (the 128 bits' low 64),
/// word 1 its words 2 and 3. Why 32-bit words: x86 multiplies 64×64→128 only in scalar registers
/// (one per two cycles on this project's EPYC, and Philox2x64 needs ten dependent ones per call),
/// but 32×32→64 on vector registers (`vpmuludq`: four or eight per instruction), so that a batch
/// of counters (fill) costs a few cycles per counter. The round keys are computed once per key.
class Philox4x32 {
 public:
  static constexpr int kRounds = 10;
  static constexpr std::uint32_t kMultiplier0 = 0xD2511F53, kMultiplier1 = 0xCD9E8D57;
  explicit Philox4x32(std::uint64_t key) {
    for (int i = 0; i < kRounds; ++i) {
      k0_[i] = static_cast<std::uint32_t>(static_cast<std::uint32_t>(key) + static_cast<std::uint32_t>(i) * kWeyl0);
      k1_[i] = static_cast<std::uint32_t>(static_cast<std::uint32_t>(key >> 32) + static_cast<std::uint32_t>(i) * kWeyl1);
    }
  }
  /// The 128 bits of counter (c0, c1).
  std::array<std::uint64_t, 2> operator()(std::uint64_t c0, std::uint64_t c1) const {
    std::uint32_t x0 = static_cast<std::uint32_t>(c0), x1 = static_cast<std::uint32_t>(c0 >> 32),
                  x2 = static_cast<std::uint32_t>(c1), x3 = static_cast<std::uint32_t>(c1 >> 32);
#pragma GCC unroll 10
    for (int i = 0; i < kRounds; ++i) {
      const std::uint64_t p0 = std::uint64_t{kMultiplier0} * x0, p1 = std::uint64_t{kMultiplier1} * x2;
      x0 = static_cast<std::uint32_t>((p1 >> 32) ^ x1 ^ k0_[i]);
      x1 = static_cast<std::uint32_t>(p1);
      x2 = static_cast<std::uint32_t>((p0 >> 32) ^ x3 ^ k1_[i]);
      x3 = static_cast<std::uint32_t>(p0);
    }
    return {x0 | std::uint64_t{x1} << 32, x2 | std::uint64_t{x3} << 32};
  }
  /// The 128 bits of the counters (c0, c1[j]) for j < c1.size(), word 0 into w0[j] and word 1 into
  /// w1[j] (each as long as c1, apart from it): the counters of a batch share their first word
  /// (in a replication: replication, year and purpose; the second names the draw). On vector
  /// registers by the widest path this CPU has (paths()), chosen once.
  void fill(std::uint64_t c0, std::span<const std::uint64_t> c1, std::uint64_t* w0, std::uint64_t* w1) const;

  /// A way to compute fill(): every path gives the same bits (a test runs each this CPU has).
  using Path = void (*)(const Philox4x32&, std::uint64_t c0, const std::uint64_t* c1, std::size_t n,
                        std::uint64_t* w0, std::uint64_t* w1);
  using NamedPath = CpuPath<Path>;
  /// The paths, widest first; fill() takes the first this CPU supports.
  static std::span<const NamedPath> paths();
  /// The path fill() takes: the first of paths() this CPU supports.
  static const NamedPath& chosen();

  /// The round keys: the key's low and high words plus i times the Weyl constants, modulo 2^32;
  /// each in a 64-bit word, as a batch's lanes take it.
  const std::array<std::uint64_t, kRounds>& round_keys0() const { return k0_; }
  const std::array<std::uint64_t, kRounds>& round_keys1() const { return k1_; }

 private:
  static constexpr std::uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  std::array<std::uint64_t, kRounds> k0_, k1_;
};

/// A uniform in (0, 1) from the top 53 bits of each word, (m + 1/2) 2^-53, into u (as long as
/// words): the draws' uniforms of an amount or a factor, on vector registers where the CPU has
/// AVX2.
void unit_draws(std::span<const std::uint64_t> words, std::span<double> u);

/// Distribution::invert() of normal(mean, sd) for each p, into z (as long as p, apart from it):
/// the same bits, on vector registers where the CPU has AVX2 (as normal_quantiles).
void normal_draws(std::span<const double> p, std::span<double> z, double mean, double sd);

/// Each personnel cost per VZÄ in euros (a draw) to whole cents, rounded half up and bounded to
/// ±10^13 euros (a NaN to the lower bound): into cents, as long as eur.
void euros_to_cents(std::span<const double> eur, std::span<Cents> cents);

/// What one row of the plan (a recipient of a Baustein) produced in one replication and year:
/// what the scorers read. A row without money (not allocated, or its recipient did not apply)
/// has zeros; no member is ever negative.
struct RowOutcome {
  Halves halves = 0;        ///< positions
  Cents cents = 0;          ///< granted
  Cents outflow = 0;        ///< paid out after the start month and the filling
  Cents cofinancing = 0;    ///< personnel cost above the flat rate, for the months filled
  std::int64_t months = 0;  ///< months the row's positions were filled
};

// Scorers: the metrics of a simulation, each filling its accumulators from the rows' outcomes.
// The replication hands each row's outcome to the scorers as soon as it is paid, in the payout's
// own loop (an outcome never goes through memory), and ends the year. That loop calls nothing:
// a call would make the compiler keep its pointers on the stack and reload them in every row, so
// the rare values that need more than an increment wait in a list until the year's rows are
// done. A new output is a member in accumulators.hpp and a scorer here.

/// A value of a slot left for after the year's rows: a histogram that must grow first, an amount
/// other than the slot's last.
struct LaterCount {
  SlotStats* slot;
  Halves halves;
  Cents cents;
  bool grow, other;
};

/// Per slot: positions, euros, the chance of nothing, outflow and co-financing. What needs more
/// than an increment goes to `later`, returned advanced, for score_later(). A slot has one
/// outcome per replication and year, so that the order in which slots take their values does
/// not matter. The positions' moments are not added here: SimulationRun::take derives them from
/// the positions' histogram, the same integers without two 128-bit sums a row (perf.md § 49).
inline LaterCount* score_slot(SlotStats& s, const RowOutcome& o, LaterCount* later) {
  s.nothing.add(o.cents == 0);
  // An outcome is never negative (see the payout in replication.cpp): added as unsigned, the
  // same sums without the sign's extension into 128 bits.
  s.cents.add_natural(static_cast<std::uint64_t>(o.cents));
  s.outflow.add_natural(static_cast<std::uint64_t>(o.outflow));
  s.cofinancing.add_natural(static_cast<std::uint64_t>(o.cofinancing));
  const bool within = s.halves_hist.add_within(o.halves), repeat = s.cents_counts.add_keyed(o.halves, o.cents);
  // Written for every row and kept where a value needs more, without a branch: a miss is a coin
  // flip for some rows. The next row's store waits on the tests' loads (the histogram's and the
  // amounts' keys' heap lines), which § 43 had kept to the slot's own bytes; the keys' hits are
  // worth it (perf.md § 48). `later` stays within the list: at most one entry per row before
  // this one.
  *later = {&s, o.halves, o.cents, !within, !repeat};
  return later + !(within & repeat);
}

inline void score_later(std::span<const LaterCount> later) {
  for (const LaterCount& l : later) {
    if (l.grow) l.slot->halves_hist.add(l.halves);
    if (l.other) l.slot->cents_counts.add_other(l.cents, l.halves);
  }
}

/// Statewide: the money that flowed out and the half-position-months filled. A local of
/// Replicator::run, whose address no call takes (end_year passes the sums by value), so that the
/// compiler keeps the sums apart from the slots' stores: as a member, each row loaded and stored
/// both as one vector, built first from the two values (6 instructions a row against 2; perf.md
/// § 37).
class SpendingScorer {
 public:
  void add(const RowOutcome& o) { spent_ += o.outflow, filled_ += o.halves * o.months; }
  void end_year(StateStats& state) {
    record(state, spent_, filled_);
    spent_ = 0, filled_ = 0;
  }

 private:
  static void record(StateStats& state, std::int64_t spent, std::int64_t filled);
  // spent <= the year's budget <= 1000 x 10^15 cents (budget_factor and amount limits) < 2^63;
  // filled <= 12 months x the positions that budget pays.
  std::int64_t spent_ = 0, filled_ = 0;
};

/// The values of x ascending, into sorted (as long as x); x holds no NaN. A stable sort: equal
/// values (0 and -0 are equal) in their order in x. Each value's place is its rank, the number of
/// values before it in that order, counted for every pair (on vector registers where the CPU has
/// AVX2): n² comparisons, but no branch that depends on the values (an insertion sort's exits
/// mispredict whenever the order changes). By the widest path this CPU has, chosen once.
void sort_by_rank(std::span<const double> x, std::span<double> sorted);
/// The same by one path ("avx512", "avx2", "scalar"): false, and nothing sorted, where this CPU or
/// build lacks it. For the tests: every path gives the same places.
bool sort_by_rank(std::string_view path, std::span<const double> x, std::span<double> sorted);

/// Fairness: Gini and max/min ratio of euros per inhabitant of the territories (a Kreis or
/// kreisfreie Stadt with its Gemeinden) whose Kreis-level region applied and received money — a
/// measure of how the rules share the money among the participants.
class FairnessScorer {
 public:
  FairnessScorer(const Regions& regions, const std::vector<Plan::Row>& rows);
  /// A row outside every counted territory adds into per_kreis_'s last entry, which nothing reads:
  /// no test per row (it was two instructions of the row loop's ≈ 100, perf.md § 37).
  void add(std::size_t row, const RowOutcome& o) { per_kreis_[row_kreis_[row]] += o.cents; }
  /// `absent`: per region, did not apply.
  void end_year(std::span<const std::uint8_t> absent, StateStats& state);

 private:
  std::vector<std::size_t> kreis_level_;  // Kreise and kreisfreie Städte with a population
  // Per row: its Kreis-level region in kreis_level_, or kreis_level_.size() where it has none.
  std::vector<std::uint32_t> row_kreis_;
  std::vector<double> euros_per_cent_inhabitant_;  // per Kreis-level region
  // Per Kreis-level region: its money and its Gemeinden's; and last, the rows that have none.
  std::vector<Cents> per_kreis_;
  // Scratch of end_year, one per Kreis-level region: euros per inhabitant (+inf where it does not
  // count), and the same ascending.
  std::vector<double> value_, sorted_;
};

/// Everything one thread needs to run replications: the compiled allocation plan, copies of the
/// data it perturbs, the keys of its random streams, scratch. Nothing allocates per replication.
class Replicator {
 public:
  Replicator(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec);
  /// Runs replication r and adds it to `stats`/`state` (sized like the result's), but for the
  /// positions' moments, which the caller derives from their histogram (SlotStats::halves).
  void run(std::uint64_t r, std::vector<SlotStats>& stats, std::vector<StateStats>& state);
  /// Runs replication r and keeps each row's outcome in `outcomes[year * rows + row]` (sized like
  /// slots()) instead of scoring it: for comparisons that need the outcomes of several scenarios
  /// in the same replication (compare --replications).
  void record(std::uint64_t r, std::span<RowOutcome> outcomes);
  /// See check_simulation_years().
  void check_years();
  const std::vector<SlotKey>& slots() const { return slots_; }
  const std::vector<Cents>& budgets() const { return budgets_; }
  const std::vector<int>& years() const { return years_; }
  const Plan& plan() const { return plan_; }

 private:
  /// The replication itself: for each year, `row_done(year, row, outcome)` for each row, then
  /// `year_done(year)`. run() scores them, record() keeps them.
  template <typename RowDone, typename YearDone>
  void replicate(std::uint64_t r, RowDone&& row_done, YearDone&& year_done);
  /// Runs `replication` (replication r): an input error its draws cause says the simulated year
  /// and the replication.
  template <typename Replication>
  void drawn(std::uint64_t r, Replication&& replication);
  /// "; drawn in the simulated year 2022, replication 17 of seed 2021": where replication r fails.
  std::string drawn_in(std::uint64_t r);
  const Regions& regions_;
  const SimulationSpec& spec_;
  Plan plan_;
  Draft draft_;
  Eigen::MatrixXd indicators_;  // this replication's: noise applied to the regions read
  std::vector<SlotKey> slots_;  // year * plan rows + row
  /// Where a row's money comes from and when it lapses: the plan's rows as the payout reads them.
  struct RowSite {
    std::uint32_t region, baustein;
    std::uint32_t lapses_with;  // the Kreis (region index) of a pass-through row, else region
  };
  std::vector<RowSite> sites_;  // per plan row
  std::vector<std::vector<Cents>> budget_, rate_;  // per year, per Baustein
  std::vector<Cents> budgets_;  // per year, all Bausteine
  std::vector<int> years_;
  std::vector<double> uptake_;  // per region: probability to apply
  bool uptake_drawn_ = false;   // some region read applies with a probability below 1
  std::vector<std::uint64_t> absent_from_;  // per region: the least 32 random bits at which it does not apply
  // The names of the random draws (see Stream in replication.cpp), hashed once.
  std::vector<std::uint64_t> region_key_;  // per region read: its AGS
  std::vector<std::uint64_t> row_key_;     // per row: Baustein id and AGS
  struct Noise {
    std::size_t column;
    const Distribution* dist;
    std::vector<std::uint64_t> key;  // per region read: indicator name and AGS
  };
  std::vector<Noise> noise_;
  WholeDraw start_draw_, fill_draw_;
  FairnessScorer fairness_;
  // Scratch, per replication.
  std::vector<double> uniform_, value_;  // draws of one kind, before and after transforming them
  std::vector<std::uint64_t> word0_, word1_;  // a batch's random bits, words 0 and 1 (Stream::fill)
  std::vector<std::int64_t> fill_;       // per row: months to fill its positions
  std::vector<Cents> cost_;              // per row: personnel cost per VZÄ
  std::vector<std::uint8_t> absent_;
  std::vector<std::int64_t> start_;  // per region: the month it starts
  std::vector<Halves> floor_;        // per row: positions held last year
  std::vector<LaterCount> later_;    // at most one per row and year
};

}  // namespace kimsim
