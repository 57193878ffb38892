// `kimsim run` and `kimsim validate`: a scenario's allocation, and a check without running it.
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <ostream>

#include "cli/commands.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {
namespace {

struct ScenarioOptions {
  std::string scenario, out;
  bool help = false;
};

ScenarioOptions parse(const std::vector<std::string>& args, po::options_description& visible) {
  ScenarioOptions o;
  po::options_description all;
  all.add(visible).add_options()("scenario", po::value(&o.scenario));
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  o.help = vm.count("help") > 0;
  if (vm.count("out")) o.out = vm["out"].as<std::string>();
  if (!o.help && o.scenario.empty()) throw UsageError{"missing the SCENARIO file"};
  return o;
}

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

int run_command(const std::vector<std::string>& args, const std::string& command_line, std::ostream& out) {
  po::options_description visible(R"(Usage: kimsim run SCENARIO.yaml [--out DIR]

Allocates every Baustein of the scenario to its recipients, in positions and euros (exact to the
cent), prints a summary and writes DIR (default results/<scenario name>/):
  allocation.csv   ags,name,type,baustein,positions,euros,key_share,quota,note
  summary.json     totals per Baustein, largest and smallest allocations, validation, notes
  manifest.json    version, SHA-256 of the scenario and every data file, command line, time
The folder is replaced as a whole only when the run succeeds.

Options)");
  visible.add_options()("help,h", "show this help")("out,o", po::value<std::string>(), "output folder");
  const ScenarioOptions o = parse(args, visible);
  if (o.help) {
    out << visible << "\n";
    return kOk;
  }
  const io::LoadedScenario ls = io::load_scenario(o.scenario);
  const Allocation a = allocate(ls.scenario, ls.regions);
  const std::string dir = o.out.empty() ? "results/" + ls.scenario.name : o.out;
  io::write_atomically(dir, {{"allocation.csv", io::allocation_csv(ls, a)},
                             {"summary.json", io::summary_json(ls, a).dump(2) + "\n"},
                             {"manifest.json", io::manifest_json(ls, command_line, now_utc()).dump(2) + "\n"}});
  out << io::terminal_summary(ls, a, dir);
  return kOk;
}

int validate_command(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description visible(R"(Usage: kimsim validate SCENARIO.yaml

Checks a scenario and its data files without writing anything: every error is listed with file,
line, column and key path. Exit code 0 when the scenario is valid, 2 otherwise.

Options)");
  visible.add_options()("help,h", "show this help");
  const ScenarioOptions o = parse(args, visible);
  if (o.help) {
    out << visible << "\n";
    return kOk;
  }
  const io::LoadedScenario ls = io::load_scenario(o.scenario);
  const Allocation a = allocate(ls.scenario, ls.regions);  // rules the data cannot satisfy fail here
  out << o.scenario << ": valid (" << ls.scenario.bausteine.size() << " Bausteine, " << ls.regions.list.size()
      << " regions, " << a.rows.size() << " allocations)\n";
  return kOk;
}

}  // namespace kimsim::cli
