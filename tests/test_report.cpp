// report.html: built from the baseline, the page is deterministic, self-contained, in German by
// default (English on request), its Lorenz curve gives the Gini that `compare` states, its data
// island cannot close its script element, and its numbers are the allocation's, exactly.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "io/html_report.hpp"
#include "io/output.hpp"
#include "io/scenario.hpp"
#include "io/sim_report.hpp"
#include "kimsim/simulation.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/format.hpp"
#include "kimsim/notes.hpp"
#include "io/report.hpp"

using namespace kimsim;

namespace {

const io::LoadedScenario& baseline() {
  static const io::LoadedScenario ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  return ls;
}
const Allocation& baseline_allocation() {
  static const Allocation a = allocate(baseline().scenario, baseline().regions);
  return a;
}
/// The run report's data island as the page holds it, read back.
nlohmann::json run_island(const io::LoadedScenario& ls, const Allocation& a, io::Lang lang = io::Lang::de) {
  return nlohmann::json::parse(io::data_island(io::run_report(ls, a, lang)));
}

}  // namespace

TEST_CASE("report.html: the same inputs give the same bytes; one file that fetches nothing") {
  const std::string a = io::report_html(io::run_report(baseline(), baseline_allocation(), io::Lang::de));
  const std::string b = io::report_html(io::run_report(baseline(), baseline_allocation(), io::Lang::de));
  CHECK(a == b);
  CHECK(a.size() < 2u * 1024 * 1024);
  // No reference the browser would load: no src, stylesheet link, import or url().
  for (const char* s : {" src=", "<link", "@import", "url(", "<iframe", "<img"}) CHECK_MESSAGE(a.find(s) == std::string::npos, s);
  CHECK(a.find("<html lang=\"de\">") != std::string::npos);
}

TEST_CASE("report.html: German numbers and the programme's terms; English with --lang en") {
  const auto& ls = baseline();
  const std::string de = io::report_html(io::run_report(ls, baseline_allocation(), io::Lang::de));
  const std::string en = io::report_html(io::run_report(ls, baseline_allocation(), io::Lang::en));
  CHECK(de.find(german_euros(ls.scenario.budget)) != std::string::npos);  // 50.000.000,00 €
  CHECK(de.find("50.000.000,00\u00A0€") != std::string::npos);
  for (const char* term : {"Baustein", "VZÄ", "Kreis", "kreisfreie Stadt", "Weiterleitung durch", "Steckbrief", "Gini-Koeffizient"})
    CHECK_MESSAGE(de.find(term) != std::string::npos, term);
  CHECK(en.find("<html lang=\"en\">") != std::string::npos);
  CHECK(en.find("€50,000,000.00") != std::string::npos);
  CHECK(en.find("Nicht zugewiesen") == std::string::npos);
  CHECK(en.find("Unallocated") != std::string::npos);
  // Quotation marks of the page's language: „…“ in German, “…” in English.
  CHECK(de.find("„Kreise und kreisfreie Städte“") != std::string::npos);
  CHECK(en.find("“Kreise and kreisfreie Städte”") != std::string::npos);
  CHECK(en.find("„") == std::string::npos);
}

TEST_CASE("report data: every row's cents and positions, and the totals, are the allocation's") {
  const auto& a = baseline_allocation();
  const auto d = run_island(baseline(), a);
  std::size_t rows = 0;
  Cents cents = 0;
  for (std::size_t b = 0; b < a.totals.size(); ++b) {
    Cents sum = 0;
    for (const auto& r : d["bausteine"][b]["rows"]) sum += r["cents"].get<Cents>(), ++rows;
    CHECK(sum == a.totals[b].allocated);
    CHECK(d["bausteine"][b]["allocated_cents"].get<Cents>() == a.totals[b].allocated);
  }
  CHECK(rows == a.rows.size());
  // The Kreis-level areas hold every cent paid: each row lies in exactly one area.
  for (const auto& area : d["areas"]) cents += area["cents"].get<Cents>();
  CHECK(cents == d["headline"]["allocated_cents"].get<Cents>());
  CHECK(d["areas"].size() == 53u);  // 31 Kreise, 22 kreisfreie Städte (with the Städteregion Aachen)
}

TEST_CASE("report data: the Lorenz curve's Gini is compare's Gini of the whole allocation") {
  const auto& ls = baseline();
  const auto& a = baseline_allocation();
  const ComparedScenario s[] = {{"a", &ls.scenario, &ls.regions, &a}, {"b", &ls.scenario, &ls.regions, &a}};
  const Comparison c = compare(s);
  std::optional<double> total;
  for (const Fairness& f : c.fairness[0])
    if (f.baustein == "total")
      for (const auto& [indicator, g] : f.gini)
        if (indicator == "population") total = g;
  REQUIRE(total);
  const auto d = run_island(ls, a);
  CHECK(d["lorenz"]["gini"].get<double>() == doctest::Approx(*total).epsilon(1e-8));
  const auto& pts = d["lorenz"]["points"];
  CHECK(pts.back()[0].get<double>() == doctest::Approx(1.0));
  CHECK(pts.back()[1].get<double>() == doctest::Approx(1.0));
}

TEST_CASE("data island: no name can close the script element") {
  const nlohmann::json j = {{"name", "</script><script>alert(1)</script>"}};
  const std::string island = io::data_island(j);
  CHECK(island.find('<') == std::string::npos);
  CHECK(nlohmann::json::parse(island) == j);
}

TEST_CASE("run report: its island is the JSON nlohmann writes, escaped; the page escapes the same names") {
  // Names a scenario may hold: the end of the script element, markup, quotes, a backslash,
  // control characters, umlauts and a character outside the BMP.
  io::LoadedScenario ls = baseline();
  const std::string hostile = "Kreis </script><script>alert(\"x\")</script> & \\ \t\x01 Übach-Palenberg \xF0\x9F\x98\x80";
  ls.regions.list.front().name = hostile;
  // A Gemeinde that receives something: a row of its Baustein and a member of its Kreis.
  const auto gemeinde = std::find_if(baseline_allocation().rows.begin(), baseline_allocation().rows.end(),
                                     [&](const AllocationRow& row) { return ls.regions.list[row.region].type == RegionType::gemeinde; });
  REQUIRE(gemeinde != baseline_allocation().rows.end());
  Region& named = ls.regions.list[gemeinde->region];
  named.name = "Gemeinde <b>'\"&amp;\"'</b>\n";
  ls.scenario.assumptions.push_back("[A] a \"quoted\" </SCRIPT> assumption\r\n");
  const Allocation a = allocate(ls.scenario, ls.regions);
  const io::RunReport r = io::run_report(ls, a, io::Lang::de);
  const std::string island = io::data_island(r);
  CHECK(island.find('<') == std::string::npos);
  // Byte for byte what nlohmann's dump() writes for the same values (the island's goldens and the
  // browser test were written so): keys in order, numbers, every escape.
  const nlohmann::json j = nlohmann::json::parse(island);
  CHECK(island == io::data_island(j));
  CHECK(j["areas"][0]["name"] == hostile);
  CHECK(j["assumptions"].back() == ls.scenario.assumptions.back());
  bool found = false;
  for (const auto& b : j["bausteine"])
    for (const auto& row : b["rows"]) found = found || row["name"] == named.name;
  CHECK(found);
  // The page shows them as text, and nothing before the island closes a script element.
  const std::string h = io::report_html(r);
  const std::string page = h.substr(0, h.find("<script type=\"application/json\" id=\"data\">"));
  CHECK(page.find("Kreis &lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \\") != std::string::npos);
  CHECK(page.find("Gemeinde &lt;b&gt;'&quot;&amp;amp;&quot;'&lt;/b&gt;") != std::string::npos);
  CHECK(page.find("</script>") == std::string::npos);
  CHECK(page.find("</SCRIPT>") == std::string::npos);
  CHECK(h.find(island) != std::string::npos);
}

TEST_CASE("a scenario in a folder whose name is not UTF-8: its outputs are written, the byte as U+FFFD") {
  // A path is bytes: a folder named in Latin-1 ("\xDC" is its Ü) may hold a variant. Its name
  // reaches the manifest, which once threw on it (an internal error of run, simulate and
  // compare; nothing written).
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("kimsim-\xDC" "bersicht-{}", doctest::getContextOptions()->rand_seed);
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};
  std::ofstream(dir / "variant.yaml") << "extends: " KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml\nscenario: variant\n";
  io::LoadedScenario ls = io::load_scenario((dir / "variant.yaml").string());
  const std::string manifest = io::dump_json(io::manifest_json(ls, "kimsim run", "2026-12-01T00:00:00Z"), 2);
  CHECK(nlohmann::json::accept(manifest));  // valid UTF-8 (the lexer rejects any other byte)
  CHECK(manifest.find("kimsim-\xEF\xBF\xBD" "bersicht") != std::string::npos);
  // The run report's island, written by its own writer, replaces such a byte the same way.
  ls.regions.list.front().name = "K\xF6ln \xF0\x9F\x98\x80 \xE2\x82";  // Latin-1 ö, an emoji, a cut sequence
  const std::string island = io::data_island(io::run_report(ls, allocate(ls.scenario, ls.regions), io::Lang::de));
  REQUIRE(nlohmann::json::accept(island));
  CHECK(island == io::data_island(nlohmann::json::parse(island)));
  CHECK(nlohmann::json::parse(island)["areas"][0]["name"] == "K\xEF\xBF\xBDln \xF0\x9F\x98\x80 \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("report.html: a scenario of money without positions draws its charts without NaN") {
  // FlüAG: money by key to 396 Gemeinden, no positions: the positions chart has nothing to scale.
  const auto ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/fluag-integrationspauschale.yaml");
  const std::string h = io::report_html(io::run_report(ls, allocate(ls.scenario, ls.regions), io::Lang::de));
  // An SVG coordinate of NaN or infinity is written as "nan", "-nan" or "inf" (attributes).
  for (const char* bad : {"=\"nan\"", "=\"-nan\"", "=\"inf\"", "=\"-inf\""}) CHECK_MESSAGE(h.find(bad) == std::string::npos, bad);
  // Money only: no positions chart, no VZÄ column (the data island keeps its zero halves).
  const std::string page = h.substr(0, h.find("id=\"data\""));
  CHECK(page.find("c-positions") == std::string::npos);
  CHECK(page.find("VZÄ") == std::string::npos);
}

TEST_CASE("report.html of a simulation: German labels and notes, the quantiles of the result") {
  const auto& ls = baseline();
  SimulationSpec spec = *ls.simulation;
  spec.replications = 50;
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  const nlohmann::json summary = io::simulation_summary(ls, spec, r);
  const auto d = io::simulation_report_data(ls, r, summary, io::Lang::de);
  CHECK(d["slots"].size() == r.slots.size());
  const std::string h = io::report_html(d);
  for (const char* term : {"Wahrscheinlichkeit, nichts zu erhalten", "MC-Fehler", "Band p05–p95", "Kofinanzierung: "})
    CHECK_MESSAGE(h.find(term) != std::string::npos, term);
  // The page says it in German; the data island keeps summary.json's sentences as data.
  CHECK(h.substr(0, h.find("id=\"data\"")).find("co-financing: ") == std::string::npos);
  CHECK(h == io::report_html(io::simulation_report_data(ls, r, summary, io::Lang::de)));
}

TEST_CASE("report.html of a simulation of money only: no VZÄ columns") {
  const auto ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/fluag-integrationspauschale.yaml");
  SimulationSpec spec;
  spec.replications = 20;
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  const nlohmann::json summary = io::simulation_summary(ls, spec, r);
  const std::string h = io::report_html(io::simulation_report_data(ls, r, summary, io::Lang::de));
  const std::string page = h.substr(0, h.find("id=\"data\""));
  CHECK(page.find("Median VZÄ") == std::string::npos);
  CHECK(page.find("c-band-") == std::string::npos);
}

TEST_CASE("report.html of compare --replications: the Monte Carlo section, its movers largest first") {
  const auto& ls = baseline();
  const auto variant = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/variants/budget-75m.yaml");
  const Allocation va = allocate(variant.scenario, variant.regions);
  const ComparedScenario s[] = {{"base", &ls.scenario, &ls.regions, &baseline_allocation()}, {"budget-75m", &variant.scenario, &variant.regions, &va}};
  const Comparison c = compare(s);
  SimulationSpec base_spec = *ls.simulation, variant_spec = *variant.simulation;
  const SimulatedScenario sims[] = {{&ls.scenario, &ls.regions, &base_spec}, {&variant.scenario, &variant.regions, &variant_spec}};
  const CompareSimulation mc = compare_replications(sims, 1, 0, 40, 1);
  const std::vector<io::ComparedRun> runs = {{&ls, &baseline_allocation()}, {&variant, &va}};
  const auto d = io::compare_report_data(c, runs, nullptr, io::Lang::de, &mc);
  REQUIRE(d.contains("monte_carlo"));
  const auto& m = d["monte_carlo"];
  CHECK(m["replications"].get<std::uint64_t>() == 40u);
  CHECK(m["variance_ratio"].size() == variance_ratios(mc).size());
  const auto& movers = m["top_movers"];
  REQUIRE(movers.size() == 10u);  // one variant, one year: the ten largest
  for (std::size_t i = 0; i < movers.size(); ++i) {
    const auto& r = movers[i];
    CHECK(r["delta_cents_p05"].get<Cents>() <= r["delta_cents_p50"].get<Cents>());
    CHECK(r["delta_cents_p50"].get<Cents>() <= r["delta_cents_p95"].get<Cents>());
    const double p_lose = std::stod(r["p_lose"].get<std::string>());
    CHECK((p_lose >= 0 && p_lose <= 1));
    if (i > 0) CHECK(std::llabs(movers[i - 1]["delta_cents_mean"].get<Cents>()) >= std::llabs(r["delta_cents_mean"].get<Cents>()));
  }
  const std::string h = io::report_html(d);
  const std::string page = h.substr(0, h.find("id=\"data\""));
  for (const char* term : {"Unter Unsicherheit (Monte Carlo)", "Varianzverhältnis", "Wahrscheinlichkeit, weniger zu erhalten", "id=\"c-mc-1\"", "id=\"t-mc-1\""})
    CHECK_MESSAGE(page.find(term) != std::string::npos, term);
  // Without the simulation the page has no such section.
  CHECK(io::report_html(io::compare_report_data(c, runs, nullptr, io::Lang::de)).find("id=\"mc\"") == std::string::npos);
}

TEST_CASE("report.html of a ten-year simulation stays under 2 MB: per recipient the first and last year") {
  const auto& ls = baseline();
  SimulationSpec spec = *ls.simulation;
  spec.replications = 20;
  spec.years.clear();
  for (int y = 2021; y <= 2030; ++y) spec.years.push_back(SimulationYear{y, 1.0, std::nullopt, "", {}, {}});
  const SimulationResult r = simulate(ls.scenario, ls.regions, spec, 1);
  REQUIRE(r.years.size() == 10u);
  const nlohmann::json summary = io::simulation_summary(ls, spec, r);
  const auto d = io::simulation_report_data(ls, r, summary, io::Lang::de);
  const std::string h = io::report_html(d);
  // Each year's tables take about 230 KB: all ten would pass the bound.
  CHECK(h.size() < 2u * 1024 * 1024);
  const std::string page = h.substr(0, h.find("id=\"data\""));
  for (int y = 2021; y <= 2030; ++y) {
    const bool shown = page.find(fmt::format("id=\"t-sim-B2-{}\"", y)) != std::string::npos;
    CHECK_MESSAGE(shown == (y == 2021 || y == 2030), y);
    // The statewide figures of every year stay.
    CHECK_MESSAGE(page.find(fmt::format("Jahr {} · Budget", y)) != std::string::npos, y);
  }
  CHECK(page.find("die Werte der Jahre 2022, 2023, 2024, 2025, 2026, 2027, 2028, 2029 stehen in simulation.csv") != std::string::npos);
}

TEST_CASE("notes kimsim writes: one table, each sentence in English and German with the same values") {
  for (const std::string_view id : note_ids()) {
    const Note n{std::string(id), {"@0@", "@1@", "@2@", "@3@"}};
    const std::string en = note_text(n, Lang::en), de = note_text(n, Lang::de);
    CHECK_MESSAGE(en != de, id);
    for (const char* v : {"@0@", "@1@", "@2@", "@3@"}) CHECK_MESSAGE((en.find(v) == std::string::npos) == (de.find(v) == std::string::npos), id, " ", v);
  }
  // An id the table does not know reads as written.
  CHECK(note_text({"a sentence of its own", {}}, Lang::de) == "a sentence of its own");
}

TEST_CASE("report.html: kimsim's notes in the page's language, the scenario's own text as written") {
  const auto& ls = baseline();
  const auto d = run_island(ls, baseline_allocation());
  REQUIRE(!d["notes"].empty());
  CHECK(d["notes"][0]["id"] == "indicator_split");
  const std::string de = io::report_html(io::run_report(ls, baseline_allocation(), io::Lang::de)),
                    en = io::report_html(io::run_report(ls, baseline_allocation(), io::Lang::en));
  const std::string page_de = de.substr(0, de.find("id=\"data\"")), page_en = en.substr(0, en.find("id=\"data\""));
  CHECK(page_de.find("Kennzahl „schutzsuchende“ liegt je Kreis vor") != std::string::npos);
  CHECK(page_de.find("is given per Kreis") == std::string::npos);
  CHECK(page_en.find("indicator 'schutzsuchende' is given per Kreis") != std::string::npos);
  // summary.json keeps the English sentence.
  CHECK(io::summary_json(ls, baseline_allocation())["notes"][0].get<std::string>().starts_with("indicator 'schutzsuchende' is given per Kreis"));
  // The assumptions are the scenario's words, [A] markers and all, in either language.
  const std::string first = ls.scenario.assumptions.front();
  CHECK(first.starts_with("[A] "));
  CHECK(page_de.find(first.substr(0, 40)) != std::string::npos);
}

TEST_CASE("report.html of a calibration: the caveat and the notes in the page's language, names escaped, the variant to run") {
  // A calibrate.json as kimsim calibrate writes it (two indicators, one observation fitted, one shown).
  const nlohmann::json cal = nlohmann::json::parse(R"({
    "scenario": "s", "baustein": "B2", "model": "quota = base + K x sum w s", "observations_from": "obs.csv",
    "weights": [{"indicator": "population", "weight": 0.4, "written": "0.400000000000", "at_bound_0": false,
                 "bootstrap": {"sd": 0.2, "p05": 0.0, "p95": 0.7}},
                {"indicator": "schutzsuchende", "weight": 0.6, "written": "0.600000000000", "at_bound_0": false,
                 "bootstrap": {"sd": 0.2, "p05": 0.3, "p95": 1.0}}],
    "base_vza": {"fitted": false, "value": 3.0, "written": "3.0"},
    "years": [{"year": 2021, "treatment": "budget", "positions": 409.0, "positions_by_key": 247.0, "recipients": 54}],
    "fit": {"observations": 1, "parameters": 1, "mae": 0.25, "rmse": 0.25, "max_error": 0.25, "iterations": 1, "converged": true},
    "leave_one_out": {"predicted": 0, "mae": 0.0, "rmse": 0.0, "max_error": 0.0},
    "bootstrap": {"replications": 1000, "seed": 1},
    "observations": [
      {"ags": "05158", "name": "Mettmann <Kreis>", "year": 2021, "kind": "vza", "observed": 9.0, "treatment": "budget", "why": "",
       "fitted": 9.25, "apportioned": 9.0, "loo_prediction": null, "source": "Kreis Mettmann [S]"},
      {"ags": "05112", "name": "Duisburg, Stadt", "year": 2021, "kind": "headcount", "observed": 14.0, "treatment": "headcount", "why": "",
       "fitted": 9.9995, "apportioned": 10.0, "loo_prediction": null, "source": "Stadt Duisburg [S]"}],
    "notes": [], "variant": "s-calibrated-B2.yaml"})");
  const std::vector<Note> notes = {{"calibrate_loose_key", {"population 0.00-0.70, schutzsuchende 0.30-1.00"}}};
  const nlohmann::json de = io::calibrate_report_data(cal, notes, "Case Management", "abc", Lang::de);
  CHECK(de["kind"] == "calibrate");
  // The errors where an observation is fitted, none where it is shown only.
  CHECK(de["observations"][0]["error"].get<double>() == doctest::Approx(0.25));
  CHECK(de["observations"][1]["error"].is_null());
  const std::string page = io::report_html(de);
  CHECK(page == io::report_html(de));
  CHECK(page.find("<html lang=\"de\">") != std::string::npos);
  CHECK(page.find("<p class=\"flag\" id=\"caveat\">Die Beobachtungen legen den Schlüssel nur schwach fest (Bootstrap 5–95 %: population 0.00-0.70") !=
        std::string::npos);
  CHECK(page.find("Mettmann &lt;Kreis&gt;") != std::string::npos);
  CHECK(page.find("Mettmann <Kreis>") == std::string::npos);
  CHECK(page.find("<code>kimsim run s-calibrated-B2.yaml</code>") != std::string::npos);
  CHECK(page.find("<td class=\"n\" data-v=\"9.2500\">9,2500</td>") != std::string::npos);  // calibrate.csv's decimals, German comma
  CHECK(page.find("id=\"h-mae\">0,25 VZÄ<") != std::string::npos);
  const std::string en = io::report_html(io::calibrate_report_data(cal, notes, "Case Management", "abc", Lang::en));
  CHECK(en.find("the observations pin the key only loosely") != std::string::npos);
  CHECK(en.find("<td class=\"n\" data-v=\"9.2500\">9.2500</td>") != std::string::npos);
  // Without the caveat's note, no caveat.
  CHECK(io::report_html(io::calibrate_report_data(cal, {}, "Case Management", "abc", Lang::de)).find("id=\"caveat\"") == std::string::npos);
}
