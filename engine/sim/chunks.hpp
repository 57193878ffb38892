// Work in chunks: a run of `units` (the replications of a simulation, the points of a sweep)
// split into chunks of consecutive units, which MPI ranks take from a shared counter and which a
// checkpoint lists as finished. Pure: no I/O, no MPI (engine/cli/batch.hpp drives the chunks).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kimsim {

/// Units 0 .. units - 1 in chunks of `size` consecutive units (the last one may be shorter).
/// The chunks change nothing in the results (the accumulators merge in any order); they are
/// the grain of the balance among ranks, of the answer to a signal and of what SIGKILL loses.
struct ChunkPlan {
  std::uint64_t units = 0;
  std::uint64_t size = 1;

  std::uint64_t count() const { return units == 0 ? 0 : (units - 1) / size + 1; }
  std::uint64_t first(std::uint64_t chunk) const { return chunk * size; }
  std::uint64_t length(std::uint64_t chunk) const {
    return chunk + 1 < count() ? size : units - chunk * size;
  }

  /// The chunk size kimsim uses for `units` units of about `unit_seconds` of CPU each:
  /// ceil(units / 256), at least 16 and at most 1024 units, and at most 2 s of CPU (at least one
  /// unit). So a run has at most a few hundred chunks unless it is long, a chunk spreads over
  /// the threads of a rank, and a rank answers a signal within about 2 s / threads. A function
  /// of the run alone (not of ranks or threads): the checkpoint records it all the same.
  static ChunkPlan for_units(std::uint64_t units, double unit_seconds);
};

/// A set of chunk numbers, as ascending half-open ranges [first, last): the finished chunks of
/// a checkpoint. Chunks are handed out in ascending order, so the set is nearly always one range.
class ChunkSet {
 public:
  void add(std::uint64_t chunk) { add_range(chunk, chunk + 1); }
  void add_range(std::uint64_t first, std::uint64_t last);
  bool contains(std::uint64_t chunk) const;
  /// How many chunks the set holds.
  std::uint64_t size() const;
  /// The chunks below `count` that are not in the set, ascending.
  std::vector<std::uint64_t> missing(std::uint64_t count) const;
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges() const { return ranges_; }
  bool operator==(const ChunkSet&) const = default;

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;  // ascending, disjoint, not touching
};

}  // namespace kimsim
