// The rule table: every allocation rule a scenario may name, by the key of its block.
//
// Adding a rule is one file in this folder and one line below. The file defines the rule's type
// (kimsim/rule.hpp: the values of its block, how it reads them, compiles against the regions,
// evaluates into a Draft and describes its steps) and `const RuleType& NAME()` in
// kimsim::rules; the line is X(NAME). A rule that leaves out a part does not compile (each part
// is a pure virtual function), and nothing else dispatches on the kind of rule: the loader, the
// plan, allocate(), the README's list of rule keys and fuzz/scenario.dict (both checked against
// this table by a test) all go through it.
//
// Why a rule reads its own block through the abstract BlockReader rather than through a reading
// half under engine/io: the core library stays free of YAML and files (the loader implements the
// reader, with located errors and "did you mean"), and a rule stays one file. Two files per rule,
// one in the core and one in engine/io, would need two tables kept in step by hand, which is what
// this table replaces.
#include "kimsim/rule.hpp"

#define KIMSIM_RULES(X) \
  X(fixed_staffing)     \
  X(positions_by_key)   \
  X(money_by_key)         \
  X(staffing_with_cost_items)

namespace kimsim {

namespace rules {
#define KIMSIM_DECLARE(name) const RuleType& name();
KIMSIM_RULES(KIMSIM_DECLARE)
#undef KIMSIM_DECLARE
}  // namespace rules

const RuleTable& RuleTable::builtin() {
  static const RuleTable table = [] {
    RuleTable t;
#define KIMSIM_ADD(name) t.add(rules::name());
    KIMSIM_RULES(KIMSIM_ADD)
#undef KIMSIM_ADD
    return t;
  }();
  return table;
}

}  // namespace kimsim
