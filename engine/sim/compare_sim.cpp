// A comparison under uncertainty: the layout of its lines, one replication of all scenarios, the
// variance ratios. The definitions are in include/kimsim/compare.hpp; the parallel loop is in
// parallel.cpp, the packing in pack.cpp.
#include "sim/compare_sim.hpp"

#include <algorithm>
#include <map>

namespace kimsim {

CompareSimulation::CompareSimulation() = default;
CompareSimulation::~CompareSimulation() = default;
CompareSimulation::CompareSimulation(const CompareSimulation&) = default;
CompareSimulation::CompareSimulation(CompareSimulation&&) noexcept = default;
CompareSimulation& CompareSimulation::operator=(const CompareSimulation&) = default;
CompareSimulation& CompareSimulation::operator=(CompareSimulation&&) noexcept = default;

namespace {

std::string years_text(const std::vector<int>& years) {
  std::string t;
  for (int y : years) t += (t.empty() ? "" : ", ") + std::to_string(y);
  return t;
}

}  // namespace

CompareLayout compare_layout(std::span<const SimulatedScenario> s, std::span<const Replicator> probes) {
  if (s.size() < 2) throw InputError("compare needs a base and at least one variant");
  CompareLayout layout;
  layout.years = probes[0].years();
  for (std::size_t k = 1; k < s.size(); ++k)
    if (probes[k].years() != layout.years)
      throw InputError("the scenarios simulate different years: " + s[k].scenario->name + " " + years_text(probes[k].years()) +
                       ", the base " + s[0].scenario->name + " " + years_text(layout.years) +
                       "; compare --replications compares the same years");
  // Baustein ids in order of first appearance, lines in region order then Baustein order, as the
  // deterministic comparison orders them.
  std::vector<std::string> ids;
  for (const auto& c : s)
    for (const auto& b : c.scenario->bausteine)
      if (std::find(ids.begin(), ids.end(), b.id) == ids.end()) ids.push_back(b.id);
  auto territory = [](const Plan::Row& r) { return r.passed_on_by ? *r.passed_on_by : r.region; };
  auto ordinal = [&](const SimulatedScenario& c, const Plan::Row& r) {
    return static_cast<std::size_t>(std::find(ids.begin(), ids.end(), c.scenario->bausteine[r.baustein].id) - ids.begin());
  };
  std::map<std::pair<std::size_t, std::size_t>, std::uint32_t> at;
  for (std::size_t k = 0; k < s.size(); ++k)
    for (const auto& r : probes[k].plan().rows()) at.emplace(std::pair{territory(r), ordinal(s[k], r)}, 0);
  std::uint32_t next = 0;
  for (auto& [key, line] : at) line = next++;
  layout.per_year = at.size();
  for (std::size_t y = 0; y < layout.years.size(); ++y)
    for (const auto& [key, line] : at) layout.lines.push_back({y, key.first, ids[key.second]});
  for (std::size_t k = 0; k < s.size(); ++k) {
    auto& of = layout.line_of_row.emplace_back();
    for (const auto& r : probes[k].plan().rows()) of.push_back(at.at({territory(r), ordinal(s[k], r)}));
  }
  return layout;
}

CompareReplicator::CompareReplicator(std::span<const SimulatedScenario> s, std::span<const SimulationSpec> specs,
                                     const CompareLayout& layout)
    : layout_(layout) {
  replicators_.reserve(s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    const Replicator& rep = replicators_.emplace_back(*s[k].scenario, *s[k].regions, specs[k]);
    outcomes_.emplace_back(rep.slots().size());
    halves_.emplace_back(layout.lines.size());
    cents_.emplace_back(layout.lines.size());
  }
}

void CompareReplicator::run(std::uint64_t r, std::vector<DeltaStats>& stats) {
  const std::size_t L = layout_.lines.size(), per_year = layout_.per_year;
  for (std::size_t k = 0; k < replicators_.size(); ++k) {
    replicators_[k].record(r, outcomes_[k]);
    // Totals per line: a territory's own row and the rows it passes on; a line without a row in
    // this scenario has 0.
    std::fill(halves_[k].begin(), halves_[k].end(), Halves{0});
    std::fill(cents_[k].begin(), cents_[k].end(), Cents{0});
    const auto& of = layout_.line_of_row[k];
    const RowOutcome* o = outcomes_[k].data();  // year by year, row by row
    for (std::size_t y = 0; y < layout_.years.size(); ++y)
      for (std::size_t row = 0; row < of.size(); ++row, ++o) {
        const std::size_t line = y * per_year + of[row];
        halves_[k][line] += o->halves, cents_[k][line] += o->cents;
      }
  }
  for (std::size_t v = 1; v < replicators_.size(); ++v)
    for (std::size_t l = 0; l < L; ++l) {
      DeltaStats& d = stats[(v - 1) * L + l];
      const Halves bh = halves_[0][l], vh = halves_[v][l];
      const Cents bc = cents_[0][l], vc = cents_[v][l];
      d.delta_halves.add(vh - bh), d.delta_cents.add(vc - bc);
      d.delta_halves_counts.add(vh - bh), d.delta_cents_counts.add(vc - bc);
      d.lose.add(vc < bc);
      d.base_halves.add(bh), d.base_cents.add(bc);
      d.variant_halves.add(vh), d.variant_cents.add(vc);
    }
}

void merge(CompareSimulation& into, const CompareSimulation& part) {
  if (into.stats.size() != part.stats.size() || into.lines.size() != part.lines.size() || into.seed != part.seed)
    throw Error("cannot merge comparisons of different scenarios");
  for (std::size_t k = 0; k < part.stats.size(); ++k) merge_fields(into.stats[k], part.stats[k]);
  into.replications += part.replications;
}

namespace {

/// (n - 1) times the sample variance, from the integer sums: n sq - sum^2 exactly where it fits
/// in 128 bits (it does for the amounts of a scenario), divided by n.
long double scaled_variance(const Moments& m, std::uint64_t n) {
  if (n < 2) return 0;
  __int128 a, b, d;
  const __int128 N = static_cast<__int128>(n);
  if (!__builtin_mul_overflow(N, m.sq, &a) && !__builtin_mul_overflow(m.sum, m.sum, &b) && !__builtin_sub_overflow(a, b, &d))
    return static_cast<long double>(d) / static_cast<long double>(n);
  const long double s = static_cast<long double>(m.sum);
  return std::max(0.0L, static_cast<long double>(m.sq) - s * s / static_cast<long double>(n));
}

}  // namespace

std::vector<VarianceRatio> variance_ratios(const CompareSimulation& c) {
  std::vector<VarianceRatio> out;
  const std::size_t L = c.lines.size();
  for (std::size_t v = 0; v < c.variants; ++v) {
    // Per (year, Baustein), in order of first appearance among the lines.
    struct Pool {
      VarianceRatio ratio;
      long double crn_c = 0, ind_c = 0, crn_h = 0, ind_h = 0;
    };
    std::vector<Pool> pools;
    for (std::size_t l = 0; l < L; ++l) {
      const DeltaLine& line = c.lines[l];
      auto it = std::find_if(pools.begin(), pools.end(),
                             [&](const Pool& p) { return p.ratio.year == line.year && p.ratio.baustein == line.baustein; });
      if (it == pools.end()) {
        pools.push_back({VarianceRatio{v, line.year, line.baustein, std::nullopt, std::nullopt}});
        it = pools.end() - 1;
      }
      const DeltaStats& d = c.stats[v * L + l];
      const std::uint64_t n = c.replications;
      it->crn_c += scaled_variance(d.delta_cents, n), it->crn_h += scaled_variance(d.delta_halves, n);
      it->ind_c += scaled_variance(d.base_cents, n) + scaled_variance(d.variant_cents, n);
      it->ind_h += scaled_variance(d.base_halves, n) + scaled_variance(d.variant_halves, n);
    }
    for (Pool& p : pools) {
      if (p.ind_c > 0) p.ratio.euros = static_cast<double>(p.crn_c / p.ind_c);
      if (p.ind_h > 0) p.ratio.positions = static_cast<double>(p.crn_h / p.ind_h);
      out.push_back(std::move(p.ratio));
    }
  }
  return out;
}

}  // namespace kimsim
