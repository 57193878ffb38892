// Google Benchmark of the apportionment kernel on the KIM-scale instances (bench/instances.hpp).
// Report medians over repetitions and ratios to BM_Reference, measured in the same run.
#include <benchmark/benchmark.h>

#include <string>

#include "instances.hpp"
#include "kernel/fast.hpp"

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

// With bounds: `max` 0 is B3's case, a uniform minimum of one unit for everyone (recipients of
// weight 0 take it too); otherwise also a maximum that holds the largest recipients. Instances
// whose bounded apportionment ties are left out, as the unbounded ones are. Built in place (the
// bounds view lo and hi).
struct BoundedCase {
  const std::vector<std::int64_t> lo, hi;
  const Bounds bounds;
  const Rule rule;
  std::vector<std::vector<std::uint64_t>> inst;
  BoundedCase(Method method, std::int64_t max)
      : lo(bench::kRecipients, 1),
        hi(bench::kRecipients, max ? max : kUnbounded),
        bounds{lo, max ? std::span<const std::int64_t>(hi) : std::span<const std::int64_t>()},
        rule{method, std::nullopt, TiePolicy::error, 0} {
    for (const auto& w : instances()) try {
        apportion(rule, w, bench::kHouse, bounds);
        inst.push_back(w);
      } catch (const TieError&) {
      }
  }
};

void run_bounded(benchmark::State& state, Method method, std::int64_t max) {
  const BoundedCase c(method, max);
  std::vector<std::int64_t> seats(bench::kRecipients);
  Workspace ws;
  std::size_t k = 0;
  for (auto _ : state) {
    apportion(c.rule, c.inst[k], bench::kHouse, seats, ws, c.bounds);
    benchmark::DoNotOptimize(seats.data());
    benchmark::ClobberMemory();
    k = (k + 1) % c.inst.size();
  }
}

// The bounded rows on each instruction set of the fast path that this CPU has (detail::fast_paths():
// "avx512", "avx2", "base"): apportion() takes the widest, and a CPU without it runs another copy
// of the same code, whose time must not fall behind either. As apportion() runs it: the general
// kernel where the path leaves the instance to it. Named apart from BM_Apportion, so that
// ratios.sh's default filter leaves them out.
void run_path(benchmark::State& state, std::size_t path, Method method, std::int64_t max) {
  const BoundedCase c(method, max);
  std::vector<std::int64_t> seats(bench::kRecipients);
  Workspace ws;
  Outcome out;
  std::size_t k = 0;
  for (auto _ : state) {
    if (!detail::apportion_fast_on(path, c.rule, c.inst[k], bench::kHouse, seats, ws, c.bounds, out))
      detail::apportion_general(c.rule, c.inst[k], bench::kHouse, seats, ws, c.bounds);
    benchmark::DoNotOptimize(seats.data());
    benchmark::ClobberMemory();
    k = (k + 1) % c.inst.size();
  }
}

[[maybe_unused]] const bool kPathsRegistered = [] {
  struct Row {
    const char* name;
    Method method;
    std::int64_t max;
  };
  const Row rows[] = {{"hamilton/n450_h820_min1", Method::hamilton, 0},
                      {"hamilton/n450_h820_min1_max8", Method::hamilton, 8},
                      {"dhondt/n450_h820_min1", Method::dhondt, 0},
                      {"sainte-lague/n450_h820_min1_max8", Method::sainte_lague, 8}};
  const auto paths = detail::fast_paths();
  for (std::size_t p = 0; p < paths.size(); ++p)
    if (paths[p].supported)
      for (const Row& r : rows)
        benchmark::RegisterBenchmark(("BM_KernelPath/" + std::string(paths[p].name) + "/" + r.name).c_str(), run_path, p,
                                     r.method, r.max);
  return true;
}();

// The floor pass, the yardstick of every hot benchmark (issue 17): out[i] = floor(w[i] c) and
// their sum over the same weights, in one scalar pass -- the least work any apportionment must
// do. Scalar on purpose: vectorised, the yardstick would measure the vector unit instead of the
// pass, and the ratios would shift with the compiler. Kept apart (noinline) so that the loop is
// exactly this one; the asm is one load, convert, multiply, truncate, store and add per weight.
#if defined(__clang__)
#define KIMSIM_SCALAR_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#define KIMSIM_NO_VECTORISE
#else
#define KIMSIM_SCALAR_LOOP
#define KIMSIM_NO_VECTORISE __attribute__((optimize("no-tree-vectorize")))
#endif
[[gnu::noinline]] KIMSIM_NO_VECTORISE std::int64_t floor_pass(const std::uint64_t* w, std::size_t n, double c,
                                                                std::int64_t* out) {
  std::int64_t sum = 0;
  KIMSIM_SCALAR_LOOP
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::int64_t>(static_cast<double>(w[i]) * c);  // w >= 0: truncation is the floor
    sum += out[i];
  }
  return sum;
}

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
    // The same rotation over the instances as the kernel's benchmarks: the same cache traffic.
    std::int64_t sum = floor_pass(inst[k].data(), inst[k].size(), c[k], out.data());
    benchmark::DoNotOptimize(sum);
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
BENCHMARK_CAPTURE(run_bounded, hamilton_min1, Method::hamilton, 0)->Name("BM_Apportion/hamilton/n450_h820_min1");
BENCHMARK_CAPTURE(run_bounded, dhondt_min1, Method::dhondt, 0)->Name("BM_Apportion/dhondt/n450_h820_min1");
BENCHMARK_CAPTURE(run_bounded, sainte_lague_min1, Method::sainte_lague, 0)->Name("BM_Apportion/sainte-lague/n450_h820_min1");
BENCHMARK_CAPTURE(run_bounded, huntington_hill_min1, Method::huntington_hill, 0)->Name("BM_Apportion/huntington-hill/n450_h820_min1");
BENCHMARK_CAPTURE(run_bounded, adams_min1, Method::adams, 0)->Name("BM_Apportion/adams/n450_h820_min1");
BENCHMARK_CAPTURE(run_bounded, dean_min1, Method::dean, 0)->Name("BM_Apportion/dean/n450_h820_min1");
BENCHMARK_CAPTURE(run_bounded, hamilton_min1_max8, Method::hamilton, 8)->Name("BM_Apportion/hamilton/n450_h820_min1_max8");
BENCHMARK_CAPTURE(run_bounded, sainte_lague_min1_max8, Method::sainte_lague, 8)->Name("BM_Apportion/sainte-lague/n450_h820_min1_max8");
BENCHMARK_CAPTURE(run_bounded, dhondt_min1_max8, Method::dhondt, 8)->Name("BM_Apportion/dhondt/n450_h820_min1_max8");
BENCHMARK(BM_SplitCents)->Name("BM_Apportion/cents/n450_2250000000");

BENCHMARK_MAIN();
