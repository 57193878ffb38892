// Google Benchmark of one full Monte Carlo replication of the KIM NRW 2021 baseline: sampling,
// keys, all Bausteine, pass-through, cents, accumulation.
#include <benchmark/benchmark.h>

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

}  // namespace

BENCHMARK(BM_Replication)->Name("BM_Replication/kim_nrw_2021");
