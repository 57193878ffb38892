// The KIM baseline 2020–2025 (scenarios/kim-nrw.yaml) as the programme ran it: B1 pays every
// coordinator VZÄ exactly the flat amount of its year (for the months funded), the statewide
// count by kind adds up to the positions, and B3 2020 follows its rule of 200 half positions.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "io/report.hpp"
#include "io/scenario.hpp"
#include "kimsim/notes.hpp"
#include "kimsim/model.hpp"

using namespace kimsim;

namespace {

const std::string kBaseline = KIMSIM_SOURCE_DIR "/scenarios/kim-nrw.yaml";

const TraceLine* step(const Trace& t, const std::string& label) {
  const auto it = std::find_if(t.begin(), t.end(), [&](const TraceLine& l) { return l.label == label; });
  return it == t.end() ? nullptr : &*it;
}

std::size_t baustein(const Scenario& s, const std::string& id) {
  for (std::size_t b = 0; b < s.bausteine.size(); ++b)
    if (s.bausteine[b].id == id) return b;
  FAIL("no Baustein " << id);
  return 0;
}

}  // namespace

TEST_CASE("baseline B1: money per coordinator VZÄ is the flat amount exactly, in every year") {
  // The flat amount per VZÄ and year, and the months funded (2020 from July).
  const std::pair<int, Cents> rate[] = {{2020, 5'000'000}, {2021, 5'500'000}, {2022, 5'500'000},
                                        {2023, 5'700'000}, {2024, 5'700'000}, {2025, 5'700'000}};
  for (const auto& yr : rate) {
    const int year = yr.first;
    CAPTURE(year);
    const auto ls = io::load_scenario(kBaseline, io::LoadOptions{year});
    const std::size_t b1 = baustein(ls.scenario, "B1");
    const Baustein& b = ls.scenario.bausteine[b1];
    CHECK(b.months == (year == 2020 ? 6 : 12));
    const Cents per_vza = yr.second * b.months / 12;
    const Plan plan(ls.scenario, ls.regions);
    const Allocation a = allocate(ls.scenario, ls.regions);
    Halves coordinators_total = 0;
    std::size_t rows = 0;
    for (std::size_t row = 0; row < plan.rows().size(); ++row) {
      if (plan.rows()[row].baustein != b1) continue;
      const Trace t = plan.describe({}, row);
      const TraceLine* c = step(t, "coordinators");
      const TraceLine* money = step(t, "coordination");
      REQUIRE(c);
      REQUIRE(money);
      CHECK(step(t, "amount per coordinator VZÄ")->whole.at(0) == per_vza);
      // Cents for coordination = VZÄ x the flat amount, exactly: half positions x half of it.
      CHECK(money->whole.at(0) * 2 == c->whole.at(0) * per_vza);
      coordinators_total += c->whole.at(0);
      ++rows;
    }
    CHECK(rows == 54);
    // Kreise 3.5, kreisfreie Städte and Stadt Aachen 2.5, one more per member Kommune that meets
    // the conditions (the 35 große kreisangehörige Städte; Bocholt from 2021, Moers from 2023).
    const Halves extras = 2 * (year >= 2023 ? 35 : year >= 2021 ? 34 : 33);
    CHECK(coordinators_total == 2 * 108 + 1 + 2 * 57 + 1 + extras);  // 31 x 3.5 and 23 x 2.5 VZÄ
    const BausteinTotals& t = a.totals[b1];
    CHECK(t.kinds.size() == 2);
    CHECK(t.kinds[0] == std::pair<std::string, Halves>{"coordination", coordinators_total});
    CHECK(t.kinds[1] == std::pair<std::string, Halves>{"assistance", 54});
    // The rest is not spread over positions: it stays unallocated, as what it is.
    CHECK(t.unallocated > 0);
    CHECK(t.allocated + t.unallocated == t.budget);
    CHECK(t.unallocated_reason.find("material costs") != std::string::npos);
  }
}

TEST_CASE("baseline: the statewide count by Baustein and kind sums to the positions; the difference to 820 is a number") {
  for (int year = 2020; year <= 2025; ++year) {
    CAPTURE(year);
    const auto ls = io::load_scenario(kBaseline, io::LoadOptions{year});
    const Allocation a = allocate(ls.scenario, ls.regions);
    const auto j = io::summary_json(ls, a);
    double by_kind = 0;
    for (const auto& k : j["positions_by_kind"]) by_kind += k["positions"].get<double>();
    CHECK(by_kind == j["positions"].get<double>());
    for (std::size_t b = 0; b < a.totals.size(); ++b) {
      Halves sum = 0;
      for (const auto& k : a.totals[b].kinds) sum += k.second;
      CHECK(sum == a.totals[b].halves);
    }
    if (year == 2021) {
      REQUIRE(j.contains("published_positions"));
      CHECK(j["published_positions"]["published_over"].get<double>() == 820);
      CHECK(j["published_positions"]["difference"].get<double>() == j["positions"].get<double>() - 820);
      CHECK(j["published_positions"]["closed_by"].get<std::string>().rfind("[A]", 0) == 0);
    } else if (year == 2020 || year >= 2022) {
      CHECK_FALSE(j.contains("published_positions"));  // 820 was said of 2021
    }
    // An observation is compared in the year it was made only: 5 in 2021, 6 in 2022, none later.
    const std::size_t observed = year == 2021 ? 5 : year == 2022 ? 6 : 0;
    CHECK(ls.scenario.observed.size() == observed);
  }
}

TEST_CASE("baseline B3 2020: 200 half positions of 25,000 EUR, an ABH and an EBH half each, at most 3 halves") {
  const auto ls = io::load_scenario(kBaseline, io::LoadOptions{2020});
  const std::size_t b3 = baustein(ls.scenario, "B3");
  const Allocation a = allocate(ls.scenario, ls.regions);
  CHECK(a.totals[b3].halves == 200);
  CHECK(a.totals[b3].allocated == 500'000'000);
  std::size_t at_max = 0, authorities = 0;
  for (const auto& r : a.rows) {
    if (r.baustein != b3) continue;
    ++authorities;
    CHECK(r.halves >= 2);
    CHECK(r.halves <= 3);
    CHECK(r.cents == r.halves * 2'500'000);
    at_max += r.halves == 3;
  }
  CHECK(authorities == 88);  // the regional data's; the source counts 84 funded Kommunen ([A] in the scenario)
  CHECK(at_max == 200 - 2 * 88);
}

TEST_CASE("baseline: months scale every amount per year; a year whose data are of another year says so") {
  const auto ls = io::load_scenario(kBaseline, io::LoadOptions{2020});
  const Allocation a = allocate(ls.scenario, ls.regions);
  const std::size_t b2 = baustein(ls.scenario, "B2");
  for (const auto& r : a.rows)
    if (r.baustein == b2) CHECK(r.cents == r.halves * 1'250'000);  // 25,000 EUR per VZÄ for July to December
  CHECK(a.totals[b2].halves == 2 * 400);
  const auto& notes = ls.regions.notes;
  CHECK(std::any_of(notes.begin(), notes.end(), [](const Note& n) { return n.id == "data_year_kreise" && note_text(n).find("data of 2018, used for 2020") != std::string::npos; }));
  CHECK(std::any_of(notes.begin(), notes.end(), [](const Note& n) { return note_text(n).find("rows hold values marked [A]") != std::string::npos; }));
  CHECK(for_months(5'000'000, 6) == 2'500'000);
  CHECK_FALSE(for_months(100, 5));  // 41.67 cents: no whole number
}

TEST_CASE("baseline: recipients by year, Siegen's ABH with the Kreis from 2024 (exclude_from)") {
  for (int year : {2023, 2024}) {
    CAPTURE(year);
    const auto ls = io::load_scenario(kBaseline, io::LoadOptions{year});
    const std::size_t b3 = baustein(ls.scenario, "B3");
    const Allocation a = allocate(ls.scenario, ls.regions);
    const std::size_t siegen = *ls.regions.find("05970040");
    const bool funded = std::any_of(a.rows.begin(), a.rows.end(), [&](const AllocationRow& r) { return r.baustein == b3 && r.region == siegen; });
    CHECK(funded == (year < 2024));
    CHECK(a.totals[b3].recipients == (year < 2024 ? 88u : 87u));
  }
}
