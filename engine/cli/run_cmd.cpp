// `kimsim run` and `kimsim validate`: a scenario's allocation, and a check without running it.
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/html_report.hpp"
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
  po::options_description visible(R"(Usage: kimsim run SCENARIO.yaml [--year Y] [--out DIR] [--lang de|en]

Allocates every Baustein of the scenario to its recipients, in positions and euros (exact to the
cent), prints a summary and writes DIR (default results/<scenario name>/, with --year
results/<scenario name>-<Y>/). SCENARIO may be a variant (extends: BASE.yaml); values given by year
({2020: 50000.00, 2021: 55000.00}) take the latest year not after the scenario's year, or Y.
The folder holds:
  allocation.csv   ags,name,type,baustein,positions,euros,key_share,quota,note
  summary.json     totals per Baustein, largest and smallest allocations, validation, notes
  report.html      the report for people: headline, a sortable table per Baustein with a
                   search box, charts, validation, assumptions, a page per Kreis (one file,
                   no network access; German, or English with --lang en)
  manifest.json    version, SHA-256 of the scenario and every data file and of each file
                   written, command line, time
The folder is replaced as a whole only when the run succeeds, and only when it is missing, empty
or a result kimsim wrote (its manifest says so and its files are unchanged).

Options)");
  std::string out_dir, lang = "de";
  Whole year;
  visible.add_options()("help,h", "show this help")("out,o", po::value(&out_dir), "output folder")(
      "year", po::value(&year), "the year whose dated values apply (default: the scenario's year)")(
      "lang", po::value(&lang), "language of report.html: de (default) or en");
  po::variables_map vm;
  const std::string scenario = scenario_of(args, visible, vm);
  if (vm.count("help")) {
    out << visible << "\n";
    return kOk;
  }
  if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
  const io::Lang report_lang = lang_option(lang);
  const std::optional<int> y = year_option(vm, year);
  const io::LoadedScenario ls = io::load_scenario(scenario, {y, std::nullopt, nullptr});
  const Allocation a = allocate(ls.scenario, ls.regions);
  // A year of its own gets a folder of its own: runs of several years side by side.
  const std::string dir = !out_dir.empty() ? out_dir : "results/" + ls.scenario.name + (y ? "-" + std::to_string(*y) : "");
  write_results(dir,
                {{"allocation.csv", io::allocation_csv(ls, a)},
                 {"summary.json", io::dump_json(io::summary_json(ls, a), 2) + "\n"},
                 {"report.html", io::report_html(io::run_report(ls, a, report_lang))}},
                io::manifest_json(ls, command_line, now_utc()));
  out << io::terminal_summary(ls, a, dir);
  return kOk;
}

int validate_command(const Invocation& call) {
  const std::vector<std::string>& args = call.args;
  std::ostream& out = call.out;
  po::options_description visible(R"(Usage: kimsim validate SCENARIO.yaml [--year Y]

Checks a scenario (or a variant with its chain of bases) and its data files without writing
anything: every error is listed with file, line, column and key path, in the file that set the
value. Exit code 0 when the scenario is valid, 2 otherwise.

Options)");
  Whole year;
  visible.add_options()("help,h", "show this help")("year", po::value(&year), "the year whose dated values apply");
  po::variables_map vm;
  const std::string scenario = scenario_of(args, visible, vm);
  if (vm.count("help")) {
    out << visible << "\n";
    return kOk;
  }
  // Every year the dated values name is read too: a bad value of another year is found at its line.
  const io::LoadedScenario ls = io::load_scenario(scenario, {year_option(vm, year), std::nullopt, nullptr, true});
  const Allocation a = allocate(ls.scenario, ls.regions);  // rules the data cannot satisfy fail here
  // What `simulate` would refuse: its limits (load_scenario checked them) and every year's budget.
  if (ls.simulation) check_simulation_years(ls.scenario, ls.regions, *ls.simulation);
  fmt::print(out, "{}: valid ({} Bausteine, {} regions, {} allocations)\n", scenario, ls.scenario.bausteine.size(),
             ls.regions.list.size(), a.rows.size());
  return kOk;
}

}  // namespace kimsim::cli
