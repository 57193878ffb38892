// kimsim's built-in allocation rules, for programs that build or inspect a scenario in C++. Each
// is implemented in its own file under engine/model/rules/ and listed in the rule table; a rule
// that only scenarios use needs no declaration here (see kimsim/rule.hpp).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "kimsim/rule.hpp"

namespace kimsim {

/// B1: a fixed number of positions per recipient type, plus extras for each member Gemeinde of a
/// Kreis that carries a flag (e.g. one coordinator per große kreisangehörige Stadt).
struct FixedStaffing final : AllocationRule {
  std::map<RegionType, Halves> per_type;
  std::map<std::string, Halves> per_flag;          ///< flag of the recipient itself
  std::map<std::string, Halves> per_member_flag;   ///< per Gemeinde of the Kreis with the flag

  const RuleType& type() const override;
  std::unique_ptr<const CompiledRule> compile(const RuleSite& site) const override;
};

/// B2/B3: positions by key: a base per recipient, the rest apportioned in units by the key.
struct PositionsByKey final : AllocationRule {
  Key key;
  Halves unit = 1;  ///< apportionment unit in half positions (1 = 0.5 VZÄ)
  Halves base = 0;  ///< per recipient, before the key
  std::optional<Halves> min, max;
  Rule rule;

  const RuleType& type() const override;
  const Key* keyed_by() const override { return &key; }
  std::unique_ptr<const CompiledRule> compile(const RuleSite& site) const override;
  std::string unallocated_reason(const Baustein& b) const override;
  std::string unallocated_reason_for(const Baustein& b, const BausteinOverrides& over) const override;
};

/// Money by key with a minimum amount per recipient (the Integrationspauschale pattern).
struct MoneyByKey final : AllocationRule {
  Key key;
  Cents minimum = 0;

  const RuleType& type() const override;
  const Key* keyed_by() const override { return &key; }
  std::unique_ptr<const CompiledRule> compile(const RuleSite& site) const override;
  std::string tie_note() const override { return "tie_cents"; }
};

}  // namespace kimsim
