#include "cli/commands.hpp"

#include <algorithm>

#include "kimsim/error.hpp"

namespace kimsim::cli {

std::span<const Command> commands() {
  static constexpr Command kCommands[] = {
      {"run", "SCENARIO.yaml [--year Y] [--out DIR]", "allocate a funding scenario (e.g. scenarios/kim-nrw-2021.yaml)", run_command},
      {"validate", "SCENARIO.yaml", "check a scenario without running it", validate_command},
      {"resolve", "SCENARIO.yaml [--year Y]", "a variant merged with its bases, each value with its file:line", resolve_command},
      {"compare", "BASE.yaml VARIANT.yaml...", "winners, losers, fairness and paradoxes of variants", compare_command},
      {"simulate", "SCENARIO.yaml [...]", "Monte Carlo over uptake, hiring, cost, indicators, years", simulate_command},
      {"apportion", "[options] FILE.csv", "apportion units among recipients by weights", apportion_command},
  };
  return kCommands;
}

std::string usage() {
  std::string text = "kimsim — funding allocation and apportionment engine\n\nUsage:\n";
  // The left column as wide as the longest synopsis: the summaries line up whatever is added.
  std::size_t width = 0;
  for (const Command& c : commands()) width = std::max(width, c.name.size() + c.synopsis.size() + 10);
  auto line = [&](std::string left, std::string_view right) {
    left.resize(std::max(left.size() + 1, width), ' ');
    text += "  " + left + std::string(right) + "\n";
  };
  for (const Command& c : commands()) line("kimsim " + std::string(c.name) + " " + std::string(c.synopsis), c.summary);
  line("kimsim --version", "print the version");
  line("kimsim COMMAND --help", "options of a command");
  return text + R"(
Exit codes:
  0  success
  1  internal error (a defect in kimsim: please report it)
  2  bad input: arguments, files or bounds that cannot be used; nothing is written
  3  an unresolved tie: the tie policy 'error' refuses to decide it; nothing is written
)";
}

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
