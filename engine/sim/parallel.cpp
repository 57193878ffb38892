// The parallel regions of kimsim: replications over OpenMP threads, and a sweep's points. Each thread owns its
// Replicator and integer accumulators; they merge by addition, so the result is the same bits for
// any thread count. Without OpenMP this runs serially.
#include <atomic>
#include <string>
#include <exception>
#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "sim/compare_sim.hpp"
#include "sim/points.hpp"
#include "sim/replicator.hpp"

namespace kimsim {

// Out of line: the accumulators' types are complete only here and in the other files of engine/.
SimulationResult::SimulationResult() = default;
SimulationResult::~SimulationResult() = default;
SimulationResult::SimulationResult(const SimulationResult&) = default;
SimulationResult::SimulationResult(SimulationResult&&) noexcept = default;
SimulationResult& SimulationResult::operator=(const SimulationResult&) = default;
SimulationResult& SimulationResult::operator=(SimulationResult&&) noexcept = default;

SimulationResult simulate(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                          int threads, Progress progress) {
  return simulate_share(scenario, regions, spec, 0, spec.replications, threads, progress);
}

namespace {

void check_numbering(std::uint64_t first, std::uint64_t count) {
  if (first > SimulationLimits::replications || count > SimulationLimits::replications - first)
    throw Error("replications are numbered below " + std::to_string(SimulationLimits::replications) +
                " (SimulationLimits::replications)");
}

/// The one parallel loop: replications first .. first + count - 1 over the threads. Each thread
/// keeps its own Worker (a replicator and its accumulators) in `crew`, at its thread number: made
/// on the thread's first call (make(std::optional<Worker>&)) and kept across calls, so that a run
/// in chunks (SimulationRun) builds its replicators once. Each replication a thread takes runs on
/// its worker (run(worker, r)); the caller merges the workers afterwards, and integer
/// accumulators make the sum the same bits for any thread count. `chunk` is the smallest batch
/// of replications a thread takes: batches start large (guided: the rest over the threads) and
/// shrink to `chunk`, so that a thread that finishes early waits at the region's end for at most
/// `chunk` replications of another — a run in chunks (run_batch) ends a region at every chunk,
/// and a fixed batch of 64 left one thread idle for up to a tenth of a chunk. Which thread runs
/// which replication changes no bit of the result. No exception
/// leaves the parallel region: the one of the lowest replication is kept (-1 for a thread's
/// set-up, which comes before any replication) and rethrown afterwards, so the error reported
/// does not depend on the thread count either.
template <class Worker, class Make, class Run>
void replicate(std::vector<std::optional<Worker>>& crew, std::uint64_t first, std::uint64_t count, int threads,
               int chunk, std::uint64_t progress_every, Progress progress, std::uint64_t* failed_at, Make make, Run run) {
  const auto n = static_cast<std::int64_t>(count);
  std::atomic<std::uint64_t> done{0};
  std::exception_ptr failure;
  std::int64_t failed = std::numeric_limits<std::int64_t>::max();
  std::size_t team = 1;
#ifdef _OPENMP
  if (threads > 0) omp_set_num_threads(threads);
  team = static_cast<std::size_t>(omp_get_max_threads());
#else
  (void)threads;
#endif
  if (crew.size() < team) crew.resize(team);
  chunk = static_cast<int>(std::clamp<std::int64_t>(n / (64 * static_cast<std::int64_t>(team)), 1, chunk));
#pragma omp parallel
  {
    auto keep = [&](std::int64_t r) {
#pragma omp critical(kimsim_failure)
      if (r < failed) failed = r, failure = std::current_exception();
    };
    std::size_t me = 0;
#ifdef _OPENMP
    me = static_cast<std::size_t>(omp_get_thread_num());
#endif
    std::optional<Worker>& worker = crew[me];
    bool ready = worker.has_value();
    if (!ready) try {
        make(worker);
        ready = true;
      } catch (...) {
        worker.reset();
        keep(-1);
      }
    const bool first_thread = me == 0;
#pragma omp for schedule(guided, chunk)
    for (std::int64_t r = 0; r < n; ++r) {
      if (!ready) continue;
      try {
        run(*worker, first + static_cast<std::uint64_t>(r));
      } catch (...) {
        keep(r);
      }
      const auto d = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (progress && first_thread && d % progress_every == 0) progress(d, count);
    }
  }
  if (failure) {
    if (failed_at) *failed_at = first + static_cast<std::uint64_t>(std::max<std::int64_t>(failed, 0));
    std::rethrow_exception(failure);
  }
  if (progress) progress(count, count);
}

/// A thread's share of a simulation.
struct SimulationWorker {
  Replicator rep;
  std::vector<SlotStats> stats;
  std::vector<StateStats> state;
};

/// A thread's share of a comparison.
struct CompareWorker {
  CompareReplicator rep;
  std::vector<DeltaStats> stats;
};

}  // namespace

struct SimulationRun::Crew {
  const Scenario& scenario;
  const Regions& regions;
  const SimulationSpec& spec;
  int threads;
  SimulationResult layout;  // slots, budgets and years; no statistics
  std::vector<std::optional<SimulationWorker>> workers;
  std::uint64_t replications = 0;  // run since the last take()
};

SimulationRun::SimulationRun(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec, int threads)
    : crew_(std::make_unique<Crew>(Crew{scenario, regions, spec, threads, {}, {}, 0})) {
  const Replicator probe(scenario, regions, spec);
  crew_->layout.slots = probe.slots();
  crew_->layout.budget = probe.budgets();
  crew_->layout.years = probe.years();
}

SimulationRun::~SimulationRun() = default;

void SimulationRun::run(std::uint64_t first, std::uint64_t count, Progress progress, std::uint64_t* failed_at) {
  check_numbering(first, count);
  Crew& c = *crew_;
  const std::size_t slots = c.layout.slots.size(), years = c.layout.years.size();
  replicate<SimulationWorker>(
      c.workers, first, count, c.threads, 4, 256, progress, failed_at,
      [&](std::optional<SimulationWorker>& w) {
        w.emplace(SimulationWorker{Replicator(c.scenario, c.regions, c.spec), {}, {}});
        w->stats.resize(slots);
        w->state.resize(years);
      },
      [](SimulationWorker& w, std::uint64_t r) { w.rep.run(r, w.stats, w.state); });
  c.replications += count;
}

SimulationResult SimulationRun::empty() const {
  SimulationResult r = crew_->layout;
  r.stats.assign(r.slots.size(), SlotStats{});
  r.state.assign(r.years.size(), StateStats{});
  return r;
}

SimulationResult SimulationRun::take() {
  Crew& c = *crew_;
  SimulationResult result = empty();
  result.replications = std::exchange(c.replications, 0);
  for (auto& w : c.workers) {
    if (!w) continue;
    for (SlotStats& s : w->stats) s.halves = s.halves_hist.moments();  // not added per row (score_slot)
    for (std::size_t k = 0; k < w->stats.size(); ++k) merge_fields(result.stats[k], w->stats[k]);
    for (std::size_t k = 0; k < w->state.size(); ++k) merge_fields(result.state[k], w->state[k]);
    w->stats.assign(w->stats.size(), SlotStats{});
    w->state.assign(w->state.size(), StateStats{});
  }
  return result;
}

SimulationResult simulate_share(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                                std::uint64_t first, std::uint64_t count, int threads, Progress progress,
                                std::uint64_t* failed_at) {
  check_numbering(first, count);
  SimulationRun run(scenario, regions, spec, threads);
  run.run(first, count, progress, failed_at);
  return run.take();
}

CompareSimulation compare_replications(std::span<const SimulatedScenario> scenarios, std::uint64_t seed,
                                       std::uint64_t first, std::uint64_t count, int threads, Progress progress,
                                       std::uint64_t* failed_at) {
  check_numbering(first, count);
  // One seed for all: the common random numbers (kimsim/compare.hpp).
  std::vector<SimulationSpec> specs;
  for (const auto& s : scenarios) {
    specs.push_back(*s.spec);
    specs.back().seed = seed;
  }
  CompareLayout layout;
  {
    std::vector<Replicator> probes;
    probes.reserve(scenarios.size());
    for (std::size_t k = 0; k < scenarios.size(); ++k) probes.emplace_back(*scenarios[k].scenario, *scenarios[k].regions, specs[k]);
    layout = compare_layout(scenarios, probes);
  }
  CompareSimulation result;
  result.years = layout.years;
  result.lines = layout.lines;
  result.variants = scenarios.size() - 1;
  result.stats.assign(result.variants * result.lines.size(), DeltaStats{});
  result.replications = count;
  result.seed = seed;
  std::vector<std::optional<CompareWorker>> crew;
  replicate<CompareWorker>(
      crew, first, count, threads, 2, 64, progress, failed_at,
      [&](std::optional<CompareWorker>& w) {
        w.emplace(CompareWorker{CompareReplicator(scenarios, specs, layout), {}});
        w->stats.resize(result.stats.size());
      },
      [](CompareWorker& w, std::uint64_t r) { w.rep.run(r, w.stats); });
  for (const auto& w : crew)
    if (w)
      for (std::size_t k = 0; k < w->stats.size(); ++k) merge_fields(result.stats[k], w->stats[k]);
  return result;
}

void merge(SimulationResult& into, const SimulationResult& part) {
  if (into.stats.size() != part.stats.size() || into.state.size() != part.state.size())
    throw Error("cannot merge simulation results of different scenarios");
  for (std::size_t k = 0; k < part.stats.size(); ++k) merge_fields(into.stats[k], part.stats[k]);
  for (std::size_t k = 0; k < part.state.size(); ++k) merge_fields(into.state[k], part.state[k]);
  into.replications += part.replications;
}

}  // namespace kimsim

// ---------------------------------------------------------------------------------------------
// The loop over a sweep's points.

namespace kimsim {

int loop_threads(int threads) {
#ifdef _OPENMP
  return threads > 0 ? threads : omp_get_max_threads();
#else
  (void)threads;
  return 1;
#endif
}

void for_each_point(std::uint64_t first, std::uint64_t count, int threads,
                    const std::function<bool(std::uint64_t index, int thread)>& task) {
  const auto n = static_cast<std::int64_t>(count);
  std::atomic<std::uint64_t> stop_at{std::numeric_limits<std::uint64_t>::max()};
  std::exception_ptr failure;
  std::uint64_t failed = std::numeric_limits<std::uint64_t>::max();
  const int team = loop_threads(threads);
  (void)team;
  // Guided down to 4 points, for the reason given at replicate() above.
#pragma omp parallel for schedule(guided, 4) num_threads(team)
  for (std::int64_t k = 0; k < n; ++k) {
    const std::uint64_t i = first + static_cast<std::uint64_t>(k);
    if (i > stop_at.load(std::memory_order_relaxed)) continue;
#ifdef _OPENMP
    const int thread = omp_get_thread_num();
#else
    const int thread = 0;
#endif
    try {
      if (!task(i, thread)) {
        std::uint64_t seen = stop_at.load();
        while (i < seen && !stop_at.compare_exchange_weak(seen, i)) {
        }
      }
    } catch (...) {
#pragma omp critical(kimsim_point_failure)
      if (i < failed) failed = i, failure = std::current_exception();
      std::uint64_t seen = stop_at.load();
      while (i < seen && !stop_at.compare_exchange_weak(seen, i)) {
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace kimsim
