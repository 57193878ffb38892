// libFuzzer harness of the sweep reader: load_sweep() on arbitrary bytes as a sweep file, then
// the first points of what it accepts, their outputs, and the packed form that ranks and
// checkpoints carry. An InputError (bad input, located) or a TieError is a correct answer; any
// other exception, a crash, a leak or undefined behaviour is a bug.
//
// Invariants checked (the harness aborts where one breaks): a sweep that loads has at least one
// point and one value per slot at each point; a point's result is refused with a message or has
// no negative positions or money; the results come back unchanged from pack_points/unpack_points;
// sweep.csv has a row per point and the report renders.
//
// The input is written as `sweeps/sweep.yaml` in a private folder beside links to the shipped
// scenarios and data, so that the shipped sweep files (base: ../kim-nrw-2021.yaml) load as they are.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "io/html_report.hpp"
#include "io/sweep.hpp"
#include "kimsim/error.hpp"

namespace {

namespace fs = std::filesystem;

fs::path g_dir;  // this process' folder (parallel fuzzers each have one)

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_sweep: invariant broken: %s\n", what);
  std::abort();
}

void remove_folder() {
  std::error_code ec;
  fs::remove_all(g_dir, ec);
}

/// Points evaluated per input: a sweep of up to kWhole points whole (its summary and report need
/// every point), of more its first kFirst (sweep.csv's rows).
constexpr std::uint64_t kWhole = 16, kFirst = 4;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string dir = (fs::temp_directory_path() / "kimsim-fuzz-sweep-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    std::perror("fuzz_sweep: mkdtemp");
    std::abort();
  }
  g_dir = dir;
  std::atexit(remove_folder);
  const fs::path shipped = fs::path(KIMSIM_SOURCE_DIR) / "scenarios";
  for (const auto& e : fs::directory_iterator(shipped))
    if (e.path().filename() != "sweeps") fs::create_symlink(e.path(), g_dir / e.path().filename());
  fs::create_directory(g_dir / "sweeps");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = (g_dir / "sweeps" / "sweep.yaml").string();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
      std::fprintf(stderr, "fuzz_sweep: cannot write %s\n", file.c_str());
      std::abort();
    }
  }
  try {
    using namespace kimsim;
    const io::Sweep sw = io::load_sweep(file);
    require(sw.count >= 1, "a sweep has points");
    std::vector<std::int64_t> values;
    sw.point(sw.count - 1, values);
    require(values.size() == sw.slots().size(), "one value per slot");
    // A Monte Carlo point costs a simulation: those are read, not run.
    if (!io::sweep_problem(sw).empty() || sw.replications > 0) return 0;
    const bool whole = sw.count <= kWhole;
    const std::uint64_t n = whole ? sw.count : kFirst;
    std::vector<io::PointResult> results(n);
    io::run_points(sw, 0, n, 1, false, results);
    std::vector<std::pair<std::uint64_t, const io::PointResult*>> view;
    for (std::uint64_t i = 0; i < n; ++i) {
      const io::PointResult& r = results[i];
      require(r.ok ? r.halves >= 0 && r.unallocated >= 0 : !r.message.empty(), "a point is allocated or refused with its message");
      view.emplace_back(i, &r);
    }
    std::uint64_t back = 0;
    io::unpack_points(io::pack_points(view), n, [&](std::uint64_t i, io::PointResult&& r) {
      const io::PointResult& a = results[i];
      require(i == back++ && r.ok == a.ok && r.halves == a.halves && r.unallocated == a.unallocated && r.gini == a.gini &&
                  r.ratio == a.ratio && r.paradoxes == a.paradoxes && r.message == a.message && r.detail == a.detail,
              "points' results come back unchanged");
    });
    require(back == n, "every point comes back");
    const std::string csv = io::sweep_csv(sw, 0, results);
    require(static_cast<std::uint64_t>(std::count(csv.begin(), csv.end(), '\n')) >= n + 1, "sweep.csv has a row per point");
    if (whole) (void)io::report_html(io::sweep_report_data(io::sweep_summary(sw, results), csv, sw.base.scenario.name, "", io::Lang::de));
  } catch (const kimsim::InputError&) {
  } catch (const kimsim::TieError&) {
  }
  return 0;
}
