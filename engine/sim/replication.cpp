// One Monte Carlo replication: perturb, decide uptake, allocate, hire, pay, accumulate.
#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

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

constexpr double kPi = 3.14159265358979323846;

double gamma_sample(double shape, const std::function<std::pair<double, double>()>& more) {
  // Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1/shape).
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

template <typename More>
double Distribution::sample(double u1, double u2, More&& more) const {
  switch (kind) {
    case Kind::fixed: return a;
    case Kind::uniform: return a + (b - a) * u1;
    case Kind::triangular: {
      const double f = (b - a) / (c - a);
      return u1 < f ? a + std::sqrt(u1 * (c - a) * (b - a)) : c - std::sqrt((1 - u1) * (c - a) * (c - b));
    }
    case Kind::normal: return a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
    case Kind::lognormal: return std::exp(a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2));
    case Kind::beta: {
      const std::function<std::pair<double, double>()> m = more;
      const double x = gamma_sample(a, m), y = gamma_sample(b, m);
      return x / (x + y);
    }
    case Kind::bernoulli: return u1 < a ? 1.0 : 0.0;
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Accumulators.

namespace {
/// Log bins of 0.01 % relative width for cents: exact counts, quantiles to 0.01 %.
std::int32_t cents_bin(Cents c) {
  return c <= 0 ? -1 : static_cast<std::int32_t>(std::floor(std::log(static_cast<double>(c)) / std::log1p(1e-4)));
}
}  // namespace

void SlotStats::add(Halves h, Cents c, Cents out, Cents cofin) {
  nothing += c == 0;
  halves += h;
  halves_sq += static_cast<__int128>(h) * h;
  cents += c;
  cents_sq += static_cast<__int128>(c) * c;
  outflow += out;
  cofinancing += cofin;
  if (static_cast<std::size_t>(h) >= halves_hist.size()) halves_hist.resize(static_cast<std::size_t>(h) + 1, 0);
  ++halves_hist[static_cast<std::size_t>(h)];
  auto [it, fresh] = cents_hist.try_emplace(cents_bin(c), 0, c);
  ++it->second.first;
  it->second.second = std::min(it->second.second, c);
}

void SlotStats::merge(const SlotStats& o) {
  nothing += o.nothing, halves += o.halves, halves_sq += o.halves_sq, cents += o.cents;
  cents_sq += o.cents_sq, outflow += o.outflow, cofinancing += o.cofinancing;
  if (o.halves_hist.size() > halves_hist.size()) halves_hist.resize(o.halves_hist.size(), 0);
  for (std::size_t k = 0; k < o.halves_hist.size(); ++k) halves_hist[k] += o.halves_hist[k];
  for (const auto& [b, v] : o.cents_hist) {
    auto [it, fresh] = cents_hist.try_emplace(b, 0, v.second);
    it->second.first += v.first;
    it->second.second = std::min(it->second.second, v.second);
  }
}

double accumulator_bytes(double slots) {
  // Per slot: its statistics, its key, its entry in the (year, Baustein, region) index, and at
  // least one entry in each of the two histograms (a vector's block, a map node: 64 bytes each
  // with the allocator's overhead).
  constexpr double per_slot = sizeof(SlotStats) + sizeof(SlotKey) + sizeof(std::int32_t) + 2 * 64;
  return slots * per_slot;
}

double replication_seconds(double replications, double slots) {
  constexpr double kim_seconds = 46.9e-6, kim_slots = 1 * 3 * 449;  // results/bench/kernel.md
  return replications * slots * (kim_seconds / kim_slots);
}

void StateStats::merge(const StateStats& o) {
  spent += o.spent, spent_sq += o.spent_sq, filled += o.filled, filled_sq += o.filled_sq;
  gini += o.gini, gini_sq += o.gini_sq, maxmin += o.maxmin, maxmin_sq += o.maxmin_sq;
  for (const auto& [b, n] : o.spent_hist) spent_hist[b] += n;
}

// ---------------------------------------------------------------------------------------------
// The replication.

namespace {

/// Purposes of the random streams: each kind of draw has its own, so adding one kind of
/// uncertainty never shifts the draws of another.
enum Purpose : std::uint32_t { kNoise = 1, kUptake = 2, kStart = 3, kFill = 4, kCost = 5 };

struct Stream {
  r123::Philox4x32 rng;
  r123::Philox4x32::key_type key;
  std::uint64_t replication = 0;
  std::uint32_t year = 0;

  /// Two uniforms in (0, 1) for (purpose, item, k), 53 bits each.
  std::pair<double, double> uniforms(Purpose purpose, std::uint32_t item, std::uint32_t k = 0) const {
    const r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(replication),
                                             static_cast<std::uint32_t>(replication >> 32), item,
                                             (purpose << 24) | (year << 16) | (k & 0xffff)}};
    const auto x = rng(ctr, key);
    auto u = [](std::uint32_t hi, std::uint32_t lo) {
      return (static_cast<double>(((std::uint64_t{hi} << 32) | lo) >> 11) + 0.5) * 0x1.0p-53;
    };
    return {u(x[0], x[1]), u(x[2], x[3])};
  }

  double draw(const Distribution& d, Purpose purpose, std::uint32_t item) const {
    const auto [u1, u2] = uniforms(purpose, item, 0);
    std::uint32_t k = 1;
    return d.sample(u1, u2, [&, this] { return uniforms(purpose, item, k++); });
  }
};

double gini(std::vector<double>& x) {
  std::sort(x.begin(), x.end());
  double num = 0, sum = 0;
  const double n = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) num += (2.0 * static_cast<double>(i + 1) - n - 1.0) * x[i], sum += x[i];
  return sum > 0 ? num / (n * sum) : 0.0;
}

/// Round half up to an integer, inline (llround is a library call in the hot loop).
std::int64_t nearest(double v) { return static_cast<std::int64_t>(std::floor(v + 0.5)); }

__int128 nano(double v) { return static_cast<__int128>(nearest(v * 1e9)); }

}  // namespace

Replicator::Replicator(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec)
    : base_(scenario), regions_(regions), spec_(spec), scenario_(scenario), perturbed_(regions) {
  years_.clear();
  if (spec.years.empty()) years_.push_back(scenario.year);
  for (const auto& y : spec.years) years_.push_back(y.year);
  const auto pop = regions.indicator("population");
  population_.assign(regions.list.size(), 0.0);
  if (pop)
    for (std::size_t i = 0; i < regions.list.size(); ++i) population_[i] = regions.indicators(Eigen::Index(i), Eigen::Index(*pop));
  // The slots: every row an allocation with everyone present can have, per year.
  slot_of_.assign(years_.size() * scenario.bausteine.size() * regions.list.size(), -1);
  for (std::size_t y = 0; y < years_.size(); ++y) {
    // The same scaling as run() applies, so that unspent = budget - spent holds per year.
    const std::int64_t ppm = spec.years.empty() ? 1'000'000 : std::llround(spec.years[y].budget_factor * 1e6);
    Cents budget = 0;
    for (const auto& b : base_.bausteine)
      budget += static_cast<Cents>(static_cast<__int128>(b.budget) * ppm / 1'000'000);
    budgets_.push_back(budget);
    for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
      std::vector<std::size_t> rows = select(regions, scenario.bausteine[bi].recipients);
      for (const auto& pt : scenario.bausteine[bi].pass_through)
        for (const auto& g : pt.gemeinden)
          if (auto i = regions.find(g)) rows.push_back(*i);
      active_.insert(active_.end(), rows.begin(), rows.end());
      for (auto region : rows) {
        if (slot_of(y, bi, region) >= 0) continue;
        slot_of(y, bi, region) = static_cast<std::int32_t>(slots_.size());
        slots_.push_back({y, bi, region});
      }
    }
  }
  // Draws are counted by region, so skipping regions that no rule reads changes no other draw.
  std::sort(active_.begin(), active_.end());
  active_.erase(std::unique(active_.begin(), active_.end()), active_.end());
}

void Replicator::run(std::uint64_t r, std::vector<SlotStats>& stats, std::vector<StateStats>& state) {
  Stream s;
  s.key = {{static_cast<std::uint32_t>(spec_.seed), static_cast<std::uint32_t>(spec_.seed >> 32)}};
  s.replication = r;
  const std::size_t R = regions_.list.size();
  std::vector<std::uint8_t> absent(R, 0);
  std::vector<std::vector<Halves>> held(base_.bausteine.size(), std::vector<Halves>(R, 0));
  std::vector<std::uint8_t> touched(slots_.size(), 0);
  std::vector<Cents> per_region(R);
  for (std::size_t y = 0; y < years_.size(); ++y) {
    s.year = static_cast<std::uint32_t>(y);
    // This year's budgets and rates.
    for (std::size_t bi = 0; bi < base_.bausteine.size(); ++bi) {
      scenario_.bausteine[bi].budget = base_.bausteine[bi].budget;
      scenario_.bausteine[bi].rate_per_vza = base_.bausteine[bi].rate_per_vza;
      if (!spec_.years.empty()) {
        const auto& yr = spec_.years[y];
        const std::int64_t ppm = std::llround(yr.budget_factor * 1e6);
        scenario_.bausteine[bi].budget = static_cast<Cents>(static_cast<__int128>(base_.bausteine[bi].budget) * ppm / 1'000'000);
        if (yr.rate_per_vza && base_.bausteine[bi].rate_per_vza > 0) scenario_.bausteine[bi].rate_per_vza = *yr.rate_per_vza;
      }
    }
    // Indicator noise: one multiplicative factor per region and indicator.
    perturbed_.indicators = regions_.indicators;
    for (const auto& [name, dist] : spec_.indicator_noise) {
      const auto c = regions_.indicator(name);
      for (std::size_t i : active_)
        perturbed_.indicators(Eigen::Index(i), Eigen::Index(*c)) *=
            std::max(0.0, s.draw(dist, kNoise, static_cast<std::uint32_t>(i * 64 + *c)));
    }
    // Uptake: one Bernoulli draw per region and year.
    for (std::size_t i : active_) {
      const Region& reg = regions_.list[i];
      double p = 1.0;
      if (auto it = spec_.uptake_by_type.find(reg.type); it != spec_.uptake_by_type.end()) p = it->second;
      if (auto it = spec_.uptake_per_recipient.find(reg.ags); it != spec_.uptake_per_recipient.end()) p = it->second;
      absent[i] = p < 1.0 && s.uniforms(kUptake, static_cast<std::uint32_t>(i)).first >= p;
    }
    Overrides o;
    o.workspace = &workspace_;
    if (spec_.redistribute) o.absent = absent;
    if (spec_.hold_harmless && y > 0) o.floor = &held;
    Allocation a = allocate(scenario_, perturbed_, o);
    std::fill(touched.begin(), touched.end(), 0);
    std::fill(per_region.begin(), per_region.end(), 0);
    for (auto& h : held) std::fill(h.begin(), h.end(), 0);
    StateStats st;
    __int128 spent = 0, filled = 0;
    for (const auto& row : a.rows) {
      const std::int32_t found = slot_of(y, row.baustein, row.region);
      if (found < 0) continue;
      const auto slot = static_cast<std::size_t>(found);
      Halves h = row.halves;
      Cents c = row.cents;
      if (absent[row.region]) h = 0, c = 0;  // lapsed: a non-applicant receives nothing
      held[row.baustein][row.region] = h;
      // Hiring: money flows from the start month once a position is filled.
      Cents out = c, cofin = 0;
      std::int64_t months = 12;
      if (h > 0) {
        const auto item = static_cast<std::uint32_t>(slot);
        // Draws are bounded before rounding: a double beyond 2^63 (a wide distribution's tail)
        // has no integer to round to. fmin/fmax also send a NaN to the bound.
        const auto start = nearest(std::fmin(std::fmax(s.draw(spec_.start_month, kStart, static_cast<std::uint32_t>(row.region)), 1.0), 12.0));
        const auto fill = nearest(std::fmin(std::fmax(s.draw(spec_.months_to_fill, kFill, item), 0.0), 13.0));
        months = std::clamp<std::int64_t>(12 - (start - 1) - fill, 0, 12);
        out = static_cast<Cents>(static_cast<__int128>(c) * months / 12);
        if (spec_.cost_per_vza_eur) {
          const Cents cost = nearest(std::fmin(std::fmax(s.draw(*spec_.cost_per_vza_eur, kCost, item) * 100.0, -1e15), 1e15));
          const Cents excess = std::max<Cents>(0, cost - scenario_.bausteine[row.baustein].rate_per_vza);
          cofin = static_cast<Cents>(static_cast<__int128>(excess) * h * months / 24);
        }
      }
      stats[slot].add(h, c, out, cofin);
      touched[slot] = 1;
      spent += out;
      filled += static_cast<__int128>(h) * months;
      per_region[regions_.kreis_of(row.region)] += c;
    }
    for (std::size_t slot = 0; slot < slots_.size(); ++slot)
      if (slots_[slot].year == y && !touched[slot]) stats[slot].add(0, 0, 0, 0);
    // Fairness over the Kreis-level regions: euros per inhabitant.
    std::vector<double> x;
    for (std::size_t i = 0; i < R; ++i)
      if (regions_.list[i].type != RegionType::gemeinde && population_[i] > 0)
        x.push_back(static_cast<double>(per_region[i]) / 100.0 / population_[i]);
    const double lo = x.empty() ? 0 : *std::min_element(x.begin(), x.end());
    const double hi = x.empty() ? 0 : *std::max_element(x.begin(), x.end());
    const __int128 g = nano(gini(x)), mm = lo > 0 ? nano(hi / lo) : 0;
    StateStats& S = state[y];
    S.spent += spent, S.spent_sq += spent * spent;
    S.filled += filled, S.filled_sq += filled * filled;
    S.gini += g, S.gini_sq += g * g;
    S.maxmin += mm, S.maxmin_sq += mm * mm;
    ++S.spent_hist[static_cast<std::int64_t>(spent / 100'000)];
  }
}

}  // namespace kimsim
