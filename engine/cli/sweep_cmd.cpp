// `kimsim sweep`: a base scenario at many points (io/sweep.hpp), job-array slices and their merge.
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <tuple>
#include <set>

#include "cli/batch.hpp"
#include "cli/commands.hpp"
#include "cli/mpi.hpp"
#include "cli/options.hpp"
#include "io/html_report.hpp"
#include "io/input.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/sweep.hpp"
#include "io/text.hpp"
#include "kimsim/version.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {
namespace {

/// K/N of --slice: the K-th of N (K from 1, as Slurm's --array=1-N numbers its tasks).
std::pair<std::uint64_t, std::uint64_t> slice_option(const std::string& text) {
  const auto slash = text.find('/');
  const auto k = slash == std::string::npos ? std::nullopt : io::parse_whole(text.substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : io::parse_whole(text.substr(slash + 1));
  if (!k || !n || *n == 0 || *k == 0 || *k > *n)
    throw UsageError{"--slice " + text + ": expected K/N with 1 <= K <= N, such as 3/8 (the third of eight slices)"};
  return {*k, *n};
}

/// The points of slice k of n: a contiguous block, the blocks as even as whole points allow.
std::pair<std::uint64_t, std::uint64_t> slice_range(std::uint64_t points, std::uint64_t k, std::uint64_t n) {
  const auto at = [&](std::uint64_t j) { return static_cast<std::uint64_t>(static_cast<unsigned __int128>(points) * j / n); };
  return {at(k - 1), at(k) - at(k - 1)};
}

/// The manifest of a sweep's result: the base's, the sweep file's, and a slice where it is one.
nlohmann::json sweep_manifest(const io::Sweep& sw, const std::string& command_line, const std::string& time) {
  nlohmann::json m = io::manifest_json(sw.base, command_line, time);
  m["sweep"] = {{"name", sw.name}, {"file", sw.file}, {"sha256", sw.sha256}, {"points", sw.count}, {"replications", sw.replications}};
  if (sw.replications) m["seed"] = sw.base.simulation.value_or(SimulationSpec{}).seed;
  return m;
}

/// The files of a whole sweep's result.
std::vector<io::OutputFile> sweep_files(const io::Sweep& sw, std::span<const io::PointResult> results, const std::string& detail,
                                        io::Lang lang) {
  std::string csv = io::sweep_csv(sw, 0, results);
  const nlohmann::json summary = io::sweep_summary(sw, results);
  const nlohmann::json m = io::manifest_json(sw.base, "", "");
  std::string report = io::report_html(io::sweep_report_data(summary, csv, sw.base.scenario.name, m["scenario_sha256"], lang));
  std::vector<io::OutputFile> files{{"sweep.csv", std::move(csv)}};
  if (sw.detail) files.push_back({"detail.csv", detail});
  files.push_back({"summary.json", io::dump_json(summary, 2) + "\n"});
  files.push_back({"report.html", std::move(report)});
  return files;
}

void print_outcome(std::ostream& out, std::span<const io::PointResult> results, const std::string& dir) {
  std::size_t refused = 0;
  for (const auto& r : results) refused += !r.ok;
  fmt::print(out, "{} points: {} allocated, {} refused -> {}/\n", results.size(), results.size() - refused, refused, dir);
}

/// Which of the base's files (the scenario, the scenarios it extends, its data) differs from what
/// the slices' manifest recorded — the file the user changed, named — or "" where none does.
std::string changed_input(const nlohmann::json& now, const nlohmann::json& then) {
  if (now == then) return "";
  // The recorded side is a file a user may have edited: a missing field reads as null.
  const auto field = [](const nlohmann::json& e, const char* key) { return e.is_object() && e.contains(key) ? e[key] : nlohmann::json(); };
  const auto path_of = [&](const nlohmann::json& e) { return field(e, "path"); };
  const auto text = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  for (const auto& e : now) {
    const auto was = std::find_if(then.begin(), then.end(), [&](const nlohmann::json& t) { return path_of(t) == e["path"]; });
    if (was == then.end())
      return e["path"].get<std::string>() + ": the base reads this file now, but did not when the slices ran: merge slices of the base as it is";
    if (field(*was, "sha256") != e["sha256"])
      return e["path"].get<std::string>() + ": changed since the slices ran (SHA-256 " + e["sha256"].get<std::string>() + ", the slices' " +
             text(field(*was, "sha256")) + ")";
  }
  if (then.is_array())
    for (const auto& t : then)
      if (std::none_of(now.begin(), now.end(), [&](const nlohmann::json& e) { return e["path"] == path_of(t); }))
        return text(path_of(t)) + ": read by the base when the slices ran, but not now: merge slices of the base as it is";
  return "the base's files changed since the slices ran (their order differs from the slices' manifests)";
}

/// `kimsim sweep --merge DIR... --out DIR`: the slices of one sweep, checked and joined.
int merge_slices(const std::vector<std::string>& dirs, const std::string& out_dir, const std::string& command_line, io::Lang lang,
                 bool quiet, std::ostream& out) {
  struct Part {
    std::string dir;
    nlohmann::json manifest;
    std::uint64_t k = 0, n = 0, first = 0, count = 0;
  };
  std::vector<Part> parts;
  for (const auto& dir : dirs) {
    Part p;
    p.dir = dir;
    const std::string file = dir + "/manifest.json";
    try {
      p.manifest = nlohmann::json::parse(io::read_input(file, std::uintmax_t{16} << 20, "for a manifest"));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(file + ": not a manifest kimsim wrote: " + e.what());
    }
    if (!p.manifest.contains("sweep") || !p.manifest.contains("slice"))
      throw InputError(file + ": not a slice of a sweep (written by kimsim sweep --slice K/N)");
    try {
      const auto& s = p.manifest["slice"];
      p.k = s.at("k"), p.n = s.at("n"), p.first = s.at("first"), p.count = s.at("count");
      (void)p.manifest["sweep"].at("sha256").get<std::string>(), (void)p.manifest["sweep"].at("file").get<std::string>();
    } catch (const nlohmann::json::exception&) {
      throw InputError(file + ": not a slice of a sweep as kimsim writes it (its slice or sweep entries are missing or of the wrong type)");
    }
    parts.push_back(std::move(p));
  }
  const Part& a = parts.front();
  for (const Part& p : parts) {
    // The same sweep, base, version and slicing; else the reason.
    const auto differ = [&](const char* what, const nlohmann::json& x, const nlohmann::json& y) {
      if (x != y)
        throw InputError(p.dir + ": a slice of another " + what + " than " + a.dir + " (" + x.dump() + " there, " + y.dump() + " in " +
                         a.dir + "): merge the slices of one run");
    };
    differ("sweep file", p.manifest["sweep"]["sha256"], a.manifest["sweep"]["sha256"]);
    differ("base (scenario and data files)", p.manifest["inputs"], a.manifest["inputs"]);
    differ("kimsim version", p.manifest["kimsim_version"], a.manifest["kimsim_version"]);
    differ("kimsim commit", p.manifest["kimsim_commit"], a.manifest["kimsim_commit"]);
    differ("number of slices", p.manifest["slice"]["n"], a.manifest["slice"]["n"]);
  }
  std::set<std::uint64_t> seen;
  for (const Part& p : parts)
    if (!seen.insert(p.k).second) throw InputError(p.dir + ": slice " + std::to_string(p.k) + " of " + std::to_string(p.n) + " is given twice");
  std::string missing;
  for (std::uint64_t k = 1; k <= a.n; ++k)
    if (!seen.count(k)) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
  if (!missing.empty()) throw InputError("slices missing: " + missing + " of " + std::to_string(a.n) + " (every slice of the run is needed)");
  std::sort(parts.begin(), parts.end(), [](const Part& x, const Part& y) { return x.k < y.k; });

  // The sweep file and its base as they were: hashed again, so that the merge describes them.
  const io::Sweep sw = io::load_sweep(a.manifest["sweep"]["file"].get<std::string>());
  if (sw.sha256 != a.manifest["sweep"]["sha256"])
    throw InputError(sw.file + ": changed since the slices ran (SHA-256 " + sw.sha256 + ", the slices' " +
                     a.manifest["sweep"]["sha256"].get<std::string>() + ")");
  if (const std::string changed = changed_input(io::manifest_json(sw.base, "", "")["inputs"], a.manifest["inputs"]); !changed.empty())
    throw InputError(changed);
  std::vector<io::PointResult> results;
  std::string detail = "point,ags,baustein,positions,euros\n";
  for (const Part& p : parts) {
    const auto [first, count] = slice_range(sw.count, p.k, p.n);
    if (first != p.first || count != p.count) throw InputError(p.dir + ": its points do not match slice " + std::to_string(p.k) + " of this sweep");
    const std::string file = p.dir + "/slice.csv";
    auto part = io::parse_slice_csv(io::read_input(file, std::uintmax_t{4} << 30, "for a slice"), file, first, count);
    results.insert(results.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    if (sw.detail) {
      const std::string d = io::read_input(p.dir + "/detail.csv", std::uintmax_t{4} << 30, "for a slice's detail");
      detail += d.substr(d.find('\n') + 1);
    }
  }
  const std::string dir = out_dir.empty() ? "results/" + sw.name + "-sweep" : out_dir;
  // The merged result replaces a folder kimsim wrote; one of the slices it reads is not one to replace.
  std::error_code ec;
  const auto target = std::filesystem::weakly_canonical(dir, ec);
  for (const Part& p : parts)
    if (!ec && target == std::filesystem::weakly_canonical(p.dir, ec))
      throw InputError("--out " + dir + " is the slice " + p.dir + " that the merge reads: merge into another folder");
  write_results(dir, sweep_files(sw, results, detail, lang), sweep_manifest(sw, command_line, now_utc()));
  if (quiet) return kOk;
  fmt::print(out, "merged {} slices of {}\n", parts.size(), sw.name);
  print_outcome(out, results, dir);
  return kOk;
}

}  // namespace

int sweep_command(const Invocation& call) {
  const auto started = std::chrono::steady_clock::now();  // --max-time counts from here
  std::ostream& out = call.out;
  std::string help_text = R"(Usage: kimsim sweep SWEEP.yaml [--out DIR] [--threads T] [--quiet] [--dry-run] [--fail-fast]
                     [--slice K/N] [--checkpoint FILE] [--checkpoint-every 10m] [--max-time T] [--resume]
       kimsim sweep --merge DIR... [--out DIR]

Evaluates the base scenario of SWEEP.yaml at every point of its design (grid, lhs or sobol):
each point patches numbers of the plan compiled once (budgets, rates, key weights, bounds,
method, pass-through). Prints the number of points and the estimated CPU time first (--dry-run
stops there). A point the model refuses is a row with its message, and the sweep goes on
(--fail-fast: exit 2 at the first). Writes DIR (default results/<sweep name>-sweep/), as a whole
or not at all:
  sweep.csv      one row per point: point, the parameters, status, the metrics, message
  detail.csv     with detail: true, each point's allocation: point,ags,baustein,positions,euros
  summary.json   best and worst point per metric; which parameters move each metric most
  report.html    the same for people: best and worst points, what moves each metric (charts),
                 the points (German, or --lang en); not in a slice, in the merge
  manifest.json  version, SHA-256 of the sweep file, the base and its data, command line, time
--slice K/N runs the K-th of N contiguous slices of the points (K from 1, as a Slurm job array
--array=1-N numbers them) into a partial result (default results/<sweep name>-sweep-K-of-N/);
--merge joins the N slices into the result one run gives, byte for byte (but the manifest's time
and command line). Under MPI (mpirun -n P kimsim sweep ...) every rank takes chunks of points
from a shared counter; the first rank gathers and writes the same bytes as one process.

@checkpoints@
Options)";
  help_text.replace(help_text.find("@checkpoints@"), 13, batch_help("points"));
  po::options_description visible(help_text);
  std::string out_dir, slice, lang = "de";
  io::Lang report_lang = io::Lang::de;
  int threads = 0;
  bool quiet = false, dry_run = false, fail_fast = false, merge = false;
  visible.add_options()("help,h", "show this help")("out,o", po::value(&out_dir), "output folder")(
      "threads,t", po::value(&threads), "OpenMP threads over the points (default, or 0: all cores)")(
      "quiet,q", po::bool_switch(&quiet), "print only errors")("dry-run", po::bool_switch(&dry_run), "print the size and stop")(
      "fail-fast", po::bool_switch(&fail_fast), "stop at the first point the model refuses (exit 2)")(
      "slice", po::value(&slice), "K/N: run the K-th of N slices of the points")(
      "merge", po::bool_switch(&merge), "join the slices in the folders given")(
      "lang", po::value(&lang), "language of report.html: de (default) or en");
  BatchOptionText batch_text;
  add_batch_options(visible, batch_text);
  std::vector<std::string> positional;
  // Everything before the points may fail on one MPI rank alone (a file missing on its node): the
  // ranks agree on it before their first collective step, so that none waits for one that left.
  std::optional<io::Sweep> loaded;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> part;
  std::uint64_t first = 0, count = 0;
  std::string dir;
  BatchOptions batch;
  enum class Then { run, stop, merge } then = Then::run;
  auto prepare = [&] {
    const po::variables_map vm = parse_options(call.args, visible, positional);
    if (vm.count("help")) {
      out << visible << "\n";
      then = Then::stop;
      return;
    }
    if (vm.count("out") && out_dir.empty()) throw UsageError{"--out needs a folder name"};
    if (threads < 0) throw UsageError{"--threads must not be negative"};
    report_lang = lang_option(lang);
    if (threads > SimulationLimits::threads)
      throw UsageError{"--threads " + std::to_string(threads) + ": the limit is " + std::to_string(SimulationLimits::threads)};
    const bool batch_given = batch_text.checkpoint || vm.count("checkpoint-every") || batch_text.max_time || batch_text.resume;
    if (merge) {
      if (positional.empty()) throw UsageError{"--merge needs the folders of the slices"};
      if (vm.count("slice") || dry_run || fail_fast) throw UsageError{"--merge joins slices: --slice, --dry-run and --fail-fast do not apply"};
      if (batch_given) throw UsageError{"--merge joins finished slices: --checkpoint, --checkpoint-every, --max-time and --resume do not apply"};
      then = Then::merge;
      return;
    }
    if (positional.size() != 1)
      throw UsageError{positional.empty() ? "missing the SWEEP file" : "one SWEEP file at a time (the slices to join take --merge)"};
    if (vm.count("slice")) part = slice_option(slice);
    const io::Sweep& sw = loaded.emplace(io::load_sweep(positional[0]));
    std::tie(first, count) = part ? slice_range(sw.count, part->first, part->second) : std::pair<std::uint64_t, std::uint64_t>{0, sw.count};
    if (!quiet) {
      fmt::print(out, "sweep {}: {} points ({}{}) of {}, {}, estimated CPU time {}\n", sw.name, sw.count,
                 sw.design == io::Design::grid ? "grid" : sw.design == io::Design::lhs ? "lhs" : "sobol",
                 sw.replications ? fmt::format(", {} replications each", sw.replications) : std::string(), sw.base.scenario.name,
                 sw.base.path, io::sweep_seconds(sw) < 1 ? "under a second" : io::human_seconds(io::sweep_seconds(sw)));
      if (part && count == 0) fmt::print(out, "slice {} of {}: no points (more slices than points)\n", part->first, part->second);
      else if (part) fmt::print(out, "slice {} of {}: points {} to {} ({} points)\n", part->first, part->second, first, first + count - 1, count);
      for (const auto& r : sw.rounding) fmt::print(out, "rounding: {}\n", r);
    }
    if (const std::string why = io::sweep_problem(sw); !why.empty()) throw InputError(why);
    if (dry_run) {
      then = Then::stop;
      return;
    }
    dir = !out_dir.empty() ? out_dir
          : part       ? fmt::format("results/{}-sweep-{}-of-{}", sw.name, part->first, part->second)
                       : "results/" + sw.name + "-sweep";
    batch = batch_options(batch_text, dir);
  };
  mpi::agreed("sweep", prepare);
  if (then == Then::stop) return kOk;
  if (then == Then::merge) return mpi::rank() == 0 ? merge_slices(positional, out_dir, call.command_line, report_lang, quiet, out) : kOk;
  const io::Sweep& sw = *loaded;

  // The points in chunks, balanced over the ranks, checkpointed (cli/batch.hpp). Every chunk is
  // run whole (no --fail-fast inside it), so that a refused point is reported as the lowest one
  // whichever rank or thread met it.
  io::PointRunner runner(sw, threads);
  std::vector<io::PointResult> results(count);             // the first rank's: every point's
  std::vector<std::pair<std::uint64_t, io::PointResult>> mine;  // this rank's since the last meeting
  std::vector<io::PointResult> chunk;
  BatchWork work;
  // The slice and --fail-fast are part of what the checkpoint continues: a checkpoint of another
  // slice, or one whose chunks were run without stopping at a refused point, is refused.
  work.identity.command = "sweep";
  if (part) work.identity.command += fmt::format(" --slice {}/{}", part->first, part->second);
  if (fail_fast) work.identity.command += " --fail-fast";
  work.identity.version = kVersion;
  work.identity.commit = kGitCommit;
  work.identity.inputs.emplace_back(sw.file, sw.sha256);
  for (std::size_t k = 0; k < sw.base.inputs.size(); ++k) work.identity.inputs.emplace_back(sw.base.inputs[k], sw.base.input_sha256.at(k));
  work.identity.seed = sw.seed;
  work.identity.plan = ChunkPlan::for_units(count, count ? io::sweep_seconds(sw) / static_cast<double>(sw.count) : 0.0);
  work.run = [&](std::uint64_t unit, std::uint64_t n, std::uint64_t* failed_at) {
    chunk.assign(n, io::PointResult{});
    runner.run(first + unit, n, false, chunk);
    for (std::uint64_t k = 0; k < n; ++k)
      if (fail_fast && !chunk[k].ok) {
        *failed_at = unit + k;
        throw InputError(io::refused_point_message(first + unit + k, chunk[k]));
      }
    for (std::uint64_t k = 0; k < n; ++k) mine.emplace_back(unit + k, std::move(chunk[k]));
  };
  work.take = [&] {
    std::vector<std::pair<std::uint64_t, const io::PointResult*>> view;
    for (const auto& [unit, r] : mine) view.emplace_back(unit, &r);
    std::string packed = io::pack_points(view);
    mine.clear();
    return packed;
  };
  std::vector<bool> have(count);
  work.add = [&](std::string_view bytes) {
    io::unpack_points(bytes, count, [&](std::uint64_t unit, io::PointResult&& r) {
      results[unit] = std::move(r);
      have[unit] = true;
    });
  };
  work.total = [&] {
    std::vector<std::pair<std::uint64_t, const io::PointResult*>> view;
    for (std::uint64_t k = 0; k < count; ++k)
      if (have[k]) view.emplace_back(k, &results[k]);
    return io::pack_points(view);
  };
  batch.start = started;
  const BatchEnd end = run_batch("sweep", work, batch);
  if (!end.finished) {
    say_stopped(call.err, "sweep", end, count, "points", batch);
    return kInterrupted;
  }
  if (mpi::rank() != 0) return kOk;  // the first rank writes the results
  // Every point has its result: a checkpoint whose list of finished chunks claims more than its
  // results hold (a file edited by hand) must not turn into rows without a result.
  if (const auto missing = static_cast<std::uint64_t>(std::count(have.begin(), have.end(), false)); missing > 0)
    throw Error(fmt::format("{} of {} points have no result{}; nothing was written", missing, count,
                            end.resumed ? " although the checkpoint " + batch.checkpoint + " counts them as finished (it is damaged)" : ""));
  nlohmann::json manifest = sweep_manifest(sw, call.command_line, now_utc());
  finish_batch(batch, work, end, [&] {
    if (part) {
      manifest["slice"] = {{"k", part->first}, {"n", part->second}, {"first", first}, {"count", count}};
      std::vector<io::OutputFile> files{{"sweep.csv", io::sweep_csv(sw, first, results)}, {"slice.csv", io::slice_csv(first, results)}};
      if (sw.detail) files.push_back({"detail.csv", io::detail_csv(results, true)});
      write_results(dir, files, manifest);
    } else {
      write_results(dir, sweep_files(sw, results, io::detail_csv(results, true), report_lang), manifest);
    }
  });
  if (!quiet) print_outcome(out, results, dir);
  return kOk;
}

}  // namespace kimsim::cli
