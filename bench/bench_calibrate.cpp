// Google Benchmark of `kimsim calibrate`'s computation on the KIM NRW 2021 baseline: the B2 key
// (population, schutzsuchende) fitted to the scenario's five observed positions, leave-one-out,
// the default bootstrap of 1000 resamples, and the allocation with the fitted key. Target: < 1 s
// for all of it (reading the files is measured by bench_load).
#include <benchmark/benchmark.h>

#include "io/scenario.hpp"
#include "kimsim/calibrate.hpp"
#include "kimsim/rules.hpp"

namespace {

using namespace kimsim;

void BM_Calibrate(benchmark::State& state) {
  const io::LoadedScenario ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  const Scenario& s = ls.scenario;
  const std::size_t bi = 1;  // B2
  const Baustein& b = s.bausteine[bi];
  const auto* rule = rule_as<PositionsByKey>(b);
  const std::vector<std::string> indicators = {"population", "schutzsuchende"};
  for (auto _ : state) {
    // As the command does: the indicator shares by the model's key code, then the fit.
    const std::vector<std::size_t> who = select(ls.regions, b.recipients);
    std::vector<std::vector<double>> shares;
    for (const auto& name : indicators) {
      Key one;
      one.terms = {{name, 1.0}};
      shares.push_back(key_shares(ls.regions, who, one));
    }
    CalibrationProblem p;
    p.indicators = indicators.size();
    p.base = double(rule->base) / 2.0;
    const std::int64_t units = b.budget / (rule->unit * (b.rate_per_vza / 2));
    p.groups.push_back({double(units * rule->unit) / 2.0, double(who.size())});
    for (const auto& [key, value] : s.observed) {
      const std::size_t r = *ls.regions.find(key.substr(3));
      const auto at = std::size_t(std::lower_bound(who.begin(), who.end(), r) - who.begin());
      p.points.push_back({value, Eigen::Vector2d(shares[0][at], shares[1][at]), 0});
    }
    const CalibrationFit fit = fit_key(p);
    benchmark::DoNotOptimize(leave_one_out(p));
    benchmark::DoNotOptimize(bootstrap(p, 1000, 1));
    Scenario c = s;
    PositionsByKey& r = edit_rule<PositionsByKey>(c.bausteine[bi]);
    r.key.terms = {{"population", fit.weights(0)}, {"schutzsuchende", fit.weights(1)}};
    benchmark::DoNotOptimize(allocate(c, ls.regions));
  }
}
BENCHMARK(BM_Calibrate)->Unit(benchmark::kMillisecond);

}  // namespace
