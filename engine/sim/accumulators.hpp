// The accumulators of a simulation, declared once. Each statistic is a member of SlotStats (per
// recipient, Baustein and year) or StateStats (statewide, per year) and one line of its fields()
// table: the merge of thread and rank shares, the packing for MPI and the columns of
// simulation.csv / the entries of summary.json all walk that table, so that a new output is one
// member, one line and the scorer that fills it (replicator.hpp). Internal to engine/: not
// installed, so that a new output never changes the public headers.
//
// Every accumulator is integers that merge by addition: the same bits for any thread or rank
// count, whatever order the shares arrive in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "kimsim/simulation.hpp"

namespace kimsim {

// ---------------------------------------------------------------------------------------------
// Kinds of accumulators. Each has add(), merge() and a `kind` name (part of the packed layout's
// fingerprint); pack.cpp packs each kind, sim_report.cpp turns each into columns.

/// Replications in which something happened: its probability.
struct Count {
  static constexpr std::string_view kind = "count";
  std::uint64_t n = 0;
  void add(bool happened) { n += happened; }
  void merge(const Count& o) { n += o.n; }
};

namespace detail {
/// sum += v for v >= 0, as an add with carry into the upper half. (GCC keeps the zero upper
/// half of a widened v as a value of its own, and in a loop short of registers moved it
/// through the stack for every add.)
inline void add_natural(__int128& sum, std::uint64_t v) {
  const auto s = static_cast<unsigned __int128>(sum);
  std::uint64_t lo = static_cast<std::uint64_t>(s), hi = static_cast<std::uint64_t>(s >> 64);
  hi += __builtin_add_overflow(lo, v, &lo);
  sum = static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo);
}
}  // namespace detail

/// A sum over the replications: the mean.
struct Sum {
  static constexpr std::string_view kind = "sum";
  __int128 sum = 0;
  void add(std::int64_t v) { sum += v; }
  /// v >= 0: the same sum as add(v), without extending a sign into the upper 64 bits.
  void add_natural(std::uint64_t v) { detail::add_natural(sum, v); }
  void merge(const Sum& o) { sum += o.sum; }
};

/// Sum and sum of squares: the mean, the standard deviation and the standard error.
struct Moments {
  static constexpr std::string_view kind = "moments";
  __int128 sum = 0, sq = 0;
  /// v is 64 bits: its square is one multiplication into 128.
  void add(std::int64_t v) { sum += v, sq += static_cast<__int128>(v) * v; }
  /// v >= 0: the same sums as add(v), without extending a sign into the upper 64 bits.
  void add_natural(std::uint64_t v) {
    detail::add_natural(sum, v);
    sq += static_cast<__int128>(static_cast<unsigned __int128>(v) * v);
  }
  void merge(const Moments& o) { sum += o.sum, sq += o.sq; }
};

/// Count per whole number 0, 1, 2, ... (half positions): exact quantiles of a small range.
struct Histogram {
  static constexpr std::string_view kind = "histogram";
  std::vector<std::uint64_t> counts;
  void add(std::int64_t k) {
    const auto at = static_cast<std::size_t>(k);
    if (at >= counts.size()) [[unlikely]]
      counts.resize(at + 1, 0);
    ++counts[at];
  }
  /// Counts k where the histogram reaches it already; else counts nothing and says so (add() it).
  bool add_within(std::int64_t k) {
    const auto at = static_cast<std::size_t>(k);
    if (at >= counts.size()) return false;
    ++counts[at];
    return true;
  }
  void merge(const Histogram& o);
  /// The sum and the sum of squares of the values counted: the same integers as a Moments to
  /// which each was added.
  Moments moments() const;
};

/// Count per bin of kWidth cents (1,000 EUR): quantiles as floors to the bin. Statewide, one per
/// year, added to once per replication: the bins near the ones seen so far are counted in an array
/// (a year's spending spreads over a few thousand bins), the rest in a map. As a map alone, the
/// walk down its tree was 4 % of a replication's time, three quarters of it on one load (perf.md
/// § 48).
class SpendBins {
 public:
  static constexpr std::string_view kind = "bins";
  static constexpr std::int64_t kWidth = 100'000;  // cents: 1,000 EUR
  /// The most bins the array spans (64 KiB of counts); bins beyond go to the map.
  static constexpr std::size_t kDense = std::size_t{1} << 13;
  void add(std::int64_t v) { add_bin(v / kWidth, 1); }
  /// Counts n values in `bin` (value / kWidth).
  void add_bin(std::int64_t bin, std::uint64_t n) {
    // Unsigned: a bin below first_ wraps to a large number. Bins are within ±2^63 / kWidth, so
    // the difference does not overflow.
    const auto at = static_cast<std::uint64_t>(bin - first_);
    if (at < dense_.size()) [[likely]]
      dense_[at] += n;
    else
      add_outside(bin, n);
  }
  void merge(const SpendBins& o);
  /// The bins with a count and their counts, ascending.
  std::vector<std::pair<std::int64_t, std::uint64_t>> entries() const;

 private:
  std::int64_t first_ = 0;             // the bin of dense_[0]
  std::vector<std::uint64_t> dense_;   // count per bin from first_ on (zeros where none)
  std::map<std::int64_t, std::uint64_t> sparse_;  // bins outside dense_'s span, never within it
  void add_outside(std::int64_t bin, std::uint64_t n);
};

/// Counts of integer values (cents): exact while they take at most kExact distinct values —
/// positions at a flat rate take few — else merged into 0.01 %-wide logarithmic bins, each
/// keeping its count and smallest value, so that memory stays bounded whatever the number of
/// replications. Both forms merge by addition, and the form of a merged result depends only on
/// the values added, never on how they were split among threads.
class ValueCounts {
 public:
  static constexpr std::string_view kind = "value-counts";
  static constexpr std::size_t kExact = 1024;
  void add(std::int64_t v) {
    if (!add_repeat(v)) add_other(v);
  }
  /// Counts v where it is the last value added, as most replications repeat it (positions at a
  /// flat rate take few amounts); else counts nothing and says so. A repeat reads and writes the
  /// slot alone: it is counted in pending_, not in its entry, whose heap line (anywhere in up to
  /// kExact entries, 16 KiB a slot) was read and written per row (perf.md § 43).
  bool add_repeat(std::int64_t v) {
    // Both tests on the slot's own bytes, so no short circuit is needed (binned: last_ is kNoLast).
    const bool repeat = static_cast<bool>(int{v == last_value_} & int{last_ < counts_.size()});
    pending_ += repeat;
    return repeat;
  }
  /// Counts v where it is the value last counted with `key` (a slot's amount with its number of
  /// half positions: at a flat rate each number has one amount), else counts nothing and says so
  /// (add_other(v, key) it). A slot's amount moves among a few values from one replication to
  /// the next, one per number of positions: as the value last added (add_repeat), a quarter of
  /// the rows missed and took add_other's search; per key they repeat (perf.md § 48). Counted in
  /// the key's entry, added to the value's entry by every reader.
  bool add_keyed(std::int64_t key, std::int64_t v) {
    const auto at = static_cast<std::uint64_t>(key);
    if (at >= keyed_.size()) return false;
    Keyed& k = keyed_[at];
    const bool hit = k.value == v;
    k.pending += hit;  // no branch on the hit: a miss is a coin flip for some rows
    return hit;
  }
  /// Counts v, any value: add() where add_repeat() said no.
  void add_other(std::int64_t v);
  /// add_other(v), where add_keyed(key, v) said no: v becomes the value of `key` (while exact,
  /// for keys below kKeys).
  void add_other(std::int64_t v, std::int64_t key);
  /// The keys add_keyed counts: half positions up to 127.5 VZÄ, at most 4 KiB a slot.
  static constexpr std::size_t kKeys = 256;
  void merge(const ValueCounts& o);
  /// The k-th smallest value (1-based): exact, or the smallest value of its bin when binned.
  std::int64_t nth(std::uint64_t k) const;
  bool exact() const { return !binned_; }
  /// The entries (value, or smallest value of a bin; count), ascending: for packing.
  const std::vector<std::pair<std::int64_t, std::uint64_t>>& entries() const {
    settle();
    return counts_;
  }
  static ValueCounts from_entries(std::vector<std::pair<std::int64_t, std::uint64_t>> entries, bool exact);

 private:
  // Ascending values (bin minima). Mutable for settle(): every reader sees the pending repeats.
  mutable std::vector<std::pair<std::int64_t, std::uint64_t>> counts_;
  // The value at last_, and the repeats of it not yet added to its entry (only while last_ <
  // counts_.size()). Every reader and every change of last_ settles them first, so that the
  // counts are those of adding each value to its entry.
  std::int64_t last_value_ = 0;
  mutable std::uint64_t pending_ = 0;
  // Where the last value went (< kExact): most replications repeat it. kNoLast before the first
  // value and while binned, so that add_repeat's one comparison with the size says both.
  static constexpr std::uint32_t kNoLast = ~std::uint32_t{0};
  std::uint32_t last_ = kNoLast;
  bool binned_ = false;
  // Per key below kKeys: a value of counts_ and the counts of it not yet added there (while
  // exact; empty once binned).
  struct Keyed {
    std::int64_t value;
    std::uint64_t pending;
  };
  mutable std::vector<Keyed> keyed_;
  void settle_last() const {
    // Tested on last_, not on pending_: that branch goes the same way call after call (true while
    // exact, false while binned); one on pending_ mispredicted in add_other.
    if (last_ < counts_.size()) counts_[last_].second += pending_;
    pending_ = 0;
  }
  /// Adds the keys' pending counts to their values' entries.
  void settle_keyed() const;
  void settle() const { settle_last(), settle_keyed(); }
  void to_bins();
};

/// Counts of signed integer values (a difference between two scenarios): the negative ones by
/// their magnitude and the others apart, each in a ValueCounts, so that its logarithmic bins
/// (which start at 1) never join values of opposite sign.
class SignedCounts {
 public:
  static constexpr std::string_view kind = "signed-counts";
  /// v > INT64_MIN: differences of amounts within the limits of a scenario.
  void add(std::int64_t v) { v < 0 ? below_.add(-v) : rest_.add(v); }
  void merge(const SignedCounts& o) { below_.merge(o.below_), rest_.merge(o.rest_); }
  /// The k-th smallest value (1-based), exact while each side is.
  std::int64_t nth(std::uint64_t k) const;
  bool exact() const { return below_.exact() && rest_.exact(); }
  /// The magnitudes of the negative values, and the others: for packing.
  const ValueCounts& below() const { return below_; }
  const ValueCounts& rest() const { return rest_; }
  static SignedCounts from_parts(ValueCounts below, ValueCounts rest);

 private:
  ValueCounts below_, rest_;
};

// ---------------------------------------------------------------------------------------------
// Declarations.

/// What the integers of an accumulator count, so that a writer knows how to print them.
enum class Unit : std::uint8_t {
  halves,       ///< half positions (VZÄ = halves / 2)
  cents,        ///< euros = cents / 100
  half_months,  ///< half-position-months (VZÄ-years = / 24)
  nano,         ///< a ratio in units of 1e-9
  none,         ///< a plain count
};

/// One accumulator of `Stats`: its member and how the writers name and print it. `name` is the
/// stem of its CSV columns (positions -> positions_mean, positions_sd, ...; a Count -> p_name) or
/// the object of summary.json it belongs to; `entry`, where set, the key of a Count within that
/// object.
template <typename Stats, typename Accumulator>
struct Field {
  using type = Accumulator;
  std::string_view name;
  Accumulator Stats::*member;
  Unit unit = Unit::none;
  std::string_view entry = {};
};

/// The largest max/min ratio accumulated as it is; beyond it, as this (and counted): the sum of
/// squares of 10^9 replications in units of 1e-9 then stays within 128 bits.
inline constexpr std::int64_t kMaxRatio = 100'000;

namespace detail {
/// "replications_capped_at_<kMaxRatio>", spelled at compile time from the one constant.
constexpr auto capped_entry() {
  constexpr std::string_view stem = "replications_capped_at_";
  std::array<char, stem.size() + 20> text{};
  std::size_t n = 0;
  for (char c : stem) text[n++] = c;
  char digits[20];
  std::size_t d = 0;
  for (std::int64_t v = kMaxRatio; v > 0; v /= 10) digits[d++] = static_cast<char>('0' + v % 10);
  while (d > 0) text[n++] = digits[--d];
  return std::pair{text, n};
}
inline constexpr auto kCappedEntry = capped_entry();
}  // namespace detail

/// Integer accumulators of one allocation slot (recipient x Baustein x year). The order of
/// fields() is the order of the CSV columns; the members are ordered to leave no padding (every
/// thread keeps one per slot: accumulator_bytes()).
struct SlotStats {
  Moments halves;             ///< half positions: halves_hist.moments(), set by SimulationRun::take
  Moments cents;              ///< euros granted
  Sum outflow;                ///< cents paid out in the year
  Sum cofinancing;            ///< cents of personnel cost above the flat rate
  Histogram halves_hist;      ///< count per number of half positions
  ValueCounts cents_counts;   ///< count per amount
  Count nothing;              ///< replications with no money

  static constexpr auto fields() {
    using S = SlotStats;
    return std::tuple{Field<S, Moments>{"positions", &S::halves, Unit::halves},
                      Field<S, Histogram>{"positions", &S::halves_hist, Unit::halves},
                      Field<S, Moments>{"euros", &S::cents, Unit::cents},
                      Field<S, ValueCounts>{"euros", &S::cents_counts, Unit::cents},
                      Field<S, Count>{"nothing", &S::nothing},
                      Field<S, Sum>{"outflow", &S::outflow, Unit::cents},
                      Field<S, Sum>{"cofinancing", &S::cofinancing, Unit::cents}};
  }
};

/// Statewide quantities per year. Fairness is measured over the territories (Kreis-level region
/// and its Gemeinden) whose Kreis-level region applied and received money; a replication in
/// which none did has no fairness (not a Gini of 0): it is left out of gini and maxmin, whose
/// means are over `fair` replications.
struct StateStats {
  Moments spent;          ///< cents that flowed out
  SpendBins spent_bins;   ///< the same, counted per 1,000 EUR
  Moments filled;         ///< half-position-months filled
  Moments gini;           ///< Gini of euros per inhabitant, in 1e-9
  Moments maxmin;         ///< max/min euros per inhabitant, in 1e-9, at most kMaxRatio
  Count maxmin_capped;    ///< replications whose ratio exceeded kMaxRatio
  Count fair;             ///< replications in which some territory counted: gini's and maxmin's

  static constexpr auto fields() {
    using S = StateStats;
    return std::tuple{
        Field<S, Moments>{"spent_eur", &S::spent, Unit::cents},
        Field<S, SpendBins>{"spent_eur", &S::spent_bins, Unit::cents},
        Field<S, Moments>{"positions_filled_vza_years", &S::filled, Unit::half_months},
        Field<S, Moments>{"gini_euros_per_inhabitant", &S::gini, Unit::nano},
        Field<S, Moments>{"max_min_ratio_euros_per_inhabitant", &S::maxmin, Unit::nano},
        Field<S, Count>{"max_min_ratio_euros_per_inhabitant", &S::maxmin_capped, Unit::none,
                        std::string_view(detail::kCappedEntry.first.data(), detail::kCappedEntry.second)},
        Field<S, Count>{"gini_euros_per_inhabitant", &S::fair, Unit::none, "replications"}};
  }
};

/// A comparison under uncertainty (`kimsim compare --replications`): per variant, year, territory
/// and Baustein, the difference variant minus base in each replication, both drawn on the same
/// random streams. The base's and the variant's own moments give the variance the difference
/// would have on independent streams (see variance_ratios() in kimsim/compare.hpp).
struct DeltaStats {
  Moments delta_halves;              ///< variant minus base, half positions
  Moments delta_cents;               ///< variant minus base, cents
  Moments base_halves, base_cents;   ///< the base alone
  Moments variant_halves, variant_cents;  ///< the variant alone
  SignedCounts delta_halves_counts;  ///< count per difference in half positions
  SignedCounts delta_cents_counts;   ///< count per difference in cents
  Count lose;                        ///< replications in which the variant gives fewer euros

  static constexpr auto fields() {
    using S = DeltaStats;
    return std::tuple{Field<S, Moments>{"delta_positions", &S::delta_halves, Unit::halves},
                      Field<S, SignedCounts>{"delta_positions", &S::delta_halves_counts, Unit::halves},
                      Field<S, Moments>{"delta_euros", &S::delta_cents, Unit::cents},
                      Field<S, SignedCounts>{"delta_euros", &S::delta_cents_counts, Unit::cents},
                      Field<S, Count>{"lose", &S::lose},
                      Field<S, Moments>{"base_positions", &S::base_halves, Unit::halves},
                      Field<S, Moments>{"base_euros", &S::base_cents, Unit::cents},
                      Field<S, Moments>{"variant_positions", &S::variant_halves, Unit::halves},
                      Field<S, Moments>{"variant_euros", &S::variant_cents, Unit::cents}};
  }
};

// ---------------------------------------------------------------------------------------------
// What derives from the declarations.

/// Calls f(field) for each field of Stats, in order.
template <typename Stats, typename F>
constexpr void for_each_field(F&& f) {
  std::apply([&](const auto&... field) { (f(field), ...); }, Stats::fields());
}

/// Adds the accumulators of `from` to `into`, field by field.
template <typename Stats>
void merge_fields(Stats& into, const Stats& from) {
  for_each_field<Stats>([&](const auto& field) { (into.*field.member).merge(from.*field.member); });
}

namespace detail {
/// Converts to anything: counts the members of an aggregate by how many of it brace-initialise it.
struct AnyMember {
  template <typename T>
  operator T() const;  // never defined: used in unevaluated requires-expressions only
};
template <typename T, typename... A>
constexpr std::size_t member_count() {
  if constexpr (requires { T{A{}..., AnyMember{}}; })
    return member_count<T, A..., AnyMember>();
  else
    return sizeof...(A);
}
/// FNV-1a (64 bits) continued over `text`.
constexpr std::uint64_t fnv1a(std::uint64_t h, std::string_view text) {
  for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}
}  // namespace detail

/// The layout of the packed accumulators: a hash of every field's name and kind, in order. It
/// travels with the bytes (pack.cpp), so that ranks built from different declarations refuse
/// each other's data instead of misreading it; it changes by itself when a field is added.
template <typename Stats>
constexpr std::uint64_t layout_fingerprint() {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for_each_field<Stats>([&](const auto& field) {
    h = detail::fnv1a(detail::fnv1a(detail::fnv1a(h, field.name), std::remove_cvref_t<decltype(field)>::type::kind), "|");
  });
  return h;
}

// A member without its line in fields() would be neither merged, nor packed, nor written: refused.
static_assert(detail::member_count<SlotStats>() == std::tuple_size_v<decltype(SlotStats::fields())>,
              "every member of SlotStats needs its line in SlotStats::fields()");
static_assert(detail::member_count<StateStats>() == std::tuple_size_v<decltype(StateStats::fields())>,
              "every member of StateStats needs its line in StateStats::fields()");
static_assert(detail::member_count<DeltaStats>() == std::tuple_size_v<decltype(DeltaStats::fields())>,
              "every member of DeltaStats needs its line in DeltaStats::fields()");

}  // namespace kimsim
