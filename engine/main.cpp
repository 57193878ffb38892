// kimsim: the command-line front end. Dispatches to a subcommand and maps errors to exit codes.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/mpi.hpp"
#include "io/output.hpp"
#include "io/suggest.hpp"
#include "kimsim/error.hpp"
#include "kimsim/version.hpp"

namespace {

constexpr const char* kUsage = R"(kimsim — funding allocation and apportionment engine

Usage:
  kimsim run SCENARIO.yaml [--out DIR]  allocate a funding scenario (e.g. scenarios/kim-nrw-2021.yaml)
  kimsim validate SCENARIO.yaml         check a scenario without running it
  kimsim simulate SCENARIO.yaml [...]   Monte Carlo over uptake, hiring, cost, indicators, years
  kimsim apportion [options] FILE.csv   apportion units among recipients by weights
  kimsim --version                       print the version
  kimsim COMMAND --help                  options of a command

Exit codes:
  0  success
  1  internal error (a defect in kimsim: please report it)
  2  bad input: arguments, files or bounds that cannot be used; nothing is written
  3  an unresolved tie: the tie policy 'error' refuses to decide it; nothing is written
)";

}  // namespace

namespace kimsim::cli {

Failure describe_failure(const std::string& command, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RaisedFailure& f) {
    return f.failure;
  } catch (const UsageError& e) {
    return {kBadInput, "kimsim " + command + ": error: " + e.message + "\nRun 'kimsim " + command +
                           " --help' for its options.\n"};
  } catch (const TieError& e) {
    return {kTie, "kimsim " + command + ": error: " + e.what() + "\n"};
  } catch (const Error& e) {
    // One line per error; a scenario lists all of its errors.
    std::string text, what = e.what();
    for (std::size_t p = 0, q; p <= what.size(); p = q + 1) {
      q = what.find('\n', p);
      if (q == std::string::npos) q = what.size();
      text += "kimsim " + command + ": error: " + what.substr(p, q - p) + "\n";
    }
    return {kBadInput, text};
  } catch (const std::exception& e) {
    return {kInternal, "kimsim " + command + ": internal error: " + e.what() + "\n"};
  } catch (...) {
    return {kInternal, "kimsim " + command + ": internal error: unknown exception\n"};
  }
}

}  // namespace kimsim::cli

namespace {
int run(const kimsim::cli::mpi::Session& mpi, std::vector<std::string> args);
}

int main(int argc, char** argv) {
  using namespace kimsim;
  // Under an MPI launcher every rank runs this; only the first one talks.
  const cli::mpi::Session mpi(argc, argv);
  // Standard output is checked: a result cut short by a full disk or a closed file must not
  // end with exit 0.
  io::CheckedOutput checked(STDOUT_FILENO);
  std::streambuf* const original = std::cout.rdbuf(&checked);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = run(mpi, args);
  const std::string failure = checked.failure();
  std::cout.rdbuf(original);
  if (failure.empty() || code != cli::kOk) return code;
  std::cerr << "kimsim" << (args.empty() ? "" : " " + args[0]) << ": error: cannot write to standard output: " << failure << "\n";
  return cli::kBadInput;
}

namespace {

int run(const kimsim::cli::mpi::Session& mpi, std::vector<std::string> args) {
  using namespace kimsim;
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    if (mpi.rank() == 0) std::cout << kUsage;
    return args.empty() ? cli::kBadInput : cli::kOk;
  }
  if (args[0] == "--version") {
    if (mpi.rank() == 0) std::cout << "kimsim " << kVersion << " (" << kGitCommit << ")\n";
    return cli::kOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "apportion") return cli::apportion_command(args, std::cout, std::cerr);
    std::string line = "kimsim " + command;
    for (const auto& a : args) line += " " + a;
    if (command == "run") return cli::run_command(args, line, std::cout);
    if (command == "simulate") return cli::simulate_command(args, line, mpi.rank() == 0 ? std::cout : cli::mpi::quiet());
    if (command == "validate") return cli::validate_command(args, std::cout);
    const std::vector<std::string> commands = {"apportion", "run", "validate", "simulate"};
    std::cerr << "kimsim: error: unknown command '" << command << "'"
              << io::did_you_mean(command, commands) << "\n"
              << "Run 'kimsim --help' for the commands.\n";
    return cli::kBadInput;
  } catch (...) {
    const cli::Failure f = cli::describe_failure(command, std::current_exception());
    if (mpi.rank() == 0) std::cerr << f.text;
    return f.code;
  }
}

}  // namespace
