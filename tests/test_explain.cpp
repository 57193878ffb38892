// `explain` cannot drift from `run`: every allocated row of every shipped scenario is computed
// again from its trace alone (the numbers of its steps, TraceLine::whole and ::real) and must
// equal allocate()'s, to the half position and the cent.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/explain.hpp"
#include "io/suggest.hpp"
#include "io/scenario.hpp"
#include "kernel/signpost.hpp"
#include "kimsim/rule.hpp"

using namespace kimsim;
namespace fs = std::filesystem;

namespace {

/// The first step at or after `from` whose label is `label`; nullptr where there is none.
const TraceLine* step(const Trace& t, const std::string& label, std::size_t from = 0) {
  for (std::size_t i = from; i < t.size(); ++i)
    if (t[i].label == label) return &t[i];
  return nullptr;
}
/// The same, required, with its number `k` of `whole`.
std::int64_t whole(const Trace& t, const std::string& label, std::size_t k = 0) {
  const TraceLine* s = step(t, label);
  REQUIRE_MESSAGE(s, "no step '" << label << "'");
  REQUIRE(s->whole.size() > k);
  return s->whole[k];
}
std::int64_t whole_or(const Trace& t, const std::string& label, std::int64_t otherwise) {
  const TraceLine* s = step(t, label);
  return s && !s->whole.empty() ? s->whole[0] : otherwise;
}
bool has_prefix(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

/// Whether a tie line says this recipient was among the tied ones, and what it got.
std::optional<bool> tie_won(const Trace& t, const std::string& prefix) {
  const TraceLine* s = step(t, prefix + "tie");
  if (!s || s->whole.empty()) return std::nullopt;
  return s->whole[0] == 1;
}

/// Largest remainder for a recipient of weight w, from the steps labelled prefix + "...": the
/// bound that holds it, or the floor of shared x w / W plus one unit where its remainder ranks
/// among the units left (or the tie gave it one).
std::int64_t largest_remainder(const Trace& t, const std::string& prefix, std::uint64_t w) {
  for (const std::string held : {"held at the minimum", "held at the maximum", "largest remainder"})
    if (const TraceLine* s = step(t, prefix + held)) return s->whole.at(0);
  using u128 = unsigned __int128;
  const std::int64_t shared = whole(t, prefix + "shared by largest remainder", 0);
  const auto W = static_cast<std::uint64_t>(whole(t, prefix + "shared by largest remainder", 1));
  REQUIRE(W > 0);
  const auto floor = static_cast<std::int64_t>(u128(shared) * w / W);
  const auto rem = static_cast<std::int64_t>(u128(shared) * w % W);
  CHECK(floor == whole(t, prefix + "floor of the quota"));
  CHECK(rem == whole(t, prefix + "remainder", 0));
  const std::int64_t rank = whole(t, prefix + "remainder", 1), left = whole(t, prefix + "left for the largest remainders");
  CHECK(left >= 0);
  if (const auto won = tie_won(t, prefix)) return floor + (*won ? 1 : 0);
  return floor + (rank <= left ? 1 : 0);
}

/// Units of positions_by_key with a divisor method: the signposts of the method below weight /
/// D for a divisor D of the range, clamped by the bounds; a tied recipient sits at a signpost.
std::int64_t divisor_units(const Trace& t, std::uint64_t w) {
  const std::string method = step(t, "method")->value.substr(0, step(t, "method")->value.find(','));
  const auto m = parse_method(method);
  REQUIRE(m);
  const Signposts sp = make_signposts(Rule{*m, std::nullopt, TiePolicy::order, 0});
  const TraceLine* divisor = step(t, "divisor");
  REQUIRE(divisor);
  REQUIRE(divisor->real.size() == 2);
  const double low = divisor->real[0], high = divisor->real[1];
  const auto won = tie_won(t, "");
  const double d = !won && std::isfinite(high) && high > low ? (low + high) / 2 : low;
  const double x = static_cast<double>(w) / d;
  std::int64_t a = 0;
  while (sp.at(a) < x) ++a;
  if (won) {
    const std::int64_t at = a > 0 && x - sp.at(a - 1) < sp.at(a) - x ? a - 1 : a;
    CHECK(std::abs(x - sp.at(at)) <= 1e-6 * std::max(1.0, x));  // at the signpost, up to rounding
    return at + (*won ? 1 : 0);
  }
  const std::int64_t lo = whole_or(t, "at least", 0), hi = whole_or(t, "at most", kUnbounded);
  const std::int64_t units = std::clamp(a, lo, hi);
  // The trace says a bound binds exactly where it changed the count.
  for (const std::string bound : {"at least", "at most"})
    if (const TraceLine* s = step(t, bound))
      CHECK((s->value.find(": binds") != std::string::npos) == (bound == "at least" ? a < lo : a > hi));
  return units;
}

struct Derived {
  Halves halves = 0;
  Cents cents = 0;
};

/// A row's positions and cents, from its trace alone.
Derived rederive(const Trace& t) {
  if (step(t, "passed on by")) {
    // A Gemeinde's share of its Kreis' positions, rounded to half positions, at least the minimum.
    const std::int64_t kreis = whole(t, "positions of the Kreis");
    double part = -1, total = -1;
    for (const auto& s : t) {
      if (s.label.ends_with(" of the Gemeinde") && !s.real.empty()) part = s.real[0];
      if (s.label.ends_with(" of the Kreis") && !s.real.empty()) total = s.real[0];
    }
    REQUIRE(part >= 0);
    REQUIRE(total > 0);
    const double share = static_cast<double>(kreis) * part / total;
    CHECK(step(t, "share")->real.at(0) == doctest::Approx(share / 2));
    const Halves h = std::max<Halves>(whole(t, "rounding"), static_cast<Halves>(std::floor(share + 0.5)));
    return {h, h * (whole(t, "amount per VZÄ") / 2)};
  }
  Derived r;
  const Cents half = step(t, "amount per VZÄ") ? whole(t, "amount per VZÄ") / 2 : 0;
  if (step(t, "units by key")) {  // positions_by_key
    const auto w = static_cast<std::uint64_t>(whole(t, "weight (key share in 12 decimals)"));
    const std::int64_t unit = whole(t, "unit"), base = whole_or(t, "base", 0);
    const std::int64_t units = step(t, "divisor") ? divisor_units(t, w) : largest_remainder(t, "", w);
    CHECK(units == whole(t, "units", 0));
    r.halves = (units + base) * unit;
    r.cents = r.halves * half;
  } else if (step(t, "quota of the budget")) {  // money_by_key
    r.cents = largest_remainder(t, "", static_cast<std::uint64_t>(whole(t, "weight (key share in 12 decimals)")));
  } else if (step(t, "amount per coordinator VZÄ")) {  // staffing_with_cost_items
    // Coordinators by type plus the extra ones of member Gemeinden, assistance by type; money:
    // the rate per coordinator VZÄ, the amount per 0.5 VZÄ of assistance, each cost item.
    Halves coordinators = 0;
    for (const auto& s : t)
      if (has_prefix(s.label, "coordinators for a ") || has_prefix(s.label, "extra coordinator for member ")) coordinators += s.whole.at(0);
    CHECK(coordinators == whole(t, "coordinators"));
    const Halves assistance = whole(t, "assistance");
    r.halves = coordinators + assistance;
    const Cents rate = whole(t, "amount per coordinator VZÄ");
    CHECK(whole(t, "coordination") == coordinators * (rate / 2));  // exactly the rate per VZÄ
    r.cents = coordinators * (rate / 2);
    if (step(t, "amount per 0.5 VZÄ of assistance")) {
      CHECK(whole(t, "assistance money") == assistance * whole(t, "amount per 0.5 VZÄ of assistance"));
      r.cents += assistance * whole(t, "amount per 0.5 VZÄ of assistance");
    }
    for (const auto& s : t)
      if (has_prefix(s.label, "cost item ")) {
        CHECK(s.whole.at(0) == s.whole.at(1) * (s.whole.at(2) / 2));
        if (s.label.find("per VZÄ and year") != std::string::npos) CHECK(s.whole.at(1) == r.halves);
        r.cents += s.whole.at(1) * (s.whole.at(2) / 2);
      }
  } else {  // fixed_staffing: by type, own flags and member Gemeinden
    bool any = false;
    for (const auto& s : t)
      if (has_prefix(s.label, "positions for a ") || has_prefix(s.label, "plus for ")) r.halves += s.whole.at(0), any = true;
    REQUIRE(any);
    r.cents = r.halves * half;
  }
  if (const TraceLine* res = step(t, "residual (split_by_key)")) {
    const Cents share = largest_remainder(t, "residual: ", static_cast<std::uint64_t>(res->whole.at(1)));
    CHECK(share == whole(t, "share of the residual"));
    r.cents += share;
  }
  if (const TraceLine* passed = step(t, "passed on to its Gemeinden")) {
    CHECK(passed->whole.at(1) == passed->whole.at(0) * half);
    r.halves -= passed->whole.at(0);
    r.cents -= passed->whole.at(1);
  }
  return r;
}

/// Each shipped scenario at its own year, and the dated baseline at every year it covers.
std::vector<std::pair<std::string, std::optional<int>>> shipped_scenarios() {
  std::vector<std::pair<std::string, std::optional<int>>> paths;
  for (const std::string dir : {"/scenarios", "/scenarios/variants"})
    for (const auto& e : fs::directory_iterator(KIMSIM_SOURCE_DIR + dir))
      if (e.path().extension() == ".yaml") paths.push_back({e.path().string(), std::nullopt});
  for (int year = 2020; year <= 2025; ++year) paths.push_back({KIMSIM_SOURCE_DIR "/scenarios/kim-nrw.yaml", year});
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace

TEST_CASE("explain re-derives every allocated row of the shipped scenarios from its trace") {
  const auto paths = shipped_scenarios();
  REQUIRE(paths.size() >= 10);
  std::size_t rows = 0, ties = 0, held = 0, passed = 0, remainders = 0, staffed = 0;
  for (const auto& entry : paths) {
    const std::string& path = entry.first;  // not a structured binding: CAPTURE captures it in a lambda
    const std::optional<int> year = entry.second;
    CAPTURE(path);
    CAPTURE(year.value_or(0));
    const auto ls = io::load_scenario(path, io::LoadOptions{year});
    const Plan plan(ls.scenario, ls.regions);
    const Allocation a = allocate(ls.scenario, ls.regions);
    Draft d;
    plan.evaluate({}, d);
    std::size_t k = 0;  // allocate()'s rows are the plan's present rows, in order
    for (std::size_t row = 0; row < plan.rows().size(); ++row) {
      if (!d.present[row]) continue;
      REQUIRE(k < a.rows.size());
      const AllocationRow& ar = a.rows[k++];
      REQUIRE(ar.region == plan.rows()[row].region);
      REQUIRE(ar.baustein == plan.rows()[row].baustein);
      CAPTURE(ls.regions.list[ar.region].ags);
      CAPTURE(ls.scenario.bausteine[ar.baustein].id);
      const Trace t = plan.describe({}, row);
      const Derived r = rederive(t);
      CHECK(r.halves == ar.halves);
      CHECK(r.cents == ar.cents);
      // The last positions and cents of the trace are the row's, and the weight is its key share's.
      const auto last = [&](const std::string& label) {
        const auto it = std::find_if(t.rbegin(), t.rend(), [&](const TraceLine& s) { return s.label == label; });
        return it == t.rend() ? std::int64_t{-1} : it->whole.at(0);
      };
      CHECK(last("cents") == ar.cents);
      if (last("positions") >= 0) CHECK(last("positions") == ar.halves);
      if (const TraceLine* w = step(t, "weight (key share in 12 decimals)")) CHECK(w->whole.at(0) == std::int64_t(weight_of(ar.key_share)));
      // What a Kreis passes on is what its Gemeinden receive.
      if (const TraceLine* p = step(t, "passed on to its Gemeinden")) {
        Halves got = 0;
        for (const auto& g : a.rows)
          if (g.baustein == ar.baustein && g.passed_on_by == ar.region) got += g.halves;
        CHECK(got == p->whole.at(0));
        ++passed;
      }
      ++rows;
      staffed += step(t, "amount per coordinator VZÄ") != nullptr;
      ties += tie_won(t, "").has_value() || tie_won(t, "residual: ").has_value();
      held += step(t, "held at the minimum") || (step(t, "at least") && step(t, "at least")->value.find(": binds") != std::string::npos);
      remainders += step(t, "shared by largest remainder") != nullptr;
    }
    CHECK(k == a.rows.size());
  }
  // The traces exercise every path of the re-derivation.
  CHECK(rows > 2000);
  CHECK(passed > 0);
  CHECK(held > 0);
  CHECK(remainders > 0);
  CHECK(staffed >= 54 * 6);  // B1 by its funding rule, in every year of the dated baseline
  MESSAGE("rows " << rows << ", in a tie " << ties << ", held at a bound " << held);
}

TEST_CASE("explain finds a recipient by AGS or name, and says why it cannot") {
  const auto ls = io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  const Regions& r = ls.regions;
  CHECK(io::find_recipient(r, "05978") == *r.find("05978"));
  CHECK(io::find_recipient(r, "UNNA") == *r.find("05978"));
  CHECK(io::find_recipient(r, "kamen") == *r.find("05978020"));
  CHECK(io::find_recipient(r, "Kamen, Stadt") == *r.find("05978020"));
  CHECK_THROWS_WITH_AS(io::find_recipient(r, "5978"), doctest::Contains("did you mean 05978 Unna (Kreis)?"), InputError);
  CHECK(io::find_recipient(r, "BÖNEN") == *r.find("05978008"));  // German capitals fold too
  // The Kreis' whole name is the Stadt's before its comma: the Kreis, and the Stadt named.
  std::string also;
  CHECK(io::find_recipient(r, "Unna", &also) == *r.find("05978"));
  CHECK(also.find("taken as 05978 Unna (Kreis)") != std::string::npos);
  CHECK(also.find("05978036 Unna, Stadt (Gemeinde)") != std::string::npos);
  also.clear();
  CHECK(io::find_recipient(r, "Kamen", &also) == *r.find("05978020"));
  CHECK(also.empty());
  CHECK(io::find_recipient(r, "Köln", &also) == *r.find("05315"));  // the Stadt's own Gemeinde is no other
  CHECK(also.empty());
  // "Did you mean" counts letters, not bytes: Köln is one letter from Koln, Bonn two.
  CHECK_THROWS_WITH_AS(io::find_recipient(r, "Koln"), doctest::Contains("did you mean 05315 Köln, Stadt"), InputError);
  CHECK(io::edit_distance("koln", "KÖLN") == 1);
  // Each letter as its code point, capitals folded: ö and ü are two letters, not one lead byte.
  CHECK(io::folded_letters("KÖLN") == std::vector<char32_t>{U'k', U'ö', U'l', U'n'});
  CHECK(io::edit_distance("Münster", "Mönster") == 1);
  CHECK(io::edit_distance("Düren", "Duren") == 1);
  CHECK_THROWS_WITH_AS(io::find_recipient(r, "Kamn"), doctest::Contains("did you mean 05978020 Kamen, Stadt"), InputError);
  // A kreisfreie Stadt and its single Gemeinde share the name: the name means the Stadt.
  CHECK(io::find_recipient(r, "Essen, Stadt") == *r.find("05113"));
  CHECK(io::find_recipient(r, "Köln") == *r.find("05315"));
  // Two regions of one name otherwise: both listed, the AGS asked for.
  Regions twice = r;
  twice.list[*r.find("05978004")].name = "Kamen, Stadt";
  CHECK_THROWS_WITH_AS(io::find_recipient(twice, "Kamen"), doctest::Contains("names 2 regions: 05978004 Kamen, Stadt (Gemeinde), 05978020"),
                       InputError);
  const Plan plan(ls.scenario, ls.regions);
  const auto kamen = io::explain(ls, plan, *r.find("05978020"), std::nullopt);
  REQUIRE(kamen.bausteine.size() == 1);
  CHECK(ls.scenario.bausteine[kamen.bausteine[0].baustein].id == "B2");
  CHECK(step(kamen.bausteine[0].steps, "passed on by"));
  CHECK_THROWS_WITH_AS(io::explain(ls, plan, *r.find("05978020"), "B1"), doctest::Contains("receives nothing from B1: it receives from B2"),
                       InputError);
  CHECK_THROWS_WITH_AS(io::explain(ls, plan, *r.find("05978"), "B4"), doctest::Contains("did you mean 'B1'?"), InputError);
  const auto unna = io::explain(ls, plan, *r.find("05978"), std::nullopt);
  CHECK(unna.bausteine.size() == 3);
}
