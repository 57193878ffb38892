// Google Benchmark of the biproportional kernel on random n x n matrices with 50 seats per column
// (the size the README's limit and its time estimate refer to). One solve per iteration.
#include <benchmark/benchmark.h>

#include <random>

#include "kimsim/biproportional.hpp"

namespace {

using namespace kimsim;

BiproportionalProblem random_matrix(std::size_t n) {
  std::mt19937_64 rng(n);
  BiproportionalProblem p;
  p.rows = p.cols = n;
  for (std::size_t k = 0; k < n * n; ++k) p.weight.push_back(1 + rng() % 1'000'000);
  p.col_seats.assign(n, 50);
  return p;
}

void BM_Biproportional(benchmark::State& state) {
  const auto p = random_matrix(static_cast<std::size_t>(state.range(0)));
  const Rule rule{Method::sainte_lague, std::nullopt, TiePolicy::error, 0};
  for (auto _ : state) {
    auto out = apportion_biproportional(rule, p);
    benchmark::DoNotOptimize(out.seats.data());
  }
}

}  // namespace

// Target: 300 x 300 <= 2 s on the shared 2-core machine.
BENCHMARK(BM_Biproportional)->Name("BM_Biproportional/sainte-lague/50_per_col")->Arg(120)->Arg(300)->Arg(450)
    ->Unit(benchmark::kMillisecond)->Iterations(3);

namespace {

// Tie-heavy matrices, the worst case of the exact tie decision: every weight equal (each row and
// column could take any of its cells' units), and rank one, u_i v_j with small integers (every
// cycle of the constraint graph has product exactly 1, so every contested unit is tied).
void BM_BiproportionalAllTied(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  BiproportionalProblem p;
  p.rows = p.cols = n;
  if (state.range(1) == 0) {
    p.weight.assign(n * n, 1000);
  } else {
    std::mt19937_64 rng(n);
    std::vector<std::uint64_t> u(n), v(n);
    for (auto& x : u) x = 1 + rng() % 8;
    for (auto& x : v) x = 1 + rng() % 8;
    for (std::size_t c = 0; c < n * n; ++c) p.weight.push_back(1000 * u[c / n] * v[c % n]);
  }
  p.col_seats.assign(n, 50);
  const Rule rule{Method::sainte_lague, std::nullopt, TiePolicy::order, 0};
  for (auto _ : state) {
    auto out = apportion_biproportional(rule, p);
    benchmark::DoNotOptimize(out.seats.data());
  }
}

}  // namespace

BENCHMARK(BM_BiproportionalAllTied)->Name("BM_Biproportional/sainte-lague/tied")->ArgNames({"n", "rank_one"})
    ->ArgsProduct({{60, 120, 300}, {0, 1}})
    ->Unit(benchmark::kMillisecond)->Iterations(1);
