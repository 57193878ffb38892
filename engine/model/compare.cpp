// Comparing allocations: the definitions are in include/kimsim/compare.hpp.
#include "kimsim/compare.hpp"
#include "kimsim/rules.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace kimsim {

std::string_view paradox_name(ParadoxKind k) {
  switch (k) {
    case ParadoxKind::alabama: return "alabama";
    case ParadoxKind::population: return "population";
    case ParadoxKind::new_recipient: return "new-recipient";
  }
  return "?";
}

namespace {

std::size_t territory_of(const AllocationRow& r) { return r.passed_on_by ? *r.passed_on_by : r.region; }

std::string vza(Halves h) { return std::to_string(h / 2) + (h % 2 ? ".5" : ".0"); }

/// Refuses scenarios over different regions: a recipient index must mean the same AGS in all.
void check_same_regions(const ComparedScenario& base, const ComparedScenario& other) {
  const auto& a = base.regions->list;
  const auto& b = other.regions->list;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i].ags != b[i].ags)
      throw InputError("'" + other.name + "' covers other regions than '" + base.name + "': region " +
                       std::to_string(i + 1) + " is " + b[i].ags + " there and " + a[i].ags + " in '" + base.name + "'");
  if (a.size() != b.size()) {
    const bool more = b.size() > a.size();
    const auto& extra = more ? b[a.size()] : a[b.size()];
    throw InputError("'" + other.name + "' covers other regions than '" + base.name + "': " + std::to_string(b.size()) +
                     " regions there, " + std::to_string(a.size()) + " in '" + base.name + "' (" + extra.ags + " " +
                     extra.name + " only in '" + (more ? other.name : base.name) + "')");
  }
}

/// Baustein ids in order of first appearance over the scenarios.
std::vector<std::string> baustein_ids(std::span<const ComparedScenario> s) {
  std::vector<std::string> ids;
  for (const auto& c : s)
    for (const auto& b : c.scenario->bausteine)
      if (std::find(ids.begin(), ids.end(), b.id) == ids.end()) ids.push_back(b.id);
  return ids;
}

std::size_t ordinal(const std::vector<std::string>& ids, const std::string& id) {
  return static_cast<std::size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
}

/// Lines per (region, Baustein) over all scenarios; `by_territory` folds passed-on shares into
/// the Kreis that passed them on.
std::vector<CompareLine> lines_of(std::span<const ComparedScenario> s, const std::vector<std::string>& ids,
                                  bool by_territory) {
  std::map<std::pair<std::size_t, std::size_t>, CompareLine> at;
  const std::size_t n = s.size();
  for (std::size_t k = 0; k < n; ++k)
    for (const auto& r : s[k].allocation->rows) {
      const std::size_t region = by_territory ? territory_of(r) : r.region;
      const std::string& id = s[k].scenario->bausteine[r.baustein].id;
      auto [it, fresh] = at.try_emplace({region, ordinal(ids, id)});
      CompareLine& l = it->second;
      if (fresh) {
        l.region = region, l.baustein = id;
        l.halves.assign(n, 0), l.cents.assign(n, 0), l.present.assign(n, 0);
      }
      l.halves[k] += r.halves, l.cents[k] += r.cents, l.present[k] = 1;
    }
  std::vector<CompareLine> out;
  out.reserve(at.size());
  for (auto& [key, l] : at) out.push_back(std::move(l));
  return out;
}

VariantChange change_of(const std::vector<CompareLine>& territories, std::size_t variant) {
  std::map<std::size_t, Change> per;  // all Bausteine of a territory together
  for (const auto& l : territories) {
    Change& c = per[l.region];
    c.region = l.region;
    c.cents += l.cents[variant] - l.cents[0];
    c.halves += l.halves[variant] - l.halves[0];
  }
  VariantChange v;
  std::vector<Change> gains, losses;
  for (const auto& [region, c] : per) {
    if (c.cents > 0) ++v.winners, v.gained += c.cents, gains.push_back(c);
    if (c.cents < 0) ++v.losers, v.lost -= c.cents, losses.push_back(c);
  }
  v.moved_half_cents = v.gained + v.lost;
  // Largest first; equal changes in region order (stable sort over region-ordered input).
  std::stable_sort(gains.begin(), gains.end(), [](const Change& a, const Change& b) { return a.cents > b.cents; });
  std::stable_sort(losses.begin(), losses.end(), [](const Change& a, const Change& b) { return a.cents < b.cents; });
  if (gains.size() > 10) gains.resize(10);
  if (losses.size() > 10) losses.resize(10);
  v.top_gains = std::move(gains), v.top_losses = std::move(losses);
  return v;
}

/// Money of one allocation per place — a territory of a Baustein, or a Kreis-level area — in
/// arrays over the candidate places, ascending by region index: those of every row the
/// allocation has (compare) or of every row a plan may give (PlanMetrics, whose evaluations then
/// share one layout); `seen` marks those with a row in this allocation. Arrays rather than maps:
/// a sweep builds them for every point.
struct Tally {
  std::vector<std::size_t> region;  ///< the candidates, ascending
  std::vector<std::uint8_t> seen;
  std::vector<Cents> cents;
  std::size_t count = 0;  ///< places seen

  /// The candidates of `regions` (any order, repeats allowed), none seen.
  void candidates(std::vector<std::size_t> regions) {
    std::sort(regions.begin(), regions.end());
    regions.erase(std::unique(regions.begin(), regions.end()), regions.end());
    region = std::move(regions);
  }
  /// The candidate of region `r`, which is one.
  std::size_t slot_of(std::size_t r) const {
    return static_cast<std::size_t>(std::lower_bound(region.begin(), region.end(), r) - region.begin());
  }
  bool has(std::size_t r) const {
    const auto at = std::lower_bound(region.begin(), region.end(), r);
    return at != region.end() && *at == r && seen[static_cast<std::size_t>(at - region.begin())];
  }
  void clear() {
    seen.assign(region.size(), 0);
    cents.assign(region.size(), 0);
    count = 0;
  }
  void add(std::size_t t, Cents c) {
    count += !seen[t];
    seen[t] = 1;
    cents[t] += c;
  }
};

/// One Baustein of one allocation at territory level.
struct Territories : Tally {
  std::vector<Halves> halves;
  std::vector<double> key, quota;  ///< from the recipients' own rows; 0 where only passed-on rows exist
  Halves total_halves = 0;
  Cents total_cents = 0;

  void clear() {
    Tally::clear();
    halves.assign(region.size(), 0);
    key.assign(region.size(), 0.0);
    quota.assign(region.size(), 0.0);
    total_halves = 0, total_cents = 0;
  }
  /// A row counting for candidate `t`; `own`: the recipient's own row, not a share passed on.
  void add(std::size_t t, bool own, Halves h, Cents c, double key_share, double q) {
    Tally::add(t, c);
    halves[t] += h;
    total_halves += h, total_cents += c;
    if (own) key[t] += key_share, quota[t] += q;
  }
};

void territories_of(const Allocation& a, std::size_t baustein, Territories& t) {
  std::vector<std::size_t> at;
  for (const auto& r : a.rows)
    if (r.baustein == baustein) at.push_back(territory_of(r));
  t.candidates(std::move(at));
  t.clear();
  for (const auto& r : a.rows)
    if (r.baustein == baustein) t.add(t.slot_of(territory_of(r)), !r.passed_on_by, r.halves, r.cents, r.key_share, r.quota);
}

/// The whole allocation over Kreis-level areas.
void areas_of(const Allocation& a, const Regions& regions, Tally& t) {
  std::vector<std::size_t> at;
  for (const auto& r : a.rows) at.push_back(regions.kreis_of(r.region));
  t.candidates(std::move(at));
  t.clear();
  for (const auto& r : a.rows) t.add(t.slot_of(regions.kreis_of(r.region)), r.cents);
}

/// Gallagher and Loosemore-Hanby indices of allocation shares against `ideal` (per candidate,
/// normalised here).
std::pair<std::optional<double>, std::optional<double>> disproportionality(const Territories& t, const std::vector<double>& ideal) {
  double ideal_sum = 0.0;
  for (std::size_t k = 0; k < t.region.size(); ++k)
    if (t.seen[k]) ideal_sum += ideal[k];
  const bool positions = t.total_halves > 0;
  const double total = positions ? static_cast<double>(t.total_halves) : static_cast<double>(t.total_cents);
  if (!(ideal_sum > 0) || !(total > 0)) return {std::nullopt, std::nullopt};
  double squares = 0, absolute = 0;
  for (std::size_t k = 0; k < t.region.size(); ++k) {
    if (!t.seen[k]) continue;
    const double a = (positions ? static_cast<double>(t.halves[k]) : static_cast<double>(t.cents[k])) / total;
    const double d = 100.0 * a - 100.0 * ideal[k] / ideal_sum;
    squares += d * d, absolute += std::abs(d);
  }
  return {std::sqrt(squares / 2.0), absolute / 2.0};
}

using GiniEntries = std::vector<std::pair<double, double>>;  // (cents, w)

/// Weighted Gini of x = cents / w over the entries with w > 0 (see the header); sorts `entries`.
std::optional<double> gini(GiniEntries& entries) {
  std::erase_if(entries, [](const auto& e) { return !(e.second > 0); });
  double W = 0, C = 0;
  for (const auto& [c, w] : entries) W += w, C += c;
  if (entries.empty() || !(C > 0)) return std::nullopt;
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first * b.second < b.first * a.second; });
  // sum_i sum_j w_i w_j |x_i - x_j| = 2 sum_i w_i x_i (W_below_i - W_above_i) in sorted order.
  double acc = 0, below = 0;
  for (const auto& [c, w] : entries) {
    const double above = W - below - w;
    acc += c * (below - above);  // w_i x_i = c_i
    below += w;
  }
  return std::max(0.0, acc / (W * C));
}

/// The Gini of euros per unit of `weight(region)` over the places seen, in region order.
template <class Weight>
std::optional<double> gini_of(const Tally& t, Weight weight, GiniEntries& entries) {
  entries.clear();
  for (std::size_t k = 0; k < t.region.size(); ++k)
    if (t.seen[k]) entries.emplace_back(static_cast<double>(t.cents[k]), weight(t.region[k]));
  return gini(entries);
}

/// The largest over the smallest euros per unit of `weight(region)` among the places seen with
/// weight; nullopt where the smallest is 0.
template <class Weight>
std::optional<double> max_min_ratio(const Tally& t, Weight weight) {
  double lo = 0, hi = 0;
  bool any = false;
  for (std::size_t k = 0; k < t.region.size(); ++k) {
    if (!t.seen[k]) continue;
    const double w = weight(t.region[k]);
    if (!(w > 0)) continue;
    const double x = static_cast<double>(t.cents[k]) / w;
    lo = any ? std::min(lo, x) : x, hi = any ? std::max(hi, x) : x, any = true;
  }
  if (any && lo > 0) return hi / lo;
  return std::nullopt;
}

std::vector<Fairness> fairness_of(const ComparedScenario& s) {
  const Regions& regions = *s.regions;
  const Scenario& sc = *s.scenario;
  const Allocation& a = *s.allocation;
  std::vector<Fairness> out;
  Territories t;
  GiniEntries entries;
  for (std::size_t b = 0; b < sc.bausteine.size(); ++b) {
    const Baustein& bs = sc.bausteine[b];
    territories_of(a, b, t);
    Fairness f;
    f.baustein = bs.id;
    // A member Gemeinde that is a territory of the same Baustein counts where it receives.
    auto weight = [&](Eigen::Index col) {
      return [&, col](std::size_t region) {
        double w = regions.indicators(Eigen::Index(region), col);
        for (std::size_t m : regions.members(region))
          if (t.has(m)) w -= regions.indicators(Eigen::Index(m), col);
        return w;
      };
    };
    for (std::size_t col = 0; col < regions.indicator_names.size(); ++col)
      f.gini.emplace_back(regions.indicator_names[col], gini_of(t, weight(Eigen::Index(col)), entries));
    std::tie(f.gallagher_key, f.loosemore_hanby_key) = disproportionality(t, t.key);
    std::tie(f.gallagher_quota, f.loosemore_hanby_quota) = disproportionality(t, t.quota);
    if (const auto pop = regions.indicator("population")) f.max_min_ratio = max_min_ratio(t, weight(Eigen::Index(*pop)));
    if (const auto* r = rule_as<PositionsByKey>(bs)) {
      const Halves base_units = r->base / r->unit;
      for (std::size_t k = 0; k < t.region.size(); ++k) {
        if (!t.seen[k]) continue;
        const Halves h = t.halves[k];
        const double claim = 2.0 * t.quota[k];  // in halves
        if (r->min && h == std::max((*r->min + r->unit - 1) / r->unit, base_units) * r->unit && claim < static_cast<double>(h))
          f.held_at_minimum.push_back(t.region[k]);
        if (r->max && h == std::max(*r->max / r->unit, base_units) * r->unit && claim > static_cast<double>(h))
          f.held_at_maximum.push_back(t.region[k]);
      }
    }
    if (const auto* m = rule_as<MoneyByKey>(bs))
      for (std::size_t k = 0; k < t.region.size(); ++k)
        if (t.seen[k] && m->minimum > 0 && t.cents[k] == m->minimum && 100.0 * t.quota[k] < static_cast<double>(t.cents[k]))
          f.held_at_minimum.push_back(t.region[k]);
    out.push_back(std::move(f));
  }
  // The whole allocation over Kreis-level areas: Bausteine reach different recipients (a große
  // kreisangehörige Stadt in B3 only), so only the area around them has one population for all.
  Fairness total;
  total.baustein = "total";
  Tally areas;
  areas_of(a, regions, areas);
  const auto own = [&](Eigen::Index col) { return [&, col](std::size_t region) { return regions.indicators(Eigen::Index(region), col); }; };
  for (std::size_t col = 0; col < regions.indicator_names.size(); ++col)
    total.gini.emplace_back(regions.indicator_names[col], gini_of(areas, own(Eigen::Index(col)), entries));
  if (const auto pop = regions.indicator("population")) total.max_min_ratio = max_min_ratio(areas, own(Eigen::Index(*pop)));
  out.push_back(std::move(total));
  return out;
}

/// What same_rule() compares of a Baustein's positions-by-key rule, with an evaluation's
/// overrides written in as patched_scenario (io/patch.hpp) writes them; nullopt for another rule.
struct RuleShape {
  Method method = Method::sainte_lague;
  std::pair<std::uint64_t, std::uint64_t> first_signpost{0, 0};
  Halves unit = 0, base = 0;
  std::optional<Halves> min, max;
  bool operator==(const RuleShape&) const = default;
};

std::optional<RuleShape> rule_shape(const Baustein& b, const BausteinOverrides* over = nullptr) {
  const auto* x = rule_as<PositionsByKey>(b);
  if (!x) return std::nullopt;
  RuleShape s;
  s.method = x->rule.method;
  if (x->rule.first_signpost) s.first_signpost = {x->rule.first_signpost->num, x->rule.first_signpost->den};
  s.unit = x->unit, s.base = x->base, s.min = x->min, s.max = x->max;
  if (over) {
    if (over->unit) s.unit = *over->unit;
    if (over->base) s.base = *over->base;
    if (over->min) s.min = over->min;
    if (over->max) s.max = over->max;
    if (over->method) s.method = *over->method;
  }
  return s;
}

/// Whether the paradoxes are looked for between two Bausteine: both positions by key under the
/// same method, unit, base and bounds.
bool same_rule(const std::optional<RuleShape>& a, const std::optional<RuleShape>& b) { return a && b && *a == *b; }

/// a/b versus c/d for key shares: -1, 0 or 1 within the relative tolerance.
int compare_ratios(double a, double b, double c, double d) {
  const double l = a * d, r = c * b;
  const double tol = 1e-9 * std::max(std::abs(l), std::abs(r));
  return l > r + tol ? 1 : (l < r - tol ? -1 : 0);
}

/// A territory with rows in both allocations of a pair: its region and its candidate in each.
struct Common {
  std::size_t region = 0, i = 0, j = 0;
};

/// Working memory of paradoxes_between(), reused from one pair to the next.
struct PairScratch {
  std::vector<Common> common;
  std::vector<std::size_t> falls, rises;  ///< indices into common
};

/// The paradoxes of one Baustein from allocation i to allocation j (the header's definitions),
/// in the order find_paradoxes() lists them, each handed to emit(kind, first, second):
/// indices into `w.common` of the territory that loses positions (for Alabama: the one that
/// moves against the house; then first == second) and of the one that gains.
template <class Emit>
void paradoxes_between(const Territories& ti, const Territories& tj, PairScratch& w, Emit&& emit) {
  w.common.clear();
  for (std::size_t a = 0, b = 0; a < ti.region.size() && b < tj.region.size();) {
    if (ti.region[a] < tj.region[b]) ++a;
    else if (tj.region[b] < ti.region[a]) ++b;
    else {
      if (ti.seen[a] && tj.seen[b]) w.common.push_back({ti.region[a], a, b});
      ++a, ++b;
    }
  }
  const bool same_recipients = w.common.size() == ti.count && w.common.size() == tj.count;
  bool same_key = same_recipients;
  for (const Common& c : w.common)
    if (std::abs(ti.key[c.i] - tj.key[c.j]) > 1e-9 * std::max(ti.key[c.i], tj.key[c.j])) same_key = false;
  if (same_key && ti.total_halves != tj.total_halves) {
    // The larger house must not leave anyone with less.
    const bool grows = tj.total_halves > ti.total_halves;
    for (std::size_t x = 0; x < w.common.size(); ++x) {
      const Halves before = ti.halves[w.common[x].i], after = tj.halves[w.common[x].j];
      if (grows ? after < before : after > before) emit(ParadoxKind::alabama, x, x);
    }
  }
  const bool population = same_recipients && !same_key && ti.total_halves == tj.total_halves;
  const bool new_recipient = !same_recipients && !w.common.empty();
  if (!population && !new_recipient) return;
  // Only a territory that falls and one that rises can make a pair: they are listed once here
  // rather than tested in every pair of territories.
  w.falls.clear(), w.rises.clear();
  for (std::size_t x = 0; x < w.common.size(); ++x) {
    const Halves before = ti.halves[w.common[x].i], after = tj.halves[w.common[x].j];
    if (after < before) w.falls.push_back(x);
    if (after > before) w.rises.push_back(x);
  }
  const auto ratios = [&](std::size_t a, std::size_t b) {
    const Common &ca = w.common[a], &cb = w.common[b];
    return compare_ratios(tj.key[ca.j], tj.key[cb.j], ti.key[ca.i], ti.key[cb.i]);
  };
  if (population)  // a falls though its key weight rose relative to b's, which rises
    for (std::size_t a : w.falls)
      for (std::size_t b : w.rises)
        if (ratios(a, b) > 0) emit(ParadoxKind::population, a, b);
  if (new_recipient)  // a rises and b falls though their key weights stand as before
    for (std::size_t a : w.rises)
      for (std::size_t b : w.falls)
        if (ratios(a, b) == 0) emit(ParadoxKind::new_recipient, b, a);
}

std::string name_of(const Regions& r, std::size_t i) { return r.list[i].name; }

}  // namespace

std::vector<Fairness> fairness(const ComparedScenario& s) { return fairness_of(s); }

std::vector<Paradox> find_paradoxes(std::span<const ComparedScenario> s) {
  std::vector<Paradox> out;
  const auto ids = baustein_ids(s);
  Territories ti, tj;
  PairScratch w;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = i + 1; j < s.size(); ++j)
      for (const auto& id : ids) {
        const auto& bi = s[i].scenario->bausteine;
        const auto& bj = s[j].scenario->bausteine;
        const auto pi = std::find_if(bi.begin(), bi.end(), [&](const Baustein& b) { return b.id == id; });
        const auto pj = std::find_if(bj.begin(), bj.end(), [&](const Baustein& b) { return b.id == id; });
        if (pi == bi.end() || pj == bj.end() || !same_rule(rule_shape(*pi), rule_shape(*pj))) continue;
        territories_of(*s[i].allocation, static_cast<std::size_t>(pi - bi.begin()), ti);
        territories_of(*s[j].allocation, static_cast<std::size_t>(pj - bj.begin()), tj);
        const Regions& regions = *s[0].regions;
        const std::string where = s[i].name + " → " + s[j].name + ", " + id + ": ";
        paradoxes_between(ti, tj, w, [&](ParadoxKind kind, std::size_t first, std::size_t second) {
          const Common &f = w.common[first], &g = w.common[second];
          const std::string falls = name_of(regions, f.region), rises = name_of(regions, g.region);
          const auto move = [&](const Common& c) { return vza(ti.halves[c.i]) + " → " + vza(tj.halves[c.j]); };
          switch (kind) {
            case ParadoxKind::alabama: {
              const bool grows = tj.total_halves > ti.total_halves;
              out.push_back({kind, i, j, id, {f.region},
                             where + vza(ti.total_halves) + " → " + vza(tj.total_halves) + " VZÄ with the same recipients, key and rule, but " +
                                 falls + " " + (grows ? "falls" : "rises") + " " + move(f) + " VZÄ"});
              break;
            }
            case ParadoxKind::population:
              out.push_back({kind, i, j, id, {f.region, g.region},
                             where + falls + "'s key weight rose relative to " + rises + "'s, yet it falls " + move(f) + " VZÄ while " +
                                 rises + " rises " + move(g)});
              break;
            case ParadoxKind::new_recipient:
              out.push_back({kind, i, j, id, {f.region, g.region},
                             where + std::to_string(tj.count - w.common.size()) + " recipient(s) added, " +
                                 std::to_string(ti.count - w.common.size()) + " removed; " + falls + " falls " + move(f) + " VZÄ and " +
                                 rises + " rises " + move(g) + " though their key weights stand as before"});
              break;
          }
        });
      }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Many evaluations of one plan against one base.

struct PlanMetrics::Impl {
  /// One Baustein: its row slots with their candidate territory, and the base's territories.
  struct Part {
    std::vector<std::size_t> rows;
    std::vector<std::size_t> territory;  ///< per entry of rows: its candidate
    std::vector<std::uint8_t> own;       ///< per entry of rows: the recipient's own row
    std::optional<RuleShape> shape;      ///< the base's rule
    Territories base, point;

    void fill(const Draft& d, Territories& t) const {
      t.clear();
      for (std::size_t x = 0; x < rows.size(); ++x) {
        const std::size_t k = rows[x];
        if (d.present[k]) t.add(territory[x], own[x], d.halves[k], d.cents[k], d.key_share[k], d.quota[k]);
      }
    }
  };

  const Plan* plan;
  std::optional<std::size_t> population;
  Tally areas;
  std::vector<std::size_t> area;  ///< per row slot: its Kreis-level area's candidate
  std::vector<Part> parts;        ///< per Baustein
  PairScratch pair;
  GiniEntries entries;

  Impl(const Plan& p, const Draft& base) : plan(&p), population(p.regions().indicator("population")) {
    const Regions& regions = p.regions();
    const auto& rows = p.rows();
    std::vector<std::size_t> at;
    for (const auto& row : rows) at.push_back(regions.kreis_of(row.region));
    areas.candidates(at);
    for (std::size_t k = 0; k < rows.size(); ++k) area.push_back(areas.slot_of(at[k]));
    parts.resize(p.scenario().bausteine.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      Part& part = parts[rows[k].baustein];
      part.rows.push_back(k);
      part.own.push_back(!rows[k].passed_on_by);
    }
    for (std::size_t b = 0; b < parts.size(); ++b) {
      Part& part = parts[b];
      std::vector<std::size_t> where;
      for (std::size_t k : part.rows) where.push_back(rows[k].passed_on_by ? *rows[k].passed_on_by : rows[k].region);
      part.base.candidates(where);
      part.point.region = part.base.region;
      for (std::size_t t : where) part.territory.push_back(part.base.slot_of(t));
      part.shape = rule_shape(p.scenario().bausteine[b]);
      part.fill(base, part.base);
    }
  }
};

PlanMetrics::PlanMetrics(const Plan& plan, const Draft& base) : impl_(std::make_unique<Impl>(plan, base)) {}
PlanMetrics::~PlanMetrics() = default;
PlanMetrics::PlanMetrics(PlanMetrics&&) noexcept = default;
PlanMetrics& PlanMetrics::operator=(PlanMetrics&&) noexcept = default;

PlanMetrics::Total PlanMetrics::total(const Draft& d) {
  Impl& m = *impl_;
  m.areas.clear();
  for (std::size_t k = 0; k < m.area.size(); ++k)
    if (d.present[k]) m.areas.add(m.area[k], d.cents[k]);
  Total t;
  if (m.population) {
    const Regions& regions = m.plan->regions();
    const auto inhabitants = [&, col = Eigen::Index(*m.population)](std::size_t region) { return regions.indicators(Eigen::Index(region), col); };
    t.gini_population = gini_of(m.areas, inhabitants, m.entries);
    t.max_min_ratio = max_min_ratio(m.areas, inhabitants);
  }
  return t;
}

std::size_t PlanMetrics::paradoxes(const Draft& d, std::span<const BausteinOverrides> overrides) {
  Impl& m = *impl_;
  const auto& bausteine = m.plan->scenario().bausteine;
  std::size_t n = 0;
  for (std::size_t b = 0; b < m.parts.size(); ++b) {
    Impl::Part& part = m.parts[b];
    if (!same_rule(part.shape, rule_shape(bausteine[b], overrides.empty() ? nullptr : &overrides[b]))) continue;
    part.fill(d, part.point);
    paradoxes_between(part.base, part.point, m.pair, [&](ParadoxKind, std::size_t, std::size_t) { ++n; });
  }
  return n;
}

Comparison compare(std::span<const ComparedScenario> s) {
  if (s.size() < 2) throw InputError("compare needs a base and at least one variant");
  for (std::size_t k = 1; k < s.size(); ++k) check_same_regions(s[0], s[k]);
  Comparison c;
  for (const auto& x : s) c.names.push_back(x.name);
  const auto ids = baustein_ids(s);
  c.recipients = lines_of(s, ids, false);
  c.territories = lines_of(s, ids, true);
  for (std::size_t k = 1; k < s.size(); ++k) c.changes.push_back(change_of(c.territories, k));
  for (const auto& x : s) c.fairness.push_back(fairness_of(x));
  c.paradoxes = find_paradoxes(s);
  return c;
}

Decomposition decompose(const ComparedScenario& base, std::span<const ComparedScenario> alone,
                        std::span<const ComparedScenario> chain) {
  if (alone.empty() || alone.size() != chain.size())
    throw InputError("decompose needs one 'alone' scenario per step of the chain (" + std::to_string(alone.size()) + " alone, " +
                     std::to_string(chain.size()) + " in the chain)");
  std::vector<ComparedScenario> all{base};
  all.insert(all.end(), chain.begin(), chain.end());
  all.insert(all.end(), alone.begin(), alone.end());
  for (std::size_t k = 1; k < all.size(); ++k) check_same_regions(base, all[k]);
  const auto ids = baustein_ids(all);
  const std::size_t n = chain.size();
  Decomposition d;
  d.interaction.assign(n, 0);
  for (const CompareLine& l : lines_of(all, ids, true)) {
    Decomposition::Line line;
    line.region = l.region, line.baustein = l.baustein;
    line.total = l.cents[n] - l.cents[0];
    for (std::size_t k = 0; k < n; ++k) {
      line.stacked.push_back(l.cents[1 + k] - l.cents[k]);  // telescopes: the sum is the total
      line.alone.push_back(l.cents[1 + n + k] - l.cents[0]);
      d.interaction[k] += std::abs(line.alone[k] - line.stacked[k]);
    }
    d.lines.push_back(std::move(line));
  }
  return d;
}

}  // namespace kimsim
