#include "io/sim_report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/csv.hpp"
#include "io/output.hpp"

namespace kimsim::io {
namespace {

using i128 = __int128;

std::string fixed(long double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*Lf", decimals, v);
  return buf;
}

/// Standard deviation from integer sums (the same bits for any merge order).
long double sd(i128 sum, i128 sq, std::uint64_t n) {
  if (n < 2) return 0;
  const long double s = static_cast<long double>(sum), q = static_cast<long double>(sq), N = static_cast<long double>(n);
  return std::sqrt(std::max(0.0L, (q - s * s / N) / (N - 1)));
}

/// Mean of integer cents, rounded to the cent (half up), without floating point.
Cents mean_cents(i128 sum, std::uint64_t n) {
  const i128 N = static_cast<i128>(n);
  return static_cast<Cents>(sum >= 0 ? (2 * sum + N) / (2 * N) : -((-2 * sum + N) / (2 * N)));
}

/// Nearest-rank quantile position: the k-th smallest of n, k = ceil(p n).
std::uint64_t rank(double p, std::uint64_t n) {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n) - 1e-9)));
}

Halves halves_quantile(const std::vector<std::uint64_t>& hist, double p, std::uint64_t n) {
  const std::uint64_t k = rank(p, n);
  std::uint64_t cum = 0;
  for (std::size_t h = 0; h < hist.size(); ++h)
    if ((cum += hist[h]) >= k) return static_cast<Halves>(h);
  return 0;
}

nlohmann::json distribution(i128 sum, i128 sq, std::uint64_t n, long double scale, int decimals) {
  const long double mean = static_cast<long double>(sum) / static_cast<long double>(n) / scale;
  const long double s = sd(sum, sq, n) / scale;
  return {{"mean", fixed(mean, decimals)}, {"sd", fixed(s, decimals)},
          {"standard_error", fixed(s / std::sqrt(static_cast<long double>(n)), decimals)}};
}

}  // namespace

std::string simulation_csv(const LoadedScenario& ls, const SimulationResult& r) {
  std::ostringstream o;
  o << "ags,name,baustein,year,positions_mean,positions_sd,positions_p05,positions_p50,positions_p95,"
       "euros_mean,euros_sd,euros_p05,euros_p50,euros_p95,p_nothing,outflow_mean,cofinancing_mean\n";
  const std::uint64_t n = r.replications;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const SlotKey& slot = r.slots[k];
    const SlotStats& s = r.stats[k];
    const Region& g = ls.regions.list[slot.region];
    o << g.ags << ',' << csv_quote(g.name) << ',' << ls.scenario.bausteine[slot.baustein].id << ','
      << r.years[slot.year] << ',' << fixed(static_cast<long double>(s.halves) / 2.0L / n, 4) << ','
      << fixed(sd(s.halves, s.halves_sq, n) / 2.0L, 4) << ','
      << format_positions(halves_quantile(s.halves_hist, 0.05, n)) << ','
      << format_positions(halves_quantile(s.halves_hist, 0.50, n)) << ','
      << format_positions(halves_quantile(s.halves_hist, 0.95, n)) << ',' << format_euros(mean_cents(s.cents, n))
      << ',' << fixed(sd(s.cents, s.cents_sq, n) / 100.0L, 2) << ','
      << format_euros(s.cents_counts.nth(rank(0.05, n))) << ','
      << format_euros(s.cents_counts.nth(rank(0.50, n))) << ','
      << format_euros(s.cents_counts.nth(rank(0.95, n))) << ','
      << fixed(static_cast<long double>(s.nothing) / n, 4) << ',' << format_euros(mean_cents(s.outflow, n)) << ','
      << format_euros(mean_cents(s.cofinancing, n)) << '\n';
  }
  return o.str();
}

nlohmann::json simulation_summary(const LoadedScenario& ls, const SimulationSpec& spec, const SimulationResult& r) {
  const std::uint64_t n = r.replications;
  nlohmann::json j;
  j["scenario"] = ls.scenario.name;
  j["replications"] = n;
  j["seed"] = spec.seed;
  j["years"] = nlohmann::json::array();
  for (std::size_t y = 0; y < r.years.size(); ++y) {
    const StateStats& s = r.state[y];
    // Spending quantiles from the histogram in steps of 1,000 EUR.
    auto spent_q = [&](double p) {
      const std::uint64_t k = rank(p, n);
      std::uint64_t cum = 0;
      for (const auto& [bin, count] : s.spent_hist)
        if ((cum += count) >= k) return format_euros(bin * 100'000);
      return std::string("0.00");
    };
    const i128 budget = r.budget[y];
    nlohmann::json spent = distribution(s.spent, s.spent_sq, n, 100.0L, 2);
    spent["p05_floor"] = spent_q(0.05), spent["p50_floor"] = spent_q(0.5), spent["p95_floor"] = spent_q(0.95);
    nlohmann::json unspent = distribution(budget * static_cast<i128>(n) - s.spent,
                                          budget * budget * static_cast<i128>(n) - 2 * budget * s.spent + s.spent_sq, n, 100.0L, 2);
    j["years"].push_back({{"year", r.years[y]},
                          {"budget_eur", format_euros(r.budget[y])},
                          {"spent_eur", spent},
                          {"unspent_eur", unspent},
                          {"positions_filled_vza_years", distribution(s.filled, s.filled_sq, n, 24.0L, 4)},
                          {"gini_euros_per_inhabitant", distribution(s.gini, s.gini_sq, n, 1e9L, 6)},
                          {"max_min_ratio_euros_per_inhabitant", distribution(s.maxmin, s.maxmin_sq, n, 1e9L, 6)}});
    j["years"].back()["max_min_ratio_euros_per_inhabitant"]["replications_capped_at_" + std::to_string(kMaxRatio)] =
        s.maxmin_capped;
  }
  std::size_t binned = 0;
  for (const auto& s : r.stats) binned += !s.cents_counts.exact();
  j["notes"] = {binned == 0 ? std::string("quantiles of positions and euros per recipient are exact (nearest rank); statewide spending quantiles are floors to 1,000 EUR")
                            : "quantiles of positions are exact (nearest rank); of euros, exact except in " + std::to_string(binned) +
                                  " slots with more than " + std::to_string(ValueCounts::kExact) +
                                  " distinct amounts, where they are the smallest value of a 0.01 % wide bin; statewide spending quantiles are floors to 1,000 EUR",
                "spent: money that flows out after the start month and the months until a position is filled; unspent: the rest of the budget",
                "co-financing: actual personnel cost above the flat amount per VZÄ, for the months filled",
                "fairness (Gini, max/min ratio of euros per inhabitant): over the Kreise and kreisfreie Städte with their Gemeinden whose Kreis or kreisfreie Stadt applied and received money in the replication"};
  return j;
}

}  // namespace kimsim::io
