// `kimsim compare`: a base scenario against its variants — winners and losers, money moved,
// fairness indices and paradox flags (definitions in include/kimsim/compare.hpp).
#include <boost/program_options.hpp>
#include <ostream>
#include <filesystem>
#include <optional>
#include <set>

#include "cli/commands.hpp"
#include "cli/mpi.hpp"
#include "cli/options.hpp"
#include "io/compare_report.hpp"
#include "io/html_report.hpp"
#include "io/output.hpp"
#include "io/region_loader.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "io/sim_report.hpp"
#include "io/text.hpp"
#include "kimsim/compare.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {

namespace {

/// Everything a comparison computes before its Monte Carlo, filled in place: the comparisons
/// point into the loaded scenarios and their allocations.
struct CompareRun {
  bool help = false;
  std::vector<std::string> files;
  std::vector<io::LoadedScenario> loaded, alone_loaded;
  std::vector<Allocation> allocations, alone_allocations;
  std::vector<std::string> names;
  std::vector<ComparedScenario> compared;
  std::vector<io::ComparedRun> runs;
  std::optional<Comparison> comparison;
  std::optional<Decomposition> parts;
  std::vector<std::string> steps;
  std::string dir;
  // compare --replications: the scenarios' simulation blocks, one seed for all.
  std::optional<std::uint64_t> replications;
  std::uint64_t seed = 0;
  int threads = 0;
  std::vector<SimulationSpec> specs;
  io::Lang lang = io::Lang::de;  ///< of report.html
};

void prepare(const Invocation& call, CompareRun& run) {
  po::options_description visible(R"(Usage: kimsim compare BASE.yaml VARIANT.yaml [VARIANT2.yaml ...] [--decompose]
                      [--replications N [--seed S] [--threads T]] [--out DIR] [--lang de|en]

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
  compare_mc.csv           with --replications: per variant, year, territory and Baustein the
                           difference's mean, sd, p05, p50, p95 (positions, euros) and p_lose
  report.html              the report for people: gains and losses per territory (chart and
                           sortable table with a search box), the indices side by side, the
                           paradoxes in words, the decomposition; with --replications
                           the variance ratios and the largest movers' p05-p95 band and
                           p_lose (German, or --lang en)
  manifest.json            version, SHA-256 of every scenario and data file, command line, time

With --decompose the files form a chain: each variant extends the one before it (the first
extends BASE). Each step is then also applied alone to BASE (the variant's own changes merged
onto BASE instead of onto the step before), and per recipient and Baustein the effects alone
and stacked are reported; the stacked ones add up to the whole difference to the cent.

With --replications N every scenario is also simulated N times under its `simulation:` block,
all on the same random streams (seed S, default the base's): the differences are the rules',
not the dice's. compare.json then gives per variant and Baustein the variance ratio, the
variance of the difference over what independent streams would give. Byte-identical for any
--threads and any number of MPI ranks (mpirun -n P kimsim compare ...).

Options)");
  std::string out_dir, replications, seed, lang = "de";
  visible.add_options()("help,h", "show this help")("out,o", po::value(&out_dir), "output folder")(
      "decompose", "the variants form a chain: report each step's effect alone and stacked")(
      "replications,n", po::value(&replications), "simulate each scenario N times on common random numbers")(
      "seed", po::value(&seed), "seed of every random draw (default: the base's simulation.seed)")(
      "threads,t", po::value(&run.threads), "OpenMP threads (default, or 0: all cores)")(
      "lang", po::value(&lang), "language of report.html: de (default) or en");
  std::vector<std::string>& files = run.files;
  const po::variables_map vm = parse_options(call.args, visible, files);
  if (vm.count("help")) {
    call.out << visible << "\n";
    run.help = true;
    return;
  }
  if (files.size() < 2) throw UsageError{files.empty() ? "missing the BASE and VARIANT scenario files" : "missing a VARIANT scenario file"};
  if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
  run.lang = lang_option(lang);
  const bool simulating = vm.count("replications") > 0;
  if (!simulating && (vm.count("seed") || vm.count("threads")))
    throw UsageError{std::string(vm.count("seed") ? "--seed" : "--threads") + " applies to --replications only"};
  if (run.threads < 0) throw UsageError{"--threads must not be negative"};
  const bool digits = replications.find_first_not_of("0123456789") == std::string::npos;
  if (simulating && (replications.empty() || !digits || replications.find_first_not_of('0') == std::string::npos))
    throw UsageError{"--replications expects a whole number from 1 to " + io::power_of_ten(SimulationLimits::replications) +
                     ", got '" + replications + "'"};
  const auto seed_value = io::parse_whole(seed);
  if (vm.count("seed") && !seed_value)
    throw UsageError{"--seed expects a whole number from 0 to 18446744073709551615, got '" + seed + "'"};
  // The same file under two names (./a.yaml and a.yaml, a link) is the same scenario twice.
  for (std::size_t i = 0; i < files.size(); ++i)
    for (std::size_t j = i + 1; j < files.size(); ++j) {
      std::error_code ec;
      if (std::filesystem::equivalent(files[i], files[j], ec))
        throw UsageError{"a scenario file is given twice"};
    }

  // Every scenario is read before any is allocated, so that all their errors are listed at once.
  // The data files they share are read and parsed once (the cache lives as long as the command).
  io::DataCache cache;
  io::LoadOptions options;
  options.cache = &cache;
  std::vector<io::LoadedScenario>& loaded = run.loaded;
  loaded.reserve(files.size());
  std::vector<std::string> errors;
  for (const auto& f : files) try {
      loaded.push_back(io::load_scenario(f, options));
    } catch (const io::ScenarioError& e) {
      errors.insert(errors.end(), e.errors().begin(), e.errors().end());
    }
  if (!errors.empty()) throw io::ScenarioError(errors);
  const bool decomposing = vm.count("decompose") > 0;
  // Each step alone: the variant's own changes merged onto the base instead of the step before.
  std::vector<io::LoadedScenario>& alone_loaded = run.alone_loaded;
  alone_loaded.reserve(files.size());
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
        io::LoadOptions alone_options;
        alone_options.extends = files[0];
        alone_options.cache = &cache;
        alone_loaded.push_back(io::load_scenario(files[k], alone_options));
      } catch (const io::ScenarioError& e) {
        std::vector<std::string> alone_errors;
        for (const auto& m : e.errors())
          alone_errors.push_back(m + " (where --decompose applies " + files[k] + " alone to " + files[0] + ")");
        throw io::ScenarioError(alone_errors);
      }
    }
  }
  std::vector<Allocation>& allocations = run.allocations;
  allocations.reserve(loaded.size());
  for (const auto& ls : loaded) allocations.push_back(allocate(ls.scenario, ls.regions));

  // Scenarios are named by their `scenario:` name; two with the same name by their file.
  std::vector<std::string>& names = run.names;
  for (const auto& ls : loaded) {
    const auto same = std::count_if(loaded.begin(), loaded.end(), [&](const io::LoadedScenario& o) { return o.scenario.name == ls.scenario.name; });
    names.push_back(same > 1 ? ls.path : ls.scenario.name);
  }
  if (std::set<std::string>(names.begin(), names.end()).size() != names.size())
    throw UsageError{"a scenario file is given twice"};

  for (std::size_t k = 0; k < loaded.size(); ++k) {
    run.compared.push_back({names[k], &loaded[k].scenario, &loaded[k].regions, &allocations[k]});
    run.runs.push_back({&loaded[k], &allocations[k]});
  }
  run.comparison = compare(run.compared);
  std::vector<ComparedScenario> alone;
  run.alone_allocations.reserve(alone_loaded.size());
  for (const auto& ls : alone_loaded) run.alone_allocations.push_back(allocate(ls.scenario, ls.regions));
  for (std::size_t k = 0; k < alone_loaded.size(); ++k)
    alone.push_back({names[k + 1] + " alone", &alone_loaded[k].scenario, &alone_loaded[k].regions, &run.alone_allocations[k]});
  if (decomposing) run.parts = decompose(run.compared[0], alone, std::span(run.compared).subspan(1));
  run.steps.assign(names.begin() + 1, names.end());

  if (simulating) {
    // Sizes as simulate checks them, for all the scenarios together: each replication runs each.
    const double n = std::strtod(replications.c_str(), nullptr), scenarios = static_cast<double>(loaded.size());
    // A scenario without a simulation block would be simulated without uncertainty, and its
    // difference to one with would be the other's dice, not the rules: each must state its own.
    for (std::size_t k = 0; k < loaded.size(); ++k)
      if (!loaded[k].simulation)
        throw InputError(files[k] + ": --replications: the scenario has no simulation: block (its uptake, hiring, cost "
                         "and noise); add one, or in a variant keep its base's (do not remove it)");
    for (const auto& ls : loaded) run.specs.push_back(*ls.simulation);
    const io::SimulationSize size = io::size_of(loaded[0], run.specs[0], n * scenarios);
    if (auto why = io::replications_problem(size); !why.empty())
      throw UsageError{"--replications: " + replications + " replications of " + std::to_string(loaded.size()) +
                       " scenarios: " + why};
    if (auto why = io::threads_problem(run.threads, size); !why.empty())
      throw UsageError{"--threads " + std::to_string(run.threads) + ": " + why};
    // The differences pair each year with itself: the scenarios must simulate the same years.
    auto years_of = [&](std::size_t k) {
      std::vector<int> y;
      for (const auto& sy : run.specs[k].years) y.push_back(sy.year);
      if (y.empty()) y.push_back(loaded[k].scenario.year);
      return y;
    };
    for (std::size_t k = 1; k < loaded.size(); ++k)
      if (years_of(k) != years_of(0)) {
        auto text = [](const std::vector<int>& y) {
          std::string t;
          for (int v : y) t += (t.empty() ? "" : ", ") + std::to_string(v);
          return t;
        };
        throw InputError(files[k] + ": simulates the years " + text(years_of(k)) + ", the base " + files[0] + " " +
                         text(years_of(0)) + ": compare --replications compares the same years");
      }
    run.replications = *io::parse_whole(replications);
    run.seed = seed_value ? *seed_value : run.specs[0].seed;
    for (std::size_t k = 0; k < loaded.size(); ++k) {
      run.specs[k].seed = run.seed, run.specs[k].replications = *run.replications;
      check_simulation_years(loaded[k].scenario, loaded[k].regions, run.specs[k]);  // a year that cannot run, before any runs
    }
  }

  run.dir = out_dir;
  if (run.dir.empty()) {
    std::string name = "compare-" + loaded[0].scenario.name;
    for (std::size_t k = 1; k < loaded.size(); ++k) name += "-" + loaded[k].scenario.name;
    // A folder name has at most 255 bytes; many variants are counted instead of named.
    if (name.size() > 200) name = "compare-" + loaded[0].scenario.name + "-" + std::to_string(loaded.size() - 1) + "-variants";
    run.dir = "results/" + name;
  }
}

}  // namespace

int compare_command(const Invocation& call) {
  // Everything before the Monte Carlo may fail on one MPI rank alone (a file missing on its
  // node): the ranks agree on it before their first collective step, as in simulate.
  CompareRun run;
  mpi::agreed("compare", [&] { prepare(call, run); });
  if (run.help) return kOk;
  std::optional<CompareSimulation> simulated;
  if (run.replications) {
    std::vector<SimulatedScenario> s;
    for (std::size_t k = 0; k < run.loaded.size(); ++k) s.push_back({&run.loaded[k].scenario, &run.loaded[k].regions, &run.specs[k]});
    simulated = mpi::compare_replications(s, run.seed, *run.replications, run.threads, nullptr);
  }
  if (mpi::rank() != 0) return kOk;  // the first rank writes the results

  const std::vector<io::LoadedScenario>& loaded = run.loaded;
  const Comparison& c = *run.comparison;
  nlohmann::json manifest = io::manifest_json(loaded[0], call.command_line, now_utc());
  manifest["compared"] = nlohmann::json::array();
  for (std::size_t k = 1; k < loaded.size(); ++k) {
    const nlohmann::json m = io::manifest_json(loaded[k], call.command_line, "");
    manifest["compared"].push_back({{"scenario", m["scenario"]}, {"scenario_sha256", m["scenario_sha256"]}, {"inputs", m["inputs"]}});
  }
  nlohmann::json json = io::compare_json(c, run.runs);
  if (simulated) {
    manifest["seed"] = simulated->seed;
    manifest["replications"] = simulated->replications;
    json["monte_carlo"] = io::compare_simulation_json(*simulated, run.names);
  }
  std::vector<io::OutputFile> written = {
      {"compare.csv", io::compare_csv(c, loaded[0].regions, false)},
      {"compare_territories.csv", io::compare_csv(c, loaded[0].regions, true)},
      {"compare.json", io::dump_json(json, 2) + "\n"}};
  if (run.parts) written.push_back({"decompose.csv", io::decompose_csv(*run.parts, loaded[0].regions, run.steps)});
  if (simulated) written.push_back({"compare_mc.csv", io::compare_simulation_csv(*simulated, run.names, loaded[0].regions)});
  written.push_back({"report.html", io::report_html(io::compare_report_data(c, run.runs, run.parts ? &*run.parts : nullptr, run.lang,
                                                                                       simulated ? &*simulated : nullptr))});
  write_results(run.dir, written, manifest);
  call.out << io::compare_summary(c, run.runs, run.dir, run.parts.has_value(), simulated.has_value());
  if (run.parts) call.out << io::decompose_summary(*run.parts, run.steps);
  if (simulated) call.out << io::compare_simulation_summary(*simulated, run.names);
  return kOk;
}

}  // namespace kimsim::cli
