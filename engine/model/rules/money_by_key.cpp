// money_by_key (the Integrationspauschale pattern): the budget in cents by the key, largest
// remainder, with a minimum amount per recipient as a lower bound (a recipient below it is
// raised to it and the rest is shared by key among the others).
#include <cmath>

#include "kimsim/rules.hpp"

namespace kimsim {
namespace {

std::shared_ptr<const AllocationRule> read(BlockReader& r) {
  auto rule = std::make_shared<MoneyByKey>();
  rule->key = r.distribution_key("key", "cap");
  rule->minimum = r.euros("minimum_eur").value_or(0);
  return rule;
}

class Compiled final : public CompiledRule {
 public:
  explicit Compiled(const MoneyByKey& rule) : rule_(rule) {}

  /// The minimum of this evaluation: the rule's, or the one it overrides.
  static Cents minimum_of(const MoneyByKey& rule, const RuleCall& c) {
    return c.over && c.over->minimum ? *c.over->minimum : rule.minimum;
  }

  void evaluate(RuleCall& c) const override {
    RuleScratch& s = c.scratch;
    const std::size_t n = c.at.size();
    const Cents minimum = minimum_of(rule_, c);
    if (c.product(minimum, static_cast<Cents>(n)) > c.budget)
      c.refuse(c.in_block("minimum_eur"), c.b().id + ": the minimum of " + money_text(minimum) + " for " +
                                           std::to_string(n) + " recipients exceeds the budget",
               {"budget_eur"});
    s.lo.assign(n, minimum);
    s.seats.resize(n);
    c.outcome = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::order, 0}, c.weight, c.budget, s.seats,
                          s.kernel, Bounds{s.lo, {}});
    for (std::size_t j = 0; j < n; ++j) c.cents[c.at[j]] = s.seats[j];
    if (c.claims)
      for (std::size_t j = 0; j < n; ++j) c.quota[c.at[j]] = static_cast<double>(c.budget) * c.share[j] / 100.0;
  }

  void describe(const RuleCall& c, std::size_t j, Trace& out) const override {
    const RuleScratch& s = c.scratch;
    const std::size_t k = c.at[j];
    const double quota = static_cast<double>(c.budget) * c.share[j];
    out.push_back({"weight (key share in 12 decimals)", std::to_string(c.weight[j]), "", {static_cast<std::int64_t>(c.weight[j])}});
    out.push_back({"quota of the budget", number_text(quota) + " cents = " + money_text(c.budget) + " x key share",
                   c.place("budget_eur"), {c.budget}, {quota}});
    out.push_back({"minimum", money_text(minimum_of(rule_, c)), c.place(c.in_block("minimum_eur")), {minimum_of(rule_, c)}});
    // Largest remainder on cents, the minimum as a lower bound: a recipient whose quota of what
    // the others leave lies below the minimum is raised to it.
    describe_largest_remainder(c.weight, c.budget, Bounds{s.lo, {}}, s.seats, c.outcome, TiePolicy::order, j, "cents", out);
    out.push_back({"cents", std::to_string(c.cents[k]) + " = " + money_text(c.cents[k]), "", {c.cents[k]}});
  }

 private:
  const MoneyByKey& rule_;
};

}  // namespace

namespace rules {
const RuleType& money_by_key() {
  static const RuleType type{"money_by_key", "money: the budget in cents by the key, largest remainder, with a minimum per recipient",
                             {"key", "cap", "minimum_eur"}, {"key"}, false, read};
  return type;
}
}  // namespace rules

const RuleType& MoneyByKey::type() const { return rules::money_by_key(); }

std::unique_ptr<const CompiledRule> MoneyByKey::compile(const RuleSite&) const {
  return std::make_unique<Compiled>(*this);
}

}  // namespace kimsim
