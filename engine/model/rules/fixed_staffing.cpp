// fixed_staffing (KIM B1): a number of positions per recipient type, plus extras per flag of the
// recipient and per member Gemeinde of a Kreis with a flag (one coordinator per große
// kreisangehörige Stadt), unless that Gemeinde is a recipient of the Baustein itself.
#include "kimsim/rules.hpp"

namespace kimsim {
namespace {

std::shared_ptr<const AllocationRule> read(BlockReader& r) {
  auto rule = std::make_shared<FixedStaffing>();
  if (r.has("per_type"))
    if (const auto types = r.block("per_type", region_type_keys(), ""))
      for (const auto& key : types->keys())
        if (const auto type = parse_region_type(key))
          if (const auto h = types->vza(key)) rule->per_type[*type] = *h;
  for (const std::string which : {"per_flag", "per_member_flag"})
    if (r.has(which))
      if (const auto flags = r.block(which, {}, "flag to positions"))
        for (const auto& flag : flags->keys())
          if (const auto h = flags->vza(flag)) (which == "per_flag" ? rule->per_flag : rule->per_member_flag)[flag] = *h;
  return rule;
}

class Compiled final : public CompiledRule {
 public:
  Compiled(const FixedStaffing& rule, const RuleSite& site) : rule_(rule) {
    const Regions& regions = site.regions;
    for (std::size_t k = 0; k < site.who.size(); ++k) {
      const Region& r = regions.list[site.who[k]];
      Halves h = 0;
      if (const auto it = rule.per_type.find(r.type); it != rule.per_type.end()) h += it->second;
      for (const auto& [flag, extra] : rule.per_flag)
        if (r.has(flag)) h += extra;
      fixed_.push_back(h);
      for (const auto& [flag, extra] : rule.per_member_flag) {
        const std::uint64_t bit = regions.flag_bit(flag);
        for (std::size_t g : regions.members(site.who[k]))
          if (regions.list[g].flag_bits & bit)
            extras_.push_back({static_cast<std::uint32_t>(k), site.candidate(g), extra, g, &flag});
      }
    }
  }

  void evaluate(RuleCall& c) const override {
    const Cents half = c.half_rate();
    for (std::uint32_t k : c.at) c.halves[k] = fixed_[k];
    for (const auto& e : extras_)
      if (c.present[e.candidate] && (e.member < 0 || !c.present[static_cast<std::size_t>(e.member)]))
        c.halves[e.candidate] += e.halves;
    for (std::uint32_t k : c.at) c.cents[k] = c.product(c.halves[k], half);
    if (c.claims)
      for (std::uint32_t k : c.at) c.quota[k] = static_cast<double>(c.halves[k]) / 2.0;
  }

  bool memoizable() const override { return true; }

  void describe(const RuleCall& c, std::size_t j, Trace& out) const override {
    const std::size_t k = c.at[j];
    const Region& r = c.regions.list[c.who[k]];
    const std::string type_key(region_type_key(r.type));
    if (const auto it = rule_.per_type.find(r.type); it != rule_.per_type.end())
      out.push_back({"positions for a " + std::string(region_type_name(r.type)), vza_text(it->second) + " VZÄ",
                     c.place(c.in_block("per_type." + type_key)), {it->second}});
    else out.push_back({"positions for a " + std::string(region_type_name(r.type)), "none", "", {0}});
    for (const auto& [flag, extra] : rule_.per_flag)
      if (r.has(flag))
        out.push_back({"plus for the flag '" + flag + "'", vza_text(extra) + " VZÄ", c.place(c.in_block("per_flag." + flag)), {extra}});
    for (const auto& e : extras_) {
      if (e.candidate != k) continue;
      const Region& g = c.regions.list[e.gemeinde];
      const bool own = e.member >= 0 && c.present[static_cast<std::size_t>(e.member)];
      out.push_back({"plus for member " + g.ags + " " + g.name + " (flag '" + *e.flag + "')",
                     own ? "none: it receives from this Baustein itself" : vza_text(e.halves) + " VZÄ",
                     c.place(c.in_block("per_member_flag." + *e.flag)), {own ? 0 : e.halves}});
    }
    out.push_back({"positions", vza_text(c.halves[k]) + " VZÄ", "", {c.halves[k]}});
    out.push_back({"amount per VZÄ", money_text(c.rate), c.place("rate_per_vza_eur"), {c.rate}});
    out.push_back({"cents", std::to_string(c.cents[k]) + " = " + vza_text(c.halves[k]) + " VZÄ x " + money_text(c.rate), "",
                   {c.cents[k]}});
  }

 private:
  const FixedStaffing& rule_;
  std::vector<Halves> fixed_;  ///< per candidate: by type and own flags
  struct Extra {
    std::uint32_t candidate = 0;
    std::int64_t member = -1;  ///< candidate index of the Gemeinde, -1 if it is none
    Halves halves = 0;
    std::size_t gemeinde = 0;            ///< its region, for describe()
    const std::string* flag = nullptr;  ///< in the rule's per_member_flag
  };
  std::vector<Extra> extras_;
};

}  // namespace

namespace rules {
const RuleType& fixed_staffing() {
  static const RuleType type{"fixed_staffing", "positions per recipient type, plus extras per flag and per member Gemeinde with a flag",
                             {"per_type", "per_flag", "per_member_flag"}, {}, true, read};
  return type;
}
}  // namespace rules

const RuleType& FixedStaffing::type() const { return rules::fixed_staffing(); }

std::unique_ptr<const CompiledRule> FixedStaffing::compile(const RuleSite& site) const {
  return std::make_unique<Compiled>(*this, site);
}

}  // namespace kimsim
