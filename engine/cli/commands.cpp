#include "cli/commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "io/output.hpp"
#include "kimsim/error.hpp"

namespace kimsim::cli {

namespace {
std::string g_results_written;
}

void write_results(const std::string& dir, const std::vector<io::OutputFile>& files, nlohmann::json manifest) {
  io::write_result_folder(dir, files, std::move(manifest));
  g_results_written = dir;
}

const std::string& results_written() { return g_results_written; }

std::span<const Command> commands() {
  static constexpr Command kCommands[] = {
      {"run", "SCENARIO.yaml [--year Y] [--out DIR]", "allocate a funding scenario (e.g. scenarios/kim-nrw-2021.yaml)", run_command},
      {"validate", "SCENARIO.yaml", "check a scenario without running it", validate_command},
      {"resolve", "SCENARIO.yaml [--year Y]", "a variant merged with its bases, each value with its file:line", resolve_command},
      {"explain", "SCENARIO.yaml AGS|NAME [...]", "how one recipient got its positions and euros, step by step", explain_command},
      {"compare", "BASE.yaml VARIANT.yaml...", "winners, losers, fairness and paradoxes of variants", compare_command},
      {"calibrate", "SCENARIO.yaml --baustein B", "fit a key's weights to observed positions (NNLS)", calibrate_command},
      {"simulate", "SCENARIO.yaml [...]", "Monte Carlo over uptake, hiring, cost, indicators, years", simulate_command,
       true},
      {"sweep", "SWEEP.yaml [...]", "a scenario at many points: grid, Latin hypercube or Sobol", sweep_command,
       true},
      {"serve", "[SCENARIOS_DIR] [--port P]", "what-if web page and JSON API for planners, on this machine", serve_command},
      {"apportion", "[options] FILE.csv", "apportion units among recipients by weights", apportion_command},
  };
  return kCommands;
}

std::string usage() {
  std::string text = "kimsim — funding allocation and apportionment engine\n\nUsage:\n";
  // The summaries in one column, as wide as the longest synopsis needs: they line up whatever is added.
  std::size_t width = 0;
  for (const Command& c : commands()) width = std::max(width, c.name.size() + c.synopsis.size() + 9);
  const auto line = [&](std::string_view left, std::string_view right) {
    fmt::format_to(std::back_inserter(text), "  {:<{}} {}\n", left, width, right);
  };
  for (const Command& c : commands()) line(fmt::format("kimsim {} {}", c.name, c.synopsis), c.summary);
  line("kimsim --version", "print the version");
  line("kimsim COMMAND --help", "options of a command");
  return text + R"(
Exit codes:
  0  success
  1  internal error (a defect in kimsim: please report it)
  2  bad input: arguments, files or bounds that cannot be used; nothing is written (a standard
     output that fails once the results are written: the message names them)
  3  an unresolved tie: the tie policy 'error' refuses to decide it; nothing is written
  75 stopped by SIGTERM, SIGINT, SIGUSR1 or --max-time, its work in the checkpoint: run the same
     command again with --resume (simulate, sweep)
)";
}

Failure describe_failure(const std::string& command, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RaisedFailure& f) {
    return f.failure;
  } catch (const UsageError& e) {
    return {kBadInput, fmt::format("kimsim {0}: error: {1}\nRun 'kimsim {0} --help' for its options.\n", command, e.message)};
  } catch (const TieError& e) {
    return {kTie, fmt::format("kimsim {}: error: {}\n", command, e.what())};
  } catch (const Error& e) {
    // One line per error; a scenario lists all of its errors.
    std::string text;
    const std::string_view what = e.what();
    for (std::size_t p = 0, q; p <= what.size(); p = q + 1) {
      q = what.find('\n', p);
      if (q == std::string_view::npos) q = what.size();
      fmt::format_to(std::back_inserter(text), "kimsim {}: error: {}\n", command, what.substr(p, q - p));
    }
    return {kBadInput, text};
  } catch (const std::exception& e) {
    return {kInternal, fmt::format("kimsim {}: internal error: {}\n", command, e.what())};
  } catch (...) {
    return {kInternal, fmt::format("kimsim {}: internal error: unknown exception\n", command)};
  }
}

}  // namespace kimsim::cli
