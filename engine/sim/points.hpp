// The parallel loop over a sweep's points (engine/sim/parallel.cpp, beside the one over
// replications: every OpenMP pragma of kimsim lives there).
#pragma once

#include <cstdint>
#include <functional>

namespace kimsim {

/// The number of threads a loop on `threads` runs on (0: OpenMP's default, all cores).
int loop_threads(int threads);

/// Calls task(i, thread) for every i in [first, first + count), on `threads` threads (0:
/// OpenMP's default), each index once, in any order; `thread` is below loop_threads(threads).
/// Where task returns false (a point that stops the loop), indices above it are skipped and
/// every index below it still runs, so that the lowest such index is found whatever the threads.
/// An exception leaves after the loop: that of the lowest index.
void for_each_point(std::uint64_t first, std::uint64_t count, int threads,
                    const std::function<bool(std::uint64_t index, int thread)>& task);

}  // namespace kimsim
