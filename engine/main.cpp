// kimsim: the command-line front end. Finds the command in the table (cli/commands.cpp), runs it,
// and maps its errors to exit codes.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "cli/batch.hpp"
#include "cli/commands.hpp"
#include "cli/mpi.hpp"
#include "io/output.hpp"
#include "io/suggest.hpp"
#include "kimsim/version.hpp"

namespace {

using namespace kimsim;

int dispatch(const cli::mpi::Session& mpi, std::vector<std::string> args) {
  // Under an MPI launcher every rank runs this; only the first one talks.
  std::ostream& out = mpi.rank() == 0 ? std::cout : cli::mpi::quiet();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << cli::usage();
    return args.empty() ? cli::kBadInput : cli::kOk;
  }
  if (args[0] == "--version") {
    out << "kimsim " << kVersion << " (" << kGitCommit << ")\n";
    return cli::kOk;
  }
  const std::string name = args[0];
  args.erase(args.begin());
  const auto table = cli::commands();
  const auto command = std::find_if(table.begin(), table.end(), [&](const cli::Command& c) { return c.name == name; });
  if (command == table.end()) {
    std::vector<std::string> names;
    for (const auto& c : table) names.emplace_back(c.name);
    if (mpi.rank() == 0)
      std::cerr << "kimsim: error: unknown command '" << name << "'" << io::did_you_mean(name, names) << "\n"
                << "Run 'kimsim --help' for the commands.\n";
    return cli::kBadInput;
  }
  std::string line = "kimsim " + name;
  for (const auto& a : args) line += " " + a;
  try {
    return command->run({args, line, out, std::cerr});
  } catch (...) {
    const cli::Failure f = cli::describe_failure(name, std::current_exception());
    if (mpi.rank() == 0) std::cerr << f.text;
    return f.code;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe or a file-size limit makes a write fail with its reason (EPIPE, EFBIG), which
  // kimsim reports and turns into exit 2, instead of a signal that ends it without a word and
  // leaves its temporary folder behind.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  // A command that checkpoints stops cleanly on SIGTERM, SIGINT and SIGUSR1. Their handlers come
  // first, before MPI starts (which takes a while): a job step signalled at once stops at its
  // first chunk with a checkpoint instead of being killed. They stay until the process ends (never
  // destroyed): a signal that comes once the results are written, while the process exits, finds
  // the work done and leaves the run's exit code as it is.
  if (argc > 1) {
    const auto table = cli::commands();
    const auto c = std::find_if(table.begin(), table.end(), [&](const cli::Command& k) { return k.name == argv[1]; });
    if (c != table.end() && c->checkpoints) {
      // In static storage, never destroyed (and no allocation for a leak checker to report).
      alignas(cli::StopSignals) static unsigned char storage[sizeof(cli::StopSignals)];
      ::new (static_cast<void*>(storage)) cli::StopSignals;
    }
  }
  const cli::mpi::Session mpi(argc, argv);
  // Standard output is checked: a result cut short by a full disk or a closed file must not
  // end with exit 0.
  io::CheckedOutput checked(STDOUT_FILENO);
  std::streambuf* const original = std::cout.rdbuf(&checked);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = dispatch(mpi, args);
  const std::string failure = checked.failure();
  std::cout.rdbuf(original);
  if (failure.empty() || code != cli::kOk) return code;
  const std::string& written = cli::results_written();
  std::cerr << "kimsim" << (args.empty() ? "" : " " + args[0]) << ": error: cannot write to standard output: " << failure
            << (written.empty() ? "" : "; the results were written to " + written + "/, but not all that was printed about them")
            << "\n";
  return cli::kBadInput;
}
