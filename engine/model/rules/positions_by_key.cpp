// positions_by_key (KIM B2, B3): a base per recipient, then the units the rest of the budget buys
// apportioned by the key with any apportionment method, within optional bounds per recipient and
// above last year's positions where a simulation holds them harmless.
#include <algorithm>
#include <cmath>

#include "kernel/signpost.hpp"
#include "kimsim/rules.hpp"

namespace kimsim {
namespace {

std::shared_ptr<const AllocationRule> read(BlockReader& r) {
  auto rule = std::make_shared<PositionsByKey>();
  rule->key = r.distribution_key("key", "cap");
  if (r.has("unit_vza")) rule->unit = r.vza("unit_vza").value_or(1);
  if (rule->unit <= 0) r.error("unit_vza", "the unit must be at least 0.5");
  if (r.has("base_vza")) rule->base = r.vza("base_vza").value_or(0);
  if (r.has("min_vza")) rule->min = r.vza("min_vza");
  if (r.has("max_vza")) rule->max = r.vza("max_vza");
  const std::string method = r.text("method").value_or("sainte-lague");
  if (const auto m = parse_method(method)) rule->rule.method = *m;
  else {
    std::vector<std::string> names;
    for (const auto n : method_names()) names.emplace_back(n);
    r.error("method", "unknown method '" + method + "'" + r.did_you_mean(method, names));
  }
  const std::string ties = r.text("ties").value_or("error");
  if (const auto t = parse_tie_policy(ties)) rule->rule.ties = *t;
  else r.error("ties", "unknown tie policy '" + ties + "'; expected error, order or lot");
  rule->rule.seed = r.seed("seed").value_or(0);
  return rule;
}

/// The numbers of one evaluation: the rule's own, or those the evaluation overrides
/// (BausteinOverrides), so that a sweep point patches a compiled plan instead of recompiling it.
struct Values {
  Halves unit = 1, base = 0;
  std::optional<Halves> min, max;
  Rule rule;
  /// The base in units (whole: check() refuses a base that is not).
  std::int64_t base_units = 0;
  Values(const PositionsByKey& r, const BausteinOverrides* o)
      : unit(o && o->unit ? *o->unit : r.unit), base(o && o->base ? *o->base : r.base),
        min(o && o->min ? o->min : r.min), max(o && o->max ? o->max : r.max), rule(r.rule), base_units(base / unit) {
    if (o && o->method) rule.method = *o->method;
  }
  /// The bounds in units beyond the base, the same for every recipient: at least lo(), at most
  /// hi() (kUnbounded: none). Given to the kernel only where the rule has a minimum or a maximum.
  bool bounded() const { return min || max; }
  std::int64_t lo() const { return min ? std::max<std::int64_t>(0, (*min + unit - 1) / unit - base_units) : 0; }
  std::int64_t hi() const { return max ? std::max<std::int64_t>(0, *max / unit - base_units) : kUnbounded; }
};

/// What compile() checks of the values, said at the value: also for an evaluation's overrides.
void check(const RuleSite& site, const Values& v) {
  if (v.base % v.unit != 0)
    site.refuse(site.in_block("base_vza"), site.b().id + ": the base must be a whole number of units", {site.in_block("unit_vza")});
  if (v.min && v.max && *v.max < *v.min)
    site.refuse(site.in_block("max_vza"),
                site.b().id + ": the maximum of " + vza_text(*v.max) + " VZÄ is below the minimum of " + vza_text(*v.min) + " VZÄ",
                {site.in_block("min_vza")});
}

/// Whether a recipient can reach its maximum `hi`: it receives at most the `keyed` units less
/// the others' minimums `lo` (empty: 0). `uniform`: every recipient has the same bounds (no floor).
bool max_reachable(std::span<const std::int64_t> lo, std::span<const std::int64_t> hi, std::int64_t keyed, bool uniform) {
  using i128 = __int128;
  const std::size_t n = hi.size();
  if (uniform) return i128{hi[0]} + i128{lo.empty() ? 0 : lo[0]} * i128(n - 1) <= keyed;
  i128 others = 0;
  for (std::size_t j = 0; !lo.empty() && j < n; ++j) others += lo[j];
  for (std::size_t j = 0; j < n; ++j)
    if (i128{hi[j]} + others - (lo.empty() ? 0 : lo[j]) <= keyed) return true;
  return false;
}

class Compiled final : public CompiledRule {
 public:
  Compiled(const PositionsByKey& rule, std::size_t candidates) : rule_(rule) {
    if (const Values own(rule, nullptr); own.bounded()) lo_.assign(candidates, own.lo()), hi_.assign(candidates, own.hi());
  }

  void evaluate(RuleCall& c) const override {
    const Values rule(rule_, c.over);
    if (c.over) check(c, rule);
    RuleScratch& s = c.scratch;
    const std::size_t n = c.at.size();
    const Cents half = c.half_rate();
    const Cents unit_cost = c.product(rule.unit, half);
    const std::int64_t units = c.budget / unit_cost;
    const std::int64_t base_units = rule.base_units;
    const std::int64_t keyed = units - base_units * static_cast<std::int64_t>(n);
    // The values that decide how many units the budget buys: an error about them names the one a
    // variant changed (a rate too high for its base's budget), else the budget. Built only for an
    // error: five strings and a vector every evaluation were 4.3k of a replication's 76.2k
    // instructions (perf.md § 44).
    const auto buys = [&c] {
      return std::vector<std::string>{"budget_eur", "rate_per_vza_eur", "months", c.in_block("unit_vza"), c.in_block("base_vza")};
    };
    if (keyed < 0)
      c.refuse("budget_eur", c.b().id + ": the budget buys " + std::to_string(units) + " units, fewer than the base of " +
                                 std::to_string(base_units) + " for each of the " + std::to_string(n) + " recipients", buys());
    std::span<const std::int64_t> lo, hi;  // what the kernel gets: the bounds, or last year's positions
    if (rule.bounded()) {
      const std::int64_t least = rule.lo(), most = rule.hi();
      if (!lo_.empty() && least == lo_[0] && most == hi_[0]) {  // the rule's own: filled once
        lo = std::span(lo_).first(n), hi = std::span(hi_).first(n);
      } else {
        s.lo.assign(n, least), s.hi.assign(n, most);
        lo = s.lo, hi = s.hi;
      }
      // Said here, where the scenario's values are known, not by the kernel's bounds check.
      if (static_cast<double>(least) * static_cast<double>(n) > static_cast<double>(keyed))
        c.refuse(c.in_block("min_vza"), c.b().id + ": the budget buys " + std::to_string(keyed) +
                                         (base_units ? " units beyond the bases" : " units") + ", fewer than the minimum of " +
                                         vza_text(*rule.min) + " VZÄ needs for each of the " + std::to_string(n) + " recipients",
                 buys());
      if (rule.max && static_cast<double>(most) * static_cast<double>(n) < static_cast<double>(keyed))
        c.refuse(c.in_block("max_vza"), c.b().id + ": the budget buys " + std::to_string(keyed) +
                                         (base_units ? " units beyond the bases" : " units") + ", more than the maximum of " +
                                         vza_text(*rule.max) + " VZÄ allows for the " + std::to_string(n) + " recipients",
                 buys());
    }
    if (!c.floor.empty()) {
      // Hold-harmless: last year's positions as a lower bound, as far as the units allow.
      std::int64_t sum = 0;
      s.seats.resize(n);
      for (std::size_t j = 0; j < n; ++j) {
        std::int64_t held = std::max<std::int64_t>(0, c.floor[c.at[j]] / rule.unit - base_units);
        if (!lo.empty()) held = std::max(held, lo[j]);
        if (!hi.empty()) held = std::min(held, hi[j]);
        s.seats[j] = held;
        sum += held;
      }
      if (sum <= keyed) {
        s.lo.assign(s.seats.begin(), s.seats.end());
        lo = s.lo;
        if (hi.empty()) s.hi.assign(n, kUnbounded), hi = s.hi;
      }
    }
    c.bounds = Bounds{lo, hi};
    s.seats.resize(n);
    // A maximum that no recipient can reach binds nothing (B3's "all the budget buys"): the kernel
    // is spared its checks (describe() still says it). Not so for Vinton, which caps the lower
    // quotas of the whole house at the maximum, reachable or not (its refusal counts them).
    const bool reachable = !hi.empty() && (rule.rule.method == Method::vinton ||
                                           max_reachable(lo, hi, keyed, c.floor.empty()));
    try {
      c.outcome = apportion(rule.rule, c.weight, keyed, s.seats, s.kernel,
                            Bounds{lo, reachable ? hi : std::span<const std::int64_t>()});
    } catch (const TieError& e) {
      c.refuse_tie(e, c.at, rule.unit);
    } catch (const InputError& e) {
      // The kernel's limits (units a method can apportion) said at the values that set the units.
      c.refuse("budget_eur", c.b().id + ": " + e.what() + " (the budget of " + money_text(c.budget) + " buys " +
                                 std::to_string(units) + " units of " + money_text(unit_cost) + ")");
    }
    const auto pay = [&, unit = rule.unit](std::size_t j, std::size_t k) {
      c.halves[k] = (s.seats[j] + base_units) * unit;
      c.cents[k] = c.halves[k] * half;
    };
    if (n == c.halves.size()) {  // everyone is present: at[j] == j, a contiguous range
      for (std::size_t j = 0; j < n; ++j) pay(j, j);
    } else {
      for (std::size_t j = 0; j < n; ++j) pay(j, c.at[j]);
    }
    if (c.claims)
      for (std::size_t j = 0; j < n; ++j)
        c.quota[c.at[j]] = (static_cast<double>(keyed) * c.share[j] + static_cast<double>(base_units)) *
                           static_cast<double>(rule.unit) / 2.0;
  }

  void describe(const RuleCall& c, std::size_t j, Trace& out) const override {
    const Values rule(rule_, c.over);
    const RuleScratch& s = c.scratch;
    const std::size_t k = c.at[j], n = c.at.size();
    const Cents half = c.rate / 2, unit_cost = rule.unit * half;
    const std::int64_t units = c.budget / unit_cost, base_units = rule.base_units;
    const std::int64_t keyed = units - base_units * static_cast<std::int64_t>(n);
    const std::int64_t seats = s.seats[j];
    const auto weight = static_cast<std::int64_t>(c.weight[j]);
    out.push_back({"unit", vza_text(rule.unit) + " VZÄ = " + money_text(unit_cost), c.place(c.in_block("unit_vza")),
                   {rule.unit, unit_cost}});
    out.push_back({"units the budget buys", std::to_string(units) + " = " + money_text(c.budget) + " / " + money_text(unit_cost),
                   c.place("budget_eur"), {units}});
    if (base_units)
      out.push_back({"base", std::to_string(base_units) + " units for each of the " + std::to_string(n) + " recipients",
                     c.place(c.in_block("base_vza")), {base_units}});
    out.push_back({"units by key", std::to_string(keyed), "", {keyed}});
    out.push_back({"weight (key share in 12 decimals)", std::to_string(weight), "", {weight}});
    const double quota = static_cast<double>(keyed) * c.share[j];
    out.push_back({"quota", number_text(quota) + " units = " + std::to_string(keyed) + " x key share", "", {}, {quota}});
    out.push_back({"method", std::string(method_name(rule.rule.method)) + ", ties: " +
                                 std::string(tie_policy_name(rule.rule.ties)), c.place(c.in_block("method"))});
    const Bounds bounds = c.bounds;
    const std::int64_t lo = bounds.min.empty() ? 0 : bounds.min[j], hi = bounds.max.empty() ? kUnbounded : bounds.max[j];
    const std::string beyond = base_units ? " units beyond the base" : " units";  // the bounds count keyed units
    if (is_divisor_method(rule.rule.method)) {
      // Every recipient no bound holds has s(a - 1) <= weight / D <= s(a) for each divisor D of
      // the range; inside it (or at it, where a tie leaves one divisor) the signposts below
      // weight / D count its units, and the bounds clamp them.
      const Signposts sp = make_signposts(rule.rule);
      const double low = c.outcome.divisor_low, high = c.outcome.divisor_high;
      const double d = std::isfinite(high) && high > low ? (low + high) / 2 : low;
      const double x = static_cast<double>(weight) / d;
      std::int64_t free = 0;
      while (sp.at(free) < x) ++free;
      out.push_back({"divisor", number_text(low) + " to " + number_text(high), "", {}, {low, high}});
      std::string at = "weight / divisor = " + number_text(x) + " at " + number_text(d);
      if (free > 0) at += ", above the signpost s(" + std::to_string(free - 1) + ") = " + number_text(sp.at(free - 1));
      at += ", up to s(" + std::to_string(free) + ") = " + number_text(sp.at(free)) + ": " + std::to_string(free) + " units";
      out.push_back({"rounding", at, "", {free}, {x, d}});
      const bool tied = c.outcome.tie && std::binary_search(c.outcome.tie->competitors.begin(), c.outcome.tie->competitors.end(), j);
      if (lo > 0)
        out.push_back({c.floor.empty() ? "at least" : "at least (the minimum, or last year's positions)",
                       std::to_string(lo) + beyond + (!tied && free < lo ? ": binds" : ": does not bind"),
                       rule.min ? c.place(c.in_block("min_vza")) : "", {lo}});
      if (hi != kUnbounded)
        out.push_back({"at most", std::to_string(hi) + beyond + (!tied && free > hi ? ": binds" : ": does not bind"),
                       c.place(c.in_block("max_vza")), {hi}});
      // A tied recipient sits at a signpost, weight / D = s(a) (up to rounding): the unit the
      // tie is for makes a + 1.
      const std::int64_t at_signpost = free > 0 && x - sp.at(free - 1) < sp.at(free) - x ? free - 1 : free;
      describe_tie(c.outcome, j, tied && seats > at_signpost, rule.rule.ties, "units", out);
    } else {
      if (lo > 0)
        out.push_back({c.floor.empty() ? "at least" : "at least (the minimum, or last year's positions)", std::to_string(lo) + beyond,
                       rule.min ? c.place(c.in_block("min_vza")) : "", {lo}});
      if (hi != kUnbounded) out.push_back({"at most", std::to_string(hi) + beyond, c.place(c.in_block("max_vza")), {hi}});
      describe_largest_remainder(c.weight, keyed, bounds, s.seats, c.outcome, rule.rule.ties, j, "units", out);
    }
    out.push_back({"units", std::to_string(seats) + (base_units ? " + " + std::to_string(base_units) + " base" : ""), "",
                   {seats, base_units}});
    out.push_back({"positions", vza_text(c.halves[k]) + " VZÄ", "", {c.halves[k]}});
    out.push_back({"amount per VZÄ", money_text(c.rate), c.place("rate_per_vza_eur"), {c.rate}});
    out.push_back({"cents", std::to_string(c.cents[k]) + " = " + vza_text(c.halves[k]) + " VZÄ x " + money_text(c.rate), "",
                   {c.cents[k]}});
  }

 private:
  const PositionsByKey& rule_;
  /// The rule's own bounds for each candidate, filled once: an evaluation with the same bounds
  /// gives the kernel the first n of them (B3's minimum and maximum in every replication).
  std::vector<std::int64_t> lo_, hi_;
};

}  // namespace

namespace rules {
const RuleType& positions_by_key() {
  static const RuleType type{"positions_by_key", "positions: a base per recipient, the rest in units by the key, by any apportionment method",
                             {"key", "cap", "unit_vza", "base_vza", "min_vza", "max_vza", "method", "ties", "seed"},
                             {"key"}, true, read};
  return type;
}
}  // namespace rules

const RuleType& PositionsByKey::type() const { return rules::positions_by_key(); }

std::unique_ptr<const CompiledRule> PositionsByKey::compile(const RuleSite& site) const {
  check(site, Values(*this, nullptr));
  return std::make_unique<Compiled>(*this, site.who.size());
}

std::string PositionsByKey::unallocated_reason(const Baustein& b) const {
  return "less than one unit of " + money_text(unit * (b.rate_per_vza / 2)) + " left";
}

std::string PositionsByKey::unallocated_reason_for(const Baustein& b, const BausteinOverrides& over) const {
  return "less than one unit of " + money_text(Values(*this, &over).unit * (b.rate_per_vza / 2)) + " left";
}

}  // namespace kimsim
