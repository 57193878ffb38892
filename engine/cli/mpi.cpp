#include "cli/mpi.hpp"

#include <climits>
#include <cstdlib>
#include <streambuf>

#include "cli/commands.hpp"
#include "kimsim/error.hpp"

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

/// The lowest rank for which `mine` holds.
int lowest_rank_where(bool mine) {
  const int me = mine ? g_rank : INT_MAX;
  int lowest = INT_MAX;
  MPI_Allreduce(&me, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return lowest;
}

/// Every rank throws the failure that rank `owner` describes from its `error`.
[[noreturn]] void raise_from(int owner, const std::string& command, std::exception_ptr error) {
  Failure f;
  if (g_rank == owner) f = describe_failure(command, error);
  throw RaisedFailure{broadcast(std::move(f), owner, g_rank)};
}

}  // namespace

void agree(const std::string& command, std::exception_ptr error) {
  if (!distributed()) {
    if (error) std::rethrow_exception(error);
    return;
  }
  if (const int owner = lowest_rank_where(error != nullptr); owner != INT_MAX) raise_from(owner, command, error);
}

void agree_on_lowest(const std::string& command, std::exception_ptr error, std::uint64_t failed_at) {
  if (!distributed()) {
    if (error) std::rethrow_exception(error);
    return;
  }
  if (!error) failed_at = UINT64_MAX;
  std::uint64_t lowest = failed_at;
  MPI_Allreduce(&failed_at, &lowest, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  if (lowest != UINT64_MAX) raise_from(lowest_rank_where(error && failed_at == lowest), command, error);
}

SharedCounters::SharedCounters(int count) {
  if (!distributed()) {
    local_.assign(static_cast<std::size_t>(count), 0);
    return;
  }
  const MPI_Aint bytes = g_rank == 0 ? static_cast<MPI_Aint>(count * sizeof(std::uint64_t)) : 0;
  auto* win = new MPI_Win;
  MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &memory_, win);
  if (g_rank == 0)
    for (int k = 0; k < count; ++k) memory_[k] = 0;
  MPI_Barrier(MPI_COMM_WORLD);  // zeroed before any rank reaches it
  // One passive-target access epoch for the whole run: each operation is then one call and a
  // flush, with no lock to take.
  MPI_Win_lock_all(MPI_MODE_NOCHECK, *win);
  window_ = win;
}

SharedCounters::~SharedCounters() {
  if (!window_) return;
  auto* win = static_cast<MPI_Win*>(window_);
  MPI_Win_unlock_all(*win);
  MPI_Win_free(win);
  delete win;
}

std::uint64_t SharedCounters::fetch_add(int k, std::uint64_t v) { return fetch_add_or_read(k, v, true); }

std::uint64_t SharedCounters::fetch_add_or_read(int k, std::uint64_t v, bool add) {
  if (!window_) {
    const std::uint64_t was = local_[static_cast<std::size_t>(k)];
    if (add) local_[static_cast<std::size_t>(k)] += v;
    return was;
  }
  auto* win = static_cast<MPI_Win*>(window_);
  std::uint64_t was = 0;
  MPI_Fetch_and_op(&v, &was, MPI_UINT64_T, 0, k, add ? MPI_SUM : MPI_NO_OP, *win);
  MPI_Win_flush(0, *win);
  return was;
}

std::uint64_t max_over_ranks(std::uint64_t v) {
  if (!distributed()) return v;
  std::uint64_t m = v;
  MPI_Allreduce(&v, &m, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return m;
}

std::vector<std::string> gather(const std::string& mine) {
  if (!distributed()) return {mine};
  // The sizes are agreed first, so that no rank sends what another refuses.
  const std::uint64_t largest = max_over_ranks(mine.size());
  if (largest > static_cast<std::uint64_t>(INT_MAX))
    throw Error("a rank's accumulators exceed 2 GiB: use more ranks, or fewer years and regions");
  if (g_rank != 0) {
    MPI_Send(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, 0, 1, MPI_COMM_WORLD);
    return {};
  }
  std::vector<std::string> all(static_cast<std::size_t>(g_size));
  all[0] = mine;
  for (int from = 1; from < g_size; ++from) {
    MPI_Status status;
    MPI_Probe(from, 1, MPI_COMM_WORLD, &status);
    int len = 0;
    MPI_Get_count(&status, MPI_BYTE, &len);
    auto& bytes = all[static_cast<std::size_t>(from)];
    bytes.assign(static_cast<std::size_t>(len), '\0');
    MPI_Recv(bytes.data(), len, MPI_BYTE, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  return all;
}

void broadcast(std::string& bytes) {
  if (!distributed()) return;
  std::uint64_t len = bytes.size();
  MPI_Bcast(&len, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (len > static_cast<std::uint64_t>(INT_MAX)) throw Error("more than 2 GiB to send to every rank");
  if (g_rank != 0) bytes.assign(len, '\0');
  MPI_Bcast(bytes.data(), static_cast<int>(len), MPI_BYTE, 0, MPI_COMM_WORLD);
}

namespace {

/// Runs this rank's share of `n` replications (`run(first, count, progress, failed_at)`) and
/// gathers the packed shares on rank 0, which merges them in rank order; the other ranks return
/// an empty result. A failing replication anywhere is thrown on every rank, the lowest one.
template <typename Result, typename Run, typename Unpack>
Result distribute(const std::string& command, std::uint64_t n, Progress progress, Run run, Unpack unpack) {
  const std::uint64_t P = static_cast<std::uint64_t>(g_size);
  auto first_of = [&](std::uint64_t r) { return n / P * r + std::min(r, n % P); };
  const std::uint64_t first = first_of(static_cast<std::uint64_t>(g_rank));
  const std::uint64_t count = first_of(static_cast<std::uint64_t>(g_rank) + 1) - first;

  Result local;
  std::exception_ptr error;
  std::uint64_t failed_at = UINT64_MAX;
  try {
    local = run(first, count, g_rank == 0 ? progress : nullptr, &failed_at);
  } catch (...) {
    error = std::current_exception();
    if (failed_at == UINT64_MAX) failed_at = first;  // failed before any replication ran
  }
  agree_on_lowest(command, error, failed_at);
  // Rank 0 receives every share before it merges any.
  const std::vector<std::string> shares = gather(pack(local));
  if (g_rank != 0) return {};
  for (std::size_t from = 1; from < shares.size(); ++from) merge(local, unpack(shares[from], local));
  return local;
}

}  // namespace

CompareSimulation compare_replications(std::span<const SimulatedScenario> scenarios, std::uint64_t seed,
                                       std::uint64_t replications, int threads, Progress progress) {
  if (!distributed()) return kimsim::compare_replications(scenarios, seed, 0, replications, threads, progress);
  return distribute<CompareSimulation>(
      "compare", replications, progress,
      [&](std::uint64_t first, std::uint64_t count, Progress p, std::uint64_t* failed_at) {
        return kimsim::compare_replications(scenarios, seed, first, count, threads, p, failed_at);
      },
      [](std::string_view bytes, const CompareSimulation& like) { return unpack_comparison(bytes, like); });
}

#else  // built without MPI: always a world of one

Session::Session(int&, char**&) {}
Session::~Session() = default;

void agree(const std::string&, std::exception_ptr error) {
  if (error) std::rethrow_exception(error);
}

void agree_on_lowest(const std::string&, std::exception_ptr error, std::uint64_t) {
  if (error) std::rethrow_exception(error);
}

SharedCounters::SharedCounters(int count) {
  // Several copies started by a launcher would each run everything and race for the output.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n && std::atoi(n) > 1)
      throw Error("this kimsim was built without MPI: run it without mpirun, or rebuild with MPI (libopenmpi-dev)");
  local_.assign(static_cast<std::size_t>(count), 0);
}
SharedCounters::~SharedCounters() = default;
std::uint64_t SharedCounters::fetch_add(int k, std::uint64_t v) { return fetch_add_or_read(k, v, true); }
std::uint64_t SharedCounters::fetch_add_or_read(int k, std::uint64_t v, bool add) {
  const std::uint64_t was = local_[static_cast<std::size_t>(k)];
  if (add) local_[static_cast<std::size_t>(k)] += v;
  return was;
}
std::uint64_t max_over_ranks(std::uint64_t v) { return v; }
std::vector<std::string> gather(const std::string& mine) { return {mine}; }
void broadcast(std::string&) {}

CompareSimulation compare_replications(std::span<const SimulatedScenario> scenarios, std::uint64_t seed,
                                       std::uint64_t replications, int threads, Progress progress) {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n && std::atoi(n) > 1)
      throw Error("this kimsim was built without MPI: run it without mpirun, or rebuild with MPI (libopenmpi-dev)");
  return kimsim::compare_replications(scenarios, seed, 0, replications, threads, progress);
}

#endif

void agreed(const std::string& command, const std::function<void()>& step) {
  std::exception_ptr error;
  try {
    step();
  } catch (...) {
    error = std::current_exception();
  }
  agree(command, error);
}

}  // namespace kimsim::cli::mpi
