// The scenario schema: a scenario YAML (its Bausteine, data, validation and simulation blocks)
// read with every error located and all errors collected, then its regional data loaded and the
// names it uses checked against the data. The pieces it stands on: strict YAML (strict_yaml.cpp),
// the collecting reader (yaml_reader.cpp), the region loader (region_loader.cpp), the rule table
// (kimsim/rule.hpp: each rule reads its own block), the simulation limits (sim_limits.cpp).
#include "io/scenario.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "io/csv.hpp"
#include "io/input.hpp"
#include "io/region_loader.hpp"
#include "io/sha256.hpp"
#include "io/strict_yaml.hpp"
#include "io/suggest.hpp"
#include "io/text.hpp"
#include "io/variant.hpp"
#include "io/yaml_reader.hpp"
#include "kimsim/format.hpp"

namespace kimsim::io {

ScenarioError::ScenarioError(std::vector<std::string> errors)
    : InputError([&] {
        std::string s;
        for (const auto& e : errors) s += (s.empty() ? "" : "\n") + e;
        return s;
      }()),
      errors_(std::move(errors)) {}

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxScenarioBytes = 1 << 20;

const std::string kYearRange = "a year from " + std::to_string(SimulationLimits::first_year) + " to " +
                               std::to_string(SimulationLimits::last_year);

Selector read_selector(Reader& rd, const YAML::Node& node, const std::string& path, int year) {
  Selector s;
  if (!rd.mapping(node, path, {"types", "flags", "include", "exclude", "exclude_from"}, {})) return s;
  for (const auto& t : rd.strings(node, path, "types")) {
    if (auto ty = parse_region_type(t)) s.types.push_back(*ty);
    else rd.error(node["types"], path + ".types", "unknown region type '" + t + "'" + did_you_mean(t, region_type_keys()) +
                                                      "; expected " + comma_list(region_type_keys()));
  }
  s.flags = rd.strings(node, path, "flags");
  s.include = rd.strings(node, path, "include");
  s.exclude = rd.strings(node, path, "exclude");
  // Recipients by year: `exclude_from: {"05970040": 2024}` leaves a region out from that year on
  // (Siegen handed its ABH to the Kreis in 2024/25), so that one dated scenario covers the years.
  if (const YAML::Node from = node["exclude_from"]) {
    if (!from.IsMap()) rd.error(from, path + ".exclude_from", "expected a mapping of AGS to the year from which it is left out, " + Reader::got(from));
    for (const auto& kv : from.IsMap() ? from : YAML::Node()) {
      const auto ags = rd.key(kv.first, path + ".exclude_from");
      if (!ags) continue;
      rd.refer(rd.regions, kv.first, path + ".exclude_from." + *ags);
      const auto y = rd.whole(kv.second, path + ".exclude_from." + *ags, 1000, 9999, "a year from 1000 to 9999");
      if (y && year >= static_cast<int>(*y) && std::find(s.exclude.begin(), s.exclude.end(), *ags) == s.exclude.end()) {
        s.exclude.push_back(*ags);
        s.excluded_this_year.push_back(*ags);
      }
    }
  }
  for (std::size_t i = 0; i < s.include.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (s.include[i] == s.include[k])
        rd.error(node["include"][i], path + ".include[" + std::to_string(i) + "]",
                 "duplicate recipient '" + s.include[i] + "' (also include[" + std::to_string(k) + "])");
  rd.refer_all(rd.regions, node["include"], path + ".include");
  rd.refer_all(rd.regions, node["exclude"], path + ".exclude");
  // Without types or flags there is nothing to select by: `include` alone lists the recipients
  // exactly; with none of the three the selector would have to guess between all and none.
  if (!node["types"] && !node["flags"] && !node["include"])
    rd.error(node, path, "selects no region: give types (and flags) to select by kind, such as "
                         "{types: [kreis, kreisfreie_stadt]}, or include to list the recipients");
  return s;
}

/// The flat amount per VZÄ: positive, and an even number of cents, since a half position
/// receives exactly half of it.
std::optional<Cents> read_rate(Reader& rd, const YAML::Node& map, const std::string& path) {
  const auto rate = rd.euros(map, path, "rate_per_vza_eur");
  if (rate && (*rate == 0 || *rate % 2 != 0))
    rd.error(map["rate_per_vza_eur"], Reader::join(path, "rate_per_vza_eur"),
             "the amount per VZÄ must be above 0 with an even number of cents, since a half position receives half of it");
  return rate;
}

Baustein read_baustein(Reader& rd, const YAML::Node& node, const std::string& path, const RuleTable& table, int year) {
  Baustein b;
  std::vector<std::string> known = {"id", "name", "budget_eur", "rate_per_vza_eur", "recipients"};
  for (const RuleType* type : table.types()) known.emplace_back(type->name);
  for (const char* key : {"residual", "pass_through", "source", "months", "position_kind"}) known.emplace_back(key);
  if (!rd.mapping(node, path, known, {"id", "name", "budget_eur", "recipients"})) return b;
  b.id = rd.text(node, path, "id").value_or("");
  b.name = rd.text(node, path, "name").value_or("");
  b.budget = rd.euros(node, path, "budget_eur").value_or(0);
  b.rate_per_vza = read_rate(rd, node, path).value_or(0);
  if (node["recipients"]) b.recipients = read_selector(rd, node["recipients"], path + ".recipients", year);
  if (auto s = rd.text(node, path, "source")) b.sources.push_back(*s);
  // The months funded: a start year funded from July is 6 (what it scales: model.hpp, Baustein).
  if (node["months"])
    b.months = static_cast<int>(rd.whole(node["months"], path + ".months", 1, 12, "whole months from 1 to 12").value_or(12));
  b.position_kind = rd.text(node, path, "position_kind").value_or("");
  if (auto r = rd.text(node, path, "residual")) {
    if (*r == "unallocated") b.residual = Residual::unallocated;
    else if (*r == "split_by_key") b.residual = Residual::split_by_key;
    else rd.error(node["residual"], path + ".residual", "unknown value '" + *r + "'" +
                  did_you_mean(*r, std::vector<std::string>{"unallocated", "split_by_key"}) +
                  "; expected unallocated or split_by_key");
  }
  // The rule: one block, of a type in the rule table, which reads its own values.
  int rules = 0;
  for (const RuleType* type : table.types()) {
    const std::string name(type->name);
    const YAML::Node block = node[name];
    if (!block) continue;
    ++rules;
    const std::string p = path + "." + name;
    if (rd.mapping(block, p, type->keys, type->required)) {
      YamlBlock reader(rd, block, p);
      b.rule = type->read(reader);
    }
    if (type->needs_rate && !node["rate_per_vza_eur"]) rd.error(node, path, name + " needs rate_per_vza_eur");
  }
  if (rules != 1) rd.error(node, path, "needs exactly one rule: " + table.names());
  if (const YAML::Node pts = node["pass_through"]) {
    if (!pts.IsSequence()) rd.error(pts, path + ".pass_through", "expected a list");
    for (std::size_t i = 0; pts.IsSequence() && i < pts.size(); ++i) {
      const std::string p = item_path(path + ".pass_through", pts[i], i);
      PassThrough pt;
      if (!rd.mapping(pts[i], p, {"kreis", "key", "gemeinden", "waived", "minimum_vza", "source"},
                      {"kreis", "key", "gemeinden"}))
        continue;
      pt.kreis = rd.text(pts[i], p, "kreis").value_or("");
      rd.refer(rd.regions, pts[i]["kreis"], p + ".kreis");
      rd.refer(rd.indicators, pts[i]["key"], p + ".key");
      rd.refer_all(rd.regions, pts[i]["gemeinden"], p + ".gemeinden");
      rd.refer_all(rd.regions, pts[i]["waived"], p + ".waived");
      pt.key = rd.text(pts[i], p, "key").value_or("");
      pt.gemeinden = rd.strings(pts[i], p, "gemeinden");
      pt.waived = rd.strings(pts[i], p, "waived");
      // A Gemeinde either takes part or waives, once: listed twice, which applies is a guess.
      std::map<std::string, std::string> listed;
      for (const char* which : {"gemeinden", "waived"}) {
        const auto& list = std::string(which) == "gemeinden" ? pt.gemeinden : pt.waived;
        for (std::size_t k = 0; k < list.size(); ++k) {
          const std::string here = std::string(which) + "[" + std::to_string(k) + "]";
          const auto [at, fresh] = listed.emplace(list[k], here);
          if (!fresh)
            rd.error(pts[i][which][k], p + "." + here,
                     "'" + list[k] + "' is already " + at->second +
                         (at->second.rfind(which, 0) == 0 ? ": list each Gemeinde once"
                                                          : ": a Gemeinde either takes part (gemeinden) or waives (waived)"));
        }
      }
      if (pts[i]["minimum_vza"]) pt.minimum = rd.vza(pts[i]["minimum_vza"], p + ".minimum_vza").value_or(1);
      pt.source = rd.text(pts[i], p, "source").value_or("");
      b.pass_through.push_back(pt);
    }
  }
  return b;
}


Distribution read_distribution(Reader& rd, const YAML::Node& n, const std::string& path) {
  using K = Distribution::Kind;
  static const std::vector<std::pair<std::string, std::pair<K, std::vector<std::string>>>> kinds = {
      {"fixed", {K::fixed, {"value"}}},          {"uniform", {K::uniform, {"min", "max"}}},
      {"triangular", {K::triangular, {"min", "mode", "max"}}}, {"normal", {K::normal, {"mean", "sd"}}},
      {"lognormal", {K::lognormal, {"mu", "sigma"}}}, {"beta", {K::beta, {"alpha", "beta"}}},
      {"bernoulli", {K::bernoulli, {"p"}}}};
  Distribution d;
  if (n.IsScalar()) {  // a plain number is a fixed value
    d.a = rd.signed_number(n, path).value_or(0);
    return d;
  }
  std::vector<std::string> names;
  for (const auto& k : kinds) names.push_back(k.first);
  const std::string dist = n.IsMap() ? rd.text(n, path, "dist").value_or("") : "";
  auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == dist; });
  if (it == kinds.end()) {
    rd.error(n, path, (dist.empty() ? std::string("missing 'dist'") : "unknown distribution '" + dist + "'" + did_you_mean(dist, names)) +
                          "; expected a number or {dist: " + comma_list(names) + ", ...}");
    return d;
  }
  std::vector<std::string> known = {"dist"};
  known.insert(known.end(), it->second.second.begin(), it->second.second.end());
  if (!rd.mapping(n, path, known, known)) return d;
  d.kind = it->second.first;
  double* slots[] = {&d.a, &d.b, &d.c};
  for (std::size_t k = 0; k < it->second.second.size(); ++k)
    if (n[it->second.second[k]]) *slots[k] = rd.signed_number(n[it->second.second[k]], path + "." + it->second.second[k]).value_or(0);
  const bool complete = std::all_of(known.begin(), known.end(), [&](const std::string& k) { return bool(n[k]); });
  if (const std::string why = d.check(); complete && !why.empty()) rd.error_among(n, path, it->second.second, "invalid parameters: " + why);
  return d;
}

/// A simulated quantity's distribution against the range the model can use, [lo, hi]: a start
/// month 1 to 12, months to fill and a cost per VZÄ from 0 up. A draw of a distribution is kept
/// within the range (a start month drawn as 0 counts as 1, a cost below 0 as 0: the tails of a
/// normal reach past any bound), but a value written outside it is an error where it stands: a
/// fixed value, a bound of a uniform or triangular distribution (and beta's or bernoulli's
/// [0, 1]), the mean of a normal and the median exp(mu) of a lognormal, so that most draws are
/// not moved to the edge unseen.
/// `rounds` for a whole number (a start month, months to fill), e.g. "0.5 to 12.5 round into it":
/// its draws are bounded, then rounded to the nearest whole number, so a value within half of the
/// range's ends gives what rounding alone gives (uniform from 0.5 to 12.5 is each month with
/// 1/12) and is not refused.
void check_range(Reader& rd, const YAML::Node& n, const std::string& path, const Distribution& d, double lo, double hi,
                 const std::string& bounds, const std::string& what, const std::string& rounds = "") {
  const double slack = rounds.empty() ? 0.0 : 0.5;
  using K = Distribution::Kind;
  if (!d.check().empty()) return;  // reported with the parameters
  if (d.kind == K::fixed) {  // a number as written, or {dist: fixed, value: ...}; not one the reader refused
    const bool as_map = n.IsMap() && n["dist"] && n["dist"].IsScalar() && n["dist"].Scalar() == "fixed" && n["value"];
    const YAML::Node v = as_map ? n["value"] : n;
    if (!v.IsScalar()) return;
    std::string digits = v.Scalar();
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.erase(0, 1);
    std::erase(digits, '_');
    if (!parse_decimal(digits)) return;
    if (d.a < lo - slack || d.a > hi + slack)
      rd.error(v, as_map ? path + ".value" : path,
               "expected " + what + (hi < HUGE_VAL ? " " : " of ") + bounds + (rounds.empty() ? "" : " (" + rounds + ")") +
                   ", " + Reader::got(v));
    return;
  }
  const auto out = [&](double v) { return v < lo - slack || v > hi + slack; };
  const std::string why =
      " (" + what + (rounds.empty() ? "" : "; " + rounds) + "; a draw outside the range counts as the nearest value in it)";
  const auto param = [&](const char* key, double v) {
    if (out(v) && n.IsMap() && n[key]) rd.error(n[key], path + "." + key, "expected " + bounds + why + ", " + Reader::got(n[key]));
  };
  switch (d.kind) {
    case K::fixed: break;
    case K::uniform: param("min", d.a), param("max", d.b); break;
    case K::triangular: param("min", d.a), param("mode", d.b), param("max", d.c); break;
    case K::normal: param("mean", d.a); break;
    case K::lognormal:
      if (out(std::exp(d.a)) && n.IsMap() && n["mu"])
        rd.error(n["mu"], path + ".mu", fmt::format("expected the median exp(mu), here {:.6g}, {}{}", std::exp(d.a), bounds, why));
      break;
    case K::beta:
    case K::bernoulli:
      if (out(0) || out(1))
        rd.error(n, path, std::string(d.kind == K::beta ? "beta" : "bernoulli") + " takes values from 0 to 1, expected " + bounds + why);
      break;
  }
}

/// A probability in [0, 1].
double read_probability(Reader& rd, const YAML::Node& v, const std::string& p) {
  const auto x = rd.number(v, p);
  if (x && *x > 1) rd.error(v, p, "a probability must lie between 0 and 1");
  return std::min(1.0, x.value_or(1.0));
}

void read_uptake(Reader& rd, const YAML::Node& u, const std::string& path, SimulationSpec& s) {
  if (!rd.mapping(u, path, {"by_type", "per_recipient", "non_applicants"}, {})) return;
  if (u["by_type"] && rd.mapping(u["by_type"], path + ".by_type", region_type_keys(), {}))
    for (const auto& kv : u["by_type"])
      if (auto t = kv.first.IsScalar() ? parse_region_type(kv.first.Scalar()) : std::nullopt)
        s.uptake_by_type[*t] = read_probability(rd, kv.second, path + ".by_type." + kv.first.Scalar());
  if (const YAML::Node pr = u["per_recipient"]) {
    if (!pr.IsMap()) rd.error(pr, path + ".per_recipient", "expected a mapping of AGS to probability, " + Reader::got(pr));
    for (const auto& kv : pr.IsMap() ? pr : YAML::Node()) {
      const auto ags = rd.key(kv.first, path + ".per_recipient");
      if (!ags) continue;
      rd.refer(rd.regions, kv.first, path + ".per_recipient");
      s.uptake_per_recipient[*ags] = read_probability(rd, kv.second, path + ".per_recipient." + *ags);
    }
  }
  const std::string na = rd.text(u, path, "non_applicants").value_or("lapse");
  if (na == "redistribute") s.redistribute = true;
  else if (na != "lapse") rd.error(u["non_applicants"], path + ".non_applicants", "expected lapse or redistribute");
}

void read_years(Reader& rd, const YAML::Node& ys, const std::string& path, SimulationSpec& s,
                const std::optional<std::pair<int, int>>& covered) {
  if (!ys.IsSequence()) {
    rd.error(ys, path, "expected a list of {year, budget_factor, rate_per_vza_eur}, " + Reader::got(ys));
    return;
  }
  rd.sizes.years = ys.size();
  rd.sizes.years_where = rd.locate(ys, path);
  for (std::size_t i = 0; i < ys.size(); ++i) {
    const std::string p = item_path(path, ys[i], i);
    if (!rd.mapping(ys[i], p, {"year", "budget_factor", "rate_per_vza_eur"}, {"year"})) continue;
    SimulationYear y;
    if (ys[i]["year"]) y.year = static_cast<int>(rd.whole(ys[i]["year"], p + ".year", SimulationLimits::first_year, SimulationLimits::last_year, kYearRange).value_or(0));
    if (const YAML::Node f = ys[i]["budget_factor"]) {
      // Budgets are scaled in millionths of the factor, in 64-bit cents.
      y.budget_factor = rd.number(f, p + ".budget_factor").value_or(1);
      if (y.budget_factor > 1000) rd.error(f, p + ".budget_factor", "expected a factor from 0 to 1000, " + Reader::got(f));
    }
    y.rate_per_vza = read_rate(rd, ys[i], p);
    y.where = rd.locate(ys[i], p);
    // A year outside `years:` is refused, as `run --year` refuses it: its values were written for
    // other years.
    if (y.year && covered && (y.year < covered->first || y.year > covered->second))
      rd.error(ys[i]["year"], p + ".year",
               "the year " + std::to_string(y.year) + " is not among the years the scenario covers, " +
                   std::to_string(covered->first) + " to " + std::to_string(covered->second) +
                   " (simulate years within them, or widen years:)");
    // Years run in order, each once: hold-harmless carries one year's positions into the next.
    if (y.year && !s.years.empty() && s.years.back().year && y.year <= s.years.back().year)
      rd.error(ys[i]["year"], p + ".year",
               y.year == s.years.back().year
                   ? "the year " + std::to_string(y.year) + " is given twice: each year once"
                   : "the years must increase: " + std::to_string(y.year) + " comes after " +
                         std::to_string(s.years.back().year) + " (" + item_path(path, ys[i - 1], i - 1) + ")");
    s.years.push_back(y);
  }
}

SimulationSpec read_simulation(Reader& rd, const YAML::Node& n, const std::optional<std::pair<int, int>>& covered) {
  const std::string path = "simulation";
  SimulationSpec s;
  if (!rd.mapping(n, path, {"replications", "seed", "uptake", "start_month", "months_to_fill", "cost_per_vza_eur",
                            "indicator_noise", "years", "hold_harmless"}, {}))
    return s;
  rd.sizes.simulation_where = rd.locate(n, path);
  if (const YAML::Node r = n["replications"]) {
    // The upper limit is checked with the data loaded, where the time it would take can be told.
    const std::string text = r.IsScalar() ? r.Scalar() : "";
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || text.find_first_not_of('0') == std::string::npos)
      rd.error(r, path + ".replications", "expected a whole number of replications from 1 to " +
                                              power_of_ten(SimulationLimits::replications) + ", " + Reader::got(r));
    else {
      rd.sizes.replications = std::strtod(text.c_str(), nullptr);  // no exception beyond 10^308
      rd.sizes.replications_where = rd.locate(r, path + ".replications");
      s.replications = parse_whole(text).value_or(UINT64_MAX);
    }
  }
  if (n["seed"]) s.seed = rd.seed(n["seed"], path + ".seed").value_or(0);
  if (const YAML::Node u = n["uptake"]) read_uptake(rd, u, path + ".uptake", s);
  if (n["start_month"]) {
    s.start_month = read_distribution(rd, n["start_month"], path + ".start_month");
    check_range(rd, n["start_month"], path + ".start_month", s.start_month, 1, 12, "from 1 to 12", "a start month",
                "0.5 to 12.5 round into it");
  }
  if (n["months_to_fill"]) {
    s.months_to_fill = read_distribution(rd, n["months_to_fill"], path + ".months_to_fill");
    check_range(rd, n["months_to_fill"], path + ".months_to_fill", s.months_to_fill, 0, HUGE_VAL, "0 or more",
                "months to fill", "from -0.5 on: it rounds to 0");
  }
  if (n["cost_per_vza_eur"]) {
    s.cost_per_vza_eur = read_distribution(rd, n["cost_per_vza_eur"], path + ".cost_per_vza_eur");
    check_range(rd, n["cost_per_vza_eur"], path + ".cost_per_vza_eur", *s.cost_per_vza_eur, 0, HUGE_VAL, "0 or more",
                "a cost in EUR per VZÄ");
  }
  if (const YAML::Node noise = n["indicator_noise"]) {
    if (!noise.IsMap()) rd.error(noise, path + ".indicator_noise", "expected a mapping of indicator to distribution, " + Reader::got(noise));
    for (const auto& kv : noise.IsMap() ? noise : YAML::Node()) {
      const auto name = rd.key(kv.first, path + ".indicator_noise");
      if (!name) continue;
      rd.refer(rd.indicators, kv.first, path + ".indicator_noise." + *name);
      const Distribution d = read_distribution(rd, kv.second, path + ".indicator_noise." + *name);
      // A factor of 0 or infinity for some draw turns a key into no key (all zero, or NaN shares)
      // in that replication only. The most extreme normal quantile a draw reaches is about
      // 8.2 (u = 2^-53): exp(mu +- 8.3 sigma) must stay within 1e-100 .. 1e100.
      if (d.kind == Distribution::Kind::lognormal && std::abs(d.a) + 8.3 * d.b > 230)
        rd.error(kv.second, path + ".indicator_noise." + *name,
                 "the lognormal factor exp(mu + sigma z) leaves 1e-100 .. 1e100 for extreme draws (|mu| + 8.3 sigma must "
                 "be at most 230); sigma is the relative spread of the factor: 0.05 is about 5 %");
      s.indicator_noise[*name] = d;
    }
  }
  if (const YAML::Node ys = n["years"]) read_years(rd, ys, path + ".years", s, covered);
  if (const YAML::Node h = n["hold_harmless"]) {
    if (h.IsScalar() && (h.Scalar() == "true" || h.Scalar() == "false")) s.hold_harmless = h.Scalar() == "true";
    else rd.error(h, path + ".hold_harmless", "expected true or false, " + Reader::got(h));
  }
  return s;
}

/// The delimiter and decimal mark of a data file, from its entry (defaults ',' and '.').
CsvFormat read_format(Reader& rd, const YAML::Node& entry, const std::string& path) {
  CsvFormat f;
  if (const auto d = rd.text(entry, path, "delimiter")) {
    if (*d == "," || *d == ";" || *d == "\t") f.delimiter = (*d)[0];
    else rd.error(entry["delimiter"], path + ".delimiter", "expected \",\", \";\" or \"\\t\" (tab), got '" + *d + "'");
  }
  if (const auto d = rd.text(entry, path, "decimal")) {
    if (*d == "." || *d == ",") f.decimal = (*d)[0];
    else rd.error(entry["decimal"], path + ".decimal", "expected \".\" or \",\", got '" + *d + "'");
  }
  if (f.decimal == f.delimiter)
    rd.error(entry["decimal"], path + ".decimal",
             "the decimal mark must differ from the delimiter: with decimal: \",\" set delimiter: \";\"");
  return f;
}

/// A data file: its name, or {file, delimiter, decimal} for files in another format. Relative
/// names are relative to the scenario's folder.
DataFile read_data_file(Reader& rd, const YAML::Node& node, const std::string& path,
                        const std::vector<std::string>& more_keys = {}, const std::vector<std::string>& more_required = {}) {
  DataFile f;
  f.entry = path;
  if (node.IsMap()) {
    std::vector<std::string> known = {"file", "delimiter", "decimal", "year"};
    known.insert(known.end(), more_keys.begin(), more_keys.end());
    std::vector<std::string> required = {"file"};
    required.insert(required.end(), more_required.begin(), more_required.end());
    if (!rd.mapping(node, path, known, required)) return f;
    f.format = read_format(rd, node, path);
    // The year the data describe: a scenario of another year says so in its notes.
    if (node["year"]) f.year = static_cast<int>(rd.whole(node["year"], path + ".year", 1000, 9999, "a year from 1000 to 9999").value_or(0));
  }
  // Not `name = node["file"]`: assigning a YAML::Node overwrites the node it refers to.
  const YAML::Node name = node.IsMap() ? node["file"] : node;
  const std::string name_path = node.IsMap() ? path + ".file" : path;
  if (!name) return f;
  if (!name.IsScalar()) {
    rd.error(name, name_path, "expected a file name or {file: ..., delimiter: \";\", decimal: \",\"}, " + Reader::got(name));
    return f;
  }
  f.written = name.Scalar();
  // Relative to the folder of the scenario that names it (a variant may sit elsewhere than its base).
  f.path = path_in(fs::path(rd.file_of(name_path)).parent_path(), f.written);
  // Checked here so that every data file that cannot be read is reported with the other errors.
  if (const std::string why = input_problem(f.path); !why.empty()) rd.error(name, name_path, "data file " + f.path + ": " + why);
  return f;
}

/// The `data:` block: the Kreise, the Gemeinden and the indicator files.
void read_data_spec(Reader& rd, const YAML::Node& root, DataSpec& spec) {
  const YAML::Node d = root["data"];
  if (!d || !rd.mapping(d, "data", {"kreise", "gemeinden", "indicators"}, {"kreise", "gemeinden"})) return;
  if (d["kreise"]) spec.kreise = read_data_file(rd, d["kreise"], "data.kreise");
  if (d["gemeinden"]) spec.gemeinden = read_data_file(rd, d["gemeinden"], "data.gemeinden");
  const YAML::Node inds = d["indicators"];
  if (!inds) return;
  if (!inds.IsSequence()) rd.error(inds, "data.indicators", "expected a list of {file, key, columns}, " + Reader::got(inds));
  std::size_t count = 2;  // population and area
  // Each indicator name once: a second definition would be ignored (the first is the one found).
  std::map<std::string, std::string> defined = {{"population", "data.gemeinden and data.kreise (built in)"},
                                                {"area_km2", "data.gemeinden and data.kreise (built in)"}};
  for (std::size_t i = 0; inds.IsSequence() && i < inds.size(); ++i) {
    const std::string p = item_path("data.indicators", inds[i], i);
    if (!inds[i].IsMap()) {
      rd.error(inds[i], p, "expected a mapping with the keys file, key, columns, " + Reader::got(inds[i]));
      continue;
    }
    DataSpec::Indicator ind;
    ind.file = read_data_file(rd, inds[i], p, {"key", "columns", "split_to_gemeinden", "missing", "source", "row_sources"},
                              {"key", "columns"});
    if (!inds[i]["key"] || !inds[i]["columns"]) continue;  // reported by read_data_file
    ind.where = rd.locate(inds[i], p);
    if (const auto m = rd.text(inds[i], p, "missing")) {
      if (*m == "zero") ind.missing_zero = true;
      else if (*m != "error")
        rd.error(inds[i]["missing"], p + ".missing", "unknown value '" + *m + "'" +
                                                         did_you_mean(*m, std::vector<std::string>{"error", "zero"}) +
                                                         "; expected error (the default) or zero");
    }
    ind.key = rd.text(inds[i], p, "key").value_or("");
    ind.row_sources = rd.text(inds[i], p, "row_sources").value_or("");
    ind.split_by = rd.text(inds[i], p, "split_to_gemeinden").value_or("");
    if (inds[i]["split_to_gemeinden"]) ind.split_where = rd.locate(inds[i]["split_to_gemeinden"], p + ".split_to_gemeinden");
    const YAML::Node cols = inds[i]["columns"];
    if (!cols.IsMap()) rd.error(cols, p + ".columns", "expected a mapping of indicator name to CSV column, " + Reader::got(cols));
    for (const auto& kv : cols.IsMap() ? cols : YAML::Node()) {
      const auto name = rd.key(kv.first, p + ".columns");
      if (!name) continue;
      if (!kv.second.IsScalar()) rd.error(kv.second, p + ".columns." + *name, "expected a CSV column name, " + Reader::got(kv.second));
      else if (const auto [at, fresh] = defined.emplace(*name, p + ".columns"); !fresh)
        rd.error(kv.first, p + ".columns." + *name,
                 "the indicator '" + *name + "' is already defined by " + at->second + "; give this one another name");
      else ind.columns.emplace_back(*name, kv.second.Scalar());
    }
    if (count <= SimulationLimits::indicators && count + ind.columns.size() > SimulationLimits::indicators)
      rd.error(cols, p + ".columns", std::to_string(count + ind.columns.size()) +
                                         " indicators (population and area included); the limit is " +
                                         std::to_string(SimulationLimits::indicators) +
                                         " (" + SimulationLimits::indicators_reason + ")");
    count += ind.columns.size();
    spec.indicators.push_back(ind);
  }
}

/// "1234.50" from cents, also for sums beyond 64 bits.
std::string euros_text(__int128 cents) { return format_euros(cents); }

/// `validation:` observed positions per Baustein and AGS, and a published total.
void read_validation(Reader& rd, const YAML::Node& v, Scenario& s) {
  if (!rd.mapping(v, "validation", {"observed_positions", "published_positions_over", "published_reconciliation", "source"}, {}))
    return;
  // 0 (by year: {2021: 820, 2022: 0}) says that no count was published for the year.
  if (v["published_positions_over"])
    if (const auto n = rd.number(v["published_positions_over"], "validation.published_positions_over"); n && *n > 0)
      s.published_positions_over = n;
  s.published_reconciliation = rd.text(v, "validation", "published_reconciliation").value_or("");
  const YAML::Node o = v["observed_positions"];
  if (!o) return;
  const std::string path = "validation.observed_positions";
  if (!o.IsMap()) rd.error(o, path, "expected a mapping of Baustein to {AGS: positions}, " + Reader::got(o));
  for (const auto& bkv : o.IsMap() ? o : YAML::Node()) {
    const auto id = rd.key(bkv.first, path);
    if (!id) continue;
    if (!bkv.second.IsMap()) {
      rd.error(bkv.second, path + "." + *id, "expected a mapping of AGS to positions, " + Reader::got(bkv.second));
      continue;
    }
    for (const auto& kv : bkv.second) {
      const auto ags = rd.key(kv.first, path + "." + *id);
      if (!ags) continue;
      rd.refer(rd.regions, kv.first, path + "." + *id + "." + *ags);
      if (auto x = rd.number(kv.second, path + "." + *id + "." + *ags)) s.observed[*id + ":" + *ags] = *x;
    }
  }
}

/// The first control character in `text`: C0 (but tab and line feed, unless `one_line`), DEL,
/// C1, and the bidirectional embeddings, overrides and isolates (U+202A..U+202E,
/// U+2066..U+2069), which reorder how a text shows, so that a name could read as another.
/// Its code point.
std::optional<unsigned> control_character(std::string_view text, bool one_line = false) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && ((c != '\t' && c != '\n') || one_line)) || c == 0x7F) return c;
    if (c == 0xC2 && i + 1 < text.size()) {  // U+0080..U+009F in UTF-8
      const auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x80 && d <= 0x9F) return d;
    }
    if (c == 0xE2 && i + 2 < text.size()) {  // U+2000..U+203F and U+2040..U+207F in UTF-8
      const auto d = static_cast<unsigned char>(text[i + 1]), e = static_cast<unsigned char>(text[i + 2]);
      if ((d == 0x80 && e >= 0xAA && e <= 0xAE) || (d == 0x81 && e >= 0xA6 && e <= 0xA9))
        return 0x2000u + ((d & 0x3Fu) << 6) + (e & 0x3Fu);
    }
  }
  return std::nullopt;
}

/// What a control character does, for its message.
std::string control_character_problem(unsigned c) {
  if (c >= 0x2000)
    return fmt::format("the bidirectional control U+{:04X} in a text: it reorders how the text shows, so that it can "
                       "read as something else; remove it", c);
  if (c == '\t' || c == '\n')
    return fmt::format("a {} (U+{:04X}) in a name or key: they are one line of text (a table or message would break); "
                       "remove it", c == '\t' ? "tab" : "line break", c);
  return fmt::format("the control character U+{:04X}", c) +
         " (from an escape such as \\e, \\x07 or \\0) in a text: it would act on the terminal or cut the text short "
         "rather than show; remove it";
}

/// Refuses control characters in every key and text value. The file's raw bytes are checked
/// before parsing; these come from escapes ("\e[2J", "\x07", "\0"), which would clear or
/// retitle the terminal that shows a name, or cut it short in summary.json.
void refuse_control_characters(Reader& rd, const YAML::Node& n, const std::string& path, bool one_line = false) {
  if (n.IsScalar()) {
    if (const auto c = control_character(n.Scalar(), one_line)) {
      rd.error(n, path, control_character_problem(*c));
    } else if (find_bad_bytes(n.Scalar())) {
      // The file is UTF-8, but the escapes \N, \_ and \xHH give single bytes that are not.
      rd.error(n, path, "the text is not UTF-8 once its escapes are read (\\N, \\_ and \\xHH give single bytes): "
                        "write the character itself");
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) refuse_control_characters(rd, n[i], item_path(path, n[i], i));
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      // A key with a control character is not repeated in the message: it would act there too.
      const bool plain = kv.first.IsScalar() && !control_character(kv.first.Scalar(), true);
      const std::string key = plain ? kv.first.Scalar() : "?";
      refuse_control_characters(rd, kv.first, path.empty() ? "(a key)" : path + " (a key)", true);
      refuse_control_characters(rd, kv.second, Reader::join(path, key),
                                plain && (key == "name" || key == "scenario" || key == "id"));
    }
  }
}

/// Each simulated year's budgets and rates from the scenario's dated values: a Baustein's
/// `budget_eur: {2021: ..., 2023: ...}` gives each year its own budget (budget_factor scales it on
/// top; a year's own rate_per_vza_eur wins over a dated rate).
void read_dated_years(Reader& rd, LoadedScenario& out) {
  const Scenario& s = out.scenario;
  for (SimulationYear& y : out.simulation->years) {
    if (!y.year) continue;  // reported where it was read
    for (std::size_t bi = 0; bi < s.bausteine.size(); ++bi) {
      const std::string at = baustein_path(s, bi);
      for (const char* key : {"budget_eur", "rate_per_vza_eur"}) {
        const auto d = std::find_if(out.dated.begin(), out.dated.end(),
                                    [&](const DatedValue& v) { return v.path == at + "." + key; });
        if (d == out.dated.end()) continue;
        const bool budget = std::string(key) == "budget_eur";
        std::vector<Cents>& values = budget ? y.budget : y.rate;
        if (values.empty())
          for (const auto& b : s.bausteine) values.push_back(budget ? b.budget : b.rate_per_vza);
        const auto node = d->at(y.year);
        if (!node) {
          rd.error(d->by_year.front().second, at + "." + key,
                   "no value for the simulated year " + std::to_string(y.year) + " or before: the first year given is " +
                       std::to_string(d->by_year.front().first));
          continue;
        }
        YAML::Node holder(YAML::NodeType::Map);
        holder[key] = *node;
        if (const auto v = rd.euros(holder, at, key)) values[bi] = *v;
      }
    }
  }
}

/// simulate takes only budgets and rates by simulated year (read_dated_years); every other value,
/// and who is a recipient, stays the scenario year's. A dated value or an `exclude_from` that
/// changes between the scenario year and a simulated year, or a dated value without a value for
/// a simulated year, is refused at its line, once, rather than simulated at the scenario year's
/// value: that would mix two years' rules into one matching no year (B1's cost items of 2021
/// paid in 2023, a recipient paid after it left, 2021's uptake in 2022).
void refuse_other_dated_years(Reader& rd, const YAML::Node& root, const LoadedScenario& out) {
  const Scenario& s = out.scenario;
  if (s.year == 0) return;  // no year: refused at `year`
  std::vector<int> years;  // the simulated years other than the scenario's, within `years:`
  for (const SimulationYear& y : out.simulation->years)
    if (y.year && y.year != s.year && !(s.years && (y.year < s.years->first || y.year > s.years->second)))
      years.push_back(y.year);  // (a year outside is refused at the year)
  const auto number = [](const YAML::Node& n) -> std::optional<long double> {
    if (!n.IsScalar()) return std::nullopt;
    const std::string& t = n.Scalar();
    char* end = nullptr;
    const long double v = std::strtold(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) return std::nullopt;
    return v;
  };
  const auto hint = [](int y) {
    return "simulate takes only budget_eur and rate_per_vza_eur by simulated year: simulate " + std::to_string(y) +
           " from a scenario of its own (a variant with extends: and year: " + std::to_string(y) +
           "), or leave it out of simulation.years";
  };
  for (const DatedValue& d : out.dated) {
    // Budgets and rates are taken by year; validation values (observed positions) do not enter
    // the simulation; inside simulation.years a dated value settles for its own year.
    const bool by_year = d.path == "budget_eur" || d.path.starts_with("simulation.years") || d.path.starts_with("validation.") ||
                         (d.path.starts_with("bausteine") &&
                          (d.path.ends_with(".budget_eur") || d.path.ends_with(".rate_per_vza_eur")));
    const auto now = d.at(s.year);
    if (by_year || !now) continue;  // no value for the scenario year: refused when it settled
    // Located at the scenario year's value, the one simulate would use (its file is the path's).
    for (const int y : years) {
      const auto then = d.at(y);
      if (!then) {
        rd.error(*now, d.path,
                 "no value for the simulated year " + std::to_string(y) + " or before: the first year given is " +
                     std::to_string(d.by_year.front().first) + ", and simulate would use the scenario year " +
                     std::to_string(s.year) + "'s; " + hint(y));
        break;
      }
      const auto a = number(*then), b = number(*now);
      if (a && b ? *a == *b : YAML::Dump(*then) == YAML::Dump(*now)) continue;
      rd.error(*now, d.path,
               "the value differs in the simulated year " + std::to_string(y) + " (" + Reader::got(*then).substr(4) +
                   " there, " + Reader::got(*now).substr(4) + " in the scenario year " + std::to_string(s.year) +
                   "), but simulate would use the scenario year's; " + hint(y));
      break;
    }
  }
  const YAML::Node bs = root["bausteine"];
  for (std::size_t i = 0; bs.IsSequence() && i < bs.size(); ++i) {
    // Read without creating: a missing key is an invalid node, which throws on IsMap.
    const YAML::Node b = bs[i];
    const YAML::Node r = b.IsMap() ? b["recipients"] : YAML::Node();
    const YAML::Node from = r && r.IsMap() ? r["exclude_from"] : YAML::Node();
    if (!from || !from.IsMap()) continue;
    for (const auto& kv : from) {
      int e = 0;
      if (!YAML::convert<int>::decode(kv.second, e)) continue;  // refused where it was read
      for (const int y : years) {
        if ((s.year >= e) == (y >= e)) continue;
        rd.error(kv.second, item_path("bausteine", bs[i], i) + ".recipients.exclude_from." + kv.first.Scalar(),
                 kv.first.Scalar() + " is excluded from " + std::to_string(e) + " on, which lies between the scenario year " +
                     std::to_string(s.year) + " and the simulated year " + std::to_string(y) +
                     ", but simulate keeps the scenario year's recipients; " + hint(y));
        break;
      }
    }
  }
}

/// `years: [FIRST, LAST]`: the years the scenario covers (`kimsim run --year`, the year control of
/// `kimsim serve`). Its year lies inside: a year outside is refused here rather than run on values
/// nobody wrote for it. (A dated value without a value for a year inside is refused when that
/// year is run, at its line, as for any year.)
void read_years(Reader& rd, const YAML::Node& ys, LoadedScenario& out) {
  const std::string shape = "expected [FIRST, LAST], the years the scenario covers, such as [2020, 2025]";
  if (!ys.IsSequence() || ys.size() != 2) return rd.error(ys, "years", shape);
  const auto first = rd.whole(ys[0], "years[0]", SimulationLimits::first_year, SimulationLimits::last_year, kYearRange);
  const auto last = rd.whole(ys[1], "years[1]", SimulationLimits::first_year, SimulationLimits::last_year, kYearRange);
  if (!first || !last) return;
  if (*first > *last) return rd.error(ys, "years", "the first year " + std::to_string(*first) + " is after the last, " + std::to_string(*last));
  const auto year = static_cast<std::uint64_t>(out.scenario.year);
  if (year != 0 && (year < *first || year > *last))
    return rd.error(ys, "years",
                    "the year " + std::to_string(year) + " is not among the years the scenario covers, " + std::to_string(*first) + " to " +
                        std::to_string(*last) + " (run one of them with --year, or widen years:)");
  out.scenario.years = {static_cast<int>(*first), static_cast<int>(*last)};
}

/// Reads the whole document into `out`, recording errors in `rd`.
void read_document(Reader& rd, const YAML::Node& root, LoadedScenario& out,
                   DataSpec& spec, const RuleTable& table, bool own_year) {
  Scenario& s = out.scenario;
  const std::vector<std::string> known = {"scenario", "programme", "year", "budget_eur", "sources",
                                          "assumptions", "data", "bausteine", "validation", "simulation", "years"};
  if (!rd.mapping(root, "", known, {"scenario", "programme", "year", "budget_eur", "data", "bausteine"}))
    return;
  const std::optional<std::string> name = rd.text(root, "", "scenario");
  s.name = name.value_or("");
  s.programme = rd.text(root, "", "programme").value_or("");
  if (root["year"]) s.year = static_cast<int>(rd.whole(root["year"], "year", SimulationLimits::first_year, SimulationLimits::last_year, kYearRange).value_or(0));
  if (const YAML::Node ys = root["years"]) read_years(rd, ys, out);
  s.budget = rd.euros(root, "", "budget_eur").value_or(0);
  s.sources = rd.strings(root, "", "sources");
  s.assumptions = rd.strings(root, "", "assumptions");
  // The name is the default output folder, results/NAME: it must name a folder of its own ("" would
  // be results/ itself, ".." the working folder), with room for the run's temporary suffixes.
  if (name && (s.name.empty() || s.name == "." || s.name == ".." || s.name.size() > 200 ||
                           s.name.find_first_of("/\\ ") != std::string::npos))
    rd.error(root["scenario"], "scenario",
             "the name is used as a folder name: 1 to 200 bytes, not '.' or '..', no spaces or slashes, such as "
             "kim-nrw-2021" +
                 std::string(rd.named_by_file() ? "; the variant gives no name, so its file name '" + s.name +
                                                      "' is its name: set scenario: NAME in it, or rename the file"
                                                : ""));

  read_data_spec(rd, root, spec);
  if (const YAML::Node bs = root["bausteine"]) {
    if (!bs.IsSequence() || bs.size() == 0) rd.error(bs, "bausteine", "expected a list of Bausteine");
    std::set<std::string> ids;
    for (std::size_t i = 0; bs.IsSequence() && i < bs.size(); ++i) {
      const std::string p = item_path("bausteine", bs[i], i);
      Baustein b = read_baustein(rd, bs[i], p, table, s.year);
      if (!b.id.empty() && !ids.insert(b.id).second) rd.error(bs[i]["id"], p + ".id", "duplicate Baustein id '" + b.id + "'");
      s.bausteine.push_back(std::move(b));
    }
    // In 128 bits: thousands of Bausteine at the largest amount would overflow 64.
    __int128 sum = 0;
    for (const auto& b : s.bausteine) sum += b.budget;
    if (rd.clean() && sum != s.budget)
      rd.error(root["budget_eur"], "budget_eur", "the Bausteine add up to " + euros_text(sum) + " EUR, not to the total budget");
  }
  if (const YAML::Node v = root["validation"]) read_validation(rd, v, s);
  if (root["simulation"]) out.simulation = read_simulation(rd, root["simulation"], s.years);
  if (out.simulation) {
    read_dated_years(rd, out);
    // Only for the scenario's own year: `run --year Y`, `explain --year`, calibrate's and serve's
    // other years read the scenario for Y, where the simulation's years do not matter.
    if (own_year) refuse_other_dated_years(rd, root, out);
  }
}

/// The scenario's text, refused when it is too large to be a scenario.
std::string read_scenario_text(const std::string& path) {
  try {
    return read_input(path, kMaxScenarioBytes, "for a scenario (scenarios are short; data belongs in CSV files)");
  } catch (const InputError& e) {
    throw ScenarioError({e.what()});
  }
}

/// Parses a scenario that passed strict_yaml_problems.
YAML::Node parse_scenario(const std::string& text, const std::string& path) {
  // A file of white space alone is a null document with no place of its own: say what it holds.
  if (const std::string blank = blank_file(text); !blank.empty())
    throw ScenarioError({path + ": " + blank + ": expected a mapping with the keys scenario, programme, year, budget_eur, "
                                "data, bausteine"});
  if (auto problems = strict_yaml_problems(text, path); !problems.empty()) throw ScenarioError(problems);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError({not_valid_yaml(path, e)});
  }
  // A file of comments only is a null document too.
  if (root.IsNull())
    throw ScenarioError({path + ":1:1: the file holds no scenario: expected a mapping with the keys scenario, "
                                "programme, year, budget_eur, data, bausteine"});
  return root;
}

/// Sizes of the simulation block that need the number of regions to be judged: the time its
/// replications take and the memory its years need.
void check_simulation_size(const Reader& rd, const LoadedScenario& out, std::vector<std::string>& errors) {
  if (!out.simulation) return;
  const SimulationSize size = size_of(out, *out.simulation, rd.sizes.replications);
  if (!rd.sizes.replications_where.empty())
    if (auto why = replications_problem(size); !why.empty()) errors.push_back(rd.sizes.replications_where + ": " + why);
  if (auto why = years_problem(size); !why.empty())
    errors.push_back((rd.sizes.years_where.empty() ? rd.sizes.simulation_where : rd.sizes.years_where) + ": " + why);
}

/// Whether an error of the reader is about a value given by year.
bool at_dated(const std::string& error, const std::vector<DatedValue>& dated) {
  return std::any_of(dated.begin(), dated.end(), [&](const DatedValue& d) { return error.find(": " + d.path + ": ") != std::string::npos; });
}

/// The document read again for every other year its dated values name, from the first year at
/// which each has a value (within `years:` where given), so that a value of another year that
/// the model cannot use (`months: {2020: 13, 2021: 12}`, an odd cent in a 2023 rate) is found
/// where it stands. An error already found for `year` is not repeated; one of another year says
/// which. Only the YAML is read again, not the data.
void read_other_years(const std::string& path, const LoadOptions& options, const RuleTable& rules, const LoadedScenario& out,
                      std::vector<std::string>& errors) {
  std::set<int> years;
  int first = 0;  // the first year at which every dated value has one (before it, `run` refuses the year)
  for (const DatedValue& d : out.dated) {
    if (d.by_year.empty() || d.path.rfind("validation.", 0) == 0 || d.path.rfind("simulation.years", 0) == 0) continue;
    first = std::max(first, d.by_year.front().first);
    for (const auto& [y, node] : d.by_year) years.insert(y);
  }
  const auto& covered = out.scenario.years;
  // An entry carried on to later years gives its error again in each: said once, for the first
  // year it is read in (years go up), which is the year it is written under.
  std::set<std::string> said;
  for (const int y : years) {
    if (y < first || y == out.scenario.year || (covered && (y < covered->first || y > covered->second))) continue;
    LoadOptions other = options;
    other.year = y;
    other.every_dated_year = false;
    std::vector<std::string> found;
    try {
      MergedScenario merged = resolve_scenario(path, other, nullptr, rules);
      Reader rd(merged, found);
      LoadedScenario again;
      DataSpec spec;
      read_document(rd, merged.root, again, spec, rules, false);
    } catch (const ScenarioError&) {
      continue;  // that year cannot be settled: `run --year` says so
    } catch (const YAML::Exception&) {
      continue;
    }
    // Only errors at a value given by year: others (the Bausteine's sum against a total that is
    // not dated) are what `simulate` takes per year, not a value of that year.
    for (const std::string& e : found)
      if (at_dated(e, out.dated) && std::find(errors.begin(), errors.end(), e) == errors.end() && said.insert(e).second)
        errors.push_back(e + " (the value for " + std::to_string(y) + ")");
  }
}

}  // namespace

MergedScenario resolve_scenario(const std::string& path, const LoadOptions& options, std::vector<DatedValue>* dated,
                                const RuleTable& rules) {
  const ParseScenarioFile parse = [](const std::string& file, std::string& text) {
    text = read_scenario_text(file);
    return parse_scenario(text, file);
  };
  RuleKeys rule_keys;  // a variant's rule block of another type replaces its base's
  for (const RuleType* t : rules.types()) rule_keys.emplace_back(t->name);
  MergedScenario merged = merge_chain(path, parse, rule_keys, options.extends);
  if (options.year && merged.root.IsMap()) {
    // The year the command line asks for: its dated values, and the year of every report.
    if (merged.root["year"]) {
      YAML::Node y = merged.root["year"];
      y = std::to_string(*options.year);
    } else {
      merged.root["year"] = std::to_string(*options.year);
    }
  }
  // Dated values settle for the scenario's year; a year that is not one is reported by the reader.
  std::vector<std::string> errors;
  int settle_for = 0;
  if (merged.root.IsMap() && merged.root["year"] && merged.root["year"].IsScalar())
    if (const auto y = parse_whole(merged.root["year"].Scalar());
        y && *y >= SimulationLimits::first_year && *y <= SimulationLimits::last_year)
      settle_for = static_cast<int>(*y);
  std::vector<DatedValue> values = settle_dated(merged, settle_for, errors);
  if (!errors.empty()) throw ScenarioError(errors);
  if (dated) *dated = std::move(values);
  return merged;
}

LoadedScenario load_scenario(const std::string& path, const LoadOptions& options) {
  return load_scenario(path, RuleTable::builtin(), options);
}

LoadedScenario load_scenario(const std::string& path, const RuleTable& rules, const LoadOptions& options) {
  LoadedScenario out;
  out.path = path;
  std::vector<std::string> errors;
  const MergedScenario merged = resolve_scenario(path, options, &out.dated, rules);
  const YAML::Node root = merged.root;
  InputFiles files;
  for (const auto& f : merged.files) {  // the bytes parsed are the bytes hashed: each file is read once
    files.paths.push_back(f.path);
    files.sha256.push_back(sha256(f.text));
  }
  out.chain = merged.files.size();
  Reader rd(merged, errors);
  DataSpec spec;
  try {
    refuse_control_characters(rd, root, "");
    // Stop here: the messages below quote values, and would pass the characters on.
    if (!errors.empty()) throw ScenarioError(errors);
    read_document(rd, root, out, spec, rules, !options.year);
    // Without a year (none, or not one: said at `year`) no dated value settles, and each would
    // add "got a mapping" to the one error that matters.
    if (out.scenario.year == 0) std::erase_if(errors, [&](const std::string& e) { return at_dated(e, out.dated); });
    if (options.every_dated_year) read_other_years(path, options, rules, out, errors);
  } catch (const YAML::Exception& e) {
    // A shape the reader did not expect (e.g. a list where text belongs): still a located error.
    errors.push_back(merged.files[0].path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": unexpected structure: " + e.msg);
    ++rd.data_errors;  // the reading stopped there: what it did not reach cannot be checked
  }
  // The names the rules use are checked against the data even where the document has other
  // errors, so that one run lists them all; only a broken `data:` block (or a shape the reader
  // did not expect) stops here.
  if (!errors.empty() && (rd.data_errors > 0 || !root.IsMap() || !root["data"])) throw ScenarioError(errors);
  out.scenario.places = std::move(rd.places);

  try {
    out.regions = load_regions(spec, files, options.cache);
  } catch (const InputError& e) {
    errors.push_back(e.what());
    throw ScenarioError(errors);
  }
  out.inputs = std::move(files.paths);
  out.input_sha256 = std::move(files.sha256);
  // Data of another year than the scenario's: said in the notes, so that a reader of a 2023 run
  // knows it stands on population of 2018.
  const auto data_year = [&](const DataFile& f, const char* id, std::vector<std::string> args) {
    if (f.year && f.year != out.scenario.year) {
      args.push_back(f.written);
      args.push_back(std::to_string(f.year));
      args.push_back(std::to_string(out.scenario.year));
      out.regions.notes.push_back({id, std::move(args)});
    }
  };
  data_year(spec.kreise, "data_year_kreise", {});
  data_year(spec.gemeinden, "data_year_gemeinden", {});
  for (const auto& ind : spec.indicators) {
    std::string names;
    for (const auto& [name, column] : ind.columns) names += (names.empty() ? "" : ", ") + name;
    data_year(ind.file, ind.columns.size() > 1 ? "data_year_indicators" : "data_year_indicator", {names});
  }
  // Names that the rules use must exist in the data.
  for (const auto& r : rd.indicators)
    if (!out.regions.indicator(r.value))
      errors.push_back(r.where + ": no data provides the indicator '" + r.value + "'" +
                       did_you_mean(r.value, out.regions.indicator_names) + "; known: " +
                       comma_list(out.regions.indicator_names));
  for (const auto& r : rd.regions)
    if (!out.regions.find(r.value))
      errors.push_back(r.where + ": unknown AGS '" + r.value + "'" + ags_hint(out.regions, r.value, false));
  check_simulation_size(rd, out, errors);
  if (!errors.empty()) throw ScenarioError(errors);
  return out;
}

}  // namespace kimsim::io