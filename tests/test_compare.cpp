// Comparing allocations: indices on hand-computed cases, winners and losers over territories,
// each paradox flag on a constructed case and its near miss, the Alabama paradox of 1880, and a
// decomposition that adds up to the cent.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/compare_report.hpp"
#include "kimsim/apportion.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/rules.hpp"

using namespace kimsim;

namespace {

/// Regions "R0", "R1", ... at Kreis level with a population each.
Regions toy_regions(const std::vector<double>& population, const std::vector<std::string>& names = {}) {
  Regions r;
  for (std::size_t i = 0; i < population.size(); ++i)
    r.add(Region{"R" + std::to_string(i), names.empty() ? "R" + std::to_string(i) : names[i], RegionType::kreis, "", {}, 0});
  r.indicator_names = {"population"};
  r.indicators.resize(Eigen::Index(population.size()), 1);
  for (std::size_t i = 0; i < population.size(); ++i) r.indicators(Eigen::Index(i), 0) = population[i];
  r.index();
  return r;
}

/// One Baustein "B" of positions by key (unit 0.5 VZÄ, no base) under `method`, 100 cents per VZÄ.
Scenario toy_scenario(Method method) {
  Scenario s;
  Baustein b;
  b.id = "B";
  b.rate_per_vza = 100;
  auto p = std::make_shared<PositionsByKey>();
  p->rule = Rule{method, std::nullopt, TiePolicy::order, 0};
  b.rule = p;
  s.bausteine.push_back(b);
  return s;
}

/// Apportions `house` half positions among the recipients present, by the kernel, into rows.
Allocation toy_allocation(const std::vector<std::uint64_t>& weights, Halves house, Method method,
                          const std::vector<std::size_t>& present) {
  std::vector<std::uint64_t> w;
  std::uint64_t total = 0;
  for (std::size_t i : present) w.push_back(weights[i]), total += weights[i];
  const auto seats = apportion(Rule{method, std::nullopt, TiePolicy::order, 0}, w, house);
  Allocation a;
  for (std::size_t k = 0; k < present.size(); ++k) {
    AllocationRow r;
    r.region = present[k];
    r.halves = seats[k];
    r.cents = seats[k] * 50;
    r.key_share = static_cast<double>(w[k]) / static_cast<double>(total);
    r.quota = static_cast<double>(house) * r.key_share / 2.0;
    a.rows.push_back(r);
  }
  return a;
}

std::vector<std::size_t> all_of(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

std::vector<Paradox> paradoxes(const Regions& regions, const Scenario& s1, const Allocation& a1, const Scenario& s2,
                               const Allocation& a2) {
  const ComparedScenario c[] = {{"before", &s1, &regions, &a1}, {"after", &s2, &regions, &a2}};
  return find_paradoxes(c);
}

AllocationRow row(std::size_t region, Halves halves, Cents cents, double key_share, double quota,
                  std::optional<std::size_t> passed_on_by = std::nullopt) {
  AllocationRow r;
  r.region = region, r.halves = halves, r.cents = cents, r.key_share = key_share, r.quota = quota;
  r.passed_on_by = passed_on_by;
  return r;
}

}  // namespace

TEST_CASE("Gallagher, Loosemore-Hanby, Gini and max/min on a hand-computed case") {
  // Three territories with 100, 100 and 200 inhabitants; positions 2.0, 2.0, 1.0 VZÄ (shares
  // 40/40/20 %), 400, 400 and 200 cents: 4, 4 and 1 cent per inhabitant.
  const Regions regions = toy_regions({100, 100, 200});
  const Scenario s = toy_scenario(Method::sainte_lague);
  Allocation a;
  a.rows = {row(0, 4, 400, 0.5, 2.25), row(1, 4, 400, 0.25, 1.75), row(2, 2, 200, 0.25, 1.0)};
  const ComparedScenario c[] = {{"one", &s, &regions, &a}, {"two", &s, &regions, &a}};
  const Comparison cmp = compare(c);
  REQUIRE(cmp.fairness.size() == 2);
  const Fairness& f = cmp.fairness[0][0];
  CHECK(f.baustein == "B");
  // Against the key 50/25/25: differences -10, +15, -5 points.
  CHECK(*f.loosemore_hanby_key == doctest::Approx(15.0));
  CHECK(*f.gallagher_key == doctest::Approx(std::sqrt((100.0 + 225.0 + 25.0) / 2.0)));
  // Against the quotas 2.25/1.75/1.0 of 5 (45/35/20 %): -5, +5, 0 points.
  CHECK(*f.loosemore_hanby_quota == doctest::Approx(5.0));
  CHECK(*f.gallagher_quota == doctest::Approx(5.0));
  // x = 4, 4, 1 per inhabitant, weights 100, 100, 200: sum_ij w_i w_j |x_i - x_j| = 240,000;
  // 2 W^2 mu = 2 * 400^2 * 2.5 = 800,000; G = 0.3.
  REQUIRE(f.gini.size() == 1);
  CHECK(f.gini[0].first == "population");
  CHECK(*f.gini[0].second == doctest::Approx(0.3));
  CHECK(*f.max_min_ratio == doctest::Approx(4.0));
  // Equal euros per inhabitant: Gini 0.
  Allocation even;
  even.rows = {row(0, 2, 100, 0.25, 1), row(1, 2, 100, 0.25, 1), row(2, 4, 200, 0.5, 2)};
  const ComparedScenario e[] = {{"even", &s, &regions, &even}, {"even2", &s, &regions, &even}};
  CHECK(*compare(e).fairness[0][0].gini[0].second == doctest::Approx(0.0));
  // No key (fixed staffing): no key indices, but quota indices.
  Allocation nokey;
  nokey.rows = {row(0, 4, 400, 0, 2), row(1, 4, 400, 0, 2), row(2, 2, 200, 0, 1)};
  const ComparedScenario n[] = {{"nokey", &s, &regions, &nokey}, {"nokey2", &s, &regions, &nokey}};
  const Fairness fn = compare(n).fairness[0][0];
  CHECK_FALSE(fn.gallagher_key.has_value());
  CHECK(*fn.gallagher_quota == doctest::Approx(0.0));
}

TEST_CASE("recipients held at the minimum and at the maximum") {
  const Regions regions = toy_regions({100, 100, 200});
  Scenario s = toy_scenario(Method::sainte_lague);
  auto& p = edit_rule<PositionsByKey>(s.bausteine[0]);
  p.min = 2, p.max = 6;  // 1.0 and 3.0 VZÄ
  Allocation a;
  // R0 at the minimum of 1.0 VZÄ with a claim of 0.4; R1 at 1.0 with a claim of 1.0 (the key,
  // not the bound, gave it); R2 at the maximum of 3.0 with a claim of 3.6.
  a.rows = {row(0, 2, 100, 0.08, 0.4), row(1, 2, 100, 0.2, 1.0), row(2, 6, 300, 0.72, 3.6)};
  const ComparedScenario c[] = {{"a", &s, &regions, &a}, {"b", &s, &regions, &a}};
  const Fairness f = compare(c).fairness[0][0];
  CHECK(f.held_at_minimum == std::vector<std::size_t>{0});
  CHECK(f.held_at_maximum == std::vector<std::size_t>{2});
}

TEST_CASE("winners, losers, money moved in half cents, the largest gains and losses") {
  const Regions regions = toy_regions({100, 100, 100});
  const Scenario s = toy_scenario(Method::sainte_lague);
  Allocation base, variant;
  base.rows = {row(0, 0, 1000, 0, 0), row(1, 0, 500, 0, 0)};
  variant.rows = {row(0, 0, 700, 0, 0), row(1, 0, 500, 0, 0), row(2, 0, 301, 0, 0)};
  const ComparedScenario c[] = {{"base", &s, &regions, &base}, {"variant", &s, &regions, &variant}};
  const Comparison cmp = compare(c);
  REQUIRE(cmp.changes.size() == 1);
  const VariantChange& v = cmp.changes[0];
  CHECK(v.winners == 1);
  CHECK(v.losers == 1);
  CHECK(v.gained == 301);
  CHECK(v.lost == 300);
  CHECK(v.moved_half_cents == 601);  // 300.5 cents: the odd L1 sum is kept, not rounded
  REQUIRE(v.top_gains.size() == 1);
  CHECK(v.top_gains[0].region == 2);
  REQUIRE(v.top_losses.size() == 1);
  CHECK(v.top_losses[0].region == 0);
  CHECK(v.top_losses[0].cents == -300);
  // R2 has a row only in the variant.
  REQUIRE(cmp.recipients.size() == 3);
  CHECK(cmp.recipients[2].present == std::vector<std::uint8_t>{0, 1});
}

/// Kreis Unna passing 1.0 VZÄ on to Kamen (`with`), or keeping them (`without`).
struct PassThroughPair {
  Regions regions;
  Scenario s = toy_scenario(Method::sainte_lague);
  Allocation with, without;
  explicit PassThroughPair(const std::string& kamen) {
    regions.add(Region{"05978", "Unna", RegionType::kreis, "", {}, 0});
    regions.add(Region{"05978020", kamen, RegionType::gemeinde, "05978", {}, 0});
    regions.indicator_names = {"population"};
    regions.indicators.resize(2, 1);
    regions.indicators << 400000, 40000;
    regions.index();
    with.rows = {row(0, 14, 700, 1.0, 8.0), row(1, 2, 100, 0, 1.0, std::size_t{0})};
    without.rows = {row(0, 16, 800, 1.0, 8.0)};
  }
};

TEST_CASE("a territory: a Kreis with the Gemeinden it passes shares to shows no false winners") {
  const PassThroughPair p("Kamen");
  const Regions& regions = p.regions;
  const Scenario& s = p.s;
  const Allocation &with = p.with, &without = p.without;
  const ComparedScenario c[] = {{"pass-through", &s, &regions, &with}, {"none", &s, &regions, &without}};
  const Comparison cmp = compare(c);
  CHECK(cmp.changes[0].winners == 0);
  CHECK(cmp.changes[0].losers == 0);
  CHECK(cmp.changes[0].moved_half_cents == 0);
  REQUIRE(cmp.territories.size() == 1);
  CHECK(cmp.territories[0].halves == std::vector<Halves>{16, 16});
  // Per recipient the shift is visible: Unna +1.0 VZÄ, Kamen -1.0 VZÄ.
  REQUIRE(cmp.recipients.size() == 2);
  CHECK(cmp.recipients[0].halves == std::vector<Halves>{14, 16});
  CHECK(cmp.recipients[1].halves == std::vector<Halves>{2, 0});
  // Kamen counts once: Unna's population, not Unna's plus Kamen's.
  CHECK(cmp.fairness[0][0].gini[0].second.has_value());
}

TEST_CASE("different region sets are refused, naming the first difference") {
  const Regions two = toy_regions({1, 2}), three = toy_regions({1, 2, 3});
  const Scenario s = toy_scenario(Method::sainte_lague);
  const Allocation a;
  const ComparedScenario c[] = {{"base", &s, &two, &a}, {"variant", &s, &three, &a}};
  CHECK_THROWS_WITH_AS(compare(c),
                       "'variant' covers other regions than 'base': 3 regions there, 2 in 'base' (R2 R2 only in 'variant')",
                       InputError);
  const ComparedScenario one[] = {{"base", &s, &two, &a}};
  CHECK_THROWS_AS(compare(one), InputError);
}

TEST_CASE("Alabama flag: a larger house takes a position from a recipient; not under Sainte-Laguë") {
  // Weights 1, 3, 3: Hamilton gives 1, 1, 1 of 3 units and 0, 2, 2 of 4.
  const Regions regions = toy_regions({1, 3, 3});
  const std::vector<std::uint64_t> w{1, 3, 3};
  const Scenario ham = toy_scenario(Method::hamilton);
  const Allocation h3 = toy_allocation(w, 3, Method::hamilton, all_of(3)), h4 = toy_allocation(w, 4, Method::hamilton, all_of(3));
  const auto p = paradoxes(regions, ham, h3, ham, h4);
  REQUIRE(p.size() == 1);
  CHECK(p[0].kind == ParadoxKind::alabama);
  CHECK(p[0].recipients == std::vector<std::size_t>{0});
  CHECK(p[0].reason == "before → after, B: 1.5 → 2.0 VZÄ with the same recipients, key and rule, but R0 falls 0.5 → 0.0 VZÄ");
  // The reverse pair (a smaller house) is the same paradox seen from the other side.
  CHECK(paradoxes(regions, ham, h4, ham, h3).size() == 1);
  // Near miss: Sainte-Laguë is house monotone.
  const Scenario sl = toy_scenario(Method::sainte_lague);
  CHECK(paradoxes(regions, sl, toy_allocation(w, 3, Method::sainte_lague, all_of(3)), sl,
                  toy_allocation(w, 4, Method::sainte_lague, all_of(3)))
            .empty());
  // Near miss: the same drop with a changed key is no Alabama paradox (something else changed).
  const Allocation other = toy_allocation({1, 3, 4}, 4, Method::hamilton, all_of(3));
  for (const auto& x : paradoxes(regions, ham, h3, ham, other)) CHECK(x.kind != ParadoxKind::alabama);
  // Near miss: a different method is a different rule.
  CHECK(paradoxes(regions, ham, h3, sl, h4).empty());
}

TEST_CASE("population flag: a recipient whose weight rose relative to another's loses to it") {
  // Weights 1, 2, 12 -> 1, 3, 13 at 7 units: Hamilton 0, 1, 6 -> 1, 1, 5. R2's weight rose
  // relative to R0's (13/1 > 12/1), yet R2 loses a unit to R0.
  const Regions regions = toy_regions({1, 2, 12});
  const Scenario ham = toy_scenario(Method::hamilton);
  const auto p = paradoxes(regions, ham, toy_allocation({1, 2, 12}, 7, Method::hamilton, all_of(3)), ham,
                           toy_allocation({1, 3, 13}, 7, Method::hamilton, all_of(3)));
  REQUIRE(p.size() == 1);
  CHECK(p[0].kind == ParadoxKind::population);
  CHECK(p[0].recipients == std::vector<std::size_t>{2, 0});
  CHECK(p[0].reason ==
        "before → after, B: R2's key weight rose relative to R0's, yet it falls 3.0 → 2.5 VZÄ while R0 rises 0.0 → 0.5");
  // Near miss: Sainte-Laguë (a divisor method) is population monotone: 0, 1, 6 both times.
  const Scenario sl = toy_scenario(Method::sainte_lague);
  CHECK(paradoxes(regions, sl, toy_allocation({1, 2, 12}, 7, Method::sainte_lague, all_of(3)), sl,
                  toy_allocation({1, 3, 13}, 7, Method::sainte_lague, all_of(3)))
            .empty());
  // Near miss: where R2's weight fell relative to R0's, its loss is no paradox.
  CHECK(paradoxes(regions, ham, toy_allocation({1, 2, 12}, 7, Method::hamilton, all_of(3)), ham,
                  toy_allocation({2, 3, 12}, 7, Method::hamilton, all_of(3)))
            .empty());
}

TEST_CASE("new-recipient flag: a recipient added reorders two others") {
  // Weights 1, 2, 8 at 5 units: Hamilton 0, 1, 4. R3 (weight 8) joins at 8 units: 1, 1, 3, 3 —
  // R0 gains from R2 though their weights stand as before.
  const Regions regions = toy_regions({1, 2, 8, 8});
  const std::vector<std::uint64_t> w{1, 2, 8, 8};
  const Scenario ham = toy_scenario(Method::hamilton);
  const auto p = paradoxes(regions, ham, toy_allocation(w, 5, Method::hamilton, {0, 1, 2}), ham,
                           toy_allocation(w, 8, Method::hamilton, all_of(4)));
  REQUIRE(p.size() == 1);
  CHECK(p[0].kind == ParadoxKind::new_recipient);
  CHECK(p[0].recipients == std::vector<std::size_t>{2, 0});
  CHECK(p[0].reason == "before → after, B: 1 recipient(s) added, 0 removed; R2 falls 2.0 → 1.5 VZÄ and R0 rises 0.0 → 0.5 "
                       "though their key weights stand as before");
  // Near miss: under Sainte-Laguë the newcomer takes its 3 units and the others keep 0, 1, 4.
  const Scenario sl = toy_scenario(Method::sainte_lague);
  CHECK(paradoxes(regions, sl, toy_allocation(w, 5, Method::sainte_lague, {0, 1, 2}), sl,
                  toy_allocation(w, 8, Method::sainte_lague, all_of(4)))
            .empty());
}

namespace {

struct States {
  std::vector<std::string> names;
  std::vector<std::uint64_t> population;
};

States census_1880() {
  std::ifstream in(KIMSIM_TEST_DATA "/us_census_1880.csv");
  States s;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    const auto comma = line.find(',');
    s.names.push_back(line.substr(0, comma));
    s.population.push_back(std::stoull(line.substr(comma + 1)));
  }
  return s;
}

/// The apportionment act of 1850 (Vinton), applied until 1900: each state its lower quota of
/// the house, at least one seat (the Constitution's minimum), the seats left over one each to the
/// states with the largest remainders (states raised to one take no part). Exact in integers.
/// Unlike the kernel's bounded Hamilton (quotas re-divided among the states free of the bound,
/// Balinski-Young), the quotas stay those of the whole house.
std::vector<std::int64_t> statute_1850(const std::vector<std::uint64_t>& p, std::int64_t house, bool minimum_one) {
  std::uint64_t total = 0;
  for (auto x : p) total += x;
  std::vector<std::int64_t> seats(p.size());
  std::vector<std::pair<std::uint64_t, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::uint64_t num = p[i] * static_cast<std::uint64_t>(house);
    seats[i] = static_cast<std::int64_t>(num / total);
    if (minimum_one && seats[i] == 0)
      seats[i] = 1;
    else
      remainders.emplace_back(num % total, i);
    given += seats[i];
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::int64_t k = 0; k < house - given; ++k) ++seats[remainders[static_cast<std::size_t>(k)].second];
  return seats;
}

Allocation seats_as_allocation(const States& s, const std::vector<std::int64_t>& seats) {
  std::uint64_t total = 0;
  for (auto x : s.population) total += x;
  Allocation a;
  for (std::size_t i = 0; i < seats.size(); ++i)
    a.rows.push_back(row(i, seats[i], seats[i] * 50, static_cast<double>(s.population[i]) / static_cast<double>(total), 0));
  return a;
}

}  // namespace

TEST_CASE("the Alabama paradox of 1880: 8 seats in a House of 299, 7 in one of 300") {
  const States s = census_1880();
  REQUIRE(s.names.size() == 38);
  std::uint64_t total = 0;
  for (auto x : s.population) total += x;
  CHECK(total == 49371340);
  std::vector<double> pop(s.population.begin(), s.population.end());
  const Regions regions = toy_regions(pop, s.names);
  auto index = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(s.names.begin(), s.names.end(), name) - s.names.begin());
  };
  // The helper is the kernel's Hamilton where no minimum applies, for every house Seaton tried.
  for (std::int64_t h = 275; h <= 350; ++h)
    REQUIRE(statute_1850(s.population, h, false) == apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::error, 0}, s.population, h));
  // The kernel's vinton with a minimum of one seat is the statute, for every house Seaton tried;
  // its hamilton with the same minimum is not: it re-divides the house among the states above
  // the minimum (quotas clamp(lambda w, 1, inf)), so Nevada's seat moves every other quota.
  const std::vector<std::int64_t> one(s.population.size(), 1);
  const Rule vinton{Method::vinton, std::nullopt, TiePolicy::error, 0};
  for (std::int64_t h = 275; h <= 350; ++h)
    REQUIRE(apportion(vinton, s.population, h, Bounds{one, {}}) == statute_1850(s.population, h, true));
  const auto h299 = apportion(vinton, s.population, 299, Bounds{one, {}}), h300 = apportion(vinton, s.population, 300, Bounds{one, {}});
  const Rule bounded_hamilton{Method::hamilton, std::nullopt, TiePolicy::error, 0};
  CHECK(apportion(bounded_hamilton, s.population, 299, Bounds{one, {}})[index("Alabama")] == 7);
  CHECK(apportion(bounded_hamilton, s.population, 300, Bounds{one, {}})[index("Alabama")] == 8);  // no paradox
  CHECK(h299[index("Alabama")] == 8);
  CHECK(h300[index("Alabama")] == 7);
  CHECK(h299[index("Texas")] == 9);
  CHECK(h300[index("Texas")] == 10);
  CHECK(h299[index("Illinois")] == 18);
  CHECK(h300[index("Illinois")] == 19);
  CHECK(h299[index("Delaware")] == 1);  // quota 0.89, raised to the minimum
  CHECK(h299[index("Nevada")] == 1);    // quota 0.38
  // The detector sees the paradox in the two apportionments (a seat is 0.5 VZÄ to it).
  const Scenario ham = toy_scenario(Method::hamilton);
  const Allocation a299 = seats_as_allocation(s, h299), a300 = seats_as_allocation(s, h300);
  const ComparedScenario c[] = {{"House of 299", &ham, &regions, &a299}, {"House of 300", &ham, &regions, &a300}};
  const auto p = find_paradoxes(c);
  REQUIRE(p.size() == 1);
  CHECK(p[0].kind == ParadoxKind::alabama);
  CHECK(p[0].recipients == std::vector<std::size_t>{index("Alabama")});
  CHECK(p[0].reason == "House of 299 → House of 300, B: 149.5 → 150.0 VZÄ with the same recipients, key and rule, but "
                       "Alabama falls 4.0 → 3.5 VZÄ");
  // The kernel's own Hamilton (no minimum; Nevada gets no seat) has no paradox at 299/300 but one
  // at 298/299, where Florida drops from 2 seats to 1: the detector flags exactly that.
  const auto k298 = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::error, 0}, s.population, 298);
  const auto k299 = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::error, 0}, s.population, 299);
  const auto k300 = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::error, 0}, s.population, 300);
  const Allocation b298 = seats_as_allocation(s, k298), b299 = seats_as_allocation(s, k299), b300 = seats_as_allocation(s, k300);
  const ComparedScenario k[] = {{"298", &ham, &regions, &b298}, {"299", &ham, &regions, &b299}, {"300", &ham, &regions, &b300}};
  const auto q = find_paradoxes(k);
  REQUIRE(q.size() == 2);  // 298 -> 299 and 298 -> 300
  for (const auto& x : q) {
    CHECK(x.kind == ParadoxKind::alabama);
    CHECK(x.from == 0);
    CHECK(x.recipients == std::vector<std::size_t>{index("Florida")});
  }
}

TEST_CASE("decompose: stacked effects add up to the total to the cent; interaction where steps overlap") {
  const Regions regions = toy_regions({1, 1, 1});
  const Scenario s = toy_scenario(Method::sainte_lague);
  auto alloc = [](Cents a, Cents b, Cents c) {
    Allocation x;
    x.rows = {row(0, 0, a, 0, 0), row(1, 0, b, 0, 0), row(2, 0, c, 0, 0)};
    return x;
  };
  const Allocation base = alloc(1000, 1000, 1000);
  // Step 1 moves 101 cents from R0 to R1; step 2 moves 7 from R1 to R2 alone but 13 after step 1.
  const Allocation alone1 = alloc(899, 1101, 1000), alone2 = alloc(1000, 993, 1007);
  const Allocation chain1 = alloc(899, 1101, 1000), chain2 = alloc(899, 1088, 1013);
  const ComparedScenario b{"base", &s, &regions, &base};
  const ComparedScenario alone[] = {{"step 1", &s, &regions, &alone1}, {"step 2", &s, &regions, &alone2}};
  const ComparedScenario chain[] = {{"v1", &s, &regions, &chain1}, {"v2", &s, &regions, &chain2}};
  const Decomposition d = decompose(b, alone, chain);
  REQUIRE(d.lines.size() == 3);
  for (const auto& l : d.lines) {
    Cents sum = 0;
    for (Cents x : l.stacked) sum += x;
    CHECK(sum == l.total);
  }
  CHECK(d.lines[1].total == 88);
  CHECK(d.lines[1].stacked == std::vector<Cents>{101, -13});
  CHECK(d.lines[1].alone == std::vector<Cents>{101, -7});
  CHECK(d.interaction == std::vector<Cents>{0, 12});  // |-7 - -13| + |7 - 13|
  CHECK_THROWS_AS(decompose(b, std::span(alone).first(1), chain), InputError);
}

TEST_CASE("money moved is written exactly, a half cent as a third decimal; deltas carry their sign") {
  CHECK(io::format_half_cents(601) == "3.005");
  CHECK(io::format_half_cents(600) == "3.00");
  CHECK(io::format_half_cents(1) == "0.005");
  CHECK(io::format_half_cents(0) == "0.00");
  const PassThroughPair p("Kamen, Stadt");
  const Regions& regions = p.regions;
  const Scenario& s = p.s;
  const Allocation &with = p.with, &without = p.without;
  const ComparedScenario c[] = {{"with", &s, &regions, &with}, {"without", &s, &regions, &without}};
  const Comparison cmp = compare(c);
  CHECK(io::compare_csv(cmp, regions, false) ==
        "scenario,ags,name,baustein,positions,euros,delta_positions,delta_euros\n"
        "with,05978,Unna,B,7.0,7.00,0.0,0.00\n"
        "with,05978020,\"Kamen, Stadt\",B,1.0,1.00,0.0,0.00\n"
        "without,05978,Unna,B,8.0,8.00,1.0,1.00\n"
        "without,05978020,\"Kamen, Stadt\",B,0.0,0.00,-1.0,-1.00\n");
  CHECK(io::compare_csv(cmp, regions, true) ==
        "scenario,ags,name,baustein,positions,euros,delta_positions,delta_euros\n"
        "with,05978,Unna,B,8.0,8.00,0.0,0.00\n"
        "without,05978,Unna,B,8.0,8.00,0.0,0.00\n");
}
