// The what-if API without the network (io/whatif.hpp): values read as the scenario reader reads
// them, and concurrent requests on the shared compiled base answering exactly as one alone.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "io/patch.hpp"
#include "io/scenario.hpp"
#include "io/whatif.hpp"

using namespace kimsim;
using namespace kimsim::io;

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
