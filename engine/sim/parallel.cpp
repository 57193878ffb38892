// The parallel regions of kimsim: replications over OpenMP threads, and a sweep's points. Each thread owns its
// Replicator and integer accumulators; they merge by addition, so the result is the same bits for
// any thread count. Without OpenMP this runs serially.
#include <atomic>
#include <string>
#include <exception>
#include <algorithm>
#include <limits>
#include <optional>

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
/// makes its own Worker (a replicator and its accumulators: make(std::optional<Worker>&)), runs
/// it on the replications it takes (run(worker, r)) and adds it into the result under a lock
/// (merge(worker)); integer accumulators make the sum the same bits for any thread count. No
/// exception leaves the parallel region: the one of the lowest replication is kept (-1 for a
/// thread's set-up or merge, which come before any replication) and rethrown afterwards, so the
/// error reported does not depend on the thread count either.
template <class Worker, class Make, class Run, class Merge>
void replicate(std::uint64_t first, std::uint64_t count, int threads, int chunk, std::uint64_t progress_every,
               Progress progress, std::uint64_t* failed_at, Make make, Run run, Merge merge) {
  const auto n = static_cast<std::int64_t>(count);
  std::atomic<std::uint64_t> done{0};
  std::exception_ptr failure;
  std::int64_t failed = std::numeric_limits<std::int64_t>::max();
#ifdef _OPENMP
  if (threads > 0) omp_set_num_threads(threads);
#else
  (void)threads;
  (void)chunk;
#endif
#pragma omp parallel
  {
    auto keep = [&](std::int64_t r) {
#pragma omp critical(kimsim_failure)
      if (r < failed) failed = r, failure = std::current_exception();
    };
    std::optional<Worker> worker;
    try {
      make(worker);
    } catch (...) {
      worker.reset();
      keep(-1);
    }
    bool first_thread = true;
#ifdef _OPENMP
    first_thread = omp_get_thread_num() == 0;
#endif
#pragma omp for schedule(dynamic, chunk)
    for (std::int64_t r = 0; r < n; ++r) {
      if (!worker) continue;
      try {
        run(*worker, first + static_cast<std::uint64_t>(r));
      } catch (...) {
        keep(r);
      }
      const auto d = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (progress && first_thread && d % progress_every == 0) progress(d, count);
    }
#pragma omp critical
    try {
      if (worker) merge(*worker);
    } catch (...) {
      keep(-1);
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

SimulationResult simulate_share(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec,
                                std::uint64_t first, std::uint64_t count, int threads, Progress progress,
                                std::uint64_t* failed_at) {
  check_numbering(first, count);
  SimulationResult result;
  {
    const Replicator probe(scenario, regions, spec);
    result.slots = probe.slots();
    result.budget = probe.budgets();
    result.years = probe.years();
  }
  result.stats.assign(result.slots.size(), SlotStats{});
  result.state.assign(result.years.size(), StateStats{});
  result.replications = count;
  replicate<SimulationWorker>(
      first, count, threads, 64, 256, progress, failed_at,
      [&](std::optional<SimulationWorker>& w) {
        w.emplace(SimulationWorker{Replicator(scenario, regions, spec), {}, {}});
        w->stats.resize(result.slots.size());
        w->state.resize(result.years.size());
      },
      [](SimulationWorker& w, std::uint64_t r) { w.rep.run(r, w.stats, w.state); },
      [&](const SimulationWorker& w) {
        for (std::size_t k = 0; k < w.stats.size(); ++k) merge_fields(result.stats[k], w.stats[k]);
        for (std::size_t k = 0; k < w.state.size(); ++k) merge_fields(result.state[k], w.state[k]);
      });
  return result;
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
  replicate<CompareWorker>(
      first, count, threads, 16, 64, progress, failed_at,
      [&](std::optional<CompareWorker>& w) {
        w.emplace(CompareWorker{CompareReplicator(scenarios, specs, layout), {}});
        w->stats.resize(result.stats.size());
      },
      [](CompareWorker& w, std::uint64_t r) { w.rep.run(r, w.stats); },
      [&](const CompareWorker& w) {
        for (std::size_t k = 0; k < w.stats.size(); ++k) merge_fields(result.stats[k], w.stats[k]);
      });
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
#pragma omp parallel for schedule(dynamic, 16) num_threads(team)
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
