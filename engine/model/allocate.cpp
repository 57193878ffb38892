// allocate(): a scenario's Bausteine over the regions, exactly in cents and half positions.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "kimsim/model.hpp"

namespace kimsim {

std::string_view region_type_name(RegionType t) {
  switch (t) {
    case RegionType::kreis: return "Kreis";
    case RegionType::kreisfreie_stadt: return "kreisfreie Stadt";
    case RegionType::gemeinde: return "Gemeinde";
  }
  return "?";
}

bool Region::has(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::optional<std::size_t> Regions::find(std::string_view ags) const {
  if (by_ags_.size() == list.size()) {
    const auto it = by_ags_.find(ags);
    return it == by_ags_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }
  for (std::size_t i = 0; i < list.size(); ++i)  // while the list is being built
    if (list[i].ags == ags) return i;
  return std::nullopt;
}

std::uint64_t Regions::flag_bit(std::string_view flag) const {
  for (std::size_t b = 0; b < flag_names_.size(); ++b)
    if (flag_names_[b] == flag) return std::uint64_t{1} << b;
  return 0;
}

void Regions::index() {
  flag_names_.clear();
  for (auto& r : list) {
    r.flag_bits = 0;
    for (const auto& f : r.flags) {
      auto it = std::find(flag_names_.begin(), flag_names_.end(), f);
      if (it == flag_names_.end()) {
        if (flag_names_.size() == 64) throw InputError("more than 64 distinct region flags");
        it = flag_names_.insert(flag_names_.end(), f);
      }
      r.flag_bits |= std::uint64_t{1} << (it - flag_names_.begin());
    }
  }
  by_ags_.clear();
  for (std::size_t i = 0; i < list.size(); ++i) by_ags_.emplace(list[i].ags, i);
  parent_.resize(list.size());
  members_.assign(list.size(), {});
  for (std::size_t i = 0; i < list.size(); ++i) {
    parent_[i] = list[i].type == RegionType::gemeinde ? find(list[i].kreis).value_or(i) : i;
    if (parent_[i] != i) members_[parent_[i]].push_back(i);
  }
}

std::optional<std::size_t> Regions::indicator(std::string_view name) const {
  for (std::size_t i = 0; i < indicator_names.size(); ++i)
    if (indicator_names[i] == name) return i;
  return std::nullopt;
}

std::vector<std::size_t> select(const Regions& regions, const Selector& s,
                                std::span<const std::uint8_t> absent) {
  // Names are resolved once per call, so the loop over regions compares only small integers.
  const std::size_t n = regions.list.size();
  std::vector<std::uint8_t> listed(n, 0);  // 1 include, 2 exclude
  for (const auto& a : s.include)
    if (auto i = regions.find(a)) listed[*i] |= 1;
  for (const auto& a : s.exclude)
    if (auto i = regions.find(a)) listed[*i] |= 2;
  std::uint32_t types = 0;
  for (auto t : s.types) types |= 1u << static_cast<unsigned>(t);
  std::uint64_t flags = 0;
  bool unknown_flag = false;
  for (const auto& f : s.flags) {
    const std::uint64_t bit = regions.flag_bit(f);
    flags |= bit;
    unknown_flag |= bit == 0;  // a flag no region carries selects nothing
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    const Region& r = regions.list[i];
    bool pick = types == 0 || (types >> static_cast<unsigned>(r.type)) & 1u;
    pick = pick && !unknown_flag && (r.flag_bits & flags) == flags;
    pick = (pick || (listed[i] & 1)) && !(listed[i] & 2);
    if (!absent.empty() && absent[i]) pick = false;
    if (pick) out.push_back(i);
  }
  return out;
}

std::vector<double> key_shares(const Regions& regions, const std::vector<std::size_t>& who,
                               const Key& key) {
  const std::size_t n = who.size();
  // Shares of each indicator over the recipients, as columns; the key is one matrix-vector
  // product with the term weights.
  Eigen::MatrixXd shares(n, key.terms.size());
  Eigen::VectorXd alpha(key.terms.size());
  // A Kreis' value covers its territory less the member Gemeinden that are recipients of the
  // same Baustein themselves (a große kreisangehörige Stadt with its own ABH, Stadt Aachen with
  // its own KI): they are served by their own authority, not by the Kreis.
  std::vector<std::vector<std::size_t>> carved(n);
  for (std::size_t k = 0; k < n; ++k)
    if (regions.list[who[k]].type == RegionType::kreis)
      for (std::size_t g : regions.members(who[k]))
        if (std::binary_search(who.begin(), who.end(), g)) carved[k].push_back(g);
  auto column_shares = [&](const std::string& name) {
    const auto c = regions.indicator(name);
    if (!c) throw InputError("no data provides the indicator '" + name + "'");
    Eigen::VectorXd v(n);
    for (std::size_t k = 0; k < n; ++k) {
      v[k] = regions.indicators(who[k], *c);
      for (auto g : carved[k]) v[k] -= regions.indicators(g, *c);
      v[k] = std::max(v[k], 0.0);
    }
    const double total = v.sum();
    if (!(total > 0)) throw InputError("the indicator '" + name + "' is zero for all recipients");
    return Eigen::VectorXd(v / total);
  };
  for (std::size_t t = 0; t < key.terms.size(); ++t) {
    shares.col(t) = column_shares(key.terms[t].indicator);
    alpha[t] = key.terms[t].weight;
  }
  Eigen::VectorXd k = shares * (alpha / alpha.sum());
  if (key.cap_indicator) {
    // Cap each share at factor x the cap indicator's share; the excess goes to the uncapped ones
    // in proportion to their keys, until no share exceeds its cap (at most n rounds).
    const Eigen::VectorXd cap = column_shares(*key.cap_indicator) * key.cap_factor;
    std::vector<bool> capped(n, false);
    for (std::size_t round = 0; round < n; ++round) {
      bool changed = false;
      for (std::size_t i = 0; i < n; ++i)
        if (!capped[i] && k[i] > cap[i]) capped[i] = true, changed = true;
      if (!changed) break;
      double fixed = 0, free = 0;
      for (std::size_t i = 0; i < n; ++i) (capped[i] ? fixed : free) += capped[i] ? cap[i] : k[i];
      if (!(free > 0))  // the rest would be shared as 0/0
        throw InputError("the cap on '" + *key.cap_indicator +
                         "' cannot be met: the recipients under it have no key share to take the excess");
      for (std::size_t i = 0; i < n; ++i) k[i] = capped[i] ? cap[i] : k[i] * (1.0 - fixed) / free;
    }
  }
  return {k.data(), k.data() + n};
}

std::vector<Halves> round_pass_through(const std::vector<double>& share_halves, Halves minimum) {
  std::vector<Halves> out;
  for (double s : share_halves)
    out.push_back(std::max<Halves>(minimum, static_cast<Halves>(std::floor(s + 0.5))));
  return out;
}

namespace {

/// x * y or x + y in cents or half positions, or an InputError where the result leaves the 64-bit
/// range: the scenario bounds each number it reads, not their products and sums.
std::int64_t checked(const Baustein& b, std::int64_t x, std::int64_t y, bool multiply) {
  std::int64_t r;
  if (multiply ? __builtin_mul_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r))
    throw InputError(b.id + ": the amounts are too large to compute with (beyond 2^63 cents)");
  return r;
}
std::int64_t product(const Baustein& b, std::int64_t x, std::int64_t y) { return checked(b, x, y, true); }
std::int64_t sum(const Baustein& b, std::int64_t x, std::int64_t y) { return checked(b, x, y, false); }

/// Key shares as integer weights: fixed point with 12 decimals, so that the kernel decides
/// exactly on them (and ties between equal keys are found, not hidden by rounding noise).
std::vector<std::uint64_t> weights_of(const std::vector<double>& shares) {
  std::vector<std::uint64_t> w;
  for (double s : shares) w.push_back(static_cast<std::uint64_t>(std::llround(s * 1e12)));
  return w;
}

std::string euros(Cents c) {
  const std::string sign = c < 0 ? "-" : "";
  c = std::abs(c);
  std::string cents = std::to_string(c % 100);
  if (cents.size() < 2) cents = "0" + cents;
  return sign + std::to_string(c / 100) + "." + cents + " EUR";
}

Cents half_rate(const Baustein& b) {
  if (b.rate_per_vza <= 0 || b.rate_per_vza % 2 != 0)
    throw InputError(b.id + ": rate_per_vza must be a positive amount with an even number of cents");
  return b.rate_per_vza / 2;
}

void fixed_staffing(const Baustein& b, const FixedStaffing& f, const Regions& regions,
                    const std::vector<std::size_t>& who, std::vector<AllocationRow>& rows) {
  const Cents half = half_rate(b);
  for (std::size_t k = 0; k < who.size(); ++k) {
    const Region& r = regions.list[who[k]];
    Halves h = 0;
    if (auto it = f.per_type.find(r.type); it != f.per_type.end()) h += it->second;
    for (const auto& [flag, extra] : f.per_flag)
      if (r.has(flag)) h += extra;
    // Extras for the Kreis' member Gemeinden with the flag, unless they are recipients
    // themselves.
    for (const auto& [flag, extra] : f.per_member_flag) {
      const std::uint64_t bit = regions.flag_bit(flag);
      for (std::size_t g : regions.members(who[k]))
        if ((regions.list[g].flag_bits & bit) && !std::binary_search(who.begin(), who.end(), g)) h += extra;
    }
    rows[k].halves = h;
    rows[k].cents = product(b, h, half);
    rows[k].quota = static_cast<double>(h) / 2.0;
  }
}

void positions_by_key(const Baustein& b, const PositionsByKey& p, const Regions& regions,
                      const std::vector<std::size_t>& who, std::vector<AllocationRow>& rows,
                      BausteinTotals& totals, std::vector<std::string>& notes,
                      const std::vector<Halves>* floor, Workspace& ws) {
  const Cents half = half_rate(b);
  const Cents unit_cost = product(b, p.unit, half);
  const std::size_t n = who.size();
  if (p.base % p.unit != 0) throw InputError(b.id + ": the base must be a whole number of units");
  const auto shares = key_shares(regions, who, p.key);
  const std::int64_t units = b.budget / unit_cost;
  const std::int64_t base_units = p.base / p.unit;
  const std::int64_t keyed = units - base_units * static_cast<std::int64_t>(n);
  if (keyed < 0)
    throw InputError(b.id + ": the budget buys " + std::to_string(units) + " units, fewer than the base of " +
                     std::to_string(base_units) + " for each of the " + std::to_string(n) + " recipients");
  std::vector<std::int64_t> lo, hi;
  if (p.min || p.max) {
    for (std::size_t k = 0; k < n; ++k) {
      lo.push_back(p.min ? std::max<std::int64_t>(0, (*p.min + p.unit - 1) / p.unit - base_units) : 0);
      hi.push_back(p.max ? std::max<std::int64_t>(0, *p.max / p.unit - base_units) : kUnbounded);
    }
  }
  if (floor && !floor->empty()) {
    // Hold-harmless: last year's positions as a lower bound, as far as the units allow.
    std::vector<std::int64_t> held(n);
    std::int64_t sum = 0;
    for (std::size_t k = 0; k < n; ++k) {
      held[k] = std::max<std::int64_t>(0, (*floor)[who[k]] / p.unit - base_units);
      if (!lo.empty()) held[k] = std::max(held[k], lo[k]);
      if (!hi.empty()) held[k] = std::min(held[k], hi[k]);
      sum += held[k];
    }
    if (sum <= keyed) {
      lo = std::move(held);
      if (hi.empty()) hi.assign(n, kUnbounded);
    }
  }
  std::vector<std::int64_t> seats(n);
  const Outcome out = apportion(p.rule, weights_of(shares), keyed, seats, ws, Bounds{lo, hi});
  if (out.tie) notes.push_back(b.id + ": a tie for the last units was decided by the tie policy");
  for (std::size_t k = 0; k < n; ++k) {
    rows[k].halves = (seats[k] + base_units) * p.unit;
    rows[k].cents = rows[k].halves * half;
    rows[k].key_share = shares[k];
    rows[k].quota = (static_cast<double>(keyed) * shares[k] + static_cast<double>(base_units)) *
                    static_cast<double>(p.unit) / 2.0;
  }
  totals.unallocated_reason = "less than one unit of " + euros(unit_cost) + " left";
}

void money_by_key(const Baustein& b, const MoneyByKey& m, const Regions& regions,
                  const std::vector<std::size_t>& who, std::vector<AllocationRow>& rows,
                  std::vector<std::string>& notes, Workspace& ws) {
  const std::size_t n = who.size();
  const auto shares = key_shares(regions, who, m.key);
  if (product(b, m.minimum, static_cast<Cents>(n)) > b.budget)
    throw InputError(b.id + ": the minimum of " + euros(m.minimum) + " for " + std::to_string(n) +
                     " recipients exceeds the budget");
  // Largest remainder on cents with the minimum as a lower bound: a recipient below the minimum
  // is raised to it and the rest is shared by key among the others (exact to the cent).
  const std::vector<std::int64_t> lo(n, m.minimum);
  std::vector<std::int64_t> cents(n);
  const Outcome out = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::order, 0},
                                weights_of(shares), b.budget, cents, ws, Bounds{lo, {}});
  if (out.tie) notes.push_back(b.id + ": equal claims to the last cents went to the earlier AGS");
  for (std::size_t k = 0; k < n; ++k) {
    rows[k].cents = cents[k];
    rows[k].key_share = shares[k];
    rows[k].quota = static_cast<double>(b.budget) * shares[k] / 100.0;
  }
}

void pass_through(const Baustein& b, const PassThrough& pt, const Regions& regions,
                  std::vector<AllocationRow>& rows, std::size_t baustein) {
  const auto kreis = regions.find(pt.kreis);
  if (!kreis) throw InputError(b.id + ": pass-through from unknown Kreis " + pt.kreis);
  auto row = std::find_if(rows.begin(), rows.end(), [&](const AllocationRow& r) { return r.region == *kreis; });
  if (row == rows.end()) return;  // the Kreis takes no part (did not apply): nothing to pass on
  const auto c = regions.indicator(pt.key);
  if (!c) throw InputError(b.id + ": no data provides the pass-through key '" + pt.key + "'");
  const double kreis_total = regions.indicators(*kreis, *c);
  std::vector<double> share;
  std::vector<std::size_t> members;
  for (const auto& ags : pt.gemeinden) {
    const auto g = regions.find(ags);
    if (!g || regions.list[*g].kreis != pt.kreis)
      throw InputError(b.id + ": " + ags + " is not a Gemeinde of Kreis " + pt.kreis);
    // The Gemeinde's part of the Kreis total; data where it is larger would pass on more than the
    // Kreis has (and a share far out of range cannot be rounded to half positions).
    const double part = regions.indicators(*g, *c);
    if (!(kreis_total > 0))
      throw InputError(b.id + ": Kreis " + pt.kreis + " has no " + pt.key + " to pass positions on by");
    if (part > kreis_total)
      throw InputError(b.id + ": " + ags + " has more " + pt.key + " than its Kreis " + pt.kreis);
    members.push_back(*g);
    share.push_back(static_cast<double>(row->halves) * part / kreis_total);
  }
  const auto halves = round_pass_through(share, pt.minimum);
  const Halves passed = std::accumulate(halves.begin(), halves.end(), Halves{0});
  if (passed > row->halves)
    throw InputError(b.id + ": Kreis " + pt.kreis + " cannot pass on more positions than it has");
  const Cents half = half_rate(b);
  const std::string kreis_name = regions.list[*kreis].name;
  const std::size_t kreis_row = static_cast<std::size_t>(row - rows.begin());
  for (std::size_t k = 0; k < members.size(); ++k) {
    AllocationRow r;
    r.region = members[k];
    r.baustein = baustein;
    r.halves = halves[k];
    r.cents = halves[k] * half;
    r.quota = share[k] / 2.0;
    r.note = "passed on by " + kreis_name;
    r.passed_on_by = *kreis;
    rows[kreis_row].halves -= r.halves;
    rows[kreis_row].cents -= r.cents;
    rows.push_back(std::move(r));
  }
  std::string note = "passes " + std::to_string(passed / 2) + (passed % 2 ? ".5" : "") +
                     " VZÄ on to its Gemeinden";
  if (!pt.waived.empty()) {
    note += "; waived:";
    for (const auto& w : pt.waived) {
      const auto g = regions.find(w);
      note += " " + (g ? regions.list[*g].name : w);
    }
  }
  rows[kreis_row].note = note;
}

}  // namespace

Allocation allocate(const Scenario& scenario, const Regions& regions, const Overrides& overrides) {
  Allocation result;
  Workspace own;
  Workspace& ws = overrides.workspace ? *overrides.workspace : own;
  for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
    const Baustein& b = scenario.bausteine[bi];
    const auto who = select(regions, b.recipients, overrides.absent);
    if (who.empty()) throw InputError(b.id + ": no region matches its recipients");
    std::vector<AllocationRow> rows(who.size());
    for (std::size_t k = 0; k < who.size(); ++k) rows[k].region = who[k], rows[k].baustein = bi;
    BausteinTotals totals;
    totals.budget = b.budget;
    std::visit(
        [&](const auto& rule) {
          using T = std::decay_t<decltype(rule)>;
          if constexpr (std::is_same_v<T, FixedStaffing>) fixed_staffing(b, rule, regions, who, rows);
          if constexpr (std::is_same_v<T, PositionsByKey>)
            positions_by_key(b, rule, regions, who, rows, totals, result.notes,
                             overrides.floor ? &(*overrides.floor)[bi] : nullptr, ws);
          if constexpr (std::is_same_v<T, MoneyByKey>) money_by_key(b, rule, regions, who, rows, result.notes, ws);
        },
        b.rule);
    Cents allocated = 0;
    for (const auto& r : rows) allocated = sum(b, allocated, r.cents);
    if (allocated > b.budget)
      throw InputError(b.id + ": the rule needs " + euros(allocated) + ", more than the budget of " +
                       euros(b.budget));
    Cents rest = b.budget - allocated;
    if (rest > 0 && b.residual == Residual::split_by_key) {
      // The rest by the rule's key, or by positions where the rule has none (fixed staffing).
      std::vector<std::uint64_t> w;
      for (const auto& r : rows)
        w.push_back(r.key_share > 0 ? static_cast<std::uint64_t>(std::llround(r.key_share * 1e12))
                                    : static_cast<std::uint64_t>(r.halves));
      std::vector<std::int64_t> parts(rows.size());
      split_cents(rest, w, parts, ws);
      for (std::size_t k = 0; k < rows.size(); ++k) rows[k].cents += parts[k];
      rest = 0;
      totals.unallocated_reason.clear();
    } else if (rest > 0 && totals.unallocated_reason.empty()) {
      totals.unallocated_reason = "not used by the rule";
    }
    for (const auto& pt : b.pass_through) pass_through(b, pt, regions, rows, bi);
    totals.allocated = b.budget - rest;
    totals.unallocated = rest;
    for (const auto& r : rows) totals.halves += r.halves;
    totals.recipients = rows.size();
    if (rest == 0) totals.unallocated_reason.clear();
    result.totals.push_back(std::move(totals));
    for (auto& r : rows) result.rows.push_back(std::move(r));
  }
  return result;
}

}  // namespace kimsim
