// `kimsim compare`: a base scenario against its variants — winners and losers, money moved,
// fairness indices and paradox flags (definitions in include/kimsim/compare.hpp).
#include <boost/program_options.hpp>
#include <ostream>
#include <filesystem>
#include <optional>
#include <set>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/compare_report.hpp"
#include "io/html_report.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "kimsim/compare.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {

int compare_command(const Invocation& call) {
  po::options_description visible(R"(Usage: kimsim compare BASE.yaml VARIANT.yaml [VARIANT2.yaml ...] [--out DIR] [--lang de|en]

Allocates the base and each variant and compares them (the regions must be the same):
per recipient and Baustein, and per territory (a Kreis with the Gemeinden it passes shares
to), positions and euros in each scenario and the differences; winners and losers, the ten
largest gains and losses, money moved (half the L1 distance, exact to the half cent); per
scenario and Baustein the Gini of euros per inhabitant (and per unit of every indicator), the
Gallagher and Loosemore-Hanby indices against the key and against the quotas, the max/min
ratio, recipients held at a minimum or maximum; and the Alabama, population and new-recipient
paradoxes where they occur. Writes DIR (default results/compare-<base>-<variant>...):
  compare.csv              scenario,ags,name,baustein,positions,euros,delta_positions,delta_euros
  compare_territories.csv  the same per territory
  compare.json             indices, paradox flags, winners and losers, money moved
  decompose.csv            with --decompose: each step's effect alone and stacked
  report.html              the report for people: gains and losses per territory (chart and
                           sortable table with a search box), the indices side by side, the
                           paradoxes in words, the decomposition (German, or --lang en)
  manifest.json            version, SHA-256 of every scenario and data file, command line, time

With --decompose the files form a chain: each variant extends the one before it (the first
extends BASE). Each step is then also applied alone to BASE (the variant's own changes merged
onto BASE instead of onto the step before), and per recipient and Baustein the effects alone
and stacked are reported; the stacked ones add up to the whole difference to the cent.

Options)");
  std::string out_dir, lang = "de";
  std::vector<std::string> files;
  visible.add_options()("help,h", "show this help")("out,o", po::value(&out_dir), "output folder")(
      "decompose", "the variants form a chain: report each step's effect alone and stacked")(
      "lang", po::value(&lang), "language of report.html: de (default) or en");
  po::options_description all;
  all.add(visible).add_options()("scenario", po::value(&files));
  po::positional_options_description pos;
  pos.add("scenario", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(call.args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  if (vm.count("help")) {
    call.out << visible << "\n";
    return kOk;
  }
  if (files.size() < 2) throw UsageError{files.empty() ? "missing the BASE and VARIANT scenario files" : "missing a VARIANT scenario file"};
  if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
  const io::Lang report_lang = lang_option(lang);
  // The same file under two names (./a.yaml and a.yaml, a link) is the same scenario twice.
  for (std::size_t i = 0; i < files.size(); ++i)
    for (std::size_t j = i + 1; j < files.size(); ++j) {
      std::error_code ec;
      if (std::filesystem::equivalent(files[i], files[j], ec))
        throw UsageError{"a scenario file is given twice"};
    }

  // Every scenario is read before any is allocated, so that all their errors are listed at once.
  std::vector<io::LoadedScenario> loaded;
  std::vector<std::string> errors;
  for (const auto& f : files) try {
      loaded.push_back(io::load_scenario(f));
    } catch (const io::ScenarioError& e) {
      errors.insert(errors.end(), e.errors().begin(), e.errors().end());
    }
  if (!errors.empty()) throw io::ScenarioError(errors);
  const bool decomposing = vm.count("decompose") > 0;
  // Each step alone: the variant's own changes merged onto the base instead of the step before.
  std::vector<io::LoadedScenario> alone_loaded;
  if (decomposing) {
    namespace fs = std::filesystem;
    auto same_file = [](const std::string& a, const std::string& b) {
      std::error_code ec;
      return fs::equivalent(a, b, ec);
    };
    for (std::size_t k = 1; k < loaded.size(); ++k) {
      const io::LoadedScenario& v = loaded[k];
      if (v.chain < 2 || !same_file(v.inputs[1], files[k - 1]))
        throw UsageError{"--decompose: " + files[k] + " does not extend " + files[k - 1] +
                         (v.chain < 2 ? " (it extends no scenario)" : " (it extends " + v.inputs[1] + ")") +
                         ": give the base and then each variant of the chain in order"};
      if (k == 1) {
        alone_loaded.push_back(loaded[1]);
        continue;
      }
      // A step valid in its chain may not apply to the base alone (it removes what the step
      // before added, or balances a budget the step before changed): say that this is the case.
      try {
        alone_loaded.push_back(io::load_scenario(files[k], {std::nullopt, files[0]}));
      } catch (const io::ScenarioError& e) {
        std::vector<std::string> alone_errors;
        for (const auto& m : e.errors())
          alone_errors.push_back(m + " (where --decompose applies " + files[k] + " alone to " + files[0] + ")");
        throw io::ScenarioError(alone_errors);
      }
    }
  }
  std::vector<Allocation> allocations;
  for (const auto& ls : loaded) allocations.push_back(allocate(ls.scenario, ls.regions));

  // Scenarios are named by their `scenario:` name; two with the same name by their file.
  std::vector<std::string> names;
  for (const auto& ls : loaded) {
    const auto same = std::count_if(loaded.begin(), loaded.end(), [&](const io::LoadedScenario& o) { return o.scenario.name == ls.scenario.name; });
    names.push_back(same > 1 ? ls.path : ls.scenario.name);
  }
  if (std::set<std::string>(names.begin(), names.end()).size() != names.size())
    throw UsageError{"a scenario file is given twice"};

  std::vector<ComparedScenario> compared;
  std::vector<io::ComparedRun> runs;
  for (std::size_t k = 0; k < loaded.size(); ++k) {
    compared.push_back({names[k], &loaded[k].scenario, &loaded[k].regions, &allocations[k]});
    runs.push_back({&loaded[k], &allocations[k]});
  }
  const Comparison c = compare(compared);
  std::vector<Allocation> alone_allocations;
  std::vector<ComparedScenario> alone;
  for (const auto& ls : alone_loaded) alone_allocations.push_back(allocate(ls.scenario, ls.regions));
  for (std::size_t k = 0; k < alone_loaded.size(); ++k)
    alone.push_back({names[k + 1] + " alone", &alone_loaded[k].scenario, &alone_loaded[k].regions, &alone_allocations[k]});
  std::optional<Decomposition> parts;
  if (decomposing) parts = decompose(compared[0], alone, std::span(compared).subspan(1));
  const std::vector<std::string> steps(names.begin() + 1, names.end());

  std::string dir = out_dir;
  if (dir.empty()) {
    std::string name = "compare-" + loaded[0].scenario.name;
    for (std::size_t k = 1; k < loaded.size(); ++k) name += "-" + loaded[k].scenario.name;
    // A folder name has at most 255 bytes; many variants are counted instead of named.
    if (name.size() > 200) name = "compare-" + loaded[0].scenario.name + "-" + std::to_string(loaded.size() - 1) + "-variants";
    dir = "results/" + name;
  }
  nlohmann::json manifest = io::manifest_json(loaded[0], call.command_line, now_utc());
  manifest["compared"] = nlohmann::json::array();
  for (std::size_t k = 1; k < loaded.size(); ++k) {
    const nlohmann::json m = io::manifest_json(loaded[k], call.command_line, "");
    manifest["compared"].push_back({{"scenario", m["scenario"]}, {"scenario_sha256", m["scenario_sha256"]}, {"inputs", m["inputs"]}});
  }
  std::vector<io::OutputFile> written = {
      {"compare.csv", io::compare_csv(c, loaded[0].regions, false)},
      {"compare_territories.csv", io::compare_csv(c, loaded[0].regions, true)},
      {"compare.json", io::compare_json(c, runs).dump(2) + "\n"}};
  if (parts) written.push_back({"decompose.csv", io::decompose_csv(*parts, loaded[0].regions, steps)});
  written.push_back({"report.html", io::report_html(io::compare_report_data(c, runs, parts ? &*parts : nullptr, report_lang))});
  io::write_result_folder(dir, written, manifest);
  call.out << io::compare_summary(c, runs, dir, parts.has_value());
  if (parts) call.out << io::decompose_summary(*parts, steps);
  return kOk;
}

}  // namespace kimsim::cli
