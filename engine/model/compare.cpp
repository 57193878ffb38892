// Comparing allocations: the definitions are in include/kimsim/compare.hpp.
#include "kimsim/compare.hpp"
#include "kimsim/rules.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

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

/// One Baustein of one scenario at territory level.
struct Territories {
  std::map<std::size_t, Halves> halves;
  std::map<std::size_t, Cents> cents;
  std::map<std::size_t, double> key, quota;  ///< from the recipients' own rows
  Halves total_halves = 0;
  Cents total_cents = 0;
};

Territories territories_of(const Allocation& a, std::size_t baustein) {
  Territories t;
  for (const auto& r : a.rows) {
    if (r.baustein != baustein) continue;
    const std::size_t region = territory_of(r);
    t.halves[region] += r.halves, t.cents[region] += r.cents;
    t.total_halves += r.halves, t.total_cents += r.cents;
    t.key[region];  // every territory is listed, with 0 where only passed-on rows exist
    t.quota[region];
    if (!r.passed_on_by) t.key[region] += r.key_share, t.quota[region] += r.quota;
  }
  return t;
}

/// Gallagher and Loosemore-Hanby indices of allocation shares against `ideal` (normalised here).
std::pair<std::optional<double>, std::optional<double>> disproportionality(const Territories& t,
                                                                           const std::map<std::size_t, double>& ideal) {
  const double ideal_sum = std::accumulate(ideal.begin(), ideal.end(), 0.0, [](double s, const auto& e) { return s + e.second; });
  const bool positions = t.total_halves > 0;
  const double total = positions ? static_cast<double>(t.total_halves) : static_cast<double>(t.total_cents);
  if (!(ideal_sum > 0) || !(total > 0)) return {std::nullopt, std::nullopt};
  double squares = 0, absolute = 0;
  for (const auto& [region, s] : ideal) {
    const double a = (positions ? static_cast<double>(t.halves.at(region)) : static_cast<double>(t.cents.at(region))) / total;
    const double d = 100.0 * a - 100.0 * s / ideal_sum;
    squares += d * d, absolute += std::abs(d);
  }
  return {std::sqrt(squares / 2.0), absolute / 2.0};
}

/// Weighted Gini of x = cents / w over the entries with w > 0 (see the header).
std::optional<double> gini(std::vector<std::pair<double, double>> entries /* (cents, w) */) {
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

std::vector<Fairness> fairness_of(const ComparedScenario& s) {
  const Regions& regions = *s.regions;
  const Scenario& sc = *s.scenario;
  const Allocation& a = *s.allocation;
  std::vector<Fairness> out;
  for (std::size_t b = 0; b < sc.bausteine.size(); ++b) {
    const Baustein& bs = sc.bausteine[b];
    const Territories t = territories_of(a, b);
    Fairness f;
    f.baustein = bs.id;
    // A member Gemeinde that is a territory of the same Baustein counts where it receives.
    auto weight = [&](std::size_t region, Eigen::Index col) {
      double w = regions.indicators(Eigen::Index(region), col);
      for (std::size_t m : regions.members(region))
        if (t.cents.count(m)) w -= regions.indicators(Eigen::Index(m), col);
      return w;
    };
    for (std::size_t col = 0; col < regions.indicator_names.size(); ++col) {
      std::vector<std::pair<double, double>> e;
      for (const auto& [region, c] : t.cents) e.emplace_back(static_cast<double>(c), weight(region, Eigen::Index(col)));
      f.gini.emplace_back(regions.indicator_names[col], gini(std::move(e)));
    }
    std::tie(f.gallagher_key, f.loosemore_hanby_key) = disproportionality(t, t.key);
    std::tie(f.gallagher_quota, f.loosemore_hanby_quota) = disproportionality(t, t.quota);
    if (const auto pop = regions.indicator("population")) {
      double lo = 0, hi = 0;
      bool any = false;
      for (const auto& [region, c] : t.cents) {
        const double w = weight(region, Eigen::Index(*pop));
        if (!(w > 0)) continue;
        const double x = static_cast<double>(c) / w;
        lo = any ? std::min(lo, x) : x, hi = any ? std::max(hi, x) : x, any = true;
      }
      if (any && lo > 0) f.max_min_ratio = hi / lo;
    }
    if (const auto* r = rule_as<PositionsByKey>(bs)) {
      const Halves base_units = r->base / r->unit;
      for (const auto& [region, h] : t.halves) {
        const double claim = 2.0 * t.quota.at(region);  // in halves
        if (r->min && h == std::max((*r->min + r->unit - 1) / r->unit, base_units) * r->unit && claim < static_cast<double>(h))
          f.held_at_minimum.push_back(region);
        if (r->max && h == std::max(*r->max / r->unit, base_units) * r->unit && claim > static_cast<double>(h))
          f.held_at_maximum.push_back(region);
      }
    }
    if (const auto* m = rule_as<MoneyByKey>(bs))
      for (const auto& [region, c] : t.cents)
        if (m->minimum > 0 && c == m->minimum && 100.0 * t.quota.at(region) < static_cast<double>(c))
          f.held_at_minimum.push_back(region);
    out.push_back(std::move(f));
  }
  // The whole allocation over Kreis-level areas: Bausteine reach different recipients (a große
  // kreisangehörige Stadt in B3 only), so only the area around them has one population for all.
  Fairness total;
  total.baustein = "total";
  std::map<std::size_t, Cents> area;
  for (const auto& r : a.rows) area[regions.kreis_of(r.region)] += r.cents;
  for (std::size_t col = 0; col < regions.indicator_names.size(); ++col) {
    std::vector<std::pair<double, double>> e;
    for (const auto& [region, c] : area)
      e.emplace_back(static_cast<double>(c), regions.indicators(Eigen::Index(region), Eigen::Index(col)));
    total.gini.emplace_back(regions.indicator_names[col], gini(std::move(e)));
  }
  if (const auto pop = regions.indicator("population")) {
    double lo = 0, hi = 0;
    bool any = false;
    for (const auto& [region, c] : area) {
      const double w = regions.indicators(Eigen::Index(region), Eigen::Index(*pop));
      if (!(w > 0)) continue;
      const double x = static_cast<double>(c) / w;
      lo = any ? std::min(lo, x) : x, hi = any ? std::max(hi, x) : x, any = true;
    }
    if (any && lo > 0) total.max_min_ratio = hi / lo;
  }
  out.push_back(std::move(total));
  return out;
}

bool same_rule(const Baustein& a, const Baustein& b) {
  const auto* x = rule_as<PositionsByKey>(a);
  const auto* y = rule_as<PositionsByKey>(b);
  if (!x || !y) return false;
  const auto sig = [](const std::optional<Ratio>& r) { return r ? std::pair{r->num, r->den} : std::pair<std::uint64_t, std::uint64_t>{0, 0}; };
  return x->rule.method == y->rule.method && sig(x->rule.first_signpost) == sig(y->rule.first_signpost) &&
         x->unit == y->unit && x->base == y->base && x->min == y->min && x->max == y->max;
}

/// a/b versus c/d for key shares: -1, 0 or 1 within the relative tolerance.
int compare_ratios(double a, double b, double c, double d) {
  const double l = a * d, r = c * b;
  const double tol = 1e-9 * std::max(std::abs(l), std::abs(r));
  return l > r + tol ? 1 : (l < r - tol ? -1 : 0);
}

std::string name_of(const Regions& r, std::size_t i) { return r.list[i].name; }

}  // namespace

std::vector<Fairness> fairness(const ComparedScenario& s) { return fairness_of(s); }

std::vector<Paradox> find_paradoxes(std::span<const ComparedScenario> s) {
  std::vector<Paradox> out;
  const auto ids = baustein_ids(s);
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = i + 1; j < s.size(); ++j)
      for (const auto& id : ids) {
        const auto& bi = s[i].scenario->bausteine;
        const auto& bj = s[j].scenario->bausteine;
        const auto pi = std::find_if(bi.begin(), bi.end(), [&](const Baustein& b) { return b.id == id; });
        const auto pj = std::find_if(bj.begin(), bj.end(), [&](const Baustein& b) { return b.id == id; });
        if (pi == bi.end() || pj == bj.end() || !same_rule(*pi, *pj)) continue;
        const Territories ti = territories_of(*s[i].allocation, static_cast<std::size_t>(pi - bi.begin()));
        const Territories tj = territories_of(*s[j].allocation, static_cast<std::size_t>(pj - bj.begin()));
        const Regions& regions = *s[0].regions;
        std::vector<std::size_t> common;
        for (const auto& [region, k] : ti.key)
          if (tj.key.count(region)) common.push_back(region);
        const bool same_recipients = common.size() == ti.key.size() && common.size() == tj.key.size();
        bool same_key = same_recipients;
        for (std::size_t r : common)
          if (std::abs(ti.key.at(r) - tj.key.at(r)) > 1e-9 * std::max(ti.key.at(r), tj.key.at(r))) same_key = false;
        const std::string where = s[i].name + " → " + s[j].name + ", " + id + ": ";
        if (same_key && ti.total_halves != tj.total_halves) {
          // The larger house must not leave anyone with less.
          const bool grows = tj.total_halves > ti.total_halves;
          for (std::size_t r : common) {
            const Halves before = ti.halves.at(r), after = tj.halves.at(r);
            if (grows ? after < before : after > before)
              out.push_back({ParadoxKind::alabama, i, j, id, {r},
                             where + vza(ti.total_halves) + " → " + vza(tj.total_halves) + " VZÄ with the same recipients, key and rule, but " +
                                 name_of(regions, r) + " " + (grows ? "falls" : "rises") + " " + vza(before) + " → " + vza(after) + " VZÄ"});
          }
        }
        if (same_recipients && !same_key && ti.total_halves == tj.total_halves) {
          for (std::size_t a : common)
            for (std::size_t b : common) {
              if (a == b || !(tj.halves.at(a) < ti.halves.at(a)) || !(tj.halves.at(b) > ti.halves.at(b))) continue;
              if (compare_ratios(tj.key.at(a), tj.key.at(b), ti.key.at(a), ti.key.at(b)) > 0)
                out.push_back({ParadoxKind::population, i, j, id, {a, b},
                               where + name_of(regions, a) + "'s key weight rose relative to " + name_of(regions, b) + "'s, yet it falls " +
                                   vza(ti.halves.at(a)) + " → " + vza(tj.halves.at(a)) + " VZÄ while " + name_of(regions, b) + " rises " +
                                   vza(ti.halves.at(b)) + " → " + vza(tj.halves.at(b))});
            }
        }
        if (!same_recipients && !common.empty()) {
          const std::size_t added = tj.key.size() - common.size(), removed = ti.key.size() - common.size();
          for (std::size_t a : common)
            for (std::size_t b : common) {
              if (a == b || !(tj.halves.at(a) > ti.halves.at(a)) || !(tj.halves.at(b) < ti.halves.at(b))) continue;
              if (compare_ratios(tj.key.at(a), tj.key.at(b), ti.key.at(a), ti.key.at(b)) == 0)
                out.push_back({ParadoxKind::new_recipient, i, j, id, {b, a},
                               where + std::to_string(added) + " recipient(s) added, " + std::to_string(removed) + " removed; " +
                                   name_of(regions, b) + " falls " + vza(ti.halves.at(b)) + " → " + vza(tj.halves.at(b)) + " VZÄ and " +
                                   name_of(regions, a) + " rises " + vza(ti.halves.at(a)) + " → " + vza(tj.halves.at(a)) +
                                   " though their key weights stand as before"});
            }
        }
      }
  return out;
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
