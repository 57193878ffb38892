// Google Benchmark of one full Monte Carlo replication of the KIM NRW 2021 baseline: sampling,
// keys, all Bausteine, pass-through, cents, accumulation; and of one evaluation of its plan alone.
#include <benchmark/benchmark.h>

#include <limits>
#include <random>

#include "io/scenario.hpp"
#include "sim/replicator.hpp"

namespace {

/// The baseline's replicator with its accumulators, as `kimsim simulate` keeps them per thread.
/// Built in place (the replicator keeps references to the scenario and the spec beside it).
struct Baseline {
  const kimsim::io::LoadedScenario ls = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  const kimsim::SimulationSpec spec = *ls.simulation;
  kimsim::Replicator rep{ls.scenario, ls.regions, spec};
  std::vector<kimsim::SlotStats> stats = std::vector<kimsim::SlotStats>(rep.slots().size());
  std::vector<kimsim::StateStats> total = std::vector<kimsim::StateStats>(rep.years().size());
};

void BM_Replication(benchmark::State& state) {
  Baseline b;
  std::uint64_t r = 0;
  for (auto _ : state) {
    b.rep.run(r++, b.stats, b.total);
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

/// Where a replication's time goes, by taking parts away (perf.md § 43): the same replication as
/// BM_Replication but each row's outcome stored in an array instead of scored (Replicator::record:
/// the draws, the plan and the payout, none of the accumulators' write set), and the full
/// replication on the same draws every time (replication 0: every branch repeats from one
/// iteration to the next, where the predictor can learn it, and no new value reaches the
/// accumulators).
void BM_ReplicationParts(benchmark::State& state) {
  Baseline b;
  std::vector<kimsim::RowOutcome> outcomes(b.rep.slots().size());
  const bool outcomes_only = state.range(0) == 0;
  std::uint64_t r = 0;
  for (auto _ : state) {
    if (outcomes_only)
      b.rep.record(r++, outcomes);
    else
      b.rep.run(0, b.stats, b.total);
    benchmark::ClobberMemory();
  }
}

}  // namespace

/// The fairness scorer's sort by one path (sort_by_rank), on what it sorts in the baseline: the
/// euros per inhabitant of 54 territories, 3 % of them not counted (+inf), a new order each time
/// (64 sets taken in turn, so that no order repeats the last).
void BM_SortByRank(benchmark::State& state, const char* path) {
  std::mt19937_64 gen(2021);
  std::vector<std::vector<double>> sets(64, std::vector<double>(54));
  for (auto& set : sets)
    for (double& v : set)
      v = gen() % 100 < 3 ? std::numeric_limits<double>::infinity() : static_cast<double>(gen() % 5'000'000) * 1e-2;
  std::vector<double> sorted(54);
  if (!kimsim::sort_by_rank(path, sets[0], sorted)) {
    state.SkipWithError("not on this CPU");
    return;
  }
  std::size_t k = 0;
  for (auto _ : state) {
    kimsim::sort_by_rank(path, sets[k++ % sets.size()], sorted);
    benchmark::DoNotOptimize(sorted.data());
    benchmark::ClobberMemory();
  }
}

BENCHMARK(BM_Replication)->Name("BM_Replication/kim_nrw_2021");
BENCHMARK_CAPTURE(BM_SortByRank, avx512, "avx512")->Name("BM_SortByRank/n54/avx512");
BENCHMARK_CAPTURE(BM_SortByRank, avx2, "avx2")->Name("BM_SortByRank/n54/avx2");
BENCHMARK_CAPTURE(BM_SortByRank, scalar, "scalar")->Name("BM_SortByRank/n54/scalar");
// Not named BM_Replication*, so that `--benchmark_filter=BM_Replication` (issue 17's measure) runs
// the one benchmark.
BENCHMARK(BM_ReplicationParts)->Name("BM_RepParts/kim_nrw_2021/outcomes_only")->Arg(0);
BENCHMARK(BM_ReplicationParts)->Name("BM_RepParts/kim_nrw_2021/same_draws")->Arg(1);
BENCHMARK(BM_Plan)->Name("BM_Plan/kim_nrw_2021/all_apply")->Arg(0);
BENCHMARK(BM_Plan)->Name("BM_Plan/kim_nrw_2021/uptake_95")->Arg(1);
