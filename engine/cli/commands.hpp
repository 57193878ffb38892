// The kimsim subcommands. Each parses its own options, calls the library, and writes its result
// only once it is complete; errors are thrown and mapped to exit codes in main.
#pragma once

#include <exception>
#include <iosfwd>
#include <string>
#include <vector>

namespace kimsim::cli {

/// Exit codes, documented in `kimsim --help`.
enum ExitCode : int {
  kOk = 0,
  kInternal = 1,  ///< a defect in kimsim
  kBadInput = 2,  ///< unusable arguments or input files
  kTie = 3,       ///< a tie that the tie policy refuses to decide
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

int apportion_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int run_command(const std::vector<std::string>& args, const std::string& command_line, std::ostream& out);
int validate_command(const std::vector<std::string>& args, std::ostream& out);
int simulate_command(const std::vector<std::string>& args, const std::string& command_line, std::ostream& out);

}  // namespace kimsim::cli
