// `kimsim sweep`'s engine (io/sweep.hpp): the designs, the points and their results.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "io/html_report.hpp"
#include "io/patch.hpp"
#include "io/sweep.hpp"
#include "kimsim/compare.hpp"

using namespace kimsim;
using namespace kimsim::io;

namespace {

/// A sweep file over the shipped baseline, written to a folder of the test's own.
struct SweepFile {
  std::filesystem::path dir;
  std::string path;
  explicit SweepFile(const std::string& body) {
    dir = std::filesystem::temp_directory_path() / ("kimsim-test-sweep-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path = (dir / "s.yaml").string();
    std::ofstream(path) << "sweep: t\nbase: " KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml\n" << body;
  }
  ~SweepFile() { std::filesystem::remove_all(dir); }
};

const std::string kB2 = "bausteine[B2].positions_by_key.key.";

}  // namespace

TEST_CASE("sweep: sobol gives Joe and Kuo's sequence in Gray-code order") {
  // Weights from 0 to 1 are the sequence itself, to 12 decimals.
  const SweepFile f("design: sobol\npoints: 8\nparameters:\n"
                    "  - {path: \"" + kB2 + "population\", range: [0, 1]}\n"
                    "  - {path: \"" + kB2 + "schutzsuchende\", range: [0, 1]}\n"
                    "  - {path: \"bausteine[B3].positions_by_key.key.schutzsuchende\", range: [0, 1]}\n");
  const Sweep sw = load_sweep(f.path);
  REQUIRE(sw.count == 8);
  // The first points of new-joe-kuo-6.21201 in three dimensions (Joe and Kuo's sobol.cc prints them).
  const double expected[8][3] = {{0, 0, 0},         {0.5, 0.5, 0.5},       {0.75, 0.25, 0.25},    {0.25, 0.75, 0.75},
                                 {0.375, 0.375, 0.625}, {0.875, 0.875, 0.125}, {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375}};
  std::vector<std::int64_t> v;
  for (std::uint64_t i = 0; i < 8; ++i) {
    sw.point(i, v);
    for (int d = 0; d < 3; ++d) CHECK(static_cast<double>(v[static_cast<std::size_t>(d)]) / kWeightScale == expected[i][d]);
  }
}

TEST_CASE("sweep: a Latin hypercube has one point in each stratum of every parameter, and the seed decides") {
  const auto body = [](int seed) {
    return "design: lhs\npoints: 50\nseed: " + std::to_string(seed) + "\nparameters:\n"
           "  - {path: \"" + kB2 + "population\", range: [0, 1]}\n"
           "  - {path: \"bausteine[B2].rate_per_vza_eur\", range: [50000, 60000]}\n";
  };
  const SweepFile f(body(7));
  const Sweep sw = load_sweep(f.path);
  std::set<std::int64_t> strata[2];
  std::vector<std::int64_t> v;
  std::vector<std::vector<std::int64_t>> points;
  for (std::uint64_t i = 0; i < 50; ++i) {
    sw.point(i, v);
    strata[0].insert(v[0] * 50 / kWeightScale);
    strata[1].insert((v[1] - 5'000'000) * 50 / 1'000'000);
    CHECK(v[1] % 2 == 0);  // rates in even cents
    points.push_back(v);
  }
  CHECK(strata[0].size() == 50);
  CHECK(strata[1].size() >= 49);  // rounding to even cents may move a value across a boundary
  CHECK(!sw.rounding.empty());
  const SweepFile g(body(8));
  const Sweep other = load_sweep(g.path);
  other.point(0, v);
  CHECK(v != points[0]);
}

TEST_CASE("sweep: a grid runs its points in written order, the same results on any number of threads") {
  const SweepFile f("parameters:\n"
                    "  - {path: \"bausteine[B2].rate_per_vza_eur\", values: [55000, 57000]}\n"
                    "  - {path: \"" + kB2 + "population\", range: [0.25, 0.75], steps: 3}\n"
                    "  - {path: \"bausteine[B2].budget_eur\", values: [22500000, 1000]}\n"
                    "complements:\n  - {path: \"" + kB2 + "schutzsuchende\", complement_of: \"" + kB2 + "population\"}\n");
  const Sweep sw = load_sweep(f.path);
  REQUIRE(sw.count == 12);
  std::vector<std::int64_t> v;
  sw.point(0, v);
  CHECK(v == std::vector<std::int64_t>{5'500'000, 250'000'000'000, 2'250'000'000, 750'000'000'000});
  sw.point(11, v);
  CHECK(v == std::vector<std::int64_t>{5'700'000, 750'000'000'000, 100'000, 250'000'000'000});
  std::vector<PointResult> one(12), two(12);
  run_points(sw, 0, 12, 1, false, one);
  run_points(sw, 0, 12, 2, false, two);
  CHECK(sweep_csv(sw, 0, one) == sweep_csv(sw, 0, two));
  CHECK(sweep_summary(sw, one) == sweep_summary(sw, two));
  // The point at 1000 EUR buys no base positions: refused with the model's message, the rest go on.
  CHECK(one[0].ok);
  CHECK(!one[1].ok);
  CHECK(one[1].message.find("fewer than the base") != std::string::npos);
  // The baseline's own values give the baseline's positions.
  std::int64_t base = 0;
  for (const auto& t : allocate(sw.base.scenario, sw.base.regions).totals) base += t.halves;
  sw.point(2, v);
  CHECK(v[1] == kWeightScale / 2);
  CHECK(one[2].halves == base);
  // --fail-fast: the lowest refused point, whatever the threads.
  for (int threads : {1, 2}) {
    std::vector<PointResult> r(12);
    CHECK_THROWS_WITH_AS(run_points(sw, 0, 12, threads, true, r), doctest::Contains("point 1: "), InputError);
  }
  // A slice gives the same rows as the whole.
  std::vector<PointResult> part(5);
  run_points(sw, 4, 5, 2, false, part);
  CHECK(slice_csv(4, part) == slice_csv(4, std::span<const PointResult>(one).subspan(4, 5)));
  const auto back = parse_slice_csv(slice_csv(4, part), "slice.csv", 4, 5);
  CHECK(sweep_csv(sw, 4, back) == sweep_csv(sw, 4, part));
}

TEST_CASE("sweep: values are checked as the scenario reader checks them, at the sweep file's line") {
  const SweepFile f("parameters:\n  - {path: \"bausteine[B2].rate_per_vza_eur\", values: [55000.01]}\n");
  CHECK_THROWS_WITH_AS(load_sweep(f.path), doctest::Contains("s.yaml:4:55: parameters[0].values[0]: bausteine[B2].rate_per_vza_eur: "
                                                               "the amount per VZÄ must be above 0 with an even number of cents"),
                       ScenarioError);
}

TEST_CASE("sweep: points' results packed for ranks and checkpoints come back whole; damaged bytes are refused") {
  io::PointResult a, b;
  a.ok = true, a.halves = 1544, a.unallocated = 5608100, a.gini = 123456789, a.paradoxes = 2, a.detail = "7,05111,B1,3.0,282352.94\n";
  b.message = "bausteine[B2].budget_eur: B2: the budget buys 0 units";
  b.ratio = -5;
  const std::vector<std::pair<std::uint64_t, const io::PointResult*>> view{{7, &a}, {3, &b}};
  const std::string bytes = io::pack_points(view);
  std::vector<std::pair<std::uint64_t, io::PointResult>> back;
  io::unpack_points(bytes, 8, [&](std::uint64_t i, io::PointResult&& r) { back.emplace_back(i, std::move(r)); });
  REQUIRE(back.size() == 2);
  CHECK(back[0].first == 7);
  CHECK(back[0].second.ok);
  CHECK(back[0].second.halves == 1544);
  CHECK(back[0].second.unallocated == 5608100);
  CHECK(back[0].second.gini == std::optional<std::int64_t>(123456789));
  CHECK(!back[0].second.ratio);
  CHECK(back[0].second.paradoxes == 2);
  CHECK(back[0].second.detail == a.detail);
  CHECK(back[1].first == 3);
  CHECK(!back[1].second.ok);
  CHECK(!back[1].second.gini);
  CHECK(back[1].second.ratio == std::optional<std::int64_t>(-5));
  CHECK(back[1].second.message == b.message);
  const auto none = [](std::uint64_t, io::PointResult&&) {};
  io::unpack_points("", 8, none);  // a rank that ran nothing
  CHECK_THROWS_AS(io::unpack_points(bytes, 7, none), Error);  // point 7 beyond a sweep of 7
  for (std::size_t cut : {std::size_t{4}, std::size_t{20}, bytes.size() - 1})
    CHECK_THROWS_AS(io::unpack_points(std::string_view(bytes).substr(0, cut), 8, none), Error);
  CHECK_THROWS_AS(io::unpack_points(bytes + "x", 8, none), Error);
  std::string other = bytes;
  other[0] ^= 1;
  CHECK_THROWS_AS(io::unpack_points(other, 8, none), Error);
}

TEST_CASE("sweep: report.html in German, its points sweep.csv's rows, the best point the summary's; rows beyond the page's limit said") {
  const SweepFile f("parameters:\n  - {path: \"bausteine[B2].rate_per_vza_eur\", values: [50000, 57000]}\n"
                    "  - {path: budget_eur, values: [1000, 40000000, 60000000]}\n");
  const Sweep sw = load_sweep(f.path);
  std::vector<PointResult> results(sw.count);
  run_points(sw, 0, sw.count, 1, false, results);
  const std::string csv = sweep_csv(sw, 0, results);
  const nlohmann::json summary = sweep_summary(sw, results);
  const nlohmann::json d = sweep_report_data(summary, csv, sw.base.scenario.name, "hash", Lang::de);
  CHECK(d["kind"] == "sweep");
  CHECK(d["points"] == 6);
  CHECK(d["refused"] == 2);  // a budget of 1,000 EUR buys no position
  REQUIRE(d["rows"].size() == 6);
  CHECK(d["rows"][0][0] == "0");
  CHECK(d["parameters"] == nlohmann::json::array({"bausteine[B2].rate_per_vza_eur", "budget_eur"}));
  CHECK(d["metrics"].size() == 5);
  const std::string page = report_html(d);
  CHECK(page.find("<html lang=\"de\">") != std::string::npos);
  CHECK(page.find("<title>Parameterstudie: t</title>") != std::string::npos);
  CHECK(page.find("Beste und schlechteste Punkte") != std::string::npos);
  CHECK(page.find(">abgelehnt<") != std::string::npos);
  CHECK(page.find("57.000,00") != std::string::npos);  // German numbers
  CHECK(page.find("B2 rate_per_vza_eur") != std::string::npos);  // the short label of a path
  const auto best = summary["best_and_worst"]["positions"]["best"];
  CHECK(page.find("bei Punkt " + std::to_string(best["point"].get<int>())) != std::string::npos);
  CHECK(page.find("id=\"rows-shown\"") == std::string::npos);
  // Beyond kSweepRowsShown points: the first rows and a sentence that says where the rest are.
  std::string many = csv.substr(0, csv.find('\n') + 1);
  const std::string row = csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n'));
  for (std::size_t i = 0; i < kSweepRowsShown + 5; ++i) many += std::to_string(i) + row.substr(row.find(','));
  nlohmann::json big_summary = summary;
  big_summary["points"] = kSweepRowsShown + 5;
  const nlohmann::json big = sweep_report_data(big_summary, many, "base", "hash", Lang::en);
  CHECK(big["rows"].size() == kSweepRowsShown);
  CHECK(report_html(big).find("The first 2,000 of 2,005 points; all are in sweep.csv.") != std::string::npos);
}

TEST_CASE("sweep: a point's fairness and paradoxes are compare's, bit for bit, for every kind of patch") {
  // PlanMetrics reads the plan's evaluation; compare's fairness() and find_paradoxes() read the
  // Allocation and the scenario with the point's values written in. B2 by Hamilton shows the
  // Alabama paradox at 30,000 EUR less and the population paradox at a population weight of 0.49;
  // a method or unit other than the base's leaves B2 out of the paradoxes, B3's minimum B3.
  const LoadedScenario ls = load_scenario(KIMSIM_SOURCE_DIR "/tests/cli/cases/sweep-alabama/hamilton.yaml");
  const Scenario& s = ls.scenario;
  const Plan plan(s, ls.regions);
  const Allocation base = allocate(plan, {});
  Draft base_draft;
  plan.evaluate({}, base_draft);
  PlanMetrics metrics(plan, base_draft);
  const std::vector<std::pair<std::string, std::vector<std::string>>> grid = {
      {"bausteine[B2].budget_eur", {"22470000", "22500000", "1000"}},
      {kB2 + "population", {"0.5", "0.49"}},
      {"bausteine[B2].positions_by_key.method", {"hamilton", "sainte-lague"}},
      {"bausteine[B2].positions_by_key.unit_vza", {"0.5", "1.0"}},
      {"bausteine[B2].pass_through", {"true", "false"}},
      {"bausteine[B3].positions_by_key.min_vza", {"0.5", "1.0"}}};
  std::vector<Slot> slots;
  std::vector<std::vector<std::int64_t>> levels;
  for (const auto& [path, texts] : grid) {
    std::string why;
    const auto slot = resolve_slot(s, path, why);
    REQUIRE_MESSAGE(slot, why);
    slots.push_back(*slot);
    levels.emplace_back();
    for (const auto& text : texts) levels.back().push_back(*parse_value(*slot, text, why));
  }
  std::set<ParadoxKind> kinds;
  std::size_t points = 0, refused = 0;
  std::vector<std::int64_t> values(slots.size());
  PatchedInputs in;
  Draft d;
  for (std::size_t i = 0; i < 96; ++i) {
    for (std::size_t k = 0, rest = i; k < slots.size(); ++k) values[k] = levels[k][rest % levels[k].size()], rest /= levels[k].size();
    apply(s, slots, values, in);
    Allocation a;
    try {
      a = allocate(plan, in.inputs());
    } catch (const InputError&) {
      CHECK_THROWS_AS(plan.evaluate(in.inputs(), d), InputError);
      ++refused;
      continue;
    }
    ++points;
    plan.evaluate(in.inputs(), d);
    const Scenario patched = patched_scenario(s, slots, values);
    const ComparedScenario point{"point", &patched, &ls.regions, &a};
    const Fairness f = fairness(point).back();
    const PlanMetrics::Total t = metrics.total(d);
    std::optional<double> gini;
    for (const auto& [name, g] : f.gini)
      if (name == "population") gini = g;
    REQUIRE(t.gini_population.has_value());
    CHECK(t.gini_population == gini);  // exact: the same operations in the same order
    CHECK(t.max_min_ratio == f.max_min_ratio);
    const ComparedScenario pair[] = {{"base", &s, &ls.regions, &base}, point};
    const auto p = find_paradoxes(pair);
    CHECK(metrics.paradoxes(d, in.bausteine) == p.size());
    for (const auto& x : p) kinds.insert(x.kind);
  }
  // The grid reaches what it is for: allocations, refusals, and both paradoxes a sweep can show.
  CHECK(points > 0);
  CHECK(refused > 0);
  CHECK(kinds.count(ParadoxKind::alabama));
  CHECK(kinds.count(ParadoxKind::population));
}
