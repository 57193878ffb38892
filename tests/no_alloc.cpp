// A replication allocates nothing once its scratch is sized: every allocation in the loop of a
// simulation is paid per replication (10^6 to 10^9 of them), and one slipped in unnoticed before
// (five strings per evaluation for an error message that is almost never raised: 4.2k of a
// replication's 76k instructions, results/bench/perf.md § 44). A program of its own, since it
// replaces the global operator new to count the calls.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "io/scenario.hpp"
#include "sim/replicator.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};

void* allocate(std::size_t size, std::size_t align) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = align <= alignof(std::max_align_t) ? std::malloc(size)
                                               : std::aligned_alloc(align, (size + align - 1) / align * align);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size, 0); }
void* operator new[](std::size_t size) { return allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) { return allocate(size, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return allocate(size, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

/// Allocations in replications [warm, warm + n) of `spec` once replications [0, warm) have sized
/// the scratch: the draws, the plan's evaluation and the payout (Replicator::record; the
/// accumulators of run() grow with new values by design, a histogram's bin or an amount's count).
std::uint64_t allocations_in(const kimsim::io::LoadedScenario& ls, const kimsim::SimulationSpec& spec, std::uint64_t warm,
                             std::uint64_t n) {
  kimsim::Replicator rep(ls.scenario, ls.regions, spec);
  std::vector<kimsim::RowOutcome> outcomes(rep.slots().size());
  for (std::uint64_t r = 0; r < warm; ++r) rep.record(r, outcomes);
  allocations = 0;
  counting = true;
  for (std::uint64_t r = warm; r < warm + n; ++r) rep.record(r, outcomes);
  counting = false;
  return allocations.load();
}

}  // namespace

TEST_CASE("a replication allocates nothing once its scratch is sized") {
  // The counter counts: a vector's allocation here is seen.
  counting = true;
  allocations = 0;
  {
    std::vector<int> v(3);
    asm volatile("" : : "g"(v.data()) : "memory");  // kept: a compiler may elide an unused allocation
  }
  counting = false;
  REQUIRE(allocations.load() == 1);

  const auto ls = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  REQUIRE(ls.simulation);
  SUBCASE("the baseline: uptake, start and filling, personnel cost, indicator noise") {
    CHECK(allocations_in(ls, *ls.simulation, 50, 300) == 0);
  }
  SUBCASE("three years, hold-harmless, non-applicants' funds redistributed") {
    kimsim::SimulationSpec spec = *ls.simulation;
    spec.years = {{2021, 1.0, {}, "", {}, {}}, {2022, 0.8, {}, "", {}, {}}, {2023, 1.1, {}, "", {}, {}}};
    spec.hold_harmless = true;
    spec.redistribute = true;
    CHECK(allocations_in(ls, spec, 50, 300) == 0);
  }
  SUBCASE("fixed staffing and its cost items") {
    const auto fixed = kimsim::io::load_scenario(KIMSIM_SOURCE_DIR "/tests/data/kim-nrw-2021-fixed-staffing.yaml");
    REQUIRE(fixed.simulation);
    CHECK(allocations_in(fixed, *fixed.simulation, 50, 300) == 0);
  }
}
