// MPI at the edge: `mpirun -n P kimsim simulate ...` (and `kimsim compare --replications`) spreads
// the replications over P ranks (each with its OpenMP threads) and gathers the integer
// accumulators on the first rank, which alone writes the results. `simulate` takes its chunks
// from shared counters (cli/batch.hpp drives them with the primitives below); `compare` gives
// each rank a fixed share. The bits are those of a run in
// one process. This header and mpi.cpp are the only places that know of MPI.
#pragma once

#include <cstdint>
#include <exception>
#include <ostream>
#include <functional>
#include <string>
#include <vector>

#include "kimsim/compare.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::cli::mpi {

/// Starts MPI when the process was started by an MPI launcher (mpirun, mpiexec, srun) and kimsim
/// was built with MPI; ends it when destroyed. Without either, a world of one rank.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  bool active_ = false;
  int rank_ = 0, size_ = 1;
};

/// Whether this process is one of several MPI ranks, and which.
bool distributed();
int rank();

/// Where any rank's `error` is set, every rank throws the failure of the lowest such rank (as
/// RaisedFailure, described as `command` would); else returns. In one process: rethrows `error`.
/// Collective: every rank calls it at the same step.
void agree(const std::string& command, std::exception_ptr error);

/// Collective: runs `step` and agrees on its outcome (agree): for what a command does before its
/// first collective step, which may fail on one rank alone (a file missing on its node), so that
/// no rank waits for one that left.
void agreed(const std::string& command, const std::function<void()>& step);

/// Collective: where any rank's `error` is set, every rank throws the failure of the lowest
/// `failed_at` (the unit, a replication, whose exception it is; of the ranks that hold it, the
/// lowest rank's): what a single process reports. Else returns. In one process: rethrows `error`.
void agree_on_lowest(const std::string& command, std::exception_ptr error, std::uint64_t failed_at);

/// A few 64-bit counters that any rank reads and adds to without the others taking part: an MPI
/// window on the first rank, reached with MPI_Fetch_and_op (passive target; each call waits for
/// its answer). Only the main thread calls them. In one process: plain numbers. The balanced
/// runs in chunks (cli/batch.hpp) take their next chunk from one of them. Where the network
/// cannot do atomic operations itself (Open MPI over TCP), an operation waits until the first
/// rank calls MPI, which it does at each of its own chunks.
class SharedCounters {
 public:
  /// Collective: `count` counters, all 0.
  explicit SharedCounters(int count);
  /// Collective.
  ~SharedCounters();
  SharedCounters(const SharedCounters&) = delete;
  SharedCounters& operator=(const SharedCounters&) = delete;
  /// Adds `v` to counter `k`, atomically over all ranks; returns its value before.
  std::uint64_t fetch_add(int k, std::uint64_t v);
  /// Counter `k` now.
  std::uint64_t read(int k) { return fetch_add_or_read(k, 0, false); }

 private:
  std::uint64_t fetch_add_or_read(int k, std::uint64_t v, bool add);
  std::vector<std::uint64_t> local_;  // one process
  void* window_ = nullptr;            // MPI_Win, where distributed
  std::uint64_t* memory_ = nullptr;
};

/// Collective: the largest `v` of all ranks (in one process: `v`).
std::uint64_t max_over_ranks(std::uint64_t v);
/// Collective: every rank's `mine` on the first rank, in rank order; the others get nothing.
std::vector<std::string> gather(const std::string& mine);
/// Collective: the first rank's `bytes` on every rank.
void broadcast(std::string& bytes);

/// compare --replications the same way: this rank's share of the replications of every scenario,
/// gathered and merged on rank 0 (the other ranks return an empty result).
CompareSimulation compare_replications(std::span<const SimulatedScenario> scenarios, std::uint64_t seed,
                                       std::uint64_t replications, int threads, Progress progress);

/// A stream that discards what it is given (the output of ranks other than the first).
std::ostream& quiet();

}  // namespace kimsim::cli::mpi
