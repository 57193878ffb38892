// Google Benchmark of `kimsim compare`'s core: the KIM NRW 2021 baseline against six variants
// (the questions of issue 12) in one process. Target: < 50 ms of CPU for the whole comparison,
// allocations included; reading the files is measured by bench_load.
#include <benchmark/benchmark.h>

#include "io/region_loader.hpp"
#include "io/scenario.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/rules.hpp"

namespace {

using namespace kimsim;

struct Variants {
  io::LoadedScenario base;
  std::vector<Scenario> scenarios;  ///< the baseline first, then six variants
  std::vector<std::string> names;
};

PositionsByKey& b2_rule(Scenario& s) { return edit_rule<PositionsByKey>(s.bausteine[1]); }

const Variants& variants() {
  static const Variants v = [] {
    Variants out;
    out.base = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
    const Scenario& s = out.base.scenario;
    out.scenarios.push_back(s), out.names.push_back("baseline");
    Scenario rate = s;  // 57,000 EUR per VZÄ at the same budget
    for (auto& b : rate.bausteine) b.rate_per_vza = 5'700'000;
    out.scenarios.push_back(rate), out.names.push_back("rate-57000");
    Scenario budget = s;  // 75 M EUR, every Baustein by half again
    budget.budget = budget.budget * 3 / 2;
    for (auto& b : budget.bausteine) b.budget = b.budget * 3 / 2;
    out.scenarios.push_back(budget), out.names.push_back("budget-75m");
    Scenario population = s;  // B2 by population only
    b2_rule(population).key.terms = {{"population", 1.0}};
    out.scenarios.push_back(population), out.names.push_back("b2-population");
    Scenario fluag = s;  // B2 by the FlüAG key: 90 % population, 10 % area, capped at 125 %
    b2_rule(fluag).key.terms = {{"population", 0.9}, {"area_km2", 0.1}};
    b2_rule(fluag).key.cap_indicator = "population", b2_rule(fluag).key.cap_factor = 1.25;
    out.scenarios.push_back(fluag), out.names.push_back("b2-fluag");
    Scenario no_pass = s;  // no pass-through
    for (auto& b : no_pass.bausteine) b.pass_through.clear();
    out.scenarios.push_back(no_pass), out.names.push_back("no-pass-through");
    Scenario hamilton = s;  // Hamilton instead of Sainte-Laguë
    for (auto& b : hamilton.bausteine)
      if (rule_as<PositionsByKey>(b)) edit_rule<PositionsByKey>(b).rule.method = Method::hamilton;
    out.scenarios.push_back(hamilton), out.names.push_back("hamilton");
    return out;
  }();
  return v;
}

/// The comparison alone, on allocations made once.
void BM_Compare(benchmark::State& state) {
  const Variants& v = variants();
  std::vector<Allocation> allocations;
  for (const auto& s : v.scenarios) allocations.push_back(allocate(s, v.base.regions));
  std::vector<ComparedScenario> c;
  for (std::size_t k = 0; k < v.scenarios.size(); ++k) c.push_back({v.names[k], &v.scenarios[k], &v.base.regions, &allocations[k]});
  for (auto _ : state) benchmark::DoNotOptimize(compare(c));
}

/// What `kimsim compare` computes after reading: seven allocations and their comparison.
void BM_AllocateAndCompare(benchmark::State& state) {
  const Variants& v = variants();
  for (auto _ : state) {
    std::vector<Allocation> allocations;
    for (const auto& s : v.scenarios) allocations.push_back(allocate(s, v.base.regions));
    std::vector<ComparedScenario> c;
    for (std::size_t k = 0; k < v.scenarios.size(); ++k) c.push_back({v.names[k], &v.scenarios[k], &v.base.regions, &allocations[k]});
    benchmark::DoNotOptimize(compare(c));
  }
}

/// What `kimsim compare` reads: the baseline and its seven shipped variants, each with its data
/// files (the same three). range(0) = 1: through one DataCache, as the command loads them (each
/// file read and parsed once); 0: every scenario reads its own.
void BM_CompareLoad(benchmark::State& state) {
  const std::string root = KIMSIM_SOURCE_DIR "/scenarios/";
  const char* files[] = {"kim-nrw-2021.yaml",          "variants/rate-57000.yaml",  "variants/budget-75m.yaml",
                         "variants/b2-population-only.yaml", "variants/b2-fluag-key.yaml", "variants/no-pass-through.yaml",
                         "variants/hamilton.yaml",     "variants/b2-min-5-vza.yaml"};
  for (auto _ : state) {
    io::DataCache cache;
    io::LoadOptions options;
    if (state.range(0)) options.cache = &cache;
    std::vector<io::LoadedScenario> loaded;
    for (const char* f : files) loaded.push_back(io::load_scenario(root + f, options));
    benchmark::DoNotOptimize(loaded);
  }
}

/// compare --replications: the baseline and the rate variant, both simulated per replication on
/// common random numbers, one thread; per replication of the pair.
void BM_CompareReplications(benchmark::State& state) {
  static const io::LoadedScenario base = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  static const io::LoadedScenario rate = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/variants/rate-57000.yaml");
  const SimulatedScenario s[] = {{&base.scenario, &base.regions, &*base.simulation}, {&rate.scenario, &rate.regions, &*rate.simulation}};
  constexpr std::uint64_t n = 64;
  std::uint64_t first = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(compare_replications(s, 2021, first, n, 1));
    first += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

}  // namespace

BENCHMARK(BM_CompareLoad)->Name("BM_Compare/kim-nrw-2021/load_8_scenarios")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompareReplications)->Name("BM_Compare/kim-nrw-2021/replications_base_and_rate_x64")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Compare)->Name("BM_Compare/kim-nrw-2021/baseline_and_6_variants")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AllocateAndCompare)->Name("BM_Compare/kim-nrw-2021/allocate_and_compare_7")->Unit(benchmark::kMillisecond);
