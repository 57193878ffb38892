// The kimsim subcommands, as one table: the usage text, the dispatch, "did you mean" and the
// exit codes all come from it. Each command parses its own options (its --help), calls the
// library, and writes its result only once it is complete; errors are thrown and mapped to exit
// codes in one place (describe_failure).
#pragma once

#include <exception>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace kimsim::io {
struct OutputFile;
}

namespace kimsim::cli {

/// Exit codes, documented in `kimsim --help`.
enum ExitCode : int {
  kOk = 0,
  kInternal = 1,  ///< a defect in kimsim
  kBadInput = 2,  ///< unusable arguments or input files
  kTie = 3,       ///< a tie that the tie policy refuses to decide
  /// Stopped by a signal or --max-time, its work in the checkpoint (written then, or, where a
  /// --resume was stopped while it waited, left as it was): run again with --resume (a job
  /// script requeues on it). 75 is EX_TEMPFAIL of sysexits.h, "try again later".
  kInterrupted = 75,
};

/// Thrown for bad command-line usage (unknown option, missing argument).
struct UsageError {
  std::string message;
};

/// What a failed command prints on stderr (whole lines) and the exit code it returns.
struct Failure {
  int code = kInternal;
  std::string text;
};

/// The failure an exception of `command` stands for: the one mapping of errors to exit codes.
Failure describe_failure(const std::string& command, std::exception_ptr error);

/// A failure described elsewhere (on another MPI rank), raised here as it was described.
struct RaisedFailure {
  Failure failure;
};

/// What a command is given: its arguments (without the command's name), the whole command line
/// (for manifests), and where to talk. Ranks other than the first of an MPI run get a silent `out`.
struct Invocation {
  const std::vector<std::string>& args;
  const std::string& command_line;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string_view name;
  std::string_view synopsis;  ///< arguments, as in the usage text
  std::string_view summary;   ///< one line
  int (*run)(const Invocation&);
  /// Runs in chunks with checkpoints (cli/batch.hpp): SIGTERM, SIGINT and SIGUSR1 stop it
  /// cleanly (exit 75), their handlers set before MPI starts (engine/main.cpp).
  bool checkpoints = false;
};

/// Writes a command's result folder (io::write_result_folder) and remembers it: every command
/// writes its results through here. (Commands print to standard output only after their results
/// are written, so a failed standard output is found after them.)
void write_results(const std::string& dir, const std::vector<io::OutputFile>& files, nlohmann::json manifest);

/// The folder write_results wrote in this process (empty before): where standard output fails
/// only after the results were in place, main's error names them.
const std::string& results_written();

/// Every command, in the order of the usage text. A new command is one row here (commands.cpp)
/// and one file with its function.
std::span<const Command> commands();

/// `kimsim --help`: the commands from the table and the exit codes.
std::string usage();

int apportion_command(const Invocation& call);
int run_command(const Invocation& call);
int validate_command(const Invocation& call);
int simulate_command(const Invocation& call);
int resolve_command(const Invocation& call);
int compare_command(const Invocation& call);
int explain_command(const Invocation& call);
int calibrate_command(const Invocation& call);
int sweep_command(const Invocation& call);
int serve_command(const Invocation& call);

}  // namespace kimsim::cli
