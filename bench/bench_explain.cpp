// Google Benchmark of `kimsim explain` on the baseline: the plan built and one Kreis (Unna, with
// its pass-through) explained in every Baustein, as the command does once the scenario is loaded.
// Target: under 20 ms.
#include <benchmark/benchmark.h>

#include "io/explain.hpp"
#include "io/scenario.hpp"

namespace {

void BM_Explain(benchmark::State& state) {
  const auto ls = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  for (auto _ : state) {
    const kimsim::Plan plan(ls.scenario, ls.regions);
    const auto e = kimsim::io::explain(ls, plan, kimsim::io::find_recipient(ls.regions, "05978"), std::nullopt);
    const std::string text = kimsim::io::explain_text(ls, e);
    if (e.bausteine.size() != 3) state.SkipWithError("Unna receives from every Baustein");
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_Explain)->Unit(benchmark::kMillisecond);

}  // namespace
