// Google Benchmark of `kimsim serve`'s evaluate on the baseline, without the network: the request
// parsed, the patch compiled into per-evaluation inputs, the allocation, the comparison with the
// base and the JSON answer, as io::WhatIf::handle does for every POST /api/evaluate once the base
// is cached. Target: under 5 ms.
#include <benchmark/benchmark.h>

#include "io/whatif.hpp"

namespace {

void BM_ServeEvaluate(benchmark::State& state) {
  const kimsim::io::WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const std::string body = state.range(0) == 0
                               ? R"({"scenario": "kim-nrw-2021"})"
                               : R"({"scenario": "kim-nrw-2021", "patch": {"bausteine[B2].rate_per_vza_eur": "57000.00",
                                    "bausteine[B2].positions_by_key.key.population": "0.5"}})";
  if (api.handle("POST", "/api/evaluate", body).status != 200) state.SkipWithError("the baseline evaluates");
  for (auto _ : state) {
    const auto r = api.handle("POST", "/api/evaluate", body);
    benchmark::DoNotOptimize(r.body.data());
  }
  state.SetLabel(state.range(0) == 0 ? "baseline, empty patch" : "B2 rate and key weight patched");
}
BENCHMARK(BM_ServeEvaluate)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
