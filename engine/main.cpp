// kimsim: the command-line front end. Dispatches to a subcommand and maps errors to exit codes.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
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

int main(int argc, char** argv) {
  using namespace kimsim;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? cli::kBadInput : cli::kOk;
  }
  if (args[0] == "--version") {
    std::cout << "kimsim " << kVersion << " (" << kGitCommit << ")\n";
    return cli::kOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "apportion") return cli::apportion_command(args, std::cout, std::cerr);
    std::string line = "kimsim " + command;
    for (const auto& a : args) line += " " + a;
    if (command == "run") return cli::run_command(args, line, std::cout);
    if (command == "simulate") return cli::simulate_command(args, line, std::cout);
    if (command == "validate") return cli::validate_command(args, std::cout);
    const std::vector<std::string> commands = {"apportion", "run", "validate", "simulate"};
    std::cerr << "kimsim: error: unknown command '" << command << "'"
              << io::did_you_mean(command, commands) << "\n"
              << "Run 'kimsim --help' for the commands.\n";
    return cli::kBadInput;
  } catch (const cli::UsageError& e) {
    std::cerr << "kimsim " << command << ": error: " << e.message << "\n"
              << "Run 'kimsim " << command << " --help' for its options.\n";
    return cli::kBadInput;
  } catch (const TieError& e) {
    std::cerr << "kimsim " << command << ": error: " << e.what() << "\n";
    return cli::kTie;
  } catch (const Error& e) {
    // One line per error; a scenario lists all of its errors.
    std::string what = e.what();
    for (std::size_t p = 0, q; p <= what.size(); p = q + 1) {
      q = what.find('\n', p);
      if (q == std::string::npos) q = what.size();
      std::cerr << "kimsim " << command << ": error: " << what.substr(p, q - p) << "\n";
    }
    return cli::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "kimsim " << command << ": internal error: " << e.what() << "\n";
    return cli::kInternal;
  }
}
