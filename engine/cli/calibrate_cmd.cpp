// `kimsim calibrate`: fits the key (and optionally the base) of a positions_by_key Baustein to
// observed positions, reports the fit with leave-one-out errors and bootstrap intervals, and
// writes the fitted key as a variant of the scenario. The fit itself is kimsim/calibrate.hpp; here
// the observations are read and sorted (which are fitted, against what), the indicator shares are
// taken from the model's key code, and the fitted key is apportioned by the real model.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <tuple>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/csv.hpp"
#include "io/html_report.hpp"
#include "io/input.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "io/sha256.hpp"
#include "io/suggest.hpp"
#include "kimsim/calibrate.hpp"
#include "kimsim/rules.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {
namespace {

/// How an observation takes part in the fit.
enum class Treatment : std::uint8_t {
  budget,     ///< fitted against the scenario evaluated for its year (its budget is known)
  shares,     ///< fitted on shares: its year's positions by key are a fitted scale
  alone,      ///< the only observation of a year on shares: no information on the key; shown
  headcount,  ///< people, not VZÄ: shown, not fitted
  passed_on,  ///< a Gemeinde's share passed on by its Kreis: shown, not fitted
  not_modelled,  ///< a share passed on by a Kreis that the scenario does not pass on: shown, not fitted
};

const char* treatment_code(Treatment t) {
  switch (t) {
    case Treatment::budget: return "budget";
    case Treatment::shares: return "shares";
    case Treatment::alone: return "alone";
    case Treatment::headcount: return "headcount";
    case Treatment::passed_on: return "passed-on";
    case Treatment::not_modelled: return "not-modelled";
  }
  return "";
}

struct Observation {
  std::string ags;
  double positions = 0;
  int year = 0;
  std::string kind;  ///< "vza" or "headcount"
  std::string source;
  Location where;
  std::size_t region = 0;
  Treatment treatment = Treatment::budget;
  std::string why;                      ///< the treatment in words, for the report
  std::optional<std::size_t> point;     ///< its index among the fitted points
  std::optional<std::size_t> group;     ///< its year among the fit's groups (recipients only)
  std::optional<std::size_t> candidate; ///< its index among the Baustein's recipients
  double fitted = NAN, loo = NAN, apportioned = NAN;
};

/// One year against which observations are fitted.
struct Year {
  int year = 0;
  bool known = false;               ///< its budget is known: the scenario evaluated for it
  const io::LoadedScenario* ls = nullptr;
  std::vector<std::size_t> who;     ///< the Baustein's recipients that year
  Eigen::MatrixXd shares;           ///< who x indicators
  double positions = 0;             ///< P: VZÄ the budget buys in whole units
};

/// Reads the observations of `path`: ags,positions,year,kind,source. Every problem is collected.
std::vector<Observation> read_observations(const std::string& path, const Regions& regions, std::string& sha,
                                           std::vector<std::string>& errors) {
  const std::string text = io::read_input(path, io::kMaxCsvBytes, "for a data file");
  sha = io::sha256(text);
  const io::CsvTable t = io::parse_csv(text, path);
  t.allow_only({"ags", "positions", "year", "kind", "source"});
  const std::size_t c_ags = t.require("ags"), c_pos = t.require("positions"), c_year = t.require("year"),
                    c_kind = t.require("kind"), c_source = t.require("source");
  std::vector<Observation> out;
  std::set<std::pair<std::string, int>> seen;
  for (const io::CsvRow& row : t.rows) {
    Observation o;
    bool ok = true;
    auto fail = [&](std::size_t col, const std::string& what) {
      errors.push_back(t.at(row, col).str() + ": column '" + t.header.cells[col].text + "': " + what);
      ok = false;
    };
    o.ags = t.cell(row, c_ags);
    o.where = t.at(row, c_ags);
    if (const auto r = regions.find(o.ags)) o.region = *r;
    else {
      std::string hint;
      if (regions.find("0" + o.ags)) hint = " (did you mean 0" + o.ags + "?)";
      fail(c_ags, "unknown AGS '" + o.ags + "': no region of the scenario's data has it" + hint);
    }
    const std::string& p = t.cell(row, c_pos);
    if (!p.empty() && p[0] == '-') fail(c_pos, "negative positions '" + p + "': expected a number of VZÄ of 0 or more");
    else if (const auto d = io::parse_decimal(p)) {
      o.positions = double(d->digits) / std::pow(10.0, d->decimals);
      // The whole programme funds about 820 positions: a figure this large is no staffing count
      // (euros in the wrong column, most likely), and would swamp the fit's numerics.
      if (o.positions > 10000)
        fail(c_pos, "'" + p + "' VZÄ: more than any recipient's staff could be (at most 10000 VZÄ); is it an amount of euros?");
    } else fail(c_pos, "'" + p + "': expected a decimal such as 1.9 (" + io::decimal_problem(p) + ")");
    const auto y = io::parse_count(t.cell(row, c_year));
    if (!y || *y < 1000 || *y > 9999) fail(c_year, "'" + t.cell(row, c_year) + "': expected a year from 1000 to 9999");
    else o.year = int(*y);
    o.kind = t.cell(row, c_kind);
    if (o.kind != "vza" && o.kind != "headcount")
      fail(c_kind, "'" + o.kind + "': expected vza or headcount" + io::did_you_mean(o.kind, std::vector<std::string>{"vza", "headcount"}));
    o.source = t.cell(row, c_source);
    if (o.source.empty()) fail(c_source, "no source: every observation names the document it is from");
    if (ok && !seen.insert({o.ags, o.year}).second) fail(c_ags, o.ags + " in " + std::to_string(o.year) + " is given twice");
    if (ok) out.push_back(std::move(o));
  }
  return out;
}

/// The Baustein's index, or a "did you mean" error.
std::size_t find_baustein(const Scenario& s, const std::string& id) {
  std::vector<std::string> ids;
  for (std::size_t bi = 0; bi < s.bausteine.size(); ++bi) {
    if (s.bausteine[bi].id == id) return bi;
    ids.push_back(s.bausteine[bi].id);
  }
  std::string list;
  for (const auto& i : ids) list += (list.empty() ? "" : ", ") + i;
  // Said at the scenario's list of Bausteine, as explain says it.
  throw s.places.error("bausteine", "--baustein " + id + ": the scenario has no such Baustein" + io::did_you_mean(id, ids) +
                                        "; it has " + list);
}

/// The year's recipients, their shares of each indicator (the model's key code: carve-outs as it
/// applies them) and the positions its budget buys.
Year evaluate_year(int year, bool known, const io::LoadedScenario& ls, std::size_t bi, const std::vector<std::string>& indicators) {
  Year y;
  y.year = year, y.known = known, y.ls = &ls;
  const Baustein& b = ls.scenario.bausteine[bi];
  y.who = select(ls.regions, b.recipients);
  y.shares.resize(Eigen::Index(y.who.size()), Eigen::Index(indicators.size()));
  for (std::size_t i = 0; i < indicators.size(); ++i) {
    Key one;
    one.terms = {{indicators[i], 1.0}};
    const std::vector<double> s = key_shares(ls.regions, y.who, one);
    for (std::size_t r = 0; r < s.size(); ++r) y.shares(Eigen::Index(r), Eigen::Index(i)) = s[r];
  }
  const auto* rule = rule_as<PositionsByKey>(b);
  // The amount per VZÄ for the months the Baustein funds (a start year from July buys twice the positions).
  const Cents half = for_months(b.rate_per_vza, b.months).value_or(0) / 2;
  const std::int64_t units = half > 0 ? b.budget / (rule->unit * half) : 0;
  y.positions = double(units * rule->unit) / 2.0;
  return y;
}

/// The positions of `region` in Baustein `bi` of an allocation; a Kreis with the shares it passed on.
Halves territory_halves(const Allocation& a, std::size_t bi, std::size_t region) {
  Halves h = 0;
  for (const auto& r : a.rows)
    if (r.baustein == bi && (r.region == region || r.passed_on_by == region)) h += r.halves;
  return h;
}

/// A weight whose bootstrap 5-95 % interval is wider than this is not pinned by the observations:
/// a quarter of the key can move to or from it between resamples.
constexpr double kLooseKeyWidth = 0.25;

std::string number(double x, int decimals) { return std::isnan(x) ? "" : fmt::format("{:.{}f}", x, decimals); }
/// A number for calibrate.json, to 12 significant digits: what the fit determines (the last bits of
/// a double differ between compilers' orders of operations, and would say nothing).
double rounded(double x) { return std::strtod(fmt::format("{:.12g}", x).c_str(), nullptr); }
nlohmann::json json_number(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(rounded(x)); }

/// "0.412345678901" from 412345678901 with 12 decimals.
std::string decimal_text(std::int64_t digits, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  return fmt::format("{}.{:0{}}", digits / scale, digits % scale, decimals);
}

/// The path of `target` as seen from the folder `from`: relative where both lie on one tree
/// (symbolic links resolved as far as they exist), absolute otherwise.
std::string path_from(const std::string& from, const std::string& target) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path t = fs::weakly_canonical(fs::absolute(target), ec), f = fs::weakly_canonical(fs::absolute(from), ec);
  const fs::path rel = t.lexically_relative(f);
  return rel.empty() ? t.string() : rel.string();
}

}  // namespace

int calibrate_command(const Invocation& call) {
  po::options_description visible(R"(Usage: kimsim calibrate SCENARIO.yaml --baustein B [--observed FILE.csv]
                        [--indicators a,b,...] [--base] [--bootstrap N] [--seed S] [--out DIR]
                        [--lang de|en]

Fits the key of Baustein B (a positions_by_key rule) to observed positions: its non-negative
weights, summing to 1, and with --base one common base per recipient, by non-negative least
squares on the quotas (Lawson-Hanson). Then apportions with the fitted key through the model and
reports per observation the observed and fitted positions, the apportioned ones, the error and
the leave-one-out prediction (the fit without that observation); overall MAE, RMSE, max error;
per weight its bootstrap spread over the observations (seeded, deterministic).

Observations: the scenario's validation.observed_positions (of its year), and FILE.csv with
ags,positions,year,kind,source (kind vza or headcount; a row replaces the scenario's of the same
AGS and year). Positions are decimals as published. Headcounts and the shares a Kreis passed on
to a Gemeinde are shown, not fitted. An observation of the scenario's year, or of a year for
which the Baustein's budget is given by year, is fitted against the scenario evaluated for that
year; one of any other year on shares (that year's positions by key are fitted as a scale; a
year with a single observation carries no information and is shown only).

Writes DIR (default results/<scenario>-calibrate-<B>):
  calibrate.csv                  per observation: treatment, fitted, apportioned, error, LOO
  calibrate.json                 weights, bootstrap sd and 5-95 % intervals, metrics, treatments
  <scenario>-calibrated-<B>.yaml a variant extending SCENARIO with the fitted key (path relative
                                 to DIR: keep DIR beside the scenario's folder, or edit `extends`)
  report.html                    the same for people: the fitted weights with their ranges, the fit
                                 per observation (chart and table), the caveats, the variant to run
                                 next (German, or --lang en)
  manifest.json                  as for run, with the observations file and the seed

Options)");
  std::string scenario_path, baustein_id, observed_path, indicators_text, out_dir, lang = "de";
  Whole replications{1000}, seed{1};
  visible.add_options()("help,h", "show this help")("baustein,b", po::value(&baustein_id), "the Baustein whose key is fitted (required)")(
      "observed", po::value(&observed_path), "a CSV of observations: ags,positions,year,kind,source")(
      "indicators", po::value(&indicators_text), "the indicators of the fitted key, comma-separated (default: the key's own)")(
      "base", "fit one common base per recipient as well (rounded to the rule's unit when written)")(
      "bootstrap", po::value(&replications), "bootstrap resamples (default 1000; 0: none)")(
      "seed", po::value(&seed), "seed of the bootstrap (default 1)")("out,o", po::value(&out_dir), "output folder")(
      "lang", po::value(&lang), "language of report.html: de (default) or en");
  const po::variables_map vm = parse_options(call.args, visible, scenario_path);
  if (vm.count("help")) {
    call.out << visible << "\n";
    return kOk;
  }
  if (scenario_path.empty()) throw UsageError{"missing the SCENARIO file"};
  if (baustein_id.empty()) throw UsageError{"missing --baustein: the Baustein whose key is fitted"};
  if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
  if (vm.count("observed") && observed_path.empty()) throw UsageError{"--observed needs a CSV file"};
  if (replications.value == 1)
    throw UsageError{"--bootstrap 1: one resample has no spread; give 0 (none) or at least 2 (default 1000)"};
  if (replications.value > 100000) throw UsageError{"--bootstrap " + std::to_string(replications.value) + ": at most 100000 resamples"};
  const bool fit_base = vm.count("base") > 0;
  const io::Lang report_lang = lang_option(lang);

  const io::LoadedScenario ls = io::load_scenario(scenario_path);
  const Scenario& s = ls.scenario;
  const std::size_t bi = find_baustein(s, baustein_id);
  const Baustein& b = s.bausteine[bi];
  const auto* rule = rule_as<PositionsByKey>(b);
  if (!rule)
    throw s.places.error(baustein_path(s, bi), b.id + ": allocated by " + std::string(b.rule->type().name) +
                                                   ", not by positions_by_key: calibrate fits the key of a positions_by_key rule");
  if (rule->key.cap_indicator)
    throw s.places.error(baustein_path(s, bi, "positions_by_key.cap"),
                         b.id + ": the key has a cap on '" + *rule->key.cap_indicator +
                             "'; calibrate fits a key without cap (the cap makes the quotas non-linear in the weights): "
                             "remove it in a variant (remove: [\"bausteine[" + b.id + "].positions_by_key.cap\"]) to calibrate");

  // The indicators: the key's own, or those asked for.
  std::vector<std::string> indicators;
  if (vm.count("indicators")) {
    for (std::size_t p = 0; p <= indicators_text.size();) {
      std::size_t q = indicators_text.find(',', p);
      if (q == std::string::npos) q = indicators_text.size();
      const std::string name = indicators_text.substr(p, q - p);
      p = q + 1;
      if (name.empty()) throw UsageError{"--indicators '" + indicators_text + "': an empty name; expected names such as population,schutzsuchende"};
      if (!ls.regions.indicator(name))
        throw UsageError{"--indicators: no data provides the indicator '" + name + "'" + io::did_you_mean(name, ls.regions.indicator_names) +
                         "; the scenario's data provide " + [&] {
                           std::string l;
                           for (const auto& n : ls.regions.indicator_names) l += (l.empty() ? "" : ", ") + n;
                           return l;
                         }()};
      if (std::find(indicators.begin(), indicators.end(), name) != indicators.end())
        throw UsageError{"--indicators: '" + name + "' is given twice"};
      indicators.push_back(name);
    }
  } else {
    for (const auto& t : rule->key.terms) indicators.push_back(t.indicator);
  }

  // The observations: the scenario's (of its year), then the file's, replacing by AGS and year.
  std::vector<Observation> obs;
  const std::string prefix = b.id + ":";
  for (const auto& [key, value] : s.observed) {
    if (key.rfind(prefix, 0) != 0) continue;
    Observation o;
    o.ags = key.substr(prefix.size());
    o.positions = value, o.year = s.year, o.kind = "vza";
    o.source = "validation.observed_positions of " + ls.path;
    o.where = s.places.find("validation.observed_positions." + b.id + "." + o.ags).value_or(Location{ls.path});
    o.region = *ls.regions.find(o.ags);
    obs.push_back(std::move(o));
  }
  std::string observed_sha;
  std::vector<std::string> errors;
  if (!observed_path.empty()) {
    for (auto& o : read_observations(observed_path, ls.regions, observed_sha, errors)) {
      const auto same = std::find_if(obs.begin(), obs.end(), [&](const Observation& x) { return x.ags == o.ags && x.year == o.year; });
      if (same != obs.end()) *same = std::move(o);
      else obs.push_back(std::move(o));
    }
  }

  // In one order whatever the order of the rows (by year, then AGS): the report, and the bootstrap's
  // resamples (drawn by index), do not depend on how the file happens to be sorted.
  std::stable_sort(obs.begin(), obs.end(), [](const Observation& a, const Observation& b) {
    return std::tie(a.year, a.ags) < std::tie(b.year, b.ags);
  });

  // The years: the scenario's own, others evaluated where the Baustein's budget is given for them.
  const auto dated_budget = std::find_if(ls.dated.begin(), ls.dated.end(),
                                         [&](const io::DatedValue& d) { return d.path == baustein_path(s, bi, "budget_eur"); });
  auto budget_given = [&](int year) {
    if (year == s.year) return true;
    if (dated_budget == ls.dated.end()) return false;
    return std::any_of(dated_budget->by_year.begin(), dated_budget->by_year.end(), [&](const auto& e) { return e.first == year; });
  };
  std::map<int, io::LoadedScenario> other_years;  // the scenario loaded for each other year with a budget
  std::map<int, Year> years;
  auto year_of = [&](int year) -> Year& {
    if (auto it = years.find(year); it != years.end()) return it->second;
    const bool known = budget_given(year);
    const io::LoadedScenario* at = &ls;
    if (known && year != s.year) at = &other_years.emplace(year, io::load_scenario(scenario_path, {year, std::nullopt})).first->second;
    return years.emplace(year, evaluate_year(year, known, *at, bi, indicators)).first->second;
  };
  const std::vector<std::size_t> who = select(ls.regions, b.recipients);
  for (Observation& o : obs) {
    const Region& r = ls.regions.list[o.region];
    const bool recipient = std::binary_search(who.begin(), who.end(), o.region);
    const bool under_recipient = r.type == RegionType::gemeinde && std::binary_search(who.begin(), who.end(), ls.regions.kreis_of(o.region));
    if (!recipient && !under_recipient) {
      errors.push_back(o.where.str() + ": observations: " + o.ags + " (" + r.name + ") is not a recipient of " + b.id +
                       ", nor a Gemeinde of one: there is nothing to compare it with");
      continue;
    }
    if (!recipient) {
      const Region& kreis = ls.regions.list[ls.regions.kreis_of(o.region)];
      const bool modelled = std::any_of(b.pass_through.begin(), b.pass_through.end(), [&](const PassThrough& pt) {
        return pt.kreis == kreis.ags && std::find(pt.gemeinden.begin(), pt.gemeinden.end(), o.ags) != pt.gemeinden.end();
      });
      // A Gemeinde's positions are a share its Kreis passed on; where the scenario passes nothing
      // on to it, the model has no such share to set beside it.
      o.treatment = modelled ? Treatment::passed_on : Treatment::not_modelled;
      o.why = "a share passed on by " + kreis.name + (modelled ? "" : ", which the scenario does not pass on") +
              ": shown, not fitted";
      continue;
    }
    Year& y = year_of(o.year);
    const auto at = std::lower_bound(y.who.begin(), y.who.end(), o.region);
    if (at == y.who.end() || *at != o.region) {
      errors.push_back(o.where.str() + ": observations: " + o.ags + " is not a recipient of " + b.id + " in " + std::to_string(o.year));
      continue;
    }
    o.candidate = std::size_t(at - y.who.begin());
    if (o.kind == "headcount") {
      o.treatment = Treatment::headcount;
      o.why = "a headcount, not VZÄ: shown, not fitted";
    } else if (y.known) {
      o.treatment = Treatment::budget;
      o.why = "against the budget of " + std::to_string(o.year);
    } else {
      o.treatment = Treatment::shares;
      o.why = "on shares (the budget of " + std::to_string(o.year) + " is not given by year in the scenario)";
    }
  }
  if (!errors.empty()) throw io::ScenarioError(errors);
  // A year on shares with a single observation: its scale fits it exactly, whatever the key.
  std::map<int, int> on_shares;
  for (const Observation& o : obs)
    if (o.treatment == Treatment::shares) ++on_shares[o.year];
  for (Observation& o : obs)
    if (o.treatment == Treatment::shares && on_shares[o.year] < 2) {
      o.treatment = Treatment::alone;
      o.why = "the only observation of " + std::to_string(o.year) + ", whose budget is not given: on shares it carries no information; shown";
    }

  // The problem: one group per year fitted.
  CalibrationProblem problem;
  problem.indicators = indicators.size();
  problem.base = double(rule->base) / 2.0;
  problem.fit_base = fit_base;
  std::map<int, std::size_t> group_of;
  std::vector<int> group_year;
  for (Observation& o : obs) {
    if (o.treatment != Treatment::budget && o.treatment != Treatment::shares) continue;
    const Year& y = years.at(o.year);
    auto [it, added] = group_of.emplace(o.year, problem.groups.size());
    if (added) {
      problem.groups.push_back({y.known ? std::optional<double>(y.positions) : std::nullopt, double(y.who.size())});
      group_year.push_back(o.year);
    }
    o.group = it->second;
    o.point = problem.points.size();
    problem.points.push_back({o.positions, y.shares.row(Eigen::Index(*o.candidate)).transpose(), it->second});
  }
  const std::size_t parameters = parameter_count(problem);
  if (problem.points.size() < parameters) {
    const std::size_t n = problem.points.size();
    std::string what = fmt::format("{}: {} observation{} to fit, fewer than the {} parameter{} ({} weight{}{}{})", b.id, n, n == 1 ? "" : "s",
                                   parameters, parameters == 1 ? "" : "s", indicators.size(), indicators.size() == 1 ? "" : "s",
                                   fit_base ? ", the base" : "", parameters > indicators.size() + fit_base ? ", a scale per year on shares" : "");
    what += ": add observations (--observed FILE.csv) or fit fewer (--indicators)";
    // Named where the observations come from: the file given, else the scenario's validation block.
    const std::string at = "validation.observed_positions." + b.id;
    if (!observed_path.empty()) throw LocatedError(Location{observed_path}, what);
    if (const auto where = s.places.find(at); where && where->line) throw LocatedError(*where, at + ": " + what);
    throw LocatedError(Location{ls.path}, what + " (the scenario has no " + at + ")");
  }

  // The fit, its leave-one-out errors and its bootstrap.
  const CalibrationFit fit = fit_key(problem);
  const LeaveOneOut loo = leave_one_out(problem);
  const BootstrapSummary boot = bootstrap(problem, replications.value, seed.value);
  for (Observation& o : obs) {
    if (o.point) {
      o.fitted = fit.fitted(Eigen::Index(*o.point));
      o.loo = loo.prediction[*o.point];
    } else if (o.candidate && years.at(o.year).known) {
      // Shown only (a headcount): the quota the fit gives it, for comparison.
      const Year& y = years.at(o.year);
      o.fitted = fit.base + (y.positions - double(y.who.size()) * fit.base) * y.shares.row(Eigen::Index(*o.candidate)).dot(fit.weights);
    }
  }
  std::vector<double> errs;
  for (const Observation& o : obs)
    if (o.point) errs.push_back(o.fitted - o.positions);
  const ErrorMetrics metrics = error_metrics(errs);

  // The key as written: 12 decimals summing to 1 exactly; the base in whole units of the rule.
  const std::vector<std::int64_t> digits = weights_in_decimals(fit.weights, 12);
  const Halves base_halves = fit_base ? std::llround(fit.base * 2.0 / double(rule->unit)) * rule->unit : rule->base;
  // Apportioned by the model with the key as written, in every year whose budget is known.
  std::map<int, Allocation> apportioned;
  auto allocation_of = [&](int year) -> const Allocation& {
    if (auto it = apportioned.find(year); it != apportioned.end()) return it->second;
    Scenario c = year == s.year ? s : other_years.at(year).scenario;
    const Regions& regions = year == s.year ? ls.regions : other_years.at(year).regions;
    PositionsByKey& r = edit_rule<PositionsByKey>(c.bausteine[bi]);
    r.key.terms.clear();
    for (std::size_t i = 0; i < indicators.size(); ++i) r.key.terms.push_back({indicators[i], double(digits[i]) / 1e12});
    r.base = base_halves;
    return apportioned.emplace(year, allocate(c, regions)).first->second;
  };
  for (Observation& o : obs) {
    if (!budget_given(o.year)) continue;
    if (o.year != s.year) year_of(o.year);  // loads the scenario for that year
    const Allocation& a = allocation_of(o.year);
    if (o.treatment == Treatment::passed_on || o.treatment == Treatment::not_modelled) {
      for (const auto& r : a.rows)
        if (r.baustein == bi && r.region == o.region && r.passed_on_by) o.apportioned = double(r.halves) / 2.0;
    } else {
      o.apportioned = double(territory_halves(a, bi, o.region)) / 2.0;
    }
  }

  // The notes: sentences of kimsim/notes.hpp, in English here and in the report's language there.
  std::vector<Note> notes;
  if (rule->min || rule->max) notes.push_back({"calibrate_bounds", {}});
  if (fit_base) notes.push_back({"calibrate_base", {fmt::format("{:.4f}", fit.base), vza_text(base_halves), vza_text(rule->unit)}});
  if (!fit.converged) notes.push_back({"calibrate_not_converged", {std::to_string(fit.iterations)}});
  for (std::size_t g = 0; g < problem.groups.size(); ++g)
    if (!problem.groups[g].positions)
      notes.push_back({"calibrate_scale", {std::to_string(group_year[g]), fmt::format("{:.2f}", fit.units_by_key[g])}});
  for (std::size_t i = 0; i < indicators.size(); ++i)
    if (fit.weights(Eigen::Index(i)) == 0) notes.push_back({"calibrate_at_bound", {indicators[i]}});
  // The caveat a planner needs before using the key: where the resamples move a weight over more
  // than kLooseKeyWidth, the observations leave the key open, whatever the fit's MAE says.
  if (boot.replications) {
    std::string loose;
    for (std::size_t i = 0; i < indicators.size(); ++i)
      if (const auto e = Eigen::Index(i); boot.p95(e) - boot.p05(e) > kLooseKeyWidth)
        loose += fmt::format("{}{} {:.2f}-{:.2f}", loose.empty() ? "" : ", ", indicators[i], boot.p05(e), boot.p95(e));
    if (!loose.empty()) notes.push_back({"calibrate_loose_key", {loose}});
  }

  const std::string name = s.name + "-calibrated-" + b.id;
  const std::string dir = !out_dir.empty() ? out_dir : "results/" + s.name + "-calibrate-" + b.id;
  const std::string data = observed_path.empty() ? "the scenario's validation.observed_positions" : observed_path;

  // calibrate.csv: one row per observation.
  std::string csv = "ags,name,year,kind,observed,treatment,fitted,apportioned,error,loo_prediction,loo_error,source\n";
  for (const Observation& o : obs)
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", o.ags, io::csv_quote(ls.regions.list[o.region].name), o.year, o.kind,
                       number(o.positions, 2), treatment_code(o.treatment), number(o.fitted, 4), number(o.apportioned, 1),
                       o.point ? number(o.fitted - o.positions, 4) : "", number(o.loo, 4),
                       o.point ? number(o.loo - o.positions, 4) : "", io::csv_quote(o.source));

  // calibrate.json: the weights with their spread, the metrics, the treatments.
  nlohmann::json j;
  j["scenario"] = s.name;
  j["baustein"] = b.id;
  j["model"] = "quota = base + positions_by_key(year) x sum_i w_i share_i; w >= 0, sum w = 1; NNLS (Lawson-Hanson)";
  j["observations_from"] = data;
  j["weights"] = nlohmann::json::array();
  for (std::size_t i = 0; i < indicators.size(); ++i) {
    const auto e = Eigen::Index(i);
    nlohmann::json w = {{"indicator", indicators[i]}, {"weight", rounded(fit.weights(e))}, {"written", decimal_text(digits[i], 12)},
                        {"at_bound_0", fit.weights(e) == 0}};
    if (boot.replications) w["bootstrap"] = {{"sd", rounded(boot.sd(e))}, {"p05", rounded(boot.p05(e))}, {"p95", rounded(boot.p95(e))}};
    j["weights"].push_back(w);
  }
  j["base_vza"] = {{"fitted", fit_base}, {"value", rounded(fit.base)}, {"written", vza_text(base_halves)}};
  if (fit_base) {
    j["base_vza"]["at_bound_0"] = fit.base == 0;
    if (boot.replications) j["base_vza"]["bootstrap"] = {{"sd", rounded(boot.base_sd)}, {"p05", rounded(boot.base_p05)}, {"p95", rounded(boot.base_p95)}};
  }
  j["years"] = nlohmann::json::array();
  for (std::size_t g = 0; g < problem.groups.size(); ++g)
    j["years"].push_back({{"year", group_year[g]}, {"treatment", problem.groups[g].positions ? "budget" : "shares"},
                          {"positions", json_number(problem.groups[g].positions.value_or(NAN))},
                          {"positions_by_key", json_number(fit.units_by_key[g])}, {"recipients", problem.groups[g].recipients}});
  j["fit"] = {{"observations", metrics.count}, {"parameters", parameters}, {"mae", rounded(metrics.mae)}, {"rmse", rounded(metrics.rmse)},
              {"max_error", rounded(metrics.max_error)}, {"iterations", fit.iterations}, {"converged", fit.converged}};
  j["leave_one_out"] = {{"predicted", loo.metrics.count}, {"mae", rounded(loo.metrics.mae)}, {"rmse", rounded(loo.metrics.rmse)},
                        {"max_error", rounded(loo.metrics.max_error)}};
  j["bootstrap"] = {{"replications", boot.replications}, {"seed", seed.value}};
  j["observations"] = nlohmann::json::array();
  for (const Observation& o : obs)
    j["observations"].push_back({{"ags", o.ags}, {"name", ls.regions.list[o.region].name}, {"year", o.year}, {"kind", o.kind},
                                 {"observed", o.positions}, {"treatment", treatment_code(o.treatment)}, {"why", o.why},
                                 {"fitted", json_number(o.fitted)}, {"apportioned", json_number(o.apportioned)},
                                 {"loo_prediction", json_number(o.loo)}, {"source", o.source}});
  j["notes"] = nlohmann::json::array();
  for (const Note& n : notes) j["notes"].push_back(note_text(n));
  j["variant"] = name + ".yaml";

  // The variant: the fitted key (and base) over the scenario, with the fit's quality in its head.
  std::string key;
  for (std::size_t i = 0; i < indicators.size(); ++i)
    key += fmt::format("{}\"{}\": {}", i ? ", " : "", indicators[i], decimal_text(digits[i], 12));
  std::string variant = fmt::format(
      "# {} key fitted by kimsim calibrate to {} observed positions ({}), {}.\n"
      "# Fit: MAE {:.2f}, RMSE {:.2f}, max error {:.2f} VZÄ; leave-one-out MAE {:.2f}, RMSE {:.2f} VZÄ.\n"
      "# Weights in 12 decimals, summing to 1 exactly{}.\n"
      "# `extends` is relative to this file's folder.\n"
      "extends: \"{}\"\n"
      "scenario: {}\n"
      "assumptions:\n"
      "  - \"[A] {} key fitted by kimsim calibrate to {} observed positions ({}); MAE {:.2f} VZÄ, leave-one-out RMSE {:.2f} VZÄ\"\n"
      "bausteine:\n"
      "  - id: {}\n"
      "    positions_by_key:\n"
      "      key: {{{}}}\n",
      b.id, metrics.count, data, fit_base ? "with a common base" : "its base as in the scenario", metrics.mae, metrics.rmse,
      metrics.max_error, loo.metrics.mae, loo.metrics.rmse,
      fit_base ? fmt::format("; base {:.4f} VZÄ rounded to the unit of {} VZÄ", fit.base, vza_text(rule->unit)) : "",
      path_from(dir, ls.path), name, b.id, metrics.count, data, metrics.mae, loo.metrics.rmse, b.id, key);
  if (fit_base) variant += "      base_vza: " + vza_text(base_halves) + "\n";

  nlohmann::json manifest = io::manifest_json(ls, call.command_line, now_utc());
  manifest["seed"] = seed.value;
  manifest["bootstrap"] = boot.replications;
  if (!observed_path.empty()) manifest["observed"] = {{"path", observed_path}, {"sha256", observed_sha}};
  std::string report = io::report_html(io::calibrate_report_data(j, notes, b.name, ls.input_sha256.at(0), report_lang));
  write_results(dir, {{"calibrate.csv", csv}, {"calibrate.json", io::dump_json(j, 2) + "\n"}, {name + ".yaml", variant},
                      {"report.html", std::move(report)}}, manifest);

  // The terminal: what was fitted, each observation, the weights, the quality.
  std::string t = fmt::format("kimsim calibrate: {} of {} ({}), {} {}\n", b.id, s.name, ls.path, indicators.size(),
                              indicators.size() == 1 ? "indicator" : "indicators");
  t += fmt::format("Observations: {} ({} fitted, {} parameters; {})\n\n", obs.size(), metrics.count, parameters,
                   fit_base ? "base fitted" : "base " + vza_text(rule->base) + " VZÄ as in the scenario");
  t += fmt::format("{:<8} {:<22} {:>4} {:>8} {:>8} {:>7} {:>7} {:>7}  {}\n", "ags", "name", "year", "observed", "fitted", "apport.",
                   "error", "LOO", "treatment");
  for (const Observation& o : obs) {
    std::string nm = ls.regions.list[o.region].name;
    if (nm.size() > 22) nm = nm.substr(0, 21) + "~";
    t += fmt::format("{:<8} {:<22} {:>4} {:>8} {:>8} {:>7} {:>7} {:>7}  {}\n", o.ags, nm, o.year, number(o.positions, 2),
                     number(o.fitted, 2), number(o.apportioned, 1), o.point ? number(o.fitted - o.positions, 2) : "",
                     number(o.loo, 2), treatment_code(o.treatment));
  }
  t += "\nTreatments: budget = against that year's budget; shares = on shares, the year's positions by key\n"
       "fitted; alone = only observation of a year on shares; headcount, passed-on, not-modelled (passed\n"
       "on, but not in the scenario): shown, not fitted.\n";
  t += fmt::format("\nWeights{}:\n", boot.replications ? fmt::format(" (bootstrap: {} resamples, seed {})", boot.replications, seed.value) : "");
  for (std::size_t i = 0; i < indicators.size(); ++i) {
    const auto e = Eigen::Index(i);
    t += fmt::format("  {:<22} {}", indicators[i], decimal_text(digits[i], 12));
    if (boot.replications) t += fmt::format("  sd {:.4f}  5-95 % {:.4f} to {:.4f}", boot.sd(e), boot.p05(e), boot.p95(e));
    t += fit.weights(e) == 0 ? "  at bound 0\n" : "\n";
  }
  if (fit_base) {
    t += fmt::format("  {:<22} {:.4f} VZÄ (written {})", "base", fit.base, vza_text(base_halves));
    if (boot.replications) t += fmt::format("  sd {:.4f}  5-95 % {:.4f} to {:.4f}", boot.base_sd, boot.base_p05, boot.base_p95);
    t += fit.base == 0 ? "  at bound 0\n" : "\n";
  }
  t += fmt::format("\nFit: MAE {:.2f}, RMSE {:.2f}, max error {:.2f} VZÄ over {} observations\n", metrics.mae, metrics.rmse,
                   metrics.max_error, metrics.count);
  t += fmt::format("Leave-one-out: MAE {:.2f}, RMSE {:.2f}, max error {:.2f} VZÄ over {} predictions\n", loo.metrics.mae,
                   loo.metrics.rmse, loo.metrics.max_error, loo.metrics.count);
  for (const auto& n : notes) t += "Note: " + note_text(n) + "\n";
  t += fmt::format("\nWrote {}/ (calibrate.csv, calibrate.json, {}.yaml, report.html)\n", dir, name);
  call.out << t;
  return kOk;
}

}  // namespace kimsim::cli
