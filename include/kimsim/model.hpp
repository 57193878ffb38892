// The funding model: regions with indicators, a scenario of Bausteine with allocation rules, and
// the allocation they produce. Plain data; allocate() is a pure function of it.
//
// Units: money in integer cents; positions in integer half positions (0.5 VZÄ), the smallest
// unit the KIM programme funds.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kimsim/apportion.hpp"
#include "kimsim/error.hpp"
#include "kimsim/notes.hpp"

namespace kimsim {

class AllocationRule;

using Cents = std::int64_t;
using Halves = std::int64_t;  ///< half positions (0.5 VZÄ)

enum class RegionType : std::uint8_t { kreis, kreisfreie_stadt, gemeinde };
std::string_view region_type_name(RegionType t);
/// The type's key in a scenario ("kreisfreie_stadt"), and back.
std::string_view region_type_key(RegionType t);
std::optional<RegionType> parse_region_type(std::string_view key);
/// Every type's key, in the order of the enum: "kreis", "kreisfreie_stadt", "gemeinde".
const std::vector<std::string>& region_type_keys();

struct Region {
  std::string ags;   ///< 5 digits at Kreis level, 8 for a Gemeinde
  std::string name;
  RegionType type = RegionType::gemeinde;
  std::string kreis;                ///< the parent Kreis (AGS) of a Gemeinde
  std::vector<std::string> flags;   ///< e.g. "ki", "abh", "gkst", "mkst"
  std::uint64_t flag_bits = 0;      ///< the flags as bits of Regions::flag_bit (set by index())
  bool has(std::string_view flag) const;
};

struct Regions;

/// Where the indicator values were read (the data half of the source map; Scenario::places is
/// the scenario half): per data file the line of each region's row, per indicator the files and
/// columns that set it. Kept per file and region, not per cell, so that a million regions stay
/// cheap. The loader fills it; an error or a trace about a value names the cell that set it.
struct DataPlaces {
  struct File {
    std::string path;                 ///< as messages name it
    std::vector<std::uint32_t> line;  ///< per region: the line of its row; 0 where it has none
  };
  struct Column {
    std::uint32_t file = 0;  ///< index in `files`
    std::string name;        ///< its header
    std::string split_by;    ///< a Gemeinde without a row has a share of its Kreis' value, by this indicator
    bool missing_zero = false;  ///< `missing: zero`: a region without a row counts as 0, by choice
  };
  std::vector<File> files;
  std::vector<std::vector<Column>> columns;  ///< per indicator: the columns that set it

  /// The cell that set indicator `indicator` of `region`: "data/k.csv:12, column 'population'";
  /// for a share of its Kreis' value "split by population from data/k.csv:3, column 'x'"; "no
  /// row in data/k.csv" where the region has none; "" where no data file is known (regions built
  /// in code).
  std::string cell(const Regions& regions, std::size_t region, std::size_t indicator) const;
  /// The cells of several regions, for a message about all of them: "data/k.csv lines 2, 3, 4
  /// and 50 more, column 'population'", per file ("; " between files).
  std::string cells(std::span<const std::size_t> which, std::size_t indicator) const;
  /// False where nothing set indicator `indicator` of `region`: no row in any of its files, no
  /// share of its Kreis' value, and no `missing: zero`. Its 0 in the matrix is then no value, and a
  /// key or pass-through that reads it refuses (a file of Gemeinden alone gives the Kreise
  /// nothing, not 0). True for regions built in code (no data file known).
  bool has_value(const Regions& regions, std::size_t region, std::size_t indicator) const;
};

/// All regions and their indicators (one column per indicator, one row per region).
struct Regions {
  std::vector<Region> list;
  std::vector<std::string> indicator_names;
  Eigen::MatrixXd indicators;  ///< list.size() x indicator_names.size()
  std::vector<Note> notes;         ///< how indicators were derived (splits, carve-outs)
  DataPlaces places;               ///< the data file, line and column of every indicator value

  /// Appends a region unless its AGS is already there (then false), keeping find() current: a
  /// list of a million regions is built in linear time, never by scanning it for each new one.
  bool add(Region region);
  /// The region with this AGS, in constant time; sees the regions added by add() and, where the
  /// list was filled directly, by the last index().
  std::optional<std::size_t> find(std::string_view ags) const;
  std::optional<std::size_t> indicator(std::string_view name) const;
  /// The parent Kreis (index) of each Gemeinde; the region itself at Kreis level.
  std::size_t kreis_of(std::size_t region) const { return parent_[region]; }
  /// The Gemeinden of a Kreis-level region (index), in list order.
  const std::vector<std::size_t>& members(std::size_t kreis) const { return members_[kreis]; }
  /// The bit of a flag in Region::flag_bits; 0 for a flag no region has.
  std::uint64_t flag_bit(std::string_view flag) const;
  /// Makes room for `n` regions in the list and the look-up table.
  void reserve(std::size_t n);
  /// Builds the look-up tables; call once the list is complete.
  void index();

 private:
  /// AGS -> list index: open addressing over a power-of-two table of (hash, index + 1), at most
  /// half full. Flat rather than node-based: a million regions are looked up several times each
  /// while they load, and a node per AGS made that a cache miss (and an allocation) each time.
  struct Slot {
    std::uint32_t hash = 0, index = 0;  // index 0: empty
  };
  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  /// The slot holding `ags`, or the empty slot where it would go.
  std::size_t probe(std::string_view ags, std::uint32_t hash) const;
  void insert_slot(std::uint32_t hash, std::size_t index);
  void rebuild_slots(std::size_t capacity);
  std::vector<std::size_t> parent_;
  std::vector<std::vector<std::size_t>> members_;
  std::vector<std::string> flag_names_;
};

/// Which regions a Baustein funds: those of the types and flags, plus include, minus exclude.
/// With neither types nor flags, only the included regions: `{include: [...]}` lists the
/// recipients exactly (it once selected every region, the listed ones among them).
struct Selector {
  std::vector<RegionType> types;    ///< any of these (empty: any type, if flags are given)
  std::vector<std::string> flags;   ///< all of these
  std::vector<std::string> include; ///< AGS added regardless
  std::vector<std::string> exclude; ///< AGS removed
  /// Of `exclude`, those that only `exclude_from` leaves out, from a year at or before the
  /// scenario's: recipients in earlier years (a pass-through from one is dropped for this year,
  /// with a note, where any other non-recipient's is an error).
  std::vector<std::string> excluded_this_year;
};

/// A distribution key: weighted indicator shares, optionally capped relative to one indicator's
/// share (FlüAG § 3: at most 125 % of the population-only share, the excess redistributed).
struct Key {
  struct Term {
    std::string indicator;
    double weight = 0.0;
  };
  std::vector<Term> terms;
  std::optional<std::string> cap_indicator;
  double cap_factor = 0.0;
};

/// What happens to money that no whole unit can use.
enum class Residual : std::uint8_t { unallocated, split_by_key };

/// A Kreis passing positions on to its kreisangehörige Gemeinden (TIntG § 9(2)).
struct PassThrough {
  std::string kreis;                  ///< AGS of the Kreis
  std::vector<std::string> gemeinden; ///< participating Gemeinden
  std::vector<std::string> waived;    ///< Gemeinden that waive their share (listed for the record)
  std::string key;                    ///< indicator of the sub-key (share of the Kreis total)
  Halves minimum = 1;                 ///< smallest fundable share (0.5 VZÄ)
  std::string source;
};

struct Baustein {
  std::string id, name;
  Cents budget = 0;
  Cents rate_per_vza = 0;  ///< flat amount per full-time position
  Selector recipients;
  /// How the budget is allocated: one of the rule types of the rule table (kimsim/rule.hpp;
  /// the built-in ones in kimsim/rules.hpp). Shared and immutable: copies of a scenario share it.
  std::shared_ptr<const AllocationRule> rule;
  Residual residual = Residual::unallocated;
  std::vector<PassThrough> pass_through;
  std::vector<std::string> sources;
  /// Months of the year the Baustein funds (a start year funded from July: 6). Every amount per
  /// VZÄ and year (the flat amount, a rule's amounts per year) is paid for months / 12 of the
  /// year; budgets, positions and one-off amounts are not scaled.
  int months = 12;
  /// What its positions are, for the statewide count by kind ("case management"); a rule that
  /// funds positions of several kinds names them itself (CompiledRule::kinds).
  std::string position_kind;
};

/// An amount per year for the months a Baustein funds: annual x months / 12, exact to the cent;
/// nullopt where it is no whole number of cents.
std::optional<Cents> for_months(Cents annual, int months);

/// Where each value of a scenario was set: key path ("bausteine[1].positions_by_key.base_vza")
/// to file, line and column. The loader fills it; an error the model finds in a value names the
/// place that set it, as a loader error does (and explain prints it).
class SourceMap {
 public:
  /// `layer`: the file of a variant's chain that set it, 0 the scenario named on the command line
  /// (the most derived), 1 the one it extends, and so on.
  void set(const std::string& path, Location where, std::size_t layer = 0) {
    at_.insert_or_assign(path, Place{std::move(where), layer});
  }
  /// The place of `path`, or of the nearest enclosing key that has one; nothing where none has.
  std::optional<Location> find(std::string path) const {
    const Place* p = nearest(std::move(path));
    return p ? std::optional<Location>(p->where) : std::nullopt;
  }
  /// An input error about the value at `path`: "file:line:column: path: what".
  LocatedError error(const std::string& path, const std::string& what) const {
    return LocatedError(find(path).value_or(Location{}), path + ": " + what, path);
  }
  /// An input error that values decide together (a budget and the rate it buys positions at):
  /// named at `path`, or, where a variant changed one of `with` (or a value inside it) but not
  /// `path`, at that change, the one of the most derived file, so that the error points at the
  /// line that caused it instead of into the base.
  LocatedError error(const std::string& path, const std::string& what, const std::vector<std::string>& with) const;

 private:
  struct Place {
    Location where;
    std::size_t layer = 0;
  };
  std::map<std::string, Place> at_;
  /// The place of `path`, or of the nearest enclosing key that has one.
  const Place* nearest(std::string path) const {
    for (;;) {
      if (const auto it = at_.find(path); it != at_.end()) return &it->second;
      // Up one step: "a[x.csv].b" -> "a[x.csv]" -> "a" (a selector may hold dots).
      const auto cut = path.back() == ']' ? path.rfind('[') : path.find_last_of('.');
      if (cut == std::string::npos || cut == 0) return nullptr;
      path.resize(cut);
    }
  }
};

struct Scenario;
/// The path of a value of Baustein `bi`: "bausteine[B2]", with `sub` "bausteine[B2].budget_eur".
std::string baustein_path(const Scenario& s, std::size_t bi, const std::string& sub = "");

struct Scenario {
  std::string name, programme;
  int year = 0;
  Cents budget = 0;
  std::vector<Baustein> bausteine;
  std::vector<std::string> assumptions;
  std::vector<std::string> sources;
  std::map<std::string, double> observed;  ///< validation: "B2:05978" -> observed positions
  std::optional<double> published_positions_over;  ///< validation: "over N positions" statewide
  SourceMap places;  ///< where each value was set (the source map)
  /// validation: the assumption that closes the distance between the modelled positions and the
  /// published count (which no public source breaks down).
  std::string published_reconciliation;
  /// `years: [FIRST, LAST]`: the years the scenario covers, its year among them; nullopt: its
  /// year alone is declared (any other is run on its dated values as they stand).
  std::optional<std::pair<int, int>> years;
};

/// One recipient's share of one Baustein.
struct AllocationRow {
  std::size_t region = 0;
  std::size_t baustein = 0;
  Halves halves = 0;
  Cents cents = 0;
  double key_share = 0.0;  ///< the recipient's key share (0 where the rule has no key)
  double quota = 0.0;      ///< the exact proportional claim in positions (or EUR for money)
  std::string note;        ///< e.g. "passed on by Unna"
  std::optional<std::size_t> passed_on_by;  ///< the Kreis (region index) that passed this share on
};

struct BausteinTotals {
  Cents budget = 0, allocated = 0, unallocated = 0;
  Halves halves = 0;
  std::size_t recipients = 0;
  std::string unallocated_reason;
  /// Its positions by kind (coordination, assistance, ...), summing to halves: the rule's kinds,
  /// else one entry of the Baustein's position_kind (its name where it gives none).
  std::vector<std::pair<std::string, Halves>> kinds;
};

struct Allocation {
  std::vector<AllocationRow> rows;
  std::vector<BausteinTotals> totals;  ///< one per Baustein, in scenario order
  std::vector<Note> notes;             ///< resolved ties and other facts a reader must know
};

/// The recipients a selector picks, in region order (who applies is decided later, per
/// evaluation of a Plan).
std::vector<std::size_t> select(const Regions& regions, const Selector& s);

/// Key shares of the given regions (summing to 1), with the optional cap applied.
std::vector<double> key_shares(const Regions& regions, const std::vector<std::size_t>& who,
                               const Key& key);

/// Rounds the shares (in half positions) that a Kreis passes on: each to the nearest half
/// position, at least `minimum`.
std::vector<Halves> round_pass_through(const std::vector<double>& share_halves, Halves minimum);

/// One evaluation of a Plan: numbers per row slot and per Baustein, in buffers that are reused
/// from one evaluation to the next (a simulation evaluates once per replication and year).
struct Draft {
  // Per row slot (see Plan::rows):
  std::vector<std::uint8_t> present;  ///< the row exists in this allocation
  std::vector<Halves> halves;         ///< net of positions passed on to Gemeinden
  std::vector<Halves> gross;          ///< before passing on (what hold-harmless protects)
  std::vector<Cents> cents;
  // Without the claims (PlanInputs::claims) key_share is empty and quota holds no claims:
  std::vector<double> key_share;      ///< 0 where the rule has no key
  std::vector<double> quota;          ///< exact proportional claim, positions (or EUR for money)
  // Per Baustein:
  std::vector<Cents> budget, unallocated;
  std::vector<std::uint8_t> tie;      ///< a tie for the last units was decided by the policy

  struct Scratch;  // the plan's working memory, private to engine/model
  std::unique_ptr<Scratch> scratch;

  Draft();
  ~Draft();
  Draft(Draft&&) noexcept;
  Draft& operator=(Draft&&) noexcept;
};

/// One step of how a row got its numbers (the trace `explain` prints): what, its value, and the
/// place that set it.
struct TraceLine {
  std::string label;  ///< "indicator population", "key share", "quota", "cents", ...
  std::string value;  ///< as shown, with its unit
  std::string place;  ///< "s.yaml:48:13 bausteine[1].positions_by_key.key.population" for a scenario
                      ///< value, a data cell (DataPlaces::cell), "" for a computed one
  /// The step's numbers as computed, for a reader that re-derives the result from the trace
  /// alone (a test does, for every row of the shipped scenarios) without parsing `value`: counts
  /// and amounts exactly (units, half positions, cents, weights), quotients as computed (shares,
  /// quotas, divisors, signposts). Empty for a step of words.
  std::vector<std::int64_t> whole{};
  std::vector<double> real{};
};
using Trace = std::vector<TraceLine>;

/// Numbers of one Baustein that an evaluation takes instead of the scenario's (the "patchable
/// numbers" of a sweep point or an interactive what-if): inputs of Plan::evaluate, not compiled
/// in, so that one compiled plan answers every point. Each is checked by the caller as the
/// scenario reader checks the value it replaces (io/patch.hpp does); what the rules check when
/// a plan is compiled (a base of whole units, a maximum not below the minimum) is checked again
/// in the evaluation that uses them.
struct BausteinOverrides {
  /// Per term of the rule's key (AllocationRule::keyed_by, in its order): the weight as written,
  /// before normalisation; empty: the scenario's.
  std::span<const double> key_weight;
  /// positions_by_key: the unit, base and bounds in half positions, and the apportionment method.
  std::optional<Halves> unit, base, min, max;
  std::optional<Method> method;
  /// money_by_key: the minimum per recipient.
  std::optional<Cents> minimum;
  /// false: the Baustein's Kreise pass nothing on (as if its `pass_through` were removed).
  bool pass_through = true;
  /// True where this leaves the scenario's values as they are.
  bool empty() const {
    return key_weight.empty() && !unit && !base && !min && !max && !method && !minimum && pass_through;
  }
};

/// What one evaluation takes besides the plan: all optional except the indicators.
struct PlanInputs {
  const Eigen::MatrixXd* indicators = nullptr;  ///< default: the regions' own
  /// Per region: nonzero if it does not take part (a recipient that did not apply).
  std::span<const std::uint8_t> absent;
  /// Per Baustein: budget and flat amount per VZÄ (a year of a multi-year run); empty: the
  /// scenario's.
  std::span<const Cents> budget, rate_per_vza;
  /// Per row slot: positions (halves) a recipient keeps at least (hold-harmless); empty: none.
  /// Applied to positions by key, as far as the budget allows.
  std::span<const Halves> floor;
  /// Per Baustein: numbers that replace the scenario's for this evaluation; empty: none.
  std::span<const BausteinOverrides> bausteine;
  /// Whether to give each row's claims (Draft::key_share, Draft::quota: what an allocation
  /// reports); false leaves them empty, for a loop that reads only positions and cents (a
  /// simulation's replications).
  bool claims = true;
};

/// A scenario compiled against its regions: recipients, key columns, carve-outs, fixed
/// staffing and pass-through resolved to indices once, so that evaluating it touches only
/// numbers. allocate() evaluates a plan once; a simulation evaluates one per replication.
/// The scenario and the regions must outlive the plan.
class Plan {
 public:
  /// Throws InputError for rules the regions cannot satisfy (unknown indicator, Kreis, ...).
  Plan(const Scenario& scenario, const Regions& regions);

  /// Every row an allocation can have, Baustein by Baustein: the recipients (with everyone
  /// present) in region order, then the Gemeinden each pass-through may give positions to.
  struct Row {
    std::size_t baustein = 0, region = 0;
    std::optional<std::size_t> passed_on_by;  ///< the Kreis (region index) of a pass-through row
  };
  const std::vector<Row>& rows() const { return rows_; }
  /// The regions any rule reads, ascending: the only ones whose uncertainty matters.
  const std::vector<std::size_t>& regions_read() const { return read_; }
  /// What the plan leaves out of the scenario as written, for a reader of its results: a
  /// pass-through from a Kreis that `exclude_from` leaves out this year.
  const std::vector<Note>& notes() const { return notes_; }

  /// Allocates every Baustein. Deterministic; throws InputError where the inputs leave a rule
  /// unsatisfiable (a budget below the bases, every recipient absent, ...).
  void evaluate(const PlanInputs& in, Draft& out) const;

  /// The steps that gave row `row` of an evaluation with `in` its numbers: the recipient, the
  /// budget, the key (each indicator value with the data cell that set it, shares, cap), the
  /// rule's own steps (AllocationRule), the residual and what is passed on. Evaluates afresh:
  /// for `explain`, not for loops.
  Trace describe(const PlanInputs& in, std::size_t row) const;

  /// Per Baustein, its positions by kind as its rule counts them (CompiledRule::kinds), for the
  /// evaluation `d` made with `in`; empty for a rule that funds one kind. Such a rule is evaluated
  /// again, as describe() does: for a summary, not for loops.
  std::vector<std::vector<std::pair<std::string, Halves>>> kinds(const PlanInputs& in, const Draft& d) const;

  struct Compiled;  // per Baustein, private to engine/model

  const Scenario& scenario() const { return *scenario_; }
  const Regions& regions() const { return *regions_; }

 private:
  const Scenario* scenario_;
  const Regions* regions_;
  std::vector<Row> rows_;
  std::vector<std::size_t> read_;
  std::vector<Note> notes_;
  std::shared_ptr<const std::vector<Compiled>> compiled_;
};

/// Allocates every Baustein of the scenario. Deterministic; throws InputError for rules the
/// regions cannot satisfy.
Allocation allocate(const Scenario& scenario, const Regions& regions);
/// The allocation of one evaluation of `plan` with `in` (its overrides included): what
/// allocate() gives for the scenario with those values written in. Throws as evaluate() does.
Allocation allocate(const Plan& plan, const PlanInputs& in);

}  // namespace kimsim
