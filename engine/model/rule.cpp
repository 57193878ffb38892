// What every rule shares: the places of its Baustein's values, checked arithmetic, the rule table.
#include "kimsim/rule.hpp"

#include <cmath>
#include <fmt/format.h>

#include "kimsim/format.hpp"

namespace kimsim {

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

std::string vza_text(Halves h) { return std::to_string(h / 2) + (h % 2 ? ".5" : ".0"); }

std::string money_text(Cents c) { return format_euros(c) + " EUR"; }

std::string number_text(double x) { return fmt::format("{:.12g}", x); }

}  // namespace kimsim
