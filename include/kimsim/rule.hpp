// Allocation rules: one type per rule (fixed staffing, positions by key, money by key, ...), each
// owning how its scenario block is read, how it is compiled against the regions, how it
// allocates a Baustein's budget and how it describes the steps it took for one recipient.
//
// A rule is one file under engine/model/rules/ and one line in the rule table
// (engine/model/rules/table.cpp); a program may add its own to a RuleTable. Nothing else
// dispatches on the kind of rule: the loader finds a Baustein's rule block through the table, and
// the plan calls the rule through the interfaces below, once per Baustein and evaluation (never
// once per recipient). A rule type that leaves out a part does not compile: every part is a pure
// virtual function.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kimsim/apportion.hpp"
#include "kimsim/model.hpp"

namespace kimsim {

class CompiledRule;

/// How a rule reads the values of its block. The core reads no files: the scenario loader
/// (engine/io) implements this over YAML, checks the block's keys against RuleType::keys first,
/// and records every error with its file, line, column and key path, so that reading goes on
/// and one run lists every problem. Keys are relative to the block; a value that is absent or
/// wrong gives nullopt (the error, if any, is recorded).
class BlockReader {
 public:
  virtual ~BlockReader() = default;
  virtual bool has(std::string_view key) const = 0;
  /// The keys of this block as written, in order; each once.
  virtual std::vector<std::string> keys() = 0;
  virtual std::optional<std::string> text(std::string_view key) = 0;
  /// A list of texts at `key` (names of indicators, ...); empty where absent or wrong.
  virtual std::vector<std::string> texts(std::string_view key) = 0;
  /// Money, exact to the cent ("55000.00", "55_000").
  virtual std::optional<Cents> euros(std::string_view key) = 0;
  /// Positions in VZÄ, in steps of 0.5, as half positions.
  virtual std::optional<Halves> vza(std::string_view key) = 0;
  /// A seed: any whole number of 64 bits.
  virtual std::optional<std::uint64_t> seed(std::string_view key) = 0;
  /// A distribution key at `key` ({indicator: weight, ...}) and its optional cap at `cap`
  /// ({indicator, factor}); the indicator names are checked against the data once it is loaded.
  virtual Key distribution_key(std::string_view key, std::string_view cap) = 0;
  /// The mapping at `key` as a block of its own: with `known`, its keys must be among them;
  /// without, its keys are free names (flags), each once. `what` completes "expected a mapping
  /// of ..." where the value is no mapping. nullptr where there is no mapping to read.
  virtual std::unique_ptr<BlockReader> block(std::string_view key, const std::vector<std::string>& known,
                                             const std::string& what) = 0;
  /// Records an error about the value at `key` ("": the block itself).
  virtual void error(std::string_view key, const std::string& what) = 0;
  /// " (did you mean 'x'?)" for the closest of `known`, or "".
  virtual std::string did_you_mean(std::string_view word, const std::vector<std::string>& known) const = 0;
};

/// A kind of rule: the key of its block in a Baustein, the keys the block may have, and how to
/// read one. One per rule type, in the rule table.
struct RuleType {
  std::string_view name;              ///< the block's key in a Baustein: "positions_by_key"
  std::string_view summary;           ///< what it does, in one line (README, help)
  std::vector<std::string> keys;      ///< the keys its block may have ("did you mean" for others)
  std::vector<std::string> required;  ///< the keys its block must have
  bool needs_rate = false;            ///< the Baustein must give rate_per_vza_eur
  /// Reads a block whose keys were checked against `keys` and `required`.
  std::shared_ptr<const AllocationRule> (*read)(BlockReader& block) = nullptr;
};

/// What a rule's compile() gets: its Baustein, and the regions it selected.
struct RuleSite {
  const Scenario& scenario;
  const Regions& regions;
  std::size_t baustein = 0;           ///< index in scenario.bausteine
  std::span<const std::size_t> who;   ///< the candidates (region indices), ascending

  const Baustein& b() const { return scenario.bausteine[baustein]; }
  /// "bausteine[2].positions_by_key.min_vza" for sub "positions_by_key.min_vza".
  std::string path(const std::string& sub) const;
  /// "positions_by_key.min_vza" for sub "min_vza": a value of the Baustein's rule block.
  std::string in_block(const std::string& sub) const;
  /// An InputError about the value at `sub` of the Baustein, named with the place that set it.
  [[noreturn]] void refuse(const std::string& sub, const std::string& what) const;
  /// The same for an error that the values at `with` (subs of the Baustein too) decide together
  /// with it: named at the one a variant changed, where it changed one (SourceMap::error).
  [[noreturn]] void refuse(const std::string& sub, const std::string& what, const std::vector<std::string>& with) const;
  /// A tie the apportionment over `at` (the present candidates, as RuleCall::at) refused to
  /// decide, retold for a planner: the Baustein, the tied recipients' AGS and names, the units
  /// (`unit`: half positions per unit) and the place of the tie policy. Stays a TieError (exit 3).
  [[noreturn]] void refuse_tie(const TieError& e, std::span<const std::uint32_t> at, Halves unit) const;
  /// "s.yaml:48:13 bausteine[1].positions_by_key.unit_vza": a TraceLine's place of a value.
  std::string place(const std::string& sub) const;
  /// The index of `region` in who, or -1.
  std::int64_t candidate(std::size_t region) const;
};

/// Working memory of the rules, reused from one evaluation to the next.
struct RuleScratch {
  Workspace kernel;
  std::vector<std::uint64_t> weight;
  std::vector<std::int64_t> seats, lo, hi;
};

/// One evaluation of one Baustein: what the rule allocates from and where its results go.
/// Results are per candidate (index in who) and zero on entry; only present candidates get any.
struct RuleCall : RuleSite {
  const Eigen::MatrixXd& indicators;
  Cents budget = 0, rate = 0;             ///< this evaluation's (a year's) budget and rate per VZÄ
  std::span<const std::uint32_t> at;      ///< the present candidates (indices in who), ascending
  std::span<const std::uint8_t> present;  ///< per candidate
  std::span<const double> share;          ///< per present candidate: its key share; empty without key
  /// Per present candidate: weight_of(its key share), the kernel's weight; empty without key.
  std::span<const std::uint64_t> weight;
  std::span<const Halves> floor;          ///< per candidate: positions kept at least; empty: none
  std::span<Halves> halves;
  std::span<Cents> cents;
  /// Per candidate: the exact claim, in positions (or EUR for money). Always a buffer the rule may
  /// write; read only where `claims`, so a rule may skip it otherwise.
  std::span<double> quota;
  Outcome outcome;                        ///< of the apportionment, where the rule made one
  RuleScratch& scratch;

  /// Half the rate in cents; refuses a rate that is not a positive, even number of cents.
  Cents half_rate() const;
  /// x * y and x + y, refused where they leave 64 bits (amounts are bounded, their products not).
  std::int64_t product(std::int64_t x, std::int64_t y) const {
    std::int64_t r;
    if (__builtin_mul_overflow(x, y, &r)) [[unlikely]]
      too_large();
    return r;
  }
  std::int64_t sum(std::int64_t x, std::int64_t y) const {
    std::int64_t r;
    if (__builtin_add_overflow(x, y, &r)) [[unlikely]]
      too_large();
    return r;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void too_large() const;
  /// This evaluation's numbers in place of the rule's own (PlanInputs::bausteine); nullptr: none.
  const BausteinOverrides* over = nullptr;
  /// Whether the evaluation reports the claims (PlanInputs::claims: a simulation does not).
  bool claims = true;
  /// The bounds of the apportionment the rule made, per present candidate (empty: none), as
  /// describe() tells them: set by evaluate(), which may give the kernel less (a maximum nobody
  /// can reach) or spans of the compiled rule's own memory.
  Bounds bounds{};
};

/// A rule as one Baustein states it: the values of its block. Immutable once read.
class AllocationRule {
 public:
  virtual ~AllocationRule() = default;
  virtual const RuleType& type() const = 0;
  /// The key whose shares the plan computes before evaluate() (RuleCall::share); nullptr: none.
  virtual const Key* keyed_by() const { return nullptr; }
  /// Resolves the rule against its candidates; throws (site.refuse) for values the regions
  /// cannot satisfy.
  virtual std::unique_ptr<const CompiledRule> compile(const RuleSite& site) const = 0;
  /// Why money is left (BausteinTotals::unallocated_reason).
  virtual std::string unallocated_reason(const Baustein&) const { return "not used by the rule"; }
  /// The same for an evaluation with `over` in place of the rule's own numbers (and the
  /// Baustein's rate as that evaluation had it).
  virtual std::string unallocated_reason_for(const Baustein& b, const BausteinOverrides&) const { return unallocated_reason(b); }
  /// What a tie decided by the policy means: the id of the allocation's note (kimsim/notes.hpp,
  /// its sentence in both languages in engine/model/notes.cpp), which names the Baustein.
  virtual std::string tie_note() const { return "tie_units"; }
};

/// A rule compiled against its Baustein's candidates: what the plan calls per evaluation.
class CompiledRule {
 public:
  virtual ~CompiledRule() = default;
  /// Allocates the budget among the present candidates into call's results.
  virtual void evaluate(RuleCall& call) const = 0;
  /// The steps evaluate(call) took for the present candidate call.at[j] (run just before).
  virtual void describe(const RuleCall& call, std::size_t j, Trace& out) const = 0;
  /// True where evaluate() depends on nothing but who is present, the budget and the rate (no
  /// indicator, no floor): the plan then skips an evaluation that repeats the last one.
  virtual bool memoizable() const { return false; }
  /// The positions evaluate(call) gave, by kind, where the rule funds several kinds of position
  /// (coordination and assistance): each kind once, summing to the positions of all present
  /// candidates. Nothing (the default): one kind, the Baustein's position_kind.
  virtual void kinds(const RuleCall&, std::vector<std::pair<std::string, Halves>>&) const {}
  /// True where kinds() says anything (the plan evaluates only such rules again for it).
  virtual bool counts_kinds() const { return false; }
};

/// The rule types a scenario may use, by the key of their block: the built-in ones
/// (engine/model/rules/table.cpp), and any a program adds (a test adds one).
class RuleTable {
 public:
  /// kimsim's own rules.
  static const RuleTable& builtin();
  /// Adds a type; InputError where its name is taken. The type must outlive the table.
  void add(const RuleType& type);
  const RuleType* find(std::string_view name) const;
  std::span<const RuleType* const> types() const { return types_; }
  /// "fixed_staffing, positions_by_key or money_by_key"
  std::string names() const;

 private:
  std::vector<const RuleType*> types_;
};

/// The rule of `b` as the rule type R, or nullptr where it has another.
template <class R>
const R* rule_as(const Baustein& b) {
  return dynamic_cast<const R*>(b.rule.get());
}

/// The rule of `b`, of type R (std::bad_cast otherwise), made a copy of b's own to change: copies
/// of a scenario share their rules, which are immutable.
template <class R>
R& edit_rule(Baustein& b) {
  auto copy = std::make_shared<R>(dynamic_cast<const R&>(*b.rule));
  b.rule = copy;
  return *copy;
}

// Shared by the rules' evaluations and descriptions.

/// Key shares as integer weights: fixed point with 12 decimals, so that the kernel decides
/// exactly on them (and ties between equal keys are found, not hidden by rounding noise).
/// Rounded half away from zero, as llround. In double operations alone, so that a loop of them
/// (weights_of, per recipient and evaluation) is vectorised, where a conversion to a 64-bit
/// integer is not: x + 2^52 - 2^52 is the whole number nearest to x, ties to even, exactly for
/// 0 <= x < 2^52; one more where that rounded a tie down (x - y is exact, |x - y| <= 0.5); the
/// bits of a whole number r < 2^52 plus 2^52 are those of 2^52 plus r.
inline std::uint64_t weight_of(double share) {
  constexpr double two52 = 0x1p52;
  const double x = share * 1e12;  // 0 <= x <= 1e12
  const double y = (x + two52) - two52;
  const double r = y + (x - y == 0.5 ? 1.0 : 0.0);
  return std::bit_cast<std::uint64_t>(r + two52) - std::bit_cast<std::uint64_t>(two52);
}
/// weight_of() of each share, into `weight` (as long).
inline void weights_of(std::span<const double> share, std::span<std::uint64_t> weight) {
  const double* const from = share.data();
  std::uint64_t* const to = weight.data();
  for (std::size_t j = 0; j < share.size(); ++j) to[j] = weight_of(from[j]);
}
/// The steps of a largest-remainder apportionment (Method::hamilton, as apportion() and
/// split_cents() make one) for recipient j, so that a reader can redo it: the bound that holds
/// it, or the units shared among the recipients no bound holds and their weight, its quota,
/// floor and remainder, the remainder's rank and the units left for the largest ones, and the
/// tie it was in. `seats` and `outcome` are the apportionment's; `what` names the units ("units",
/// "cents").
void describe_largest_remainder(std::span<const std::uint64_t> weight, std::int64_t house, Bounds bounds,
                                std::span<const std::int64_t> seats, const Outcome& outcome, TiePolicy ties,
                                std::size_t j, const std::string& what, Trace& out);
/// The tie line of a trace for recipient j (input index of the apportionment): whether it was
/// one of the tied recipients, and what the policy gave it (`won`); nothing without a tie.
void describe_tie(const Outcome& outcome, std::size_t j, bool won, TiePolicy policy, const std::string& what,
                  Trace& out);
/// "3.5" from 7 half positions.
std::string vza_text(Halves h);
/// "1234.56 EUR" from cents.
std::string money_text(Cents c);
/// A number for a trace, with up to 12 significant digits ("0.0123456789012").
std::string number_text(double x);

}  // namespace kimsim
