// Writes the benchmark instances (bench/instances.hpp), kimsim's seats for Sainte-Laguë and
// Hamilton (Hare-Niemeyer) on each, and kimsim's timing on the same instances to one JSON file,
// which bench/peers/peers.mjs reads to verify and time the npm peers on identical input.
//
// Usage: kimsim_export_instances OUT.json [ROUNDS=2000]
//
// Timed twice per method: on the instances as they are ("full", zero weights included) and on
// the same instances with the zero weights removed ("nonzero"), matching peers.mjs's variants.
//
// Timing: one pass apportions all 64 instances once; the pass's time / 64 is one sample, and
// the reported figure is the median sample over ROUNDS rounds (std::chrono::steady_clock). Each
// round runs one pass of every configuration (method x variant x API form) in turn, so outside
// load that comes and goes affects them alike. Two forms are timed: the hot-loop form (caller-owned seats span and Workspace, as in
// bench_apportion.cpp) and the convenience form that allocates its result and workspace per call.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string_view>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "../instances.hpp"
#include "kimsim/apportion.hpp"
#include "kimsim/version.hpp"

namespace {

/// How every file this program writes begins: what replaceable() recognises.
constexpr std::string_view kOpening = "{\n  \"kimsim_version\"";

using namespace kimsim;
using Clock = std::chrono::steady_clock;

volatile std::int64_t g_sink = 0;  // keeps the timed calls observable

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing {
  double workspace_ns;   // median ns per apportionment, caller-owned seats + Workspace
  double allocating_ns;  // median ns per apportionment, convenience form (allocates)
};

using Instances = std::vector<std::vector<std::uint64_t>>;

/// One timed configuration: a method, an instance set, and one of the two API forms.
struct Config {
  Rule rule;
  const Instances* inst;
  bool allocating;
  std::vector<double> samples;
};

/// ns per apportionment for one pass of `c` over its instances.
double run_pass(Config& c, std::vector<std::int64_t>& seats, Workspace& ws) {
  std::int64_t acc = 0;
  const auto t0 = Clock::now();
  if (c.allocating) {
    for (const auto& w : *c.inst) acc += apportion(c.rule, w, bench::kHouse)[0];
  } else {
    for (const auto& w : *c.inst) {
      apportion(c.rule, w, bench::kHouse, std::span(seats).first(w.size()), ws);
      acc += seats[0];
    }
  }
  const auto t1 = Clock::now();
  g_sink = g_sink + acc;
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(c.inst->size());
}

/// Times every configuration, interleaved: each round runs one pass of every configuration in
/// turn, so a burst of outside load hits all of them alike and only the rounds it overlaps.
void time_all(std::vector<Config>& configs, int rounds) {
  std::vector<std::int64_t> seats(bench::kRecipients);
  Workspace ws;
  for (int r = 0; r < rounds / 10 + 1; ++r)  // warm-up
    for (auto& c : configs) run_pass(c, seats, ws);
  for (auto& c : configs) c.samples.reserve(rounds);
  for (int r = 0; r < rounds; ++r)
    for (auto& c : configs) c.samples.push_back(run_pass(c, seats, ws));
}

template <class T>
void write_array(std::ostream& os, const std::vector<T>& v) {
  os << '[';
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  os << ']';
}

template <class T>
void write_matrix(std::ostream& os, const std::vector<std::vector<T>>& m) {
  os << "[\n";
  for (std::size_t k = 0; k < m.size(); ++k) {
    os << "    ";
    write_array(os, m[k]);
    os << (k + 1 < m.size() ? ",\n" : "\n");
  }
  os << "  ]";
}

}  // namespace

/// Whether the file at `path` is one this program wrote (its JSON opens as below), so that it may
/// be replaced; true where nothing is there.
bool replaceable(const std::string& path, std::string& why) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "it is not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::string head(kOpening.size(), '\0');
  if (!in.read(head.data(), static_cast<std::streamsize>(head.size())) || head != kOpening) {
    why = "it was not written by kimsim_export_instances";
    return false;
  }
  return true;
}

int main(int argc, char** argv) {
  const std::string usage = std::string("usage: ") + argv[0] + " OUT.json [ROUNDS=2000]\n";
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::cout << usage;
    return 0;
  }
  if (argc < 2 || argc > 3 || argv[1][0] == '-') {
    std::cerr << usage;
    return 2;
  }
  const std::string out_path = argv[1];
  int rounds = 2000;
  if (argc == 3) {
    const std::string_view r = argv[2];
    const auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), rounds);
    if (ec != std::errc() || end != r.data() + r.size() || rounds < 1) {
      std::cerr << "ROUNDS must be a positive integer, not '" << r << "'\n";
      return 2;
    }
  }
  // Checked before the minutes of timing: the file in the way is replaced only where this program wrote it.
  if (std::string why; !replaceable(out_path, why)) {
    std::cerr << out_path << " exists and is not replaced (" << why << "); choose another name\n";
    return 1;
  }

  const auto inst = bench::make_instances();
  const Rule sl{Method::sainte_lague, std::nullopt, TiePolicy::error, 0};
  const Rule hm{Method::hamilton, std::nullopt, TiePolicy::error, 0};
  std::vector<std::vector<std::int64_t>> seats_sl, seats_hm;
  for (const auto& w : inst) {
    seats_sl.push_back(apportion(sl, w, bench::kHouse));
    seats_hm.push_back(apportion(hm, w, bench::kHouse));
  }

  // The "nonzero" variant: the same instances with the zero weights removed, as the peers
  // receive them in peers.mjs's second variant.
  std::vector<std::vector<std::uint64_t>> compact;
  for (const auto& w : inst) {
    auto& c = compact.emplace_back();
    for (auto v : w)
      if (v != 0) c.push_back(v);
  }

  // Order: {sl, hm} x {full, nonzero} x {workspace, allocating}.
  std::vector<Config> configs;
  const Instances* const sets[] = {&inst, &compact};
  for (const Rule& rule : {sl, hm})
    for (const Instances* set : sets)
      for (bool allocating : {false, true}) configs.push_back(Config{rule, set, allocating, {}});
  time_all(configs, rounds);
  auto timing = [&](std::size_t k) {
    return Timing{median(configs[k].samples), median(configs[k + 1].samples)};
  };
  const Timing t_sl = timing(0), c_sl = timing(2), t_hm = timing(4), c_hm = timing(6);

  std::ostringstream os;
  os.precision(6);
  os << kOpening << ": \"" << kVersion << "\",\n";
  os << "  \"kimsim_commit\": \"" << kGitCommit << "\",\n";
  os << "  \"house\": " << bench::kHouse << ",\n";
  os << "  \"recipients\": " << bench::kRecipients << ",\n";
  os << "  \"rounds\": " << rounds << ",\n";
  auto write_timing = [&](const char* name, const Timing& sl_t, const Timing& hm_t, bool last) {
    os << "    \"" << name << "\": {\n";
    os << "      \"sainte-lague\": {\"workspace\": " << sl_t.workspace_ns
       << ", \"allocating\": " << sl_t.allocating_ns << "},\n";
    os << "      \"hamilton\": {\"workspace\": " << hm_t.workspace_ns
       << ", \"allocating\": " << hm_t.allocating_ns << "}\n";
    os << "    }" << (last ? "\n" : ",\n");
  };
  os << "  \"timing_ns\": {\n";
  write_timing("full", t_sl, t_hm, false);
  write_timing("nonzero", c_sl, c_hm, true);
  os << "  },\n";
  os << "  \"instances\": ";
  write_matrix(os, inst);
  os << ",\n  \"seats\": {\n    \"sainte-lague\": ";
  write_matrix(os, seats_sl);
  os << ",\n    \"hamilton\": ";
  write_matrix(os, seats_hm);
  os << "\n  }\n}\n";
  // Whole or not at all: a temporary file beside the target, renamed over it once written.
  if (std::string why; !replaceable(out_path, why)) {
    std::cerr << out_path << " appeared while timing and is not replaced (" << why << ")\n";
    return 1;
  }
  const std::string tmp = out_path + ".partial." + std::to_string(::getpid());
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << os.str();
    file.close();
    if (!file || ::rename(tmp.c_str(), out_path.c_str()) != 0) {
      const int err = errno;
      std::cerr << "cannot write " << out_path << ": " << std::strerror(err) << "\n";
      ::unlink(tmp.c_str());
      return 1;
    }
  }

  std::printf("kimsim %s: %zu instances, n = %zu, h = %lld, %d rounds\n", kVersion, inst.size(),
              bench::kRecipients, static_cast<long long>(bench::kHouse), rounds);
  std::printf("  sainte-lague  full     %8.0f ns/apportionment (workspace)  %8.0f ns (allocating)\n",
              t_sl.workspace_ns, t_sl.allocating_ns);
  std::printf("  sainte-lague  nonzero  %8.0f ns/apportionment (workspace)  %8.0f ns (allocating)\n",
              c_sl.workspace_ns, c_sl.allocating_ns);
  std::printf("  hamilton      full     %8.0f ns/apportionment (workspace)  %8.0f ns (allocating)\n",
              t_hm.workspace_ns, t_hm.allocating_ns);
  std::printf("  hamilton      nonzero  %8.0f ns/apportionment (workspace)  %8.0f ns (allocating)\n",
              c_hm.workspace_ns, c_hm.allocating_ns);
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}
