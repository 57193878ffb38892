// A comparison under uncertainty (compare --replications): how the rows of each scenario's plan
// map to the lines of the comparison, and how one replication of all scenarios is scored.
// Internal to engine/ (kimsim/compare.hpp has the definitions).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kimsim/compare.hpp"
#include "sim/replicator.hpp"

namespace kimsim {

/// The lines of a comparison and, per scenario, the line of each row of its plan.
struct CompareLayout {
  std::vector<int> years;
  std::vector<DeltaLine> lines;  ///< year by year: per_year lines each
  std::size_t per_year = 0;
  std::vector<std::vector<std::uint32_t>> line_of_row;  ///< per scenario, per plan row: its line in a year
};

/// Throws InputError where fewer than two scenarios are given or their years differ.
CompareLayout compare_layout(std::span<const SimulatedScenario> scenarios, std::span<const Replicator> probes);

/// One thread's share of the work: a Replicator per scenario, their outcomes, the totals per line.
class CompareReplicator {
 public:
  CompareReplicator(std::span<const SimulatedScenario> scenarios, std::span<const SimulationSpec> specs,
                    const CompareLayout& layout);
  /// Runs replication r of every scenario and adds the differences to `stats` (sized like the
  /// result's: variants x lines).
  void run(std::uint64_t r, std::vector<DeltaStats>& stats);

 private:
  const CompareLayout& layout_;
  std::vector<Replicator> replicators_;
  std::vector<std::vector<RowOutcome>> outcomes_;  // per scenario, per slot
  std::vector<std::vector<Halves>> halves_;        // per scenario, per line: totals of its rows
  std::vector<std::vector<Cents>> cents_;
};

}  // namespace kimsim
