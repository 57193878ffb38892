// One Monte Carlo replication: perturb, decide uptake, allocate, hire, pay, accumulate.
#include <Random123/philox.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "kimsim/simulation.hpp"

namespace kimsim {

// ---------------------------------------------------------------------------------------------
// Distributions.

std::string Distribution::check() const {
  auto finite = [](double x) { return std::isfinite(x); };
  if (!finite(a) || !finite(b) || !finite(c)) return "parameters must be finite numbers";
  switch (kind) {
    case Kind::fixed: return "";
    case Kind::uniform: return a < b ? "" : "uniform needs min < max";
    case Kind::triangular: return a <= b && b <= c && a < c ? "" : "triangular needs min <= mode <= max and min < max";
    case Kind::normal: return b > 0 ? "" : "normal needs sd > 0";
    case Kind::lognormal: return b > 0 ? "" : "lognormal needs sigma > 0";
    case Kind::beta: return a > 0 && b > 0 ? "" : "beta needs alpha > 0 and beta > 0";
    case Kind::bernoulli: return a >= 0 && a <= 1 ? "" : "bernoulli needs 0 <= p <= 1";
  }
  return "unknown distribution";
}

namespace {

// M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution", Applied
// Statistics 37(3), 1988 (PPND16, relative accuracy about 1e-16). Rational functions in three
// ranges; only the tails (15 % of draws) need a logarithm.
constexpr double kSplit = 0.425;

/// The central range, |p - 1/2| <= 0.425, at q = p - 1/2.
inline double quantile_central(double q) {
  const double r = 0.180625 - q * q;
  return q *
         (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r +
              4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
           1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
         (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r +
              2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
           4.2313330701600911252e+1) * r + 1.0);
}

/// The tails, |p - 1/2| > 0.425.
double quantile_tail(double p) {
  const double q = p - 0.5;
  double r = std::sqrt(-std::log(q < 0 ? p : 1.0 - p));
  double z;
  if (r <= 5.0) {
    r -= 1.6;
    z = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r +
             1.27045825245236838258e+0) * r + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
          4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
        (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r +
             1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
          2.05319162663775882187e+0) * r + 1.0);
  } else {
    r -= 5.0;
    z = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r +
             2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
          5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
        (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r +
             7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
          5.99832206555887937690e-1) * r + 1.0);
  }
  return q < 0 ? -z : z;
}

}  // namespace

double normal_quantile(double p) {
  const double q = p - 0.5;
  return std::abs(q) <= kSplit ? quantile_central(q) : quantile_tail(p);
}

void normal_quantiles(std::span<const double> p, std::span<double> z) {
  if (z.size() < p.size() || (z.data() < p.data() + p.size() && p.data() < z.data() + z.size()))
    throw Error("normal_quantiles: z must be as long as p and apart from it");
  // Per chunk (a small buffer): the positions of the tails, gathered without branches (whether a
  // draw falls in them is a coin flip that a branch per draw would mispredict); the central range
  // for every p, branch-free, so that the compiler runs it on vector registers and the long chains
  // of the rational functions overlap; then the tails. The same operations in the same order as
  // normal_quantile(): the same bits.
  constexpr std::size_t kChunk = 256;
  std::uint32_t tails[kChunk];
  for (std::size_t at = 0; at < p.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, p.size() - at);
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      tails[m] = static_cast<std::uint32_t>(i);
      m += !(std::abs(p[at + i] - 0.5) <= kSplit);
    }
    for (std::size_t i = 0; i < n; ++i) z[at + i] = quantile_central(p[at + i] - 0.5);
    for (std::size_t k = 0; k < m; ++k) z[at + tails[k]] = quantile_tail(p[at + tails[k]]);
  }
}

void Distribution::invert_all(std::span<const double> u, std::span<double> x) const {
  const std::size_t n = u.size();
  switch (kind) {
    case Kind::normal:
      normal_quantiles(u, x);
      for (std::size_t i = 0; i < n; ++i) x[i] = a + b * x[i];
      return;
    case Kind::lognormal:
      normal_quantiles(u, x);
      for (std::size_t i = 0; i < n; ++i) x[i] = std::exp(a + b * x[i]);
      return;
    default:
      for (std::size_t i = 0; i < n; ++i) x[i] = invert(u[i]);
  }
}

namespace {

constexpr double kPi = 3.14159265358979323846;

/// Gamma(shape, 1): Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1/shape).
/// `more()` yields pairs of uniforms in (0, 1).
template <typename More>
double gamma_sample(double shape, More& more) {
  double boost = 1.0;
  if (shape < 1.0) {
    boost = std::pow(more().first, 1.0 / shape);
    shape += 1.0;
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const auto [u1, u2] = more();
    const auto [u3, u4] = more();
    (void)u4;
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
    const double v = std::pow(1.0 + c * z, 3);
    if (v <= 0) continue;
    if (std::log(u3) < 0.5 * z * z + d - d * v + d * std::log(v)) return boost * d * v;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Accumulators.

namespace {
/// Log bins of 0.01 % relative width; -1 for zero and below.
std::int32_t value_bin(std::int64_t v) {
  return v <= 0 ? -1 : static_cast<std::int32_t>(std::floor(std::log(static_cast<double>(v)) / std::log1p(1e-4)));
}
}  // namespace

void ValueCounts::add_other(std::int64_t v) {
  if (!binned_) {
    const auto it = std::lower_bound(counts_.begin(), counts_.end(), std::make_pair(v, std::uint64_t{0}));
    if (it != counts_.end() && it->first == v) {
      ++it->second;
      last_ = static_cast<std::size_t>(it - counts_.begin());
      return;
    }
    if (counts_.size() < kExact) {
      last_ = static_cast<std::size_t>(counts_.insert(it, {v, 1}) - counts_.begin());
      return;
    }
    to_bins();
  }
  // Binned: entries hold the smallest value of their bin; bins are ordered as their values.
  const std::int32_t bin = value_bin(v);
  auto it = std::upper_bound(counts_.begin(), counts_.end(), std::make_pair(v, ~std::uint64_t{0}));
  if (it != counts_.begin() && value_bin(std::prev(it)->first) == bin) {
    ++std::prev(it)->second;
  } else if (it != counts_.end() && value_bin(it->first) == bin) {
    it->first = v;  // a new smallest value of the bin
    ++it->second;
  } else {
    counts_.insert(it, {v, 1});
  }
}

void ValueCounts::to_bins() {
  std::vector<std::pair<std::int64_t, std::uint64_t>> bins;
  for (const auto& [v, n] : counts_) {
    if (!bins.empty() && value_bin(bins.back().first) == value_bin(v))
      bins.back().second += n;
    else
      bins.emplace_back(v, n);
  }
  counts_ = std::move(bins);
  binned_ = true;
  last_ = 0;
}

void ValueCounts::merge(const ValueCounts& o) {
  std::vector<std::pair<std::int64_t, std::uint64_t>> merged;
  merged.reserve(counts_.size() + o.counts_.size());
  std::merge(counts_.begin(), counts_.end(), o.counts_.begin(), o.counts_.end(), std::back_inserter(merged));
  counts_.clear();
  for (const auto& [v, n] : merged) {
    if (!counts_.empty() && counts_.back().first == v)
      counts_.back().second += n;
    else
      counts_.emplace_back(v, n);
  }
  // Binned if either side is, or if together they exceed the exact limit: in both cases the
  // values seen exceed it, whichever thread saw them.
  if (binned_ || o.binned_ || counts_.size() > kExact) to_bins();
  last_ = 0;
}

std::int64_t ValueCounts::nth(std::uint64_t k) const {
  std::uint64_t cum = 0;
  for (const auto& [v, n] : counts_)
    if ((cum += n) >= k) return v;
  return 0;
}

void SlotStats::merge(const SlotStats& o) {
  nothing += o.nothing, halves += o.halves, halves_sq += o.halves_sq, cents += o.cents;
  cents_sq += o.cents_sq, outflow += o.outflow, cofinancing += o.cofinancing;
  if (o.halves_hist.size() > halves_hist.size()) halves_hist.resize(o.halves_hist.size(), 0);
  for (std::size_t k = 0; k < o.halves_hist.size(); ++k) halves_hist[k] += o.halves_hist[k];
  cents_counts.merge(o.cents_counts);
}

double accumulator_bytes(double slots) {
  // Per slot: its statistics, its key, and at least one entry in each of its two histograms (a
  // vector's block: 64 bytes with the allocator's overhead).
  constexpr double per_slot = sizeof(SlotStats) + sizeof(SlotKey) + 2 * 64;
  return slots * per_slot;
}

double replication_seconds(double replications, double slots) {
  constexpr double kim_seconds = 20e-6, kim_slots = 1 * 3 * 449;  // results/bench/scaling-*.md
  return replications * slots * (kim_seconds / kim_slots);
}

void StateStats::merge(const StateStats& o) {
  spent += o.spent, spent_sq += o.spent_sq, filled += o.filled, filled_sq += o.filled_sq;
  gini += o.gini, gini_sq += o.gini_sq, maxmin += o.maxmin, maxmin_sq += o.maxmin_sq;
  maxmin_capped += o.maxmin_capped;
  for (const auto& [b, n] : o.spent_hist) spent_hist[b] += n;
}

// ---------------------------------------------------------------------------------------------
// The replication.

namespace {

/// Purposes of the random streams: each kind of draw has its own, so adding one kind of
/// uncertainty never shifts the draws of another. Draws that end as a yes/no or a whole month
/// take 32-bit uniforms, four neighbouring items per generator call; amounts and factors take
/// 53-bit ones, two per call. A purpose has one width, fixed here.
enum Purpose : std::uint32_t { kNoise = 1, kUptake = 2, kStart = 3, kFill = 4, kCost = 5, kPurposes };
constexpr bool whole(Purpose p) { return p == kUptake || p == kStart || p == kFill; }

/// The uniforms of one replication and year, from Philox2x64-10 (Salmon et al., SC 2011), the
/// variant for CPUs with a 64-bit multiplier. The key is the seed; the counter is (replication,
/// purpose | year | extra draw | block of items). A draw is named by (purpose, item); drawing
/// items in order costs a quarter or half a generator call each. Extra uniforms (beta) have
/// their own counters.
class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t replication) : key_{{seed}}, replication_(replication) {}

  void set_year(std::uint32_t year) {
    year_ = year;
    for (auto& c : cache_) c.block = ~std::uint32_t{0};
  }

  /// 32 random bits of item `item`, for a draw that ends as a yes/no or a whole number.
  template <Purpose P>
    requires(whole(P))
  std::uint32_t bits(std::uint32_t item) {
    Cached& c = cache_[P];
    if (const std::uint32_t block = item >> 2; c.block != block) {
      const auto x = call(P, 0, block);
      c.w[0] = x[0], c.w[1] = x[1], c.block = block;
    }
    return static_cast<std::uint32_t>(c.w[(item >> 1) & 1] >> (32 * (item & 1)));
  }

  /// A uniform in (0, 1) with 53 bits of item `item`, for an amount or a factor.
  template <Purpose P>
    requires(!whole(P))
  double unit(std::uint32_t item) {
    Cached& c = cache_[P];
    if (const std::uint32_t block = item >> 1; c.block != block) {
      const auto x = call(P, 0, block);
      c.w[0] = x[0], c.w[1] = x[1], c.block = block;
    }
    return to_unit(c.w[item & 1]);
  }

  /// Beta(a, b) = X / (X + Y) for X ~ Gamma(a), Y ~ Gamma(b), from further uniforms of the item.
  double beta(const Distribution& d, Purpose purpose, std::uint32_t item) {
    std::uint32_t k = 0;
    auto more = [&, this] {
      if (++k > 0xffff) throw Error("the beta distribution drew more than 65,535 uniforms (parameters too extreme)");
      const auto x = call(purpose, k, item);
      return std::pair{to_unit(x[0]), to_unit(x[1])};
    };
    const double x = gamma_sample(d.a, more), y = gamma_sample(d.b, more);
    return x / (x + y);
  }

  static double to_unit32(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1.0p-32; }

 private:
  r123::Philox2x64 rng_;
  r123::Philox2x64::key_type key_;
  std::uint64_t replication_;
  std::uint32_t year_ = 0;
  struct Cached {  // per purpose: the last call's output, so that interleaved purposes share calls
    std::uint32_t block = ~std::uint32_t{0};
    std::uint64_t w[2] = {0, 0};
  };
  std::array<Cached, kPurposes> cache_;

  /// Counter word 1: purpose (8 bits), year (8 bits), extra draw k (16 bits), block or item (32 bits).
  r123::Philox2x64::ctr_type call(Purpose purpose, std::uint32_t k, std::uint32_t item) const {
    const std::uint64_t w = (std::uint64_t{purpose} << 56) | (std::uint64_t{year_} << 48) | (std::uint64_t{k} << 32) | item;
    return rng_(r123::Philox2x64::ctr_type{{replication_, w}}, key_);
  }
  static double to_unit(std::uint64_t x) { return (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53; }
};

/// v bounded to [lo, hi], a NaN to lo: a draw beyond 2^63 (a wide distribution's tail) has no
/// integer to round to. (Comparisons, where fmin/fmax would be library calls.)
double bounded(double v, double lo, double hi) { return v > lo ? (v < hi ? v : hi) : lo; }

/// Round half up to an integer, |v| < 2^62, inline (llround and floor are library calls): floor
/// is the truncation, less one for a negative fraction.
std::int64_t nearest(double v) {
  const double t = v + 0.5;
  const auto i = static_cast<std::int64_t>(t);
  return i - (static_cast<double>(i) > t);
}

/// Draws of `d` for the items item(0), ..., item(n - 1), into out: the uniforms first, then
/// transformed together, so that the latencies of the generator and of the quantile function
/// overlap across items instead of adding up. `u` is scratch of n values.
template <Purpose P, typename Item>
void draw_all(Stream& s, const Distribution& d, std::size_t n, Item item, double* u, double* out) {
  if (d.kind == Distribution::Kind::fixed) {
    std::fill(out, out + n, d.a);
  } else if (d.kind == Distribution::Kind::beta) {
    for (std::size_t j = 0; j < n; ++j) out[j] = s.beta(d, P, item(j));
  } else {
    for (std::size_t j = 0; j < n; ++j) u[j] = s.unit<P>(item(j));
    d.invert_all({u, n}, {out, n});
  }
}

/// A whole-number draw: from 32 random bits by the table, or rounded from a beta variate.
template <Purpose P>
std::int64_t draw_whole(Stream& s, const WholeDraw& w, std::uint32_t item) {
  if (w.constant()) return w(0);  // a fixed distribution draws nothing
  return w.by_table() ? w(s.bits<P>(item)) : w.round(s.beta(w.distribution(), P, item));
}

}  // namespace

WholeDraw::WholeDraw(const Distribution& d, std::int64_t lo, std::int64_t hi) : lo_(lo), hi_(hi), d_(d) {
  if (hi < lo || hi - lo > 255) throw Error("WholeDraw: the range must hold 1 to 256 values");
  // The table relies on a valid distribution: a negative sd would make the inverse fall.
  if (const std::string why = d.check(); !why.empty()) throw InputError(why);
  if (d.kind == Distribution::Kind::beta) return;  // no inverse: drawn from gammas (see Stream)
  // The value at 32 random bits x: the inverse at x's uniform, bounded and rounded.
  auto value = [&](std::uint64_t x) { return round(d.invert(Stream::to_unit32(static_cast<std::uint32_t>(x)))); };
  // Step k: the least x at which the value reaches lo + k (bisection: the value never falls as
  // x grows, the inverse being monotone). Steps past the largest x are never taken.
  for (std::int64_t k = lo + 1; k <= hi; ++k) {
    std::uint64_t a = steps_.empty() ? 0 : steps_.back(), b = std::uint64_t{1} << 32;  // value(b) >= k if b < 2^32
    if (value(b - 1) < k) break;
    while (a < b) {
      const std::uint64_t m = a + (b - a) / 2;
      if (value(m) >= k) b = m; else a = m + 1;
    }
    steps_.push_back(static_cast<std::uint32_t>(a));
  }
  for (std::size_t t = 0; t < first_.size(); ++t) {
    const std::uint64_t x = std::uint64_t{t} << 24;
    first_[t] = static_cast<std::uint8_t>(std::count_if(steps_.begin(), steps_.end(), [&](std::uint32_t s) { return s <= x; }));
  }
}

std::int64_t WholeDraw::round(double v) const { return nearest(bounded(v, double(lo_), double(hi_))); }

namespace {

/// Gini coefficient of values sorted ascending (the first of each pair).
double gini(std::span<const std::pair<double, std::uint32_t>> x) {
  double num = 0, sum = 0;
  const double n = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    num += (2.0 * static_cast<double>(i + 1) - n - 1.0) * x[i].first, sum += x[i].first;
  return sum > 0 ? num / (n * sum) : 0.0;
}

/// Sorts by value with insertion sort: linear for the nearly sorted input it gets.
void sort_nearly_sorted(std::vector<std::pair<double, std::uint32_t>>& x) {
  for (std::size_t i = 1; i < x.size(); ++i) {
    const auto v = x[i];
    std::size_t j = i;
    for (; j > 0 && v.first < x[j - 1].first; --j) x[j] = x[j - 1];
    x[j] = v;
  }
}

/// v in [0, kMaxRatio] in units of 1e-9.
__int128 nano(double v) { return nearest(v * 1e9); }

/// floor(a * b / D) for a, b >= 0: in 64 bits where the product fits (the hot loop's case), else
/// in 128. D is a constant, so that the division is a multiplication.
template <std::int64_t D>
std::int64_t mul_div(std::int64_t a, std::int64_t b) {
  std::int64_t p;
  if (!__builtin_mul_overflow(a, b, &p)) [[likely]]
    return p / D;
  return static_cast<std::int64_t>(static_cast<__int128>(a) * b / D);
}

}  // namespace

/// "0.5", "1": a budget factor as a scenario writes it.
static std::string format_factor(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", f);
  return buf;
}

Replicator::Replicator(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec)
    : regions_(regions),
      spec_(spec),
      plan_(scenario, regions),
      indicators_(regions.indicators),
      start_draw_(spec.start_month, 1, 12),
      fill_draw_(spec.months_to_fill, 0, 13) {
  if (spec.years.empty()) years_.push_back(scenario.year);
  for (const auto& y : spec.years) years_.push_back(y.year);
  // The year is 8 bits of the random counter.
  if (years_.size() > 256) throw InputError("a simulation covers at most 256 years");
  const std::size_t R = regions.list.size(), nb = scenario.bausteine.size();
  // Budgets and rates per year, scaled as `run` would scale them, so that unspent = budget -
  // spent holds per year.
  for (std::size_t y = 0; y < years_.size(); ++y) {
    std::vector<Cents> budget(nb), rate(nb);
    Cents total = 0;
    for (std::size_t bi = 0; bi < nb; ++bi) {
      const Baustein& b = scenario.bausteine[bi];
      budget[bi] = b.budget;
      rate[bi] = b.rate_per_vza;
      if (!spec.years.empty()) {
        const auto& yr = spec.years[y];
        const std::int64_t ppm = std::llround(yr.budget_factor * 1e6);
        budget[bi] = static_cast<Cents>(static_cast<__int128>(b.budget) * ppm / 1'000'000);
        if (yr.rate_per_vza && b.rate_per_vza > 0) rate[bi] = *yr.rate_per_vza;
      }
      total += budget[bi];
    }
    budget_.push_back(std::move(budget));
    rate_.push_back(std::move(rate));
    budgets_.push_back(total);
  }
  const auto& rows = plan_.rows();
  for (std::size_t y = 0; y < years_.size(); ++y)
    for (const auto& row : rows) slots_.push_back({y, row.baustein, row.region});
  const auto pop = regions.indicator("population");
  std::vector<double> population(R, 0.0);
  if (pop)
    for (std::size_t i = 0; i < R; ++i) population[i] = regions.indicators(Eigen::Index(i), Eigen::Index(*pop));
  for (std::size_t i = 0; i < R; ++i)
    if (regions.list[i].type != RegionType::gemeinde && population[i] > 0) kreis_level_.push_back(i);
  for (const auto& row : rows) {
    const auto at = std::lower_bound(kreis_level_.begin(), kreis_level_.end(), regions.kreis_of(row.region));
    row_kreis_.push_back(at != kreis_level_.end() && *at == regions.kreis_of(row.region)
                             ? static_cast<std::uint32_t>(at - kreis_level_.begin())
                             : kNoKreis);
  }
  for (std::size_t k = 0; k < kreis_level_.size(); ++k) {
    order_.push_back(static_cast<std::uint32_t>(k));
    euros_per_cent_inhabitant_.push_back(0.01 / population[kreis_level_[k]]);
  }
  uptake_.assign(R, 1.0);
  for (std::size_t i = 0; i < R; ++i) {
    const Region& reg = regions.list[i];
    if (auto it = spec.uptake_by_type.find(reg.type); it != spec.uptake_by_type.end()) uptake_[i] = it->second;
    if (auto it = spec.uptake_per_recipient.find(reg.ags); it != spec.uptake_per_recipient.end()) uptake_[i] = it->second;
  }
  for (const auto& [name, dist] : spec.indicator_noise)
    if (const auto c = regions.indicator(name)) noise_.push_back({*c, &dist});
  absent_.assign(R, 0);
  start_.assign(R, 1);
  floor_.assign(rows.size(), 0);
  const std::size_t read_size = plan_.regions_read().size();
  uniform_.assign(std::max(rows.size(), read_size), 0.0);
  value_.assign(std::max(rows.size(), read_size), 0.0);
  fill_.assign(rows.size(), 0);
  cost_.assign(rows.size(), 0);
  per_kreis_.assign(kreis_level_.size(), 0);
}

void Replicator::check_years() {
  for (std::size_t y = 0; y < years_.size(); ++y) {
    PlanInputs in;
    in.budget = budget_[y];
    in.rate_per_vza = rate_[y];
    try {
      plan_.evaluate(in, draft_);
    } catch (const InputError& e) {
      if (spec_.years.empty()) throw;  // the scenario's own year: `run` reports it the same way
      const SimulationYear& yr = spec_.years[y];
      throw InputError((yr.where.empty() ? "simulation.years[" + std::to_string(y) + "]" : yr.where) + ": in " +
                       std::to_string(yr.year) + " (budget_factor " + format_factor(yr.budget_factor) + "): " + e.what());
    }
  }
}

void Replicator::run(std::uint64_t r, std::vector<SlotStats>& stats, std::vector<StateStats>& state) {
  Stream s(spec_.seed, r);
  const std::size_t R = regions_.list.size();
  const auto& rows = plan_.rows();
  const auto& read = plan_.regions_read();
  for (std::size_t y = 0; y < years_.size(); ++y) {
    s.set_year(static_cast<std::uint32_t>(y));
    // Indicator noise: one multiplicative factor per region read and indicator; draws are
    // counted by (indicator, region), so regions no rule reads cost nothing and shift nothing.
    for (const auto& n : noise_) {
      draw_all<kNoise>(
          s, *n.dist, read.size(), [&](std::size_t j) { return static_cast<std::uint32_t>(n.column * R + read[j]); },
          uniform_.data(), value_.data());
      for (std::size_t j = 0; j < read.size(); ++j) {
        const auto i = Eigen::Index(read[j]), c = Eigen::Index(n.column);
        indicators_(i, c) = regions_.indicators(i, c) * std::max(0.0, value_[j]);
      }
    }
    // Uptake and start month: one draw each per region and year.
    for (std::size_t i : read) {
      const auto item = static_cast<std::uint32_t>(i);
      absent_[i] = uptake_[i] < 1.0 && Stream::to_unit32(s.bits<kUptake>(item)) >= uptake_[i];
      start_[i] = draw_whole<kStart>(s, start_draw_, item);
    }
    // Months to fill and personnel cost: one draw each per row (used where it has positions).
    for (std::size_t row = 0; row < rows.size(); ++row)
      fill_[row] = draw_whole<kFill>(s, fill_draw_, static_cast<std::uint32_t>(row));
    if (spec_.cost_per_vza_eur) {
      draw_all<kCost>(
          s, *spec_.cost_per_vza_eur, rows.size(), [](std::size_t row) { return static_cast<std::uint32_t>(row); },
          uniform_.data(), value_.data());
      for (std::size_t row = 0; row < rows.size(); ++row) cost_[row] = nearest(bounded(value_[row] * 100.0, -1e15, 1e15));
    }
    PlanInputs in;
    in.indicators = &indicators_;
    if (spec_.redistribute) in.absent = absent_;
    in.budget = budget_[y];
    in.rate_per_vza = rate_[y];
    if (spec_.hold_harmless && y > 0) in.floor = floor_;
    plan_.evaluate(in, draft_);
    std::fill(per_kreis_.begin(), per_kreis_.end(), Cents{0});
    __int128 spent = 0, filled = 0;
    const std::size_t first_slot = y * rows.size();
    for (std::size_t row = 0; row < rows.size(); ++row) {
      SlotStats& slot = stats[first_slot + row];
      const std::size_t region = rows[row].region;
      // A non-applicant receives nothing; nor do the Gemeinden of a Kreis that did not apply.
      const bool lapsed = absent_[region] || (rows[row].passed_on_by && absent_[*rows[row].passed_on_by]);
      if (!draft_.present[row] || lapsed) {
        floor_[row] = 0;
        slot.add(0, 0, 0, 0);
        continue;
      }
      const Halves h = draft_.halves[row];
      const Cents c = draft_.cents[row];
      floor_[row] = draft_.gross[row];  // hold-harmless protects what the recipient was granted
      // Hiring: money flows from the start month once a position is filled.
      Cents out = c, cofin = 0;
      std::int64_t months = 12;
      if (h > 0) {
        months = std::clamp<std::int64_t>(12 - (start_[region] - 1) - fill_[row], 0, 12);
        out = mul_div<12>(c, months);
        if (spec_.cost_per_vza_eur) {
          const Cents excess = std::max<Cents>(0, cost_[row] - rate_[y][rows[row].baustein]);
          cofin = mul_div<24>(excess, h * months);
        }
      }
      slot.add(h, c, out, cofin);
      spent += out;
      filled += static_cast<__int128>(h) * months;
      if (row_kreis_[row] != kNoKreis) per_kreis_[row_kreis_[row]] += c;
    }
    // Fairness: euros per inhabitant of the territories (a Kreis or kreisfreie Stadt with its
    // Gemeinden) whose Kreis-level region applied and received money: a measure of how the rules
    // share the money among the participants. They are taken in the last replication's order,
    // which rarely changes, so that sorting them is a few moves; then they take their new order
    // in their own places, and the others keep theirs, close to where they will count again.
    auto counts = [&](std::uint32_t k) { return !absent_[kreis_level_[k]] && per_kreis_[k] > 0; };
    counted_.clear();
    for (std::uint32_t k : order_)
      if (counts(k)) counted_.push_back({static_cast<double>(per_kreis_[k]) * euros_per_cent_inhabitant_[k], k});
    sort_nearly_sorted(counted_);
    for (std::size_t c = 0; auto& k : order_)
      if (counts(k)) k = counted_[c++].second;
    double ratio = counted_.empty() ? 0.0 : counted_.back().first / counted_.front().first;
    const bool capped = ratio > double(kMaxRatio);
    ratio = std::min(ratio, double(kMaxRatio));
    const __int128 mm = nano(ratio), g = nano(gini(counted_));
    StateStats& S = state[y];
    S.spent += spent, S.spent_sq += spent * spent;
    S.filled += filled, S.filled_sq += filled * filled;
    S.gini += g, S.gini_sq += g * g;
    S.maxmin += mm, S.maxmin_sq += mm * mm, S.maxmin_capped += capped;
    // spent <= the year's budget <= 1000 x 10^15 cents (budget_factor and amount limits) < 2^63
    ++S.spent_hist[static_cast<std::int64_t>(spent) / 100'000];
  }
}

}  // namespace kimsim
