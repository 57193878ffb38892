// `kimsim resolve`: the effective scenario of a variant, each value with the file and line that
// set it.
#include <boost/program_options.hpp>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/scenario.hpp"
#include "io/variant.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {

int resolve_command(const Invocation& call) {
  po::options_description visible(R"(Usage: kimsim resolve SCENARIO.yaml [--year Y]

Prints the effective scenario: a variant (extends: BASE.yaml) merged with its chain of bases, and
dated values ({2020: 50000.00, 2021: 55000.00}) settled for the scenario's year, or for Y. Each
value is followed by a comment naming the file and line that set it. Nothing is written; the
scenario is read as strictly as by run, but not run.

Options)");
  Whole year;
  visible.add_options()("help,h", "show this help")("year", po::value(&year), "the year whose dated values apply");
  std::string scenario;
  const po::variables_map vm = parse_options(call.args, visible, scenario);
  if (vm.count("help")) {
    call.out << visible << "\n";
    return kOk;
  }
  if (scenario.empty()) throw UsageError{"missing the SCENARIO file"};
  const io::LoadOptions options{year_option(vm, year), std::nullopt, nullptr};
  // As strictly as by run: a scenario run refuses is not printed as if it were one (its errors
  // name the file of the chain that wrote each value).
  io::load_scenario(scenario, options);
  const io::MergedScenario merged = io::resolve_scenario(scenario, options);
  call.out << io::resolved_text(merged);
  return kOk;
}

}  // namespace kimsim::cli
