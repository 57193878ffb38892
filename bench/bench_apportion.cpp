// Google Benchmark of the apportionment kernel on the KIM-scale instances (bench/instances.hpp).
// Report medians over repetitions and ratios to BM_Reference, measured in the same run.
#include <benchmark/benchmark.h>

#include "instances.hpp"

namespace {

using namespace kimsim;

const auto& instances() {
  static const auto v = bench::make_instances();
  return v;
}

void run_method(benchmark::State& state, Method method) {
  const auto& inst = instances();
  const Rule rule{method, std::nullopt, TiePolicy::error, 0};
  std::vector<std::int64_t> seats(bench::kRecipients);
  Workspace ws;
  std::size_t k = 0;
  for (auto _ : state) {
    apportion(rule, inst[k], bench::kHouse, seats, ws);
    benchmark::DoNotOptimize(seats.data());
    benchmark::ClobberMemory();
    k = (k + 1) % inst.size();
  }
}

// The least work any method must do: one pass computing floor(w * c) over the same weights.
void BM_Reference(benchmark::State& state) {
  const auto& inst = instances();
  std::vector<std::int64_t> out(bench::kRecipients);
  std::vector<double> c(inst.size());
  for (std::size_t k = 0; k < inst.size(); ++k) {
    double W = 0;
    for (auto w : inst[k]) W += double(w);
    c[k] = double(bench::kHouse) / W;
  }
  std::size_t k = 0;
  for (auto _ : state) {
    const auto& w = inst[k];
    const double ck = c[k];
    for (std::size_t i = 0; i < w.size(); ++i) out[i] = static_cast<std::int64_t>(double(w[i]) * ck);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    k = (k + 1) % inst.size();
  }
}

void BM_SplitCents(benchmark::State& state) {
  const auto& inst = instances();
  std::vector<std::int64_t> parts(bench::kRecipients);
  Workspace ws;
  std::size_t k = 0;
  for (auto _ : state) {
    split_cents(2'250'000'000, inst[k], parts, ws);  // 22.5 M EUR, the KIM B2 budget
    benchmark::DoNotOptimize(parts.data());
    benchmark::ClobberMemory();
    k = (k + 1) % inst.size();
  }
}

}  // namespace

BENCHMARK(BM_Reference)->Name("BM_Reference/floor_w_c/n450");
BENCHMARK_CAPTURE(run_method, hamilton, Method::hamilton)->Name("BM_Apportion/hamilton/n450_h820");
BENCHMARK_CAPTURE(run_method, dhondt, Method::dhondt)->Name("BM_Apportion/dhondt/n450_h820");
BENCHMARK_CAPTURE(run_method, sainte_lague, Method::sainte_lague)->Name("BM_Apportion/sainte-lague/n450_h820");
BENCHMARK_CAPTURE(run_method, huntington_hill, Method::huntington_hill)->Name("BM_Apportion/huntington-hill/n450_h820");
BENCHMARK_CAPTURE(run_method, adams, Method::adams)->Name("BM_Apportion/adams/n450_h820");
BENCHMARK_CAPTURE(run_method, dean, Method::dean)->Name("BM_Apportion/dean/n450_h820");
BENCHMARK(BM_SplitCents)->Name("BM_Apportion/cents/n450_2250000000");

BENCHMARK_MAIN();
