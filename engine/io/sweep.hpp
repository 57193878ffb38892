// `kimsim sweep`: one base scenario evaluated at many points, each point a set of patched
// numbers (io/patch.hpp) on the plan compiled once. The sweep file is read as strictly as a
// scenario; the design (grid, Latin hypercube, Sobol) gives each point's values; the points run
// through one function over a range of point indices (run_points) whose results are integers,
// so that any split of the range — threads, job-array slices, later MPI ranks or a resumed run —
// gives the same bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/output.hpp"
#include "io/patch.hpp"
#include "io/scenario.hpp"

namespace kimsim::io {

enum class Design : std::uint8_t { grid, lhs, sobol };
enum class Metric : std::uint8_t { positions, unallocated_eur, gini_eur_per_inhabitant, max_min_ratio, paradoxes };
std::string_view metric_name(Metric m);

/// Sizes beyond which a sweep is refused before it runs, each with its reason.
struct SweepLimits {
  /// Points of one sweep: sweep.csv holds a row of each, and the results are kept in memory.
  static constexpr std::uint64_t points = 10'000'000;
  /// detail.csv, estimated before the run: the result is written as a whole from memory.
  static constexpr double detail_bytes = 1024.0 * 1024 * 1024;
  /// Dimensions of a Sobol design: the direction numbers embedded (Joe and Kuo).
  static constexpr std::size_t sobol_dimensions = 21;
};

struct SweepParameter {
  Slot slot;
  std::string where;                ///< "file:line:column" of its entry, for messages
  std::vector<std::int64_t> levels; ///< `values:`, or the grid's steps of a `range:`
  std::optional<std::pair<std::int64_t, std::int64_t>> range;  ///< `range:` (sampled continuously by lhs/sobol)
  std::int64_t grain = 1;           ///< the step the rules accept: 2 cents for a rate, else 1 unit
};

struct SweepComplement {
  Slot slot;
  std::size_t of = 0;  ///< the parameter it complements (index)
  std::string where;
};

/// A sweep file read and resolved against its base.
struct Sweep {
  std::string name, file, sha256;
  std::string base_path;  ///< as given in the file, relative to it
  LoadedScenario base;
  Design design = Design::grid;
  std::uint64_t seed = 0;      ///< lhs: the permutations; sobol: a digital shift (0: none)
  std::uint64_t count = 0;     ///< points
  std::vector<SweepParameter> parameters;
  std::vector<SweepComplement> complements;
  std::uint64_t replications = 0;  ///< 0: a deterministic allocation per point
  std::vector<Metric> metrics;
  bool detail = false;
  std::vector<std::string> rounding;  ///< how generated values were rounded, for the output
  /// The values of point `i`, one per slot (parameters, then complements).
  void point(std::uint64_t i, std::vector<std::int64_t>& out) const;
  /// Every slot: the parameters', then the complements'.
  std::vector<Slot> slots() const;

  std::vector<std::int64_t> table;  ///< lhs and sobol: the values, point by point
  /// "file:line:column: key" of `replications` and `detail` (the file where absent), for the
  /// messages that refuse their sizes.
  std::string replications_where, detail_where;
};

/// Reads the sweep file and its base. Throws ScenarioError listing every problem, each at its
/// line and column.
Sweep load_sweep(const std::string& path);

/// One point's outcome: integers, so that results merge and compare exactly. For a Monte Carlo
/// point the metrics are sums over its replications (means are written).
struct PointResult {
  bool ok = false;
  std::string message;         ///< why the model refused the point
  std::int64_t halves = 0;     ///< positions
  std::int64_t unallocated = 0;  ///< cents
  std::optional<std::int64_t> gini, ratio;  ///< in 10^-9; a Monte Carlo point's: the mean over the replications that measured it (absent where none did)
  std::int64_t paradoxes = 0;
  std::string detail;          ///< the point's rows of detail.csv
};

/// Evaluates points of a sweep: the base compiled once, each thread's buffers kept from one call
/// to the next (a run in chunks calls it per chunk).
class PointRunner {
 public:
  PointRunner(const Sweep& sweep, int threads);  ///< threads 0: all cores
  ~PointRunner();
  PointRunner(const PointRunner&) = delete;
  PointRunner& operator=(const PointRunner&) = delete;
  /// Points [first, first + count) into out[0 .. count). A point the model refuses is a result
  /// with its message; with `fail_fast` the first refused point (the lowest, whatever the
  /// threads) is thrown as an InputError instead (refused_point_message).
  void run(std::uint64_t first, std::uint64_t count, bool fail_fast, std::span<PointResult> out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// PointRunner(sweep, threads).run(first, count, fail_fast, out).
void run_points(const Sweep& sweep, std::uint64_t first, std::uint64_t count, int threads, bool fail_fast,
                std::span<PointResult> out);
/// What --fail-fast says of a refused point: "point I: " and the model's message.
std::string refused_point_message(std::uint64_t point, const PointResult& r);

/// Points' results (their numbers and results) as bytes and back, for the ranks of a run in
/// chunks and its checkpoints (cli/batch.hpp). unpack_points calls `each` per point and throws
/// an Error where the bytes are not such results or name a point beyond `points`.
std::string pack_points(std::span<const std::pair<std::uint64_t, const PointResult*>> points);
void unpack_points(std::string_view bytes, std::uint64_t points, const std::function<void(std::uint64_t, PointResult&&)>& each);

/// Estimated CPU seconds of the sweep, and the problem that refuses it before it runs ("" for
/// none): too many points or replications, a detail.csv too large.
double sweep_seconds(const Sweep& sweep);
std::string sweep_problem(const Sweep& sweep);

/// The outputs for points [first, first + results.size()).
std::string sweep_csv(const Sweep& sweep, std::uint64_t first, std::span<const PointResult> results);
std::string detail_csv(std::span<const PointResult> results, bool header);
nlohmann::json sweep_summary(const Sweep& sweep, std::span<const PointResult> results);
/// What a job-array slice keeps beside its rows so that a merge can rebuild the summary: the
/// integer results of its points.
std::string slice_csv(std::uint64_t first, std::span<const PointResult> results);
std::vector<PointResult> parse_slice_csv(const std::string& text, const std::string& file, std::uint64_t first,
                                         std::uint64_t count);

}  // namespace kimsim::io
