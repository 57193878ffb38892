// Monte Carlo: the deterministic limit, statistics against expectations, reproducibility.
#include <doctest/doctest.h>

#include <cmath>

#include "io/scenario.hpp"
#include "io/sim_report.hpp"
#include "kimsim/simulation.hpp"

using namespace kimsim;

namespace {
const io::LoadedScenario& baseline() {
  static const io::LoadedScenario ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  return ls;
}
}  // namespace

TEST_CASE("with all uncertainty switched off, every replication equals kimsim run") {
  const auto& ls = baseline();
  SimulationSpec spec;  // uptake 1, start in January, positions filled at once, no noise
  spec.replications = 50;
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 2);
  const Allocation a = allocate(ls.scenario, ls.regions);
  REQUIRE(r.slots.size() == a.rows.size());
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const auto& row = *std::find_if(a.rows.begin(), a.rows.end(), [&](const AllocationRow& x) {
      return x.region == r.slots[k].region && x.baustein == r.slots[k].baustein;
    });
    const SlotStats& s = r.stats[k];
    CHECK(s.halves == row.halves * 50);
    CHECK(s.cents == static_cast<__int128>(row.cents) * 50);
    CHECK(s.outflow == s.cents);  // filled all year: everything flows out
    CHECK(s.cofinancing == 0);
    CHECK(s.nothing == (row.cents == 0 ? 50u : 0u));
  }
  CHECK(r.state[0].spent == static_cast<__int128>(ls.scenario.budget - 25'000'00) * 50);  // 25,000 EUR buy no unit
}

TEST_CASE("with uptake p the mean allocation lies within a few standard errors of p times the allocation") {
  const auto& ls = baseline();
  SimulationSpec spec;
  spec.replications = 3000;
  spec.seed = 7;
  const double p = 0.8;
  spec.uptake_by_type = {{RegionType::kreis, p}, {RegionType::kreisfreie_stadt, p}, {RegionType::gemeinde, p}};
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 2);
  const Allocation a = allocate(ls.scenario, ls.regions);
  int within = 0, total = 0;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const auto& row = *std::find_if(a.rows.begin(), a.rows.end(), [&](const AllocationRow& x) {
      return x.region == r.slots[k].region && x.baustein == r.slots[k].baustein;
    });
    if (row.cents == 0 || row.passed_on_by) continue;  // a passed-on share also lapses with its Kreis
    const double n = double(r.replications);
    const double mean = double(r.stats[k].cents) / n;
    const double expect = p * double(row.cents);
    const double se = double(row.cents) * std::sqrt(p * (1 - p) / n);
    ++total;
    within += std::abs(mean - expect) <= 4 * se;
  }
  CHECK(total > 150);
  CHECK(within == total);
}

TEST_CASE("byte-identical output for 1, 2 and 4 threads; another seed gives another output") {
  const auto& ls = baseline();
  SimulationSpec spec = *ls.simulation;
  spec.replications = 600;
  auto render = [&](int threads, std::uint64_t seed) {
    SimulationSpec s = spec;
    s.seed = seed;
    const SimulationResult r = simulate(ls.scenario, ls.regions, s, threads);
    return io::simulation_csv(ls, r) + io::simulation_summary(ls, s, r).dump(2);
  };
  const std::string one = render(1, 11);
  CHECK(one == render(2, 11));
  CHECK(one == render(4, 11));
  CHECK(one != render(2, 12));
}

TEST_CASE("distributions: parameter checks and moments") {
  using K = Distribution::Kind;
  CHECK(Distribution{K::uniform, 2, 1}.check() == "uniform needs min < max");
  CHECK(Distribution{K::normal, 0, 0}.check() == "normal needs sd > 0");
  CHECK(Distribution{K::beta, 0, 1}.check() == "beta needs alpha > 0 and beta > 0");
  CHECK(Distribution{K::bernoulli, 1.5}.check() == "bernoulli needs 0 <= p <= 1");
  CHECK(Distribution{K::triangular, 0, 5, 4}.check() == "triangular needs min <= mode <= max and min < max");
  CHECK(Distribution{K::lognormal, 0, 0.1}.check().empty());
}

TEST_CASE("multi-year: budget and rate paths, hold-harmless keeps positions by key") {
  const auto& ls = baseline();
  SimulationSpec spec;
  spec.replications = 20;
  spec.years = {{2021, 1.0, 5'500'000}, {2022, 1.5, 5'700'000}, {2023, 0.8, 5'700'000}};
  spec.hold_harmless = true;
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 2);
  REQUIRE(r.years == std::vector<int>{2021, 2022, 2023});
  // Deterministic limit: year 2022 allocates 1.5 x the budgets; B2 and B3 recipients keep at least
  // their 2021 positions; in 2023 the smaller budget cannot hold them all, so the floor is dropped.
  std::map<std::pair<std::size_t, std::size_t>, std::int64_t> y2021;
  for (std::size_t k = 0; k < r.slots.size(); ++k)
    if (r.slots[k].year == 0) y2021[{r.slots[k].baustein, r.slots[k].region}] = r.stats[k].halves;
  int kept = 0;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const auto& s = r.slots[k];
    if (s.year != 1 || s.baustein == 0 || y2021.count({s.baustein, s.region}) == 0) continue;
    CHECK(r.stats[k].halves >= y2021[{s.baustein, s.region}]);
    ++kept;
  }
  CHECK(kept > 100);
  CHECK(r.state[1].spent / 20 <= static_cast<__int128>(ls.scenario.budget) * 3 / 2);
  CHECK(r.state[1].spent > r.state[0].spent);
  CHECK(r.state[2].spent < r.state[0].spent);
}
