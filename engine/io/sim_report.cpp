#include "io/sim_report.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>
#include <sstream>

#include "io/csv.hpp"
#include "io/output.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/model.hpp"
#include "sim/accumulators.hpp"

namespace kimsim::io {
namespace {

using i128 = __int128;

/// v with `decimals` decimals, correctly rounded. Not by {fmt}: its version 9 writes a long
/// double that rounds to 0 with all its digits ("0.00000000229799999999999999982" for 6
/// decimals) and one that rounds up to a power of ten a decimal short ("0.1" for 0.09999 and 4).
std::string fixed(long double v, int decimals) {
  // Room for the largest long double in fixed notation: its digits, a sign, the point and the
  // writers' at most 6 decimals.
  char text[std::numeric_limits<long double>::max_exponent10 + 16];
  return std::string(text, std::to_chars(text, text + sizeof text, v, std::chars_format::fixed, decimals).ptr);
}

/// Standard deviation from integer sums (the same bits for any merge order).
long double sd(i128 sum, i128 sq, std::uint64_t n) {
  if (n < 2) return 0;
  const long double s = static_cast<long double>(sum), q = static_cast<long double>(sq), N = static_cast<long double>(n);
  return std::sqrt(std::max(0.0L, (q - s * s / N) / (N - 1)));
}

/// Mean of integer cents, rounded to the cent (half up), without floating point.
Cents mean_cents(i128 sum, std::uint64_t n) {
  const i128 N = static_cast<i128>(n);
  return static_cast<Cents>(sum >= 0 ? (2 * sum + N) / (2 * N) : -((-2 * sum + N) / (2 * N)));
}

/// Nearest-rank quantile position: the k-th smallest of n, k = ceil(p n).
std::uint64_t rank(double p, std::uint64_t n) {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n) - 1e-9)));
}

Halves halves_quantile(const std::vector<std::uint64_t>& hist, double p, std::uint64_t n) {
  const std::uint64_t k = rank(p, n);
  std::uint64_t cum = 0;
  for (std::size_t h = 0; h < hist.size(); ++h)
    if ((cum += hist[h]) >= k) return static_cast<Halves>(h);
  return 0;
}

/// How a writer prints the integers of a unit: the scale of one unit and its decimals.
struct Scale {
  long double per_unit;
  int decimals;
};
constexpr Scale scale(Unit u) {
  switch (u) {
    case Unit::halves: return {2.0L, 4};      // VZÄ
    case Unit::cents: return {100.0L, 2};     // EUR
    case Unit::half_months: return {24.0L, 4};  // VZÄ-years
    case Unit::nano: return {1e9L, 6};
    case Unit::none: break;
  }
  return {1.0L, 4};
}

/// A value of the unit as the tables write it: positions in steps of 0.5, euros with cents.
std::string value_text(Unit u, std::int64_t v) { return u == Unit::halves ? format_positions(v) : format_euros(v); }

/// A mean: euros exact to the cent (rounded half up), anything else with its decimals.
std::string mean_text(Unit u, i128 sum, std::uint64_t n) {
  if (u == Unit::cents) return format_euros(mean_cents(sum, n));
  return fixed(static_cast<long double>(sum) / scale(u).per_unit / static_cast<long double>(n), scale(u).decimals);
}

constexpr double kQuantiles[] = {0.05, 0.50, 0.95};
constexpr const char* kQuantileNames[] = {"p05", "p50", "p95"};

// The CSV columns of each kind of accumulator: header names and cells, in the same order.
void header(std::vector<std::string>& o, std::string_view name, const Count&) { o.push_back(fmt::format("p_{}", name)); }
void cells(std::ostream& o, const Count& a, Unit, std::uint64_t n) {
  o << ',' << fixed(static_cast<long double>(a.n) / static_cast<long double>(n), 4);
}
void header(std::vector<std::string>& o, std::string_view name, const Sum&) { o.push_back(fmt::format("{}_mean", name)); }
void cells(std::ostream& o, const Sum& a, Unit u, std::uint64_t n) { o << ',' << mean_text(u, a.sum, n); }
void header(std::vector<std::string>& o, std::string_view name, const Moments&) {
  o.push_back(fmt::format("{}_mean", name));
  o.push_back(fmt::format("{}_sd", name));
}
void cells(std::ostream& o, const Moments& a, Unit u, std::uint64_t n) {
  o << ',' << mean_text(u, a.sum, n) << ',' << fixed(sd(a.sum, a.sq, n) / scale(u).per_unit, scale(u).decimals);
}
void quantile_header(std::vector<std::string>& o, std::string_view name) {
  for (const char* q : kQuantileNames) o.push_back(fmt::format("{}_{}", name, q));
}
void header(std::vector<std::string>& o, std::string_view name, const Histogram&) { quantile_header(o, name); }
void cells(std::ostream& o, const Histogram& a, Unit u, std::uint64_t n) {
  for (double p : kQuantiles) o << ',' << value_text(u, halves_quantile(a.counts, p, n));
}
void header(std::vector<std::string>& o, std::string_view name, const ValueCounts&) { quantile_header(o, name); }
void cells(std::ostream& o, const ValueCounts& a, Unit u, std::uint64_t n) {
  for (double p : kQuantiles) o << ',' << value_text(u, a.nth(rank(p, n)));
}

void header(std::vector<std::string>& o, std::string_view name, const SignedCounts&) { quantile_header(o, name); }
void cells(std::ostream& o, const SignedCounts& a, Unit u, std::uint64_t n) {
  // Differences: format_positions() and format_euros() take amounts; the sign is written here.
  for (double p : kQuantiles) {
    const std::int64_t v = a.nth(rank(p, n));
    o << ',' << (v < 0 ? "-" : "") << value_text(u, v < 0 ? -v : v);
  }
}

// The entries of summary.json of each kind of accumulator, added to the object the field names.
void moments_entries(nlohmann::json& j, const Moments& a, Unit u, std::uint64_t n) {
  const Scale sc = scale(u);
  const long double mean = static_cast<long double>(a.sum) / static_cast<long double>(n) / sc.per_unit;
  const long double s = sd(a.sum, a.sq, n) / sc.per_unit;
  j["mean"] = fixed(mean, sc.decimals), j["sd"] = fixed(s, sc.decimals);
  j["standard_error"] = fixed(s / std::sqrt(static_cast<long double>(n)), sc.decimals);
}
void entries(nlohmann::json& j, const Moments& a, const Field<StateStats, Moments>& f, std::uint64_t n) {
  moments_entries(j, a, f.unit, n);
}
/// Quantiles from the counts per bin, as floors to the bin.
void entries(nlohmann::json& j, const SpendBins& a, const Field<StateStats, SpendBins>& f, std::uint64_t n) {
  const auto bins = a.entries();
  for (std::size_t q = 0; q < std::size(kQuantiles); ++q) {
    const std::uint64_t k = rank(kQuantiles[q], n);
    std::uint64_t cum = 0;
    std::string floor = value_text(f.unit, 0);
    for (const auto& [bin, count] : bins)
      if ((cum += count) >= k) {
        floor = value_text(f.unit, bin * SpendBins::kWidth);
        break;
      }
    j[std::string(kQuantileNames[q]) + "_floor"] = floor;
  }
}
void entries(nlohmann::json& j, const Count& a, const Field<StateStats, Count>& f, std::uint64_t) {
  j[std::string(f.entry)] = a.n;
}

}  // namespace

std::vector<std::string> simulation_csv_columns() {
  std::vector<std::string> columns = {"ags", "name", "baustein", "year"};
  const SlotStats kinds;  // only the types of its members matter here
  for_each_field<SlotStats>([&](const auto& f) { header(columns, f.name, kinds.*f.member); });
  return columns;
}

std::string simulation_csv(const LoadedScenario& ls, const SimulationResult& r) {
  std::ostringstream o;
  o << fmt::format("{}\n", fmt::join(simulation_csv_columns(), ","));
  const std::uint64_t n = r.replications;
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const SlotKey& slot = r.slots[k];
    const SlotStats& s = r.stats[k];
    const Region& g = ls.regions.list[slot.region];
    o << g.ags << ',' << csv_quote(g.name) << ',' << ls.scenario.bausteine[slot.baustein].id << ',' << r.years[slot.year];
    for_each_field<SlotStats>([&](const auto& f) { cells(o, s.*f.member, f.unit, n); });
    o << '\n';
  }
  return o.str();
}

nlohmann::json simulation_slots_json(const LoadedScenario& ls, const SimulationResult& r) {
  const std::uint64_t n = r.replications;
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t k = 0; k < r.slots.size(); ++k) {
    const SlotKey& slot = r.slots[k];
    const SlotStats& s = r.stats[k];
    const Region& g = ls.regions.list[slot.region];
    nlohmann::json row = {{"ags", g.ags}, {"name", g.name}, {"baustein", ls.scenario.bausteine[slot.baustein].id}, {"year", r.years[slot.year]}};
    for (std::size_t q = 0; q < std::size(kQuantiles); ++q) {
      row[std::string("halves_") + kQuantileNames[q]] = halves_quantile(s.halves_hist.counts, kQuantiles[q], n);
      row[std::string("cents_") + kQuantileNames[q]] = s.cents_counts.nth(rank(kQuantiles[q], n));
    }
    row["outflow_mean_cents"] = mean_cents(s.outflow.sum, n);
    row["p_nothing"] = fixed(static_cast<long double>(s.nothing.n) / static_cast<long double>(n), 4);
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json simulation_summary(const LoadedScenario& ls, const SimulationSpec& spec, const SimulationResult& r) {
  const std::uint64_t n = r.replications;
  nlohmann::json j;
  j["scenario"] = ls.scenario.name;
  j["replications"] = n;
  j["seed"] = spec.seed;
  j["years"] = nlohmann::json::array();
  for (std::size_t y = 0; y < r.years.size(); ++y) {
    const StateStats& s = r.state[y];
    nlohmann::json year = {{"year", r.years[y]}, {"budget_eur", format_euros(r.budget[y])}};
    for_each_field<StateStats>([&](const auto& f) { entries(year[std::string(f.name)], s.*f.member, f, n); });
    // Fairness over the replications that measured it: one in which no territory counted (none
    // applied) has none, and a 0 for it would pull the mean towards equality.
    for (const auto& [key, m] : {std::pair{"gini_euros_per_inhabitant", &s.gini}, std::pair{"max_min_ratio_euros_per_inhabitant", &s.maxmin}}) {
      nlohmann::json& e = year[key];
      if (s.fair.n == 0) e["mean"] = e["sd"] = e["standard_error"] = nullptr;
      else moments_entries(e, *m, Unit::nano, s.fair.n);
      e["replications"] = s.fair.n;
    }
    // Unspent: the year's budget less what was spent, per replication; its sums follow from
    // spent's (sum of B - x and of (B - x)^2).
    const i128 budget = r.budget[y], N = static_cast<i128>(n);
    const Moments unspent{budget * N - s.spent.sum, budget * budget * N - 2 * budget * s.spent.sum + s.spent.sq};
    moments_entries(year["unspent_eur"], unspent, Unit::cents, n);
    j["years"].push_back(std::move(year));
  }
  j["notes"] = nlohmann::json::array();
  for (const Note& note : simulation_notes(ls, r)) j["notes"].push_back(note_text(note));
  return j;
}

std::vector<Note> simulation_notes(const LoadedScenario& ls, const SimulationResult& r) {
  std::size_t binned = 0;
  for (const auto& s : r.stats) binned += !s.cents_counts.exact();
  // What `run` says of the same data and plan: an assumed value or a split estimate is as much a
  // part of the simulation's inputs as of one allocation's.
  std::vector<Note> notes = ls.regions.notes;
  const Plan plan(ls.scenario, ls.regions);
  notes.insert(notes.end(), plan.notes().begin(), plan.notes().end());
  if (binned == 0) notes.push_back({"sim_quantiles_exact", {}});
  else notes.push_back({"sim_quantiles_binned", {std::to_string(binned), std::to_string(ValueCounts::kExact)}});
  for (const char* id : {"sim_spent", "sim_cofinancing", "sim_fairness"}) notes.push_back({id, {}});
  return notes;
}

std::string compare_simulation_csv(const CompareSimulation& c, const std::vector<std::string>& names, const Regions& regions) {
  std::ostringstream o;
  std::vector<std::string> columns = {"variant", "year", "ags", "name", "baustein"};
  const DeltaStats kinds;  // only the types of its members matter here
  for_each_field<DeltaStats>([&](const auto& f) { header(columns, f.name, kinds.*f.member); });
  o << fmt::format("{}\n", fmt::join(columns, ","));
  const std::uint64_t n = c.replications;
  const std::size_t L = c.lines.size();
  for (std::size_t v = 0; v < c.variants; ++v)
    for (std::size_t l = 0; l < L; ++l) {
      const DeltaLine& line = c.lines[l];
      const Region& g = regions.list[line.region];
      o << csv_quote(names[v + 1]) << ',' << c.years[line.year] << ',' << g.ags << ',' << csv_quote(g.name) << ','
        << csv_quote(line.baustein);
      const DeltaStats& d = c.stats[v * L + l];
      for_each_field<DeltaStats>([&](const auto& f) { cells(o, d.*f.member, f.unit, n); });
      o << '\n';
    }
  return o.str();
}

namespace {
/// A variance ratio rounded to six decimals (null where the independent variance is 0).
nlohmann::json ratio_value(const std::optional<double>& r) {
  if (!r) return nullptr;
  return std::round(*r * 1e6) / 1e6;
}
std::string ratio_text(const std::optional<double>& r) { return r ? fixed(*r, 4) : std::string("-"); }
}  // namespace

nlohmann::json compare_simulation_json(const CompareSimulation& c, const std::vector<std::string>& names) {
  nlohmann::json j;
  j["replications"] = c.replications;
  j["seed"] = c.seed;
  j["years"] = c.years;
  j["variance_ratio"] = nlohmann::json::array();
  for (const VarianceRatio& r : variance_ratios(c))
    j["variance_ratio"].push_back({{"variant", names[r.variant + 1]},
                                   {"year", c.years[r.year]},
                                   {"baustein", r.baustein},
                                   {"euros", ratio_value(r.euros)},
                                   {"positions", ratio_value(r.positions)}});
  std::size_t binned = 0;
  for (const auto& d : c.stats) binned += !d.delta_cents_counts.exact();
  j["definitions"] = {
      {"common_random_numbers", "every scenario is simulated on the same random streams, keyed by the seed, the replication, "
                                "the year and the names of what they decide (AGS, Baustein, indicator)"},
      {"p_lose", "share of replications in which the territory receives fewer euros in the Baustein under the variant"},
      {"quantiles", binned == 0 ? "p05, p50, p95 of the difference variant minus base: nearest rank, exact"
                                : "p05, p50, p95 of the difference: nearest rank; in " + std::to_string(binned) +
                                      " lines with more than " + std::to_string(ValueCounts::kExact) +
                                      " distinct differences in euros, the value of a 0.01 % wide bin nearest to 0"},
      {"variance_ratio", "Var(difference on common streams) / (Var(base) + Var(variant)), the variances summed over the "
                         "territories of the Baustein; Var(base) + Var(variant) is the variance the difference would have "
                         "on independent streams. Below 1: common streams make the difference tighter"}};
  return j;
}

nlohmann::json compare_simulation_report_json(const CompareSimulation& c, const std::vector<std::string>& names,
                                             const Regions& regions, std::size_t top) {
  nlohmann::json j = compare_simulation_json(c, names);
  j.erase("definitions");  // sentences for a reader of compare.json; the page says them itself
  const std::uint64_t n = c.replications;
  const std::size_t L = c.lines.size();
  j["top_movers"] = nlohmann::json::array();
  for (std::size_t v = 0; v < c.variants; ++v)
    for (std::size_t y = 0; y < c.years.size(); ++y) {
      // The lines of the year that move at all, largest mean difference in euros first (ties in
      // the order of the lines, so that the choice is the same on every machine).
      std::vector<std::pair<Cents, std::size_t>> moved;
      for (std::size_t l = 0; l < L; ++l) {
        if (c.lines[l].year != y) continue;
        const DeltaStats& d = c.stats[v * L + l];
        const Cents mean = mean_cents(d.delta_cents.sum, n);
        if (mean != 0 || d.delta_cents_counts.nth(rank(0.05, n)) != 0 || d.delta_cents_counts.nth(rank(0.95, n)) != 0)
          moved.emplace_back(mean < 0 ? -mean : mean, l);
      }
      std::stable_sort(moved.begin(), moved.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      if (moved.size() > top) moved.resize(top);
      for (const auto& [magnitude, l] : moved) {
        const DeltaStats& d = c.stats[v * L + l];
        const Region& g = regions.list[c.lines[l].region];
        nlohmann::json row = {{"variant", names[v + 1]}, {"year", c.years[y]}, {"ags", g.ags}, {"name", g.name},
                              {"baustein", c.lines[l].baustein}, {"delta_cents_mean", mean_cents(d.delta_cents.sum, n)}};
        for (std::size_t q = 0; q < std::size(kQuantiles); ++q)
          row[std::string("delta_cents_") + kQuantileNames[q]] = d.delta_cents_counts.nth(rank(kQuantiles[q], n));
        row["p_lose"] = fixed(static_cast<long double>(d.lose.n) / static_cast<long double>(n), 4);  // as compare_mc.csv
        j["top_movers"].push_back(std::move(row));
      }
    }
  return j;
}

std::string compare_simulation_summary(const CompareSimulation& c, const std::vector<std::string>& names) {
  std::ostringstream o;
  o << "\nUnder uncertainty: " << c.replications << " replications (seed " << c.seed
    << "), every scenario on the same random streams.\n"
       "Variance ratio Var(difference) / (Var(base) + Var(variant)), pooled over the territories of a\n"
       "Baustein: the share of the variance of the difference that common streams leave (1: none saved).\n";
  const auto ratios = variance_ratios(c);
  char line[256];
  std::snprintf(line, sizeof line, "  %-44s %6s %-8s %10s %10s\n", "variant", "year", "Baustein", "euros", "positions");
  o << line;
  for (const VarianceRatio& r : ratios) {
    std::string name = names[r.variant + 1];
    if (name.size() > 44) name = name.substr(0, 41) + "...";
    std::snprintf(line, sizeof line, "  %-44s %6d %-8s %10s %10s\n", name.c_str(), c.years[r.year], r.baustein.c_str(),
                  ratio_text(r.euros).c_str(), ratio_text(r.positions).c_str());
    o << line;
  }
  o << "  Per territory, Baustein and year (mean, sd, p05, p50, p95 of the difference, p_lose) in compare_mc.csv.\n";
  return o.str();
}

}  // namespace kimsim::io
