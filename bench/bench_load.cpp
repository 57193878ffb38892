// Google Benchmark of loading a scenario's regions: Kreise, Gemeinden and an indicator file of
// n regions in all, up to 10^6 (SimulationLimits::regions). Loading must stay linear in n: it
// once looked every new AGS up by scanning the list (40,000 Gemeinden took 25 s).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/scenario.hpp"

namespace {

namespace fs = std::filesystem;

/// Writes a scenario of `n` regions (1 Kreis per 1,000: AGS 10000 + k, Gemeinden k * 1000 + j)
/// into a fresh folder under the temporary directory; returns the scenario's path.
std::string write_scenario(std::size_t n) {
  const fs::path dir = fs::temp_directory_path() / ("kimsim_bench_load_" + std::to_string(n));
  fs::create_directories(dir);
  const std::size_t kreise = std::max<std::size_t>(1, n / 1000), gemeinden = n - kreise;
  std::ofstream k(dir / "kreise.csv"), g(dir / "gemeinden.csv"), ind(dir / "need.csv");
  k << "ags,type,name,population,area_km2\n";
  ind << "ags,need\n";
  for (std::size_t i = 0; i < kreise; ++i) {
    const std::string ags = std::to_string(10000 + i);
    k << ags << ",Kreis,Kreis " << i << "," << 100000 + i << ",123.45\n";
    ind << ags << "," << 1000 + i % 997 << "\n";
  }
  g << "ags,name,kreis_ags,status,population,area_km2\n";
  for (std::size_t j = 0; j < gemeinden; ++j) {
    const std::string kreis = std::to_string(10000 + j % kreise);
    char ags[16];
    std::snprintf(ags, sizeof ags, "%s%03zu", kreis.c_str(), j / kreise);
    g << ags << ",Gemeinde " << j << "," << kreis << ",Gemeinde," << 1000 + j % 9973 << ",12.5\n";
    ind << ags << "," << j % 101 << "\n";
  }
  std::ofstream(dir / "s.yaml") << "scenario: load\nprogramme: benchmark\nyear: 2021\nbudget_eur: 1000000.00\n"
                                   "data:\n  kreise: kreise.csv\n  gemeinden: gemeinden.csv\n"
                                   "  indicators:\n    - {file: need.csv, key: ags, columns: {need: need}}\n"
                                   "bausteine:\n  - id: B1\n    name: Fixed\n    budget_eur: 1000000.00\n"
                                   "    rate_per_vza_eur: 55000.00\n    recipients: {types: [kreis]}\n"
                                   "    fixed_staffing: {per_type: {kreis: 0.5}}\n";
  return (dir / "s.yaml").string();
}

void BM_LoadRegions(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string path = write_scenario(n);
  for (auto _ : state) {
    const auto ls = kimsim::io::load_scenario(path);
    if (ls.regions.list.size() != n) state.SkipWithError("wrong number of regions");
    benchmark::DoNotOptimize(ls.regions.list.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  fs::remove_all(fs::path(path).parent_path());
}

}  // namespace

// 10^6 regions: the documented limit; the target is at most 3 s on the project's 2-core VM.
BENCHMARK(BM_LoadRegions)->Name("BM_LoadRegions")->Arg(10'000)->Arg(100'000)->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
