// Google Benchmark of a sweep point (kimsim sweep) of the KIM NRW 2021 baseline: the plan compiled
// once and patched per point (io/patch.hpp), against simulate's per-replication cost.
#include <benchmark/benchmark.h>

#include "io/patch.hpp"
#include "io/scenario.hpp"
#include "io/sweep.hpp"
#include "kimsim/simulation.hpp"

namespace {

const kimsim::io::LoadedScenario& baseline() {
  static const auto ls = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  return ls;
}

/// One deterministic point: the B2 rate and the B2 key's population weight patched (alternating
/// between two points, so that nothing repeats), the plan evaluated into a reused draft. What a
/// point costs before its metrics.
void BM_SweepPoint(benchmark::State& state) {
  using namespace kimsim::io;
  const auto& ls = baseline();
  const kimsim::Plan plan(ls.scenario, ls.regions);
  std::string why;
  const std::vector<Slot> slots = {*resolve_slot(ls.scenario, "bausteine[B2].rate_per_vza_eur", why),
                                   *resolve_slot(ls.scenario, "bausteine[B2].positions_by_key.key.population", why),
                                   *resolve_slot(ls.scenario, "bausteine[B2].positions_by_key.key.schutzsuchende", why)};
  const std::vector<std::int64_t> points[2] = {{5'700'000, 350'000'000'000, 650'000'000'000},
                                               {5'500'000, 600'000'000'000, 400'000'000'000}};
  PatchedInputs in;
  kimsim::Draft draft;
  std::size_t k = 0;
  for (auto _ : state) {
    apply(ls.scenario, slots, points[k++ % 2], in);
    plan.evaluate(in.inputs(), draft);
    benchmark::ClobberMemory();
  }
}

/// A whole point of `kimsim sweep` with every metric (the plan's evaluation, the fairness indices
/// and the paradoxes against the base): run_points over the rate-and-key grid; items: points.
void BM_SweepPointMetrics(benchmark::State& state) {
  using namespace kimsim::io;
  const Sweep sw = load_sweep(KIMSIM_SOURCE_DIR "/scenarios/sweeps/rate-and-key.yaml");
  std::vector<PointResult> out(sw.count);
  for (auto _ : state) {
    run_points(sw, 0, sw.count, 1, false, out);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * sw.count));
}

/// Monte Carlo: one replication inside a sweep point (run_points with N replications per point,
/// 4 points) against one replication of simulate (N replications), the same spec and threads,
/// measured side by side in one run. Items: replications.
void BM_SweepMonteCarlo(benchmark::State& state) {
  using namespace kimsim::io;
  Sweep sw = load_sweep(KIMSIM_SOURCE_DIR "/scenarios/sweeps/rate-and-key.yaml");
  sw.replications = static_cast<std::uint64_t>(state.range(0));
  sw.count = 4;
  sw.metrics = {Metric::positions, Metric::unallocated_eur, Metric::gini_eur_per_inhabitant, Metric::max_min_ratio};
  std::vector<PointResult> out(sw.count);
  for (auto _ : state) {
    run_points(sw, 0, sw.count, 1, false, out);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * sw.count * sw.replications));
}

void BM_SimulateReplications(benchmark::State& state) {
  const auto& ls = baseline();
  kimsim::SimulationSpec spec = *ls.simulation;
  spec.replications = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    const auto r = kimsim::simulate(ls.scenario, ls.regions, spec, 1);
    benchmark::DoNotOptimize(r.replications);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spec.replications));
}

}  // namespace

BENCHMARK(BM_SweepPoint)->Name("BM_SweepPoint/kim_nrw_2021/evaluate");
BENCHMARK(BM_SweepPointMetrics)->Name("BM_SweepPoint/kim_nrw_2021/metrics")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SweepMonteCarlo)->Name("BM_SweepMonteCarlo/kim_nrw_2021")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulateReplications)->Name("BM_Simulate/kim_nrw_2021")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
