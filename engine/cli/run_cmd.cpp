// `kimsim run` and `kimsim validate`: a scenario's allocation, and a check without running it.
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "kimsim/simulation.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {
namespace {

/// The scenario path from the command line; nothing else but --help and --out.
std::string scenario_of(const std::vector<std::string>& args, const po::options_description& visible,
                        po::variables_map& vm) {
  std::string scenario;
  vm = parse_options(args, visible, scenario);
  if (!vm.count("help") && scenario.empty()) throw UsageError{"missing the SCENARIO file"};
  return scenario;
}

}  // namespace

int run_command(const Invocation& call) {
  const std::vector<std::string>& args = call.args;
  const std::string& command_line = call.command_line;
  std::ostream& out = call.out;
  po::options_description visible(R"(Usage: kimsim run SCENARIO.yaml [--out DIR]

Allocates every Baustein of the scenario to its recipients, in positions and euros (exact to the
cent), prints a summary and writes DIR (default results/<scenario name>/):
  allocation.csv   ags,name,type,baustein,positions,euros,key_share,quota,note
  summary.json     totals per Baustein, largest and smallest allocations, validation, notes
  manifest.json    version, SHA-256 of the scenario and every data file and of each file
                   written, command line, time
The folder is replaced as a whole only when the run succeeds, and only when it is missing, empty
or a result kimsim wrote (its manifest says so and its files are unchanged).

Options)");
  std::string out_dir;
  visible.add_options()("help,h", "show this help")("out,o", po::value(&out_dir), "output folder");
  po::variables_map vm;
  const std::string scenario = scenario_of(args, visible, vm);
  if (vm.count("help")) {
    out << visible << "\n";
    return kOk;
  }
  if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
  const io::LoadedScenario ls = io::load_scenario(scenario);
  const Allocation a = allocate(ls.scenario, ls.regions);
  const std::string dir = out_dir.empty() ? "results/" + ls.scenario.name : out_dir;
  io::write_result_folder(dir, {{"allocation.csv", io::allocation_csv(ls, a)}, {"summary.json", io::summary_json(ls, a).dump(2) + "\n"}},
                          io::manifest_json(ls, command_line, now_utc()));
  out << io::terminal_summary(ls, a, dir);
  return kOk;
}

int validate_command(const Invocation& call) {
  const std::vector<std::string>& args = call.args;
  std::ostream& out = call.out;
  po::options_description visible(R"(Usage: kimsim validate SCENARIO.yaml

Checks a scenario and its data files without writing anything: every error is listed with file,
line, column and key path. Exit code 0 when the scenario is valid, 2 otherwise.

Options)");
  visible.add_options()("help,h", "show this help");
  po::variables_map vm;
  const std::string scenario = scenario_of(args, visible, vm);
  if (vm.count("help")) {
    out << visible << "\n";
    return kOk;
  }
  const io::LoadedScenario ls = io::load_scenario(scenario);
  const Allocation a = allocate(ls.scenario, ls.regions);  // rules the data cannot satisfy fail here
  // What `simulate` would refuse: its limits (load_scenario checked them) and every year's budget.
  if (ls.simulation) Replicator(ls.scenario, ls.regions, *ls.simulation).check_years();
  fmt::print(out, "{}: valid ({} Bausteine, {} regions, {} allocations)\n", scenario, ls.scenario.bausteine.size(),
             ls.regions.list.size(), a.rows.size());
  return kOk;
}

}  // namespace kimsim::cli
