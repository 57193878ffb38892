#include "io/whatif.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "io/compare_report.hpp"
#include "io/explain.hpp"
#include "io/html_report.hpp"
#include "io/output.hpp"
#include "io/patch.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "io/suggest.hpp"
#include "kimsim/apportion.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/error.hpp"
#include "kimsim/format.hpp"
#include "kimsim/model.hpp"
#include "kimsim/version.hpp"

namespace kimsim::io {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
json controls_json(const Scenario& s);
}  // namespace

/// A base as every request shares it: never changed once built (the Plan points into it).
struct WhatIf::Base {
  LoadedScenario loaded;
  Plan plan;
  Allocation allocation;
  std::string name, sha256;
  /// Every file the evaluation depends on (the scenario, the files it extends, the data) with
  /// its SHA-256, as `kimsim run` lists them in manifest.json: sha256 is the first's alone.
  json inputs;
  json controls;  ///< its controls (values, ranges, steps): the same in every answer, built once
  explicit Base(LoadedScenario ls, std::string n)
      : loaded(std::move(ls)), plan(loaded.scenario, loaded.regions), allocation(allocate(plan, {})), name(std::move(n)),
        sha256(loaded.input_sha256.at(0)), inputs(manifest_json(loaded, "", "")["inputs"]), controls(controls_json(loaded.scenario)) {}
};

namespace {

/// A refused request: the status and the located message the client gets.
struct ApiError {
  int status = 422;
  std::string path, message, hint;
};

/// The longest field name or patch path read (the longest patchable path has about 60 characters).
constexpr std::size_t kMaxPathChars = 200;

/// Thrown from the JSON parser's callback: the body nests deeper than kMaxJsonDepth.
struct TooDeep {};
/// Thrown from the JSON parser's callback: an object names a key twice.
struct TwiceKey {
  std::string key;
};

json error_body(const ApiError& e) {
  return {{"path", e.path}, {"message", e.message}, {"hint", e.hint}, {"kimsim_version", kVersion}};
}

/// JSON text of `j`; bytes that are not UTF-8 (a client's target, method or value quoted in a
/// message) become U+FFFD instead of throwing, so that no request can stop the answer.
std::string json_text(const json& j) { return dump_json(j) + "\n"; }

/// "line:column" of byte `at` of `text` (1-based), for a parse error.
std::string line_column(std::string_view text, std::size_t at) {
  at = std::min(at, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  return fmt::format("{}:{}", line, column);
}

json parse_body(std::string_view body) {
  if (body.size() > kMaxBodyBytes)
    throw ApiError{413, "body", fmt::format("the request body has {} bytes, more than the {} allowed", body.size(), kMaxBodyBytes),
                   "send the scenario's name and a patch of the values you change, not the scenario"};
  // The parser's callback sees the depth of every value before it is built: a body nested too
  // deep is refused before it costs memory or stack. It sees every key too: a key given twice in
  // one object (the parser would keep the last silently) is refused.
  std::vector<std::vector<std::string>> keys;  // per open object, its keys so far
  const auto check = [&keys](int d, json::parse_event_t event, json& parsed) {
    if (d >= kMaxJsonDepth) throw TooDeep{};  // d counts from 0 at the top level: level d + 1
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    else if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    else if (event == json::parse_event_t::key && !keys.empty()) {
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.back().begin(), keys.back().end(), key) != keys.back().end()) throw TwiceKey{key};
      keys.back().push_back(key);
    }
    return true;
  };
  const std::string hint = R"(a request is {"scenario": NAME, "patch": {PATH: VALUE}}, e.g. {"scenario": "kim-nrw-2021", "patch": {"bausteine[B2].rate_per_vza_eur": "57000.00"}})";
  // nlohmann's reader takes a NUL byte for the end of the input and would answer the JSON before
  // it; JSON has no NUL byte (in a string it is written \u0000).
  if (const auto nul = body.find('\0'); nul != std::string_view::npos)
    throw ApiError{400, "body:" + line_column(body, nul), "malformed JSON: a NUL byte (JSON has none; in a string write \\u0000)", hint};
  try {
    return json::parse(body.begin(), body.end(), check);
  } catch (const TooDeep&) {
    throw ApiError{413, "body", fmt::format("the JSON nests deeper than {} levels", kMaxJsonDepth),
                   R"(a request is {"scenario": NAME, "patch": {PATH: VALUE}})"};
  } catch (const TwiceKey& k) {
    throw ApiError{422, "body", "the key '" + k.key + "' is given twice in one object", "give each key once"};
  } catch (const json::parse_error& e) {
    throw ApiError{400, "body:" + line_column(body, e.byte == 0 ? 0 : e.byte - 1), std::string("malformed JSON: ") + e.what(), hint};
  } catch (const json::exception& e) {
    // A number beyond a double (1e309) and the like: the JSON is well formed, its value is not.
    throw ApiError{400, "body", std::string("a value of the JSON cannot be read: ") + e.what(),
                   "money and other exact values are safest as strings, e.g. \"57000.00\""};
  }
}

/// The request's fields, each known (an unknown one is a slip the client must hear about), and
/// the scenario's name among them unless `needs_scenario` is false.
void check_fields(const json& request, const std::vector<std::string>& known, bool needs_scenario = true) {
  if (!request.is_object())
    throw ApiError{422, "body", "expected a JSON object", R"(a request is {"scenario": NAME, "patch": {PATH: VALUE}})"};
  for (const auto& [key, value] : request.items())
    if (key.size() > kMaxPathChars)  // no suggestion for it: the edit distance would cost seconds
      throw ApiError{422, "body", fmt::format("a field name of {} characters", key.size()), "the fields are " + comma_list(known)};
    else if (std::find(known.begin(), known.end(), key) == known.end())
      throw ApiError{422, "body." + key, "unknown field '" + key + "'" + did_you_mean(key, known), "the fields are " + comma_list(known)};
  if (needs_scenario && (!request.contains("scenario") || !request["scenario"].is_string()))
    throw ApiError{422, "body.scenario", "expected the name of a scenario of the served folder as a string",
                   "GET /api/scenarios lists them"};
}

/// The control a planner gets for a slot: its range and step, as the page and the API check them.
struct Control {
  std::int64_t min = 0, max = 0, step = 1;
  std::vector<std::string> options;  ///< method and switch: the values by name
};

Control control_of(const Scenario& s, const Slot& slot) {
  const std::int64_t base = base_value(s, slot).value_or(0);
  Control c;
  const std::string_view kind = value_kind(slot.kind);
  // The ranges (kRangesWhy): up to three times the base, as KIM grew from 25 M EUR (2020) to the
  // "up to 75 M EUR" announced; never less than a floor, so that a base of 0 can be raised.
  if (kind == "money") {
    // Rates in even cents (half a position receives half of it); budgets and minimums in cents.
    c.step = slot.kind == SlotKind::rate ? 2 : 1;
    c.min = slot.kind == SlotKind::rate ? 2 : 0;
    c.max = std::max<std::int64_t>(3 * base, 100'000'000);  // at least 1 million EUR
  } else if (kind == "vza") {
    // Half positions; a base in whole positions.
    c.step = slot.kind == SlotKind::base ? 2 : 1;
    c.min = slot.kind == SlotKind::unit ? 1 : 0;
    c.max = std::max<std::int64_t>(3 * base, 40);
  } else if (kind == "weight") {
    // Steps of 0.001: a thousandth of a key is finer than any indicator's error, and the page's
    // sliders keep the key's sum at exactly 1 in integers of these steps.
    c.step = kWeightScale / 1000;
    c.max = std::max<std::int64_t>(base, kWeightScale);
  } else if (kind == "method") {
    for (const auto m : method_names()) c.options.emplace_back(m);
    c.max = static_cast<std::int64_t>(c.options.size()) - 1;
  } else {
    c.options = {"false", "true"};
    c.max = 1;
  }
  return c;
}

/// Why the controls have the ranges and steps they have, published with them.
constexpr std::string_view kRangesWhy =
    "Budgets, amounts and positions range from 0 (rates from 0.02 EUR, units from 0.5 VZÄ) to three times the "
    "scenario's value, at least 1,000,000.00 EUR or 20 VZÄ: KIM grew from 25 M EUR (2020) to the 'up to 75 M EUR' a year "
    "announced, three times its start, and a reform beyond that is another programme; the floor lets a value of 0 be raised. "
    "Rates per VZÄ move in even cents, since a half position receives half of the rate, exact to the cent; bases in whole VZÄ "
    "(a base is a position per recipient), other positions in half VZÄ, the funding unit; money in cents. Key weights range "
    "from 0 to 1 in steps of 0.001; the key normalises them (each counts as its share of their sum), and the page keeps "
    "their sum at exactly 1.";

/// The words of one control: why its range, and for a key weight how the key treats it.
std::string control_why(const Slot& slot) {
  switch (slot.kind) {
    case SlotKind::rate: return "0.02 EUR to three times the scenario's rate (at least 1,000,000.00 EUR), in even cents: half a position receives half";
    case SlotKind::key_weight:
      return "0 to 1 in steps of 0.001; the key normalises its weights (each counts as weight / sum of the key's weights), "
             "and the page moves the key's other weights in proportion so that the sum stays exactly 1";
    case SlotKind::base: return "whole VZÄ per recipient, 0 to three times the scenario's base (at least 20 VZÄ)";
    case SlotKind::unit: case SlotKind::min: case SlotKind::max:
      return "half VZÄ (the funding unit), up to three times the scenario's value (at least 20 VZÄ)";
    case SlotKind::method: case SlotKind::pass_through: return "the values the rule knows";
    default: return "0 to three times the scenario's amount (at least 1,000,000.00 EUR), in cents";
  }
}

json controls_json(const Scenario& s) {
  json list = json::array();
  for (const std::string& path : patchable_paths(s)) {
    std::string why;
    const auto slot = resolve_slot(s, path, why);
    if (!slot) continue;
    const Control c = control_of(s, *slot);
    json j = {{"path", slot->path}, {"kind", std::string(value_kind(slot->kind))}, {"why", control_why(*slot)}};
    // The weights of one key move together on the page: their key.
    if (slot->kind == SlotKind::key_weight) j["key"] = slot->path.substr(0, slot->path.rfind(".key.") + 4);
    const auto base = base_value(s, *slot);
    j["value"] = base ? json(value_text(*slot, *base)) : json(nullptr);
    if (c.options.empty()) {
      j["min"] = value_text(*slot, c.min), j["max"] = value_text(*slot, c.max), j["step"] = value_text(*slot, c.step);
    } else {
      j["options"] = c.options;
    }
    list.push_back(std::move(j));
  }
  return list;
}

/// A patch read and checked against the base: slots and values in their units.
struct Patch {
  std::vector<Slot> slots;
  std::vector<std::int64_t> values;
};

Patch read_patch(const WhatIf::Base& b, const json& request) {
  Patch p;
  if (!request.contains("patch")) return p;
  const json& patch = request["patch"];
  if (!patch.is_object())
    throw ApiError{422, "body.patch", "expected an object of {PATH: VALUE}", R"(e.g. {"bausteine[B2].rate_per_vza_eur": "57000.00"})"};
  const Scenario& s = b.loaded.scenario;
  for (const auto& [path, value] : patch.items()) {
    // A path longer than any patchable one is refused before suggesting the nearest (an edit
    // distance against every path, quadratic in its length) and without echoing it.
    if (path.size() > kMaxPathChars)
      throw ApiError{422, "body.patch", fmt::format("a patch path of {} characters: no patchable path is longer than {}", path.size(), kMaxPathChars),
                     "GET /api/scenarios lists the patchable paths of each scenario"};
    const std::string at = "body.patch." + path;
    if (path.rfind("data", 0) == 0 || path.rfind("extends", 0) == 0)
      throw ApiError{422, at, "a patch may not change '" + path + "'",
                     "the data and the base are the served folder's; patch the numbers of the rules (GET /api/scenarios lists them)"};
    std::string why;
    const auto slot = resolve_slot(s, path, why);
    if (!slot) throw ApiError{422, at, why, "GET /api/scenarios lists the patchable paths of each scenario"};
    for (const Slot& other : p.slots) {
      if (other.path == slot->path) throw ApiError{422, at, "'" + slot->path + "' is patched twice", "give each path once"};
      // The total splits among the Bausteine in the base's proportions; a Baustein's budget makes
      // the total follow. Both at once would leave one of them unused: refused, not dropped.
      const auto budget = [](const Slot& x) { return x.kind == SlotKind::total_budget || x.kind == SlotKind::budget; };
      if (budget(other) && budget(*slot) && (other.kind == SlotKind::total_budget) != (slot->kind == SlotKind::total_budget))
        throw ApiError{422, at, "'" + slot->path + "' and '" + other.path + "' are both patched: the total and a Baustein's budget cannot both be set",
                       "patch the Bausteine's budgets (the total follows) or the total alone (split in the base's proportions)"};
    }
    std::string text;
    if (value.is_string()) text = value.get<std::string>();
    else if (value.is_boolean()) text = value.get<bool>() ? "true" : "false";
    else if (value.is_number_integer() || value.is_number_unsigned()) text = value.dump();
    else if (value.is_number_float() && value_kind(slot->kind) == "money")
      // The parser has already rounded it through a double (60000000.000000001 arrives as 6e7):
      // money is exact or refused.
      throw ApiError{422, at, "money as a JSON number with a fraction or an exponent (" + value.dump() + ") is read through a double and may not be the amount sent",
                     "send money as a decimal string, e.g. \"57000.00\", or as a whole number of euros"};
    else if (value.is_number_float()) text = value.dump();  // the shortest text that reads back as the same double
    else throw ApiError{422, at, "expected a value as a string or a number, got " + std::string(value.type_name()), "e.g. \"57000.00\""};
    const auto v = parse_value(*slot, text, why);
    if (!v) throw ApiError{422, at, "'" + text + "': " + why, "exact decimals are safest as strings, e.g. \"57000.00\""};
    const Control c = control_of(s, *slot);
    if (*v < c.min || *v > c.max)
      throw ApiError{422, at, "'" + text + "' is outside the range of " + slot->path,
                     "the range is " + value_text(*slot, c.min) + " to " + value_text(*slot, c.max) + " (GET /api/scenarios)"};
    // The published step, where it is coarser than what the reader takes (a base in whole VZÄ).
    // Key weights take any exact decimal: the scenario's own are finer than the page's step.
    if (slot->kind != SlotKind::key_weight && c.options.empty() && (*v - c.min) % c.step != 0)
      throw ApiError{422, at, "'" + text + "' is not on the steps of " + slot->path,
                     "the step is " + value_text(*slot, c.step) + " from " + value_text(*slot, c.min) + " (GET /api/scenarios)"};
    p.slots.push_back(*slot);
    p.values.push_back(*v);
  }
  return p;
}

json header(const WhatIf::Base& b) {
  return {{"kimsim_version", kVersion},
          {"scenario", b.name},
          {"scenario_sha256", b.sha256},
          {"inputs", b.inputs},
          {"year", b.loaded.scenario.year}};
}

/// The request's "year" (nullopt: the scenario's own).
std::optional<int> year_of(const json& request) {
  if (!request.contains("year")) return std::nullopt;
  const json& y = request["year"];
  if (!y.is_number_integer() || y.get<long long>() < SimulationLimits::first_year || y.get<long long>() > SimulationLimits::last_year)
    throw ApiError{422, "body.year", "expected a year as a whole number, got " + y.dump(-1, ' ', false, json::error_handler_t::replace),
                   "GET /api/scenarios lists each scenario's years"};
  return static_cast<int>(y.get<long long>());
}

/// The request's "lang": the language of the chart and the paradox flags (default German).
Lang lang_of(const json& request) {
  if (!request.contains("lang")) return Lang::de;
  const auto l = request["lang"].is_string() ? parse_lang(request["lang"].get<std::string>()) : std::nullopt;
  if (!l) throw ApiError{422, "body.lang", "expected \"de\" or \"en\"", "the chart and the paradox flags speak German (de) or English (en)"};
  return *l;
}

/// The rules' refusal of a patch (`located`: their message with the base file's place of the
/// refused value at key path `at`; `unlocated`: without it), located at the patch entry behind
/// it (io/patch.hpp blame). Where entries set the refused value, the first of them, and the
/// message without the base's place: the base did not set that value. Else the first entry that
/// changes the refused value's Baustein, the message keeping the base's place of its own value;
/// an unresolved tie is of this kind (the tie policy is the base's; the patch's values of that
/// Baustein made the claims equal). Both name every entry involved. The patch as a whole where
/// the rules name no value.
ApiError refused(const WhatIf::Base& b, const Patch& p, const std::string& at, const std::string& located, const std::string& unlocated,
                 const std::string& hint) {
  const PatchBlame who = at.empty() ? PatchBlame{} : blame(b.loaded.scenario, p.slots, at);
  const auto entries = [&](const std::vector<std::size_t>& list) {
    std::string text;
    for (const std::size_t i : list) text += (text.empty() ? "" : ", ") + p.slots[i].path + " = " + value_text(p.slots[i], p.values[i]);
    return text;
  };
  if (!who.sets.empty()) {
    const bool alone = who.sets.size() == 1 && p.slots[who.sets[0]].path == at;
    return {422, "body.patch." + p.slots[who.sets[0]].path, unlocated + (alone ? "" : " (set by the patch: " + entries(who.sets) + ")"), hint};
  }
  if (!who.changes.empty())
    return {422, "body.patch." + p.slots[who.changes[0]].path, located + " (under the patch's " + entries(who.changes) + ")", hint};
  return {422, "body.patch", located, hint};
}

/// The patch allocated and compared with the base: calls f(allocation, comparison, runs, island)
/// with the comparison's report island (the what-if named as the page names it), which lives
/// only for the call. evaluate() and the report of /api/report share it.
template <class F>
auto with_comparison(const WhatIf::Base& b, const Patch& p, Lang lang, F f) {
  const Scenario& s = b.loaded.scenario;
  PatchedInputs in;
  apply(s, p.slots, p.values, in);
  Allocation a;
  try {
    a = allocate(b.plan, in.inputs());
  } catch (const TieError& e) {
    throw refused(b, p, e.path(), e.what(), e.what(), "an unresolved tie under the scenario's tie policy: change a value slightly");
  } catch (const LocatedError& e) {
    throw refused(b, p, e.path(), e.what(), e.unlocated(), "the rules cannot be satisfied with these values");
  } catch (const InputError& e) {
    throw refused(b, p, "", e.what(), e.what(), "the rules cannot be satisfied with these values");
  }
  // Paradox checks and the indices read rules from a Scenario: the base with the values written in.
  const Scenario patched = patched_scenario(s, p.slots, p.values);
  const ComparedScenario pair[] = {{b.name, &s, &b.loaded.regions, &b.allocation}, {"patch", &patched, &b.loaded.regions, &a}};
  const Comparison c = compare(pair);
  // compare_json reads the regions of the first run alone; the patch's run needs its scenario
  // (the budget) and a name.
  LoadedScenario patched_run;
  patched_run.scenario = patched;
  patched_run.path = "patch";
  const std::vector<ComparedRun> runs = {{&b.loaded, &b.allocation}, {&patched_run, &a}};
  json island = compare_report_data(c, runs, nullptr, lang);
  const std::string what = lang == Lang::de ? "Was-wäre-wenn" : "what-if";
  island["scenarios"][1]["name"] = what;
  island["variants"][0]["name"] = what;
  return f(a, c, runs, island);
}

/// The allocation of the patch, compared with the base's: per recipient and Baustein, totals,
/// and compare's winners, losers, fairness indices and paradoxes.
json evaluate(const WhatIf::Base& b, const Patch& p, Lang lang = Lang::de) {
  return with_comparison(b, p, lang, [&](const Allocation& a, const Comparison& c, const std::vector<ComparedRun>& runs,
                                         const json& island) {
  const Scenario& s = b.loaded.scenario;
  json j = header(b);
  json patch = json::object();
  for (std::size_t i = 0; i < p.slots.size(); ++i) patch[p.slots[i].path] = value_text(p.slots[i], p.values[i]);
  j["patch"] = patch;
  json totals = json::array();
  for (std::size_t bi = 0; bi < a.totals.size(); ++bi) {
    const BausteinTotals &t = a.totals[bi], &t0 = b.allocation.totals[bi];
    totals.push_back({{"baustein", s.bausteine[bi].id},
                      {"budget_eur", format_euros(t.budget)},
                      {"allocated_eur", format_euros(t.allocated)},
                      {"unallocated_eur", format_euros(t.unallocated)},
                      {"positions", format_positions(t.halves)},
                      {"recipients", t.recipients},
                      {"base_allocated_eur", format_euros(t0.allocated)},
                      {"base_positions", format_positions(t0.halves)}});
  }
  j["totals"] = totals;
  json rows = json::array();
  const Regions& regions = b.loaded.regions;
  for (const CompareLine& l : c.recipients) {
    const Region& r = regions.list[l.region];
    rows.push_back({{"ags", r.ags},
                    {"name", r.name},
                    {"baustein", l.baustein},
                    {"positions", format_positions(l.halves[1])},
                    {"euros", format_euros(l.cents[1])},
                    {"base_positions", format_positions(l.halves[0])},
                    {"base_euros", format_euros(l.cents[0])},
                    {"delta_positions", format_positions(l.halves[1] - l.halves[0])},
                    {"delta_euros", format_euros(static_cast<__int128>(l.cents[1]) - l.cents[0])}});
  }
  j["recipients"] = rows;
  j["comparison"] = compare_json(c, runs);
  // The report's diverging chart and its paradox wording, drawn by the report's own functions
  // from its compare island.
  const WhatIfFigures figures = whatif_figures(island);
  j["lang"] = std::string(lang_code(lang));
  j["chart_svg"] = figures.diverging_svg;
  j["paradox_flags"] = figures.paradoxes;
  j["controls"] = b.controls;  // this year's values, ranges and steps
  return j;
  });
}

/// The trace of one recipient under the patch, as `kimsim explain` of the patched scenario.
json explain_patched(const WhatIf::Base& b, const Patch& p, const json& request) {
  if (!request.contains("ags") || !request["ags"].is_string())
    throw ApiError{422, "body.ags", "expected the AGS of a recipient as a string", "e.g. \"05978\""};
  const std::string ags = request["ags"].get<std::string>();
  const Regions& regions = b.loaded.regions;
  const auto it = std::find_if(regions.list.begin(), regions.list.end(), [&](const Region& r) { return r.ags == ags; });
  if (it == regions.list.end()) throw ApiError{404, "body.ags", "no region has the AGS '" + ags + "'", "the recipients' AGS are in /api/evaluate's answer"};
  std::optional<std::string> baustein;
  if (request.contains("baustein")) {
    if (!request["baustein"].is_string()) throw ApiError{422, "body.baustein", "expected a Baustein id as a string", "e.g. \"B2\""};
    baustein = request["baustein"].get<std::string>();
    // Checked here, in the API's words (explain() would name the command line's --baustein).
    const auto& bs = b.loaded.scenario.bausteine;
    if (std::none_of(bs.begin(), bs.end(), [&](const Baustein& x) { return x.id == *baustein; })) {
      std::vector<std::string> ids;
      for (const Baustein& x : bs) ids.push_back(x.id);
      throw ApiError{422, "body.baustein", "no Baustein of " + b.name + " has the id '" + *baustein + "'" + did_you_mean(*baustein, ids),
                     "the Bausteine are " + comma_list(ids)};
    }
  }
  evaluate(b, p);  // refuses a patch the rules cannot satisfy with the same message as evaluate
  LoadedScenario ls = b.loaded;
  ls.scenario = patched_scenario(b.loaded.scenario, p.slots, p.values, true);
  const Plan plan(ls.scenario, ls.regions);
  try {
    const Explanation e = explain(ls, plan, static_cast<std::size_t>(it - regions.list.begin()), baustein);
    json j = header(b);
    j["explain"] = explain_json(ls, e);
    return j;
  } catch (const InputError& e) {
    throw ApiError{422, "body.ags", e.what(), "see the recipient's Bausteine in /api/evaluate's answer"};
  }
}

/// The patch as a variant file for the served folder's variants/ (its `extends` resolves from
/// there), recording the base's SHA-256: `kimsim run` of it allocates as evaluate() does.
std::string variant_yaml(const WhatIf::Base& b, const Patch& p, const std::string& name, bool own_year) {
  const Scenario& s = b.loaded.scenario;
  const Scenario patched = patched_scenario(s, p.slots, p.values);
  std::string assumption;
  for (std::size_t i = 0; i < p.slots.size(); ++i)
    assumption += (i ? "; " : "") + p.slots[i].path + " = " + value_text(p.slots[i], p.values[i]);
  std::string o = fmt::format("# A what-if of {0} saved by kimsim serve {1}, for the folder variants/ beside {0}.yaml.\n"
                              "# Base: {0}.yaml, SHA-256 {2}\n"
                              "# Reproduce: kimsim run variants/{3}.yaml ({4}; --year {5} gives the same)\n"
                              "extends: ../{0}.yaml\nscenario: {3}\n",
                              b.name, kVersion, b.sha256, name,
                              own_year ? fmt::format("the year {} of its base", s.year) : fmt::format("its year {} is written here", s.year), s.year);
  // Another year than the base's own: the variant names it, so that a plain `kimsim run` of it
  // settles the dated values for that year as the server did.
  if (!own_year) o += fmt::format("year: {}\n", s.year);
  if (!assumption.empty()) o += fmt::format("assumptions:\n  - {}\n", json("[A] what-if: " + assumption).dump());
  // A budget changed anywhere changes the total: the total and every Baustein's budget are written,
  // as the reader checks that they add up.
  const bool budgets = std::any_of(p.slots.begin(), p.slots.end(), [](const Slot& sl) {
    return sl.kind == SlotKind::budget || sl.kind == SlotKind::total_budget;
  });
  if (budgets) o += fmt::format("budget_eur: {}\n", format_euros(patched.budget));
  std::vector<std::string> removed;
  for (std::size_t i = 0; i < p.slots.size(); ++i)
    if (p.slots[i].kind == SlotKind::pass_through && p.values[i] == 0)
      removed.push_back("bausteine[" + s.bausteine[p.slots[i].baustein].id + "].pass_through");
  if (!removed.empty()) {
    o += "remove:\n";
    for (const auto& r : removed) o += "  - " + r + "\n";
  }
  std::string bausteine;
  for (std::size_t bi = 0; bi < s.bausteine.size(); ++bi) {
    const std::string prefix = "bausteine[" + s.bausteine[bi].id + "].";
    std::string top;                                 // keys of the Baustein itself
    std::map<std::string, std::string> rule;         // rule block -> its lines
    std::map<std::string, std::map<std::string, std::string>> keys;  // rule block -> the whole key
    if (budgets) top += "    budget_eur: " + format_euros(patched.bausteine[bi].budget) + "\n";
    for (std::size_t i = 0; i < p.slots.size(); ++i) {
      const Slot& sl = p.slots[i];
      if (sl.kind == SlotKind::total_budget || sl.baustein != bi || sl.kind == SlotKind::budget || sl.kind == SlotKind::pass_through)
        continue;
      const std::string rest = sl.path.substr(prefix.size());  // "rate_per_vza_eur", "positions_by_key.min_vza", ...
      const auto dot = rest.find('.');
      if (dot == std::string::npos) {
        top += "    " + rest + ": " + value_text(sl, p.values[i]) + "\n";
      } else if (sl.kind == SlotKind::key_weight) {
        // A variant's key replaces the base's whole key: every term is written, the patched ones
        // with their new weight.
        const std::string block = rest.substr(0, dot), key_path = prefix + block + ".key.";
        auto& terms = keys[block];
        for (const std::string& path : patchable_paths(s)) {
          if (path.rfind(key_path, 0) != 0) continue;
          std::string why;
          const auto term = resolve_slot(s, path, why);
          if (term && !terms.count(path.substr(key_path.size())))
            terms[path.substr(key_path.size())] = value_text(*term, base_value(s, *term).value_or(0));
        }
        terms[rest.substr(dot + 5)] = value_text(sl, p.values[i]);
      } else {
        rule[rest.substr(0, dot)] += "      " + rest.substr(dot + 1) + ": " + value_text(sl, p.values[i]) + "\n";
      }
    }
    for (const auto& [block, terms] : keys) {
      std::string line;
      for (const auto& [indicator, weight] : terms) line += (line.empty() ? "" : ", ") + indicator + ": " + weight;
      rule[block] += "      key: {" + line + "}\n";
    }
    if (top.empty() && rule.empty()) continue;
    bausteine += "  - id: " + s.bausteine[bi].id + "\n" + top;
    for (const auto& [block, lines] : rule) bausteine += "    " + block + ":\n" + lines;
  }
  if (!bausteine.empty()) o += "bausteine:\n" + bausteine;
  return o;
}

/// A scenario's name as a client may give it: letters, digits, '-', '_' and '.', no "..", no
/// leading '.': it names a file of the served folder (or its variants/) and nothing else.
bool plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 100 && name[0] != '.' &&
         std::all_of(name.begin(), name.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
         }) &&
         name.find("..") == std::string::npos;
}

/// The names of the folder's *.yaml files, sorted ({} where it cannot be read, with `ec` set).
std::vector<std::string> yaml_names(const fs::path& folder, std::error_code& ec) {
  std::vector<std::string> names;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".yaml") names.push_back(it->path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string WhatIf::reopen(const std::string& name) const {
  if (!plain_name(name))
    throw ApiError{404, "body.variant", "'" + name + "' is not a variant name of the served folder's variants/",
                   "GET /api/scenarios lists them under \"variants\""};
  const fs::path dir = folder_ / "variants", file = dir / (name + ".yaml");
  std::error_code ec, dir_ec, root_ec;
  const fs::path real = fs::canonical(file, ec), real_dir = fs::canonical(dir, dir_ec), root = fs::canonical(folder_, root_ec);
  // variants/ itself must be a folder of the served folder, not a link that leads elsewhere.
  if (ec || dir_ec || root_ec || !fs::is_regular_file(real) || real.parent_path() != real_dir || real_dir.parent_path() != root)
    throw ApiError{404, "body.variant", "no variant '" + name + "' in the served folder's variants/", "GET /api/scenarios lists them"};
  LoadedScenario v;
  try {
    v = load_scenario(real.string());
  } catch (const InputError& e) {
    throw ApiError{422, "body.variant", std::string("the variant does not load: ") + e.what(), "kimsim validate " + file.string()};
  }
  // Its base: the scenario it extends, a file of the served folder itself.
  std::error_code base_ec;
  const fs::path parent = v.chain > 1 ? fs::canonical(v.inputs.at(1), base_ec) : fs::path();
  if (v.chain < 2 || base_ec || parent.parent_path() != root || parent.extension() != ".yaml")
    throw ApiError{422, "body.variant", "the variant " + name + " extends no scenario of the served folder",
                   "a saved what-if extends ../BASE.yaml; open other scenarios with kimsim run"};
  const std::string base_name = parent.stem().string();
  const auto own = base(base_name);
  const int year = v.scenario.year;
  const auto b = base(base_name, year == own->loaded.scenario.year ? std::nullopt : std::optional<int>(year));
  // Its numbers that differ from the base's, at the paths the controls patch. Budgets by
  // Baustein (the total follows them, and the two cannot both be patched).
  const Scenario &bs = b->loaded.scenario, &vs = v.scenario;
  std::vector<std::string> paths = patchable_paths(bs);
  for (std::string& q : patchable_paths(vs))
    if (std::find(paths.begin(), paths.end(), q) == paths.end()) paths.push_back(std::move(q));
  json patch = json::object();
  for (const std::string& q : paths) {
    std::string why;
    const auto in_base = resolve_slot(bs, q, why), in_variant = resolve_slot(vs, q, why);
    if (!in_base || in_base->kind == SlotKind::total_budget) continue;
    // What the variant removed: a key's term weighs 0 (the key divides by its weights' sum), a
    // pass-through is off. Other values it lacks it cannot have set.
    const bool zero_if_absent = in_base->kind == SlotKind::key_weight || in_base->kind == SlotKind::pass_through;
    if (!in_variant && !zero_if_absent) continue;
    const auto was = base_value(bs, *in_base);
    const auto now = in_variant ? base_value(vs, *in_variant) : std::optional<std::int64_t>(0);
    if (now && was != now) patch[q] = value_text(*in_base, *now);
  }
  // The patch must give the variant's own allocation: a variant that changes more than the
  // controls reach (another key's indicators, a rule, the data) is refused, not shown wrongly.
  const Patch p = read_patch(*b, json{{"patch", patch}});
  const Allocation mine = allocate(vs, v.regions);
  const bool same = with_comparison(*b, p, Lang::de, [&](const Allocation& a, const Comparison&, const std::vector<ComparedRun>&, const json&) {
    if (a.rows.size() != mine.rows.size() || a.totals.size() != mine.totals.size()) return false;
    for (std::size_t i = 0; i < a.rows.size(); ++i)
      if (a.rows[i].region != mine.rows[i].region || a.rows[i].baustein != mine.rows[i].baustein ||
          a.rows[i].halves != mine.rows[i].halves || a.rows[i].cents != mine.rows[i].cents)
        return false;
    for (std::size_t i = 0; i < a.totals.size(); ++i)
      if (a.totals[i].allocated != mine.totals[i].allocated || a.totals[i].halves != mine.totals[i].halves) return false;
    return true;
  });
  if (!same)
    throw ApiError{422, "body.variant",
                   "the variant " + name + " changes more of " + base_name + " than the page's controls reach (the patch of its numbers " +
                       patch.dump() + " allocates otherwise)",
                   "run it with: kimsim run " + file.string()};
  json j = header(*b);
  j["variant"] = name;
  j["patch"] = patch;
  return json_text(j);
}

std::string_view allowed_method(std::string_view path) {
  for (std::string_view get : {"/", "/index.html", "/api/scenarios"})
    if (path == get) return "GET";
  for (std::string_view post : {"/api/evaluate", "/api/explain", "/api/variant", "/api/report", "/api/reopen"})
    if (path == post) return "POST";
  return "";
}

WhatIf::WhatIf(fs::path folder) : folder_(std::move(folder)) {}
WhatIf::~WhatIf() = default;

std::shared_ptr<const WhatIf::Base> WhatIf::base(const std::string& name, std::optional<int> year) const {
  // By name alone, from the served folder: no client-given path reaches the file system.
  if (!plain_name(name))
    throw ApiError{404, "body.scenario", "'" + name + "' is not a scenario name of the served folder",
                   "a name has letters, digits, '-', '_' and '.', no '/' or '..'; GET /api/scenarios lists them"};
  const fs::path file = folder_ / (name + ".yaml");
  // The entry of `key`, made where there is none yet (only for a name and a year already checked,
  // so that requests cannot grow the map).
  const auto entry = [&](const std::string& key, bool make) -> std::shared_ptr<Entry> {
    const std::lock_guard lock(mutex_);
    const auto it = bases_.find(key);
    if (it != bases_.end()) return it->second;
    return make ? bases_.emplace(key, std::make_shared<Entry>()).first->second : nullptr;
  };
  // Built by the first request that needs it, while the others that need it wait; a scenario
  // that does not load is tried again by the next request.
  const auto build = [&](Entry& e, std::optional<int> y) {
    std::call_once(e.once, [&] {
      LoadOptions options;
      options.year = y;
      try {
        e.base = std::make_shared<const Base>(load_scenario(file.string(), options), name);
      } catch (const InputError& err) {
        throw ApiError{422, y ? "body.year" : "body.scenario", std::string("the scenario does not load: ") + err.what(),
                       "kimsim validate " + file.string() + (y ? " --year " + std::to_string(*y) : "")};
      }
    });
    return e.base;
  };
  std::shared_ptr<Entry> own = entry(name, false);
  if (!own) {
    std::error_code ec, root_ec;
    const fs::path real = fs::canonical(file, ec), root = fs::canonical(folder_, root_ec);
    if (root_ec)
      throw ApiError{503, "body.scenario", "the served folder " + folder_.string() + " cannot be read: " + root_ec.message(),
                     "restore the folder, or restart kimsim serve with another"};
    // A link may not lead out of the folder.
    if (ec || !fs::is_regular_file(real) || real.parent_path() != root)
      throw ApiError{404, "body.scenario", "no scenario '" + name + "' in the served folder", "GET /api/scenarios lists them"};
    own = entry(name, true);
  }
  const std::shared_ptr<const Base> b = build(*own, std::nullopt);
  const Scenario& s = b->loaded.scenario;
  if (!year || *year == s.year) return b;
  const auto [first, last] = s.years.value_or(std::pair{s.year, s.year});
  if (*year < first || *year > last)
    throw ApiError{422, "body.year",
                   first == last ? fmt::format("the scenario {} is of the year {} alone, not {}", name, first, *year)
                                 : fmt::format("the scenario {} covers the years {} to {}, not {}", name, first, last, *year),
                   first == last ? "its file declares no other years (years: [FIRST, LAST])"
                                 : fmt::format("choose a year from {} to {} (GET /api/scenarios lists them)", first, last)};
  return build(*entry(name + "@" + std::to_string(*year), true), *year);
}

ApiResponse WhatIf::handle(std::string_view method, std::string_view target, std::string_view body) const {
  const std::string_view path = target.substr(0, target.find('?'));
  try {
    const auto expect = [&] {
      const std::string_view m = allowed_method(path);
      if (method != m)
        throw ApiError{405, std::string(path), fmt::format("{} takes {}, not {}", path, m, method), ""};
    };
    if (path == "/" || path == "/index.html") {
      expect();
      return {200, std::string(whatif_page()), "text/html; charset=utf-8"};
    }
    if (path == "/api/scenarios") {
      expect();
      std::error_code ec, variants_ec;
      const std::vector<std::string> names = yaml_names(folder_, ec);
      if (ec)
        throw ApiError{503, "scenarios", "the served folder " + folder_.string() + " cannot be read: " + ec.message(),
                       "restore the folder, or restart kimsim serve with another"};
      json list = json::array();
      for (const std::string& name : names) {
        json j = {{"name", name}};
        try {
          const auto b = base(name);
          j["scenario_sha256"] = b->sha256;
          j["inputs"] = b->inputs;
          const Scenario& sc = b->loaded.scenario;
          j["year"] = sc.year;  // the default
          const auto [first, last] = sc.years.value_or(std::pair{sc.year, sc.year});
          j["years"] = json::array();
          for (int y = first; y <= last; ++y) j["years"].push_back(y);
          j["budget_eur"] = format_euros(b->loaded.scenario.budget);
          j["bausteine"] = json::array();
          for (const auto& bs : b->loaded.scenario.bausteine) j["bausteine"].push_back(bs.id);
          j["controls"] = b->controls;
        } catch (const ApiError& e) {
          j["error"] = e.message;  // listed, so that the planner sees why it cannot be picked
        }
        list.push_back(std::move(j));
      }
      // The saved variants a planner may reopen (POST /api/reopen); none where variants/ is absent.
      const std::vector<std::string> variants = yaml_names(folder_ / "variants", variants_ec);
      return {200, json_text(json{{"kimsim_version", kVersion}, {"ranges", kRangesWhy}, {"scenarios", list}, {"variants", variants}})};
    }
    if (path == "/api/evaluate" || path == "/api/explain") {
      expect();
      const bool explaining = path == "/api/explain";
      const json request = parse_body(body);
      check_fields(request, explaining ? std::vector<std::string>{"scenario", "year", "patch", "ags", "baustein"}
                                       : std::vector<std::string>{"scenario", "year", "patch", "lang"});
      const Lang lang = explaining ? Lang::de : lang_of(request);
      const auto b = base(request["scenario"].get<std::string>(), year_of(request));
      const Patch p = read_patch(*b, request);
      return {200, json_text(explaining ? explain_patched(*b, p, request) : evaluate(*b, p, lang))};
    }
    if (path == "/api/reopen") {
      expect();
      const json request = parse_body(body);
      check_fields(request, {"variant"}, false);
      if (!request.contains("variant") || !request["variant"].is_string())
        throw ApiError{422, "body.variant", "expected the name of a saved variant as a string", "GET /api/scenarios lists them under \"variants\""};
      return {200, reopen(request["variant"].get<std::string>())};
    }
    if (path == "/api/report") {
      // The report of the comparison, as `kimsim compare` writes it (German by default): the
      // what-if's report.html to keep beside its saved variant.
      expect();
      const json request = parse_body(body);
      check_fields(request, {"scenario", "year", "patch", "lang"});
      const auto b = base(request["scenario"].get<std::string>(), year_of(request));
      const Patch p = read_patch(*b, request);
      std::string html = with_comparison(*b, p, lang_of(request), [](const Allocation&, const Comparison&,
                                                                      const std::vector<ComparedRun>&, const json& island) {
        return report_html(island);
      });
      return {200, std::move(html), "text/html; charset=utf-8"};
    }
    if (path == "/api/variant") {
      expect();
      const json request = parse_body(body);
      check_fields(request, {"scenario", "year", "patch", "name"});
      const auto own = base(request["scenario"].get<std::string>());
      const auto b = base(request["scenario"].get<std::string>(), year_of(request));
      const Patch p = read_patch(*b, request);
      evaluate(*b, p);  // a patch the rules refuse is not saved
      const bool own_year = b->loaded.scenario.year == own->loaded.scenario.year;
      std::string name = b->name + (own_year ? "" : "-" + std::to_string(b->loaded.scenario.year)) + "-whatif";
      if (request.contains("name")) {
        const json& n = request["name"];
        const std::string text = n.is_string() ? n.get<std::string>() : "";
        if (text.empty() || text.size() > 100 || !std::all_of(text.begin(), text.end(), [](char ch) {
              return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
            }))
          throw ApiError{422, "body.name", "expected a scenario name of letters, digits, '-' and '_'", "e.g. \"b2-rate-57000\""};
        name = text;
      }
      json j = header(*b);
      j["file"] = "variants/" + name + ".yaml";
      j["yaml"] = variant_yaml(*b, p, name, own_year);
      return {200, json_text(j)};
    }
    throw ApiError{404, std::string(path), "no such endpoint",
                   "GET /api/scenarios, POST /api/evaluate, POST /api/explain, POST /api/variant, POST /api/report, POST /api/reopen"};
  } catch (const ApiError& e) {
    return {e.status, json_text(error_body(e))};
  } catch (const std::exception& e) {
    // A fault of the server, not of the request: answered, and the server keeps serving.
    return {500, json_text(error_body({500, std::string(path), std::string("internal error: ") + e.what(), "please report it with the request"}))};
  }
}

}  // namespace kimsim::io
