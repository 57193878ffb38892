// The what-if API without the network (io/whatif.hpp): values read as the scenario reader reads
// them, and concurrent requests on the shared compiled base answering exactly as one alone.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "io/patch.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "io/html_report.hpp"
#include "io/whatif.hpp"
#include "kimsim/format.hpp"

using namespace kimsim;
using namespace kimsim::io;
namespace fs = std::filesystem;

namespace {

/// A copy of the shipped scenarios/ in a folder of its own, to serve and to edit; removed after.
struct ServedCopy {
  fs::path path;
  ServedCopy() {
    char name[] = "/tmp/kimsim-whatif-XXXXXX";
    path = fs::path(::mkdtemp(name)) / "scenarios";
    fs::copy(KIMSIM_SOURCE_DIR "/scenarios", path, fs::copy_options::recursive);
  }
  ~ServedCopy() { fs::remove_all(path.parent_path()); }
  void write(const std::string& file, const std::string& text, bool append = false) const {
    std::ofstream(path / file, append ? std::ios::app : std::ios::trunc) << text;
  }
};

nlohmann::json refusal(const WhatIf& api, const std::string& patch, const std::string& scenario = "kim-nrw-2021") {
  const ApiResponse r = api.handle("POST", "/api/evaluate", R"({"scenario": ")" + scenario + R"(", "patch": )" + patch + "}");
  CHECK(r.status == 422);
  return nlohmann::json::parse(r.body);
}

bool has(const nlohmann::json& j, const std::string& key, const std::string& part) {
  return j[key].get<std::string>().find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("whatif: a value as text is read in the slot's unit and checked as the reader checks it") {
  const LoadedScenario ls = load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  std::string why;
  const auto rate = resolve_slot(ls.scenario, "bausteine[B2].rate_per_vza_eur", why);
  REQUIRE(rate);
  CHECK(parse_value(*rate, "57000.00", why) == 5'700'000);
  CHECK(parse_value(*rate, "57000", why) == 5'700'000);
  CHECK_FALSE(parse_value(*rate, "57000.01", why));  // a half position would get half a cent
  CHECK(why.find("even number of cents") != std::string::npos);
  CHECK_FALSE(parse_value(*rate, "57.000,00", why));  // the page converts German input; the API does not guess
  CHECK_FALSE(parse_value(*rate, "-2.00", why));
  const auto min = resolve_slot(ls.scenario, "bausteine[B2].positions_by_key.min_vza", why);
  REQUIRE(min);
  CHECK(parse_value(*min, "3.5", why) == 7);
  CHECK_FALSE(parse_value(*min, "3.25", why));
  const auto weight = resolve_slot(ls.scenario, "bausteine[B2].positions_by_key.key.population", why);
  REQUIRE(weight);
  CHECK(parse_value(*weight, "0.5", why) == kWeightScale / 2);
  const auto method = resolve_slot(ls.scenario, "bausteine[B2].positions_by_key.method", why);
  REQUIRE(method);
  CHECK(parse_value(*method, "hamilton", why));
  CHECK_FALSE(parse_value(*method, "hamiltn", why));
  CHECK(why.find("did you mean") != std::string::npos);
}

TEST_CASE("whatif: concurrent evaluations of the shared base answer byte for byte as one alone") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const std::vector<std::string> bodies = {
      R"({"scenario": "kim-nrw-2021"})",
      R"({"scenario": "kim-nrw-2021", "patch": {"bausteine[B2].rate_per_vza_eur": "57000.00"}})",
      R"({"scenario": "kim-nrw-2021", "patch": {"budget_eur": "61234567.89", "bausteine[B3].positions_by_key.method": "hamilton"}})",
      R"({"scenario": "kim-nrw-2021", "patch": {"bausteine[B2].positions_by_key.key.population": 0.25, "bausteine[B2].pass_through": false}})"};
  std::vector<std::string> alone;
  for (const auto& b : bodies) {
    const ApiResponse r = api.handle("POST", "/api/evaluate", b);
    REQUIRE(r.status == 200);
    alone.push_back(r.body);
  }
  // The answers differ from each other (the patches act), and an empty patch changes nothing.
  for (std::size_t i = 1; i < alone.size(); ++i) CHECK(alone[i] != alone[0]);
  const auto base = nlohmann::json::parse(alone[0]);
  for (const auto& row : base["recipients"]) CHECK(row["delta_euros"] == "0.00");

  std::vector<std::vector<std::string>> got(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 6; ++k) got[t].push_back(api.handle("POST", "/api/evaluate", bodies[(t + k) % bodies.size()]).body);
    });
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < got.size(); ++t)
    for (int k = 0; k < 6; ++k) CHECK(got[t][k] == alone[(t + k) % bodies.size()]);
}

TEST_CASE("whatif: the patched money adds up to the budget to the cent") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const auto r = nlohmann::json::parse(
      api.handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw-2021", "patch": {"budget_eur": "61234567.89"}})").body);
  const auto cents = [](const std::string& s) { return std::stoll(s.substr(0, s.size() - 3)) * 100 + std::stoll(s.substr(s.size() - 2)); };
  long long budget = 0;
  for (const auto& t : r["totals"]) {
    CHECK(cents(t["allocated_eur"]) + cents(t["unallocated_eur"]) == cents(t["budget_eur"]));
    budget += cents(t["budget_eur"]);
  }
  CHECK(budget == 6'123'456'789);
}

TEST_CASE("whatif: a year of the scenario's years is compiled once, shared by concurrent requests, and equals load_scenario of that year") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const std::string body = R"({"scenario": "kim-nrw", "year": 2023, "patch": {"bausteine[B2].rate_per_vza_eur": "60000.00"}})";
  // The first requests for the year arrive together: one builds the base, the others wait for it.
  std::vector<std::string> got(6);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) threads.emplace_back([&, t] { got[t] = api.handle("POST", "/api/evaluate", body).body; });
  for (auto& th : threads) th.join();
  for (const auto& g : got) CHECK(g == got[0]);
  const auto r = nlohmann::json::parse(got[0]);
  CHECK(r["year"] == 2023);
  // 2023's rate is the dated 57,000 EUR, not 2021's 55,000: the base of that year.
  bool rate = false;
  for (const auto& c : r["controls"])
    if (c["path"] == "bausteine[B1].rate_per_vza_eur") rate = c["value"] == "57000.00";
  CHECK(rate);
  LoadOptions options;
  options.year = 2023;
  const LoadedScenario ls = load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw.yaml", options);
  CHECK(r["totals"][0]["budget_eur"] == format_euros(ls.scenario.bausteine[0].budget));
  CHECK(nlohmann::json::parse(api.handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw"})").body)["year"] == 2021);
}

TEST_CASE("whatif: a year outside the scenario's years, or not a year, is refused at body.year with the valid range") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  for (const char* body : {R"({"scenario": "kim-nrw", "year": 2026})", R"({"scenario": "kim-nrw", "year": 2019})",
                           R"({"scenario": "kim-nrw", "year": "2023"})", R"({"scenario": "kim-nrw", "year": 2023.5})"}) {
    const ApiResponse r = api.handle("POST", "/api/evaluate", body);
    CHECK(r.status == 422);
    const auto j = nlohmann::json::parse(r.body);
    CHECK(j["path"] == "body.year");
  }
  const auto j = nlohmann::json::parse(api.handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw", "year": 2026})").body);
  CHECK(j["message"].get<std::string>().find("2020 to 2025") != std::string::npos);
}

TEST_CASE("whatif: the key normalises its weights: halved weights allocate as the base") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const auto r = nlohmann::json::parse(api.handle("POST", "/api/evaluate",
                                                  R"({"scenario": "fluag-integrationspauschale", "patch": {"bausteine[IP].money_by_key.key.population": "0.45",
                                                      "bausteine[IP].money_by_key.key.area_km2": "0.05"}})")
                                           .body);
  REQUIRE(r.contains("recipients"));
  for (const auto& row : r["recipients"]) CHECK(row["delta_euros"] == "0.00");
  // The controls say so.
  bool said = false;
  for (const auto& c : r["controls"])
    if (c["kind"] == "weight") said = c["why"].get<std::string>().find("normalises") != std::string::npos && c["key"] == "bausteine[IP].money_by_key.key";
  CHECK(said);
}

TEST_CASE("whatif: the chart is the report's SVG and the paradox flags its plain words, in the request's language") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const std::string patch = R"("patch": {"bausteine[B2].rate_per_vza_eur": "57000.00"})";
  const auto de = nlohmann::json::parse(api.handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw-2021", )" + patch + "}").body);
  const auto en = nlohmann::json::parse(api.handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw-2021", "lang": "en", )" + patch + "}").body);
  CHECK(de["chart_svg"].get<std::string>().find("<svg id=\"c-diverging-1\"") != std::string::npos);
  CHECK(de["chart_svg"].get<std::string>().find("Gewinne und Verluste") != std::string::npos);
  CHECK(en["chart_svg"].get<std::string>().find("Gewinne und Verluste") == std::string::npos);
  CHECK(api.handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw-2021", "lang": "fr"})").status == 422);
}

TEST_CASE("whatif: bytes that are not UTF-8 in a target or a method are answered, not thrown") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  const ApiResponse r = api.handle("GET", "/\xff", "");
  CHECK(r.status == 404);
  CHECK(nlohmann::json::parse(r.body)["path"] == "/\xef\xbf\xbd");  // U+FFFD
  CHECK(api.handle("G\xff", "/api/scenarios", "").status == 405);
}

TEST_CASE("whatif: a paradox flag is the report's sentence, in German by default") {
  using nlohmann::json;
  const json who = json::array({{{"ags", "05978"}, {"name", "Kreis Unna"}, {"delta_halves", -1}}});
  json island = {{"kind", "compare"},
                 {"scenarios", json::array({{{"name", "kim-nrw-2021"}}, {{"name", "Was-wäre-wenn"}}})},
                 {"variants", json::array()},
                 {"paradoxes", json::array({{{"kind", "alabama"}, {"from", 0}, {"to", 1}, {"baustein", "B2"}, {"recipients", who},
                                             {"total_delta_halves", 2}, {"budget_delta_cents", 100}}})}};
  const WhatIfFigures de = whatif_figures(island);
  REQUIRE(de.paradoxes.size() == 1);
  CHECK(de.paradoxes[0] ==
        "Baustein B2 (kim-nrw-2021 → Was-wäre-wenn): Kreis Unna verliert 0,5 VZÄ, obwohl das Budget steigt und insgesamt 1,0 VZÄ mehr "
        "verteilt werden – bei gleichen Empfängern, gleichem Schlüssel und gleicher Regel (Alabama-Paradoxon).");
  CHECK(de.diverging_svg.empty());  // no variant: no chart
  island["lang"] = "en";
  CHECK(whatif_figures(island).paradoxes[0].find("(Alabama paradox).") != std::string::npos);
}

TEST_CASE("whatif: a refusal of the rules is located at the patch entry behind it") {
  const WhatIf api(KIMSIM_SOURCE_DIR "/scenarios");
  // The refused value set by the patch: its entry, and not the base file's line (the base did
  // not set that value).
  auto e = refusal(api, R"({"bausteine[B2].positions_by_key.min_vza": "20"})");
  CHECK(e["path"] == "body.patch.bausteine[B2].positions_by_key.min_vza");
  CHECK(has(e, "message", "bausteine[B2].positions_by_key.min_vza: B2: the budget buys"));
  CHECK_FALSE(has(e, "message", ".yaml:"));
  e = refusal(api, R"({"bausteine[B2].budget_eur": "1.00"})");
  CHECK(e["path"] == "body.patch.bausteine[B2].budget_eur");
  CHECK_FALSE(has(e, "message", ".yaml:"));
  // The total sets each Baustein's budget: a Baustein's budget refused is the total's entry.
  e = refusal(api, R"({"budget_eur": "1.00", "bausteine[B2].rate_per_vza_eur": "57000.00"})");
  CHECK(e["path"] == "body.patch.budget_eur");
  CHECK(has(e, "message", "(set by the patch: budget_eur = 1.00)"));
  // The refused value is the base's own (its budget, its minimum): the base file's place kept,
  // the entry that changed the Baustein named and located.
  e = refusal(api, R"({"bausteine[B2].rate_per_vza_eur": "1000000.00", "bausteine[B3].positions_by_key.method": "hamilton"})");
  CHECK(e["path"] == "body.patch.bausteine[B2].rate_per_vza_eur");
  CHECK(has(e, "message", "kim-nrw.yaml:70:"));
  CHECK(has(e, "message", "bausteine[B2].budget_eur: B2: the budget buys"));
  CHECK(has(e, "message", "(under the patch's bausteine[B2].rate_per_vza_eur = 1000000.00)"));
  e = refusal(api, R"({"bausteine[B3].budget_eur": "1000.00"})");
  CHECK(e["path"] == "body.patch.bausteine[B3].budget_eur");
  CHECK(has(e, "message", "kim-nrw.yaml:100:"));
  CHECK(has(e, "message", "bausteine[B3].positions_by_key.min_vza: B3:"));
  // All weights of the key at 0: each entry sets a part of the refused key.
  e = refusal(api, R"({"bausteine[B2].positions_by_key.key.population": "0", "bausteine[B2].positions_by_key.key.schutzsuchende": "0"})");
  CHECK(e["path"] == "body.patch.bausteine[B2].positions_by_key.key.population");
  CHECK(has(e, "message", "set by the patch: bausteine[B2].positions_by_key.key.population = 0, bausteine[B2].positions_by_key.key.schutzsuchende = 0"));
}

TEST_CASE("whatif: a pass-through entry is never what set a refused pass-through") {
  // The model refuses a pass-through only where it is on, as the base has it: an entry that
  // keeps it on changed nothing there, so the refusal is another entry's (one that changed the
  // Baustein), not the pass-through's.
  const LoadedScenario ls = load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  std::string why;
  std::vector<Slot> slots;
  for (const char* path : {"bausteine[B2].budget_eur", "bausteine[B2].pass_through"}) {
    const auto slot = resolve_slot(ls.scenario, path, why);
    REQUIRE_MESSAGE(slot, why);
    slots.push_back(*slot);
  }
  const PatchBlame who = blame(ls.scenario, slots, "bausteine[B2].pass_through");
  CHECK(who.sets.empty());
  CHECK(who.changes == std::vector<std::size_t>{0, 1});
}

TEST_CASE("whatif: an unresolved tie under a patch is located at the patch's entries of its Baustein, the policy at the base's place") {
  // B2 with the tie policy error: the base allocates without a tie; its budget and key patched,
  // two Kreise claim B2's last half position equally (as tests/cli/cases/run-tie-located).
  const ServedCopy served;
  served.write("tie-base.yaml", "extends: kim-nrw-2021.yaml\nscenario: tie-base\nbausteine:\n  - id: B2\n    positions_by_key:\n      ties: error\n");
  const WhatIf api(served.path);
  REQUIRE(api.handle("POST", "/api/evaluate", R"({"scenario": "tie-base"})").status == 200);
  const auto e = refusal(api, R"({"bausteine[B2].budget_eur": "43020000.00", "bausteine[B2].positions_by_key.key.population": "0",
                                  "bausteine[B3].positions_by_key.method": "hamilton"})", "tie-base");
  CHECK(e["path"] == "body.patch.bausteine[B2].budget_eur");
  CHECK(has(e, "message", "tie-base.yaml:6:"));
  CHECK(has(e, "message", "bausteine[B2].positions_by_key.ties: B2: tie:"));
  CHECK(has(e, "message", "(under the patch's bausteine[B2].budget_eur = 43020000.00, bausteine[B2].positions_by_key.key.population = 0)"));
  CHECK(has(e, "hint", "tie"));
}

TEST_CASE("whatif: every answer names each input with its SHA-256, as kimsim run's manifest; a parent or data file edited changes it") {
  const ServedCopy served;
  const auto inputs = [&] {
    // A new WhatIf, as a restarted server: a base is read once per process.
    const auto j = nlohmann::json::parse(WhatIf(served.path).handle("POST", "/api/evaluate", R"({"scenario": "kim-nrw-2021"})").body);
    return std::pair{j["scenario_sha256"], j["inputs"]};
  };
  const auto [top, before] = inputs();
  // The same list as manifest.json of `kimsim run` of the file (each file the run reads).
  CHECK(before == manifest_json(load_scenario((served.path / "kim-nrw-2021.yaml").string()), "", "")["inputs"]);
  REQUIRE(before.size() >= 4);
  CHECK(before[1]["path"].get<std::string>().find("kim-nrw.yaml") != std::string::npos);
  CHECK(top == before[0]["sha256"]);
  served.write("kim-nrw.yaml", "# the parent edited\n", true);
  const auto [top2, parent_edited] = inputs();
  CHECK(top2 == top);  // the scenario file itself is unchanged ...
  CHECK(parent_edited[1]["sha256"] != before[1]["sha256"]);  // ... its parent is not
  {
    std::ifstream in(served.path / "data/nrw_kreise_schutzsuchende_2024.csv");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    served.write("data/nrw_kreise_schutzsuchende_2024.csv", "# a data file edited\n" + text);
  }
  const auto [top3, data_edited] = inputs();
  bool data_changed = false;
  for (std::size_t i = 0; i < data_edited.size(); ++i)
    if (data_edited[i]["path"].get<std::string>().find("schutzsuchende") != std::string::npos)
      data_changed = data_edited[i]["sha256"] != parent_edited[i]["sha256"];
  CHECK(data_changed);
  // GET /api/scenarios names them too.
  const auto list = nlohmann::json::parse(WhatIf(served.path).handle("GET", "/api/scenarios", "").body);
  for (const auto& sc : list["scenarios"])
    if (sc["name"] == "kim-nrw-2021") CHECK(sc["inputs"] == data_edited);
}
