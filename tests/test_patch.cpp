// Patches of a compiled plan (io/patch.hpp): evaluating the plan with a patch gives exactly the
// allocation of the scenario with the same values written in its YAML — for random patches of
// every shipped scenario and variant.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "kimsim/format.hpp"

#include "io/patch.hpp"
#include "io/region_loader.hpp"
#include "io/scenario.hpp"
#include "kimsim/rules.hpp"

using namespace kimsim;
using namespace kimsim::io;

namespace {

/// The same allocation, to the bit: rows, totals (with the reason for what is left) and notes.
void require_same(const Allocation& a, const Allocation& b, const std::string& what) {
  INFO(what);
  REQUIRE(a.rows.size() == b.rows.size());
  for (std::size_t k = 0; k < a.rows.size(); ++k) {
    const AllocationRow &x = a.rows[k], &y = b.rows[k];
    CHECK(x.region == y.region);
    CHECK(x.baustein == y.baustein);
    CHECK(x.halves == y.halves);
    CHECK(x.cents == y.cents);
    CHECK(x.key_share == y.key_share);
    CHECK(x.quota == y.quota);
    CHECK(x.note == y.note);
    CHECK(x.passed_on_by == y.passed_on_by);
  }
  REQUIRE(a.totals.size() == b.totals.size());
  for (std::size_t k = 0; k < a.totals.size(); ++k) {
    CHECK(a.totals[k].budget == b.totals[k].budget);
    CHECK(a.totals[k].allocated == b.totals[k].allocated);
    CHECK(a.totals[k].unallocated == b.totals[k].unallocated);
    CHECK(a.totals[k].halves == b.totals[k].halves);
    CHECK(a.totals[k].recipients == b.totals[k].recipients);
    CHECK(a.totals[k].unallocated_reason == b.totals[k].unallocated_reason);
  }
  CHECK(a.notes == b.notes);
}

/// A variant of `base` (absolute path) with the patch written in as YAML: the value at each
/// path, the key of a patched weight written out whole (a variant's `key:` replaces the base's),
/// pass-through off as `remove`.
std::string variant_yaml(const std::string& base, const Scenario& s, const std::vector<Slot>& slots,
                         const std::vector<std::int64_t>& values) {
  PatchedInputs in;
  apply(s, slots, values, in);
  std::string remove, top, bs;
  for (std::size_t bi = 0; bi < s.bausteine.size(); ++bi) {
    const Baustein& b = s.bausteine[bi];
    std::string body;
    bool touched = false;
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i].kind != SlotKind::total_budget && slots[i].baustein == bi) touched = true;
    const bool total = std::any_of(slots.begin(), slots.end(), [](const Slot& x) { return x.kind == SlotKind::total_budget; });
    if (!touched && !total) continue;
    body += "    budget_eur: " + format_euros(in.budget[bi]) + "\n";
    if (b.rate_per_vza > 0) body += "    rate_per_vza_eur: " + format_euros(in.rate[bi]) + "\n";
    std::string rule;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const Slot& x = slots[i];
      if (x.kind == SlotKind::total_budget || x.baustein != bi) continue;
      switch (x.kind) {
        case SlotKind::unit: rule += "      unit_vza: " + value_text(x, values[i]) + "\n"; break;
        case SlotKind::base: rule += "      base_vza: " + value_text(x, values[i]) + "\n"; break;
        case SlotKind::min: rule += "      min_vza: " + value_text(x, values[i]) + "\n"; break;
        case SlotKind::max: rule += "      max_vza: " + value_text(x, values[i]) + "\n"; break;
        case SlotKind::method: rule += "      method: " + value_text(x, values[i]) + "\n"; break;
        case SlotKind::minimum: rule += "      minimum_eur: " + value_text(x, values[i]) + "\n"; break;
        case SlotKind::pass_through:
          if (!values[i]) remove += "  - bausteine[" + b.id + "].pass_through\n";
          break;
        default: break;
      }
    }
    if (!in.weights[bi].empty()) {
      rule += "      key:\n";
      const Key& key = *b.rule->keyed_by();
      for (std::size_t t = 0; t < key.terms.size(); ++t) {
        Slot w{SlotKind::key_weight, bi, t, ""};
        // Written as the slot's exact decimal: the reader makes the same double of it.
        const auto patched = std::find_if(slots.begin(), slots.end(), [&](const Slot& x) {
          return x.kind == SlotKind::key_weight && x.baustein == bi && x.term == t;
        });
        const std::int64_t v = patched != slots.end() ? values[static_cast<std::size_t>(patched - slots.begin())] : *base_value(s, w);
        rule += "        " + key.terms[t].indicator + ": " + value_text(w, v) + "\n";
      }
    }
    if (!rule.empty()) body += "    " + std::string(b.rule->type().name) + ":\n" + rule;
    bs += "  - id: " + b.id + "\n" + body;
  }
  Cents total = 0;
  for (Cents c : in.budget) total += c;
  top = "extends: " + base + "\nscenario: patched\nbudget_eur: " + format_euros(total) + "\n";
  if (!remove.empty()) top += "remove:\n" + remove;
  if (!bs.empty()) top += "bausteine:\n" + bs;
  return top;
}

/// A random value for `slot` near the scenario's own (sometimes one the rules refuse).
std::int64_t random_value(const Scenario& s, const Slot& slot, std::mt19937_64& rng) {
  const auto base = base_value(s, slot);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  switch (slot.kind) {
    case SlotKind::total_budget:
    case SlotKind::budget:
    case SlotKind::minimum: return *base / 2 + uniform(0, *base + 1);
    case SlotKind::rate: return 2 * uniform(*base / 4, *base * 3 / 4);
    case SlotKind::key_weight: return uniform(0, 20) * kWeightScale / 20 + uniform(0, 3) * 7;
    case SlotKind::unit: return uniform(1, 3);
    case SlotKind::base: return uniform(0, 8);
    case SlotKind::min: return uniform(0, 12);
    case SlotKind::max: return uniform(6, 60);
    case SlotKind::method: return uniform(0, static_cast<std::int64_t>(Method::vinton));
    case SlotKind::pass_through: return uniform(0, 1);
  }
  return 0;
}

}  // namespace

TEST_CASE("patch: a plan evaluated with a patch allocates as the scenario with the values written in") {
  const std::filesystem::path root = KIMSIM_SOURCE_DIR "/scenarios";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  for (const auto& e : std::filesystem::directory_iterator(root / "variants")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const auto dir = std::filesystem::temp_directory_path() / ("kimsim-test-patch-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(20261130);
  DataCache cache;
  std::size_t compared = 0, refused = 0;
  for (const auto& file : files) {
    const LoadedScenario ls = load_scenario(file.string(), {std::nullopt, std::nullopt, &cache});
    const Scenario& s = ls.scenario;
    std::vector<Slot> all;
    for (const auto& path : patchable_paths(s)) {
      std::string why;
      const auto slot = resolve_slot(s, path, why);
      REQUIRE_MESSAGE(slot, why);
      all.push_back(*slot);
    }
    const Plan plan(s, ls.regions);
    for (int trial = 0; trial < 12; ++trial) {
      // One to three slots, never a Baustein's budget together with the total.
      std::vector<Slot> slots;
      std::vector<std::int64_t> values;
      const int n = static_cast<int>(rng() % 3) + 1;
      for (int k = 0; k < n; ++k) {
        const Slot& pick = all[rng() % all.size()];
        const bool clash = std::any_of(slots.begin(), slots.end(), [&](const Slot& x) {
          return x.path == pick.path || (x.kind == SlotKind::total_budget && pick.kind == SlotKind::budget) ||
                 (x.kind == SlotKind::budget && pick.kind == SlotKind::total_budget);
        });
        if (clash) continue;
        const std::int64_t v = random_value(s, pick, rng);
        if (!value_problem(pick, v).empty()) continue;
        slots.push_back(pick);
        values.push_back(v);
      }
      const std::string yaml = variant_yaml(std::filesystem::absolute(file).string(), s, slots, values);
      const auto variant = dir / "patched.yaml";
      std::ofstream(variant) << yaml;
      INFO(file.string() << "\n" << yaml);
      std::optional<Allocation> written, patched, rebuilt;
      std::string written_error, patched_error;
      try {
        const LoadedScenario v = load_scenario(variant.string(), {std::nullopt, std::nullopt, &cache});
        written = allocate(v.scenario, v.regions);
      } catch (const InputError& e) {
        written_error = e.what();
      }
      PatchedInputs in;
      apply(s, slots, values, in);
      try {
        patched = allocate(plan, in.inputs());
      } catch (const InputError& e) {
        patched_error = e.what();
      }
      // Both refuse, or both allocate the same.
      const std::string errors = written_error + " | " + patched_error;
      REQUIRE_MESSAGE(written.has_value() == patched.has_value(), errors);
      if (!written) {
        ++refused;
        continue;
      }
      require_same(*written, *patched, "YAML vs patched plan");
      const Scenario copy = patched_scenario(s, slots, values);
      require_same(*written, allocate(copy, ls.regions), "YAML vs patched scenario");
      ++compared;
    }
  }
  std::filesystem::remove_all(dir);
  MESSAGE(compared << " patches compared, " << refused << " refused by both");
  CHECK(compared > 60);
  CHECK(refused > 0);
}

TEST_CASE("patch: paths that are not patchable numbers are refused with the list") {
  const LoadedScenario ls = load_scenario(KIMSIM_SOURCE_DIR "/scenarios/kim-nrw-2021.yaml");
  std::string why;
  CHECK(!resolve_slot(ls.scenario, "bausteine[B2].recipients", why));
  CHECK(why.find("bausteine[B2].rate_per_vza_eur") != std::string::npos);
  CHECK(!resolve_slot(ls.scenario, "bausteine[B9].budget_eur", why));
  CHECK(why.find("no id 'B9'") != std::string::npos);
  CHECK(!resolve_slot(ls.scenario, "bausteine[B2].positions_by_key.key.area_km2", why));
  CHECK(why.find("no term of the key") != std::string::npos);
  const auto rate = resolve_slot(ls.scenario, "bausteine[B2].rate_per_vza_eur", why);
  REQUIRE(rate);
  CHECK(value_problem(*rate, 5500001).find("even number of cents") != std::string::npos);
  CHECK(value_problem(*rate, 5700000).empty());
  CHECK(value_text(*rate, 5700000) == "57000.00");
}
