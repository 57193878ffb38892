// staffing_with_cost_items (KIM B1 as the Förderrichtlinie pays it): coordinators and
// administrative assistance per recipient type, one more coordinator for each member Gemeinde
// that meets every condition (own ABH, own Jugendamt, Integrationsrat: data, not flags, since no
// status says it), and money as the programme pays it — the flat amount per coordinator VZÄ, a
// fixed amount per 0.5 VZÄ of assistance, and cost items per VZÄ (per year, or once when a
// position is set up). What the budget leaves is not spread over the positions: the Baustein's
// residual shows it as what the rule says it is (material costs, events, or not drawn).
#include <algorithm>

#include "kimsim/rule.hpp"

namespace kimsim {

/// The rule's values; only this file needs them (kimsim/rules.hpp declares the rules programs
/// build in C++).
struct StaffingWithCostItems final : AllocationRule {
  std::map<RegionType, Halves> coordinators, assistance;
  Cents assistance_eur = 0;        ///< per 0.5 VZÄ of assistance and year
  Halves extra = 0;                ///< per member Gemeinde that meets every condition
  std::vector<std::string> conditions;  ///< indicators that must be above 0
  std::string since;               ///< indicator: the year a member's extra coordinator began (0: from the start)
  std::optional<int> set_up_year;  ///< the year the positions by type were set up (one-off items then)
  struct Item {
    std::string name;
    Cents eur_per_vza = 0;
    bool once = false;  ///< paid once, in the year a position is set up; else per year
  };
  std::vector<Item> items;
  std::string rest = "not drawn, or material costs and events: no public source breaks it down";

  const RuleType& type() const override;
  std::unique_ptr<const CompiledRule> compile(const RuleSite& site) const override;
  std::string unallocated_reason(const Baustein&) const override { return rest; }
};

namespace {

std::shared_ptr<const AllocationRule> read(BlockReader& r) {
  auto rule = std::make_shared<StaffingWithCostItems>();
  for (const std::string which : {"coordinators", "assistance"})
    if (r.has(which))
      if (const auto types = r.block(which, region_type_keys(), ""))
        for (const auto& key : types->keys())
          if (const auto type = parse_region_type(key))
            if (const auto h = types->vza(key)) (which == "coordinators" ? rule->coordinators : rule->assistance)[*type] = *h;
  if (r.has("assistance_eur")) rule->assistance_eur = r.euros("assistance_eur").value_or(0);
  if (!rule->assistance.empty() && !r.has("assistance_eur"))
    r.error("assistance", "assistance needs assistance_eur, the amount per 0.5 VZÄ and year");
  if (r.has("extra_coordinator")) rule->extra = r.vza("extra_coordinator").value_or(0);
  rule->conditions = r.texts("conditions");
  if (rule->extra > 0 && rule->conditions.empty())
    r.error("extra_coordinator", "an extra coordinator needs its conditions: the indicators a member Gemeinde must have above 0");
  rule->since = r.text("since").value_or("");
  if (r.has("set_up_year"))
    if (const auto y = r.seed("set_up_year")) {
      if (*y < 1000 || *y > 9999) r.error("set_up_year", "expected a year from 1000 to 9999");
      else rule->set_up_year = static_cast<int>(*y);
    }
  if (r.has("cost_items"))
    if (const auto items = r.block("cost_items", {}, "cost item to {eur_per_vza, per}"))
      for (const auto& name : items->keys())
        if (const auto item = items->block(name, {"eur_per_vza", "per"}, "")) {
          StaffingWithCostItems::Item it{name};
          it.eur_per_vza = item->euros("eur_per_vza").value_or(0);
          if (!item->has("eur_per_vza")) item->error("", "a cost item needs eur_per_vza");
          if (it.eur_per_vza % 2 != 0) item->error("eur_per_vza", "an amount per VZÄ needs an even number of cents (a half position receives half of it)");
          const std::string per = item->text("per").value_or("year");
          if (per == "once") it.once = true;
          else if (per != "year") item->error("per", "unknown value '" + per + "'; expected year (every year) or once (when a position is set up)");
          rule->items.push_back(std::move(it));
        }
  if (r.has("rest")) rule->rest = r.text("rest").value_or(rule->rest);
  return rule;
}

class Compiled final : public CompiledRule {
 public:
  Compiled(const StaffingWithCostItems& rule, const RuleSite& site) : rule_(rule) {
    const Regions& regions = site.regions;
    std::vector<std::size_t> columns;
    for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
      const auto col = regions.indicator(rule.conditions[i]);
      if (!col) site.refuse(site.in_block("conditions"), site.b().id + ": no indicator '" + rule.conditions[i] + "' in the data");
      columns.push_back(*col);
    }
    std::optional<std::size_t> since;
    if (!rule.since.empty()) {
      since = regions.indicator(rule.since);
      if (!since) site.refuse(site.in_block("since"), site.b().id + ": no indicator '" + rule.since + "' in the data");
    }
    for (std::size_t k = 0; k < site.who.size(); ++k) {
      first_extra_.push_back(static_cast<std::uint32_t>(extras_.size()));
      const Region& r = regions.list[site.who[k]];
      const auto get = [&](const std::map<RegionType, Halves>& m) {
        const auto it = m.find(r.type);
        return it == m.end() ? Halves{0} : it->second;
      };
      coordinators_.push_back(get(rule.coordinators));
      assistance_.push_back(get(rule.assistance));
      // Through its Kreis only: a kreisfreie Stadt's one Gemeinde is the Stadt itself.
      if (rule.extra == 0 || r.type != RegionType::kreis) continue;
      for (std::size_t g : regions.members(site.who[k])) {
        bool meets = true;
        for (std::size_t col : columns) meets = meets && regions.indicators(Eigen::Index(g), Eigen::Index(col)) > 0;
        if (!meets) continue;
        const int began = since ? static_cast<int>(regions.indicators(Eigen::Index(g), Eigen::Index(*since))) : 0;
        if (began > site.scenario.year) continue;  // not yet: its data says when it began
        extras_.push_back({static_cast<std::uint32_t>(k), site.candidate(g), g, began});
      }
    }
    first_extra_.push_back(static_cast<std::uint32_t>(extras_.size()));
    columns_ = std::move(columns);
    since_ = since;
    // The amounts per half position of the Baustein's months, once: refused (nullopt here) only
    // when an evaluation needs them, as before.
    const int months = site.b().months;
    assist_ = for_year(months, rule.assistance_eur);
    for (const auto& it : rule.items) {
      const auto v = it.once ? std::optional<Cents>(it.eur_per_vza) : for_year(months, it.eur_per_vza);
      item_half_.push_back(v ? std::optional<Cents>(*v / 2) : std::nullopt);
    }
  }

  /// The year's money for the positions of candidate k: coordination, assistance, each item
  /// (into `items` where given: describe() shows them; a simulation's evaluation needs only the
  /// total and allocates nothing per candidate).
  struct Money {
    Halves coordinators = 0, assistance = 0, fresh = 0;  // fresh: positions set up this year
    Cents coordination = 0, assist = 0;
    Cents total = 0;  // coordination + assistance + the items, added in this order
  };

  /// Half the rate, and the amounts of the months funded checked (refused as money() needs
  /// them: assistance, then each item): once per evaluation, not per candidate.
  Cents rates(const RuleCall& c) const {
    const Cents half = c.half_rate();
    if (!assist_) per_year(c, rule_.assistance_eur, nullptr);
    for (std::size_t i = 0; i < rule_.items.size(); ++i)
      if (!item_half_[i]) per_year(c, rule_.items[i].eur_per_vza, &rule_.items[i]);
    return half;
  }

  /// `half`: rates(c).
  Money money(const RuleCall& c, std::size_t k, Cents half, std::vector<Cents>* items = nullptr) const {
    Money m;
    const int year = c.scenario.year;
    const bool set_up = rule_.set_up_year && *rule_.set_up_year == year;
    m.coordinators = coordinators_[k];
    m.assistance = assistance_[k];
    if (set_up) m.fresh = coordinators_[k] + assistance_[k];
    for (std::uint32_t x = first_extra_[k]; x < first_extra_[k + 1]; ++x)
      if (const Extra& e = extras_[x]; counts(c, e)) {
        m.coordinators += rule_.extra;
        if (e.began == year || (e.began == 0 && set_up)) m.fresh += rule_.extra;
      }
    m.coordination = c.product(m.coordinators, half);
    m.assist = c.product(m.assistance, *assist_);
    m.total = c.sum(m.coordination, m.assist);
    for (std::size_t i = 0; i < rule_.items.size(); ++i) {
      const auto& it = rule_.items[i];
      const Cents x = c.product(it.once ? m.fresh : m.coordinators + m.assistance, *item_half_[i]);
      m.total = c.sum(m.total, x);
      if (items) items->push_back(x);
    }
    return m;
  }

  void evaluate(RuleCall& c) const override {
    const Cents half = rates(c);
    for (std::uint32_t k : c.at) {
      const Money m = money(c, k, half);
      c.halves[k] = m.coordinators + m.assistance;
      c.cents[k] = m.total;
    }
    if (c.claims)
      for (std::uint32_t k : c.at) c.quota[k] = static_cast<double>(c.halves[k]) / 2.0;
  }

  bool memoizable() const override { return true; }
  bool counts_kinds() const override { return true; }

  void kinds(const RuleCall& c, std::vector<std::pair<std::string, Halves>>& out) const override {
    Halves coordination = 0, assistance = 0;
    const Cents half = rates(c);
    for (std::uint32_t k : c.at) {
      const Money m = money(c, k, half);
      coordination += m.coordinators, assistance += m.assistance;
    }
    out.push_back({"coordination", coordination});
    if (assistance > 0) out.push_back({"assistance", assistance});
  }

  void describe(const RuleCall& c, std::size_t j, Trace& out) const override {
    const std::size_t k = c.at[j];
    const Region& r = c.regions.list[c.who[k]];
    const std::string type_key(region_type_key(r.type)), type_name(region_type_name(r.type));
    out.push_back({"coordinators for a " + type_name, vza_text(coordinators_[k]) + " VZÄ",
                   rule_.coordinators.count(r.type) ? c.place(c.in_block("coordinators." + type_key)) : "", {coordinators_[k]}});
    for (const auto& e : extras_) {
      if (e.candidate != k) continue;
      const Region& g = c.regions.list[e.gemeinde];
      const bool own = e.member >= 0 && c.present[static_cast<std::size_t>(e.member)];
      out.push_back({"extra coordinator for member " + g.ags + " " + g.name,
                     own ? "none: it receives from this Baustein itself" : vza_text(rule_.extra) + " VZÄ",
                     c.place(c.in_block("extra_coordinator")), {own ? 0 : rule_.extra}});
      for (std::size_t i = 0; i < columns_.size(); ++i)
        out.push_back({"  condition " + rule_.conditions[i],
                       number_text(c.regions.indicators(Eigen::Index(e.gemeinde), Eigen::Index(columns_[i]))) + " (above 0: met)",
                       c.regions.places.cell(c.regions, e.gemeinde, columns_[i])});
      if (since_)
        out.push_back({"  since", e.began ? std::to_string(e.began) : "the start",
                       c.regions.places.cell(c.regions, e.gemeinde, *since_)});
    }
    std::vector<Cents> items;
    const Money m = money(c, k, rates(c), &items);
    out.push_back({"coordinators", vza_text(m.coordinators) + " VZÄ", "", {m.coordinators}});
    out.push_back({"assistance", vza_text(m.assistance) + " VZÄ",
                   rule_.assistance.count(r.type) ? c.place(c.in_block("assistance." + type_key)) : "", {m.assistance}});
    out.push_back({"positions", vza_text(m.coordinators + m.assistance) + " VZÄ", "", {m.coordinators + m.assistance}});
    out.push_back({"amount per coordinator VZÄ", money_text(c.rate), c.place("rate_per_vza_eur"), {c.rate}});
    out.push_back({"coordination", money_text(m.coordination) + " = " + vza_text(m.coordinators) + " VZÄ x " + money_text(c.rate), "",
                   {m.coordination}});
    if (m.assistance > 0 || rule_.assistance_eur > 0) {
      const Cents per_half = per_year(c, rule_.assistance_eur, nullptr);
      out.push_back({"amount per 0.5 VZÄ of assistance", money_text(per_half), c.place(c.in_block("assistance_eur")), {per_half}});
      out.push_back({"assistance money", money_text(m.assist) + " = " + std::to_string(m.assistance) + " x 0.5 VZÄ x " + money_text(per_half),
                     "", {m.assist}});
    }
    for (std::size_t i = 0; i < rule_.items.size(); ++i) {
      const auto& it = rule_.items[i];
      const std::string at = "cost_items." + it.name + ".eur_per_vza";
      const Cents per_vza = it.once ? it.eur_per_vza : per_year(c, it.eur_per_vza, &it);
      const Halves counted = it.once ? m.fresh : m.coordinators + m.assistance;
      out.push_back({"cost item " + it.name + (it.once ? " (once, positions set up this year)" : " (per VZÄ and year)"),
                     money_text(items[i]) + " = " + vza_text(counted) + " VZÄ x " + money_text(per_vza),
                     c.place(c.in_block(at)), {items[i], counted, per_vza}});
    }
    out.push_back({"cents", std::to_string(c.cents[k]) + " = " + money_text(c.cents[k]), "", {c.cents[k]}});
  }

 private:
  struct Extra {
    std::uint32_t candidate = 0;
    std::int64_t member = -1;  ///< candidate index of the Gemeinde, -1 if it is none
    std::size_t gemeinde = 0;
    int began = 0;             ///< the year its extra coordinator began; 0: from the start
  };

  /// An extra coordinator counts where the Gemeinde does not receive from the Baustein itself.
  static bool counts(const RuleCall& c, const Extra& e) {
    return e.member < 0 || !c.present[static_cast<std::size_t>(e.member)];
  }

  /// An amount per year for the months the Baustein funds, in half-position steps: refused at its
  /// place where it is no whole, even number of cents. `item`: the cost item it is the amount of,
  /// nullptr for assistance_eur (the place is spelled only for the refusal). An evaluation takes
  /// the amounts worked out at compile time and calls this only to refuse (rates()); describe()
  /// calls it per candidate.
  static Cents per_year(const RuleCall& c, Cents annual, const StaffingWithCostItems::Item* item) {
    const auto v = for_year(c.b().months, annual);
    if (!v) [[unlikely]] {
      const std::string at = item ? "cost_items." + item->name + ".eur_per_vza" : "assistance_eur";
      c.refuse("months", c.b().id + ": " + std::to_string(c.b().months) + " months of " + money_text(annual) + " (" + at +
                             ") is no whole, even number of cents; choose months that divide it exactly");
    }
    return *v;
  }

  /// annual x months / 12 where that is a whole, even number of cents; else nullopt.
  static std::optional<Cents> for_year(int months, Cents annual) {
    const auto v = for_months(annual, months);
    return v && *v % 2 == 0 ? v : std::nullopt;
  }

  const StaffingWithCostItems& rule_;
  std::optional<Cents> assist_;  ///< per_year(assistance_eur): per 0.5 VZÄ of assistance
  std::vector<std::optional<Cents>> item_half_;  ///< per cost item: its amount per half position
  std::vector<Halves> coordinators_, assistance_;  ///< per candidate, by type
  std::vector<Extra> extras_;  ///< in candidate order
  std::vector<std::uint32_t> first_extra_;  ///< per candidate: its first extra; then extras_.size()
  std::vector<std::size_t> columns_;
  std::optional<std::size_t> since_;
};

}  // namespace

namespace rules {
const RuleType& staffing_with_cost_items() {
  static const RuleType type{
      "staffing_with_cost_items",
      "coordinators and assistance per recipient type, an extra coordinator per member Gemeinde that meets every condition, money per coordinator VZÄ, per 0.5 VZÄ of assistance and per cost item; the rest is left as what it is",
      {"coordinators", "assistance", "assistance_eur", "extra_coordinator", "conditions", "since", "set_up_year", "cost_items", "rest"},
      {"coordinators"},
      true,
      read};
  return type;
}
}  // namespace rules

const RuleType& StaffingWithCostItems::type() const { return rules::staffing_with_cost_items(); }

std::unique_ptr<const CompiledRule> StaffingWithCostItems::compile(const RuleSite& site) const {
  return std::make_unique<Compiled>(*this, site);
}

}  // namespace kimsim
