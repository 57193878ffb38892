// The KIM model: exact sums to the cent, keys and caps, pass-through, on the shipped scenarios.
#include <doctest/doctest.h>

#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <numeric>
#include <random>

#include "io/report.hpp"
#include "io/scenario.hpp"
#include "io/sha256.hpp"
#include "kimsim/model.hpp"
#include "kimsim/rule.hpp"
#include "kimsim/rules.hpp"

using namespace kimsim;
namespace fs = std::filesystem;

namespace {
const std::string kScenarios = KIMSIM_SOURCE_DIR "/scenarios/";
// The 2021 model with B1 by fixed staffing, as it stood before scenarios/kim-nrw.yaml: the checks
// to the cent and the places of its values below were made on it (the baseline has its own tests,
// tests/test_baseline.cpp).
const std::string kFixedStaffing = KIMSIM_SOURCE_DIR "/tests/data/kim-nrw-2021-fixed-staffing.yaml";
}

TEST_CASE("every shipped scenario accounts for its budget to the cent") {
  for (const char* name : {"kim-nrw-2021", "kim-nrw-2020", "fluag-integrationspauschale"}) {
    INFO(name);
    const auto ls = io::load_scenario(kScenarios + name + ".yaml");
    const Allocation a = allocate(ls.scenario, ls.regions);
    Cents total = 0;
    for (std::size_t b = 0; b < ls.scenario.bausteine.size(); ++b) {
      Cents sum = 0;
      Halves halves = 0;
      for (const auto& r : a.rows)
        if (r.baustein == b) sum += r.cents, halves += r.halves;
      const auto& t = a.totals[b];
      CHECK(sum == t.allocated);
      CHECK(t.allocated + t.unallocated == ls.scenario.bausteine[b].budget);
      CHECK(halves == t.halves);
      // Positions by key cost exactly rate/2 per half position; what is left buys no unit.
      if (const auto* p = rule_as<PositionsByKey>(ls.scenario.bausteine[b])) {
        const Cents half = *for_months(ls.scenario.bausteine[b].rate_per_vza, ls.scenario.bausteine[b].months) / 2;
        CHECK(t.allocated == t.halves * half);
        CHECK(t.unallocated < p->unit * half);
      }
      total += t.allocated + t.unallocated;
    }
    CHECK(total == ls.scenario.budget);
  }
}

TEST_CASE("KIM 2021: 54 KI recipients, 88 ABH holders, Unna passes on 1.0 / 1.0 / 0.5") {
  const auto ls = io::load_scenario(kFixedStaffing);
  const Allocation a = allocate(ls.scenario, ls.regions);
  CHECK(a.totals[0].recipients == 54);
  CHECK(a.totals[2].recipients == 88);
  CHECK(a.totals[0].halves == 425);  // 31 x 3.5 + 22 x 3.0 + Aachen 3.0 + 35 x 1.0 = 212.5 VZÄ
  auto positions = [&](const char* ags, const char* baustein) {
    const auto region = *ls.regions.find(ags);
    for (const auto& r : a.rows)
      if (r.region == region && ls.scenario.bausteine[r.baustein].id == baustein) return r.halves;
    return Halves{-1};
  };
  CHECK(positions("05978020", "B2") == 2);  // Kamen 1.0
  CHECK(positions("05978004", "B2") == 2);  // Bergkamen 1.0
  CHECK(positions("05978008", "B2") == 1);  // Bönen 0.5
  CHECK(positions("05978024", "B2") == -1); // Lünen waived
}

TEST_CASE("pass-through rounding: the published Kreis Unna shares") {
  // Computed shares Kamen 0.85, Bergkamen 1.19, Bönen 0.38 VZÄ became 1.0 / 1.0 / 0.5
  // (shared/domain/KIM-NRW.md): in half positions 1.7, 2.38, 0.76 -> 2, 2, 1.
  CHECK(round_pass_through({1.7, 2.38, 0.76}, 1) == std::vector<Halves>{2, 2, 1});
  CHECK(round_pass_through({0.2}, 1) == std::vector<Halves>{1});  // at least 0.5 VZÄ
}

TEST_CASE("FlüAG key: shares sum to one and none exceeds 125 % of its population share") {
  const auto ls = io::load_scenario(kScenarios + "fluag-integrationspauschale.yaml");
  const auto& b = ls.scenario.bausteine[0];
  const auto who = select(ls.regions, b.recipients);
  REQUIRE(who.size() == 396);
  const auto& key = rule_as<MoneyByKey>(b)->key;
  const auto shares = key_shares(ls.regions, who, key);
  CHECK(std::accumulate(shares.begin(), shares.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-12));
  double pop = 0;
  for (auto i : who) pop += ls.regions.indicators(Eigen::Index(i), 0);
  int capped = 0;
  for (std::size_t k = 0; k < who.size(); ++k) {
    const double cap = 1.25 * ls.regions.indicators(Eigen::Index(who[k]), 0) / pop;
    CHECK(shares[k] <= cap * (1 + 1e-12));
    capped += shares[k] >= cap * (1 - 1e-12);
  }
  CHECK(capped > 0);  // large rural Gemeinden hit the cap
  // The money: every Gemeinde gets at least 50,000 EUR, and the parts sum to 100 M EUR.
  const Allocation a = allocate(ls.scenario, ls.regions);
  Cents sum = 0;
  for (const auto& r : a.rows) {
    CHECK(r.cents >= 5'000'000);
    sum += r.cents;
  }
  CHECK(sum == 10'000'000'000);
}

// ---------------------------------------------------------------------------------------------
// Scenario input: the strict YAML subset and the size limits.

namespace {
std::string problems_of(std::string_view text) {
  std::string s;
  for (const auto& p : io::strict_yaml_problems(text, "s.yaml")) s += (s.empty() ? "" : "\n") + p;
  return s;
}
std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("strict YAML: the shipped scenarios pass, quoted text with quotes and brackets too") {
  for (const char* name : {"kim-nrw-2021", "kim-nrw-2020", "fluag-integrationspauschale"})
    CHECK(problems_of(file_text(kScenarios + name + ".yaml")) == "");
  CHECK(problems_of("a: \"say \\\"[[[\\\"\"\nb: 'it''s [{'\nc: # [[[\n  - x\n") == "");
  CHECK(problems_of("notes: |\n  \"quoted\" text\n  and more\n") == "");
}

TEST_CASE("strict YAML: anchors, aliases and merge keys are refused where they stand") {
  const std::string why =
      "anchors and aliases are not supported in scenarios: every value must stand where it applies, so that the file "
      "reads as it runs and one edit cannot change several places";
  CHECK(problems_of("a: &x 1\nb: *x\n") == "s.yaml:1:4: anchor '&x': " + why +
                                                 "; write the value out at each place it is used\n"
                                                 "s.yaml:2:4: alias '*x' (anchor on line 1): " + why + "; write the value out here");
  const std::string merged = problems_of("base: &b {x: 1}\nother:\n  <<: *b\n  '<<': 2\n");
  CHECK(merged.find("s.yaml:3:3: merge key '<<': " + why + "; write the keys out here") != std::string::npos);
  CHECK(merged.find("s.yaml:4:3") == std::string::npos);  // a quoted '<<' is an ordinary key
}

TEST_CASE("strict YAML: nesting, quotes, tabs, documents, encodings") {
  const std::string deep_message = "nesting deeper than 32 levels (a scenario needs 6)";
  // A megabyte of '[' takes yaml-cpp seconds and ends in "bad file"; it is refused at once here.
  const std::string brackets(1 << 20, '[');
  CHECK(problems_of("a: " + brackets) == "s.yaml:1:36: " + deep_message + ": is a bracket not closed?");
  std::string block;
  for (int i = 0; i < 40; ++i) block += std::string(2 * i, ' ') + "k" + std::to_string(i) + ":\n";
  CHECK(problems_of(block) == "s.yaml:33:65: " + deep_message + ": is the indentation off?");
  std::string ok;
  for (int i = 0; i < 31; ++i) ok += std::string(2 * i, ' ') + "k" + std::to_string(i) + ":\n";
  CHECK(problems_of(ok + std::string(62, ' ') + "x: 1\n") == "");
  // yaml-cpp reads an unclosed quote to the end of the file; the position survives a BOM and CRLF.
  CHECK(problems_of("\xEF\xBB\xBF" "a: 1\r\nb: \"x\r\nc: 2\r\n") ==
        "s.yaml:2:4: this quoted value is never closed: a missing \" makes the rest of the file part of it");
  CHECK(problems_of("a: 'it''s\n") ==
        "s.yaml:1:4: this quoted value is never closed: a missing ' makes the rest of the file part of it");
  CHECK(problems_of("a:\n\tb: 1\n\tc: 2\n") == "s.yaml:2:1: a tab in the indentation: YAML indents with spaces only (1 more line below)");
  CHECK(problems_of("a: 1\nb:\t2\n") == "");  // a tab after the indentation separates
  CHECK(problems_of("a: 1\n---\na: 2\n") == "s.yaml:2:1: a second YAML document ('---'): a scenario file holds exactly one");
  CHECK(problems_of("a: f\xFCr\n") == "s.yaml:1:5: the byte 0xFC is not UTF-8 (is the file Latin-1 or Windows-1252? save it as UTF-8)");
  CHECK(problems_of("a: [1\n") == "s.yaml:2:1: not valid YAML: end of sequence flow not found");
}

TEST_CASE("absurd simulation sizes are refused with an estimate") {
  io::SimulationSize s;
  s.years = 5000, s.bausteine = 3, s.regions = 449, s.replications = 1e4;
  CHECK(io::years_problem(s) ==
        "5000 years x 3 Bausteine x 449 regions need about 2.7 GiB of accumulators per thread; the limit is 200 "
        "years (a path of more than two centuries is no forecast)");
  s.years = 200, s.regions = 1'000'000;
  CHECK(io::years_problem(s).find("the limit is 10^7 (year, Baustein, region) slots") != std::string::npos);
  s.years = 1, s.regions = 449;
  CHECK(io::years_problem(s) == "");
  CHECK(io::replications_problem(s) == "");
  s.replications = 1e12;
  CHECK(io::replications_problem(s) ==
        "1000000000000 replications of 1 year x 3 Bausteine x 449 regions take about 231.5 days of CPU time; the "
        "limit is 10^9");
  s.replications = 1e30;
  CHECK(io::replications_problem(s).rfind("1e+30 replications", 0) == 0);
  CHECK(io::threads_problem(1024, s) == "");
  CHECK(io::threads_problem(1025, s).find("the limit is 1024 threads") != std::string::npos);
}

TEST_CASE("a draft evaluated by one plan is recomputed, not reused, by another") {
  const auto ls = io::load_scenario(kFixedStaffing);
  Scenario other = ls.scenario;
  edit_rule<FixedStaffing>(other.bausteine[0]).per_type[RegionType::kreis] = 2;  // B1: 1.0 VZÄ per Kreis
  Draft d;
  for (int round = 0; round < 2; ++round) {
    {
      const Plan p(ls.scenario, ls.regions);
      p.evaluate({}, d);
      CHECK(d.halves[0] == 6);  // Düsseldorf, a kreisfreie Stadt: 3.0 VZÄ
    }
    const Plan q(other, ls.regions);  // may take the address of the plan just destroyed
    q.evaluate({}, d);
    const auto kreis = std::find_if(q.rows().begin(), q.rows().end(), [&](const Plan::Row& r) {
      return r.baustein == 0 && ls.regions.list[r.region].type == RegionType::kreis;
    });
    CHECK(d.halves[static_cast<std::size_t>(kreis - q.rows().begin())] >= 2);
    CHECK(d.halves[static_cast<std::size_t>(kreis - q.rows().begin())] < 7);
  }
}

TEST_CASE("key weights are normalised: {population: 9, area_km2: 1} is {0.9, 0.1}") {
  auto ls = io::load_scenario(kFixedStaffing);
  auto& key = edit_rule<PositionsByKey>(ls.scenario.bausteine[1]).key;
  key.terms = {{"population", 0.9}, {"area_km2", 0.1}};
  const Allocation tenths = allocate(ls.scenario, ls.regions);
  key.terms = {{"population", 9}, {"area_km2", 1}};
  const Allocation whole = allocate(ls.scenario, ls.regions);
  REQUIRE(tenths.rows.size() == whole.rows.size());
  double shares = 0;
  for (std::size_t i = 0; i < whole.rows.size(); ++i) {
    CHECK(whole.rows[i].halves == tenths.rows[i].halves);
    CHECK(whole.rows[i].cents == tenths.rows[i].cents);
    CHECK(whole.rows[i].key_share == doctest::Approx(tenths.rows[i].key_share).epsilon(1e-12));
    CHECK(whole.rows[i].quota == doctest::Approx(tenths.rows[i].quota).epsilon(1e-12));
    if (whole.rows[i].baustein == 1) shares += whole.rows[i].key_share;
  }
  CHECK(shares == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("residual split_by_key: the money a unit cannot buy goes by key share, not by positions") {
  auto ls = io::load_scenario(kFixedStaffing);
  Baustein& b2 = ls.scenario.bausteine[1];
  b2.residual = Residual::split_by_key;
  b2.budget += 2'000'000;  // 20,000 EUR more: less than a half position, so all of it is residual
  const Allocation a = allocate(ls.scenario, ls.regions);
  const Cents half = b2.rate_per_vza / 2;
  Cents rest = 0;
  for (const auto& r : a.rows)
    if (r.baustein == 1) rest += r.cents - r.halves * half;
  REQUIRE(rest > 2'000'000);
  CHECK(a.totals[1].unallocated == 0);
  // The base of 3.0 VZÄ each makes positions far flatter than key shares: a split by positions
  // misses the key's quota by thousands of cents.
  int checked = 0;
  for (const auto& r : a.rows) {
    if (r.baustein != 1 || r.key_share <= 0) continue;
    CHECK(std::abs(static_cast<double>(r.cents - r.halves * half) - static_cast<double>(rest) * r.key_share) <= 1.0);
    ++checked;
  }
  CHECK(checked >= 50);
}

TEST_CASE("Regions: add refuses a second AGS, find sees added and indexed regions") {
  Regions r;
  for (int i = 0; i < 1000; ++i) {  // past several growths of the look-up table
    Region g;
    g.ags = std::to_string(10000 + i);
    CHECK(r.add(g));
  }
  Region dup;
  dup.ags = "10007";
  CHECK_FALSE(r.add(dup));
  CHECK(r.list.size() == 1000);
  CHECK(r.find("10007") == std::optional<std::size_t>(7));
  CHECK(r.find("10999") == std::optional<std::size_t>(999));
  CHECK_FALSE(r.find("5978").has_value());
  Region direct;
  direct.ags = "05978";
  r.list.push_back(direct);  // filled directly: found after index()
  r.index();
  CHECK(r.find("05978") == std::optional<std::size_t>(1000));
  CHECK(r.find("10000") == std::optional<std::size_t>(0));
}

TEST_CASE("selectors: include alone lists the recipients exactly; types and flags select by kind") {
  const auto ls = io::load_scenario(kFixedStaffing);
  const Regions& r = ls.regions;
  Selector only;
  only.include = {"05978", "05158"};
  const auto two = select(r, only);
  REQUIRE(two.size() == 2);  // once: all 449 regions, these two among them
  CHECK(r.list[two[0]].ags == "05158");
  CHECK(r.list[two[1]].ags == "05978");
  Selector kind;
  kind.types = {RegionType::kreis, RegionType::kreisfreie_stadt};
  kind.include = {"05334002"};
  kind.exclude = {"05978"};
  CHECK(select(r, kind).size() == 53);  // 53 Kreis-level regions + Aachen - Unna
  Selector flagged;
  flagged.flags = {"abh"};
  CHECK(select(r, flagged).size() == 88);
}

TEST_CASE("an error the model finds in a value names the place that set it (the source map)") {
  auto ls = io::load_scenario(kFixedStaffing);
  // Every key read has its place: the Baustein's rate, a key weight, the scenario's name.
  CHECK(ls.scenario.places.find("bausteine[B2].rate_per_vza_eur")->line == 45);
  CHECK(ls.scenario.places.find("bausteine[B2].positions_by_key.key.population")->line == 48);
  CHECK(ls.scenario.places.find("scenario")->line == 4);
  // A path below a known one is placed at the nearest enclosing key (a list item of `gemeinden`).
  CHECK(ls.scenario.places.find("bausteine[B2].pass_through[05978].gemeinden[1]")->line == 57);
  CHECK(!ls.scenario.places.find("nothing.here"));
  // The indicator of B2.s key is zero everywhere: the error names the key's place.
  const auto column = *ls.regions.indicator("schutzsuchende");
  ls.regions.indicators.col(Eigen::Index(column)).setZero();
  CHECK_THROWS_WITH_AS(allocate(ls.scenario, ls.regions),
                       doctest::Contains("kim-nrw-2021-fixed-staffing.yaml:48:"), LocatedError);
  try {
    allocate(ls.scenario, ls.regions);
  } catch (const LocatedError& e) {
    CHECK(std::string(e.what()).find("bausteine[B2].positions_by_key.key.schutzsuchende: the indicator 'schutzsuchende' is zero "
                                     "for all recipients") != std::string::npos);
    CHECK(e.where().line == 48);
  }
}

TEST_CASE("a minimum that is not a whole unit is rounded up to one: min 0.5 VZÄ in units of 1.0 gives 1.0 each") {
  auto ls = io::load_scenario(kFixedStaffing);
  auto& b3 = edit_rule<PositionsByKey>(ls.scenario.bausteine[2]);
  b3.unit = 2;  // 1.0 VZÄ
  b3.min = 1;   // 0.5 VZÄ
  const Allocation a = allocate(ls.scenario, ls.regions);
  int rows = 0, smallest = 1 << 30;
  for (const auto& r : a.rows)
    if (r.baustein == 2) ++rows, smallest = std::min<int>(smallest, static_cast<int>(r.halves));
  CHECK(rows == 88);
  CHECK(smallest == 2);
}

TEST_CASE("fixed staffing: a große kreisangehörige Stadt that is a recipient itself takes its coordinator from its Kreis") {
  auto ls = io::load_scenario(kFixedStaffing);
  const auto before = allocate(ls.scenario, ls.regions);
  ls.scenario.bausteine[0].recipients.include.push_back("05958004");  // Arnsberg, in the Hochsauerlandkreis
  ls.scenario.bausteine[0].budget += 10'000'000'00;  // room for its own staff
  const auto after = allocate(ls.scenario, ls.regions);
  auto b1 = [&](const Allocation& a, const char* ags) {
    const std::size_t region = *ls.regions.find(ags);
    for (const auto& r : a.rows)
      if (r.baustein == 0 && r.region == region) return r.halves;
    return Halves{-1};
  };
  CHECK(b1(after, "05958") == b1(before, "05958") - 2);  // the extra 1.0 VZÄ for Arnsberg is no longer the Kreis'
  CHECK(b1(after, "05958004") == 6);                       // Arnsberg: 3.0 VZÄ as a recipient of its own
}

TEST_CASE("the model refuses what it cannot pay exactly, also when called without the loader") {
  auto ls = io::load_scenario(kFixedStaffing);
  const Allocation a = allocate(ls.scenario, ls.regions);
  SUBCASE("a rate in odd cents would make half positions cost a fraction of a cent") {
    ls.scenario.bausteine[1].rate_per_vza = 5'500'001;
    CHECK_THROWS_WITH_AS(allocate(ls.scenario, ls.regions), doctest::Contains("even number of cents"), InputError);
  }
  SUBCASE("fixed staffing one cent beyond its budget") {
    const Cents needed = a.totals[0].halves * (ls.scenario.bausteine[0].rate_per_vza / 2);
    ls.scenario.bausteine[0].budget = needed;
    CHECK_NOTHROW(allocate(ls.scenario, ls.regions));
    ls.scenario.bausteine[0].budget = needed - 1;
    CHECK_THROWS_WITH_AS(allocate(ls.scenario, ls.regions), doctest::Contains("more than the budget"), InputError);
  }
}

TEST_CASE("every indicator value keeps its data file, line and column; a trace names them") {
  const auto ls = io::load_scenario(kFixedStaffing);
  const Regions& r = ls.regions;
  const std::string data = kScenarios + "data/";
  const std::size_t pop = *r.indicator("population"), need = *r.indicator("schutzsuchende");
  const std::size_t unna = *r.find("05978"), kamen = *r.find("05978020"), aachen = *r.find("05334002");
  CHECK(r.places.cell(r, unna, pop) == data + "nrw_kreise_2018.csv:57, column 'population'");
  CHECK(r.places.cell(r, kamen, pop) == data + "nrw_gemeinden_2018.csv:397, column 'population'");
  CHECK(r.places.cell(r, unna, need) == data + "nrw_kreise_schutzsuchende_2024.csv:58, column 'schutzsuchende_total'");
  // Per Kreis only: a Gemeinde's value is a share of its Kreis' value.
  CHECK(r.places.cell(r, aachen, need) ==
        "split by population from " + data + "nrw_kreise_schutzsuchende_2024.csv:24, column 'schutzsuchende_total'");
  const std::vector<std::size_t> two = {unna, *r.find("05334")};
  CHECK(r.places.cells(two, need) == data + "nrw_kreise_schutzsuchende_2024.csv lines 58, 24, column 'schutzsuchende_total'");

  // The trace of Städteregion Aachen's B2 positions: its values with their cells, Stadt Aachen's
  // carved out, the scenario's weights with their places, the rounding and the result.
  const Plan plan(ls.scenario, ls.regions);
  std::size_t row = 0;
  while (!(plan.rows()[row].baustein == 1 && r.list[plan.rows()[row].region].ags == "05334")) ++row;
  const Trace t = plan.describe({}, row);
  auto find = [&](const std::string& label) {
    const auto it = std::find_if(t.begin(), t.end(), [&](const TraceLine& l) { return l.label == label; });
    REQUIRE(it != t.end());
    return *it;
  };
  CHECK(find("indicator population").value == "555465");
  CHECK(find("indicator population").place == data + "nrw_kreise_2018.csv:23, column 'population'");
  CHECK(find("less that of 05334002 Aachen, Stadt (a recipient itself)").place ==
        data + "nrw_gemeinden_2018.csv:76, column 'population'");
  CHECK(find("weight of schutzsuchende (normalised)").value == "0.5");
  CHECK(find("weight of schutzsuchende (normalised)").place.find("kim-nrw-2021-fixed-staffing.yaml:48:") != std::string::npos);
  CHECK(find("method").value == "sainte-lague, ties: order");
  CHECK(find("units").value == "8 + 6 base");
  CHECK(find("positions").value == "7.0 VZÄ");
  const Allocation a = allocate(ls.scenario, ls.regions);
  for (const auto& ar : a.rows)
    if (ar.baustein == 1 && ar.region == plan.rows()[row].region) CHECK(find("cents").value.rfind(std::to_string(ar.cents) + " = ", 0) == 0);
}

TEST_CASE("the manifest hashes the bytes that were parsed, not the file as it is later") {
  const fs::path dir = fs::temp_directory_path() / ("kimsim-hash-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy(KIMSIM_SOURCE_DIR "/scenarios", dir, fs::copy_options::recursive);
  const std::string path = (dir / "kim-nrw-2021.yaml").string();
  const std::string parsed = file_text(path), data = file_text((dir / "data/nrw_kreise_2018.csv").string());
  const auto ls = io::load_scenario(path);
  // Changed after it was read: the manifest still names what the allocation was computed from.
  std::ofstream(path, std::ios::app) << "# edited later\n";
  std::ofstream(dir / "data/nrw_kreise_2018.csv", std::ios::app) << "# edited later\n";
  const nlohmann::json m = io::manifest_json(ls, "kimsim run", "now");
  CHECK(m["scenario_sha256"] == io::sha256(parsed));
  CHECK(m["inputs"][0]["sha256"] == io::sha256(parsed));
  CHECK(m["inputs"][1]["path"] == (dir / "kim-nrw.yaml").string());  // the base it extends
  CHECK(m["inputs"][2]["path"] == (dir / "data/nrw_kreise_2018.csv").string());
  CHECK(m["inputs"][2]["sha256"] == io::sha256(data));
  CHECK(ls.inputs.size() == ls.input_sha256.size());
  CHECK(io::summary_json(ls, allocate(ls.scenario, ls.regions))["provenance"]["scenario_sha256"] == io::sha256(parsed));
  fs::remove_all(dir);
}

TEST_CASE("SHA-256: the CPU's SHA extensions give the portable digest, and the standard one") {
  CHECK(io::sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(io::sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string bytes;
  std::uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < (1 << 20) + 77; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    bytes += static_cast<char>(x);
  }
  for (const std::size_t n : std::vector<std::size_t>{0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, (1 << 20) + 77}) {
    INFO(n);
    CHECK(io::sha256(std::string_view(bytes).substr(0, n)) == io::sha256_portable(std::string_view(bytes).substr(0, n)));
  }
}

namespace {
/// Every number of two evaluations, bit for bit (doubles compared as bits: -0.0 is not 0.0);
/// the quotas only with the claims (without, the buffer holds whatever a rule left there).
void check_same_draft(const Draft& a, const Draft& b, bool claims) {
  CHECK(a.present == b.present);
  CHECK(a.halves == b.halves);
  CHECK(a.gross == b.gross);
  CHECK(a.cents == b.cents);
  REQUIRE(a.key_share.size() == b.key_share.size());
  REQUIRE(a.quota.size() == b.quota.size());
  for (std::size_t i = 0; i < a.key_share.size(); ++i)
    CHECK(std::bit_cast<std::uint64_t>(a.key_share[i]) == std::bit_cast<std::uint64_t>(b.key_share[i]));
  for (std::size_t i = 0; claims && i < a.quota.size(); ++i)
    CHECK(std::bit_cast<std::uint64_t>(a.quota[i]) == std::bit_cast<std::uint64_t>(b.quota[i]));
  CHECK(a.budget == b.budget);
  CHECK(a.unallocated == b.unallocated);
  CHECK(a.tie == b.tie);
}
}  // namespace

TEST_CASE("a draft evaluated again gives what a fresh one gives: key terms are taken over only where their inputs repeat") {
  const auto ls = io::load_scenario(kScenarios + "kim-nrw-2021.yaml");
  const Plan plan(ls.scenario, ls.regions);
  const std::size_t population = *ls.regions.indicator("population"), need = *ls.regions.indicator("schutzsuchende");
  const std::size_t koeln = *ls.regions.find("05315"), aachen = *ls.regions.find("05334002"),
                    region_aachen = *ls.regions.find("05334");
  Eigen::MatrixXd ind = ls.regions.indicators;
  std::vector<std::uint8_t> absent(ls.regions.list.size(), 0);
  const std::vector<double> even{1.0, 1.0};
  std::vector<BausteinOverrides> over(ls.scenario.bausteine.size());
  // One draft through a sequence of inputs, each step against a fresh draft; B2's key is
  // population (first) and protection seekers, B3's protection seekers alone.
  const std::vector<std::pair<const char*, std::function<void()>>> steps{
      {"the scenario's inputs", [] {}},
      {"the same again: every term taken over", [] {}},
      {"protection seekers of Köln: B2's second term, B3's only one", [&] { ind(Eigen::Index(koeln), Eigen::Index(need)) *= 1.01; }},
      {"population of Köln: B2's first term, stored until now", [&] { ind(Eigen::Index(koeln), Eigen::Index(population)) += 1; }},
      {"population as it was", [&] { ind(Eigen::Index(koeln), Eigen::Index(population)) -= 1; }},
      {"the same again", [] {}},
      {"population of Stadt Aachen, carved out of the StädteRegion's",
       [&] { ind(Eigen::Index(aachen), Eigen::Index(population)) += 1000; }},
      {"the StädteRegion's own population", [&] { ind(Eigen::Index(region_aachen), Eigen::Index(population)) -= 1000; }},
      {"Stadt Aachen does not apply", [&] { absent[aachen] = 1; }},
      {"the same again", [] {}},
      {"Köln does not apply instead: as many present, not the same", [&] { absent[aachen] = 0, absent[koeln] = 1; }},
      {"everyone applies", [&] { absent[koeln] = 0; }},
      {"B2's key weights even", [&] { over[1].key_weight = even; }},
      {"the same again", [] {}},
      {"B2's key weights as the scenario's", [&] { over[1].key_weight = {}; }},
  };
  Draft reused, with_claims;
  for (const auto& [what, change] : steps) {
    const std::string step = what;
    CAPTURE(step);
    change();
    for (const bool claims : {false, true}) {
      PlanInputs in;
      in.indicators = &ind;
      in.absent = absent;
      in.bausteine = over;
      in.claims = claims;
      Draft fresh;
      plan.evaluate(in, fresh);
      plan.evaluate(in, claims ? with_claims : reused);
      check_same_draft(claims ? with_claims : reused, fresh, claims);
    }
  }
}

TEST_CASE("a key's counted values are each present candidate's own less its present carved-out members'") {
  // The shares redone here from the data, as the key defines them: a Kreis' value less that of
  // each member that is a recipient of the Baustein itself and applied (in the order of the
  // Kreis' members), at least 0; divided by their total (summed in the candidates' order),
  // weighted, summed over the terms in their order. Stadt Aachen's protection seekers raised
  // above the StädteRegion's: its value is clamped at 0 while Stadt Aachen applies. Then Stadt
  // Aachen and Stadt Neuss (B3 of their own) do not apply: their Kreise's values keep their
  // people, and the StädteRegion's is no longer clamped. Everyone present and someone absent
  // are two ways through the plan (flat passes, and a loop per candidate).
  const auto ls = io::load_scenario(kScenarios + "kim-nrw-2021.yaml");
  const Plan plan(ls.scenario, ls.regions);
  const std::size_t need = *ls.regions.indicator("schutzsuchende");
  const std::size_t aachen = *ls.regions.find("05334002"), neuss = *ls.regions.find("05162024");
  Eigen::MatrixXd ind = ls.regions.indicators;
  ind(Eigen::Index(aachen), Eigen::Index(need)) = ind(Eigen::Index(*ls.regions.find("05334")), Eigen::Index(need)) + 7;
  for (const bool everyone : {true, false}) {
  CAPTURE(everyone);
  std::vector<std::uint8_t> absent(ls.regions.list.size(), 0);
  if (!everyone) absent[aachen] = absent[neuss] = 1;
  PlanInputs in;
  in.indicators = &ind;
  in.absent = absent;
  Draft d;
  plan.evaluate(in, d);
  std::size_t carved = 0, clamped = 0;
  for (const std::size_t bi : {std::size_t{1}, std::size_t{2}}) {
    const auto& rule = dynamic_cast<const PositionsByKey&>(*ls.scenario.bausteine[bi].rule);
    std::vector<std::size_t> rows, who;  // the candidates' rows and regions
    for (std::size_t row = 0; row < plan.rows().size(); ++row)
      if (plan.rows()[row].baustein == bi && !plan.rows()[row].passed_on_by && !absent[plan.rows()[row].region])
        rows.push_back(row), who.push_back(plan.rows()[row].region);
    REQUIRE(std::is_sorted(who.begin(), who.end()));
    std::vector<double> share(who.size(), 0.0);
    double weights = 0;
    for (const auto& t : rule.key.terms) weights += t.weight;
    for (const auto& t : rule.key.terms) {
      const auto column = Eigen::Index(*ls.regions.indicator(t.indicator));
      std::vector<double> value;
      double total = 0;
      for (const std::size_t r : who) {
        double v = ind(Eigen::Index(r), column);
        if (ls.regions.list[r].type == RegionType::kreis)
          for (const std::size_t g : ls.regions.members(r))
            if (std::binary_search(who.begin(), who.end(), g)) v -= ind(Eigen::Index(g), column), ++carved;
        clamped += v < 0;
        value.push_back(std::max(v, 0.0));
        total += value.back();
      }
      for (std::size_t j = 0; j < who.size(); ++j) share[j] += value[j] / total * (t.weight / weights);
    }
    for (std::size_t j = 0; j < who.size(); ++j) {
      CAPTURE(ls.regions.list[who[j]].ags);
      CHECK(std::bit_cast<std::uint64_t>(d.key_share[rows[j]]) == std::bit_cast<std::uint64_t>(share[j]));
    }
  }
  CHECK(carved > 3);
  CHECK(clamped == (everyone ? 1 : 0));
  }
}

TEST_CASE("positions by key: a maximum no recipient can reach is left out of the apportionment, with the same result and divisors") {
  // B3 of 2021: 272 units of 0.5 VZÄ, at most 136 VZÄ (272 units, all the budget buys) and at
  // least one unit for each of the 87 others: none can have more than 272 - 87 = 185 units.
  auto ls = io::load_scenario(kScenarios + "kim-nrw-2021.yaml");
  auto& b3 = edit_rule<PositionsByKey>(ls.scenario.bausteine[2]);
  REQUIRE(b3.max == Halves{272});
  auto evaluate = [&](std::optional<Halves> max) {
    b3.max = max;
    const Plan plan(ls.scenario, ls.regions);
    Draft d;
    plan.evaluate({}, d);
    std::vector<std::string> divisors;  // the divisor interval each B3 row's trace gives
    for (std::size_t row = 0; row < plan.rows().size(); ++row)
      if (plan.rows()[row].baustein == 2)
        for (const auto& line : plan.describe({}, row))
          if (line.label == "divisor") divisors.push_back(line.value);
    return std::pair{d.halves, divisors};
  };
  const auto unreachable = evaluate(Halves{272});
  REQUIRE(unreachable.second.size() == 88);
  CHECK(evaluate(std::nullopt) == unreachable);
  CHECK(evaluate(Halves{186}) == unreachable);  // 93 VZÄ: unreachable too
  CHECK(evaluate(Halves{185}) == unreachable);  // 92.5 VZÄ: reachable, so the kernel has it, and it binds nobody
  CHECK(evaluate(Halves{16}).first != unreachable.first);  // 8.0 VZÄ: binds the one with 8.5
}

TEST_CASE("positions by key: the rule's own bounds are filled once; other bounds, and last year's positions, are given as they are") {
  // The compiled rule keeps its own bounds for every candidate (B3: at least 0.5, at most 136 VZÄ);
  // an evaluation whose bounds differ (a sweep point's minimum, maximum or unit) or that holds
  // last year's positions must not be given them. Each evaluation against a plan compiled with
  // those values as the scenario's own, through one draft, with the bounds its trace names.
  const auto ls = io::load_scenario(kScenarios + "kim-nrw-2021.yaml");
  const Plan plan(ls.scenario, ls.regions);
  struct Case {
    const char* what;
    std::optional<Halves> unit, min, max;
    bool own = false;  ///< the rule's own bounds and unit
  };
  const std::vector<Case> cases{{"the rule's own", {}, {}, {}, true},
                                {"at least 1.0 VZÄ", {}, Halves{2}, {}},
                                {"the rule's own again", {}, {}, {}, true},
                                {"at most 8.0 VZÄ", {}, {}, Halves{16}},
                                {"at least 1.0, at most 8.0 VZÄ", {}, Halves{2}, Halves{16}},
                                {"units of 1.0 VZÄ", Halves{2}, {}, {}},
                                {"the rule's own values, as overrides", {}, Halves{1}, Halves{272}, true}};
  const auto bounds_in = [](const Trace& t) {
    std::vector<std::int64_t> b;
    for (const auto& line : t)
      if (line.label.starts_with("at least") || line.label == "at most") b.push_back(line.whole.at(0));
    return b;
  };
  std::vector<BausteinOverrides> over(ls.scenario.bausteine.size());
  Draft reused, own;
  plan.evaluate({}, own);
  for (const Case& k : cases) {
    CAPTURE(k.what);
    over[2].unit = k.unit, over[2].min = k.min, over[2].max = k.max;
    PlanInputs in;
    in.bausteine = over;
    plan.evaluate(in, reused);
    auto scenario = ls.scenario;
    auto& b3 = edit_rule<PositionsByKey>(scenario.bausteine[2]);
    if (k.unit) b3.unit = *k.unit;
    if (k.min) b3.min = k.min;
    if (k.max) b3.max = k.max;
    const Plan compiled(scenario, ls.regions);
    Draft fresh;
    compiled.evaluate({}, fresh);
    check_same_draft(reused, fresh, true);
    CHECK((fresh.halves == own.halves) == k.own);
    for (std::size_t row = 0; row < plan.rows().size(); row += 7)
      if (plan.rows()[row].baustein == 2) CHECK(bounds_in(plan.describe(in, row)) == bounds_in(compiled.describe({}, row)));
  }
  // Last year's positions held (4.0 VZÄ for every seventh B3 recipient: with the others' 0.5
  // VZÄ within the 272 units the budget buys, so the floor holds), then not, then again.
  std::vector<Halves> floor(plan.rows().size(), 0);
  std::int64_t floored = 0;
  for (std::size_t row = 0; row < plan.rows().size(); row += 7)
    if (plan.rows()[row].baustein == 2) floor[row] = 8, ++floored;
  REQUIRE(floored * 8 + (88 - floored) <= 272);
  for (const bool held : {true, false, true}) {
    CAPTURE(held);
    PlanInputs in;
    if (held) in.floor = floor;
    plan.evaluate(in, reused);
    Draft fresh;
    plan.evaluate(in, fresh);
    check_same_draft(reused, fresh, true);
    CHECK((fresh.halves == own.halves) == !held);
    for (std::size_t row = 0; row < plan.rows().size(); row += 7)
      if (plan.rows()[row].baustein == 2) {
        // The trace names both bounds: the minimum (or last year's 8 units), and the maximum.
        const auto bounds = bounds_in(plan.describe(in, row));
        CHECK(bounds == std::vector<std::int64_t>{held ? 8 : 1, 272});
        if (held) CHECK(fresh.halves[row] >= 8);
      }
  }
}

TEST_CASE("a draft evaluated again after a refusal in the middle of a key gives what a fresh one gives") {
  // B2 keyed by three terms; the second evaluation changes the weights and is refused at the
  // second term (its indicator zero everywhere), after the first term was stored anew: the third,
  // with the second's weights and the data as they were, must not take the second term's partial
  // sum of the first evaluation.
  auto ls = io::load_scenario(kScenarios + "kim-nrw-2021.yaml");
  auto& b2 = edit_rule<PositionsByKey>(ls.scenario.bausteine[1]);
  b2.key.terms = {{"population", 1.0}, {"schutzsuchende", 2.0}, {"area_km2", 1.0}};
  const Plan plan(ls.scenario, ls.regions);
  const std::size_t need = *ls.regions.indicator("schutzsuchende");
  const Eigen::MatrixXd ind = ls.regions.indicators;
  Eigen::MatrixXd zero = ind;
  zero.col(Eigen::Index(need)).setZero();
  std::vector<BausteinOverrides> over(ls.scenario.bausteine.size());
  auto evaluate = [&](const Eigen::MatrixXd& m, const std::vector<double>& weights, Draft& d) {
    PlanInputs in;
    in.indicators = &m;
    over[1].key_weight = weights;
    in.bausteine = over;
    plan.evaluate(in, d);
  };
  const std::vector<double> before{1, 2, 1}, after{3, 4, 1};  // the second term's weight 0.5 in both
  Draft reused, fresh;
  evaluate(ind, before, reused);
  CHECK_THROWS_WITH_AS(evaluate(zero, after, reused), doctest::Contains("is zero for all recipients"), InputError);
  evaluate(ind, after, reused);
  evaluate(ind, after, fresh);
  check_same_draft(reused, fresh, false);
}

TEST_CASE("positions by key: Vinton keeps a maximum no recipient can reach (it caps the lower quotas with it)") {
  // Vinton compares the lower quotas of the whole house, each capped at its maximum, with the
  // house: 88 units of 0.5 VZÄ for the 88 B3 recipients at 0.5 to 1.0 VZÄ each. No recipient
  // can reach 2 units (87 others hold 1 each), yet the cap counts: 97 units with it (the refusal
  // as the kernel gives it with the maximum), 103 without.
  auto ls = io::load_scenario(kScenarios + "kim-nrw-2021.yaml");
  Baustein& b = ls.scenario.bausteine[2];
  auto& b3 = edit_rule<PositionsByKey>(b);
  b3.rule.method = Method::vinton;
  b3.min = Halves{1};
  b3.max = Halves{2};
  ls.scenario.budget += 242'000'000 - b.budget;
  b.budget = 242'000'000;  // 2.42 M EUR: 88 units of 27,500 EUR
  CHECK_THROWS_WITH_AS(allocate(ls.scenario, ls.regions),
                       doctest::Contains("the minimums raise the lower quotas to 97 units, more than the 88 to apportion"),
                       InputError);
}

TEST_CASE("weight_of: a key share in 12 decimals, rounded half away from zero as llround, also in a vectorised loop") {
  // Uniform shares, shares scaled down to 2^-60, and the shares around exact halves n + 0.5 of
  // 10^-12 (the rounding's ties) with their neighbours; each against llround, one at a time
  // (weight_of) and in a loop (weights_of), also over lengths that leave a rest to the vector.
  std::mt19937_64 gen(17);
  std::vector<double> shares{0.0, -0.0, 1.0, 0.5, 0.49999999999999994e-12, 0.5e-12, 1.5e-12, 2.5e-12};
  for (int i = 0; i < 300000; ++i) {
    const double u = static_cast<double>(gen() >> 11) * 0x1p-53;
    shares.push_back(u);
    shares.push_back(std::ldexp(u, -static_cast<int>(gen() % 61)));
  }
  std::size_t ties = 0;
  for (int i = 0; i < 300000; ++i) {
    const std::uint64_t n = i < 1000 ? static_cast<std::uint64_t>(i) : gen() % 1'000'000'000'000u;
    const double s = (static_cast<double>(n) + 0.5) / 1e12;
    ties += s * 1e12 == static_cast<double>(n) + 0.5;
    for (const double t : {std::nextafter(s, 0.0), s, std::nextafter(s, 2.0)}) shares.push_back(t);
  }
  CHECK(ties > 100000);  // the ties are tested, not only their neighbours
  std::vector<std::uint64_t> weight(shares.size());
  weights_of(shares, weight);
  std::size_t wrong = 0, first = shares.size();
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const auto expected = static_cast<std::uint64_t>(std::llround(shares[i] * 1e12));
    if (weight_of(shares[i]) != expected || weight[i] != expected) first = std::min(first, i), ++wrong;
  }
  CAPTURE(first < shares.size() ? shares[first] : 0.0);
  CHECK(wrong == 0);
  for (std::size_t n = 0; n < 12; ++n) {
    std::vector<std::uint64_t> some(n + 1, 7);
    weights_of(std::span(shares).subspan(4, n), std::span(some).first(n));
    for (std::size_t j = 0; j < n; ++j) CHECK(some[j] == weight_of(shares[4 + j]));
    CHECK(some[n] == 7);  // nothing written past the end
  }
}

TEST_CASE("the kernel weighs each recipient by its key share in 12 decimals: in the key's last pass, after a cap, with every term taken over") {
  // The allocations redone here from the public key shares, each share made a weight by weight_of
  // and apportioned as the rule states it: B2 (two terms) and B3 (one term, a minimum) of KIM
  // 2021, the FlüAG's money (two terms and a cap). One draft is evaluated three times: the key
  // computed, every term taken over from the last evaluation, and taken over with 90 % budgets.
  for (const char* file : {"kim-nrw-2021.yaml", "fluag-integrationspauschale.yaml"}) {
    CAPTURE(file);
    const auto ls = io::load_scenario(kScenarios + file);
    const Plan plan(ls.scenario, ls.regions);
    Draft d;
    for (const int percent : {100, 100, 90}) {
      CAPTURE(percent);
      std::vector<Cents> budget;
      for (const auto& b : ls.scenario.bausteine) budget.push_back(b.budget / 100 * percent);
      PlanInputs in;
      in.budget = budget;
      in.claims = false;
      plan.evaluate(in, d);
      std::size_t row = 0;  // a Baustein's candidates are its first rows, in the order of `who`
      int checked = 0;
      for (std::size_t bi = 0; bi < ls.scenario.bausteine.size(); ++bi) {
        const Baustein& b = ls.scenario.bausteine[bi];
        while (row < plan.rows().size() && plan.rows()[row].baustein != bi) ++row;
        const auto who = select(ls.regions, b.recipients);
        const Key* key = b.rule->keyed_by();
        if (!key) continue;
        std::vector<std::uint64_t> weight;
        for (const double share : key_shares(ls.regions, who, *key)) weight.push_back(weight_of(share));
        if (const auto* r = rule_as<PositionsByKey>(b)) {
          const Cents unit_cost = r->unit * (b.rate_per_vza / 2);
          const std::int64_t base = r->base / r->unit, n = std::int64_t(who.size());
          const std::vector<std::int64_t> least(who.size(), r->min ? (*r->min + r->unit - 1) / r->unit - base : 0);
          const auto seats = apportion(r->rule, weight, budget[bi] / unit_cost - base * n, Bounds{least, {}});
          for (std::size_t k = 0; k < who.size(); ++k) CHECK(d.gross[row + k] == (seats[k] + base) * r->unit);
        } else {
          const auto* m = rule_as<MoneyByKey>(b);
          REQUIRE(m);
          const std::vector<std::int64_t> least(who.size(), m->minimum);
          const auto cents = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::order, 0}, weight, budget[bi], Bounds{least, {}});
          for (std::size_t k = 0; k < who.size(); ++k) CHECK(d.cents[row + k] == cents[k]);
        }
        ++checked;
      }
      CHECK(checked == (std::string(file) == "kim-nrw-2021.yaml" ? 2 : 1));
    }
  }
}

TEST_CASE("an error that values decide together names the one a variant changed") {
  SourceMap places;
  places.set("bausteine[B2].budget_eur", {"base.yaml", 44, 17}, 1);
  places.set("bausteine[B2].rate_per_vza_eur", {"base.yaml", 45, 23}, 1);
  places.set("bausteine[B2].positions_by_key", {"base.yaml", 47, 7}, 1);
  places.set("bausteine[B2].positions_by_key.base_vza", {"v.yaml", 6, 17}, 0);
  const std::vector<std::string> with = {"bausteine[B2].rate_per_vza_eur", "bausteine[B2].positions_by_key",
                                         "bausteine[B2].months"};
  // The variant changed a value inside the rule block: the error stands at its line.
  CHECK(std::string(places.error("bausteine[B2].budget_eur", "too few units", with).what()) ==
        "v.yaml:6:17: bausteine[B2].positions_by_key.base_vza: too few units");
  // Where the variant changed the value the error is about, or none of the others, it stays there.
  places.set("bausteine[B2].budget_eur", {"v.yaml", 5, 17}, 0);
  CHECK(std::string(places.error("bausteine[B2].budget_eur", "too few units", with).what()) ==
        "v.yaml:5:17: bausteine[B2].budget_eur: too few units");
  places.set("bausteine[B2].budget_eur", {"base.yaml", 44, 17}, 1);
  CHECK(std::string(places.error("bausteine[B2].budget_eur", "too few units", {"bausteine[B2].rate_per_vza_eur"}).what()) ==
        "base.yaml:44:17: bausteine[B2].budget_eur: too few units");
  // A key that only begins like another is not inside it.
  places.set("bausteine[B2].rate_per_vza_eur_x", {"v.yaml", 9, 1}, 0);
  CHECK(std::string(places.error("bausteine[B2].budget_eur", "x", {"bausteine[B2].rate_per_vza_eur"}).what()) ==
        "base.yaml:44:17: bausteine[B2].budget_eur: x");
}
