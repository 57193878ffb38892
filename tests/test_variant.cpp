// Variants: merging a chain of scenario files, the path syntax, and where each value came from.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/region_loader.hpp"
#include "io/scenario.hpp"
#include "io/variant.hpp"

using namespace kimsim::io;
namespace fs = std::filesystem;

namespace {

/// A folder of scenario files for one test, removed after it.
struct Folder {
  fs::path dir;
  Folder() {
    char name[] = "/tmp/kimsim-variant-XXXXXX";
    dir = mkdtemp(name);
  }
  ~Folder() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

YAML::Node parse(const std::string& path, std::string& text) {
  std::ifstream in(path);
  text.assign(std::istreambuf_iterator<char>(in), {});
  return YAML::Load(text);
}

const RuleKeys kRules = {"fixed_staffing", "positions_by_key", "money_by_key"};

MergedScenario merge(const std::string& path) { return merge_chain(path, parse, kRules); }

std::string error_of(const std::string& path) {
  try {
    merge(path);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

const char* kBase = R"(scenario: base
year: 2021
budget_eur: 100.00
sources: [a, b]
data:
  kreise: data/k.csv
  indicators:
    - file: data/s.csv
      key: kreis_ags
      columns: {schutzsuchende: s}
bausteine:
  - id: B1
    budget_eur: 40.00
    fixed_staffing:
      per_type: {kreis: 1.0}
  - id: B2
    budget_eur: 60.00
    positions_by_key:
      key: {population: 0.5, schutzsuchende: 0.5}
      base_vza: 3.0
      method: sainte-lague
    pass_through:
      - kreis: "05978"
        key: population
)";

}  // namespace

TEST_CASE("value paths: dotted keys, list items by their merge key or position") {
  const auto p = parse_value_path("bausteine[B2].positions_by_key.key.population");
  REQUIRE(p);
  REQUIRE(p->size() == 4);
  CHECK((*p)[0].key == "bausteine");
  CHECK(*(*p)[0].item == "B2");
  CHECK((*p)[3].key == "population");
  CHECK_FALSE((*p)[3].item);
  CHECK(parse_value_path("data.indicators[data/s.csv].columns"));
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "a[", "a[]", "a[b", "a[b]c", "a[[b]]"})
    CHECK_MESSAGE(!parse_value_path(bad), bad);
  CHECK(merge_key_of("bausteine") == "id");
  CHECK(merge_key_of("bausteine[B2].pass_through") == "kreis");
  CHECK(merge_key_of("simulation.years") == "year");
  CHECK(merge_key_of("sources").empty());
}

TEST_CASE("a variant merges maps by key, lists by their merge key, and replaces a key whole") {
  Folder f;
  f.write("base.yaml", kBase);
  const std::string v = f.write("variants/v.yaml", R"(extends: ../base.yaml
sources: [c]
bausteine:
  - id: B2
    positions_by_key:
      key: {population: 1.0}
      min_vza: 1.0
  - id: B4
    budget_eur: 0.00
)");
  const MergedScenario m = merge(v);
  REQUIRE(m.files.size() == 2);
  CHECK(m.files[0].path == v);
  // Its own name, from the file: results never land in the base's folder.
  CHECK(m.root["scenario"].Scalar() == "v");
  CHECK(m.root["budget_eur"].Scalar() == "100.00");
  // Sources add up (provenance accumulates).
  REQUIRE(m.root["sources"].size() == 3);
  CHECK(m.root["sources"][2].Scalar() == "c");
  const YAML::Node bs = m.root["bausteine"];
  REQUIRE(bs.size() == 3);
  CHECK(bs[2]["id"].Scalar() == "B4");
  const YAML::Node pk = bs[1]["positions_by_key"];
  // The key replaced whole: population only.
  CHECK(pk["key"].size() == 1);
  CHECK(pk["key"]["population"].Scalar() == "1.0");
  CHECK(pk["base_vza"].Scalar() == "3.0");
  CHECK(pk["min_vza"].Scalar() == "1.0");
  CHECK(bs[1]["pass_through"].size() == 1);
  // Where each value came from: the variant's own values name the variant, the rest the base.
  CHECK(m.file_of("bausteine[B2].positions_by_key.key.population") == v);
  CHECK(m.file_of("bausteine[B2].positions_by_key.min_vza") == v);
  CHECK(m.file_of("bausteine[B2].positions_by_key.base_vza") == m.files[1].path);
  CHECK(m.file_of("bausteine[B4].budget_eur") == v);
  CHECK(m.file_of("budget_eur") == m.files[1].path);
  CHECK(m.file_of("sources[2]") == v);
  CHECK(m.file_of("sources[0]") == m.files[1].path);
  // The marks are those of the file that set the value.
  CHECK(pk["min_vza"].Mark().line == 6);
  CHECK(pk["base_vza"].Mark().line == 19);
}

TEST_CASE("a rule block of another type replaces the base's rule") {
  Folder f;
  f.write("base.yaml", kBase);
  const MergedScenario m = merge(f.write("v.yaml", R"(extends: base.yaml
scenario: money
bausteine:
  - id: B2
    money_by_key:
      key: {population: 1.0}
)"));
  const YAML::Node b2 = m.root["bausteine"][1];
  CHECK_FALSE(b2["positions_by_key"]);
  CHECK(b2["money_by_key"]);
  CHECK(m.root["scenario"].Scalar() == "money");
}

TEST_CASE("remove deletes values of the base; a path that matches nothing is a located error") {
  Folder f;
  f.write("base.yaml", kBase);
  const MergedScenario m = merge(f.write("v.yaml", R"(extends: base.yaml
remove:
  - bausteine[B2].pass_through[05978]
  - bausteine[B1]
  - data.indicators[data/s.csv]
)"));
  REQUIRE(m.root["bausteine"].size() == 1);
  CHECK(m.root["bausteine"][0]["id"].Scalar() == "B2");
  CHECK(m.root["bausteine"][0]["pass_through"].size() == 0);
  CHECK(m.root["data"]["indicators"].size() == 0);

  const std::string e = error_of(f.write("bad.yaml", "extends: base.yaml\nremove:\n  - bausteine[B3]\n  - bausteine[B2].positions_by_kee\n"));
  CHECK(e.find("bad.yaml:3:5: remove[0]: 'bausteine[B3]' matches nothing: bausteine has no item [B3]; it has "
               "bausteine[B1], bausteine[B2]") != std::string::npos);
  CHECK(e.find("bad.yaml:4:5: remove[1]: 'bausteine[B2].positions_by_kee' matches nothing: bausteine[B2] has no key "
               "'positions_by_kee' (did you mean 'positions_by_key'?)") != std::string::npos);
  CHECK(error_of(f.write("own.yaml", std::string(kBase) + "remove: [year]\n")).find("only a variant") != std::string::npos);
}

TEST_CASE("chains: a variant of a variant; a cycle and a missing base are located errors") {
  Folder f;
  f.write("base.yaml", kBase);
  f.write("a.yaml", "extends: base.yaml\nscenario: a\nyear: 2022\n");
  const MergedScenario m = merge(f.write("b.yaml", "extends: a.yaml\nbudget_eur: 101.00\n"));
  REQUIRE(m.files.size() == 3);
  CHECK(m.root["year"].Scalar() == "2022");
  CHECK(m.root["scenario"].Scalar() == "b");
  CHECK(m.file_of("year") == m.files[1].path);
  CHECK(m.file_of("budget_eur") == m.files[0].path);
  CHECK(m.file_of("sources") == m.files[2].path);

  f.write("c1.yaml", "extends: c2.yaml\n");
  const std::string cycle = error_of(f.write("c2.yaml", "scenario: x\nextends: c1.yaml\n"));
  CHECK(cycle.find("c1.yaml:1:10: extends: the chain") != std::string::npos);
  CHECK(cycle.find("returns to a file it already extends") != std::string::npos);
  const std::string missing = error_of(f.write("m.yaml", "extends: nowhere.yaml\n"));
  CHECK(missing.find("m.yaml:1:10: extends: the base scenario ") != std::string::npos);
  CHECK(missing.find("No such file or directory") != std::string::npos);
}

TEST_CASE("resolve prints the effective scenario with the file and line of each value") {
  Folder f;
  const std::string base = f.write("base.yaml", kBase);
  const std::string v = f.write("v.yaml", "extends: base.yaml\nyear: 2023\n");
  const std::string text = resolved_text(merge(v));
  CHECK(text.find("year: 2023  # " + v + ":2\n") != std::string::npos);
  CHECK(text.find("budget_eur: 100.00  # " + base + ":3\n") != std::string::npos);
  CHECK(text.find("  - kreis: \"05978\"  # " + base + ":23\n") != std::string::npos);
  // It reads back as the same document.
  const YAML::Node again = YAML::Load(text);
  CHECK(again["bausteine"][1]["pass_through"][0]["kreis"].Scalar() == "05978");
  CHECK(again["bausteine"][1]["positions_by_key"]["key"]["schutzsuchende"].Scalar() == "0.5");
  CHECK(again["scenario"].Scalar() == "v");
}

TEST_CASE("dated values: the latest year not after the scenario's; a plain number for every year") {
  Folder f;
  f.write("base.yaml", std::string(kBase) + "rate_per_vza_eur: {2020: 50000.00, 2021: 55000.00, 2023: 57000.00}\n");
  MergedScenario m = merge(f.write("v.yaml", "extends: base.yaml\nbudget_eur: {2022: 75.00}\n"));
  std::vector<std::string> errors;
  const auto dated = settle_dated(m, 2022, errors);
  REQUIRE(dated.size() == 2);
  CHECK(m.root["rate_per_vza_eur"].Scalar() == "55000.00");
  CHECK(m.root["rate_per_vza_eur"].Mark().line == 24);  // its 2021 entry, on line 25
  REQUIRE(errors.empty());
  CHECK(m.root["budget_eur"].Scalar() == "75.00");
  const DatedValue& rate = dated[0].path == "rate_per_vza_eur" ? dated[0] : dated[1];
  CHECK(rate.at(2019) == std::nullopt);
  CHECK(rate.at(2020)->Scalar() == "50000.00");
  CHECK(rate.at(2030)->Scalar() == "57000.00");
  // Before the first year given: an error at the value, in the file that set it.
  MergedScenario early = merge(f.write("early.yaml", "extends: base.yaml\nbudget_eur: {2022: 75.00}\n"));
  settle_dated(early, 2021, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("early.yaml:2:13: budget_eur: no value for 2021 or before: the first year given is 2022") !=
        std::string::npos);
}

TEST_CASE("dated values given out of order settle to the latest year not after the one asked for") {
  // Sorting the years must not assign one YAML::Node to another (yaml-cpp overwrites the first).
  Folder f;
  MergedScenario m = merge(f.write("s.yaml", std::string(kBase) + "rate_per_vza_eur: {2023: 57000.00, 2020: 50000.00, 2021: 55000.00}\n"));
  std::vector<std::string> errors;
  const auto dated = settle_dated(m, 2022, errors);
  REQUIRE(errors.empty());
  CHECK(m.root["rate_per_vza_eur"].Scalar() == "55000.00");
  const DatedValue& rate = dated[0];
  REQUIRE(rate.by_year.size() == 3);
  CHECK(rate.at(2020)->Scalar() == "50000.00");
  CHECK(rate.at(2021)->Scalar() == "55000.00");
  CHECK(rate.at(2023)->Scalar() == "57000.00");
}

TEST_CASE("a scenario that is no mapping is not taken for one with an empty extends") {
  Folder f;
  // YAML::Node() is a null node, not an absent one: the root's kind is for the reader to report.
  CHECK(error_of(f.write("list.yaml", "- extends: base.yaml\n")).empty());
  CHECK(error_of(f.write("text.yaml", "just text\n")).empty());
}

TEST_CASE("an indicator file matched by file keeps the base's name; its values are the variant's") {
  Folder f;
  const std::string base = f.write("base.yaml", kBase);
  const std::string v = f.write("variants/v.yaml", R"(extends: ../base.yaml
data:
  indicators:
    - file: ../data/s.csv
      columns: {schutzsuchende: t}
)");
  const MergedScenario m = merge(v);
  const YAML::Node ind = m.root["data"]["indicators"];
  REQUIRE(ind.size() == 1);
  // Relative to the base's folder, as the base wrote it: the variant's spelling is relative to its own.
  CHECK(ind[0]["file"].Scalar() == "data/s.csv");
  CHECK(ind[0]["columns"]["schutzsuchende"].Scalar() == "t");
  CHECK(m.file_of("data.indicators[data/s.csv].file") == base);
  // A selector holding dots: the value below it is still found as the variant's.
  CHECK(m.file_of("data.indicators[data/s.csv].columns.schutzsuchende") == v);
  CHECK(m.file_of("data.indicators[data/s.csv].key") == base);
  // An indicator file the variant adds is the variant's, down to its keys.
  const std::string w = f.write("variants/w.yaml", "extends: ../base.yaml\ndata:\n  indicators:\n    - file: x.csv\n      key: ags\n");
  CHECK(merge(w).file_of("data.indicators[x.csv].key") == w);
}

TEST_CASE("an item given twice in one variant is an error, not a silent overwrite") {
  Folder f;
  f.write("base.yaml", kBase);
  const std::string e = error_of(f.write("v.yaml", R"(extends: base.yaml
bausteine:
  - id: B2
    budget_eur: 50.00
  - id: B2
    budget_eur: 10.00
)"));
  CHECK(e.find("v.yaml:5:5: bausteine[B2]: given twice (also at line 3); give each id once") != std::string::npos);
}

TEST_CASE("remove: every path names a value of the base, before any is deleted") {
  Folder f;
  f.write("base.yaml", std::string(kBase) + "assumptions: [a0, a1, a2, a3]\n");
  const MergedScenario m = merge(f.write("v.yaml", R"(extends: base.yaml
remove:
  - assumptions[0]
  - assumptions[2]
  - bausteine[B1]
)"));
  const YAML::Node a = m.root["assumptions"];
  REQUIRE(a.size() == 2);
  CHECK(a[0].Scalar() == "a1");
  CHECK(a[1].Scalar() == "a3");
  REQUIRE(m.root["bausteine"].size() == 1);
  CHECK(m.root["bausteine"][0]["id"].Scalar() == "B2");
}

TEST_CASE("remove: a value named twice, or inside another the list names, is an error at the later entry") {
  Folder f;
  f.write("base.yaml", std::string(kBase) + "assumptions: [a0, a1, a2, a3]\n");
  const std::string e = error_of(f.write("v.yaml", R"(extends: base.yaml
remove:
  - bausteine[B1]
  - bausteine[B1].budget_eur
  - assumptions[1]
  - assumptions[1]
  - bausteine[B2].budget_eur
  - bausteine[B2]
)"));
  CHECK(e.find("v.yaml:4:5: remove[1]: 'bausteine[B1].budget_eur' lies inside bausteine[B1], which remove[0] (") !=
        std::string::npos);
  CHECK(e.find("v.yaml:6:5: remove[3]: 'assumptions[1]' is named by remove[2] (") != std::string::npos);
  CHECK(e.find("v.yaml:8:5: remove[5]: 'bausteine[B2]' holds bausteine[B2].budget_eur, which remove[4] (") !=
        std::string::npos);
  // Paths that share a beginning but not a value are no overlap.
  const MergedScenario m = merge(f.write("w.yaml", R"(extends: base.yaml
remove:
  - assumptions[1]
  - assumptions[2]
)"));
  CHECK(m.root["assumptions"].size() == 2);
}

TEST_CASE("a dated value holds numbers; mappings of indicator names are never dated") {
  Folder f;
  MergedScenario m = merge(f.write("s.yaml", std::string(kBase) + R"(programme: {2020: a, 2021: b}
validation: {columns: {2019: einwohner_2019}}
simulation:
  indicator_noise: {2019: 0.05}
)"));
  // Text by year is no dated value: the reader reports the mapping where text belongs.
  std::vector<std::string> errors;
  const auto dated = settle_dated(m, 2021, errors);
  CHECK(errors.empty());
  CHECK(dated.empty());
  CHECK(m.root["programme"].IsMap());
  CHECK(m.root["simulation"]["indicator_noise"].IsMap());
  // An indicator called 2019 in a key and in a file's columns.
  MergedScenario k = merge(f.write("k.yaml", R"(year: 2021
data:
  indicators:
    - {file: a.csv, key: ags, columns: {2019: pop_2019, 2020: pop_2020}}
    - {file: b.csv, key: ags, columns: {2021: "12"}}
bausteine:
  - id: B2
    positions_by_key:
      key: {2019: 0.5, 2020: 0.5}
)"));
  CHECK(settle_dated(k, 2021, errors).empty());
  CHECK(errors.empty());
  CHECK(k.root["bausteine"][0]["positions_by_key"]["key"].size() == 2);
  CHECK(k.root["data"]["indicators"][1]["columns"].IsMap());
}

TEST_CASE("a mistyped year in a dated value is an error at its key, in the file that wrote it") {
  Folder f;
  f.write("base.yaml", std::string(kBase) + "rate_per_vza_eur: {2020: 50000.00, 2021: 55000.00}\n" +
                           "validation:\n  observed_positions: {B2: {5978: 8, 5158: 9}}\n");
  const std::string v = f.write("v.yaml", "extends: base.yaml\nrate_per_vza_eur: {2024: 58000.00, 225: 59000.00}\n");
  MergedScenario m = merge(v);
  std::vector<std::string> errors;
  settle_dated(m, 2021, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == v + ":2:36: rate_per_vza_eur: '225' is not a year: a value given by year has four-digit years as keys, such as 2021");
  // The observed positions of recipients written without their leading zero stay a mapping of
  // AGS (the reader says "did you mean 05978?"), not a value given by year.
  CHECK(m.root["validation"]["observed_positions"]["B2"].IsMap());
}

TEST_CASE("remove keeps the place of the entry that removed a value") {
  Folder f;
  f.write("base.yaml", kBase);
  const std::string v = f.write("v.yaml", "extends: base.yaml\nremove:\n  - year\n  - bausteine[B2].pass_through\n");
  const MergedScenario m = merge(v);
  REQUIRE(m.removed.size() == 2);
  CHECK(m.removed.at("year") == v + ":3:5: remove[0]");
  CHECK(m.removed.at("bausteine[B2].pass_through") == v + ":4:5: remove[1]");
}

TEST_CASE("a year a variant adds to its base's dated value is located in the variant") {
  Folder f;
  const std::string base = f.write("base.yaml", std::string(kBase) + "rate_per_vza_eur: {2020: 50000.00, 2021: 55000.00}\n");
  const std::string v = f.write("v.yaml", "extends: base.yaml\nrate_per_vza_eur: {2023: 57000.00}\n");
  MergedScenario m = merge(v);
  std::vector<std::string> errors;
  settle_dated(m, 2023, errors);
  CHECK(m.root["rate_per_vza_eur"].Scalar() == "57000.00");
  CHECK(m.file_of("rate_per_vza_eur") == v);
  CHECK(m.root["rate_per_vza_eur"].Mark().line == 1);
  MergedScenario early = merge(v);
  settle_dated(early, 2022, errors);
  CHECK(early.root["rate_per_vza_eur"].Scalar() == "55000.00");
  CHECK(early.file_of("rate_per_vza_eur") == base);
  CHECK(errors.empty());
}

TEST_CASE("simulation years: a year a variant adds takes its place; a dated value in a year is that year's") {
  Folder f;
  f.write("base.yaml", std::string(kBase) + R"(simulation:
  years:
    - {year: 2021, budget_factor: 1.0}
    - {year: 2023, budget_factor: 1.5, rate_per_vza_eur: {2020: 56000.00, 2023: 57000.00}}
)");
  MergedScenario m = merge(f.write("v.yaml", R"(extends: base.yaml
simulation:
  years:
    - {year: 2024, budget_factor: 2.0}
    - {year: 2022, budget_factor: 1.2}
    - {year: 2020, budget_factor: 0.5}
)"));
  const YAML::Node ys = m.root["simulation"]["years"];
  REQUIRE(ys.size() == 5);
  const char* order[] = {"2020", "2021", "2022", "2023", "2024"};
  for (std::size_t i = 0; i < 5; ++i) CHECK(ys[i]["year"].Scalar() == order[i]);
  CHECK(ys[2]["budget_factor"].Scalar() == "1.2");
  CHECK(ys[3]["budget_factor"].Scalar() == "1.5");
  std::vector<std::string> errors;
  settle_dated(m, 2021, errors);
  CHECK(errors.empty());
  CHECK(m.root["simulation"]["years"][3]["rate_per_vza_eur"].Scalar() == "57000.00");
}

TEST_CASE("data files shared by the scenarios of a comparison are read and parsed once") {
  const std::string root = KIMSIM_SOURCE_DIR "/scenarios/";
  DataCache cache;
  LoadOptions with_cache;
  with_cache.cache = &cache;
  const LoadedScenario base = load_scenario(root + "kim-nrw-2021.yaml", with_cache);
  CHECK(cache.parses() == 4);  // Kreise, Gemeinden, Schutzsuchende, B1's extra coordinators
  CHECK(cache.hits() == 0);
  // The variants name the same files by another path (variants/../data/...): the same files.
  const LoadedScenario rate = load_scenario(root + "variants/rate-57000.yaml", with_cache);
  const LoadedScenario ham = load_scenario(root + "variants/hamilton.yaml", with_cache);
  CHECK(cache.parses() == 4);
  CHECK(cache.hits() == 8);
  // What is loaded is what a load without the cache gives: regions, indicators, the manifest's hashes.
  const LoadedScenario fresh = load_scenario(root + "variants/rate-57000.yaml");
  CHECK(rate.inputs == fresh.inputs);
  CHECK(rate.input_sha256 == fresh.input_sha256);
  CHECK(rate.regions.indicators == fresh.regions.indicators);
  CHECK(rate.regions.indicator_names == fresh.regions.indicator_names);
  REQUIRE(rate.regions.list.size() == fresh.regions.list.size());
  for (std::size_t i = 0; i < rate.regions.list.size(); ++i) CHECK(rate.regions.list[i].ags == fresh.regions.list[i].ags);
  CHECK(rate.regions.places.files.size() == fresh.regions.places.files.size());
  CHECK(rate.regions.places.files[0].path == fresh.regions.places.files[0].path);  // its own spelling
  CHECK(base.input_sha256.back() == rate.input_sha256.back());
}

TEST_CASE("the data cache reads a file again once it changed, and keeps no file that failed") {
  Folder f;
  const std::string kreise = "ags,type,name,population,area_km2\n05978,Kreis,Unna,394782,542.70\n05913,Kreisfreie Stadt,Dortmund,587010,280.71\n";
  const std::string gemeinden = "ags,name,kreis_ags,status,population,area_km2\n05978024,Unna,05978,Stadt,58633,88.54\n";
  f.write("data/kreise.csv", kreise);
  f.write("data/gemeinden.csv", gemeinden);
  const std::string s = f.write("s.yaml", R"(scenario: s
programme: p
year: 2021
budget_eur: 100000.00
data: {kreise: data/kreise.csv, gemeinden: data/gemeinden.csv}
bausteine:
  - id: B1
    name: b
    budget_eur: 100000.00
    rate_per_vza_eur: 50000.00
    recipients: {types: [kreis, kreisfreie_stadt]}
    positions_by_key: {key: {population: 1.0}}
)");
  DataCache cache;
  LoadOptions o;
  o.cache = &cache;
  const LoadedScenario a = load_scenario(s, o);
  CHECK(cache.parses() == 2);
  // Another content (and size): parsed again, and the new values are the ones loaded.
  f.write("data/kreise.csv", kreise + "05915,Kreisfreie Stadt,Hamm,178967,226.43\n");
  const LoadedScenario b = load_scenario(s, o);
  CHECK(cache.parses() == 3);
  CHECK(b.regions.list.size() == a.regions.list.size() + 1);
  CHECK(b.input_sha256[1] != a.input_sha256[1]);
  // A file that fails is reported by every scenario that reads it, and not kept.
  f.write("data/kreise.csv", "ags;type;name;population;area_km2\n");
  CHECK_THROWS_AS(load_scenario(s, o), ScenarioError);
  CHECK_THROWS_AS(load_scenario(s, o), ScenarioError);
  CHECK(cache.parses() == 3);
}
