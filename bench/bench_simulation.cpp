// Google Benchmark of one full Monte Carlo replication of the KIM NRW 2021 baseline: sampling,
// keys, all Bausteine, pass-through, cents, accumulation; and of one evaluation of its plan alone.
#include <benchmark/benchmark.h>

#include <random>

#include "io/scenario.hpp"
#include "sim/replicator.hpp"

namespace {

void BM_Replication(benchmark::State& state) {
  const auto ls = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  const kimsim::SimulationSpec spec = *ls.simulation;
  kimsim::Replicator rep(ls.scenario, ls.regions, spec);
  std::vector<kimsim::SlotStats> stats(rep.slots().size());
  std::vector<kimsim::StateStats> total(rep.years().size());
  std::uint64_t r = 0;
  for (auto _ : state) {
    rep.run(r++, stats, total);
    benchmark::ClobberMemory();
  }
}

/// Plan::evaluate, the allocation a replication runs per year: with everyone present (fixed
/// staffing repeats and is skipped), or with 16 fixed draws of who applies, taken in turn (every
/// Baustein recomputed).
void BM_Plan(benchmark::State& state) {
  const auto ls = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  const kimsim::Plan plan(ls.scenario, ls.regions);
  kimsim::Draft draft;
  const std::size_t n = ls.regions.list.size();
  std::vector<std::vector<std::uint8_t>> absent;
  if (state.range(0)) {
    std::mt19937 gen(2021);
    for (int k = 0; k < 16; ++k) {
      absent.emplace_back(n);
      for (auto& a : absent.back()) a = gen() % 20 == 0;  // 5 % do not apply
    }
  }
  std::size_t r = 0;
  for (auto _ : state) {
    kimsim::PlanInputs in;
    if (!absent.empty()) in.absent = absent[r++ % absent.size()];
    plan.evaluate(in, draft);
    benchmark::ClobberMemory();
  }
}

}  // namespace

BENCHMARK(BM_Replication)->Name("BM_Replication/kim_nrw_2021");
BENCHMARK(BM_Plan)->Name("BM_Plan/kim_nrw_2021/all_apply")->Arg(0);
BENCHMARK(BM_Plan)->Name("BM_Plan/kim_nrw_2021/uptake_95")->Arg(1);
