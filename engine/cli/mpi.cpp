#include "cli/mpi.hpp"

#include <climits>
#include <cstdlib>
#include <streambuf>

#include "cli/commands.hpp"

#ifdef KIMSIM_WITH_MPI
#include <mpi.h>
#endif

namespace kimsim::cli::mpi {
namespace {

int g_size = 1, g_rank = 0;

/// Launchers announce themselves in the environment: Open MPI's mpirun, PMI (MPICH, Slurm's
/// srun) and PMIx.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

}  // namespace

std::ostream& quiet() {
  struct Null : std::streambuf {
    int overflow(int c) override { return c; }
  };
  static Null buffer;
  static std::ostream stream(&buffer);
  return stream;
}

bool distributed() { return g_size > 1; }
int rank() { return g_rank; }

#ifdef KIMSIM_WITH_MPI

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  // Only the main thread calls MPI; OpenMP threads never do.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  g_size = size_, g_rank = rank_;
}

Session::~Session() {
  if (active_) MPI_Finalize();
}

namespace {

/// Sends a failure (code and text) from rank `owner` to every rank.
Failure broadcast(Failure f, int owner, int rank) {
  std::uint64_t len = f.text.size();
  int code = f.code;
  MPI_Bcast(&code, 1, MPI_INT, owner, MPI_COMM_WORLD);
  MPI_Bcast(&len, 1, MPI_UINT64_T, owner, MPI_COMM_WORLD);
  if (rank != owner) f.text.assign(len, '\0');
  MPI_Bcast(f.text.data(), static_cast<int>(len), MPI_CHAR, owner, MPI_COMM_WORLD);
  f.code = code;
  return f;
}

}  // namespace

SimulationResult simulate(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                          int threads, Progress progress) {
  if (!distributed()) return kimsim::simulate(scenario, regions, spec, threads, progress);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::uint64_t n = spec.replications, P = static_cast<std::uint64_t>(size);
  auto first_of = [&](std::uint64_t r) { return n / P * r + std::min(r, n % P); };
  const std::uint64_t first = first_of(static_cast<std::uint64_t>(rank));
  const std::uint64_t count = first_of(static_cast<std::uint64_t>(rank) + 1) - first;

  SimulationResult local;
  std::exception_ptr error;
  std::uint64_t failed_at = UINT64_MAX;
  try {
    local = simulate_share(scenario, regions, spec, first, count, threads, rank == 0 ? progress : nullptr, &failed_at);
  } catch (...) {
    error = std::current_exception();
    if (failed_at == UINT64_MAX) failed_at = first;  // failed before any replication ran
  }
  // The lowest failing replication anywhere decides what every rank reports.
  std::uint64_t lowest = failed_at;
  MPI_Allreduce(&failed_at, &lowest, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  if (lowest != UINT64_MAX) {
    int owner = 0;
    while (owner + 1 < size && first_of(static_cast<std::uint64_t>(owner) + 1) <= lowest) ++owner;
    Failure f;
    if (rank == owner) f = describe_failure("simulate", error);
    throw RaisedFailure{broadcast(std::move(f), owner, rank)};
  }
  // Gather the packed shares on rank 0, in rank order.
  const std::string mine = pack(local);
  if (mine.size() > static_cast<std::size_t>(INT_MAX)) throw Error("a rank's accumulators exceed 2 GiB");
  if (rank != 0) {
    MPI_Send(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    return {};
  }
  for (int from = 1; from < size; ++from) {
    MPI_Status status;
    MPI_Probe(from, 0, MPI_COMM_WORLD, &status);
    int len = 0;
    MPI_Get_count(&status, MPI_BYTE, &len);
    std::string bytes(static_cast<std::size_t>(len), '\0');
    MPI_Recv(bytes.data(), len, MPI_BYTE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    merge(local, unpack(bytes));
  }
  return local;
}

#else  // built without MPI: always a world of one

Session::Session(int&, char**&) {}
Session::~Session() = default;

SimulationResult simulate(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                          int threads, Progress progress) {
  // Several copies started by a launcher would each run everything and race for the output.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n && std::atoi(n) > 1)
      throw Error("this kimsim was built without MPI: run it without mpirun, or rebuild with MPI (libopenmpi-dev)");
  return kimsim::simulate(scenario, regions, spec, threads, progress);
}

#endif

}  // namespace kimsim::cli::mpi
