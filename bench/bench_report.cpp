// Google Benchmark of report.html on the KIM NRW 2021 baseline: writing the report may cost at
// most 20 % of `kimsim run` (issue 14). BM_Run is the run without the report (load, allocate,
// allocation.csv, summary.json, the result folder written and synced); BM_Report builds the report's
// rows and renders the page with its data island; BM_ReportShare times both in the same iterations and reports
// report / run as the counters `report_share` (wall time) and `report_share_cpu` (CPU time).
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>

#include "io/html_report.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"

namespace {

namespace fs = std::filesystem;
const std::string kBaseline = KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml";

/// What `kimsim run` does without the report; returns the loaded scenario and its allocation.
std::pair<kimsim::io::LoadedScenario, kimsim::Allocation> run_without_report(const fs::path& out) {
  auto ls = kimsim::io::load_scenario(kBaseline);
  auto a = kimsim::allocate(ls.scenario, ls.regions);
  kimsim::io::write_result_folder(out.string(),
                                  {{"allocation.csv", kimsim::io::allocation_csv(ls, a)},
                                   {"summary.json", kimsim::io::summary_json(ls, a).dump(2) + "\n"}},
                                  kimsim::io::manifest_json(ls, "bench", "2021-01-01T00:00:00Z"));
  return {std::move(ls), std::move(a)};
}

std::string report(const kimsim::io::LoadedScenario& ls, const kimsim::Allocation& a) {
  return kimsim::io::report_html(kimsim::io::run_report(ls, a, kimsim::io::Lang::de));
}

void BM_Run(benchmark::State& state) {
  const fs::path out = fs::temp_directory_path() / "kimsim_bench_run";
  for (auto _ : state) benchmark::DoNotOptimize(run_without_report(out).second.rows.data());
  fs::remove_all(out);
}

void BM_Report(benchmark::State& state) {
  const auto ls = kimsim::io::load_scenario(kBaseline);
  const auto a = kimsim::allocate(ls.scenario, ls.regions);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string html = report(ls, a);
    bytes = html.size();
    benchmark::DoNotOptimize(html.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_ReportShare(benchmark::State& state) {
  const fs::path out = fs::temp_directory_path() / "kimsim_bench_share";
  using clock = std::chrono::steady_clock;
  double run_s = 0, report_s = 0;
  std::clock_t run_cpu = 0, report_cpu = 0;
  for (auto _ : state) {
    const auto t0 = clock::now();
    const std::clock_t c0 = std::clock();
    const auto [ls, a] = run_without_report(out);
    const auto t1 = clock::now();
    const std::clock_t c1 = std::clock();
    const std::string html = report(ls, a);
    const auto t2 = clock::now();
    const std::clock_t c2 = std::clock();
    benchmark::DoNotOptimize(html.data());
    run_s += std::chrono::duration<double>(t1 - t0).count();
    report_s += std::chrono::duration<double>(t2 - t1).count();
    run_cpu += c1 - c0, report_cpu += c2 - c1;
  }
  // Wall time (what a user waits for: the run syncs its files to the disk) and CPU time (the
  // work alone, without waiting for the disk).
  state.counters["report_share"] = run_s > 0 ? report_s / run_s : 0;
  state.counters["report_share_cpu"] = run_cpu > 0 ? static_cast<double>(report_cpu) / static_cast<double>(run_cpu) : 0;
  fs::remove_all(out);
}

}  // namespace

BENCHMARK(BM_Run)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Report)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReportShare)->Unit(benchmark::kMillisecond);
