// MPI at the edge: `mpirun -n P kimsim simulate ...` (and `kimsim compare --replications`) spreads
// the replications over P ranks (each with its OpenMP threads) and gathers the integer
// accumulators on the first rank, which alone writes the results. The bits are those of a run in
// one process. This header and mpi.cpp are the only places that know of MPI.
#pragma once

#include <ostream>

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

/// Runs this rank's share of the replications (contiguous blocks, sizes differing by at most
/// one) and gathers the shares on rank 0, which returns the merged result; the other ranks
/// return an empty result. If a replication fails anywhere, every rank throws the failure of
/// the lowest failing replication, as a single process would.
SimulationResult simulate(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                          int threads, Progress progress);

/// compare --replications the same way: this rank's share of the replications of every scenario,
/// gathered and merged on rank 0 (the other ranks return an empty result).
CompareSimulation compare_replications(std::span<const SimulatedScenario> scenarios, std::uint64_t seed,
                                       std::uint64_t replications, int threads, Progress progress);

/// A stream that discards what it is given (the output of ranks other than the first).
std::ostream& quiet();

}  // namespace kimsim::cli::mpi
