// Long runs in chunks, for any command whose results are integer accumulators over numbered
// units (simulate: replications; sweep: points): balanced over MPI ranks, checkpointed, stopped
// cleanly by a signal or a time limit, resumed to the bytes of an uninterrupted run.
//
// A command describes its work (BatchWork: how to run units, how to hand over and merge its
// accumulators) and calls run_batch() on every rank; run_batch() returns when all units are
// done (the first rank then holds everything: BatchWork::total) or when the run stopped with a
// checkpoint written (exit kInterrupted, 75). `simulate` is the first user (simulate_cmd.cpp).
//
// How the ranks share the work: the units are cut into chunks (ChunkPlan::for_units); every rank,
// the first one too, takes the next chunk that is neither finished (in the checkpoint resumed
// from) nor taken, from a shared counter (MPI_Fetch_and_op on a window of the first rank), and
// runs it on its threads. Between chunks a rank may call a meeting (a second shared counter): a
// rank that has run out of chunks, that was signalled, or the first rank when a checkpoint is
// due or --max-time near. Every rank comes at the end of its current chunk; there the ranks agree
// (collectives) on a failure, stop and finish, and send the accumulators of the chunks they ran
// since the last meeting to the first rank, which adds them to its total and writes the
// checkpoint. Chunks are taken in ascending order and every taken chunk is finished before the
// meeting, so the first rank's total is always that of a set of whole chunks, and a failing
// replication is always found with every lower one run: the error reported is that of the lowest
// failing replication, as in one process.
//
// Signals: SIGTERM, SIGINT and SIGUSR1 only set a flag (async-signal-safe); the rank that sees it
// calls a meeting at its next chunk boundary, so that a signal to one rank stops all. Slurm
// signals every task of a step (`scancel --signal`, `--signal=USR1@300`); with
// `--signal=B:USR1@300` only the batch shell is signalled and must forward it (examples/slurm/).
// Open MPI's mpirun forwards SIGUSR1 to its ranks but answers SIGTERM by ending them (exit 1,
// no checkpoint): under mpirun, signal with USR1.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

#include "io/checkpoint.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::cli {

/// A duration with its units, largest first, each at most once: `90s`, `10m`, `1h`, `23h50m`,
/// `1h30m15s`, `500ms`. Seconds; nothing where the text is not one (a bare number has no unit).
std::optional<double> parse_duration(std::string_view text);

/// While it lives, SIGTERM, SIGINT and SIGUSR1 only set a flag (async-signal-safe) that
/// run_batch() reads at each chunk boundary; then the previous handlers come back. main()
/// constructs it for the commands marked `checkpoints` in the table, before MPI starts, so that
/// a signal that comes early (a job step signalled while its ranks still start) stops the run at
/// its first chunk boundary with a checkpoint instead of killing it.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_[3] {};
};

/// What the command line says about checkpoints and limits (add_batch_options, batch_options).
struct BatchOptions {
  std::string checkpoint;  ///< the file; default: beside the output folder, DIR.checkpoint
  double every = 600;      ///< seconds between checkpoints (--checkpoint-every, default 10m)
  std::optional<double> max_time;  ///< --max-time in seconds: stop with a checkpoint before it
  bool resume = false;     ///< --resume: continue from the checkpoint
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();  ///< --max-time counts from here
};

/// The options' texts as Boost fills them, before batch_options() checks them.
struct BatchOptionText {
  std::string every = "10m";
  std::optional<std::string> checkpoint, max_time;  ///< as given, empty text included
  bool resume = false;
};

/// Adds --checkpoint, --checkpoint-every, --max-time and --resume to a command's options.
void add_batch_options(boost::program_options::options_description& options, BatchOptionText& text);
/// The checked options (a bad duration is a UsageError naming the option and the value);
/// `out_dir` gives the default checkpoint, OUT_DIR.checkpoint.
BatchOptions batch_options(const BatchOptionText& text, const std::string& out_dir);
/// The help's paragraph on these options, for a run of `units` ("replications", "points").
std::string batch_help(std::string_view units);

/// The work of one command, as run_batch() drives it. Each rank runs the units it takes into its
/// own accumulators; take() hands them over packed; the first rank add()s every rank's into its
/// total (also the checkpoint's payload when resuming) and writes total() into checkpoints.
struct BatchWork {
  io::Checkpoint identity;  ///< command, version, inputs, seed and plan; done and payload empty
  /// Runs units [first, first + count) on this rank's threads. On failure it throws, with the
  /// failing unit in *failed_at (as SimulationRun::run).
  std::function<void(std::uint64_t first, std::uint64_t count, std::uint64_t* failed_at)> run;
  std::function<std::string()> take;
  std::function<void(std::string_view packed)> add;
  std::function<std::string()> total;
  Progress progress = nullptr;  ///< (units done, units), on the first rank
};

/// How a run in chunks ended.
struct BatchEnd {
  bool finished = false;     ///< all units done: the first rank's total is the whole result
  std::string stopped_by;    ///< else: "SIGTERM", "SIGINT", "SIGUSR1" or "--max-time"
  std::uint64_t units_done = 0;  ///< units in the finished chunks
  bool resumed = false;      ///< continued from a checkpoint
  io::Checkpoint state;      ///< on the first rank: the identity and the finished chunks (no payload)
  /// On the first rank: the writer of the checkpoint file this run may replace or remove (its
  /// own token once it wrote one, else that of the checkpoint it resumed from, else "").
  std::string owned;
};

/// Collective over the ranks: runs `work` as described at the top (within the life of a
/// StopSignals), checkpointing into
/// options.checkpoint. Refuses (an Error, exit 2, nothing written) a checkpoint that is in the
/// way without --resume, and on --resume one that is missing, damaged or of another run.
BatchEnd run_batch(const std::string& command, BatchWork& work, const BatchOptions& options);

/// What a run that `end` stopped says on the first rank (`units`: "replications", "points"): how
/// far it came, where its checkpoint is and how to go on.
void say_stopped(std::ostream& err, const std::string& command, const BatchEnd& end, std::uint64_t total,
                 std::string_view units, const BatchOptions& options);

/// After a finished run, on the first rank: writes the results (`write`), then removes the run's
/// checkpoint, not another run's. Where the results cannot be written (a folder appeared in
/// --out's way meanwhile, a full disk), the finished work is first kept as the checkpoint — a
/// --resume then writes the results without computing them again — and the error says so.
void finish_batch(const BatchOptions& options, const BatchWork& work, const BatchEnd& end, const std::function<void()>& write);

}  // namespace kimsim::cli
