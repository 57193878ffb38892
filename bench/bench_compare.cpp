// Google Benchmark of `kimsim compare`'s core: the KIM NRW 2021 baseline against six variants
// (the questions of issue 12) in one process. Target: < 50 ms of CPU for the whole comparison,
// allocations included; reading the files is measured by bench_load.
#include <benchmark/benchmark.h>

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

}  // namespace

BENCHMARK(BM_Compare)->Name("BM_Compare/kim-nrw-2021/baseline_and_6_variants")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AllocateAndCompare)->Name("BM_Compare/kim-nrw-2021/allocate_and_compare_7")->Unit(benchmark::kMillisecond);
