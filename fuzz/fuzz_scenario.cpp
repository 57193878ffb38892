// libFuzzer harness of the scenario loader: what `kimsim validate` does — load_scenario() and then
// allocate() — on arbitrary bytes. An InputError (bad input, located) or a TieError (a tie the
// policy refuses) is a correct answer; any other exception, a crash, a leak or undefined behaviour
// is a bug.
//
// An allocation that comes back must keep what allocate() promises: every cent of a Baustein either
// allocated or unallocated, nothing negative, key shares that sum to 1; a broken promise is a bug
// too (the harness aborts).
//
// load_scenario() reads a file and the data files it names relative to it, so every input is
// written to a private temporary folder that also holds `data/`, a link to the shipped data: the
// shipped scenarios load as they are. So that the fuzzer can reach the checks on the data files
// too, an input may carry its own CSV files after the YAML, each introduced by a line
//     #%% NAME.csv
// (NAME: letters, digits, '_' and '-'); the scenario is what comes before the first such line.
// Seeds in this format are in fuzz/corpus/scenario/.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "io/scenario.hpp"
#include "kimsim/error.hpp"
#include "kimsim/model.hpp"

namespace {

namespace fs = std::filesystem;

fs::path g_dir;                       // this process' folder (parallel fuzzers each have one)
std::vector<fs::path> g_written;      // the files of the last input, removed before the next

void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz_scenario: cannot write %s\n", p.c_str());
    std::abort();  // a harness that cannot write its input tests nothing
  }
  g_written.push_back(p);
}

/// A name for a file of the input, or "" where the input names it otherwise: only plain names
/// ending in .csv, so that nothing is written outside the folder or through the `data` link.
std::string file_name(std::string_view name) {
  constexpr std::string_view ext = ".csv";
  if (name.size() <= ext.size() || name.size() > 64 || name.substr(name.size() - ext.size()) != ext) return "";
  for (char c : name.substr(0, name.size() - ext.size()))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return "";
  return std::string(name);
}

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_scenario: invariant broken: %s\n", what);
  std::abort();
}

void check(const kimsim::Scenario& scenario, const kimsim::Allocation& a) {
  using namespace kimsim;
  require(a.totals.size() == scenario.bausteine.size(), "one total per Baustein");
  std::vector<Cents> cents(a.totals.size(), 0);
  std::vector<double> key_sum(a.totals.size(), 0.0);
  for (const auto& r : a.rows) {
    require(r.baustein < a.totals.size(), "rows name a Baustein");
    require(r.cents >= 0 && r.halves >= 0, "no negative amount");
    require(std::isfinite(r.key_share) && r.key_share >= 0 && r.key_share <= 1 + 1e-9, "key shares in [0, 1]");
    require(std::isfinite(r.quota), "finite quotas");
    require(!__builtin_add_overflow(cents[r.baustein], r.cents, &cents[r.baustein]), "the sum fits");
    if (!r.passed_on_by) key_sum[r.baustein] += r.key_share;
  }
  for (std::size_t b = 0; b < a.totals.size(); ++b) {
    const BausteinTotals& t = a.totals[b];
    require(t.budget == scenario.bausteine[b].budget && t.allocated + t.unallocated == t.budget,
            "every cent allocated or unallocated");
    require(t.unallocated >= 0 && cents[b] == t.allocated, "the rows add up to the allocated amount");
    if (scenario.bausteine[b].rule->keyed_by())
      require(std::abs(key_sum[b] - 1) < 1e-6, "key shares sum to 1");
  }
}

void remove_folder() {
  std::error_code ec;
  fs::remove_all(g_dir, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string dir = (fs::temp_directory_path() / "kimsim-fuzz-scenario-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    std::perror("fuzz_scenario: mkdtemp");
    std::abort();
  }
  g_dir = dir;
  std::atexit(remove_folder);
  fs::create_directory_symlink(fs::path(KIMSIM_SOURCE_DIR) / "scenarios" / "data", g_dir / "data");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const auto& p : g_written) fs::remove(p);
  g_written.clear();

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view mark = "#%% ";
  auto next_mark = [&](std::size_t from) {
    for (std::size_t p = input.find(mark, from); p != std::string_view::npos; p = input.find(mark, p + 1))
      if (p == 0 || input[p - 1] == '\n') return p;
    return std::string_view::npos;
  };
  std::size_t at = next_mark(0);
  const std::string scenario = (g_dir / "scenario.yaml").string();
  write_file(scenario, input.substr(0, at));
  while (at != std::string_view::npos) {
    const std::size_t name_end = std::min(input.find('\n', at), input.size());
    const std::size_t body = std::min(name_end + 1, input.size());
    const std::size_t end = next_mark(body);
    const std::string name = file_name(input.substr(at + mark.size(), name_end - at - mark.size()));
    if (!name.empty()) write_file(g_dir / name, input.substr(body, end == std::string_view::npos ? end : end - body));
    at = end;
  }

  try {
    const kimsim::io::LoadedScenario ls = kimsim::io::load_scenario(scenario);
    check(ls.scenario, kimsim::allocate(ls.scenario, ls.regions));
  } catch (const kimsim::InputError&) {
  } catch (const kimsim::TieError&) {
  }
  return 0;
}
