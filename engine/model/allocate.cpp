// allocate(): a scenario's Bausteine over the regions, exactly in cents and half positions.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "kimsim/format.hpp"
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

namespace {
/// A polynomial hash with a multiplier drawn once per process, mixed (MurmurHash3's finaliser):
/// AGS crafted to collide in one run collide in no other, so the look-up table cannot be made
/// to degrade to a linear scan. Only look-ups depend on it, never an output.
std::uint32_t hash_of(std::string_view ags) {
  static const std::uint64_t multiplier = std::random_device{}() * 2ULL + 0x9E3779B97F4A7C15ULL | 1ULL;
  std::uint64_t h = ags.size();
  for (const char c : ags) h = h * multiplier + static_cast<unsigned char>(c);
  h ^= h >> 33, h *= 0xff51afd7ed558ccdULL, h ^= h >> 33, h *= 0xc4ceb9fe1a85ec53ULL, h ^= h >> 33;
  return static_cast<std::uint32_t>(h);
}
}  // namespace

std::size_t Regions::probe(std::string_view ags, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.index == 0 || (s.hash == hash && list[s.index - 1].ags == ags)) return i;
  }
}

void Regions::rebuild_slots(std::size_t capacity) {
  std::size_t size = 16;
  while (size < 2 * capacity) size *= 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{});
  used_ = 0;
  for (const Slot& s : old)
    if (s.index) insert_slot(s.hash, s.index - 1);
}

void Regions::insert_slot(std::uint32_t hash, std::size_t index) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].index) i = (i + 1) & mask;
  slots_[i] = {hash, static_cast<std::uint32_t>(index + 1)};
  ++used_;
}

void Regions::reserve(std::size_t n) {
  list.reserve(n);
  if (slots_.size() < 2 * n) rebuild_slots(n);
}

bool Regions::add(Region region) {
  if (2 * (used_ + 1) > slots_.size()) rebuild_slots(std::max<std::size_t>(used_ + 1, 2 * used_));
  const std::uint32_t hash = hash_of(region.ags);
  const std::size_t at = probe(region.ags, hash);
  if (slots_[at].index) return false;
  slots_[at] = {hash, static_cast<std::uint32_t>(list.size() + 1)};
  ++used_;
  list.push_back(std::move(region));
  return true;
}

std::optional<std::size_t> Regions::find(std::string_view ags) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& s = slots_[probe(ags, hash_of(ags))];
  return s.index ? std::optional<std::size_t>(s.index - 1) : std::nullopt;
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
  if (used_ != list.size()) {  // the list was filled directly, not by add(); the first of equal AGS counts
    slots_.clear();
    rebuild_slots(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::uint32_t hash = hash_of(list[i].ags);
      const std::size_t at = probe(list[i].ags, hash);
      if (!slots_[at].index) slots_[at] = {hash, static_cast<std::uint32_t>(i + 1)}, ++used_;
    }
  }
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

std::vector<std::size_t> select(const Regions& regions, const Selector& s) {
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
  const bool by_kind = !s.types.empty() || !s.flags.empty();
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    const Region& r = regions.list[i];
    bool pick = by_kind && (types == 0 || (types >> static_cast<unsigned>(r.type)) & 1u);
    pick = pick && !unknown_flag && (r.flag_bits & flags) == flags;
    pick = (pick || (listed[i] & 1)) && !(listed[i] & 2);
    if (pick) out.push_back(i);
  }
  return out;
}


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
  /// Where its rule was set ("bausteine[1].positions_by_key"): errors about the key name the place.
  const SourceMap* places = nullptr;
  std::string path;
  [[noreturn]] void refuse(const std::string& sub, const std::string& what) const {
    const std::string at = path.empty() ? sub : sub.empty() ? path : path + "." + sub;
    if (places) throw places->error(at, what);
    throw InputError(at + ": " + what);
  }
};

KeyPlan compile_key(const Regions& regions, const std::vector<std::size_t>& who, const Key& key,
                    const SourceMap* places, std::string path) {
  KeyPlan k;
  k.places = places, k.path = std::move(path);
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
  k.carved.resize(who.size());
  for (std::size_t i = 0; i < who.size(); ++i)
    if (regions.list[who[i]].type == RegionType::kreis)
      for (std::size_t g : regions.members(who[i]))
        if (auto at = std::lower_bound(who.begin(), who.end(), g); at != who.end() && *at == g)
          k.carved[i].push_back(static_cast<std::uint32_t>(at - who.begin()));
  return k;
}

/// Working memory of one key evaluation, reused across calls.
struct KeyScratch {
  std::vector<double> value, cap;
  std::vector<std::uint8_t> capped;
};

/// Shares of one indicator over the present candidates `at`, written to `out` (parallel to at).
void column_shares(const KeyPlan& k, const KeyPlan::Term& t, const Eigen::MatrixXd& ind,
                   const std::vector<std::size_t>& who, std::span<const std::uint8_t> present,
                   std::span<const std::uint32_t> at, std::vector<double>& out) {
  out.resize(at.size());
  double total = 0;
  for (std::size_t j = 0; j < at.size(); ++j) {
    const std::uint32_t i = at[j];
    double v = ind(Eigen::Index(who[i]), Eigen::Index(t.column));
    for (std::uint32_t g : k.carved[i])
      if (present[g]) v -= ind(Eigen::Index(who[g]), Eigen::Index(t.column));
    out[j] = std::max(v, 0.0);
    total += out[j];
  }
  if (!(total > 0)) k.refuse(k.cap && &t == &*k.cap ? "cap" : "key." + t.name, "the indicator '" + t.name + "' is zero for all recipients");
  for (double& v : out) v /= total;
}

/// Key shares of the present candidates `at` (summing to 1), the cap applied; into `share`.
void evaluate_key(const KeyPlan& k, const Eigen::MatrixXd& ind, const std::vector<std::size_t>& who,
                  std::span<const std::uint8_t> present, std::span<const std::uint32_t> at,
                  std::span<double> share, KeyScratch& s) {
  const std::size_t n = at.size();
  std::fill(share.begin(), share.end(), 0.0);
  for (const auto& t : k.terms) {
    column_shares(k, t, ind, who, present, at, s.value);
    for (std::size_t j = 0; j < n; ++j) share[j] += s.value[j] * t.weight;
  }
  if (!k.cap) return;
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
    if (!(free > 0))  // the rest would be shared as 0/0
      k.refuse("cap", "the cap on '" + k.cap->name +
                             "' cannot be met: the recipients under it have no key share to take the excess");
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
  evaluate_key(k, regions.indicators, who, present, at, share, s);
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
  bool reads_indicators = true;  ///< by a key or a pass-through
  std::vector<std::size_t> who;  ///< the candidates (region indices), ascending
  std::optional<KeyPlan> key;
  // Fixed staffing: positions per candidate, plus extras for member Gemeinden with a flag
  // unless that Gemeinde is a present recipient itself.
  std::vector<Halves> fixed;
  struct Extra {
    std::uint32_t candidate = 0;
    std::int64_t member = -1;  ///< candidate index of the Gemeinde, -1 if it is none
    Halves halves = 0;
  };
  std::vector<Extra> extras;
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
  /// The plan that last wrote the draft (held, so that no other plan can take its address).
  std::shared_ptr<const void> plan;
  Workspace kernel;
  KeyScratch key;
  std::vector<std::uint32_t> at;  ///< candidate index of each present recipient
  std::vector<double> share;
  std::vector<std::uint64_t> weight;
  std::vector<std::int64_t> seats, lo, hi;
};

Draft::Draft() : scratch(std::make_unique<Scratch>()) {}
Draft::~Draft() = default;
Draft::Draft(Draft&&) noexcept = default;
Draft& Draft::operator=(Draft&&) noexcept = default;

namespace {

std::string euros(Cents c) { return format_euros(c) + " EUR"; }

/// "bausteine[B2]" and, with `key`, "bausteine[B2].key": the path of a Baustein's value, the
/// item selected by its id as everywhere a scenario's values are named (by position where it has
/// none that a path can hold).
std::string path_of(const Scenario& s, std::size_t bi, const std::string& key = "") {
  const std::string& id = s.bausteine[bi].id;
  const bool by_id = !id.empty() && id.find_first_of("[]") == std::string::npos;
  return "bausteine[" + (by_id ? id : std::to_string(bi)) + "]" + (key.empty() ? "" : "." + key);
}

/// The key of a Baustein's rule block in the scenario.
std::string rule_key(const Baustein& b) {
  return std::visit(
      [](const auto& rule) -> std::string {
        using T = std::decay_t<decltype(rule)>;
        if constexpr (std::is_same_v<T, FixedStaffing>) return "fixed_staffing";
        if constexpr (std::is_same_v<T, PositionsByKey>) return "positions_by_key";
        if constexpr (std::is_same_v<T, MoneyByKey>) return "money_by_key";
      },
      b.rule);
}

/// "3.5" from 7 half positions.
std::string vza(Halves h) { return std::to_string(h / 2) + (h % 2 ? ".5" : ".0"); }

/// An error about the value at `path` of the scenario, named with the place that set it.
[[noreturn]] void refuse(const Scenario& s, const std::string& path, const std::string& what) {
  throw s.places.error(path, what);
}

Cents half_rate(const Scenario& s, std::size_t bi, Cents rate) {
  if (rate <= 0 || rate % 2 != 0)
    refuse(s, path_of(s, bi, "rate_per_vza_eur"),
           s.bausteine[bi].id + ": rate_per_vza must be a positive amount with an even number of cents");
  return rate / 2;
}

/// x * y or x + y in cents or half positions, or an InputError where the result leaves the 64-bit
/// range: the scenario bounds each number it reads, not their products and sums.
[[noreturn, gnu::cold, gnu::noinline]] void too_large(const Baustein& b) {
  throw InputError(b.id + ": the amounts are too large to compute with (beyond 2^63 cents)");
}
std::int64_t checked(const Baustein& b, std::int64_t x, std::int64_t y, bool multiply) {
  std::int64_t r;
  if (multiply ? __builtin_mul_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r)) [[unlikely]]
    too_large(b);
  return r;
}
std::int64_t product(const Baustein& b, std::int64_t x, std::int64_t y) { return checked(b, x, y, true); }
std::int64_t sum(const Baustein& b, std::int64_t x, std::int64_t y) { return checked(b, x, y, false); }

/// Key shares as integer weights: fixed point with 12 decimals, so that the kernel decides
/// exactly on them (and ties between equal keys are found, not hidden by rounding noise).
/// Rounded half away from zero, as llround, inline: the truncation and the fraction are exact.
std::uint64_t weight_of(double share) {
  const double x = share * 1e12;  // 0 <= x <= 1e12
  const auto whole = static_cast<std::uint64_t>(x);
  return whole + (x - static_cast<double>(whole) >= 0.5);
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
      refuse(scenario, path_of(scenario, bi, "recipients"),
             b.id + ": no region matches its recipients" + (why.empty() ? "" : why + "')"));
    }
    for (auto region : c.who) rows_.push_back({bi, region, std::nullopt});
    auto candidate = [&](std::size_t region) -> std::int64_t {
      const auto at = std::lower_bound(c.who.begin(), c.who.end(), region);
      return at != c.who.end() && *at == region ? at - c.who.begin() : -1;
    };
    std::visit(
        [&](const auto& rule) {
          using T = std::decay_t<decltype(rule)>;
          if constexpr (std::is_same_v<T, FixedStaffing>) {
            for (std::size_t k = 0; k < c.who.size(); ++k) {
              const Region& r = regions.list[c.who[k]];
              Halves h = 0;
              if (auto it = rule.per_type.find(r.type); it != rule.per_type.end()) h += it->second;
              for (const auto& [flag, extra] : rule.per_flag)
                if (r.has(flag)) h += extra;
              c.fixed.push_back(h);
              for (const auto& [flag, extra] : rule.per_member_flag) {
                const std::uint64_t bit = regions.flag_bit(flag);
                for (std::size_t g : regions.members(c.who[k]))
                  if (regions.list[g].flag_bits & bit)
                    c.extras.push_back({static_cast<std::uint32_t>(k), candidate(g), extra});
              }
            }
          } else {
            if constexpr (std::is_same_v<T, PositionsByKey>)
              if (rule.base % rule.unit != 0)
                refuse(scenario, path_of(scenario, bi, "positions_by_key.base_vza"), b.id + ": the base must be a whole number of units");
            if constexpr (std::is_same_v<T, PositionsByKey>)
              if (rule.min && rule.max && *rule.max < *rule.min)
                refuse(scenario, path_of(scenario, bi, "positions_by_key.max_vza"),
                       b.id + ": the maximum of " + vza(*rule.max) + " VZÄ is below the minimum of " + vza(*rule.min) + " VZÄ");
            c.key = compile_key(regions, c.who, rule.key, &scenario.places, path_of(scenario, bi, rule_key(b)));
          }
        },
        b.rule);
    for (std::size_t pi = 0; pi < b.pass_through.size(); ++pi) {
      const PassThrough& pt = b.pass_through[pi];
      const std::string at = path_of(scenario, bi, "pass_through[" + pt.kreis + "]");
      Compiled::Pass p;
      const auto kreis = regions.find(pt.kreis);
      if (!kreis) refuse(scenario, at + ".kreis", b.id + ": pass-through from unknown Kreis " + pt.kreis);
      p.kreis_region = *kreis;
      p.kreis = candidate(*kreis);
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
      c.passes.push_back(std::move(p));
    }
    c.end_row = rows_.size();
    c.reads_indicators = c.key.has_value() || !c.passes.empty();
    compiled->push_back(std::move(c));
  }
  for (const auto& row : rows_) read_.push_back(row.region);
  std::sort(read_.begin(), read_.end());
  read_.erase(std::unique(read_.begin(), read_.end()), read_.end());
  compiled_ = std::move(compiled);
}

void Plan::evaluate(const PlanInputs& in, Draft& d) const {
  const Scenario& scenario = *scenario_;
  const Regions& regions = *regions_;
  const Eigen::MatrixXd& ind = in.indicators ? *in.indicators : regions.indicators;
  Draft::Scratch& s = *d.scratch;
  const std::size_t rows = rows_.size(), nb = scenario.bausteine.size();
  auto fits = [](auto span, std::size_t n) { return span.empty() || span.size() == n; };
  if (!fits(in.absent, regions.list.size()) || !fits(in.budget, nb) || !fits(in.rate_per_vza, nb) || !fits(in.floor, rows))
    throw Error("Plan::evaluate: inputs sized for another plan");
  if (s.plan != compiled_ || d.present.size() != rows) {  // a fresh draft, or one of another plan
    s.plan = compiled_;
    d.present.assign(rows, 0);
    d.halves.assign(rows, 0);
    d.gross.assign(rows, 0);
    d.cents.assign(rows, 0);
    d.key_share.assign(rows, 0.0);
    d.quota.assign(rows, 0.0);
    d.budget.assign(nb, 0);
    d.unallocated.assign(nb, 0);
    d.tie.assign(nb, 0);
    s.memo.assign(nb, {});
  }
  for (std::size_t bi = 0; bi < nb; ++bi) {
    const Baustein& b = scenario.bausteine[bi];
    const Compiled& c = (*compiled_)[bi];
    const Cents budget = in.budget.empty() ? b.budget : in.budget[bi];
    const Cents rate = in.rate_per_vza.empty() ? b.rate_per_vza : in.rate_per_vza[bi];
    const std::size_t r0 = c.first_row, nc = c.who.size();
    // The present candidates, compacted: rule computations run over them only.
    s.at.clear();
    for (std::size_t k = 0; k < nc; ++k)
      if (in.absent.empty() || !in.absent[c.who[k]]) s.at.push_back(static_cast<std::uint32_t>(k));
    const std::size_t n = s.at.size();
    if (n == 0) {
      // Nobody applied (a replication with low uptake): an outcome, not an error. The whole
      // budget lapses and is counted as unallocated.
      std::fill(d.present.begin() + long(r0), d.present.begin() + long(c.end_row), 0);
      for (auto* v : {&d.halves, &d.gross, &d.cents}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0);
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
    if (!c.reads_indicators && memo.valid && memo.budget == budget && memo.rate == rate && memo.at == s.at) continue;
    memo.valid = false;
    std::fill(d.present.begin() + long(r0), d.present.begin() + long(c.end_row), 0);
    for (auto* v : {&d.halves, &d.gross, &d.cents}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0);
    for (auto* v : {&d.key_share, &d.quota}) std::fill(v->begin() + long(r0), v->begin() + long(c.end_row), 0.0);
    d.tie[bi] = 0;
    d.budget[bi] = budget;
    for (std::uint32_t k : s.at) d.present[r0 + k] = 1;
    const std::span<const std::uint8_t> present(d.present.data() + r0, nc);
    s.share.resize(n);
    if (c.key) evaluate_key(*c.key, ind, c.who, present, s.at, s.share, s.key);
    std::visit(
        [&](const auto& rule) {
          using T = std::decay_t<decltype(rule)>;
          if constexpr (std::is_same_v<T, FixedStaffing>) {
            const Cents half = half_rate(scenario, bi, rate);
            for (std::uint32_t k : s.at) d.halves[r0 + k] = c.fixed[k];
            for (const auto& e : c.extras)
              if (present[e.candidate] && (e.member < 0 || !present[static_cast<std::size_t>(e.member)]))
                d.halves[r0 + e.candidate] += e.halves;
            for (std::uint32_t k : s.at) {
              d.cents[r0 + k] = product(b, d.halves[r0 + k], half);
              d.quota[r0 + k] = static_cast<double>(d.halves[r0 + k]) / 2.0;
            }
          }
          if constexpr (std::is_same_v<T, PositionsByKey>) {
            const Cents half = half_rate(scenario, bi, rate);
            const Cents unit_cost = product(b, rule.unit, half);
            const std::int64_t units = budget / unit_cost;
            const std::int64_t base_units = rule.base / rule.unit;
            const std::int64_t keyed = units - base_units * static_cast<std::int64_t>(n);
            if (keyed < 0)
              refuse(scenario, path_of(scenario, bi, "budget_eur"),
                     b.id + ": the budget buys " + std::to_string(units) + " units, fewer than the base of " +
                         std::to_string(base_units) + " for each of the " + std::to_string(n) + " recipients");
            s.lo.clear();
            s.hi.clear();
            if (rule.min || rule.max) {
              s.lo.assign(n, rule.min ? std::max<std::int64_t>(0, (*rule.min + rule.unit - 1) / rule.unit - base_units) : 0);
              s.hi.assign(n, rule.max ? std::max<std::int64_t>(0, *rule.max / rule.unit - base_units) : kUnbounded);
              // Said here, where the scenario's values are known, not by the kernel's bounds check.
              if (static_cast<double>(s.lo[0]) * static_cast<double>(n) > static_cast<double>(keyed))
                refuse(scenario, path_of(scenario, bi, "positions_by_key.min_vza"),
                       b.id + ": the budget buys " + std::to_string(keyed) + (base_units ? " units beyond the bases" : " units") +
                           ", fewer than the minimum of " +
                           vza(*rule.min) + " VZÄ needs for each of the " + std::to_string(n) + " recipients");
              if (rule.max && static_cast<double>(s.hi[0]) * static_cast<double>(n) < static_cast<double>(keyed))
                refuse(scenario, path_of(scenario, bi, "positions_by_key.max_vza"),
                       b.id + ": the budget buys " + std::to_string(keyed) + (base_units ? " units beyond the bases" : " units") +
                           ", more than the maximum of " +
                           vza(*rule.max) + " VZÄ allows for the " + std::to_string(n) + " recipients");
            }
            if (!in.floor.empty()) {
              // Hold-harmless: last year's positions as a lower bound, as far as the units allow.
              std::int64_t sum = 0;
              s.seats.resize(n);
              for (std::size_t j = 0; j < n; ++j) {
                std::int64_t held = std::max<std::int64_t>(0, in.floor[r0 + s.at[j]] / rule.unit - base_units);
                if (!s.lo.empty()) held = std::max(held, s.lo[j]);
                if (!s.hi.empty()) held = std::min(held, s.hi[j]);
                s.seats[j] = held;
                sum += held;
              }
              if (sum <= keyed) {
                s.lo.assign(s.seats.begin(), s.seats.end());
                if (s.hi.empty()) s.hi.assign(n, kUnbounded);
              }
            }
            s.weight.resize(n);
            for (std::size_t j = 0; j < n; ++j) s.weight[j] = weight_of(s.share[j]);
            s.seats.resize(n);
            const Outcome out = apportion(rule.rule, s.weight, keyed, s.seats, s.kernel, Bounds{s.lo, s.hi});
            d.tie[bi] = out.tie.has_value();
            for (std::size_t j = 0; j < n; ++j) {
              const std::size_t row = r0 + s.at[j];
              d.halves[row] = (s.seats[j] + base_units) * rule.unit;
              d.cents[row] = d.halves[row] * half;
              d.key_share[row] = s.share[j];
              d.quota[row] = (static_cast<double>(keyed) * s.share[j] + static_cast<double>(base_units)) *
                             static_cast<double>(rule.unit) / 2.0;
            }
          }
          if constexpr (std::is_same_v<T, MoneyByKey>) {
            if (product(b, rule.minimum, static_cast<Cents>(n)) > budget)
              refuse(scenario, path_of(scenario, bi, "money_by_key.minimum_eur"),
                     b.id + ": the minimum of " + euros(rule.minimum) + " for " + std::to_string(n) + " recipients exceeds the budget");
            // Largest remainder on cents with the minimum as a lower bound: a recipient below
            // the minimum is raised to it and the rest is shared by key among the others.
            s.lo.assign(n, rule.minimum);
            s.weight.resize(n);
            for (std::size_t j = 0; j < n; ++j) s.weight[j] = weight_of(s.share[j]);
            s.seats.resize(n);
            const Outcome out = apportion(Rule{Method::hamilton, std::nullopt, TiePolicy::order, 0}, s.weight,
                                          budget, s.seats, s.kernel, Bounds{s.lo, {}});
            d.tie[bi] = out.tie.has_value();
            for (std::size_t j = 0; j < n; ++j) {
              const std::size_t row = r0 + s.at[j];
              d.cents[row] = s.seats[j];
              d.key_share[row] = s.share[j];
              d.quota[row] = static_cast<double>(budget) * s.share[j] / 100.0;
            }
          }
        },
        b.rule);
    Cents allocated = 0;
    for (std::uint32_t k : s.at) allocated = sum(b, allocated, d.cents[r0 + k]);
    if (allocated > budget)
      refuse(scenario, path_of(scenario, bi, "budget_eur"), b.id + ": the rule needs " + euros(allocated) + ", more than the budget of " + euros(budget));
    Cents rest = budget - allocated;
    if (rest > 0 && b.residual == Residual::split_by_key) {
      // The rest by the rule's key, or by positions where the rule has none (fixed staffing).
      s.weight.resize(n);
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t row = r0 + s.at[j];
        s.weight[j] = d.key_share[row] > 0 ? weight_of(d.key_share[row]) : static_cast<std::uint64_t>(d.halves[row]);
      }
      s.seats.resize(n);
      split_cents(rest, s.weight, s.seats, s.kernel);
      for (std::size_t j = 0; j < n; ++j) d.cents[r0 + s.at[j]] += s.seats[j];
      rest = 0;
    }
    d.unallocated[bi] = rest;
    for (std::uint32_t k : s.at) d.gross[r0 + k] = d.halves[r0 + k];
    // Pass-through: the Kreis keeps its rows' money less the shares its Gemeinden receive. A
    // Gemeinde that did not apply receives no share: the Kreis keeps it.
    const Cents half = c.passes.empty() ? 0 : half_rate(scenario, bi, rate);
    for (const auto& p : c.passes) {
      if (p.kreis < 0 || !present[static_cast<std::size_t>(p.kreis)]) continue;  // no Kreis, nothing to pass on
      const std::size_t kreis_row = r0 + static_cast<std::size_t>(p.kreis);
      const double kreis_total = ind(Eigen::Index(p.kreis_region), Eigen::Index(p.column));
      if (!(kreis_total > 0))
        refuse(scenario, path_of(scenario, bi, "pass_through"), b.id + ": Kreis " + regions.list[p.kreis_region].ags + " has no " +
                                                         regions.indicator_names[p.column] + " to pass positions on by");
      const Halves kreis_halves = d.halves[kreis_row];
      Halves passed = 0;
      for (std::size_t m = 0; m < p.members.size(); ++m) {
        if (!in.absent.empty() && in.absent[p.members[m]]) continue;
        const std::size_t row = p.first_row + m;
        // The Gemeinde's part of the Kreis total; data where it is larger would pass on more than
        // the Kreis has (and a share far out of range cannot be rounded to half positions).
        const double part = ind(Eigen::Index(p.members[m]), Eigen::Index(p.column));
        if (part > kreis_total)
          refuse(scenario, path_of(scenario, bi, "pass_through"), b.id + ": " + regions.list[p.members[m]].ags + " has more " +
                                                           regions.indicator_names[p.column] + " than its Kreis " +
                                                           regions.list[p.kreis_region].ags);
        const double share = static_cast<double>(kreis_halves) * part / kreis_total;
        d.present[row] = 1;
        d.halves[row] = d.gross[row] = round_share(share, p.minimum);
        d.cents[row] = d.halves[row] * half;
        d.quota[row] = share / 2.0;
        passed += d.halves[row];
      }
      if (passed > kreis_halves)
        refuse(scenario, path_of(scenario, bi, "pass_through"),
               b.id + ": Kreis " + regions.list[p.kreis_region].ags + " cannot pass on more positions than it has");
      d.halves[kreis_row] -= passed;
      d.cents[kreis_row] -= passed * half;
    }
    if (!c.reads_indicators) memo = {true, budget, rate, s.at};
  }
}

Allocation allocate(const Scenario& scenario, const Regions& regions) {
  const Plan plan(scenario, regions);
  Draft d;
  plan.evaluate({}, d);
  Allocation a;
  a.totals.resize(scenario.bausteine.size());
  for (std::size_t bi = 0; bi < scenario.bausteine.size(); ++bi) {
    const Baustein& b = scenario.bausteine[bi];
    BausteinTotals& t = a.totals[bi];
    t.budget = d.budget[bi];
    t.unallocated = d.unallocated[bi];
    t.allocated = t.budget - t.unallocated;
    if (t.unallocated > 0)
      t.unallocated_reason = std::holds_alternative<PositionsByKey>(b.rule)
                                 ? "less than one unit of " +
                                       euros(std::get<PositionsByKey>(b.rule).unit * (b.rate_per_vza / 2)) + " left"
                                 : "not used by the rule";
    if (d.tie[bi])
      a.notes.push_back(b.id + (std::holds_alternative<MoneyByKey>(b.rule)
                                    ? ": equal claims to the last cents went to the earlier AGS"
                                    : ": a tie for the last units was decided by the tie policy"));
  }
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
  // The Kreis row of a pass-through says what it passed on and who waived.
  for (const auto& b : scenario.bausteine) {
    const std::size_t bi = static_cast<std::size_t>(&b - scenario.bausteine.data());
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
