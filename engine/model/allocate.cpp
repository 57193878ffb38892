// allocate(): a scenario's Bausteine over the regions, exactly in cents and half positions. The
// plan does what every rule shares (recipients, keys and carve-outs, the residual, pass-through);
// each rule's own step is its type's (kimsim/rule.hpp, engine/model/rules/).
#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>

#include "kimsim/model.hpp"
#include "kimsim/rule.hpp"

namespace kimsim {

// ---------------------------------------------------------------------------------------------
// Keys.

namespace {

/// A key resolved against a fixed list of candidates: indicator columns and carve-outs.
struct KeyPlan {
  struct Term {
    std::size_t column = 0;
    double weight = 0;  ///< normalised: the weights sum to 1
    std::string name;
  };
  std::vector<Term> terms;
  std::optional<Term> cap;  ///< weight holds the cap factor
  /// Per candidate: the candidates whose values a Kreis' value excludes. A Kreis' value covers
  /// its territory less the member Gemeinden that are recipients of the same Baustein
  /// themselves (a große kreisangehörige Stadt with its own ABH, Stadt Aachen with its own KI):
  /// they are served by their own authority, not by the Kreis.
  std::vector<std::vector<std::uint32_t>> carved;
  /// Every carve-out as (candidate, member), by candidate and then in the order of `carved`: where
  /// everyone is present, the counted values are the own values with these subtracted, in one
  /// pass of a fixed length instead of a loop per candidate, whose exits the branch predictor
  /// misses.
  struct Carve {
    std::uint32_t candidate, member;
  };
  std::vector<Carve> carves;
  /// Where its rule was set ("bausteine[1].positions_by_key"): errors about the key name the place.
  const SourceMap* places = nullptr;
  std::string path;
  /// The regions, for naming the data cells behind a value in errors.
  const Regions* regions = nullptr;
  [[noreturn]] void refuse(const std::string& sub, const std::string& what) const {
    const std::string at = path.empty() ? sub : sub.empty() ? path : path + "." + sub;
    if (places) throw places->error(at, what);
    throw InputError(at + ": " + what);
  }
};

/// Refuses (through `refuse`) where an indicator the rule reads has no value for one of `who`:
/// a data file of one level alone leaves the other without a value, which must not count as 0.
template <class Refuse>
void require_values(const Regions& regions, std::span<const std::size_t> who, std::size_t column, Refuse refuse) {
  std::vector<std::size_t> without;
  for (std::size_t r : who)
    if (!regions.places.has_value(regions, r, column)) without.push_back(r);
  if (without.empty()) return;
  std::string list;
  for (std::size_t k = 0; k < without.size() && k < 5; ++k)
    list += (k ? ", " : "") + regions.list[without[k]].ags + " " + regions.list[without[k]].name;
  if (without.size() > 5) list += " and " + std::to_string(without.size() - 5) + " more";
  const std::string& name = regions.indicator_names[column];
  refuse("the indicator '" + name + "' has no value for " + list + " (" + regions.places.cell(regions, without[0], column) +
         "): add their rows, give it per Kreis with split_to_gemeinden so that Gemeinden get a share, or set missing: zero on the "
         "data file to count them as 0");
}

KeyPlan compile_key(const Regions& regions, const std::vector<std::size_t>& who, const Key& key,
                    const SourceMap* places, std::string path) {
  KeyPlan k;
  k.places = places, k.path = std::move(path), k.regions = &regions;
  auto column_of = [&](const std::string& name, const std::string& sub) {
    const auto c = regions.indicator(name);
    if (!c) k.refuse(sub, "no data provides the indicator '" + name + "'");
    return *c;
  };
  double sum = 0;
  for (const auto& t : key.terms) sum += t.weight;
  for (const auto& t : key.terms) k.terms.push_back({column_of(t.indicator, "key." + t.indicator), t.weight / sum, t.indicator});
  if (key.cap_indicator)
    k.cap = KeyPlan::Term{column_of(*key.cap_indicator, "cap"), key.cap_factor, *key.cap_indicator};
  for (const auto& t : k.terms) require_values(regions, who, t.column, [&](const std::string& what) { k.refuse("key." + t.name, what); });
  if (k.cap) require_values(regions, who, k.cap->column, [&](const std::string& what) { k.refuse("cap", what); });
  k.carved.resize(who.size());
  for (std::size_t i = 0; i < who.size(); ++i)
    if (regions.list[who[i]].type == RegionType::kreis)
      for (std::size_t g : regions.members(who[i]))
        if (auto at = std::lower_bound(who.begin(), who.end(), g); at != who.end() && *at == g)
          k.carved[i].push_back(static_cast<std::uint32_t>(at - who.begin()));
  for (std::size_t i = 0; i < who.size(); ++i)
    for (const std::uint32_t g : k.carved[i]) k.carves.push_back({static_cast<std::uint32_t>(i), g});
  return k;
}

/// Working memory of one key evaluation, reused across calls.
struct KeyScratch {
  std::vector<double> value, cap;
  std::vector<std::uint8_t> capped;
};

/// A Baustein's key terms as its last evaluation left them, so that the next one takes the
/// leading terms whose inputs repeat instead of computing them again: in a simulation the terms
/// of indicators without noise (B2's population), in a sweep every term between points that
/// change no key weight.
struct KeyMemo {
  std::vector<std::uint32_t> at;  ///< the present candidates the terms were computed over
  struct Term {
    bool stored = false;  ///< data, weight and partial hold this term's last inputs and result
    bool moves = false;   ///< its data changed between evaluations once: not stored again
    std::uint64_t weight = 0;   ///< the normalised weight's bits
    std::vector<double> data;   ///< the indicator's value per candidate (all of who)
    std::vector<double> partial;  ///< per present candidate: the weighted sum of the terms up to this one
  };
  std::vector<Term> terms;
};

/// Whether two lists of present candidates of one Baustein (ascending indices below `candidates`)
/// are the same: two lists of all of them are, without comparing them (every replication where
/// nobody is absent from the plan).
inline bool same_present(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b, std::size_t candidates) {
  if (a.size() != b.size()) return false;
  return a.size() == candidates || std::equal(a.begin(), a.end(), b.begin());
}

/// Whether the column's values at every candidate are those of `data`, bit for bit.
inline bool same_data(const double* column, std::span<const std::size_t> who, const std::vector<double>& data) {
  const std::size_t* const region = who.data();
  const double* const was = data.data();
  for (std::size_t i = 0; i < who.size(); ++i)
    if (std::bit_cast<std::uint64_t>(column[region[i]]) != std::bit_cast<std::uint64_t>(was[i])) return false;
  return true;
}

/// The value of an indicator (its `column`) that counts for candidate i: its own less that of its
/// present carved-out members, at least 0. Over plain pointers: through the vectors every byte read
/// of `here` made the compiler reload them (this runs per candidate and term wherever someone is
/// absent, and in describe_key).
inline double counted_value(const double* column, const std::size_t* region, const std::uint8_t* here,
                            const std::vector<std::uint32_t>* carved, std::uint32_t i) {
  double v = column[region[i]];
  for (const std::uint32_t g : carved[i])
    if (here[g]) v -= column[region[g]];
  return std::max(v, 0.0);
}
inline double counted_value(const KeyPlan& k, const KeyPlan::Term& t, const Eigen::MatrixXd& ind,
                            std::span<const std::size_t> who, std::span<const std::uint8_t> present, std::uint32_t i) {
  return counted_value(ind.col(Eigen::Index(t.column)).data(), who.data(), present.data(), k.carved.data(), i);
}

/// " (data/k.csv lines 2, 3 and 4, column 'x')": the data cells of the candidates `at` (indices
/// in who) for an error about their values; "" where the regions know no data files.
std::string cells_note(const KeyPlan& k, std::span<const std::size_t> who, std::span<const std::uint32_t> at,
                       std::size_t column) {
  std::vector<std::size_t> which;
  for (std::uint32_t i : at) which.push_back(who[i]);
  const std::string cells = k.regions->places.cells(which, column);
  return cells.empty() ? "" : " (" + cells + ")";
}

/// The counted values of one indicator over the present candidates `at`, written to `out`
/// (parallel to at); returns their total, refused where it is not positive.
double column_values(const KeyPlan& k, const KeyPlan::Term& t, const Eigen::MatrixXd& ind,
                     const std::vector<std::size_t>& who, std::span<const std::uint8_t> present,
                     std::span<const std::uint32_t> at, std::vector<double>& out) {
  const std::size_t n = at.size();
  out.resize(n);
  const double* const column = ind.col(Eigen::Index(t.column)).data();
  const std::size_t* const region = who.data();
  const std::uint8_t* const here = present.data();
  const std::vector<std::uint32_t>* const carved = k.carved.data();
  double* const value = out.data();
  double total = 0;
  if (n == who.size()) {
    // Everyone is present (at[j] == j): each candidate's own value, its carved-out members' values
    // subtracted in their order, then the clamp at 0 and the total in the candidates' order: the
    // operations of counted_value(), in three passes without a branch that depends on the data.
    for (std::size_t j = 0; j < n; ++j) value[j] = column[region[j]];
    for (const KeyPlan::Carve& c : k.carves) value[c.candidate] -= column[region[c.member]];
    for (std::size_t j = 0; j < n; ++j) {
      value[j] = std::max(value[j], 0.0);
      total += value[j];
    }
  } else {
    for (std::size_t j = 0; j < n; ++j) {
      value[j] = counted_value(column, region, here, carved, at[j]);
      total += value[j];
    }
  }
  if (!(total > 0))
    k.refuse(k.cap && &t == &*k.cap ? "cap" : "key." + t.name,
             "the indicator '" + t.name + "' is zero for all recipients" + cells_note(k, who, at, t.column));
  return total;
}

/// Shares of one indicator over the present candidates `at`, written to `out` (parallel to at).
void column_shares(const KeyPlan& k, const KeyPlan::Term& t, const Eigen::MatrixXd& ind,
                   const std::vector<std::size_t>& who, std::span<const std::uint8_t> present,
                   std::span<const std::uint32_t> at, std::vector<double>& out) {
  const double total = column_values(k, t, ind, who, present, at, out);
  for (double& v : out) v /= total;
}

/// The normalised weight of term `i`: the compiled one, or that of an evaluation's weights as
/// written (`written`, one per term), normalised by the same arithmetic as compile_key's.
inline double term_weight(const KeyPlan& k, std::size_t i, std::span<const double> written) {
  if (written.empty()) return k.terms[i].weight;
  double sum = 0;
  for (double w : written) sum += w;
  return written[i] / sum;
}

/// Refuses an evaluation's key weights that the scenario reader would refuse as written: a
/// weight for each term, at least one of them positive.
void check_weights(const KeyPlan& k, std::span<const double> written) {
  if (written.empty()) return;
  if (written.size() != k.terms.size()) throw Error("Plan::evaluate: key weights for another key");
  if (std::none_of(written.begin(), written.end(), [](double w) { return w > 0; }))
    k.refuse("key", "a key needs at least one indicator with a positive weight");
}

void cap_shares(const KeyPlan& k, const Eigen::MatrixXd& ind, const std::vector<std::size_t>& who,
                std::span<const std::uint8_t> present, std::span<const std::uint32_t> at, std::span<double> share,
                KeyScratch& s);

/// Key shares of the present candidates `at` (summing to 1), the cap applied; into `share`, and
/// where `weight_out` is not empty, each as the kernel's integer weight (weight_of) into it: in the
/// last term's pass where no cap follows, while the share is at hand. `written`: the evaluation's
/// weights in place of the key's (empty: the key's). `memo`: the terms of the last evaluation with
/// it, taken where their inputs repeat, and updated.
void evaluate_key(const KeyPlan& k, const Eigen::MatrixXd& ind, const std::vector<std::size_t>& who,
                  std::span<const std::uint8_t> present, std::span<const std::uint32_t> at,
                  std::span<double> share, std::span<std::uint64_t> weight_out, KeyScratch& s,
                  std::span<const double> written = {}, KeyMemo* memo = nullptr) {
  const std::size_t n = at.size(), nt = k.terms.size();
  auto column = [&](const KeyPlan::Term& t) { return ind.col(Eigen::Index(t.column)).data(); };
  std::size_t ti = 0;  // the terms before it are taken from the memo
  if (memo) {
    memo->terms.resize(nt);
    if (!same_present(memo->at, at, who.size())) {
      for (auto& m : memo->terms) m.stored = false;
      memo->at.assign(at.begin(), at.end());
    }
    for (; ti < nt; ++ti) {
      KeyMemo::Term& m = memo->terms[ti];
      if (!m.stored || m.weight != std::bit_cast<std::uint64_t>(term_weight(k, ti, written))) break;
      if (!same_data(column(k.terms[ti]), who, m.data)) {
        m.stored = false, m.moves = true;
        break;
      }
    }
  }
  if (ti > 0) std::copy(memo->terms[ti - 1].partial.begin(), memo->terms[ti - 1].partial.end(), share.begin());
  else std::fill(share.begin(), share.end(), 0.0);
  // A partial sum is worth storing while every term before it is stored: it is taken only after them.
  bool store = memo != nullptr;
  bool weighed = weight_out.empty();
  for (; ti < nt; ++ti) {
    const auto& t = k.terms[ti];
    // Not taken again until stored below: a refusal of this term (or a later one) must not leave
    // a partial sum behind that was built on the last evaluation's earlier terms.
    if (memo) memo->terms[ti].stored = false;
    // The column's shares and their weighted sum in one pass: each share is rounded as a double
    // before it is weighted, as column_shares() gives it.
    const double total = column_values(k, t, ind, who, present, at, s.value);
    const double weight = term_weight(k, ti, written);
    if (ti + 1 == nt && !k.cap && !weighed) {
      std::uint64_t* const into = weight_out.data();
      for (std::size_t j = 0; j < n; ++j) {
        share[j] += s.value[j] / total * weight;
        into[j] = weight_of(share[j]);
      }
      weighed = true;
    } else {
      for (std::size_t j = 0; j < n; ++j) share[j] += s.value[j] / total * weight;
    }
    if (store) store = !memo->terms[ti].moves;
    if (store) {
      KeyMemo::Term& m = memo->terms[ti];
      m.stored = true;
      m.weight = std::bit_cast<std::uint64_t>(weight);
      m.data.resize(who.size());
      const double* const from = column(t);
      for (std::size_t i = 0; i < who.size(); ++i) m.data[i] = from[who[i]];
      m.partial.assign(share.begin(), share.end());
    }
  }
  if (k.cap) cap_shares(k, ind, who, present, at, share, s);
  if (!weighed) weights_of(share, weight_out);
}

/// Caps each key share at the cap's factor times the share of the cap indicator.
void cap_shares(const KeyPlan& k, const Eigen::MatrixXd& ind, const std::vector<std::size_t>& who,
                std::span<const std::uint8_t> present, std::span<const std::uint32_t> at, std::span<double> share,
                KeyScratch& s) {
  const std::size_t n = at.size();
  // Cap each share at factor x the cap indicator's share; the excess goes to the uncapped ones
  // in proportion to their keys, until no share exceeds its cap (at most n rounds).
  column_shares(k, *k.cap, ind, who, present, at, s.cap);
  for (double& c : s.cap) c *= k.cap->weight;
  s.capped.assign(n, 0);
  for (std::size_t round = 0; round < n; ++round) {
    bool changed = false;
    for (std::size_t i = 0; i < n; ++i)
      if (!s.capped[i] && share[i] > s.cap[i]) s.capped[i] = 1, changed = true;
    if (!changed) break;
    double fixed = 0, free = 0;
    for (std::size_t i = 0; i < n; ++i) (s.capped[i] ? fixed : free) += s.capped[i] ? s.cap[i] : share[i];
    if (!(free > 0)) {  // the rest would be shared as 0/0
      std::vector<std::uint32_t> under;  // the uncapped recipients, whose key values are all 0
      for (std::size_t i = 0; i < n; ++i)
        if (!s.capped[i]) under.push_back(at[i]);
      std::string values;  // each indicator of positive weight is 0 for all of them
      for (const auto& t : k.terms)
        if (const std::string cells = cells_note(k, who, under, t.column); !cells.empty() && t.weight > 0)
          values += (values.empty() ? " (their key values are 0: " : "; ") + t.name + " at " + cells.substr(2, cells.size() - 3);
      if (!values.empty()) values += ")";
      k.refuse("cap", "the cap on '" + k.cap->name +
                          "' cannot be met: the recipients under it have no key share to take the excess" + values);
    }
    for (std::size_t i = 0; i < n; ++i) share[i] = s.capped[i] ? s.cap[i] : share[i] * (1.0 - fixed) / free;
  }
}

/// A share of positions a Kreis passes on, rounded to the nearest half position, at least the
/// minimum (TIntG § 9(2): smaller shares are not fundable).
Halves round_share(double share_halves, Halves minimum) {
  return std::max<Halves>(minimum, static_cast<Halves>(std::floor(share_halves + 0.5)));
}

}  // namespace

std::vector<double> key_shares(const Regions& regions, const std::vector<std::size_t>& who,
                               const Key& key) {
  const KeyPlan k = compile_key(regions, who, key, nullptr, "");
  const std::vector<std::uint8_t> present(who.size(), 1);
  std::vector<std::uint32_t> at(who.size());
  std::iota(at.begin(), at.end(), 0u);
  std::vector<double> share(who.size());
  KeyScratch s;
  evaluate_key(k, regions.indicators, who, present, at, share, {}, s);
  return share;
}

std::vector<Halves> round_pass_through(const std::vector<double>& share_halves, Halves minimum) {
  std::vector<Halves> out;
  for (double s : share_halves) out.push_back(round_share(s, minimum));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The plan.

/// One Baustein, resolved.
struct Plan::Compiled {
  std::size_t first_row = 0;     ///< its candidates are rows first_row .. first_row + who.size()
  std::size_t end_row = 0;       ///< one past its last row (pass-through rows included)
  /// Its result is a function of who is present, the budget and the rate (a memoizable rule
  /// without key or pass-through): an evaluation that repeats them is skipped.
  bool memo = false;
  std::vector<std::size_t> who;  ///< the candidates (region indices), ascending
  /// 0 .. who.size() - 1: the present candidates where nobody is absent (no compaction then).
  std::vector<std::uint32_t> everyone;
  std::optional<KeyPlan> key;
  std::unique_ptr<const CompiledRule> rule;
  struct Pass {
    std::int64_t kreis = -1;  ///< candidate index of the Kreis, -1 if it is no recipient
    std::size_t kreis_region = 0, column = 0, first_row = 0;
    std::vector<std::size_t> members;  ///< region indices, rows first_row ..
    Halves minimum = 1;
  };
  std::vector<Pass> passes;
};

struct Draft::Scratch {
  struct Memo {  // the inputs of a Baustein's last evaluation, where they determine it
    bool valid = false;
    Cents budget = 0, rate = 0;
    std::vector<std::uint32_t> at;
  };
  std::vector<Memo> memo;  // per Baustein
  std::vector<KeyMemo> keys;  // per Baustein
  /// The plan that last wrote the draft (held, so that no other plan can take its address).
  std::shared_ptr<const void> plan;
  /// Per Baustein, so that each buffer keeps its length from one evaluation to the next: shared by
  /// the Bausteine, they alternated between their numbers of candidates, zero-filled at each growth.
  std::vector<RuleScratch> rule;
  std::vector<KeyScratch> key;
  std::vector<std::vector<double>> share;  ///< per present candidate: its key share
  std::vector<std::vector<std::uint64_t>> weight;  ///< per present candidate: its key share's weight_of
  std::vector<std::uint32_t> at;  ///< candidate index of each present recipient
};

Draft::Draft() : scratch(std::make_unique<Scratch>()) {}
Draft::~Draft() = default;
Draft::Draft(Draft&&) noexcept = default;
Draft& Draft::operator=(Draft&&) noexcept = default;

namespace {



/// An error about the value at `path` of the scenario, named with the place that set it.
[[noreturn]] void refuse(const Scenario& s, const std::string& path, const std::string& what) {
  throw s.places.error(path, what);
}

/// "0 at data/k.csv:3, column 'population'": a value of this evaluation and the cell that set it
/// ("0, perturbed from 1393000, at ..." where the evaluation's indicators differ from the data,
/// as a simulation's noise makes them), for an error; "" where the regions know no data files.
std::string value_at(const Regions& regions, const Eigen::MatrixXd& ind, std::size_t region, std::size_t column) {
  const std::string cell = regions.places.cell(regions, region, column);
  if (cell.empty()) return "";
  const double value = ind(Eigen::Index(region), Eigen::Index(column)),
               data = regions.indicators(Eigen::Index(region), Eigen::Index(column));
  return number_text(value) + (value != data ? ", perturbed from " + number_text(data) + "," : "") + " at " + cell;
}

/// The place of a scenario value for a trace: "s.yaml:48:13 bausteine[1].x".
std::string place_of(const Scenario& s, const std::string& path) {
  const auto where = s.places.find(path);
  return where ? where->str() + " " + path : path;
}

/// A pass-through from a Kreis that is no recipient of its Baustein: nothing to pass on. Where
/// only `exclude_from` leaves the Kreis out (a recipient in earlier years), the pass-through
/// holds for those years and is dropped for this one, with a note; anywhere else it can apply in
/// no year, and the scenario says something it does not do: an error at its Kreis.
void not_a_recipient(const Scenario& scenario, const Regions& regions, std::size_t bi, const PassThrough& pt,
                     std::size_t kreis, std::vector<Note>& notes) {
  const Baustein& b = scenario.bausteine[bi];
  const Region& k = regions.list[kreis];
  Selector earlier = b.recipients;
  std::erase_if(earlier.exclude, [&](const std::string& ags) {
    return std::find(earlier.excluded_this_year.begin(), earlier.excluded_this_year.end(), ags) != earlier.excluded_this_year.end();
  });
  const std::vector<std::size_t> once = select(regions, earlier);
  if (std::find(once.begin(), once.end(), kreis) != once.end()) {
    std::string gemeinden;
    for (const auto& ags : pt.gemeinden) {
      const auto g = regions.find(ags);
      gemeinden += (gemeinden.empty() ? "" : ", ") + ags + (g ? " " + regions.list[*g].name : "");
    }
    notes.push_back({"pass_through_excluded", {b.id, k.ags + " " + k.name, std::to_string(scenario.year), gemeinden}});
    return;
  }
  refuse(scenario, baustein_path(scenario, bi, "pass_through[" + pt.kreis + "].kreis"),
         b.id + ": Kreis " + k.ags + " " + k.name + " is not a recipient of " + b.id +
             ", so it has no positions to pass on: make it one (recipients), or remove its pass_through");
}

}  // namespace

Plan::Plan(const Scenario& scenario, const Regions& regions) : scenario_(&scenario), regions_(&regions) {
  auto compiled = std::make_shared<std::vector<Compiled>>();
  for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
    const Baustein& b = scenario.bausteine[bi];
    Compiled c;
    c.first_row = rows_.size();
    c.who = select(regions, b.recipients);
    if (c.who.empty()) {
      std::string why;
      for (const auto& flag : b.recipients.flags)
        if (regions.flag_bit(flag) == 0) why += (why.empty() ? " (no region has the flag '" : "', '") + flag;
      refuse(scenario, baustein_path(scenario, bi, "recipients"),
             b.id + ": no region matches its recipients" + (why.empty() ? "" : why + "')"));
    }
    for (auto region : c.who) rows_.push_back({bi, region, std::nullopt});
    c.everyone.resize(c.who.size());
    std::iota(c.everyone.begin(), c.everyone.end(), 0u);
    if (!b.rule) refuse(scenario, baustein_path(scenario, bi), b.id + ": the Baustein has no rule");
    const RuleSite site{scenario, regions, bi, c.who};
    c.rule = b.rule->compile(site);
    if (const Key* key = b.rule->keyed_by())
      c.key = compile_key(regions, c.who, *key, &scenario.places, baustein_path(scenario, bi, std::string(b.rule->type().name)));
    for (std::size_t pi = 0; pi < b.pass_through.size(); ++pi) {
      const PassThrough& pt = b.pass_through[pi];
      const std::string at = baustein_path(scenario, bi, "pass_through[" + b.pass_through[pi].kreis + "]");
      Compiled::Pass p;
      const auto kreis = regions.find(pt.kreis);
      if (!kreis) refuse(scenario, at + ".kreis", b.id + ": pass-through from unknown Kreis " + pt.kreis);
      p.kreis_region = *kreis;
      p.kreis = site.candidate(*kreis);
      if (p.kreis < 0) not_a_recipient(scenario, regions, bi, pt, *kreis, notes_);
      const auto column = regions.indicator(pt.key);
      if (!column) refuse(scenario, at + ".key", b.id + ": no data provides the pass-through key '" + pt.key + "'");
      p.column = *column;
      p.minimum = pt.minimum;
      p.first_row = rows_.size();
      for (const auto& ags : pt.gemeinden) {
        const auto g = regions.find(ags);
        if (!g || regions.list[*g].kreis != pt.kreis)
          refuse(scenario, at + ".gemeinden", b.id + ": " + ags + " is not a Gemeinde of Kreis " + pt.kreis);
        for (std::size_t row = c.first_row; row < rows_.size(); ++row)
          if (rows_[row].region == *g)
            refuse(scenario, at + ".gemeinden", b.id + ": " + ags + " would receive positions twice (as a recipient or twice passed on)");
        p.members.push_back(*g);
        rows_.push_back({bi, *g, *kreis});
      }
      std::vector<std::size_t> read = p.members;
      read.push_back(p.kreis_region);
      require_values(regions, read, p.column, [&](const std::string& what) { refuse(scenario, at + ".key", b.id + ": " + what); });
      c.passes.push_back(std::move(p));
    }
    c.end_row = rows_.size();
    c.memo = c.rule->memoizable() && !c.key && c.passes.empty();
    compiled->push_back(std::move(c));
  }
  for (const auto& row : rows_) read_.push_back(row.region);
  std::sort(read_.begin(), read_.end());
  read_.erase(std::unique(read_.begin(), read_.end()), read_.end());
  compiled_ = std::move(compiled);
}

namespace {

/// The sum of `cents`, refused as call.sum() refuses where it leaves 64 bits. In one pass that
/// the compiler vectorises, as an unsigned sum with the values' bits ORed: no value exceeds their
/// OR, so where n x OR < 2^63 (every value >= 0, none near the limit) the sum is exact; else
/// again, step by step with the check.
Cents total_cents(const RuleCall& call, std::span<const Cents> cents) {
  std::uint64_t sum = 0, bits = 0;
  for (const Cents v : cents) sum += static_cast<std::uint64_t>(v), bits |= static_cast<std::uint64_t>(v);
  if (static_cast<unsigned __int128>(bits) * cents.size() < (std::uint64_t{1} << 63)) return static_cast<Cents>(sum);
  Cents total = 0;
  for (const Cents v : cents) total = call.sum(total, v);
  return total;
}

}  // namespace

std::optional<Cents> for_months(Cents annual, int months) {
  if (months == 12) return annual;
  if (months < 1 || months > 12 || annual > (std::int64_t{1} << 58)) return std::nullopt;
  if (annual * months % 12 != 0) return std::nullopt;
  return annual * months / 12;
}

namespace {

/// The flat amount per VZÄ for the months the Baustein funds; refused at `months` where it is no
/// whole, even number of cents (a half position receives half of it, exactly).
Cents period_rate(const Scenario& scenario, std::size_t bi, Cents annual) {
  const Baustein& b = scenario.bausteine[bi];
  if (b.months == 12) return annual;
  const auto r = for_months(annual, b.months);
  if (!r || *r % 2 != 0)
    refuse(scenario, baustein_path(scenario, bi, "months"),
           b.id + ": " + std::to_string(b.months) + " months of " + money_text(annual) +
               " per VZÄ is no whole, even number of cents; choose months that divide it exactly");
  return *r;
}

}  // namespace

void Plan::evaluate(const PlanInputs& in, Draft& d) const {
  const Scenario& scenario = *scenario_;
  const Regions& regions = *regions_;
  const Eigen::MatrixXd& ind = in.indicators ? *in.indicators : regions.indicators;
  Draft::Scratch& s = *d.scratch;
  const std::size_t rows = rows_.size(), nb = scenario.bausteine.size();
  auto fits = [](auto span, std::size_t n) { return span.empty() || span.size() == n; };
  if (!fits(in.absent, regions.list.size()) || !fits(in.budget, nb) || !fits(in.rate_per_vza, nb) || !fits(in.floor, rows) ||
      !fits(in.bausteine, nb))
    throw Error("Plan::evaluate: inputs sized for another plan");
  const std::size_t claims = in.claims ? rows : 0;  // the claims' length
  // A fresh draft, one of another plan, or one with(out) the claims this evaluation leaves out
  // (gives): the memo of its last evaluation does not hold either.
  if (s.plan != compiled_ || d.present.size() != rows || d.key_share.size() != claims || d.quota.size() != rows) {
    s.plan = compiled_;
    d.present.assign(rows, 0);
    d.halves.assign(rows, 0);
    d.gross.assign(rows, 0);
    d.cents.assign(rows, 0);
    d.key_share.assign(claims, 0.0);
    d.quota.assign(rows, 0.0);  // always a buffer a rule may write; holds the claims only with them
    d.budget.assign(nb, 0);
    d.unallocated.assign(nb, 0);
    d.tie.assign(nb, 0);
    s.memo.assign(nb, {});
    s.keys.assign(nb, {});
    s.rule.resize(nb);
    s.key.resize(nb);
    s.share.resize(nb);
    s.weight.resize(nb);
  }
  for (std::size_t bi = 0; bi < nb; ++bi) {
    const Baustein& b = scenario.bausteine[bi];
    const Compiled& c = (*compiled_)[bi];
    const Cents budget = in.budget.empty() ? b.budget : in.budget[bi];
    const Cents rate = period_rate(scenario, bi, in.rate_per_vza.empty() ? b.rate_per_vza : in.rate_per_vza[bi]);
    const BausteinOverrides* over = in.bausteine.empty() || in.bausteine[bi].empty() ? nullptr : &in.bausteine[bi];
    const std::size_t r0 = c.first_row, nc = c.who.size();
    // The present candidates, compacted: rule computations run over them only. Where nobody is
    // absent, all of them, compiled once. Written through a pointer into room for all: push_back
    // per candidate reloaded the vector's end after every byte read of `absent` (a byte may
    // alias anything).
    std::span<const std::uint32_t> at = c.everyone;
    if (!in.absent.empty()) {
      s.at.resize(nc);
      std::size_t present = 0;
      std::uint32_t* const into = s.at.data();
      const std::size_t* const who = c.who.data();
      const std::uint8_t* const absent = in.absent.data();
      for (std::size_t k = 0; k < nc; ++k) {
        into[present] = static_cast<std::uint32_t>(k);
        present += !absent[who[k]];
      }
      s.at.resize(present);
      at = s.at;
    }
    const std::size_t n = at.size();
    if (n == 0) {
      // Nobody applied (a replication with low uptake): an outcome, not an error. The whole
      // budget lapses and is counted as unallocated.
      std::fill(d.present.begin() + long(r0), d.present.begin() + long(c.end_row), 0);
      for (auto* v : {&d.halves, &d.gross, &d.cents}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0);
      if (claims)
        for (auto* v : {&d.key_share, &d.quota}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0.0);
      d.tie[bi] = 0;
      d.budget[bi] = budget;
      d.unallocated[bi] = budget;
      s.memo[bi].valid = false;
      continue;
    }
    // A Baustein that reads no indicator (fixed staffing) is a function of who is present, its
    // budget and its rate: when they repeat (every replication where all apply), so does it.
    Draft::Scratch::Memo& memo = s.memo[bi];
    if (c.memo && !over && memo.valid && memo.budget == budget && memo.rate == rate && same_present(memo.at, at, nc))
      continue;
    memo.valid = false;
    // Zero on entry to the rule (its contract). Gross is the rule's positions, copied below; its
    // pass-through rows are written only for the Gemeinden present.
    for (auto* v : {&d.halves, &d.cents}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0);
    std::fill(d.gross.begin() + long(r0 + nc), d.gross.begin() + long(c.end_row), 0);
    if (claims)
      for (auto* v : {&d.key_share, &d.quota}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0.0);
    d.budget[bi] = budget;
    {
      std::uint8_t* const present = d.present.data() + r0;
      if (n == nc) {  // everyone: one fill instead of a store per candidate
        std::fill(present, present + nc, 1);
      } else {
        std::fill(present, present + nc, 0);
        for (const std::uint32_t k : at) present[k] = 1;
      }
      std::fill(present + nc, d.present.data() + c.end_row, 0);
    }
    const std::span<const std::uint8_t> present(d.present.data() + r0, nc);
    std::vector<double>& shares = s.share[bi];
    shares.resize(n);
    std::vector<std::uint64_t>& key_weights = s.weight[bi];
    key_weights.resize(c.key ? n : 0);
    const std::span<const double> weights = over ? over->key_weight : std::span<const double>();
    if (c.key) {
      check_weights(*c.key, weights);
      evaluate_key(*c.key, ind, c.who, present, at, shares, key_weights, s.key[bi], weights, &s.keys[bi]);
    }
    RuleCall call{{scenario, regions, bi, c.who},
                  ind,
                  budget,
                  rate,
                  at,
                  present,
                  c.key ? std::span<const double>(shares) : std::span<const double>(),
                  key_weights,
                  in.floor.empty() ? std::span<const Halves>() : in.floor.subspan(r0, nc),
                  std::span<Halves>(d.halves.data() + r0, nc),
                  std::span<Cents>(d.cents.data() + r0, nc),
                  std::span<double>(d.quota.data() + r0, nc),
                  {},
                  s.rule[bi],
                  over};
    call.claims = claims != 0;
    c.rule->evaluate(call);
    if (claims && c.key)
      for (std::size_t j = 0; j < n; ++j) d.key_share[r0 + at[j]] = shares[j];
    d.tie[bi] = call.outcome.tie.has_value();
    // Over all candidates in a row, without the present ones' indices: the absent ones hold 0.
    const Cents allocated = total_cents(call, std::span<const Cents>(d.cents.data() + r0, nc));
    if (allocated > budget)
      // Named at the value a variant changed, where it changed the rate, the months or the rule.
      throw scenario.places.error(baustein_path(scenario, bi, "budget_eur"),
                                  b.id + ": the rule needs " + money_text(allocated) + ", more than the budget of " + money_text(budget),
                                  {baustein_path(scenario, bi, "rate_per_vza_eur"), baustein_path(scenario, bi, "months"),
                                   baustein_path(scenario, bi, std::string(b.rule->type().name))});
    Cents rest = budget - allocated;
    if (rest > 0 && b.residual == Residual::split_by_key) {
      // The rest by the rule's key, or by positions where the rule has none (fixed staffing).
      RuleScratch& rs = s.rule[bi];
      rs.weight.resize(n);
      std::uint64_t any = 0;  // in the same pass: no second scan of the weights per evaluation
      for (std::size_t j = 0; j < n; ++j) {
        const double key_share = c.key ? shares[j] : 0.0;
        rs.weight[j] = key_share > 0 ? weight_of(key_share) : static_cast<std::uint64_t>(d.halves[r0 + at[j]]);
        any |= rs.weight[j];
      }
      // Nobody to split it by (fixed staffing of 0 for every recipient present, or only such
      // recipients applied): said here, in euros, at the key that asked for the split.
      if (any == 0)
        refuse(scenario, baustein_path(scenario, bi, "residual"),
               b.id + ": the rest of " + money_text(rest) + " cannot be split by key: none of the " + std::to_string(n) +
                   (n == 1 ? " recipient" : " recipients") + (in.absent.empty() ? "" : " that applied") + " has " +
                   (c.key ? "a key share or positions" : "positions") +
                   " to split it by; give them positions, or leave the rest unallocated (residual: unallocated)");
      rs.seats.resize(n);
      split_cents(rest, rs.weight, rs.seats, rs.kernel);
      for (std::size_t j = 0; j < n; ++j) d.cents[r0 + at[j]] += rs.seats[j];
      rest = 0;
    }
    d.unallocated[bi] = rest;
    // Before passing on, gross is the rule's positions: those of the absent candidates are 0 in both.
    std::copy(d.halves.begin() + long(r0), d.halves.begin() + long(r0 + nc), d.gross.begin() + long(r0));
    // Pass-through: the Kreis keeps its rows' money less the shares its Gemeinden receive. A
    // Gemeinde that did not apply receives no share: the Kreis keeps it.
    const Cents half = c.passes.empty() ? 0 : call.half_rate();
    for (const auto& p : c.passes) {
      if (p.kreis < 0 || !present[static_cast<std::size_t>(p.kreis)]) continue;  // no Kreis, nothing to pass on
      if (over && !over->pass_through) break;  // switched off for this evaluation
      const std::size_t kreis_row = r0 + static_cast<std::size_t>(p.kreis);
      const double kreis_total = ind(Eigen::Index(p.kreis_region), Eigen::Index(p.column));
      if (!(kreis_total > 0))
        refuse(scenario, baustein_path(scenario, bi, "pass_through"), b.id + ": Kreis " + regions.list[p.kreis_region].ags + " has no " +
                                                         regions.indicator_names[p.column] + " to pass positions on by" +
                                                         (regions.places.columns.empty() ? "" : " (" + value_at(regions, ind, p.kreis_region, p.column) + ")"));
      const Halves kreis_halves = d.halves[kreis_row];
      Halves passed = 0;
      for (std::size_t m = 0; m < p.members.size(); ++m) {
        if (!in.absent.empty() && in.absent[p.members[m]]) continue;
        const std::size_t row = p.first_row + m;
        // The Gemeinde's part of the Kreis total; data where it is larger would pass on more than
        // the Kreis has (and a share far out of range cannot be rounded to half positions).
        const double part = ind(Eigen::Index(p.members[m]), Eigen::Index(p.column));
        if (part > kreis_total) {
          const std::string cells = regions.places.columns.empty() ? "" :
              " (" + value_at(regions, ind, p.members[m], p.column) + "; " + value_at(regions, ind, p.kreis_region, p.column) + ")";
          refuse(scenario, baustein_path(scenario, bi, "pass_through"), b.id + ": " + regions.list[p.members[m]].ags + " has more " +
                                                           regions.indicator_names[p.column] + " than its Kreis " +
                                                           regions.list[p.kreis_region].ags + cells);
        }
        const double share = static_cast<double>(kreis_halves) * part / kreis_total;
        d.present[row] = 1;
        d.halves[row] = d.gross[row] = round_share(share, p.minimum);
        d.cents[row] = d.halves[row] * half;
        if (claims) d.quota[row] = share / 2.0;
        passed += d.halves[row];
      }
      if (passed > kreis_halves)
        refuse(scenario, baustein_path(scenario, bi, "pass_through"),
               b.id + ": Kreis " + regions.list[p.kreis_region].ags + " cannot pass on more positions than it has");
      d.halves[kreis_row] -= passed;
      d.cents[kreis_row] -= passed * half;
    }
    if (c.memo && !over) {  // in place: the memo keeps its buffer, no allocation per evaluation
      memo.valid = true, memo.budget = budget, memo.rate = rate;
      memo.at.assign(at.begin(), at.end());
    }
  }
}

namespace {

/// The key's steps for the present candidate at[j]: each indicator value with the cell that set
/// it and what was carved out of it, its share and weight, the cap, the key share.
void describe_key(const KeyPlan& k, const Scenario& scenario, const Regions& regions, const Eigen::MatrixXd& ind,
                  std::span<const std::size_t> who, std::span<const std::uint8_t> present,
                  std::span<const std::uint32_t> at, std::size_t j, std::span<const double> share,
                  const KeyScratch& ks, Trace& out, std::span<const double> written) {
  const std::uint32_t i = at[j];
  auto term = [&](const KeyPlan::Term& t, const std::string& label) {
    out.push_back({label, number_text(ind(Eigen::Index(who[i]), Eigen::Index(t.column))),
                   regions.places.cell(regions, who[i], t.column)});
    for (std::uint32_t g : k.carved[i])
      if (present[g]) {
        const Region& r = regions.list[who[g]];
        out.push_back({"less that of " + r.ags + " " + r.name + " (a recipient itself)",
                       number_text(ind(Eigen::Index(who[g]), Eigen::Index(t.column))),
                       regions.places.cell(regions, who[g], t.column)});
      }
    double total = 0;
    for (std::uint32_t a : at) total += counted_value(k, t, ind, who, present, a);
    const double v = counted_value(k, t, ind, who, present, i);
    out.push_back({"share of " + t.name, number_text(v / total) + " = " + number_text(v) + " / " + number_text(total) +
                                             " (all " + std::to_string(at.size()) + " recipients)", ""});
    return v / total;
  };
  double weighted = 0;  // the key share before any cap: sum of weight x share
  for (std::size_t ti = 0; ti < k.terms.size(); ++ti) {
    const auto& t = k.terms[ti];
    const double weight = term_weight(k, ti, written);
    weighted += weight * term(t, "indicator " + t.name);
    out.push_back({"weight of " + t.name + " (normalised)", number_text(weight), place_of(scenario, k.path + ".key." + t.name)});
  }
  if (k.cap) out.push_back({"weighted share (before the cap)", number_text(weighted), ""});
  if (k.cap) {
    const double cap_share = term(*k.cap, "cap indicator " + k.cap->name);
    out.push_back({"cap", number_text(k.cap->weight * cap_share) + " = " + number_text(k.cap->weight) + " x share of " +
                              k.cap->name, place_of(scenario, k.path + ".cap")});
    const bool any = std::find(ks.capped.begin(), ks.capped.end(), 1) != ks.capped.end();
    out.push_back({"capped", ks.capped[j] ? "yes: the key share is the cap, the excess went to the others"
                             : any        ? "no: the key share includes a part of the capped recipients' excess"
                                          : "no: no recipient reaches its cap", ""});
    // The excess goes to the others in proportion to their weighted shares: the same factor for all.
    if (!ks.capped[j] && any && weighted > 0)
      out.push_back({"raised by the excess", number_text(share[j]) + " = " + number_text(weighted) + " x " +
                                                 number_text(share[j] / weighted), ""});
  }
  out.push_back({"key share", number_text(share[j]), ""});
}

}  // namespace

Trace Plan::describe(const PlanInputs& in, std::size_t row) const {
  const Scenario& scenario = *scenario_;
  const Regions& regions = *regions_;
  PlanInputs with_claims = in;  // the trace reads the row's claim
  with_claims.claims = true;
  Draft d;
  evaluate(with_claims, d);
  const Row& r = rows_.at(row);
  const std::size_t bi = r.baustein;
  const Baustein& b = scenario.bausteine[bi];
  const Compiled& c = (*compiled_)[bi];
  const Eigen::MatrixXd& ind = in.indicators ? *in.indicators : regions.indicators;
  const Region& region = regions.list[r.region];
  const std::string path = baustein_path(scenario, bi);
  Trace out;
  out.push_back({"Baustein", b.id + " " + b.name, place_of(scenario, path)});
  out.push_back({"recipient", region.ags + " " + region.name + " (" + std::string(region_type_name(region.type)) + ")",
                 place_of(scenario, path + ".recipients")});
  if (!d.present[row]) {
    out.push_back({"allocation", "none: it did not apply, or nobody it would share with did", ""});
    return out;
  }
  const Cents annual = in.rate_per_vza.empty() ? b.rate_per_vza : in.rate_per_vza[bi];
  const Cents rate = period_rate(scenario, bi, annual), half = rate / 2;
  const BausteinOverrides* over = in.bausteine.empty() || in.bausteine[bi].empty() ? nullptr : &in.bausteine[bi];
  const std::span<const double> weights = over ? over->key_weight : std::span<const double>();
  if (r.passed_on_by) {
    for (std::size_t pi = 0; pi < c.passes.size(); ++pi) {
      const Compiled::Pass& p = c.passes[pi];
      if (row < p.first_row || row >= p.first_row + p.members.size()) continue;
      const std::string at = path + ".pass_through[" + b.pass_through[pi].kreis + "]";  // as the source map names it
      const Region& kreis = regions.list[p.kreis_region];
      const std::string& key = regions.indicator_names[p.column];
      const double part = ind(Eigen::Index(r.region), Eigen::Index(p.column)),
                   total = ind(Eigen::Index(p.kreis_region), Eigen::Index(p.column));
      const Halves kreis_halves = d.gross[c.first_row + static_cast<std::size_t>(p.kreis)];
      out.push_back({"passed on by", kreis.ags + " " + kreis.name, place_of(scenario, at)});
      out.push_back({"positions of the Kreis", vza_text(kreis_halves) + " VZÄ", "", {kreis_halves}});
      out.push_back({key + " of the Gemeinde", number_text(part), regions.places.cell(regions, r.region, p.column), {}, {part}});
      out.push_back({key + " of the Kreis", number_text(total), regions.places.cell(regions, p.kreis_region, p.column), {}, {total}});
      out.push_back({"share", number_text(d.quota[row]) + " VZÄ = " + vza_text(kreis_halves) + " VZÄ x " + number_text(part) +
                                  " / " + number_text(total), place_of(scenario, at + ".key"), {}, {d.quota[row]}});
      out.push_back({"rounding", "to the nearest 0.5 VZÄ, at least " + vza_text(p.minimum) + " VZÄ",
                     place_of(scenario, at + ".minimum_vza"), {p.minimum}});
    }
    out.push_back({"positions", vza_text(d.halves[row]) + " VZÄ", "", {d.halves[row]}});
    out.push_back({"amount per VZÄ", money_text(rate), place_of(scenario, path + ".rate_per_vza_eur"), {rate}});
    out.push_back({"cents", std::to_string(d.cents[row]) + " = " + vza_text(d.halves[row]) + " VZÄ x " + money_text(rate), "",
                   {d.cents[row]}});
    return out;
  }
  out.push_back({"budget", money_text(d.budget[bi]), place_of(scenario, path + ".budget_eur")});
  if (b.months != 12)
    out.push_back({"months funded", std::to_string(b.months) + " of 12: an amount per VZÄ and year is paid for " +
                                        std::to_string(b.months) + "/12 of it (" + money_text(annual) + " -> " + money_text(rate) + ")",
                   place_of(scenario, path + ".months"), {b.months, annual, rate}});
  // The rule's step again, into buffers of its own: what it gave before residual and pass-through.
  const std::size_t r0 = c.first_row, nc = c.who.size();
  std::vector<std::uint32_t> at;
  for (std::size_t k = 0; k < nc; ++k)
    if (d.present[r0 + k]) at.push_back(static_cast<std::uint32_t>(k));
  const std::size_t j = static_cast<std::size_t>(std::find(at.begin(), at.end(), row - r0) - at.begin());
  const std::span<const std::uint8_t> present(d.present.data() + r0, nc);
  out.push_back({"recipients", std::to_string(at.size()) + " present of " + std::to_string(nc), ""});
  std::vector<double> share(at.size());
  std::vector<std::uint64_t> key_weight(c.key ? at.size() : 0);
  KeyScratch ks;
  if (c.key) {
    evaluate_key(*c.key, ind, c.who, present, at, share, key_weight, ks, weights);
    describe_key(*c.key, scenario, regions, ind, c.who, present, at, j, share, ks, out, weights);
  }
  std::vector<Halves> halves(nc);
  std::vector<Cents> cents(nc);
  std::vector<double> quota(nc);
  RuleScratch rs;
  RuleCall call{{scenario, regions, bi, c.who}, ind, d.budget[bi], rate, at, present,
                c.key ? std::span<const double>(share) : std::span<const double>(), key_weight,
                in.floor.empty() ? std::span<const Halves>() : in.floor.subspan(r0, nc),
                halves, cents, quota, {}, rs, over};
  c.rule->evaluate(call);
  c.rule->describe(call, j, out);
  const std::size_t k = row - r0;
  const Halves passed = d.gross[row] - d.halves[row];
  const Cents residual = d.cents[row] + passed * half - cents[k];
  if (b.residual == Residual::split_by_key) {
    // The rest of the budget in cents, by the key (by positions where the rule has none), as
    // evaluate() split it; its steps are labelled "residual: ...".
    Cents rest = d.budget[bi];
    std::vector<std::uint64_t> weight(at.size());
    for (std::size_t i = 0; i < at.size(); ++i) {
      rest -= cents[at[i]];
      const double key_share = c.key ? share[i] : 0.0;
      weight[i] = key_share > 0 ? weight_of(key_share) : static_cast<std::uint64_t>(halves[at[i]]);
    }
    if (rest > 0) {
      out.push_back({"residual (split_by_key)", money_text(rest) + " the rule left, by " +
                                                    (c.key && share[j] > 0 ? "the key share in 12 decimals" : "positions") +
                                                    ": weight " + std::to_string(weight[j]),
                     place_of(scenario, path + ".residual"), {rest, static_cast<std::int64_t>(weight[j])}});
      std::vector<std::int64_t> parts(at.size());
      Workspace ws;
      const Outcome split = split_cents(rest, weight, parts, ws);
      Trace steps;
      describe_largest_remainder(weight, rest, {}, parts, split, TiePolicy::order, j, "cents", steps);
      for (auto& line : steps) {
        line.label = "residual: " + line.label;
        out.push_back(std::move(line));
      }
      out.push_back({"share of the residual", money_text(residual), "", {residual}});
    }
  }
  if (passed > 0)
    out.push_back({"passed on to its Gemeinden", vza_text(passed) + " VZÄ = " + money_text(passed * half),
                   place_of(scenario, path + ".pass_through"), {passed, passed * half}});
  if (residual != 0 || passed > 0) {
    out.push_back({"positions", vza_text(d.halves[row]) + " VZÄ", "", {d.halves[row]}});
    out.push_back({"cents", std::to_string(d.cents[row]) + " = " + money_text(d.cents[row]), "", {d.cents[row]}});
  }
  return out;
}

std::vector<std::vector<std::pair<std::string, Halves>>> Plan::kinds(const PlanInputs& in, const Draft& d) const {
  const Scenario& scenario = *scenario_;
  const Regions& regions = *regions_;
  const Eigen::MatrixXd& ind = in.indicators ? *in.indicators : regions.indicators;
  std::vector<std::vector<std::pair<std::string, Halves>>> out(scenario.bausteine.size());
  for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
    const Compiled& c = (*compiled_)[bi];
    if (!c.rule->counts_kinds()) continue;
    const std::size_t r0 = c.first_row, nc = c.who.size();
    std::vector<std::uint32_t> at;
    for (std::size_t k = 0; k < nc; ++k)
      if (d.present[r0 + k]) at.push_back(static_cast<std::uint32_t>(k));
    if (at.empty()) continue;
    // The rule's step again, as describe() makes it: kinds are the rule's to count.
    const std::span<const std::uint8_t> present(d.present.data() + r0, nc);
    std::vector<double> share(at.size());
    std::vector<std::uint64_t> key_weight(c.key ? at.size() : 0);
    const BausteinOverrides* over = in.bausteine.empty() || in.bausteine[bi].empty() ? nullptr : &in.bausteine[bi];
    KeyScratch ks;
    if (c.key)
      evaluate_key(*c.key, ind, c.who, present, at, share, key_weight, ks, over ? over->key_weight : std::span<const double>());
    std::vector<Halves> halves(nc);
    std::vector<Cents> cents(nc);
    std::vector<double> quota(nc);
    RuleScratch rs;
    const Baustein& b = scenario.bausteine[bi];
    const Cents rate = period_rate(scenario, bi, in.rate_per_vza.empty() ? b.rate_per_vza : in.rate_per_vza[bi]);
    RuleCall call{{scenario, regions, bi, c.who}, ind, d.budget[bi], rate, at, present,
                  c.key ? std::span<const double>(share) : std::span<const double>(), key_weight,
                  in.floor.empty() ? std::span<const Halves>() : in.floor.subspan(r0, nc),
                  halves, cents, quota, {}, rs, over};
    c.rule->evaluate(call);
    c.rule->kinds(call, out[bi]);
  }
  return out;
}

Allocation allocate(const Scenario& scenario, const Regions& regions) {
  const Plan plan(scenario, regions);
  return allocate(plan, {});
}

Allocation allocate(const Plan& plan, const PlanInputs& in) {
  const Scenario& scenario = plan.scenario();
  const Regions& regions = plan.regions();
  Draft d;
  PlanInputs with_claims = in;  // an allocation reports every row's claims
  with_claims.claims = true;
  plan.evaluate(with_claims, d);
  const auto over = [&](std::size_t bi) -> const BausteinOverrides* {
    return in.bausteine.empty() || in.bausteine[bi].empty() ? nullptr : &in.bausteine[bi];
  };
  Allocation a;
  a.totals.resize(scenario.bausteine.size());
  for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
    const Baustein& b = scenario.bausteine[bi];
    BausteinTotals& t = a.totals[bi];
    t.budget = d.budget[bi];
    t.unallocated = d.unallocated[bi];
    t.allocated = t.budget - t.unallocated;
    if (t.unallocated > 0) {
      if (!over(bi) && in.rate_per_vza.empty()) {
        t.unallocated_reason = b.rule->unallocated_reason(b);
      } else {  // the reason names the unit's cost: with this evaluation's rate and numbers
        Baustein as_evaluated = b;
        if (!in.rate_per_vza.empty()) as_evaluated.rate_per_vza = in.rate_per_vza[bi];
        t.unallocated_reason = over(bi) ? b.rule->unallocated_reason_for(as_evaluated, *over(bi))
                                        : b.rule->unallocated_reason(as_evaluated);
      }
    }
    if (d.tie[bi]) a.notes.push_back({b.rule->tie_note(), {b.id}});
  }
  a.notes.insert(a.notes.end(), plan.notes().begin(), plan.notes().end());
  const auto kinds = plan.kinds(in, d);

  const auto& rows = plan.rows();
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (!d.present[k]) continue;
    AllocationRow r;
    r.region = rows[k].region;
    r.baustein = rows[k].baustein;
    r.halves = d.halves[k];
    r.cents = d.cents[k];
    r.key_share = d.key_share[k];
    r.quota = d.quota[k];
    r.passed_on_by = rows[k].passed_on_by;
    if (r.passed_on_by) r.note = "passed on by " + regions.list[*r.passed_on_by].name;
    BausteinTotals& t = a.totals[r.baustein];
    t.halves += r.halves;
    ++t.recipients;
    a.rows.push_back(std::move(r));
  }
  for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
    BausteinTotals& t = a.totals[bi];
    const Baustein& b = scenario.bausteine[bi];
    t.kinds = kinds[bi];
    if (t.kinds.empty() && t.halves > 0) t.kinds.push_back({b.position_kind.empty() ? b.name : b.position_kind, t.halves});
  }
  // The Kreis row of a pass-through says what it passed on and who waived.
  for (const auto& b : scenario.bausteine) {
    const std::size_t bi = static_cast<std::size_t>(&b - scenario.bausteine.data());
    if (over(bi) && !over(bi)->pass_through) continue;
    for (const auto& pt : b.pass_through) {
      const auto kreis = regions.find(pt.kreis);
      Halves passed = 0;
      AllocationRow* kreis_row = nullptr;
      for (auto& r : a.rows)
        if (r.baustein == bi) {
          if (r.region == *kreis && !r.passed_on_by) kreis_row = &r;
          if (r.passed_on_by == *kreis) passed += r.halves;
        }
      if (!kreis_row) continue;
      std::string note = "passes " + std::to_string(passed / 2) + (passed % 2 ? ".5" : "") + " VZÄ on to its Gemeinden";
      if (!pt.waived.empty()) {
        note += "; waived:";
        for (const auto& w : pt.waived) {
          const auto g = regions.find(w);
          note += " " + (g ? regions.list[*g].name : w);
        }
      }
      kreis_row->note = note;
    }
  }
  return a;
}

}  // namespace kimsim
