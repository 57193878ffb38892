// What every rule shares: the places of its Baustein's values, checked arithmetic, the rule table.
#include "kimsim/rule.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "kimsim/format.hpp"

namespace kimsim {

LocatedError SourceMap::error(const std::string& path, const std::string& what, const std::vector<std::string>& with) const {
  const Place* own = nearest(path);
  if (!own) return error(path, what);
  std::string at = path;
  std::size_t layer = own->layer;
  for (const std::string& w : with)  // w and every value inside it
    for (auto it = at_.lower_bound(w); it != at_.end() && it->first.compare(0, w.size(), w) == 0; ++it) {
      const char next = it->first.size() > w.size() ? it->first[w.size()] : '.';
      if ((next == '.' || next == '[') && it->second.layer < layer) at = it->first, layer = it->second.layer;
    }
  return error(at, what);
}

std::string baustein_path(const Scenario& s, std::size_t bi, const std::string& sub) {
  // By its id, as every path names a list item by its merge key; by position where the id is
  // none a path can hold.
  const std::string& id = s.bausteine[bi].id;
  const bool by_id = !id.empty() && id.find_first_of("[]") == std::string::npos;
  return "bausteine[" + (by_id ? id : std::to_string(bi)) + "]" + (sub.empty() ? "" : "." + sub);
}

std::string RuleSite::path(const std::string& sub) const { return baustein_path(scenario, baustein, sub); }

std::string RuleSite::in_block(const std::string& sub) const { return std::string(b().rule->type().name) + "." + sub; }

void RuleSite::refuse(const std::string& sub, const std::string& what) const {
  throw scenario.places.error(path(sub), what);
}

void RuleSite::refuse(const std::string& sub, const std::string& what, const std::vector<std::string>& with) const {
  std::vector<std::string> paths;
  for (const auto& w : with) paths.push_back(path(w));
  throw scenario.places.error(path(sub), what, paths);
}

void RuleSite::refuse_tie(const TieError& e, std::span<const std::uint32_t> at, Halves unit) const {
  const Tie& t = e.tie();
  std::string names;
  for (std::size_t k = 0; k < t.competitors.size(); ++k) {
    const std::size_t j = t.competitors[k];
    const Region& r = regions.list[who[at[j]]];
    names += fmt::format("{}{} {}", k == 0 ? "" : k + 1 == t.competitors.size() ? " and " : ", ", r.ags, r.name);
  }
  // Located as every other error of a rule's value (the same text as refuse() gives), thrown as a tie.
  const std::string policy = path(in_block("ties"));
  const InputError located = scenario.places.error(
      policy, fmt::format("{}: tie: {} have an equal claim to the last {} unit{} of {} VZÄ; the tie policy 'error' "
                                          "refuses to decide: set ties: order (the earlier AGS) or ties: lot, or change a value slightly",
                                          b().id, names, t.units, t.units == 1 ? "" : "s", vza_text(unit)));
  throw TieError(located.what(), t, policy);
}

std::string RuleSite::place(const std::string& sub) const {
  const std::string at = path(sub);
  const auto where = scenario.places.find(at);
  return where ? where->str() + " " + at : at;
}

std::int64_t RuleSite::candidate(std::size_t region) const {
  const auto at = std::lower_bound(who.begin(), who.end(), region);
  return at != who.end() && *at == region ? at - who.begin() : -1;
}

Cents RuleCall::half_rate() const {
  if (rate <= 0 || rate % 2 != 0)
    refuse("rate_per_vza_eur", b().id + ": rate_per_vza must be a positive amount with an even number of cents");
  return rate / 2;
}

void RuleCall::too_large() const {
  throw InputError(b().id + ": the amounts are too large to compute with (beyond 2^63 cents)");
}

void RuleTable::add(const RuleType& type) {
  if (type.name.empty() || !type.read) throw Error("a rule type needs a name and a reader");
  if (find(type.name)) throw InputError("a rule named '" + std::string(type.name) + "' is already in the table");
  types_.push_back(&type);
}

const RuleType* RuleTable::find(std::string_view name) const {
  for (const RuleType* t : types_)
    if (t->name == name) return t;
  return nullptr;
}

std::string RuleTable::names() const {
  std::string s;
  for (std::size_t i = 0; i < types_.size(); ++i)
    s += (i == 0 ? "" : i + 1 == types_.size() ? " or " : ", ") + std::string(types_[i]->name);
  return s;
}

void describe_largest_remainder(std::span<const std::uint64_t> weight, std::int64_t house, Bounds bounds,
                                std::span<const std::int64_t> seats, const Outcome& outcome, TiePolicy ties,
                                std::size_t j, const std::string& what, Trace& out) {
  using u128 = unsigned __int128;
  const std::size_t n = weight.size();
  const auto lo = [&](std::size_t i) { return bounds.min.empty() ? std::int64_t{0} : bounds.min[i]; };
  const auto hi = [&](std::size_t i) { return bounds.max.empty() ? kUnbounded : bounds.max[i]; };
  // As the kernel decides it: a recipient of weight 0, or whose bounds meet, takes its minimum;
  // of the others, one is held at a bound where the common factor lambda of the quotas
  // lambda x weight, chosen so that they sum to the units, puts its quota beyond the bound.
  enum : std::uint8_t { at_min, free, at_max, fixed };
  std::vector<std::uint8_t> status(n, at_min);
  std::int64_t units = house, base = 0;
  std::uint64_t free_weight = 0;
  struct Event {
    std::int64_t bound;
    std::uint64_t w;
    std::size_t i;
    bool leaves;  // free -> at its maximum; otherwise at its minimum -> free
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < n; ++i) {
    if (weight[i] == 0 || lo(i) == hi(i)) {
      status[i] = fixed, units -= lo(i);
      continue;
    }
    if (lo(i) > 0) base += lo(i), events.push_back({lo(i), weight[i], i, false});
    else status[i] = free, free_weight += weight[i];
    if (hi(i) != kUnbounded) events.push_back({hi(i), weight[i], i, true});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return u128(a.bound) * b.w < u128(b.bound) * a.w; });
  for (const Event& e : events) {
    if (u128(base) * e.w + u128(e.bound) * free_weight >= u128(units) * e.w) break;
    if (e.leaves) status[e.i] = at_max, base += hi(e.i), free_weight -= e.w;
    else status[e.i] = free, base -= lo(e.i), free_weight += e.w;
  }
  const std::int64_t shared = std::max<std::int64_t>(units - base, 0);
  const double lambda = free_weight ? static_cast<double>(shared) / static_cast<double>(free_weight) : 0.0;
  const double own = lambda * static_cast<double>(weight[j]);
  switch (status[j]) {
    case fixed:
      out.push_back({"largest remainder", std::to_string(lo(j)) + " " + what + ": " +
                                              (weight[j] == 0 ? "a weight of 0 takes its minimum" : "its minimum and maximum meet"),
                     "", {lo(j)}});
      return;
    case at_min:
      out.push_back({"held at the minimum", std::to_string(lo(j)) + " " + what + ": binds, its quota " + number_text(own) +
                                                " lies below it", "", {lo(j)}, {own}});
      return;
    case at_max:
      out.push_back({"held at the maximum", std::to_string(hi(j)) + " " + what + ": binds, its quota " + number_text(own) +
                                                " lies above it", "", {hi(j)}, {own}});
      return;
    default: break;
  }
  // The recipients no bound holds share the rest: the floor of each quota, then one more to the
  // largest remainders (exact: remainder r of shared x w = floor x W + r, 0 <= r < W).
  const auto split = [&](std::size_t i) {
    const u128 p = u128(shared) * weight[i];
    return std::pair<std::int64_t, std::int64_t>(static_cast<std::int64_t>(p / free_weight),
                                                 static_cast<std::int64_t>(p % free_weight));
  };
  const std::int64_t floor_j = split(j).first, rem_j = split(j).second;
  std::int64_t floors = 0, rank = 1, among = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (status[i] == free) {
      const auto fr = split(i);
      floors += fr.first, ++among;
      if (fr.second > rem_j) ++rank;
    }
  const std::int64_t left = shared - floors;
  const auto W = static_cast<std::int64_t>(free_weight), w = static_cast<std::int64_t>(weight[j]);
  out.push_back({"shared by largest remainder", std::to_string(shared) + " " + what + " among the " + std::to_string(among) +
                                                    " recipients no bound holds, of weight " + std::to_string(W), "", {shared, W}});
  out.push_back({"quota", number_text(own) + " " + what + " = " + std::to_string(shared) + " x " + std::to_string(w) + " / " +
                              std::to_string(W), "", {}, {own}});
  out.push_back({"floor of the quota", std::to_string(floor_j) + " " + what, "", {floor_j}});
  out.push_back({"remainder", std::to_string(rem_j) + " / " + std::to_string(W) + ", the " + std::to_string(rank) +
                                  (rank % 100 / 10 == 1 ? "th" : rank % 10 == 1 ? "st" : rank % 10 == 2 ? "nd" : rank % 10 == 3 ? "rd" : "th") + " largest of " +
                                  std::to_string(among), "", {rem_j, rank}});
  out.push_back({"left for the largest remainders", std::to_string(left) + " " + what, "", {left}});
  describe_tie(outcome, j, seats[j] > floor_j, ties, what, out);
}

void describe_tie(const Outcome& outcome, std::size_t j, bool won, TiePolicy policy, const std::string& what,
                  Trace& out) {
  if (!outcome.tie) return;
  const Tie& t = *outcome.tie;
  const std::string tied = std::to_string(t.competitors.size()) + " recipients tied for the last " + std::to_string(t.units) +
                           " " + what + (t.divisor > 0 ? " at the divisor " + number_text(t.divisor) : "");
  if (!std::binary_search(t.competitors.begin(), t.competitors.end(), j)) {
    out.push_back({"tie", tied + "; not this one", ""});
    return;
  }
  out.push_back({"tie", tied + ", this one among them; ties: " + std::string(tie_policy_name(policy)) +
                            (won ? " gave it one of them" : " gave it none of them"),
                 "", {won ? 1 : 0}});
}

std::string vza_text(Halves h) { return std::to_string(h / 2) + (h % 2 ? ".5" : ".0"); }

std::string money_text(Cents c) { return format_euros(c) + " EUR"; }

std::string number_text(double x) { return fmt::format("{:.12g}", x); }

}  // namespace kimsim
