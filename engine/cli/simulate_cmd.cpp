// `kimsim simulate`: Monte Carlo over a scenario's uncertainty, in parallel, bit-reproducible.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <ostream>

#include "cli/batch.hpp"
#include "cli/commands.hpp"
#include "cli/mpi.hpp"
#include "cli/options.hpp"
#include "io/html_report.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "io/sim_report.hpp"
#include "io/text.hpp"
#include "io/csv.hpp"
#include "kimsim/version.hpp"
#include "sim/chunks.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {
namespace {

std::chrono::steady_clock::time_point g_start;

/// A progress bar on stderr: done, rate, time left.
void progress_bar(std::uint64_t done, std::uint64_t total) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
  const double rate = s > 0 ? static_cast<double>(done) / s : 0;
  const int width = 30, filled = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total));
  fmt::print(stderr, "\r[{:<{}}] {:3.0f}%  {}/{}  {:.0f} rep/s  {} {:.0f}s  {}", std::string(static_cast<std::size_t>(filled), '#'),
             width, 100.0 * static_cast<double>(done) / static_cast<double>(total), done, total, rate,
             done == total ? "took" : "left", done == total ? s : (rate > 0 ? static_cast<double>(total - done) / rate : 0),
             done == total ? "\n" : "");
}


/// The help with simulation.csv's columns where `@columns@` stands: listed from the same table
/// that writes them, wrapped to the help's width.
std::string help_text(std::string text) {
  std::string list, line;
  const std::vector<std::string> columns = io::simulation_csv_columns();
  for (std::size_t k = 0; k < columns.size(); ++k) {
    const std::string c = columns[k] + (k + 1 < columns.size() ? "," : "");
    if (!line.empty() && line.size() + c.size() > 72) {
      list += fmt::format("{:19}{}\n", "", line);
      line.clear();
    }
    line += c;
  }
  list += fmt::format("{:19}{}", "", line);
  text.replace(text.find("@columns@"), 9, list);
  return text.replace(text.find("@checkpoints@"), 13, batch_help("replications"));
}

}  // namespace

int simulate_command(const Invocation& call) {
  const auto started = std::chrono::steady_clock::now();  // --max-time counts from here
  const std::vector<std::string>& args = call.args;
  const std::string& command_line = call.command_line;
  std::ostream& out = call.out;
  po::options_description visible(help_text(R"(Usage: kimsim simulate SCENARIO.yaml [--replications N] [--seed S] [--threads T]
                        [--out DIR] [--quiet] [--lang de|en]
                        [--checkpoint FILE] [--checkpoint-every 10m] [--max-time T] [--resume]

Monte Carlo over the scenario's `simulation:` block: uptake, start month, months to fill a
position, personnel cost, indicator noise, over its years. N and S default to the block's values.
The same scenario and seed give byte-identical files for any thread count, and for any number
of MPI ranks (mpirun -n P kimsim simulate ...: every rank takes chunks of replications from a
shared counter and runs them on its own --threads; the first rank gathers and writes). Writes
DIR (default results/<scenario name>-simulation/), as a whole or not at all:
  simulation.csv   per recipient, Baustein and year: mean, sd, p05, p50, p95 of positions and
                   euros, probability of receiving nothing, mean outflow and co-financing:
@columns@
  summary.json     statewide spent, unspent, positions filled; fairness (Gini, max/min of euros
                   per inhabitant) with Monte Carlo standard errors
  report.html      the report for people: per recipient the p05-p95 band and median of
                   positions and euros, the probability of receiving nothing, the outflow;
                   statewide spending and fairness with Monte Carlo errors; per
                   recipient the first and last year (German, or --lang en)
  manifest.json    version, SHA-256 of every input, seed, replications, command line, time

@checkpoints@
Options)"));
  // Counts are read as text: Boost would read "-5" into an unsigned value as 2^64 - 5.
  std::string replications, seed;
  int threads = 0;
  std::string out_dir, scenario, lang = "de";
  io::Lang report_lang = io::Lang::de;
  bool quiet = false;
  visible.add_options()("help,h", "show this help")("replications,n", po::value(&replications), "number of replications")(
      "seed", po::value(&seed), "seed of every random draw")("threads,t", po::value(&threads), "OpenMP threads (default, or 0: all cores)")(
      "out,o", po::value(&out_dir), "output folder")("quiet,q", po::bool_switch(&quiet), "no progress bar")(
      "lang", po::value(&lang), "language of report.html: de (default) or en");
  BatchOptionText batch_text;
  BatchOptions batch;
  add_batch_options(visible, batch_text);
  // Everything up to the simulation may fail on one MPI rank alone (a file missing on its node):
  // the ranks agree on it before their first collective step, so that none waits for one that left.
  std::optional<io::LoadedScenario> loaded;
  SimulationSpec spec;
  std::string dir;
  bool help = false;
  auto prepare = [&] {
    const po::variables_map vm = parse_options(args, visible, scenario);
    if (vm.count("help")) {
      out << visible << "\n";
      help = true;
      return;
    }
    if (scenario.empty()) throw UsageError{"missing the SCENARIO file"};
    if (threads < 0) throw UsageError{"--threads must not be negative"};
    if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
    report_lang = lang_option(lang);
    const bool digits = replications.find_first_not_of("0123456789") == std::string::npos;
    if (vm.count("replications") && (replications.empty() || !digits || replications.find_first_not_of('0') == std::string::npos))
      throw UsageError{"--replications expects a whole number from 1 to " + io::power_of_ten(SimulationLimits::replications) +
                       ", got '" + replications + "'"};
    const auto seed_value = io::parse_whole(seed);
    if (vm.count("seed") && !seed_value)
      throw UsageError{"--seed expects a whole number from 0 to 18446744073709551615, got '" + seed + "'"};
    const io::LoadedScenario& ls = loaded.emplace(io::load_scenario(scenario));
    spec = ls.simulation.value_or(SimulationSpec{});
    if (vm.count("replications")) {
      const io::SimulationSize size = io::size_of(ls, spec, std::strtod(replications.c_str(), nullptr));
      if (auto why = io::replications_problem(size); !why.empty()) throw UsageError{"--replications: " + why};
      spec.replications = *io::parse_whole(replications);
    }
    // A scenario without a simulation block has not had its size checked: one year by default.
    if (auto why = io::years_problem(io::size_of(ls, spec)); !ls.simulation && !why.empty())
      throw InputError(scenario + ": simulation: " + why);
    if (auto why = io::threads_problem(threads, io::size_of(ls, spec)); !why.empty())
      throw UsageError{"--threads " + std::to_string(threads) + ": " + why};
    if (seed_value) spec.seed = *seed_value;
    check_simulation_years(ls.scenario, ls.regions, spec);  // a year that cannot run, named before any runs
    dir = out_dir.empty() ? "results/" + ls.scenario.name + "-simulation" : out_dir;
    batch = batch_options(batch_text, dir);
  };
  mpi::agreed("simulate", prepare);
  if (help) return kOk;
  const io::LoadedScenario& ls = *loaded;
  g_start = std::chrono::steady_clock::now();
  const bool bar = !quiet && ::isatty(STDERR_FILENO);
  // The replications in chunks, balanced over the ranks, checkpointed (cli/batch.hpp).
  SimulationRun run(ls.scenario, ls.regions, spec, threads);
  SimulationResult r = run.empty();
  BatchWork work;
  work.identity.command = "simulate";
  work.identity.version = kVersion;
  work.identity.commit = kGitCommit;
  for (std::size_t k = 0; k < ls.inputs.size(); ++k) work.identity.inputs.emplace_back(ls.inputs[k], ls.input_sha256.at(k));
  work.identity.seed = spec.seed;
  work.identity.plan = ChunkPlan::for_units(spec.replications, replication_seconds(1, static_cast<double>(r.slots.size())));
  work.run = [&](std::uint64_t first, std::uint64_t count, std::uint64_t* failed_at) { run.run(first, count, nullptr, failed_at); };
  work.take = [&] { return pack(run.take()); };
  work.add = [&](std::string_view bytes) { merge(r, unpack(bytes)); };
  work.total = [&] { return pack(r); };
  work.progress = bar ? progress_bar : nullptr;
  batch.start = started;
  const BatchEnd end = run_batch("simulate", work, batch);
  if (!end.finished) {
    if (bar && mpi::rank() == 0) call.err << "\n";  // below the progress bar
    say_stopped(call.err, "simulate", end, spec.replications, "replications", batch);
    return kInterrupted;
  }
  if (mpi::rank() != 0) return kOk;  // the first rank writes the results
  nlohmann::json manifest = io::manifest_json(ls, command_line, now_utc());
  manifest["seed"] = spec.seed;
  manifest["replications"] = spec.replications;
  const nlohmann::json summary = io::simulation_summary(ls, spec, r);
  finish_batch(batch, work, end, [&] {
    write_results(dir,
                  {{"simulation.csv", io::simulation_csv(ls, r)},
                   {"summary.json", io::dump_json(summary, 2) + "\n"},
                   {"report.html", io::report_html(io::simulation_report_data(ls, r, summary, report_lang))}},
                  manifest);
  });
  if (!quiet) out << ls.scenario.name << ": " << spec.replications << " replications (seed " << spec.seed << ") -> " << dir << "/\n";
  return kOk;
}

}  // namespace kimsim::cli
