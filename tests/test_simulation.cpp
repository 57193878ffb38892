// Monte Carlo: the deterministic limit, statistics against expectations, reproducibility.
#include <Random123/philox.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "io/html_report.hpp"
#include "io/scenario.hpp"
#include "io/sim_report.hpp"
#include "kimsim/rules.hpp"
#include "kimsim/simulation.hpp"
#include "sim/compare_sim.hpp"
#include "sim/elementary.hpp"
#include "sim/replicator.hpp"

using namespace kimsim;

namespace {
// The 2021 model with B1 by fixed staffing (tests/data): the Monte Carlo's checks against its
// deterministic limit and its reference numbers were made on it.
const io::LoadedScenario& baseline() {
  static const io::LoadedScenario ls = io::load_scenario(KIMSIM_SOURCE_DIR "/tests/data/kim-nrw-2021-fixed-staffing.yaml");
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
    CHECK(s.halves.sum == row.halves * 50);
    CHECK(s.cents.sum == static_cast<__int128>(row.cents) * 50);
    CHECK(s.outflow.sum == s.cents.sum);  // filled all year: everything flows out
    CHECK(s.cofinancing.sum == 0);
    CHECK(s.nothing.n == (row.cents == 0 ? 50u : 0u));
  }
  CHECK(r.state[0].spent.sum == static_cast<__int128>(ls.scenario.budget - 25'000'00) * 50);  // 25,000 EUR buy no unit
}

TEST_CASE("fairness: Gini and max/min ratio of euros per inhabitant over the territories that applied") {
  const auto& ls = baseline();
  // Without uncertainty, every replication has the Gini and ratio of `run`'s allocation, summed
  // per Kreis-level territory (a Kreis with its Gemeinden) and divided by its population.
  SimulationSpec spec;
  spec.replications = 10;
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  const Allocation a = allocate(ls.scenario, ls.regions);
  const auto pop = *ls.regions.indicator("population");
  std::map<std::size_t, double> money;
  for (const auto& row : a.rows) money[ls.regions.kreis_of(row.region)] += static_cast<double>(row.cents) / 100.0;
  std::vector<double> x;
  for (const auto& [k, eur] : money) x.push_back(eur / ls.regions.indicators(Eigen::Index(k), Eigen::Index(pop)));
  std::sort(x.begin(), x.end());
  REQUIRE(x.size() == 53);  // 31 Kreise, 22 kreisfreie Städte
  double num = 0, sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) num += (2.0 * double(i + 1) - 54.0) * x[i], sum += x[i];
  const double gini = num / (53 * sum), ratio = x.back() / x.front();
  CHECK(static_cast<double>(r.state[0].gini.sum) / 10 / 1e9 == doctest::Approx(gini).epsilon(1e-9));
  CHECK(static_cast<double>(r.state[0].maxmin.sum) / 10 / 1e9 == doctest::Approx(ratio).epsilon(1e-9));
  CHECK(r.state[0].gini.sq * 10 == r.state[0].gini.sum * r.state[0].gini.sum);  // the same every time
  // With uptake, a territory whose Kreis did not apply is left out (not counted as 0 EUR, nor by
  // the B3 money of its große kreisangehörige Städte): the ratio stays near the full one.
  spec.uptake_by_type = {{RegionType::kreis, 0.5}, {RegionType::kreisfreie_stadt, 0.5}};
  spec.replications = 200;
  const SimulationResult u = simulate(ls.scenario, ls.regions, spec, 2);
  const double mean_ratio = static_cast<double>(u.state[0].maxmin.sum) / 200 / 1e9;
  CHECK(mean_ratio > 1.0);
  CHECK(mean_ratio <= ratio);
  CHECK(u.state[0].maxmin_capped.n == 0);
  CHECK(u.state[0].fair.n == 200);  // 53 territories at 50 %: some apply in every replication
  // At 2 % uptake most replications have no territory: they measure no fairness, and the means
  // are over those that do (a 0 for the others would put the mean ratio below 1).
  spec.uptake_by_type = {{RegionType::kreis, 0.02}, {RegionType::kreisfreie_stadt, 0.02}};
  const SimulationResult few = simulate(ls.scenario, ls.regions, spec, 2);
  CHECK(few.state[0].fair.n > 0);
  CHECK(few.state[0].fair.n < 200);
  CHECK(few.state[0].maxmin.sum >= static_cast<__int128>(few.state[0].fair.n) * 1'000'000'000);
  const auto measured = io::simulation_summary(ls, spec, few)["years"][0];
  CHECK(measured["gini_euros_per_inhabitant"]["replications"] == few.state[0].fair.n);
  CHECK(measured["max_min_ratio_euros_per_inhabitant"]["replications"] == few.state[0].fair.n);
  CHECK(std::stod(measured["max_min_ratio_euros_per_inhabitant"]["mean"].get<std::string>()) >= 1.0);
  // Nobody applies: no fairness at all, written as null.
  spec.uptake_by_type = {{RegionType::kreis, 0.0}, {RegionType::kreisfreie_stadt, 0.0}, {RegionType::gemeinde, 0.0}};
  const SimulationResult none = simulate(ls.scenario, ls.regions, spec, 1);
  CHECK(none.state[0].fair.n == 0);
  CHECK(none.state[0].gini.sum == 0);
  const auto unmeasured = io::simulation_summary(ls, spec, none)["years"][0]["gini_euros_per_inhabitant"];
  CHECK(unmeasured["mean"].is_null());
  CHECK(unmeasured["replications"] == 0);
  // The report shows the year without them.
  const std::string page = io::report_html(io::simulation_report_data(ls, none, io::simulation_summary(ls, spec, none), Lang::de));
  CHECK(page.find("<th scope=\"row\">Gini-Koeffizient</th>") == std::string::npos);
  CHECK(page.find("<th scope=\"row\">Max/Min Euro je Einwohner</th>") == std::string::npos);
  const std::string page_few = io::report_html(io::simulation_report_data(ls, few, io::simulation_summary(ls, spec, few), Lang::de));
  // measured in fewer than all: the row says over how many
  CHECK(page_few.find("<th scope=\"row\">Gini-Koeffizient (" + std::to_string(few.state[0].fair.n) + " von 200 Replikationen)</th>") !=
        std::string::npos);
  // A territory of 10^12 inhabitants makes the ratio absurd: accumulated as 100,000 and counted,
  // and the count travels with the packed accumulators.
  Regions huge = ls.regions;
  huge.indicators(Eigen::Index(*ls.regions.find("05978")), Eigen::Index(pop)) = 1e12;
  spec = SimulationSpec{};
  spec.replications = 7;
  const SimulationResult h = unpack(pack(simulate(ls.scenario, huge, spec, 1)));
  CHECK(h.state[0].maxmin_capped.n == 7);
  CHECK(h.state[0].maxmin.sum == static_cast<__int128>(7) * 100'000 * 1'000'000'000);
  const auto summary = io::simulation_summary(ls, spec, h);
  CHECK(summary["years"][0]["max_min_ratio_euros_per_inhabitant"]["replications_capped_at_100000"] == 7);
  // Shares merged (threads, MPI ranks) add their counts.
  SimulationResult shares = simulate_share(ls.scenario, huge, spec, 0, 4, 1);
  merge(shares, simulate_share(ls.scenario, huge, spec, 4, 3, 1));
  CHECK(shares.state[0].maxmin_capped.n == 7);
}

TEST_CASE("sorted by rank: std::stable_sort's order, bit for bit, by every path this CPU has, with ties, +inf, 0 and -0, every length to 4 blocks") {
  // The fairness scorer's sort: each value placed at its rank in the stable order. Every path
  // must give std::stable_sort's values, -0 and 0 in their order in x.
  std::uint64_t state = 11;
  auto next = [&] { return (state = state * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  const double inf = std::numeric_limits<double>::infinity();
  auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
  int paths = 0;
  for (const char* path : {"avx512", "avx2", "scalar"})
    for (std::size_t n = 0; n <= 33; ++n)
      for (int trial = 0; trial < 40; ++trial) {
        std::vector<double> x(n);
        for (double& v : x) {
          const auto k = next() % 8;  // few distinct values: long runs of ties; and +inf, 0, -0, a denormal
          v = k == 0 ? inf : k == 1 ? 0.0 : k == 2 ? -0.0 : k == 3 ? 4.9e-324 : static_cast<double>(next() % 4) * 0.25;
        }
        std::vector<double> sorted(n, 42.0), expected = x;
        if (!sort_by_rank(path, x, sorted)) break;  // not on this CPU
        paths += n == 0 && trial == 0;
        std::stable_sort(expected.begin(), expected.end());
        for (std::size_t i = 0; i < n; ++i) REQUIRE(bits(sorted[i]) == bits(expected[i]));
      }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  // Every path this CPU can run was run: a path that reports itself missing would leave the
  // scorer on a narrower one, and no other test would tell.
  CHECK(paths == 1 + static_cast<int>(__builtin_cpu_supports("avx2") != 0) +
                     static_cast<int>(__builtin_cpu_supports("avx512f") != 0));
#else
  CHECK(paths == 1);  // the scalar path only
#endif
  // The scorer's size: 53 distinct values, by the path the scorer takes.
  std::vector<double> x(53), sorted(53);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(next()) * 1e-3;
  std::vector<double> expected = x;
  std::sort(expected.begin(), expected.end());
  sort_by_rank(x, sorted);
  for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(bits(sorted[i]) == bits(expected[i]));
  CHECK_THROWS_AS(sort_by_rank(x, std::span<double>(sorted).first(52)), Error);
  CHECK_FALSE(sort_by_rank("avx1024", x, sorted));
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
    const double mean = double(r.stats[k].cents.sum) / n;
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
    if (r.slots[k].year == 0) y2021[{r.slots[k].baustein, r.slots[k].region}] = static_cast<std::int64_t>(r.stats[k].halves.sum);
  int kept = 0;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const auto& s = r.slots[k];
    if (s.year != 1 || s.baustein == 0 || y2021.count({s.baustein, s.region}) == 0) continue;
    CHECK(r.stats[k].halves.sum >= y2021[{s.baustein, s.region}]);
    ++kept;
  }
  CHECK(kept > 100);
  CHECK(r.state[1].spent.sum / 20 <= static_cast<__int128>(ls.scenario.budget) * 3 / 2);
  CHECK(r.state[1].spent.sum > r.state[0].spent.sum);
  CHECK(r.state[2].spent.sum < r.state[0].spent.sum);
}

TEST_CASE("normal quantile (AS 241) against tabulated values") {
  CHECK(normal_quantile(0.5) == 0.0);
  CHECK(normal_quantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-15));
  CHECK(normal_quantile(0.05) == doctest::Approx(-1.6448536269514722).epsilon(1e-15));
  CHECK(normal_quantile(0.001) == doctest::Approx(-3.090232306167813).epsilon(1e-15));
  CHECK(normal_quantile(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-14));
  CHECK(normal_quantile(1e-12) == doctest::Approx(-7.034483825301131).epsilon(1e-14));
  for (double p = 0.001; p < 1; p += 0.001) CHECK(normal_quantile(p) == doctest::Approx(-normal_quantile(1 - p)).epsilon(1e-12));
}

TEST_CASE("quantiles of many draws at once give the bits of one at a time") {
  using K = Distribution::Kind;
  std::vector<double> u;
  for (double p : {1e-300, 1e-12, 0.0001, 0.075, 0.07500000000000001, 0.5, 0.925, 0.9999999, 1 - 0x1.0p-53}) u.push_back(p);
  std::uint64_t x = 7;
  for (int k = 0; k < 10'000; ++k) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    u.push_back((static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53);
  }
  std::vector<double> z(u.size());
  normal_quantiles(u, z);
  for (std::size_t i = 0; i < u.size(); ++i) REQUIRE(z[i] == normal_quantile(u[i]));
  for (const Distribution& d : {Distribution{K::normal, 62000, 5000}, Distribution{K::lognormal, 0, 0.05},
                                Distribution{K::triangular, 0, 2, 8}, Distribution{K::uniform, -1, 1},
                                Distribution{K::bernoulli, 0.25}, Distribution{K::fixed, 3}}) {
    d.invert_all(u, z);
    for (std::size_t i = 0; i < u.size(); ++i) REQUIRE(z[i] == d.invert(u[i]));
  }
}

TEST_CASE("the bits of lognormal and normal-tail draws: a golden, the same under every libm") {
  // 2 * 10^5 lognormal factors (exp over [-0.3, 0.3], as the indicator noise) and normal draws
  // of the tails (log near 0), hashed. With libm's exp and log the hash depended on the CPU
  // (glibc's FMA and SSE2 versions differ in about 1 of 3,000 values); ctest also runs this case
  // with GLIBC_TUNABLES=glibc.cpu.hwcaps=-FMA,-AVX2 (test `draws-without-fma`), which must give
  // the same hash.
  using K = Distribution::Kind;
  std::vector<double> u;
  std::uint64_t x = 99;
  for (int k = 0; k < 200'000; ++k) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    u.push_back((static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53);
  }
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  auto add = [&](double v) { hash = (hash ^ std::bit_cast<std::uint64_t>(v)) * 0x100000001b3ULL; };
  std::vector<double> out(u.size());
  Distribution{K::lognormal, 0, 0.1}.invert_all(u, out);
  for (double v : out) add(v);
  Distribution{K::normal, 62000, 5000}.invert_all(u, out);
  for (double v : out) add(v);
  CHECK(hash == 0x4d9c4e6406ba4e39ull);
}

namespace {
// r123::Philox4x32 at the key and counter of kimsim::Philox4x32 (its words in little-endian order).
std::array<std::uint64_t, 2> r123_philox4x32(std::uint64_t key, std::uint64_t c0, std::uint64_t c1) {
  using P = r123::Philox4x32;
  auto lo = [](std::uint64_t w) { return static_cast<std::uint32_t>(w); };
  auto hi = [](std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); };
  const P::ctr_type out = P{}(P::ctr_type{{lo(c0), hi(c0), lo(c1), hi(c1)}}, P::key_type{{lo(key), hi(key)}});
  return {out[0] | std::uint64_t{out[1]} << 32, out[2] | std::uint64_t{out[3]} << 32};
}
}  // namespace

TEST_CASE("Philox4x32 gives Random123's published answers for philox4x32_10, one counter and in batches") {
  // Random123's kat_vectors: counter (4 words), key (2 words), the output (4 words).
  struct Kat {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  auto word = [](std::uint32_t low, std::uint32_t high) { return low | std::uint64_t{high} << 32; };
  for (const Kat& k : kats) {
    const Philox4x32 rng(word(k.key[0], k.key[1]));
    const std::uint64_t c0 = word(k.ctr[0], k.ctr[1]), c1 = word(k.ctr[2], k.ctr[3]);
    const std::uint64_t want0 = word(k.out[0], k.out[1]), want1 = word(k.out[2], k.out[3]);
    CHECK(rng(c0, c1) == std::array{want0, want1});
    // A batch long enough that every lane of the widest path holds the counter (a batch of one
    // goes through the scalar tail of the vector paths).
    constexpr std::size_t n = 37;
    const std::vector<std::uint64_t> c1s(n, c1);
    for (const auto& path : Philox4x32::paths()) {
      if (!path.supported) continue;
      CAPTURE(path.name);
      std::vector<std::uint64_t> w0(n), w1(n);
      path.path(rng, c0, c1s.data(), n, w0.data(), w1.data());
      for (std::size_t j = 0; j < n; ++j) {
        CAPTURE(j);
        CHECK(w0[j] == want0);
        CHECK(w1[j] == want1);
      }
    }
  }
}

TEST_CASE("Philox4x32 is r123's Philox4x32-10, one counter at a time and by every batch path this CPU has") {
  std::uint64_t x = 0x243F6A8885A308D3;  // any spread of keys and counters, the extremes too
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  // The keys: 0, all ones, then spread; per key a counter's first word: 0, all ones, or spread.
  auto key_of = [&](int k) { return k < 2 ? -std::uint64_t(k) : next(); };
  SUBCASE("one counter at a time: 100,000 keys and counters") {
    for (int k = 0; k < 2'000; ++k) {
      const std::uint64_t key = key_of(k);
      const Philox4x32 rng(key);
      for (int c = 0; c < 50; ++c) {
        const std::uint64_t c0 = c == 0 ? 0 : c == 1 ? ~0ull : next(), c1 = c == 0 ? ~0ull : c == 1 ? 0 : next();
        REQUIRE(rng(c0, c1) == r123_philox4x32(key, c0, c1));
      }
    }
  }
  const Philox4x32 any(1);
  for (const auto& path : Philox4x32::paths()) {
    CAPTURE(path.name);
    if (!path.supported) {
      MESSAGE("this CPU lacks " << path.name << ": its batches are not tested here");
      continue;
    }
    // Batches of 1 to 64 counters, every remainder of every path's vector width, about 100,000
    // counters in all; the words around each batch must stay as they were.
    std::size_t counters = 0;
    for (int k = 0; counters < 100'000; ++k) {
      const std::uint64_t key = key_of(k), c0 = k % 3 == 0 ? 0 : k % 3 == 1 ? ~0ull : next();
      const Philox4x32 rng(key);
      const std::size_t n = 1 + static_cast<std::size_t>(k) % 64;
      std::vector<std::uint64_t> c1(n), w0(n + 2, 7), w1(n + 2, 7);
      for (std::size_t j = 0; j < n; ++j) c1[j] = j == 0 ? ~0ull : j == 1 ? 0 : next();
      path.path(rng, c0, c1.data(), n, w0.data() + 1, w1.data() + 1);
      REQUIRE(w0.front() == 7);
      REQUIRE(w0.back() == 7);
      REQUIRE(w1.front() == 7);
      REQUIRE(w1.back() == 7);
      for (std::size_t j = 0; j < n; ++j) {
        const auto want = r123_philox4x32(key, c0, c1[j]);
        REQUIRE(w0[j + 1] == want[0]);
        REQUIRE(w1[j + 1] == want[1]);
      }
      counters += n;
    }
  }
  // fill() takes the widest path this CPU has: told here from the CPU itself, not from the
  // paths' own flags. A build without the vector paths (Clang's) has the scalar path alone.
  std::string widest = "scalar";
#if defined(__x86_64__) && defined(__GNUC__)
  if (Philox4x32::paths().size() > 1)
    widest = __builtin_cpu_supports("avx512f") ? "avx512" : __builtin_cpu_supports("avx2") ? "avx2" : "sse2";
#endif
  CHECK(std::string(Philox4x32::chosen().name) == widest);
  MESSAGE("fill() takes the " << std::string(Philox4x32::chosen().name) << " path on this CPU");
  std::vector<std::uint64_t> c1(29), w0(29), w1(29);
  for (auto& c : c1) c = next();
  any.fill(5, c1, w0.data(), w1.data());
  for (std::size_t j = 0; j < c1.size(); ++j) CHECK(std::array{w0[j], w1[j]} == any(5, c1[j]));
}

TEST_CASE("whole-number draws by table equal the rounded inverse at every 32-bit value tried") {
  using K = Distribution::Kind;
  // The definition: the inverse at the uniform (x + 1/2) / 2^32, bounded to [lo, hi], rounded half up.
  auto direct = [](const Distribution& d, std::uint32_t x, std::int64_t lo, std::int64_t hi) {
    const double v = d.invert((static_cast<double>(x) + 0.5) * 0x1.0p-32);
    const double b = v > double(lo) ? (v < double(hi) ? v : double(hi)) : double(lo);
    return static_cast<std::int64_t>(std::floor(b + 0.5));
  };
  const Distribution cases[] = {{K::uniform, 1, 4},        {K::triangular, 0, 2, 8}, {K::triangular, 0, 2.5, 8},
                                {K::normal, 3, 2},         {K::lognormal, 1, 0.5},   {K::bernoulli, 0.3},
                                {K::fixed, 5},             {K::fixed, 99},           {K::uniform, -1e300, 1e300},
                                {K::normal, 6, 1e-9}};
  std::uint64_t x = 12345;
  for (const auto& d : cases) {
    CAPTURE(int(d.kind));
    CAPTURE(d.a);
    CAPTURE(d.b);
    const WholeDraw w(d, 0, 13);
    REQUIRE(w.by_table());
    for (int k = 0; k < 200'000; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;  // any spread of 32-bit values
      const auto u = static_cast<std::uint32_t>(x >> 32);
      if (w(u) != direct(d, u, 0, 13)) FAIL_CHECK("x = " << u << ": " << w(u) << " != " << direct(d, u, 0, 13));
    }
    // Around every step, and at both ends.
    for (std::uint32_t step : w.steps())
      for (std::uint32_t u : {step - 1, step, step + 1}) CHECK(w(u) == direct(d, u, 0, 13));
    CHECK(w(0) == direct(d, 0, 0, 13));
    CHECK(w(~0u) == direct(d, ~0u, 0, 13));
  }
  // Uniform 1..4 rounded: 1 and 4 half as likely as 2 and 3.
  const WholeDraw start({K::uniform, 1, 4}, 1, 12);
  REQUIRE(start.steps().size() == 3);
  CHECK(start.steps()[0] == 715'827'883u);  // (x + 1/2) / 2^32 * 3 >= 1/2 from x = 2^32 / 6
  CHECK(start(0) == 1);
  CHECK(start(~0u) == 4);
  CHECK(WholeDraw({K::fixed, 5}, 0, 13).constant());
  CHECK(WholeDraw({K::normal, 6, 1e-9}, 0, 13).constant());
  CHECK_FALSE(start.constant());
  CHECK_THROWS_AS(WholeDraw({K::normal, 3, -1}, 0, 13), InputError);  // a falling inverse: no table
  CHECK_FALSE(WholeDraw({K::beta, 2, 3}, 0, 13).by_table());
  CHECK(WholeDraw({K::beta, 2, 3}, 0, 13).round(std::nan("")) == 0);
}

TEST_CASE("sums of values never negative, added as unsigned, equal the signed sums") {
  Moments m, mn;
  Sum s, sn;
  for (const std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{99'000'000}, std::int64_t{1} << 32,
                               (std::int64_t{1} << 32) + 1, std::int64_t{1} << 62, INT64_MAX}) {
    m.add(v), s.add(v);
    mn.add_natural(static_cast<std::uint64_t>(v)), sn.add_natural(static_cast<std::uint64_t>(v));
    CHECK(mn.sum == m.sum);
    CHECK(mn.sq == m.sq);
    CHECK(sn.sum == s.sum);
  }
  // 2^62 and INT64_MAX squared and added stay below 2^127: the signed sums did not wrap.
  CHECK(m.sq > 0);
}

TEST_CASE("value counts: exact up to the limit, binned beyond, the same whatever the split") {
  // Values with few distinct amounts stay exact.
  ValueCounts few;
  for (int i = 0; i < 1000; ++i) few.add(275'000'00 * (i % 3));
  CHECK(few.exact());
  CHECK(few.nth(1) == 0);
  CHECK(few.nth(334) == 0);
  CHECK(few.nth(335) == 275'000'00);
  CHECK(few.nth(1000) == 550'000'00);
  // Many distinct amounts: binned, and identical however the values are split and merged.
  std::vector<std::int64_t> v;
  std::uint64_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    v.push_back(static_cast<std::int64_t>(x >> 40) % (i < 10000 ? 700 : 5'000'000));
  }
  auto split = [&](std::size_t parts) {
    std::vector<ValueCounts> c(parts);
    for (std::size_t i = 0; i < v.size(); ++i) c[(i * 7919) % parts].add(v[i]);
    for (std::size_t k = 1; k < parts; ++k) c[0].merge(c[k]);
    return c[0];
  };
  const ValueCounts one = split(1), three = split(3), seven = split(7);
  CHECK(!one.exact());
  CHECK(!three.exact());
  for (std::uint64_t k : {1ULL, 500ULL, 10000ULL, 15000ULL, 19999ULL, 20000ULL}) {
    CHECK(one.nth(k) == three.nth(k));
    CHECK(one.nth(k) == seven.nth(k));
  }
  // Binned quantiles lie within 0.01 % below the exact one.
  std::vector<std::int64_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint64_t k : {12000ULL, 15000ULL, 19000ULL}) {
    CHECK(one.nth(k) <= sorted[k - 1]);
    CHECK(static_cast<double>(one.nth(k)) >= static_cast<double>(sorted[k - 1]) * (1 - 1e-4));
  }
  // Exact below the limit even when the parts together stay below it.
  std::vector<ValueCounts> parts(2);
  for (int i = 0; i < 1000; ++i) parts[i % 2].add(i);
  parts[0].merge(parts[1]);
  CHECK(parts[0].exact());
  CHECK(parts[0].nth(500) == 499);
}

TEST_CASE("hold-harmless protects what a Kreis was granted, including the positions it passes on") {
  const auto& ls = baseline();
  const std::size_t unna = *ls.regions.find("05978");
  int checked = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    SimulationSpec spec;
    spec.replications = 1;
    spec.seed = seed;
    spec.indicator_noise = {{"schutzsuchende", {Distribution::Kind::lognormal, 0, 0.3}}};
    spec.years = {{2021, 1.0, std::nullopt}, {2022, 1.05, std::nullopt}};
    spec.hold_harmless = true;
    const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
    // Per year and Baustein: each Kreis-level recipient's positions, with those passed on.
    std::map<std::tuple<std::size_t, std::size_t, std::size_t>, std::int64_t> granted;
    for (std::size_t k = 0; k < r.slots.size(); ++k) {
      const auto& s = r.slots[k];
      granted[{s.year, s.baustein, ls.regions.kreis_of(s.region) == unna ? unna : s.region}] += static_cast<std::int64_t>(r.stats[k].halves.sum);
    }
    for (const auto& [key, h] : granted) {
      const auto [year, baustein, region] = key;
      if (year != 1 || baustein == 0) continue;  // B1 is fixed staffing, not by key
      CHECK(h >= granted[{0, baustein, region}]);
      checked += region == unna && baustein == 1;  // B2 passes on
    }
  }
  CHECK(checked == 12);
}

TEST_CASE("shares of the replications, packed, unpacked and merged, give the bits of one run") {
  const auto& ls = baseline();
  SimulationSpec spec = *ls.simulation;
  spec.replications = 500;
  spec.seed = 99;
  const SimulationResult whole = simulate(ls.scenario, ls.regions, spec, 2);
  // Three uneven shares, as three MPI ranks would run them, merged in reverse order.
  const std::uint64_t cut[] = {0, 123, 400, 500};
  SimulationResult merged = unpack(pack(simulate_share(ls.scenario, ls.regions, spec, cut[2], cut[3] - cut[2], 1)));
  for (int k = 1; k >= 0; --k)
    merge(merged, unpack(pack(simulate_share(ls.scenario, ls.regions, spec, cut[k], cut[k + 1] - cut[k], 2))));
  CHECK(merged.replications == 500);
  CHECK(io::simulation_csv(ls, merged) == io::simulation_csv(ls, whole));
  CHECK(io::simulation_summary(ls, spec, merged).dump() == io::simulation_summary(ls, spec, whole).dump());
  CHECK(pack(merged) == pack(whole));
  CHECK_THROWS_AS(unpack(pack(whole).substr(0, 100)), Error);
}

TEST_CASE("a failing replication is reported as the lowest one, also within a share") {
  io::LoadedScenario ls = baseline();
  SimulationSpec spec;
  spec.replications = 200;
  // B2's base of 13.5 VZÄ per recipient fits the budget (818 half positions) for up to 30 of its
  // 54 recipients: with uptake 1/2 some replications have more applicants and fail.
  edit_rule<PositionsByKey>(ls.scenario.bausteine[1]).base = 27;
  spec.uptake_by_type = {{RegionType::kreis, 0.5}, {RegionType::kreisfreie_stadt, 0.5}, {RegionType::gemeinde, 0.5}};
  spec.redistribute = true;
  std::uint64_t failed = 0;
  CHECK_THROWS_AS(simulate_share(ls.scenario, ls.regions, spec, 50, 150, 2, nullptr, &failed), InputError);
  std::uint64_t failed1 = 0;
  CHECK_THROWS_AS(simulate_share(ls.scenario, ls.regions, spec, 50, 150, 1, nullptr, &failed1), InputError);
  CHECK(failed == failed1);
  CHECK(failed >= 50);
}

TEST_CASE("pass-through: the Gemeinden of a Kreis that did not apply lapse with it; a Gemeinde that did not apply leaves its share to the Kreis") {
  const auto& ls = baseline();
  const std::size_t unna = *ls.regions.find("05978"), kamen = *ls.regions.find("05978020");
  auto b2 = [&](const SimulationResult& r, std::size_t region) {
    for (std::size_t k = 0; k < r.slots.size(); ++k)
      if (r.slots[k].baustein == 1 && r.slots[k].region == region) return r.stats[k];
    FAIL("no B2 slot");
    return SlotStats{};
  };
  SimulationSpec lapse;
  lapse.replications = 10;
  lapse.uptake_per_recipient = {{"05978", 0.0}};
  const SimulationResult a = simulate(ls.scenario, ls.regions, lapse, 1);
  CHECK(b2(a, unna).nothing.n == 10);
  CHECK(b2(a, kamen).nothing.n == 10);  // passed on by Unna, which did not apply
  // Redistribute: Kamen does not apply, Unna keeps Kamen's share; no money disappears.
  SimulationSpec redistribute;
  redistribute.replications = 10;
  redistribute.redistribute = true;
  redistribute.uptake_per_recipient = {{"05978020", 0.0}};
  const SimulationResult b = simulate(ls.scenario, ls.regions, redistribute, 1);
  CHECK(b2(b, kamen).nothing.n == 10);
  const Allocation full = allocate(ls.scenario, ls.regions);
  Cents b2_cents = 0, unna_net = 0;
  for (const auto& row : full.rows)
    if (row.baustein == 1) {
      b2_cents += row.cents;
      if (row.region == unna) unna_net = row.cents;
    }
  __int128 sum = 0;
  for (std::size_t k = 0; k < b.slots.size(); ++k)
    if (b.slots[k].baustein == 1) sum += b.stats[k].cents.sum;
  CHECK(sum == static_cast<__int128>(b2_cents) * 10);
  CHECK(b2(b, unna).cents.sum == static_cast<__int128>(unna_net + 2 * 2'750'000) * 10);  // Kamen's 1.0 VZÄ stay
}

TEST_CASE("redistribute: a große kreisangehörige Stadt that does not apply is served by its Kreis again") {
  // B3: a Kreis' need excludes its member Städte with their own ABH; where such a Stadt does not
  // apply (uptake pinned at 0, all others at 1), the Kreis serves it, so its need counts again:
  // exactly the allocation in which the Stadt was never a recipient.
  io::LoadedScenario ls = baseline();
  const std::size_t b3 = 2;
  std::size_t stadt = 0;
  for (std::size_t i : select(ls.regions, ls.scenario.bausteine[b3].recipients))
    if (ls.regions.list[i].type == RegionType::gemeinde) {
      stadt = i;
      break;
    }
  REQUIRE(stadt != 0);
  const std::size_t kreis = ls.regions.kreis_of(stadt);
  SimulationSpec spec;
  spec.replications = 1;
  spec.redistribute = true;
  spec.uptake_by_type = {{RegionType::kreis, 1.0}, {RegionType::kreisfreie_stadt, 1.0}, {RegionType::gemeinde, 1.0}};
  spec.uptake_per_recipient = {{ls.regions.list[stadt].ags, 0.0}};
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);

  ls.scenario.bausteine[b3].recipients.exclude.push_back(ls.regions.list[stadt].ags);
  const Allocation without = allocate(ls.scenario, ls.regions);
  const Allocation with = allocate(baseline().scenario, baseline().regions);
  auto b3_of = [&](const Allocation& a, std::size_t region) {
    for (const auto& row : a.rows)
      if (row.baustein == b3 && row.region == region) return std::pair{row.halves, row.cents};
    return std::pair{Halves{-1}, Cents{-1}};
  };
  REQUIRE(b3_of(without, kreis).first > b3_of(with, kreis).first);  // the case tells the two apart
  int compared = 0;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    if (r.slots[k].baustein != b3) continue;
    const auto [halves, cents] = b3_of(without, r.slots[k].region);
    CHECK(r.stats[k].halves.sum == std::max<Halves>(halves, 0));
    CHECK(r.stats[k].cents.sum == std::max<Cents>(cents, 0));
    ++compared;
  }
  CHECK(compared >= 88);
}

TEST_CASE("a Baustein nobody applied for lapses as a whole: an outcome, not an error") {
  const auto& ls = baseline();
  for (const bool redistribute : {false, true}) {
    SimulationSpec spec;
    spec.replications = 20;
    // Uptake pinned at 0, so that no random stream decides whether anyone applies.
    spec.uptake_by_type = {{RegionType::kreis, 0.0}, {RegionType::kreisfreie_stadt, 0.0}, {RegionType::gemeinde, 0.0}};
    spec.redistribute = redistribute;
    const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 2);
    CHECK(r.state[0].spent.sum == 0);
    CHECK(r.budget[0] == ls.scenario.budget);  // all of it unspent
    for (const SlotStats& st : r.stats) {
      CHECK(st.cents.sum == 0);
      CHECK(st.nothing.n == 20u);
    }
  }
}

TEST_CASE("fixed staffing is paid at each year's rate (its allocation is reused only while budget, rate and who applies repeat)") {
  io::LoadedScenario ls = baseline();
  ls.scenario.bausteine[0].residual = Residual::unallocated;  // so that the rate shows in the cents
  SimulationSpec spec;
  spec.replications = 3;
  spec.years = {{2021, 1.0, 5'500'000, ""}, {2022, 1.0, 5'700'000, ""}, {2023, 1.0, 5'700'000, ""}};
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  int checked = 0;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    if (r.slots[k].baustein != 0 || r.stats[k].halves.sum == 0) continue;
    const Cents half = r.slots[k].year == 0 ? 2'750'000 : 2'850'000;
    CHECK(r.stats[k].cents.sum == r.stats[k].halves.sum * half);
    ++checked;
  }
  CHECK(checked == 3 * 54);
}

TEST_CASE("a recipient's own uptake overrides the uptake of its type") {
  const auto& ls = baseline();
  const std::size_t unna = *ls.regions.find("05978");
  SimulationSpec spec;
  spec.replications = 40;
  spec.uptake_by_type = {{RegionType::kreis, 0.9}, {RegionType::kreisfreie_stadt, 1.0}, {RegionType::gemeinde, 1.0}};
  spec.uptake_per_recipient = {{"05978", 0.0}, {"05111", 0.0}};
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  int checked = 0;
  for (std::size_t k = 0; k < r.slots.size(); ++k)
    if (r.slots[k].region == unna || r.slots[k].region == *ls.regions.find("05111")) {
      CHECK(r.stats[k].nothing.n == 40u);  // never applies, whatever its type's uptake
      ++checked;
    }
  CHECK(checked >= 4);
}

TEST_CASE("value counts: exactly the limit of distinct values stays exact, one more is binned") {
  ValueCounts at_limit, beyond;
  for (std::int64_t v = 0; v < static_cast<std::int64_t>(ValueCounts::kExact); ++v) at_limit.add(v * 1000), beyond.add(v * 1000);
  beyond.add(-1);
  CHECK(at_limit.exact());
  CHECK(!beyond.exact());
}

TEST_CASE("value counts: a repeat is counted in place only after a value and while exact") {
  auto total = [](const ValueCounts& c) {
    std::uint64_t n = 0;
    for (const auto& [v, k] : c.entries()) n += k;
    return n;
  };
  ValueCounts c;
  CHECK(!c.add_repeat(0));  // nothing added yet
  c.add(500);
  CHECK(c.add_repeat(500));
  CHECK(!c.add_repeat(501));
  CHECK(total(c) == 2);
  const auto kExact = static_cast<std::int64_t>(ValueCounts::kExact);
  for (std::int64_t v = 0; v <= kExact; ++v) c.add(v * 1000 + 7);
  REQUIRE(!c.exact());
  CHECK(!c.add_repeat(kExact * 1000 + 7));  // binned: the last value goes to its bin by add_other
  c.add(kExact * 1000 + 7);
  CHECK(total(c) == 2 + static_cast<std::uint64_t>(kExact) + 2);
  ValueCounts merged;
  merged.merge(c);
  CHECK(!merged.add_repeat(kExact * 1000 + 7));
  ValueCounts exact;
  exact.add(3);
  exact.merge(ValueCounts{});
  CHECK(!exact.add_repeat(3));  // after a merge the next value is searched for
  exact.add(3);
  CHECK(exact.entries().size() == 1);
  CHECK(exact.add_repeat(3));
  CHECK(total(exact) == 3);
}

TEST_CASE("value counts: repeats counted in the slot reach every reader, merge and move of the last value") {
  // add_repeat counts a repeat of the last value apart from its entry (perf.md § 43): runs of
  // repeats, read in the middle of a run (entries, nth), merged while pending, and pending when
  // the values outgrow the exact limit, against a plain map.
  std::uint64_t x = 43;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL; };
  ValueCounts a, b;
  std::map<std::int64_t, std::uint64_t> want_a, want_b;
  auto as_vector = [](const std::map<std::int64_t, std::uint64_t>& m) {
    return std::vector<std::pair<std::int64_t, std::uint64_t>>(m.begin(), m.end());
  };
  for (int run = 0; run < 300; ++run) {
    const std::int64_t v = static_cast<std::int64_t>(next() >> 40) % 50;
    const int length = 1 + static_cast<int>(next() >> 60);  // 1 to 16
    ValueCounts& c = run % 3 == 0 ? b : a;
    auto& want = run % 3 == 0 ? want_b : want_a;
    for (int k = 0; k < length; ++k) {
      c.add(v);
      ++want[v];
      if (k == length / 2 && run % 5 == 0) REQUIRE(c.entries() == as_vector(want));  // read mid-run
    }
  }
  CHECK(a.entries() == as_vector(want_a));
  std::uint64_t n = 0;
  for (const auto& [v, count] : want_a) n += count;
  CHECK(a.nth(n) == want_a.rbegin()->first);
  // Both sides pending when merged: the merge counts them, and repeats after it count again.
  a.add(7), a.add(7), b.add(9), b.add(9);
  want_a[7] += 2, want_b[9] += 2;
  a.merge(b);
  for (const auto& [v, count] : want_b) want_a[v] += count;
  a.add(9), a.add(9);
  want_a[9] += 2;
  CHECK(a.entries() == as_vector(want_a));
  // Pending repeats when the values pass the exact limit: binned with every repeat in its bin.
  ValueCounts many;
  std::uint64_t added = 0;
  for (std::int64_t v = 1; v <= static_cast<std::int64_t>(ValueCounts::kExact) + 1; ++v)
    for (int k = 0; k < 3; ++k) many.add(v * 100'000), ++added;
  CHECK(!many.exact());
  std::uint64_t counted = 0;
  for (const auto& [v, count] : many.entries()) counted += count;
  CHECK(counted == added);
}

TEST_CASE("value counts: amounts counted per key reach every reader, merge and the move to bins") {
  // score_slot's use (perf.md § 48): add_keyed(key, v), and add_other(v, key) where it says no.
  // Keys are half positions, mostly with one amount each, sometimes another; keys at and beyond
  // kKeys and below 0 go by add_other alone. Read in the middle (entries, nth), merged with
  // counts pending on both sides, and outgrowing the exact limit with counts pending, against
  // a plain map.
  std::uint64_t x = 48;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL; };
  auto add = [](ValueCounts& c, std::int64_t key, std::int64_t v) {
    if (!c.add_keyed(key, v)) c.add_other(v, key);
  };
  auto as_vector = [](const std::map<std::int64_t, std::uint64_t>& m) {
    return std::vector<std::pair<std::int64_t, std::uint64_t>>(m.begin(), m.end());
  };
  const auto K = static_cast<std::int64_t>(ValueCounts::kKeys);
  ValueCounts a, b;
  std::map<std::int64_t, std::uint64_t> want_a, want_b;
  std::uint64_t hits = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::int64_t key = static_cast<std::int64_t>(next() >> 59);  // 0 to 31
    if (i % 97 == 0) key = std::array<std::int64_t, 4>{K - 1, K, K + 5, -1}[(i / 97) % 4];
    // Mostly the key's amount (a flat rate of 2,750,000 cents a half position), some rows another.
    // (At most 64 other amounts: the counts stay exact.)
    const std::int64_t v = next() >> 61 == 0 ? static_cast<std::int64_t>(next() >> 58) * 1'001 : key * 2'750'000;
    ValueCounts& c = i % 4 == 0 ? b : a;
    auto& want = i % 4 == 0 ? want_b : want_a;
    const bool hit = c.add_keyed(key, v);
    hits += hit;
    if (!hit) c.add_other(v, key);
    ++want[v];
    if (i % 1'000 == 500) {
      REQUIRE(c.entries() == as_vector(want));
      std::uint64_t n = 0;
      for (const auto& [value, count] : want) n += count;
      CHECK(c.nth(n / 2 + 1) == [&] {
        std::uint64_t cum = 0;
        for (const auto& [value, count] : want)
          if ((cum += count) >= n / 2 + 1) return value;
        return std::int64_t{0};
      }());
    }
  }
  REQUIRE((a.exact() && b.exact()));
  CHECK(hits > 10'000);  // the keys do their work: most rows repeat their key's amount
  CHECK(!a.add_keyed(K, K * 2'750'000));  // beyond the keys: never counted by key
  CHECK(!a.add_keyed(-1, 0));
  // Both sides pending when merged; counted by key again after it.
  add(a, 3, 3 * 2'750'000), add(b, 4, 4 * 2'750'000);
  ++want_a[3 * 2'750'000], ++want_b[4 * 2'750'000];
  a.merge(b);
  for (const auto& [v, count] : want_b) want_a[v] += count;
  add(a, 4, 4 * 2'750'000);
  CHECK(a.add_keyed(4, 4 * 2'750'000));  // the key's amount now, whatever it was before
  want_a[4 * 2'750'000] += 2;
  CHECK(a.entries() == as_vector(want_a));
  // Counts pending per key when the values pass the exact limit: binned with every count in its
  // bin, and no key counts any more.
  ValueCounts many;
  std::uint64_t added = 0;
  for (std::int64_t v = 1; v <= static_cast<std::int64_t>(ValueCounts::kExact) + 1; ++v)
    for (int k = 0; k < 3; ++k) add(many, v % 7, v * 100'000), ++added;
  CHECK(!many.exact());
  for (std::int64_t v = static_cast<std::int64_t>(ValueCounts::kExact) - 6; v <= static_cast<std::int64_t>(ValueCounts::kExact) + 1; ++v)
    CHECK(!many.add_keyed(v % 7, v * 100'000));  // each key's last amount
  std::uint64_t counted = 0;
  for (const auto& [v, count] : many.entries()) counted += count;
  CHECK(counted == added);
}

TEST_CASE("value counts: the entries are the values counted, exact and binned, as counted apart") {
  // The searches of add_other against a plain map: per value while exact, per 0.01 % bin (its
  // smallest value, every value <= 0 in one bin) once binned.
  for (const std::int64_t range : {std::int64_t{900}, std::int64_t{5'000'000}}) {
    ValueCounts c;
    std::map<std::int64_t, std::uint64_t> exact;
    std::uint64_t x = 2026;
    for (int i = 0; i < 30'000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::int64_t v = static_cast<std::int64_t>(x >> 33) % range - 20;
      c.add(v);
      ++exact[v];
    }
    if (c.exact()) {
      REQUIRE(exact.size() <= ValueCounts::kExact);
      CHECK(c.entries() == std::vector<std::pair<std::int64_t, std::uint64_t>>(exact.begin(), exact.end()));
      continue;
    }
    auto bin = [](std::int64_t v) {
      return v <= 0 ? -1 : static_cast<std::int32_t>(std::floor(elementary::log(static_cast<double>(v)) / std::log1p(1e-4)));
    };
    std::map<std::int32_t, std::pair<std::int64_t, std::uint64_t>> bins;  // smallest value, count
    for (const auto& [v, n] : exact) {
      auto [it, fresh] = bins.try_emplace(bin(v), v, 0);
      it->second.second += n;
    }
    std::vector<std::pair<std::int64_t, std::uint64_t>> want;
    for (const auto& [b, e] : bins) want.push_back(e);
    CHECK(range == 5'000'000);
    CHECK(c.entries() == want);
  }
}

TEST_CASE("positions' moments from their histogram: the sums of adding each value, in every slot of a simulation") {
  // Histogram::moments against a Moments that adds each value, over small and large values,
  // repeats and gaps.
  std::uint64_t state = 5;
  auto next = [&] { return (state = state * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for (int trial = 0; trial < 50; ++trial) {
    Histogram h;
    Moments m;
    const std::uint64_t spread = trial % 5 == 0 ? 3 : trial % 5 == 1 ? 400 : 40;
    for (int i = 0; i < 1000; ++i) {
      const auto v = static_cast<std::int64_t>(next() % spread + (trial % 7 == 0 ? 100'000 : 0));
      h.add(v);
      m.add(v);
    }
    const Moments d = h.moments();
    REQUIRE(d.sum == m.sum);
    REQUIRE(d.sq == m.sq);
  }
  CHECK(Histogram{}.moments().sum == 0);
  // The replication leaves them to SimulationRun::take: each slot's positions' moments are those
  // of its histogram, and the mean of the positions is the histogram's (not 0), merged over threads.
  const auto& ls = baseline();
  SimulationSpec spec;
  spec.replications = 40;
  spec.seed = 9;
  spec.uptake_by_type[RegionType::kreis] = 0.8;
  const SimulationResult one = simulate(ls.scenario, ls.regions, spec, 1), two = simulate(ls.scenario, ls.regions, spec, 2);
  bool some = false;
  for (std::size_t k = 0; k < one.stats.size(); ++k) {
    const Moments d = one.stats[k].halves_hist.moments();
    REQUIRE(one.stats[k].halves.sum == d.sum);
    REQUIRE(one.stats[k].halves.sq == d.sq);
    REQUIRE(two.stats[k].halves.sum == d.sum);
    REQUIRE(two.stats[k].halves.sq == d.sq);
    some = some || d.sum > 0;
  }
  CHECK(some);
}

TEST_CASE("spending bins: the counts of a map per bin, whatever the order, the spread and the split") {
  // The array grows around the first bin, down and up, to kDense bins; bins beyond go to the
  // map (which the array never reaches). Against a plain map of value / kWidth: one stream, its
  // shares merged, the stream in reverse (the array then starts at the other end), merged into an
  // empty one (as a thread's counts reach the result), and its entries added one by one (as
  // unpacking adds them).
  using Entries = std::vector<std::pair<std::int64_t, std::uint64_t>>;
  constexpr std::int64_t W = SpendBins::kWidth, D = static_cast<std::int64_t>(SpendBins::kDense);
  struct Spread {
    std::int64_t centre, width;  // bins
  };
  for (const Spread spread : {Spread{300, 40}, Spread{-5, 3 * D / 4}, Spread{1'000'000, 3 * D}, Spread{0, 50 * D}}) {
    CAPTURE(spread.centre);
    CAPTURE(spread.width);
    std::vector<std::int64_t> values;
    std::uint64_t x = 2021;
    for (int i = 0; i < 20'000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      // Two thirds near the centre, a third over the whole width; every value within its bin.
      const std::int64_t width = i % 3 == 0 ? spread.width : std::max<std::int64_t>(spread.width / 16, 1);
      const std::int64_t bin = spread.centre - width / 2 + static_cast<std::int64_t>((x >> 33) % static_cast<std::uint64_t>(width));
      values.push_back(bin * W + (bin < 0 ? -1 : 1) * static_cast<std::int64_t>((x >> 13) % W));
    }
    // A value far below and far above every other, and the largest bins there are.
    values.insert(values.begin() + 7, std::numeric_limits<std::int64_t>::max());
    values.insert(values.begin() + 500, std::numeric_limits<std::int64_t>::min() + 1);
    values.push_back(spread.centre * W - 10 * D * W);
    std::map<std::int64_t, std::uint64_t> want;
    SpendBins all, first, second, reversed;
    for (std::size_t i = 0; i < values.size(); ++i) {
      ++want[values[i] / W];
      all.add(values[i]);
      (i < values.size() / 3 ? first : second).add(values[i]);
      reversed.add(values[values.size() - 1 - i]);
    }
    const Entries expected(want.begin(), want.end());
    CHECK(all.entries() == expected);
    CHECK(reversed.entries() == expected);
    first.merge(second);
    CHECK(first.entries() == expected);
    SpendBins empty;
    empty.merge(all);
    CHECK(empty.entries() == expected);
    SpendBins unpacked;
    for (const auto& [bin, n] : expected) unpacked.add_bin(bin, n);
    CHECK(unpacked.entries() == expected);
  }
}

TEST_CASE("uniforms of many words at once give the bits of one at a time") {
  std::vector<std::uint64_t> w = {0, 1, 2047, 2048, ~std::uint64_t{0}, std::uint64_t{1} << 63, (std::uint64_t{1} << 43) - 1,
                                  std::uint64_t{1} << 43, 0xffffffff00000000ull, 0x00000000ffffffffull};
  std::uint64_t x = 5;
  for (int k = 0; k < 10'003; ++k) w.push_back(x = x * 6364136223846793005ull + 1442695040888963407ull);
  std::vector<double> u(w.size());
  unit_draws(w, u);
  for (std::size_t i = 0; i < w.size(); ++i)
    REQUIRE(std::bit_cast<std::uint64_t>(u[i]) ==
            std::bit_cast<std::uint64_t>((static_cast<double>(w[i] >> 11) + 0.5) * 0x1.0p-53));
}

TEST_CASE("personnel costs to cents: rounded half up and bounded, as one at a time") {
  std::vector<double> eur = {0, 0.004999999, 0.005, -0.005, -0.015, 0.125, -0.125, 62000.125, 61999.995, 1e13, -1e13,
                             1e13 + 1, -1e13 - 1, 1e300, -1e300, std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                             0x1p-1074, -0.0, 4503599627370.4951, -4503599627370.505};
  std::uint64_t x = 17;
  for (int k = 0; k < 10'007; ++k) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const double u = (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
    eur.push_back(k % 3 == 0 ? 62000 + 5000 * normal_quantile(u) : (u - 0.5) * std::ldexp(1.0, k % 50));
  }
  std::vector<Cents> cents(eur.size());
  euros_to_cents(eur, cents);
  for (std::size_t i = 0; i < eur.size(); ++i) {
    const double v = eur[i] * 100.0, bounded = v > -1e15 ? (v < 1e15 ? v : 1e15) : -1e15;
    REQUIRE(cents[i] == static_cast<Cents>(std::floor(bounded + 0.5)));
  }
}

TEST_CASE("indicator noise never makes an indicator negative: a factor below zero counts as zero") {
  // Every factor below zero: all values count as 0, so the key has nothing to share (an error of
  // the replication), rather than shares of negative need. (Negative values let through would
  // show only where a Kreis' factor and its member Städte's differ in sign or size: see the
  // surviving mutant sim-noise-negative in tests/mutation/SCORE.md.)
  const auto& ls = baseline();
  SimulationSpec spec;
  spec.replications = 2;
  spec.indicator_noise = {{"schutzsuchende", {Distribution::Kind::normal, -1.0, 0.01}}};
  CHECK_THROWS_WITH_AS(simulate(ls.scenario, ls.regions, spec, 1), doctest::Contains("zero for all recipients"), InputError);
}

namespace {
/// Every slot of `part` equals the slot of `whole` with the same year, Baustein and region, in
/// every accumulator written out: the draws of what the two scenarios share are the same.
int check_shared_slots(const SimulationResult& whole, const SimulationResult& part) {
  std::map<std::tuple<std::size_t, std::size_t, std::size_t>, std::size_t> at;
  for (std::size_t k = 0; k < whole.slots.size(); ++k) at[{whole.slots[k].year, whole.slots[k].baustein, whole.slots[k].region}] = k;
  int compared = 0;
  for (std::size_t k = 0; k < part.slots.size(); ++k) {
    const SlotStats& a = part.stats[k];
    const SlotStats& b = whole.stats[at.at({part.slots[k].year, part.slots[k].baustein, part.slots[k].region})];
    CHECK(a.nothing.n == b.nothing.n);
    CHECK(a.halves.sum == b.halves.sum);
    CHECK(a.cents.sq == b.cents.sq);
    CHECK(a.outflow.sum == b.outflow.sum);  // start month and months to fill
    CHECK(a.cofinancing.sum == b.cofinancing.sum);  // personnel cost
    ++compared;
  }
  return compared;
}
}  // namespace

TEST_CASE("common random numbers: one recipient more draws the same for every recipient the two share") {
  // The draws are named by (replication, year, purpose, AGS, Baustein id, indicator name), not by
  // a row's or a column's place: a variant with one recipient fewer in B1 shifts every later row
  // of the plan, and still each shared recipient applies, starts, fills and pays alike.
  io::LoadedScenario ls = baseline();
  ls.scenario.bausteine[0].residual = Residual::unallocated;  // else B1's rest is shared by its recipients
  SimulationSpec spec = *ls.simulation;  // uptake, start month, months to fill, cost, noise
  spec.replications = 40;
  spec.years = {{2021, 1.0, std::nullopt, ""}, {2022, 1.1, std::nullopt, ""}};
  io::LoadedScenario variant = ls;
  variant.scenario.bausteine[0].recipients.exclude.push_back("05978");  // Unna leaves B1 only
  const SimulationResult whole = simulate(ls.scenario, ls.regions, spec, 2);
  const SimulationResult part = simulate(variant.scenario, variant.regions, spec, 1);
  REQUIRE(part.slots.size() + 2 == whole.slots.size());  // one B1 row fewer, in each of two years
  CHECK(check_shared_slots(whole, part) == static_cast<int>(part.slots.size()));
  CHECK(part.slots.size() > 390);
}

TEST_CASE("common random numbers: one indicator more (before the others) draws the same noise") {
  const auto& ls = baseline();
  SimulationSpec spec = *ls.simulation;
  spec.replications = 30;
  const SimulationResult plain = simulate(ls.scenario, ls.regions, spec, 1);
  // The same regions with an indicator "extra" in the first column, noisy too: every other
  // indicator moves one column on, and no rule reads the new one.
  Regions more = ls.regions;
  more.indicator_names.insert(more.indicator_names.begin(), "extra");
  more.indicators.conservativeResize(Eigen::NoChange, more.indicators.cols() + 1);
  more.indicators.rightCols(ls.regions.indicators.cols()) = ls.regions.indicators;
  more.indicators.col(0).setConstant(1.0);
  spec.indicator_noise.emplace("extra", Distribution{Distribution::Kind::lognormal, 0, 0.5});
  const SimulationResult extra = simulate(ls.scenario, more, spec, 2);
  CHECK(check_shared_slots(plain, extra) == static_cast<int>(plain.slots.size()));
  CHECK(io::simulation_csv(ls, extra) == io::simulation_csv(ls, plain));
  CHECK(io::simulation_summary(ls, spec, extra).dump() == io::simulation_summary(ls, spec, plain).dump());
}

TEST_CASE("the accumulators are declared once: the CSV columns and the packed layout follow the declaration") {
  const auto& ls = baseline();
  SimulationSpec spec;
  spec.replications = 3;
  const std::string csv = io::simulation_csv(ls, simulate(ls.scenario, ls.regions, spec, 1));
  CHECK(csv.substr(0, csv.find('\n')) ==
        "ags,name,baustein,year,positions_mean,positions_sd,positions_p05,positions_p50,positions_p95,"
        "euros_mean,euros_sd,euros_p05,euros_p50,euros_p95,p_nothing,outflow_mean,cofinancing_mean");
  static_assert(layout_fingerprint<SlotStats>() != layout_fingerprint<StateStats>());
  // A result packed under another declaration is refused, not misread.
  std::string bytes = pack(simulate(ls.scenario, ls.regions, spec, 1));
  bytes[8] ^= 1;  // the layout's fingerprint follows the magic number
  CHECK_THROWS_WITH_AS(unpack(bytes), "not kimsim simulation data of this version", Error);
}

TEST_CASE("the outputs write every mean and share with its decimals, also where it rounds to 0 or up to a power of ten") {
  const auto& ls = baseline();
  SimulationSpec spec;
  spec.replications = 3;
  SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  REQUIRE(r.stats.size() >= 2);
  r.replications = 1'000'000;
  r.stats[0].nothing.n = 3;       // 0.000003
  r.stats[1].nothing.n = 99'990;  // 0.09999
  r.stats[0].halves.sum = 1, r.stats[0].halves.sq = 1;  // a mean of 0.0000005 VZÄ
  r.state[0].gini.sum = 2'298, r.state[0].gini.sq = 5'281'000;  // 2.298e-12
  r.state[0].fair.n = 1'000'000;  // measured in every replication
  const std::string csv = io::simulation_csv(ls, r);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t at = 0; at < csv.size();) {
    const std::size_t end = csv.find('\n', at);
    std::vector<std::string>& row = rows.emplace_back();
    for (std::size_t c = at; c <= end;) {  // a quoted name may hold a comma: cells counted from the end
      const std::size_t comma = std::min(csv.find(',', c), end);
      row.push_back(csv.substr(c, comma - c));
      c = comma + 1;
    }
    at = end + 1;
  }
  REQUIRE(rows.size() >= 3);
  auto cell = [&](std::size_t row, std::string_view column) {
    const auto at = std::find(rows[0].begin(), rows[0].end(), column);
    REQUIRE(at != rows[0].end());
    return rows[row].at(rows[row].size() - static_cast<std::size_t>(rows[0].end() - at));
  };
  CHECK(cell(1, "p_nothing") == "0.0000");
  CHECK(cell(2, "p_nothing") == "0.1000");
  CHECK(cell(1, "positions_mean") == "0.0000");
  CHECK(cell(1, "positions_sd") == "0.0005");  // sqrt(1e-6) halves
  const nlohmann::json summary = io::simulation_summary(ls, spec, r);
  CHECK(summary["years"][0]["gini_euros_per_inhabitant"]["mean"] == "0.000000");
  CHECK(summary["years"][0]["gini_euros_per_inhabitant"]["sd"] == "0.000000");
}

// ---------------------------------------------------------------------------------------------
// compare --replications: the scenarios on common random numbers.

namespace {
const io::LoadedScenario& rate_variant() {
  static const io::LoadedScenario ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/variants/rate-57000.yaml");
  return ls;
}
}  // namespace

TEST_CASE("compare --replications: the base is simulate's, the differences add up, common streams make them tight") {
  const auto& base = baseline();
  const auto& rate = rate_variant();
  const SimulationSpec spec = *base.simulation, rate_spec = *rate.simulation;
  const SimulatedScenario s[] = {{&base.scenario, &base.regions, &spec}, {&rate.scenario, &rate.regions, &rate_spec}};
  const std::uint64_t n = 200, seed = 7;
  const CompareSimulation c = compare_replications(s, seed, 0, n, 2);
  REQUIRE(c.variants == 1);
  REQUIRE(c.stats.size() == c.lines.size());
  // The base as simulate() draws it with the same seed: the euros and positions of each line sum
  // to those of its slots.
  SimulationSpec alone = spec;
  alone.seed = seed, alone.replications = n;
  const SimulationResult r = simulate(base.scenario, base.regions, alone, 2);
  __int128 slot_cents = 0, line_cents = 0, slot_halves = 0, line_halves = 0;
  for (const auto& st : r.stats) slot_cents += st.cents.sum, slot_halves += st.halves.sum;
  for (std::size_t l = 0; l < c.lines.size(); ++l) {
    const DeltaStats& d = c.stats[l];
    line_cents += d.base_cents.sum, line_halves += d.base_halves.sum;
    CHECK(d.delta_cents.sum == d.variant_cents.sum - d.base_cents.sum);
    CHECK(d.delta_halves.sum == d.variant_halves.sum - d.base_halves.sum);
    CHECK(d.lose.n <= n);
  }
  CHECK(line_cents == slot_cents);
  CHECK(line_halves == slot_halves);
  // A higher rate at the same budget buys fewer positions: B2's recipients lose positions in
  // most replications, and common streams remove most of the variance of the difference.
  const auto ratios = variance_ratios(c);
  REQUIRE(ratios.size() == 3);
  for (const VarianceRatio& v : ratios) {
    INFO(v.baustein);
    REQUIRE(v.euros);
    CHECK(*v.euros < 0.2);
  }
  Halves lost = 0;
  for (std::size_t l = 0; l < c.lines.size(); ++l)
    if (c.lines[l].baustein == "B2") lost += static_cast<Halves>(c.stats[l].delta_halves.sum);
  CHECK(lost < 0);
}

TEST_CASE("compare --replications: byte-identical for 1 and 2 threads and for shares merged") {
  const auto& base = baseline();
  const auto& rate = rate_variant();
  const SimulationSpec spec = *base.simulation, rate_spec = *rate.simulation;
  const SimulatedScenario s[] = {{&base.scenario, &base.regions, &spec}, {&rate.scenario, &rate.regions, &rate_spec}};
  const CompareSimulation one = compare_replications(s, 11, 0, 90, 1);
  const CompareSimulation two = compare_replications(s, 11, 0, 90, 2);
  CHECK(pack(one) == pack(two));
  CompareSimulation first = compare_replications(s, 11, 0, 40, 1);
  const CompareSimulation rest = compare_replications(s, 11, 40, 50, 2);
  merge(first, unpack_comparison(pack(rest), first));
  CHECK(pack(first) == pack(one));
  const std::vector<std::string> names{"base", "rate"};
  CHECK(io::compare_simulation_csv(first, names, base.regions) == io::compare_simulation_csv(one, names, base.regions));
  CHECK(pack(compare_replications(s, 12, 0, 90, 2)) != pack(one));
}

TEST_CASE("compare --replications: other years are refused; a scenario against itself differs by nothing") {
  const auto& base = baseline();
  SimulationSpec a = *base.simulation, b = *base.simulation;
  b.years = {SimulationYear{2022, 1.0, std::nullopt, "", {}, {}}};
  a.years = {SimulationYear{2021, 1.0, std::nullopt, "", {}, {}}};
  // Different years are refused: a comparison under uncertainty compares the same years.
  const SimulatedScenario s[] = {{&base.scenario, &base.regions, &a}, {&base.scenario, &base.regions, &b}};
  CHECK_THROWS_AS(compare_replications(s, 3, 0, 10, 1), InputError);
  // The same scenario against itself: every difference is 0, nobody loses.
  const SimulatedScenario same[] = {{&base.scenario, &base.regions, &a}, {&base.scenario, &base.regions, &a}};
  const CompareSimulation c = compare_replications(same, 3, 0, 50, 2);
  for (const auto& d : c.stats) {
    CHECK(d.delta_cents.sq == 0);
    CHECK(d.lose.n == 0);
  }
  for (const VarianceRatio& v : variance_ratios(c)) CHECK(v.euros.value_or(0) == 0);
}

TEST_CASE("signed counts: quantiles of differences of either sign, exact or binned") {
  SignedCounts c;
  for (int v = -50; v <= 49; ++v) c.add(v * 1000);
  CHECK(c.nth(1) == -50000);
  CHECK(c.nth(50) == -1000);
  CHECK(c.nth(51) == 0);
  CHECK(c.nth(100) == 49000);
  CHECK(c.exact());
  SignedCounts wide;
  for (std::int64_t v = 1; v <= 3000; ++v) wide.add(-v * 7919), wide.add(v * 7919);
  CHECK(!wide.exact());
  // Binned: the value of a 0.01 % wide bin nearest to 0, never of the other sign.
  const std::int64_t low = wide.nth(1);
  CHECK(low < 0);
  CHECK(std::abs(static_cast<double>(low) / (-3000.0 * 7919) - 1) < 2e-4);
  CHECK(wide.nth(3000) < 0);
  CHECK(wide.nth(3001) > 0);
}

TEST_CASE("compare --replications: a variant without one recipient draws the same for all the others") {
  // B2 without Dortmund: B1 and B3 do not depend on B2, so with common random numbers their
  // differences are 0 in every replication, although the variant's plan has one row less.
  const auto& base = baseline();
  Scenario fewer = base.scenario;
  fewer.bausteine[1].recipients.exclude.push_back("05913");
  const SimulationSpec spec = *base.simulation;
  const SimulatedScenario s[] = {{&base.scenario, &base.regions, &spec}, {&fewer, &base.regions, &spec}};
  const CompareSimulation c = compare_replications(s, 5, 0, 60, 2);
  bool dortmund = false;
  for (std::size_t l = 0; l < c.lines.size(); ++l) {
    const DeltaStats& d = c.stats[l];
    if (c.lines[l].baustein != "B2") {
      CHECK(d.delta_halves.sq == 0);
      CHECK(d.delta_cents.sq == 0);
    } else if (base.regions.list[c.lines[l].region].ags == "05913") {
      dortmund = true;
      CHECK(d.variant_cents.sum == 0);  // no row in the variant: 0
      CHECK(d.lose.n > 0);
    }
  }
  CHECK(dortmund);
  for (const VarianceRatio& v : variance_ratios(c))
    if (v.baustein != "B2") CHECK(v.euros.value_or(-1) == 0);
}

TEST_CASE("compare --replications: on independent streams the variance ratio is near 1 (the estimator's check)") {
  // The comparison's own loop always shares the seed; here its per-thread worker runs the base
  // and the rate variant on two seeds, so that Var(difference) should equal Var(base) +
  // Var(variant): the pooled ratio is 1 up to sampling error.
  const auto& base = baseline();
  const auto& rate = rate_variant();
  const SimulationSpec specs[] = {*base.simulation, *rate.simulation};
  const SimulatedScenario s[] = {{&base.scenario, &base.regions, &specs[0]}, {&rate.scenario, &rate.regions, &specs[1]}};
  SimulationSpec independent[] = {specs[0], specs[1]};
  independent[0].seed = 101, independent[1].seed = 202;
  std::vector<Replicator> probes;
  probes.emplace_back(base.scenario, base.regions, independent[0]);
  probes.emplace_back(rate.scenario, rate.regions, independent[1]);
  const CompareLayout layout = compare_layout(s, probes);
  CompareReplicator worker(s, independent, layout);
  CompareSimulation c;
  c.years = layout.years, c.lines = layout.lines, c.variants = 1, c.replications = 400;
  c.stats.resize(c.lines.size());
  for (std::uint64_t r = 0; r < c.replications; ++r) worker.run(r, c.stats);
  for (const VarianceRatio& v : variance_ratios(c)) {
    INFO(v.baustein);
    REQUIRE(v.euros);
    CHECK(*v.euros > 0.8);
    CHECK(*v.euros < 1.2);
  }
}
