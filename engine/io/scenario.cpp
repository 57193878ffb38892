#include "io/scenario.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "io/csv.hpp"
#include "io/suggest.hpp"

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
constexpr std::uint64_t kMaxYear = 9999;

/// Whether a data file is there; a name the system refuses (too long, no permission) is not.
bool file_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

/// Reads typed values out of YAML nodes, recording located errors instead of throwing, so that
/// one run reports every problem of a file.
class Reader {
 public:
  Reader(std::string file, std::vector<std::string>& errors) : file_(std::move(file)), errors_(errors) {}

  /// "file:line:column: path" of a node.
  std::string locate(const YAML::Node& at, const std::string& path) const {
    const YAML::Mark m = at.Mark();
    std::string where = file_;
    if (!m.is_null() && m.line >= 0)
      where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    return path.empty() ? where : where + ": " + path;
  }

  void error(const YAML::Node& at, const std::string& path, const std::string& what) {
    errors_.push_back(locate(at, path) + ": " + what);
  }

  /// Names that can only be checked against the data once it is loaded, with their places.
  struct Ref {
    std::string value, where;
  };
  std::vector<Ref> indicators, regions;
  void refer(std::vector<Ref>& to, const YAML::Node& n, const std::string& path) {
    if (n && n.IsScalar()) to.push_back({n.Scalar(), locate(n, path)});
  }
  void refer_all(std::vector<Ref>& to, const YAML::Node& seq, const std::string& path) {
    for (std::size_t i = 0; seq && seq.IsSequence() && i < seq.size(); ++i)
      refer(to, seq[i], path + "[" + std::to_string(i) + "]");
  }

  /// Checks that `map` is a mapping whose keys are all known and whose required keys are there.
  bool mapping(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known,
               const std::vector<std::string>& required) {
    if (!map.IsMap()) {
      error(map, path, "expected a mapping with the keys " + list(known));
      return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) {
        error(kv.first, path, "a key must be plain text");
        continue;
      }
      const std::string key = kv.first.Scalar();
      // yaml-cpp keeps the first of two equal keys silently; a hand-written file means the second.
      if (!seen.insert(key).second) error(kv.first, join(path, key), "duplicate key");
      if (std::find(known.begin(), known.end(), key) == known.end())
        error(kv.first, join(path, key), "unknown key" + did_you_mean(key, known) + "; expected one of " + list(known));
    }
    for (const auto& r : required)
      if (!map[r]) error(map, path, "missing key '" + r + "'");
    return true;
  }

  std::optional<std::string> text(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node n = map[key];
    if (!n) return std::nullopt;
    if (!n.IsScalar()) {
      error(n, join(path, key), "expected text");
      return std::nullopt;
    }
    return n.Scalar();
  }

  /// Money as written ("20000000", "22500000.00", "55_000"): exact cents, no floating point.
  std::optional<Cents> euros(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node n = map[key];
    if (!n) return std::nullopt;
    std::string s = n.IsScalar() ? n.Scalar() : "";
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    const auto d = parse_decimal(s);
    if (!n.IsScalar() || !d || d->decimals > 2 || d->digits > (std::uint64_t{1} << 50)) {
      error(n, join(path, key), "expected an amount in EUR with at most two decimals, such as 55000.00" +
                                    std::string(s.rfind('-', 0) == 0 ? " (amounts must not be negative)" : ""));
      return std::nullopt;
    }
    return static_cast<Cents>(*scale_to(*d, 2, std::uint64_t{1} << 62));
  }

  /// Positions in VZÄ as half positions: 3.5 -> 7; anything not a multiple of 0.5 is an error.
  std::optional<Halves> vza(const YAML::Node& n, const std::string& path) {
    const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
    if (d) {
      const auto tenths = scale_to(*d, 1, 1u << 30);
      if (d->decimals <= 1 && tenths && *tenths % 5 == 0) return static_cast<Halves>(*tenths / 5);
    }
    error(n, path, "expected a number of positions (VZÄ) in steps of 0.5, such as 3.5");
    return std::nullopt;
  }

  std::optional<double> number(const YAML::Node& n, const std::string& path) {
    const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
    if (!d) {
      error(n, path, "expected a non-negative number");
      return std::nullopt;
    }
    return static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
  }

  /// A whole number up to `max` (a year, a seed), exact: a double would lose a seed's low digits
  /// and cannot be converted back once out of the integer's range.
  std::optional<std::uint64_t> whole(const YAML::Node& n, const std::string& path, std::uint64_t max) {
    const auto d = n.IsScalar() ? parse_decimal(n.Scalar()) : std::nullopt;
    if (d && d->decimals == 0 && d->digits <= max) return d->digits;
    error(n, path, "expected a whole number from 0 to " + std::to_string(max));
    return std::nullopt;
  }

  std::optional<double> signed_number(const YAML::Node& n, const std::string& path) {
    if (n.IsScalar() && !n.Scalar().empty() && n.Scalar()[0] == '-') {
      const auto d = parse_decimal(n.Scalar().substr(1));
      if (d) return -static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
    }
    return number(n, path);
  }

  std::vector<std::string> strings(const YAML::Node& map, const std::string& path, const std::string& key) {
    std::vector<std::string> out;
    const YAML::Node n = map[key];
    if (!n) return out;
    if (!n.IsSequence()) {
      error(n, join(path, key), "expected a list");
      return out;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i].IsScalar()) out.push_back(n[i].Scalar());
      else error(n[i], join(path, key) + "[" + std::to_string(i) + "]", "expected text");
    }
    return out;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  const std::string& file() const { return file_; }
  bool clean() const { return errors_.empty(); }

 private:
  std::string file_;
  std::vector<std::string>& errors_;
};

const std::vector<std::string> kTypeNames = {"kreis", "kreisfreie_stadt", "gemeinde"};

std::optional<RegionType> parse_type(const std::string& s) {
  if (s == "kreis") return RegionType::kreis;
  if (s == "kreisfreie_stadt") return RegionType::kreisfreie_stadt;
  if (s == "gemeinde") return RegionType::gemeinde;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Regional data.

struct DataSpec {
  std::string kreise, gemeinden;
  struct Indicator {
    std::string file, key;
    std::string written;  // the path as the scenario writes it, for messages that must not depend on the checkout
    std::vector<std::pair<std::string, std::string>> columns;  // indicator name, CSV column
    std::string split_by;  // Kreis-level values split to Gemeinden by this indicator
  };
  std::vector<Indicator> indicators;
};

double read_number(const CsvTable& t, const CsvRow& row, std::size_t col) {
  const auto d = parse_decimal(t.cell(row, col));
  if (!d) throw LocatedError(t.at(row, col), "expected a non-negative number, got '" + t.cell(row, col) + "'");
  return static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
}

/// The 53 Kreise and kreisfreie Städte and the 396 Gemeinden, with population and area, plus the
/// indicator files. Flags: every Kreis-level unit runs a KI and an ABH; a große kreisangehörige
/// Stadt has its own ABH (gkst, abh); mittlere ones are mkst; Stadt Aachen runs its own KI (ki).
Regions load_regions(const DataSpec& spec, std::vector<std::string>& inputs) {
  Regions r;
  r.indicator_names = {"population", "area_km2"};
  std::vector<std::array<double, 2>> base;
  {
    const CsvTable t = read_csv(spec.kreise);
    inputs.push_back(spec.kreise);
    const auto ags = t.require("ags"), type = t.require("type"), name = t.require("name"),
               pop = t.require("population"), area = t.require("area_km2");
    for (const auto& row : t.rows) {
      Region reg;
      reg.ags = t.cell(row, ags);
      reg.name = t.cell(row, name);
      const std::string& ty = t.cell(row, type);
      if (ty == "Kreis") reg.type = RegionType::kreis;
      else if (ty == "Kreisfreie Stadt") reg.type = RegionType::kreisfreie_stadt;
      else throw LocatedError(t.at(row, type), "unknown type '" + ty + "' (expected Kreis or Kreisfreie Stadt)");
      reg.flags = {"ki", "abh"};
      if (r.find(reg.ags)) throw LocatedError(t.at(row, ags), "duplicate AGS " + reg.ags);
      r.list.push_back(reg);
      base.push_back({read_number(t, row, pop), read_number(t, row, area)});
    }
  }
  {
    const CsvTable t = read_csv(spec.gemeinden);
    inputs.push_back(spec.gemeinden);
    const auto ags = t.require("ags"), name = t.require("name"), kreis = t.require("kreis_ags"),
               status = t.require("status"), pop = t.require("population"), area = t.require("area_km2");
    for (const auto& row : t.rows) {
      Region reg;
      reg.ags = t.cell(row, ags);
      reg.name = t.cell(row, name);
      reg.kreis = t.cell(row, kreis);
      if (!r.find(reg.kreis)) throw LocatedError(t.at(row, kreis), "unknown Kreis AGS " + reg.kreis);
      if (r.find(reg.ags)) throw LocatedError(t.at(row, ags), "duplicate AGS " + reg.ags);
      const std::string& st = t.cell(row, status);
      if (st == "große kreisangehörige Stadt") reg.flags = {"gkst", "abh"};
      else if (st == "mittlere kreisangehörige Stadt") reg.flags = {"mkst"};
      else if (st == "regionsangehörige Stadt Aachen") reg.flags = {"ki"};
      else if (st == "kreisfreie Stadt") reg.flags = {"kreisfrei"};
      r.list.push_back(reg);
      base.push_back({read_number(t, row, pop), read_number(t, row, area)});
    }
  }
  r.index();
  r.indicators = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(r.list.size()),
                                       static_cast<Eigen::Index>(2 + [&] {
                                         std::size_t n = 0;
                                         for (const auto& i : spec.indicators) n += i.columns.size();
                                         return n;
                                       }()));
  for (std::size_t i = 0; i < r.list.size(); ++i)
    r.indicators(Eigen::Index(i), 0) = base[i][0], r.indicators(Eigen::Index(i), 1) = base[i][1];
  Eigen::Index col = 2;
  for (const auto& ind : spec.indicators) {
    const CsvTable t = read_csv(ind.file);
    inputs.push_back(ind.file);
    const auto key = t.require(ind.key);
    for (const auto& [name, column] : ind.columns) {
      const auto c = t.require(column);
      r.indicator_names.push_back(name);
      std::set<std::string> seen;
      for (const auto& row : t.rows) {
        const std::string& ags = t.cell(row, key);
        const auto i = r.find(ags);
        if (!i) throw LocatedError(t.at(row, key), "unknown AGS " + ags + " (not in " + spec.kreise + ")");
        if (!seen.insert(ags).second) throw LocatedError(t.at(row, key), "duplicate AGS " + ags);
        r.indicators(Eigen::Index(*i), col) = read_number(t, row, c);
      }
      if (!ind.split_by.empty()) {
        // Per-Kreis values split to the Kreis' Gemeinden in proportion to another indicator.
        const auto by = r.indicator(ind.split_by);
        if (!by) throw InputError(ind.file + ": split_to_gemeinden names an unknown indicator '" + ind.split_by + "'");
        for (std::size_t g = 0; g < r.list.size(); ++g) {
          if (r.list[g].type != RegionType::gemeinde) continue;
          const std::size_t k = *r.find(r.list[g].kreis);
          const double total = r.indicators(Eigen::Index(k), Eigen::Index(*by));
          r.indicators(Eigen::Index(g), col) =
              total > 0 ? r.indicators(Eigen::Index(k), col) * r.indicators(Eigen::Index(g), Eigen::Index(*by)) / total : 0.0;
        }
        r.notes.push_back("indicator '" + name + "' is given per Kreis (" + ind.written +
                          "); Gemeinde values are split from it by " + ind.split_by + " (an estimate)");
      }
      ++col;
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The scenario.

Key read_key(Reader& rd, const YAML::Node& node, const std::string& path) {
  Key key;
  if (!node.IsMap()) {
    rd.error(node, path, "expected a mapping of indicator to weight, such as {population: 0.9, area_km2: 0.1}");
    return key;
  }
  for (const auto& kv : node) {
    const std::string name = kv.first.as<std::string>();
    rd.refer(rd.indicators, kv.first, Reader::join(path, name));
    if (auto w = rd.number(kv.second, Reader::join(path, name))) key.terms.push_back({name, *w});
  }
  // Weights that add up to zero share nothing out (the shares would be 0/0).
  if (std::none_of(key.terms.begin(), key.terms.end(), [](const auto& t) { return t.weight > 0; }))
    rd.error(node, path, "a key needs at least one indicator with a positive weight");
  return key;
}

/// A key's cap: {indicator, factor} (FlüAG § 3: 125 % of the population-only share).
void read_cap(Reader& rd, const YAML::Node& c, const std::string& path, Key& key) {
  if (!rd.mapping(c, path, {"indicator", "factor"}, {"indicator", "factor"})) return;
  key.cap_indicator = rd.text(c, path, "indicator");
  rd.refer(rd.indicators, c["indicator"], path + ".indicator");
  if (c["factor"]) key.cap_factor = rd.number(c["factor"], path + ".factor").value_or(1);
  // The caps add up to the factor and the shares to 1: below 1, no shares can keep to their caps.
  if (key.cap_factor < 1) rd.error(c["factor"], path + ".factor", "a cap factor must be at least 1");
}

Selector read_selector(Reader& rd, const YAML::Node& node, const std::string& path) {
  Selector s;
  if (!rd.mapping(node, path, {"types", "flags", "include", "exclude"}, {})) return s;
  for (const auto& t : rd.strings(node, path, "types")) {
    if (auto ty = parse_type(t)) s.types.push_back(*ty);
    else rd.error(node["types"], path + ".types", "unknown region type '" + t + "'" + did_you_mean(t, kTypeNames) +
                                                      "; expected " + Reader::list(kTypeNames));
  }
  s.flags = rd.strings(node, path, "flags");
  s.include = rd.strings(node, path, "include");
  s.exclude = rd.strings(node, path, "exclude");
  for (std::size_t i = 0; i < s.include.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (s.include[i] == s.include[k])
        rd.error(node["include"][i], path + ".include[" + std::to_string(i) + "]",
                 "duplicate recipient '" + s.include[i] + "' (also include[" + std::to_string(k) + "])");
  rd.refer_all(rd.regions, node["include"], path + ".include");
  rd.refer_all(rd.regions, node["exclude"], path + ".exclude");
  return s;
}

Baustein read_baustein(Reader& rd, const YAML::Node& node, const std::string& path) {
  Baustein b;
  const std::vector<std::string> known = {"id", "name", "budget_eur", "rate_per_vza_eur", "recipients",
                                          "fixed_staffing", "positions_by_key", "money_by_key",
                                          "residual", "pass_through", "source"};
  if (!rd.mapping(node, path, known, {"id", "name", "budget_eur", "recipients"})) return b;
  b.id = rd.text(node, path, "id").value_or("");
  b.name = rd.text(node, path, "name").value_or("");
  b.budget = rd.euros(node, path, "budget_eur").value_or(0);
  b.rate_per_vza = rd.euros(node, path, "rate_per_vza_eur").value_or(0);
  if (node["recipients"]) b.recipients = read_selector(rd, node["recipients"], path + ".recipients");
  if (auto s = rd.text(node, path, "source")) b.sources.push_back(*s);
  if (auto r = rd.text(node, path, "residual")) {
    if (*r == "unallocated") b.residual = Residual::unallocated;
    else if (*r == "split_by_key") b.residual = Residual::split_by_key;
    else rd.error(node["residual"], path + ".residual", "unknown value '" + *r + "'" +
                  did_you_mean(*r, std::vector<std::string>{"unallocated", "split_by_key"}) +
                  "; expected unallocated or split_by_key");
  }
  int rules = 0;
  if (const YAML::Node f = node["fixed_staffing"]) {
    ++rules;
    const std::string p = path + ".fixed_staffing";
    FixedStaffing fs;
    if (rd.mapping(f, p, {"per_type", "per_flag", "per_member_flag"}, {})) {
      if (f["per_type"] && rd.mapping(f["per_type"], p + ".per_type", kTypeNames, {}))
        for (const auto& kv : f["per_type"])
          if (auto t = parse_type(kv.first.as<std::string>()))
            if (auto h = rd.vza(kv.second, p + ".per_type." + kv.first.as<std::string>())) fs.per_type[*t] = *h;
      for (const char* which : {"per_flag", "per_member_flag"}) {
        if (!f[which]) continue;
        if (!f[which].IsMap()) {
          rd.error(f[which], p + "." + which, "expected a mapping of flag to positions");
          continue;
        }
        for (const auto& kv : f[which])
          if (auto h = rd.vza(kv.second, p + "." + which + "." + kv.first.as<std::string>()))
            (std::string(which) == "per_flag" ? fs.per_flag : fs.per_member_flag)[kv.first.as<std::string>()] = *h;
      }
    }
    b.rule = fs;
    if (b.rate_per_vza == 0) rd.error(node, path, "fixed_staffing needs rate_per_vza_eur");
  }
  if (const YAML::Node k = node["positions_by_key"]) {
    ++rules;
    const std::string p = path + ".positions_by_key";
    PositionsByKey pk;
    if (rd.mapping(k, p, {"key", "cap", "unit_vza", "base_vza", "min_vza", "max_vza", "method", "ties", "seed"}, {"key"})) {
      if (k["key"]) pk.key = read_key(rd, k["key"], p + ".key");
      if (k["cap"]) read_cap(rd, k["cap"], p + ".cap", pk.key);
      if (k["unit_vza"]) pk.unit = rd.vza(k["unit_vza"], p + ".unit_vza").value_or(1);
      if (pk.unit <= 0) rd.error(k["unit_vza"], p + ".unit_vza", "the unit must be at least 0.5");
      if (k["base_vza"]) pk.base = rd.vza(k["base_vza"], p + ".base_vza").value_or(0);
      if (k["min_vza"]) pk.min = rd.vza(k["min_vza"], p + ".min_vza");
      if (k["max_vza"]) pk.max = rd.vza(k["max_vza"], p + ".max_vza");
      const std::string method = rd.text(k, p, "method").value_or("sainte-lague");
      if (auto m = parse_method(method)) pk.rule.method = *m;
      else rd.error(k["method"], p + ".method", "unknown method '" + method + "'" + did_you_mean(method, method_names()));
      const std::string ties = rd.text(k, p, "ties").value_or("error");
      if (auto t = parse_tie_policy(ties)) pk.rule.ties = *t;
      else rd.error(k["ties"], p + ".ties", "unknown tie policy '" + ties + "'; expected error, order or lot");
      if (k["seed"]) pk.rule.seed = rd.whole(k["seed"], p + ".seed", UINT64_MAX).value_or(0);
    }
    b.rule = pk;
    if (b.rate_per_vza == 0) rd.error(node, path, "positions_by_key needs rate_per_vza_eur");
  }
  if (const YAML::Node m = node["money_by_key"]) {
    ++rules;
    const std::string p = path + ".money_by_key";
    MoneyByKey mk;
    if (rd.mapping(m, p, {"key", "cap", "minimum_eur"}, {"key"})) {
      if (m["key"]) mk.key = read_key(rd, m["key"], p + ".key");
      if (m["cap"]) read_cap(rd, m["cap"], p + ".cap", mk.key);
      mk.minimum = rd.euros(m, p, "minimum_eur").value_or(0);
    }
    b.rule = mk;
  }
  if (rules != 1)
    rd.error(node, path, "needs exactly one rule: fixed_staffing, positions_by_key or money_by_key");
  if (const YAML::Node pts = node["pass_through"]) {
    if (!pts.IsSequence()) rd.error(pts, path + ".pass_through", "expected a list");
    for (std::size_t i = 0; pts.IsSequence() && i < pts.size(); ++i) {
      const std::string p = path + ".pass_through[" + std::to_string(i) + "]";
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
                          "; expected a number or {dist: " + Reader::list(names) + ", ...}");
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
  if (const std::string why = d.check(); complete && !why.empty()) rd.error(n, path, "invalid parameters: " + why);
  return d;
}

SimulationSpec read_simulation(Reader& rd, const YAML::Node& n) {
  const std::string path = "simulation";
  SimulationSpec s;
  if (!rd.mapping(n, path, {"replications", "seed", "uptake", "start_month", "months_to_fill", "cost_per_vza_eur",
                            "indicator_noise", "years", "hold_harmless"}, {}))
    return s;
  if (n["replications"]) {
    const auto r = rd.number(n["replications"], path + ".replications");
    if (r && (*r < 1 || *r > 1e9 || *r != std::floor(*r)))
      rd.error(n["replications"], path + ".replications", "expected a whole number from 1 to 10^9");
    else if (r) s.replications = static_cast<std::uint64_t>(*r);
  }
  if (n["seed"]) s.seed = rd.whole(n["seed"], path + ".seed", UINT64_MAX).value_or(0);
  if (const YAML::Node u = n["uptake"]; u && rd.mapping(u, path + ".uptake", {"by_type", "per_recipient", "non_applicants"}, {})) {
    auto prob = [&](const YAML::Node& v, const std::string& p) {
      const auto x = rd.number(v, p);
      if (x && *x > 1) rd.error(v, p, "a probability must lie between 0 and 1");
      return std::min(1.0, x.value_or(1.0));
    };
    if (u["by_type"] && rd.mapping(u["by_type"], path + ".uptake.by_type", kTypeNames, {}))
      for (const auto& kv : u["by_type"])
        if (auto t = parse_type(kv.first.as<std::string>())) s.uptake_by_type[*t] = prob(kv.second, path + ".uptake.by_type." + kv.first.as<std::string>());
    if (u["per_recipient"] && u["per_recipient"].IsMap())
      for (const auto& kv : u["per_recipient"]) {
        rd.refer(rd.regions, kv.first, path + ".uptake.per_recipient");
        s.uptake_per_recipient[kv.first.as<std::string>()] = prob(kv.second, path + ".uptake.per_recipient." + kv.first.as<std::string>());
      }
    const std::string na = rd.text(u, path + ".uptake", "non_applicants").value_or("lapse");
    if (na == "redistribute") s.redistribute = true;
    else if (na != "lapse") rd.error(u["non_applicants"], path + ".uptake.non_applicants", "expected lapse or redistribute");
  }
  if (n["start_month"]) s.start_month = read_distribution(rd, n["start_month"], path + ".start_month");
  if (n["months_to_fill"]) s.months_to_fill = read_distribution(rd, n["months_to_fill"], path + ".months_to_fill");
  if (n["cost_per_vza_eur"]) s.cost_per_vza_eur = read_distribution(rd, n["cost_per_vza_eur"], path + ".cost_per_vza_eur");
  if (const YAML::Node noise = n["indicator_noise"]; noise && noise.IsMap())
    for (const auto& kv : noise) {
      rd.refer(rd.indicators, kv.first, path + ".indicator_noise." + kv.first.as<std::string>());
      s.indicator_noise[kv.first.as<std::string>()] = read_distribution(rd, kv.second, path + ".indicator_noise." + kv.first.as<std::string>());
    }
  if (const YAML::Node ys = n["years"]) {
    for (std::size_t i = 0; ys.IsSequence() && i < ys.size(); ++i) {
      const std::string p = path + ".years[" + std::to_string(i) + "]";
      if (!rd.mapping(ys[i], p, {"year", "budget_factor", "rate_per_vza_eur"}, {"year"})) continue;
      SimulationYear y;
      y.year = static_cast<int>(rd.whole(ys[i]["year"], p + ".year", kMaxYear).value_or(0));
      if (ys[i]["budget_factor"]) y.budget_factor = rd.number(ys[i]["budget_factor"], p + ".budget_factor").value_or(1);
      y.rate_per_vza = rd.euros(ys[i], p, "rate_per_vza_eur");
      s.years.push_back(y);
    }
    if (!ys.IsSequence()) rd.error(ys, path + ".years", "expected a list of {year, budget_factor, rate_per_vza_eur}");
  }
  if (const YAML::Node h = n["hold_harmless"]) {
    if (h.IsScalar() && (h.Scalar() == "true" || h.Scalar() == "false")) s.hold_harmless = h.Scalar() == "true";
    else rd.error(h, path + ".hold_harmless", "expected true or false");
  }
  return s;
}

/// Reads the whole document into `out`, recording errors in `rd`.
void read_document(Reader& rd, const YAML::Node& root, const std::string& path, LoadedScenario& out,
                   DataSpec& spec) {
  Scenario& s = out.scenario;
  const std::vector<std::string> known = {"scenario", "programme", "year", "budget_eur", "sources",
                                          "assumptions", "data", "bausteine", "validation", "simulation"};
  if (!rd.mapping(root, "", known, {"scenario", "programme", "year", "budget_eur", "data", "bausteine"}))
    return;
  s.name = rd.text(root, "", "scenario").value_or("");
  s.programme = rd.text(root, "", "programme").value_or("");
  if (root["year"]) s.year = static_cast<int>(rd.whole(root["year"], "year", kMaxYear).value_or(0));
  s.budget = rd.euros(root, "", "budget_eur").value_or(0);
  s.sources = rd.strings(root, "", "sources");
  s.assumptions = rd.strings(root, "", "assumptions");
  if (!s.name.empty() && s.name.find_first_of("/\\ ") != std::string::npos)
    rd.error(root["scenario"], "scenario", "the name is used as a folder name: no spaces or slashes");

  // Data files are relative to the scenario file.
  const fs::path dir = fs::path(path).parent_path();
  auto data_path = [&](const std::string& f) { return (dir / f).lexically_normal().string(); };
  if (const YAML::Node d = root["data"]; d && rd.mapping(d, "data", {"kreise", "gemeinden", "indicators"}, {"kreise", "gemeinden"})) {
    spec.kreise = data_path(rd.text(d, "data", "kreise").value_or(""));
    spec.gemeinden = data_path(rd.text(d, "data", "gemeinden").value_or(""));
    for (const char* f : {"kreise", "gemeinden"})
      if (d[f] && !file_exists(data_path(d[f].as<std::string>())))
        rd.error(d[f], std::string("data.") + f, "data file not found: " + data_path(d[f].as<std::string>()));
    if (const YAML::Node inds = d["indicators"]) {
      for (std::size_t i = 0; inds.IsSequence() && i < inds.size(); ++i) {
        const std::string p = "data.indicators[" + std::to_string(i) + "]";
        if (!rd.mapping(inds[i], p, {"file", "key", "columns", "split_to_gemeinden", "source"}, {"file", "key", "columns"}))
          continue;
        DataSpec::Indicator ind;
        ind.written = rd.text(inds[i], p, "file").value_or("");
        ind.file = data_path(ind.written);
        if (!file_exists(ind.file)) rd.error(inds[i]["file"], p + ".file", "data file not found: " + ind.file);
        ind.key = rd.text(inds[i], p, "key").value_or("");
        ind.split_by = rd.text(inds[i], p, "split_to_gemeinden").value_or("");
        if (inds[i]["columns"].IsMap())
          for (const auto& kv : inds[i]["columns"]) ind.columns.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
        else rd.error(inds[i]["columns"], p + ".columns", "expected a mapping of indicator name to CSV column");
        spec.indicators.push_back(ind);
      }
    }
  }
  if (const YAML::Node bs = root["bausteine"]) {
    if (!bs.IsSequence() || bs.size() == 0) rd.error(bs, "bausteine", "expected a list of Bausteine");
    std::set<std::string> ids;
    for (std::size_t i = 0; bs.IsSequence() && i < bs.size(); ++i) {
      const std::string p = "bausteine[" + std::to_string(i) + "]";
      Baustein b = read_baustein(rd, bs[i], p);
      if (!b.id.empty() && !ids.insert(b.id).second) rd.error(bs[i]["id"], p + ".id", "duplicate Baustein id '" + b.id + "'");
      s.bausteine.push_back(std::move(b));
    }
    Cents sum = 0;
    for (const auto& b : s.bausteine) sum += b.budget;
    if (rd.clean() && sum != s.budget)
      rd.error(root["budget_eur"], "budget_eur", "the Bausteine add up to " + std::to_string(sum / 100) + "." +
                                                      (sum % 100 < 10 ? "0" : "") + std::to_string(sum % 100) +
                                                      " EUR, not to the total budget");
  }
  if (const YAML::Node v = root["validation"]; v && rd.mapping(v, "validation", {"observed_positions", "published_positions_over", "source"}, {})) {
    if (v["published_positions_over"])
      s.published_positions_over = rd.number(v["published_positions_over"], "validation.published_positions_over");
    if (const YAML::Node o = v["observed_positions"]; o && o.IsMap())
      for (const auto& bkv : o)
        for (const auto& kv : bkv.second)
          if (auto x = rd.number(kv.second, "validation.observed_positions." + bkv.first.as<std::string>() + "." + kv.first.as<std::string>()))
            s.observed[bkv.first.as<std::string>() + ":" + kv.first.as<std::string>()] = *x;
  }
  if (root["simulation"]) out.simulation = read_simulation(rd, root["simulation"]);
}

}  // namespace

LoadedScenario load_scenario(const std::string& path) {
  LoadedScenario out;
  out.path = path;
  std::vector<std::string> errors;
  YAML::Node root;
  {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxScenarioBytes)
      throw ScenarioError({path + ": the scenario file has " + std::to_string(size) + " bytes, more than the limit of " +
                           std::to_string(kMaxScenarioBytes) + " (scenarios are short; data belongs in CSV files)"});
    std::ifstream in(path);
    if (!in) throw ScenarioError({path + ": cannot open the scenario file"});
    try {
      root = YAML::Load(in);
    } catch (const YAML::Exception& e) {
      throw ScenarioError({path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                           ": not valid YAML: " + e.msg});
    }
  }
  out.inputs.push_back(path);
  Reader rd(path, errors);
  DataSpec spec;
  try {
    read_document(rd, root, path, out, spec);
  } catch (const YAML::Exception& e) {
    // A shape the reader did not expect (e.g. a list where text belongs): still a located error.
    errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": unexpected structure: " + e.msg);
  }
  if (!errors.empty()) throw ScenarioError(errors);

  try {
    out.regions = load_regions(spec, out.inputs);
  } catch (const InputError& e) {
    throw ScenarioError({e.what()});
  }
  // Names that the rules use must exist in the data.
  for (const auto& r : rd.indicators)
    if (!out.regions.indicator(r.value))
      errors.push_back(r.where + ": no data provides the indicator '" + r.value + "'" +
                       did_you_mean(r.value, out.regions.indicator_names) + "; known: " +
                       Reader::list(out.regions.indicator_names));
  for (const auto& r : rd.regions)
    if (!out.regions.find(r.value)) errors.push_back(r.where + ": unknown AGS '" + r.value + "'");
  for (const auto& [k, v] : out.scenario.observed)
    if (!out.regions.find(k.substr(k.find(':') + 1)))
      errors.push_back(path + ": validation.observed_positions: unknown AGS '" + k.substr(k.find(':') + 1) + "'");
  if (!errors.empty()) throw ScenarioError(errors);
  return out;
}

}  // namespace kimsim::io
