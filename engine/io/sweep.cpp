// `kimsim sweep`: reading the sweep file, its designs, the loop over points and the outputs. The
// definitions are in io/sweep.hpp; the README states them for users.
#include "io/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include "io/csv.hpp"
#include "io/input.hpp"
#include "io/sha256.hpp"
#include "io/suggest.hpp"
#include "io/text.hpp"
#include "io/yaml_reader.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/format.hpp"
#include "kimsim/simulation.hpp"
#include "sim/accumulators.hpp"
#include "sim/points.hpp"

namespace kimsim::io {

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::positions: return "positions";
    case Metric::unallocated_eur: return "unallocated_eur";
    case Metric::gini_eur_per_inhabitant: return "gini_eur_per_inhabitant";
    case Metric::max_min_ratio: return "max_min_ratio";
    case Metric::paradoxes: return "paradoxes";
  }
  return "?";
}

namespace {

constexpr Metric kMetrics[] = {Metric::positions, Metric::unallocated_eur, Metric::gini_eur_per_inhabitant, Metric::max_min_ratio,
                               Metric::paradoxes};

/// CPU seconds of one deterministic point of the KIM NRW 2021 baseline with every metric, from
/// the benchmark (BM_SweepPoint/kim_nrw_2021/metrics: 5.3-5.6 µs idle, up to 9.5 µs on the busy
/// shared VM, results/bench/perf.md § 9-10), rounded up: the estimate printed before a sweep runs.
/// (It also enters ChunkPlan::for_units, which cuts chunks smaller only from 2 ms a unit.)
constexpr double kPointSeconds = 10e-6;

/// SplitMix64 (Steele, Lea and Flood 2014): the designs' random numbers, a pure function of the
/// seed and the position, the same on every machine.
std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
/// A uniform number in [0, 1) from 53 random bits.
double unit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// Sobol' direction numbers of S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better
// two-dimensional projections", SIAM J. Sci. Comput. 30 (2008) 2635-2654: the first 20 rows
// (dimensions 2 to 21) of their file new-joe-kuo-6.21201
// (https://web.maths.unsw.edu.au/~fkuo/sobol/), as d, s, a, m_1 .. m_s. Dimension 1 has every
// m = 1.
struct Direction {
  unsigned s, a;
  unsigned m[7];
};
constexpr Direction kJoeKuo[] = {
    {1, 0, {1}},          {2, 1, {1, 3}},          {3, 1, {1, 3, 1}},          {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}}, {4, 4, {1, 3, 5, 13}},   {5, 2, {1, 1, 5, 5, 17}},   {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}}, {5, 11, {1, 1, 5, 1, 1}}, {5, 13, {1, 1, 1, 3, 11}}, {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}}, {6, 13, {1, 1, 1, 15, 21, 21}}, {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}}, {6, 22, {1, 3, 1, 15, 13, 25}}, {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}}, {7, 4, {1, 3, 7, 13, 13, 15, 69}}};
static_assert(std::size(kJoeKuo) + 1 == SweepLimits::sobol_dimensions);

/// The 32 direction numbers V_0 .. V_31 of dimension d (0-based), scaled to 32 bits.
std::array<std::uint32_t, 32> directions(std::size_t d) {
  std::array<std::uint32_t, 32> v{};
  if (d == 0) {
    for (unsigned k = 0; k < 32; ++k) v[k] = 1u << (31 - k);
    return v;
  }
  const Direction& j = kJoeKuo[d - 1];
  for (unsigned k = 0; k < 32; ++k) {
    if (k < j.s) {
      v[k] = j.m[k] << (31 - k);
      continue;
    }
    std::uint32_t x = v[k - j.s] ^ (v[k - j.s] >> j.s);
    for (unsigned l = 1; l < j.s; ++l)
      if ((j.a >> (j.s - 1 - l)) & 1u) x ^= v[k - l];
    v[k] = x;
  }
  return v;
}

/// num / den rounded to the nearest whole number, halves away from zero (den > 0).
__int128 rounded_div(__int128 num, __int128 den) {
  return num >= 0 ? (2 * num + den) / (2 * den) : -((-2 * num + den) / (2 * den));
}

/// num / den with `decimals` decimals, rounded half away from zero: "0.123456789".
std::string fixed(__int128 num, std::int64_t den, int decimals) {
  __int128 scale = 1;
  for (int k = 0; k < decimals; ++k) scale *= 10;
  const __int128 q = rounded_div(num * scale, den);
  const bool minus = q < 0;
  const __int128 a = minus ? -q : q;
  std::string whole = std::to_string(static_cast<std::uint64_t>(a / scale));
  std::string frac = std::to_string(static_cast<std::uint64_t>(a % scale));
  frac.insert(0, static_cast<std::size_t>(decimals) - frac.size(), '0');
  return (minus ? "-" : "") + whole + (decimals ? "." + frac : "");
}

/// A value of `slot` written in the sweep file, read as the scenario reader reads that key;
/// nullopt (the error recorded) where it is not one.
std::optional<std::int64_t> read_value(Reader& rd, const YAML::Node& n, const std::string& at, const Slot& slot) {
  const std::string_view kind = value_kind(slot.kind);
  std::optional<std::int64_t> v;
  if (kind == "money") {
    v = rd.amount(n, at);
  } else if (kind == "vza") {
    v = rd.vza(n, at);
  } else if (kind == "weight") {
    const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
    const auto scaled = d && d->decimals <= 12 ? scale_to(*d, 12, 9000 * static_cast<std::uint64_t>(kWeightScale)) : std::nullopt;
    if (!scaled) {
      rd.error(n, at, "expected a key weight such as 0.35 (non-negative, at most 12 decimals, at most 9000)" +
                          (n.IsScalar() && !d ? "; " + decimal_problem(n.Scalar()) : n.IsScalar() ? "" : ", " + Reader::got(n)));
      return std::nullopt;
    }
    v = static_cast<std::int64_t>(*scaled);
  } else if (kind == "method") {
    const std::string text = n.IsScalar() ? n.Scalar() : "";
    if (const auto m = parse_method(text)) return static_cast<std::int64_t>(*m);
    std::vector<std::string> names;
    for (const auto name : method_names()) names.emplace_back(name);
    rd.error(n, at, "unknown method '" + text + "'" + did_you_mean(text, names));
    return std::nullopt;
  } else {
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true" ? 1 : 0;
    rd.error(n, at, "expected true (pass-through as written) or false (switched off), " + Reader::got(n));
    return std::nullopt;
  }
  if (!v) return std::nullopt;
  if (const std::string why = value_problem(slot, *v); !why.empty()) {
    rd.error(n, at, slot.path + ": " + why);
    return std::nullopt;
  }
  return v;
}

/// "the nearest cent", "an even number of cents", ...: what a generated value is rounded to.
std::string grain_text(const Slot& slot) {
  if (slot.kind == SlotKind::rate) return "an even number of cents (half a position is whole cents)";
  const std::string_view kind = value_kind(slot.kind);
  if (kind == "money") return "the cent";
  if (kind == "vza") return "0.5 VZÄ";
  return "12 decimals";
}

std::string where_of(const YAML::Node& n, const std::string& file) {
  const YAML::Mark m = n.Mark();
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

}  // namespace

std::vector<Slot> Sweep::slots() const {
  std::vector<Slot> out;
  for (const auto& p : parameters) out.push_back(p.slot);
  for (const auto& c : complements) out.push_back(c.slot);
  return out;
}

void Sweep::point(std::uint64_t i, std::vector<std::int64_t>& out) const {
  const std::size_t np = parameters.size();
  out.resize(np + complements.size());
  if (design == Design::grid) {
    // The first parameter changes slowest, as nested loops in the order written.
    for (std::size_t k = np; k-- > 0;) {
      const auto n = parameters[k].levels.size();
      out[k] = parameters[k].levels[i % n];
      i /= n;
    }
  } else {
    std::copy_n(table.begin() + static_cast<std::ptrdiff_t>(i * np), np, out.begin());
  }
  for (std::size_t c = 0; c < complements.size(); ++c) out[np + c] = kWeightScale - out[complements[c].of];
}

Sweep load_sweep(const std::string& path) {
  Sweep sw;
  sw.file = path;
  std::string text;
  try {
    text = read_input(path, std::uintmax_t{1} << 20, "for a sweep file (sweeps are short)");
  } catch (const InputError& e) {
    throw ScenarioError({e.what()});
  }
  if (auto problems = strict_yaml_problems(text, path); !problems.empty()) throw ScenarioError(problems);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError({path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg});
  }
  const std::string shape = "expected a mapping with the keys sweep, base, design, parameters";
  if (!root.IsMap()) throw ScenarioError({path + ":1:1: " + shape});
  sw.sha256 = sha256(text);
  MergedScenario doc;
  doc.root = root;
  doc.files.push_back({path, text});
  std::vector<std::string> errors;
  Reader rd(doc, errors);
  const std::vector<std::string> known = {"sweep", "base", "design", "points", "seed", "parameters", "complements", "replications",
                                          "metrics", "detail"};
  if (!rd.mapping(root, "", known, {"sweep", "base", "parameters"})) throw ScenarioError(errors);
  sw.name = rd.text(root, "", "sweep").value_or("");
  if (sw.name.empty() || sw.name == "." || sw.name == ".." || sw.name.size() > 200 || sw.name.find_first_of("/\\ ") != std::string::npos)
    rd.error(root["sweep"], "sweep", "the name is used as a folder name: 1 to 200 bytes, not '.' or '..', no spaces or slashes");
  sw.base_path = rd.text(root, "", "base").value_or("");
  if (root["base"] && root["base"].IsScalar() && sw.base_path.empty())
    rd.error(root["base"], "base", "expected the path of the base scenario, relative to this file, such as ../kim-nrw-2021.yaml");
  const std::string design = root["design"] ? rd.text(root, "", "design").value_or("grid") : "grid";
  if (design == "grid") sw.design = Design::grid;
  else if (design == "lhs") sw.design = Design::lhs;
  else if (design == "sobol") sw.design = Design::sobol;
  else rd.error(root["design"], "design", "unknown design '" + design + "'" + did_you_mean(design, std::vector<std::string>{"grid", "lhs", "sobol"}) +
                                          "; expected grid, lhs or sobol");
  if (root["points"]) {
    if (sw.design == Design::grid) rd.error(root["points"], "points", "a grid has the points its values give: points belongs to lhs and sobol");
    else sw.count = rd.whole(root["points"], "points", 1, SweepLimits::points, "a whole number from 1 to " + power_of_ten(SweepLimits::points)).value_or(0);
  } else if (sw.design != Design::grid) {
    rd.error(root, "", design + " needs points: how many points to sample");
  }
  if (root["seed"]) {
    if (sw.design == Design::grid) rd.error(root["seed"], "seed", "a grid draws nothing: seed belongs to lhs and sobol");
    else sw.seed = rd.seed(root["seed"], "seed").value_or(0);
  } else if (sw.design == Design::lhs) {
    rd.error(root, "", "lhs needs seed: the permutations are drawn from it");
  }
  sw.replications_where = root["replications"] ? where_of(root["replications"], path) + ": replications" : path;
  sw.detail_where = root["detail"] ? where_of(root["detail"], path) + ": detail" : path;
  if (root["replications"])
    sw.replications = rd.whole(root["replications"], "replications", 0, SimulationLimits::replications,
                               "0 (a deterministic allocation per point) or a number of replications up to " +
                                   power_of_ten(SimulationLimits::replications)).value_or(0);
  if (const YAML::Node ms = root["metrics"]) {
    std::vector<std::string> names;
    for (Metric m : kMetrics) names.emplace_back(metric_name(m));
    if (!ms.IsSequence() || ms.size() == 0) rd.error(ms, "metrics", "expected a list of metrics: " + comma_list(names));
    for (std::size_t i = 0; ms.IsSequence() && i < ms.size(); ++i) {
      const std::string at = "metrics[" + std::to_string(i) + "]";
      const std::string m = ms[i].IsScalar() ? ms[i].Scalar() : "";
      const auto it = std::find(names.begin(), names.end(), m);
      if (it == names.end()) rd.error(ms[i], at, "unknown metric '" + m + "'" + did_you_mean(m, names) + "; known: " + comma_list(names));
      else if (std::find(sw.metrics.begin(), sw.metrics.end(), kMetrics[it - names.begin()]) != sw.metrics.end())
        rd.error(ms[i], at, "'" + m + "' is listed twice");
      else sw.metrics.push_back(kMetrics[it - names.begin()]);
    }
  } else {
    sw.metrics.assign(std::begin(kMetrics), std::end(kMetrics));
  }
  if (const YAML::Node d = root["detail"]) {
    if (d.IsScalar() && (d.Scalar() == "true" || d.Scalar() == "false")) sw.detail = d.Scalar() == "true";
    else rd.error(d, "detail", "expected true or false, " + Reader::got(d));
  }
  if (sw.base_path.empty()) throw ScenarioError(errors.empty() ? std::vector<std::string>{path + ": base: missing"} : errors);

  // The base, relative to the sweep file's folder (as a variant's `extends`); the parameters are
  // checked against it, and every error of the file is listed, also those found above.
  const std::filesystem::path base = sw.base_path;
  const std::string base_file = base.is_absolute() ? base.string() : path_in(std::filesystem::path(path).parent_path(), base.string());
  try {
    sw.base = load_scenario(base_file);
  } catch (const ScenarioError& e) {
    errors.insert(errors.end(), e.errors().begin(), e.errors().end());
    throw ScenarioError(errors);
  }
  const Scenario& s = sw.base.scenario;

  // Parameters: each path resolved once to a slot, each value read as the scenario reader reads it.
  const YAML::Node ps = root["parameters"];
  std::vector<std::size_t> node_of;  // per parameter read: its entry in the list
  if (!ps.IsSequence() || ps.size() == 0)
    rd.error(ps, "parameters", "expected a list of parameters such as {path: \"bausteine[B2].rate_per_vza_eur\", values: [55000, 57000]}");
  for (std::size_t i = 0; ps.IsSequence() && i < ps.size(); ++i) {
    const YAML::Node p = ps[i];
    const std::string at = "parameters[" + std::to_string(i) + "]";
    if (!rd.mapping(p, at, {"path", "values", "range", "steps"}, {"path"})) continue;
    SweepParameter param;
    param.where = where_of(p, path);
    std::string why;
    const auto slot = resolve_slot(s, rd.text(p, at, "path").value_or(""), why);
    if (!slot) {
      rd.error(p["path"], at + ".path", why);
      continue;
    }
    param.slot = *slot;
    param.grain = slot->kind == SlotKind::rate ? 2 : 1;
    for (const auto& other : sw.parameters)
      if (other.slot.path == slot->path) rd.error(p["path"], at + ".path", "'" + slot->path + "' is swept twice (also at " + other.where + ")");
    const bool numeric = value_kind(slot->kind) != "method" && value_kind(slot->kind) != "switch";
    if (p["values"] && p["range"]) {
      rd.error(p, at, "give values or range, not both");
      continue;
    }
    if (const YAML::Node vs = p["values"]) {
      if (!vs.IsSequence() || vs.size() == 0) rd.error(vs, at + ".values", "expected a list of values");
      for (std::size_t k = 0; vs.IsSequence() && k < vs.size(); ++k)
        if (const auto v = read_value(rd, vs[k], at + ".values[" + std::to_string(k) + "]", *slot)) param.levels.push_back(*v);
      if (p["steps"]) rd.error(p["steps"], at + ".steps", "steps belongs to a range");
    } else if (const YAML::Node r = p["range"]) {
      if (!numeric) {
        rd.error(r, at + ".range", "a range needs numbers: list the values of " + slot->path + " instead");
        continue;
      }
      if (!r.IsSequence() || r.size() != 2) {
        rd.error(r, at + ".range", "expected [low, high]");
        continue;
      }
      const auto lo = read_value(rd, r[0], at + ".range[0]", *slot), hi = read_value(rd, r[1], at + ".range[1]", *slot);
      if (!lo || !hi) continue;
      if (*hi < *lo) {
        rd.error(r, at + ".range", "the low end is above the high end");
        continue;
      }
      param.range = {*lo, *hi};
      if (sw.design == Design::grid) {
        if (!p["steps"]) {
          rd.error(p, at, "a range of a grid needs steps: how many values from low to high");
          continue;
        }
        const auto steps = rd.whole(p["steps"], at + ".steps", 2, 1'000'000, "a whole number from 2 to 1000000");
        if (!steps) continue;
        bool exact = true;
        for (std::uint64_t k = 0; k < *steps; ++k) {
          const __int128 num = static_cast<__int128>(*hi - *lo) * static_cast<__int128>(k);
          const __int128 den = static_cast<__int128>(*steps - 1) * param.grain;
          const auto v = *lo + static_cast<std::int64_t>(rounded_div(num, den) * param.grain);
          exact = exact && (num % den == 0);
          param.levels.push_back(v);
        }
        if (!exact)
          sw.rounding.push_back(slot->path + ": the grid's " + std::to_string(*steps) + " steps from " + value_text(*slot, *lo) + " to " +
                                value_text(*slot, *hi) + " are rounded to " + grain_text(*slot));
      } else if (p["steps"]) {
        rd.error(p["steps"], at + ".steps", "steps belongs to a grid: " + design + " samples the range continuously");
      } else {
        sw.rounding.push_back(slot->path + ": values sampled from " + value_text(*slot, *lo) + " to " + value_text(*slot, *hi) +
                              " are rounded to " + grain_text(*slot));
      }
    } else {
      rd.error(p, at, "expected values or range");
      continue;
    }
    if (param.levels.empty() && !param.range) continue;
    sw.parameters.push_back(std::move(param));
    node_of.push_back(i);
  }
  // A Baustein's budget and the total cannot both be set: the total follows the Bausteine, and
  // the Bausteine follow the total.
  const auto total = std::find_if(sw.parameters.begin(), sw.parameters.end(), [](const auto& p) { return p.slot.kind == SlotKind::total_budget; });
  if (total != sw.parameters.end())
    for (std::size_t k = 0; k < sw.parameters.size(); ++k)
      if (sw.parameters[k].slot.kind == SlotKind::budget)
        rd.error(ps[node_of[k]]["path"], "parameters[" + std::to_string(node_of[k]) + "].path",
                 sw.parameters[k].slot.path + " and budget_eur (" + total->where +
                     ") are both swept: the total follows the Bausteine's budgets, or they follow it; sweep one of the two");
  if (const YAML::Node cs = root["complements"]) {
    if (!cs.IsSequence()) rd.error(cs, "complements", "expected a list of {path, complement_of}");
    for (std::size_t i = 0; cs.IsSequence() && i < cs.size(); ++i) {
      const std::string at = "complements[" + std::to_string(i) + "]";
      if (!rd.mapping(cs[i], at, {"path", "complement_of"}, {"path", "complement_of"})) continue;
      std::string why;
      const auto slot = resolve_slot(s, rd.text(cs[i], at, "path").value_or(""), why);
      if (!slot) {
        rd.error(cs[i]["path"], at + ".path", why);
        continue;
      }
      if (slot->kind != SlotKind::key_weight) {
        rd.error(cs[i]["path"], at + ".path", "a complement is a key weight (1 minus another one), not " + slot->path);
        continue;
      }
      const auto of_text = rd.text(cs[i], at, "complement_of");
      if (!of_text) continue;  // missing or not text: said by the reader
      const std::string of = *of_text;
      const auto p = std::find_if(sw.parameters.begin(), sw.parameters.end(), [&](const auto& x) { return x.slot.path == of; });
      if (p == sw.parameters.end() || p->slot.kind != SlotKind::key_weight) {
        std::vector<std::string> weights;
        for (const auto& x : sw.parameters)
          if (x.slot.kind == SlotKind::key_weight) weights.push_back(x.slot.path);
        rd.error(cs[i]["complement_of"], at + ".complement_of",
                 "'" + of + "' is no swept key weight" + did_you_mean(of, weights) + (weights.empty() ? "" : "; swept: " + comma_list(weights)));
        continue;
      }
      for (const auto& x : sw.parameters)
        if (x.slot.path == slot->path) rd.error(cs[i]["path"], at + ".path", "'" + slot->path + "' is swept (at " + x.where + ") and complemented");
      // 1 minus the other weight must be a weight the reader accepts at every value it takes.
      const std::int64_t highest = p->range ? p->range->second : *std::max_element(p->levels.begin(), p->levels.end());
      if (highest > kWeightScale)
        rd.error(cs[i]["complement_of"], at + ".complement_of",
                 "1 minus " + of + " is negative where it exceeds 1 (it goes up to " + value_text(p->slot, highest) + ")");
      sw.complements.push_back({*slot, static_cast<std::size_t>(p - sw.parameters.begin()), where_of(cs[i], path)});
    }
  }
  if (!errors.empty()) throw ScenarioError(errors);

  // The points.
  if (sw.design == Design::grid) {
    double n = 1;
    for (const auto& p : sw.parameters) n *= static_cast<double>(p.levels.size());
    if (n > static_cast<double>(SweepLimits::points))
      throw ScenarioError({path + ": parameters: the grid has " + fmt::format("{:.0f}", n) + " points; the limit is " +
                           power_of_ten(SweepLimits::points) + " (sweep.csv holds a row of each): use fewer values, or lhs or sobol with points:"});
    sw.count = static_cast<std::uint64_t>(n);
  } else {
    if (sw.design == Design::sobol && sw.parameters.size() > SweepLimits::sobol_dimensions)
      throw ScenarioError({path + ": parameters: sobol has direction numbers for " + std::to_string(SweepLimits::sobol_dimensions) +
                           " parameters (Joe and Kuo's first rows), not " + std::to_string(sw.parameters.size())});
    const std::size_t np = sw.parameters.size();
    sw.table.assign(sw.count * np, 0);
    for (std::size_t d = 0; d < np; ++d) {
      const SweepParameter& p = sw.parameters[d];
      // u in [0, 1) per point: Latin hypercube (one point per stratum of 1/N, the strata
      // permuted) or the Sobol' sequence in Gray-code order (Antonov-Saleev), digitally shifted
      // by the seed where one is given.
      std::vector<double> u(sw.count);
      if (sw.design == Design::lhs) {
        std::vector<std::uint64_t> perm(sw.count);
        std::iota(perm.begin(), perm.end(), 0);
        const std::uint64_t key = splitmix(sw.seed ^ splitmix(d + 1));
        for (std::uint64_t k = sw.count; k > 1; --k) std::swap(perm[k - 1], perm[splitmix(key + k) % k]);
        for (std::uint64_t k = 0; k < sw.count; ++k)
          u[k] = (static_cast<double>(perm[k]) + unit(splitmix(key ^ splitmix(k + 0x5eed)))) / static_cast<double>(sw.count);
      } else {
        const auto v = directions(d);
        const std::uint32_t shift = sw.seed ? static_cast<std::uint32_t>(splitmix(sw.seed ^ splitmix(d + 1)) >> 32) : 0;
        for (std::uint64_t k = 0; k < sw.count; ++k) {
          const std::uint64_t g = k ^ (k >> 1);
          std::uint32_t x = 0;
          for (unsigned b = 0; b < 32 && (g >> b); ++b)
            if ((g >> b) & 1u) x ^= v[b];
          u[k] = static_cast<double>(x ^ shift) * 0x1.0p-32;
        }
      }
      for (std::uint64_t k = 0; k < sw.count; ++k) {
        std::int64_t value;
        if (p.range) {
          const double steps = static_cast<double>((p.range->second - p.range->first) / p.grain);
          value = p.range->first + static_cast<std::int64_t>(std::floor(u[k] * steps + 0.5)) * p.grain;
        } else {
          // A list of values: equally likely levels.
          const auto n = p.levels.size();
          value = p.levels[std::min<std::size_t>(n - 1, static_cast<std::size_t>(u[k] * static_cast<double>(n)))];
        }
        sw.table[k * np + d] = value;
      }
    }
  }
  return sw;
}

// ---------------------------------------------------------------------------------------------
// The points.

namespace {

/// What every point shares: the plan compiled once, the base's evaluation for the paradoxes.
struct SweepContext {
  const Sweep& sweep;
  std::vector<Slot> slots;
  Plan plan;
  Draft base;
  bool fairness = false, paradoxes = false;
  SimulationSpec spec;

  explicit SweepContext(const Sweep& s) : sweep(s), slots(s.slots()), plan(s.base.scenario, s.base.regions) {
    plan.evaluate({}, base);
    for (Metric m : s.metrics) {
      fairness = fairness || m == Metric::gini_eur_per_inhabitant || m == Metric::max_min_ratio;
      paradoxes = paradoxes || m == Metric::paradoxes;
    }
    spec = s.base.simulation.value_or(SimulationSpec{});
    spec.replications = s.replications;
  }
};

/// A thread's buffers, reused from one point to the next.
struct PointScratch {
  std::vector<std::int64_t> values;
  PatchedInputs inputs;
  Draft draft;
  PlanMetrics metrics;
  explicit PointScratch(const SweepContext& c) : metrics(c.plan, c.base) {}
};

void evaluate_point(const SweepContext& c, std::uint64_t i, PointScratch& t, PointResult& r) {
  const Sweep& sw = c.sweep;
  const Scenario& s = sw.base.scenario;
  const Regions& regions = sw.base.regions;
  sw.point(i, t.values);
  apply(s, c.slots, t.values, t.inputs);
  // The evaluation allocate() makes, read here without building its Allocation (rows of text).
  const PlanInputs in = t.inputs.inputs();
  c.plan.evaluate(in, t.draft);
  const Draft& d = t.draft;
  const auto& rows = c.plan.rows();
  r = PointResult{};
  for (std::size_t k = 0; k < rows.size(); ++k)
    if (d.present[k]) r.halves += d.halves[k];
  for (const Cents u : d.unallocated) r.unallocated += u;
  if (c.fairness && sw.replications == 0) {  // a Monte Carlo point takes them from its replications
    const PlanMetrics::Total f = t.metrics.total(d);  // fairness()'s "total": Kreis-level areas, all Bausteine
    if (f.gini_population) r.gini = std::llround(*f.gini_population * 1e9);
    if (f.max_min_ratio) r.ratio = std::llround(std::min(*f.max_min_ratio, 1e5) * 1e9);
  }
  if (c.paradoxes) r.paradoxes = static_cast<std::int64_t>(t.metrics.paradoxes(d, in.bausteine));
  if (sw.detail)
    for (std::size_t k = 0; k < rows.size(); ++k)
      if (d.present[k])
        r.detail += fmt::format("{},{},{},{},{}\n", i, regions.list[rows[k].region].ags, s.bausteine[rows[k].baustein].id,
                                format_positions(d.halves[k]), format_euros(d.cents[k]));
  if (sw.replications > 0) {
    // Monte Carlo: the simulation of the point on the streams of the base's seed, the same for
    // every point (common random numbers). Metrics of the first simulated year, summed over the
    // replications (the outputs write their means). Simulations read a Scenario: the base with
    // the point's values written in.
    const Scenario patched = patched_scenario(s, c.slots, t.values, true);
    const SimulationResult m = simulate(patched, regions, c.spec, 1);
    __int128 halves = 0, cents = 0;
    for (std::size_t k = 0; k < m.slots.size(); ++k)
      if (m.slots[k].year == 0) halves += m.stats[k].halves.sum, cents += m.stats[k].cents.sum;
    r.halves = static_cast<std::int64_t>(halves);
    r.unallocated = static_cast<std::int64_t>(static_cast<__int128>(m.budget.at(0)) * static_cast<__int128>(sw.replications) - cents);
    // Fairness: the mean in 1e-9 over the replications that measured it (StateStats::fair);
    // as a deterministic point's, a value, not a sum (a sum of capped ratios, 10^14 each, would
    // pass 64 bits after 92,000 replications). None measured: no value.
    if (const StateStats& st = m.state.at(0); c.fairness && st.fair.n > 0) {
      r.gini = static_cast<std::int64_t>(rounded_div(st.gini.sum, st.fair.n));
      r.ratio = static_cast<std::int64_t>(rounded_div(st.maxmin.sum, st.fair.n));
    }
  }
  r.ok = true;
}

}  // namespace

struct PointRunner::Impl {
  SweepContext context;
  int threads;
  std::vector<PointScratch> scratch;
  Impl(const Sweep& sweep, int t) : context(sweep), threads(t) {
    const auto n = static_cast<std::size_t>(loop_threads(t));
    scratch.reserve(n);
    for (std::size_t k = 0; k < n; ++k) scratch.emplace_back(context);
  }
};

PointRunner::PointRunner(const Sweep& sweep, int threads) : impl_(std::make_unique<Impl>(sweep, threads)) {}
PointRunner::~PointRunner() = default;

void PointRunner::run(std::uint64_t first, std::uint64_t count, bool fail_fast, std::span<PointResult> out) {
  Impl& m = *impl_;
  for_each_point(first, count, m.threads, [&](std::uint64_t i, int thread) {
    PointResult& r = out[i - first];
    try {
      evaluate_point(m.context, i, m.scratch[static_cast<std::size_t>(thread)], r);
    } catch (const InputError& e) {
      r = PointResult{};
      r.message = e.what();
      if (fail_fast) throw InputError(refused_point_message(i, r));
    }
    return true;
  });
}

std::string refused_point_message(std::uint64_t point, const PointResult& r) { return "point " + std::to_string(point) + ": " + r.message; }

void run_points(const Sweep& sweep, std::uint64_t first, std::uint64_t count, int threads, bool fail_fast,
                std::span<PointResult> out) {
  PointRunner(sweep, threads).run(first, count, fail_fast, out);
}

// The packed form of points' results: what a rank hands to the first and a checkpoint keeps.
// Little is assumed of the reader: every length is checked against the bytes there are.
namespace {
constexpr std::uint64_t kPointsMark = 0x4b494d5357503031;  // "KIMSWP01": the layout below
void put(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put(std::string& out, std::string_view text) {
  put(out, std::uint64_t{text.size()});
  out.append(text);
}
}  // namespace

std::string pack_points(std::span<const std::pair<std::uint64_t, const PointResult*>> points) {
  std::string out;
  put(out, kPointsMark);
  put(out, std::uint64_t{points.size()});
  for (const auto& [index, r] : points) {
    put(out, index);
    put(out, std::uint64_t{r->ok} | std::uint64_t{r->gini.has_value()} << 1 | std::uint64_t{r->ratio.has_value()} << 2);
    for (std::int64_t v : {r->halves, r->unallocated, r->gini.value_or(0), r->ratio.value_or(0), r->paradoxes})
      put(out, static_cast<std::uint64_t>(v));
    put(out, r->message);
    put(out, r->detail);
  }
  return out;
}

void unpack_points(std::string_view bytes, std::uint64_t points, const std::function<void(std::uint64_t, PointResult&&)>& each) {
  std::size_t at = 0;
  const auto word = [&]() {
    if (bytes.size() - at < sizeof(std::uint64_t)) throw Error("the points' results end early");
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  const auto text = [&]() {
    const std::uint64_t n = word();
    if (bytes.size() - at < n) throw Error("the points' results end early");
    std::string s(bytes.substr(at, n));
    at += n;
    return s;
  };
  if (bytes.empty()) return;  // a rank that ran nothing since the last meeting
  if (word() != kPointsMark) throw Error("not the points' results of this kimsim");
  const std::uint64_t n = word();
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::uint64_t index = word();
    if (index >= points) throw Error("a point's number beyond the sweep's");
    PointResult r;
    const std::uint64_t flags = word();
    r.ok = flags & 1;
    r.halves = static_cast<std::int64_t>(word());
    r.unallocated = static_cast<std::int64_t>(word());
    const auto gini = static_cast<std::int64_t>(word()), ratio = static_cast<std::int64_t>(word());
    if (flags & 2) r.gini = gini;
    if (flags & 4) r.ratio = ratio;
    r.paradoxes = static_cast<std::int64_t>(word());
    r.message = text();
    r.detail = text();
    each(index, std::move(r));
  }
  if (at != bytes.size()) throw Error("the points' results hold more bytes than their points");
}

double sweep_seconds(const Sweep& sw) {
  const LoadedScenario& ls = sw.base;
  const SimulationSpec spec = ls.simulation.value_or(SimulationSpec{});
  const double slots = static_cast<double>(ls.scenario.bausteine.size()) * static_cast<double>(ls.regions.list.size()) *
                       static_cast<double>(spec.years.empty() ? 1 : spec.years.size());
  const double per_point = kPointSeconds + (sw.replications ? replication_seconds(static_cast<double>(sw.replications), slots) : 0.0);
  return per_point * static_cast<double>(sw.count);
}

std::string sweep_problem(const Sweep& sw) {
  const double points = static_cast<double>(sw.count);
  if (sw.replications > 0) {
    const double total = points * static_cast<double>(sw.replications);
    if (total > static_cast<double>(SimulationLimits::replications))
      return fmt::format("{}: {} points x {} replications are {:.3g} replications, about {} of CPU time; the limit is {} replications "
                         "in all (as for simulate)",
                         sw.replications_where, sw.count, sw.replications, total, human_seconds(sweep_seconds(sw)), power_of_ten(SimulationLimits::replications));
  }
  if (sw.detail) {
    // About 40 bytes a row: "12,05978020,B2,1.0,55000.00\n".
    const double rows = points * static_cast<double>(Plan(sw.base.scenario, sw.base.regions).rows().size());
    const double bytes = rows * 40;
    if (bytes > SweepLimits::detail_bytes)
      return sw.detail_where + ": detail.csv would hold about " + fmt::format("{:.3g}", rows) + " rows, about " + human_bytes(bytes) + "; the limit is " +
             human_bytes(SweepLimits::detail_bytes) + " (the result is written as a whole from memory): set detail: false or sweep fewer points";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Outputs.

namespace {

std::int64_t divisor(const Sweep& sw) { return sw.replications ? static_cast<std::int64_t>(sw.replications) : 1; }

/// A metric of a point as written: exact for a deterministic point, the mean over the
/// replications (rounded half away from zero) for a Monte Carlo one; "" where it has none.
std::string metric_text(const Sweep& sw, const PointResult& r, Metric m) {
  const std::int64_t n = divisor(sw);
  switch (m) {
    case Metric::positions: return n == 1 ? format_positions(r.halves) : fixed(r.halves, 2 * n, 4);
    case Metric::unallocated_eur: return format_euros(static_cast<std::int64_t>(rounded_div(r.unallocated, n)));
    case Metric::gini_eur_per_inhabitant: return r.gini ? fixed(*r.gini, 1'000'000'000, 9) : "";  // a mean already
    case Metric::max_min_ratio: return r.ratio ? fixed(*r.ratio, 1'000'000'000, 9) : "";
    case Metric::paradoxes: return std::to_string(r.paradoxes);
  }
  return "";
}

/// A metric as a number for ranking and correlating (positions and money as sums: every point
/// has the same divisor; the indices as means).
std::optional<double> metric_value(const PointResult& r, Metric m) {
  switch (m) {
    case Metric::positions: return static_cast<double>(r.halves);
    case Metric::unallocated_eur: return static_cast<double>(r.unallocated);
    case Metric::gini_eur_per_inhabitant: return r.gini ? std::optional<double>(static_cast<double>(*r.gini)) : std::nullopt;
    case Metric::max_min_ratio: return r.ratio ? std::optional<double>(static_cast<double>(*r.ratio)) : std::nullopt;
    case Metric::paradoxes: return static_cast<double>(r.paradoxes);
  }
  return std::nullopt;
}

/// More is better for positions; less for the rest (money left, unequal, paradoxical).
bool more_is_better(Metric m) { return m == Metric::positions; }

/// Ranks 1..n with ties at their average rank.
std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

/// Spearman's rank correlation: Pearson's over the ranks; nullopt where either is constant.
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y) {
  const std::vector<double> a = ranks(x), b = ranks(y);
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  if (!(saa > 0) || !(sbb > 0)) return std::nullopt;
  return sab / std::sqrt(saa * sbb);
}

}  // namespace

std::string sweep_csv(const Sweep& sw, std::uint64_t first, std::span<const PointResult> results) {
  std::string out = "point";
  const std::vector<Slot> slots = sw.slots();
  for (const auto& s : slots) out += "," + csv_quote(s.path);
  out += ",status";
  for (Metric m : sw.metrics) out += "," + std::string(metric_name(m));
  out += ",message\n";
  std::vector<std::int64_t> values;
  for (std::size_t k = 0; k < results.size(); ++k) {
    const PointResult& r = results[k];
    sw.point(first + k, values);
    out += std::to_string(first + k);
    for (std::size_t j = 0; j < slots.size(); ++j) out += "," + value_text(slots[j], values[j]);
    out += r.ok ? ",ok" : ",refused";
    for (Metric m : sw.metrics) out += "," + (r.ok ? metric_text(sw, r, m) : std::string());
    out += "," + csv_quote(r.message) + "\n";
  }
  return out;
}

std::string detail_csv(std::span<const PointResult> results, bool header) {
  std::string out = header ? "point,ags,baustein,positions,euros\n" : "";
  for (const auto& r : results) out += r.detail;
  return out;
}

nlohmann::json sweep_summary(const Sweep& sw, std::span<const PointResult> results) {
  using nlohmann::json;
  const std::vector<Slot> slots = sw.slots();
  std::size_t ok = 0;
  for (const auto& r : results) ok += r.ok;
  json j;
  j["sweep"] = sw.name;
  j["base"] = sw.base.path;
  j["design"] = sw.design == Design::grid ? "grid" : sw.design == Design::lhs ? "lhs" : "sobol";
  j["points"] = results.size();
  j["ok"] = ok;
  j["refused"] = results.size() - ok;
  j["replications"] = sw.replications;
  j["metrics_are"] = sw.replications ? "means over the replications of the first simulated year, rounded half away from zero "
                                       "(the fairness indices over those in which some territory applied; none: no value)"
                                     : "exact for each point";
  j["rounding"] = sw.rounding;
  std::vector<std::int64_t> values;
  auto params = [&](std::uint64_t i) {
    sw.point(i, values);
    json p = json::object();
    for (std::size_t k = 0; k < slots.size(); ++k) p[slots[k].path] = value_text(slots[k], values[k]);
    return p;
  };
  json best = json::object();
  for (Metric m : sw.metrics) {
    std::optional<std::size_t> hi, lo;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto v = results[i].ok ? metric_value(results[i], m) : std::nullopt;
      if (!v) continue;
      if (!hi || *v > *metric_value(results[*hi], m)) hi = i;
      if (!lo || *v < *metric_value(results[*lo], m)) lo = i;
    }
    if (!hi) continue;
    const std::size_t b = more_is_better(m) ? *hi : *lo, w = more_is_better(m) ? *lo : *hi;
    best[std::string(metric_name(m))] = {
        {"best", {{"point", b}, {"value", metric_text(sw, results[b], m)}, {"parameters", params(b)}}},
        {"worst", {{"point", w}, {"value", metric_text(sw, results[w], m)}, {"parameters", params(w)}}}};
  }
  j["best_and_worst"] = best;
  // Which parameters move each metric most.
  json sens = json::object();
  if (sw.design == Design::grid) {
    sens["method"] = "main effect: the metric's mean over the points at each value of the parameter (the others at all theirs), "
                     "largest minus smallest";
  } else {
    sens["method"] = "Spearman rank correlation of the parameter's values with the metric over the points that allocate";
  }
  for (Metric m : sw.metrics) {
    json per = json::object();
    for (std::size_t d = 0; d < sw.parameters.size(); ++d) {
      std::vector<double> x, y;
      for (std::size_t i = 0; i < results.size(); ++i) {
        const auto v = results[i].ok ? metric_value(results[i], m) : std::nullopt;
        if (!v) continue;
        sw.point(i, values);
        x.push_back(static_cast<double>(values[d]));
        y.push_back(*v / static_cast<double>(divisor(sw)));
      }
      if (x.empty()) continue;
      if (sw.design == Design::grid) {
        std::map<double, std::pair<double, std::size_t>> at;  // value -> sum, count
        for (std::size_t i = 0; i < x.size(); ++i) at[x[i]].first += y[i], ++at[x[i]].second;
        double lo = 0, hi = 0;
        bool any = false;
        for (const auto& [v, sc] : at) {
          const double mean = sc.first / static_cast<double>(sc.second);
          lo = any ? std::min(lo, mean) : mean, hi = any ? std::max(hi, mean) : mean, any = true;
        }
        // In the metric's own unit: half positions as VZÄ, cents as EUR, 10^-9 as 1.
        const double unit = m == Metric::positions ? 2.0 : m == Metric::unallocated_eur ? 100.0 : m == Metric::paradoxes ? 1.0 : 1e9;
        per[sw.parameters[d].slot.path] = (hi - lo) / unit;
      } else if (const auto rho = spearman(x, y)) {
        per[sw.parameters[d].slot.path] = *rho;
      } else {
        per[sw.parameters[d].slot.path] = nullptr;
      }
    }
    sens[std::string(metric_name(m))] = per;
  }
  j["sensitivity"] = sens;
  if (sw.design == Design::grid) {
    // One at a time around the base: every other parameter at its value nearest the base's (the
    // middle one where the base has none), this one over all of its values; the metric's largest
    // minus its smallest value along that line, over the points that allocate.
    const std::size_t np = sw.parameters.size();
    std::vector<std::size_t> centre(np);
    for (std::size_t d = 0; d < np; ++d) {
      const auto& levels = sw.parameters[d].levels;
      centre[d] = levels.size() / 2;
      if (const auto b = base_value(sw.base.scenario, sw.parameters[d].slot))
        for (std::size_t l = 0; l < levels.size(); ++l)
          if (std::llabs(levels[l] - *b) < std::llabs(levels[centre[d]] - *b)) centre[d] = l;
    }
    const auto index = [&](const std::vector<std::size_t>& level) {
      std::uint64_t i = 0;
      for (std::size_t d = 0; d < np; ++d) i = i * sw.parameters[d].levels.size() + level[d];
      return i;
    };
    json oat = json::object();
    json at = json::object();
    for (std::size_t d = 0; d < np; ++d) at[sw.parameters[d].slot.path] = value_text(sw.parameters[d].slot, sw.parameters[d].levels[centre[d]]);
    oat["method"] = "one at a time around the base: each parameter over its values, the others at the values nearest the base's "
                    "(`at`); the metric's largest minus smallest value along that line, in the metric's unit";
    oat["at"] = at;
    for (Metric m : sw.metrics) {
      const double unit = m == Metric::positions ? 2.0 : m == Metric::unallocated_eur ? 100.0 : m == Metric::paradoxes ? 1.0 : 1e9;
      json per = json::object();
      for (std::size_t d = 0; d < np; ++d) {
        std::vector<std::size_t> level = centre;
        std::optional<double> lo, hi;
        for (std::size_t l = 0; l < sw.parameters[d].levels.size(); ++l) {
          level[d] = l;
          const PointResult& r = results[index(level)];
          const auto v = r.ok ? metric_value(r, m) : std::nullopt;
          if (!v) continue;
          lo = lo ? std::min(*lo, *v) : *v, hi = hi ? std::max(*hi, *v) : *v;
        }
        per[sw.parameters[d].slot.path] = lo ? json((*hi - *lo) / unit / static_cast<double>(divisor(sw))) : json(nullptr);
      }
      oat[std::string(metric_name(m))] = per;
    }
    j["one_at_a_time"] = oat;
  }
  return j;
}

std::string slice_csv(std::uint64_t first, std::span<const PointResult> results) {
  std::string out = "point,ok,halves,unallocated_cents,gini_nano,ratio_nano,paradoxes,message\n";
  for (std::size_t k = 0; k < results.size(); ++k) {
    const PointResult& r = results[k];
    out += fmt::format("{},{},{},{},{},{},{},{}\n", first + k, r.ok ? 1 : 0, r.halves, r.unallocated, r.gini ? std::to_string(*r.gini) : "",
                       r.ratio ? std::to_string(*r.ratio) : "", r.paradoxes, csv_quote(r.message));
  }
  return out;
}

std::vector<PointResult> parse_slice_csv(const std::string& text, const std::string& file, std::uint64_t first, std::uint64_t count) {
  const CsvTable t = parse_csv(text, file);
  if (t.rows.size() != count)
    throw InputError(file + ": holds " + std::to_string(t.rows.size()) + " points, its manifest says " + std::to_string(count));
  std::vector<PointResult> out(count);
  auto whole = [&](const CsvRow& row, std::size_t col) -> std::optional<std::int64_t> {
    const std::string& s = t.cell(row, col);
    if (s.empty()) return std::nullopt;
    const bool minus = s[0] == '-';
    const auto v = parse_count(minus ? s.substr(1) : s);
    if (!v) throw LocatedError(t.at(row, col), "expected a whole number, got '" + s + "'");
    return minus ? -*v : *v;
  };
  for (std::size_t k = 0; k < count; ++k) {
    const CsvRow& row = t.rows[k];
    if (whole(row, 0).value_or(-1) != static_cast<std::int64_t>(first + k))
      throw LocatedError(t.at(row, 0), "expected point " + std::to_string(first + k));
    PointResult& r = out[k];
    r.ok = whole(row, 1).value_or(0) == 1;
    r.halves = whole(row, 2).value_or(0);
    r.unallocated = whole(row, 3).value_or(0);
    r.gini = whole(row, 4);
    r.ratio = whole(row, 5);
    r.paradoxes = whole(row, 6).value_or(0);
    r.message = t.cell(row, 7);
  }
  return out;
}

}  // namespace kimsim::io
