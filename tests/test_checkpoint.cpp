// Runs in chunks and their checkpoints: the chunk plan, the set of finished chunks, the file
// format (every truncation and every damaged byte is refused with its reason, never misread),
// the refusal of a checkpoint of another run, and that a simulation taken in chunks, in any
// order and split at any take(), merges to the bits of one run.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "io/checkpoint.hpp"
#include "io/output.hpp"
#include "io/sha256.hpp"
#include "io/scenario.hpp"
#include "kimsim/error.hpp"
#include "kimsim/simulation.hpp"
#include "sim/chunks.hpp"

using namespace kimsim;

TEST_CASE("chunk plan: sizes from the units and their cost, the last chunk shorter") {
  CHECK(ChunkPlan::for_units(100, 20e-6).size == 16);
  CHECK(ChunkPlan::for_units(100'000, 20e-6).size == 391);
  CHECK(ChunkPlan::for_units(1'000'000'000, 20e-6).size == 1024);
  CHECK(ChunkPlan::for_units(1'000'000, 0.5).size == 4);  // 2 s of CPU at most
  CHECK(ChunkPlan::for_units(1'000'000, 30.0).size == 1);
  const ChunkPlan p{100, 16};
  CHECK(p.count() == 7);
  CHECK(p.first(6) == 96);
  CHECK(p.length(6) == 4);
  CHECK(p.length(5) == 16);
  CHECK(ChunkPlan{0, 16}.count() == 0);
}

TEST_CASE("chunk set: ranges joined, the missing chunks in order") {
  ChunkSet s;
  for (std::uint64_t k : {5, 1, 2, 9, 0, 3}) s.add(k);
  CHECK(s.ranges() == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, 4}, {5, 6}, {9, 10}});
  CHECK(s.size() == 6);
  CHECK(s.contains(3));
  CHECK_FALSE(s.contains(4));
  CHECK(s.missing(12) == std::vector<std::uint64_t>{4, 6, 7, 8, 10, 11});
  s.add_range(4, 9);
  CHECK(s.ranges() == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, 10}});
  CHECK(s.missing(10).empty());
  // Any order of adding gives the same set.
  std::vector<std::uint64_t> order(200);
  for (std::uint64_t k = 0; k < order.size(); ++k) order[k] = k * 7 % 200;
  std::mt19937 rng(5);
  ChunkSet a, b;
  for (auto k : order) a.add(k);
  std::shuffle(order.begin(), order.end(), rng);
  for (auto k : order) b.add(k);
  CHECK(a == b);
  CHECK(a.ranges().size() == 1);
}

namespace {
io::Checkpoint sample() {
  io::Checkpoint c;
  c.command = "simulate";
  c.version = "1.2.3";
  c.commit = "abc";
  c.inputs = {{"s.yaml", std::string(64, 'a')}, {"data.csv", std::string(64, 'b')}};
  c.seed = 42;
  c.plan = {1000, 16};
  c.done.add_range(0, 20);
  c.done.add(30);
  c.payload = std::string("\0\x01\x02payload\n\xff", 12);
  return c;
}
}  // namespace

TEST_CASE("checkpoint file: round trip; every truncation and every damaged byte refused with a reason") {
  const io::Checkpoint c = sample();
  const std::string bytes = io::encode_checkpoint(c);
  CHECK(bytes.rfind(io::kCheckpointMark, 0) == 0);
  const io::Checkpoint d = io::decode_checkpoint(bytes);
  CHECK(d.command == c.command);
  CHECK(d.inputs == c.inputs);
  CHECK(d.seed == 42);
  CHECK(d.plan.units == 1000);
  CHECK(d.plan.size == 16);
  CHECK(d.done == c.done);
  CHECK(d.payload == c.payload);
  CHECK(io::checkpoint_mismatch(d, c).empty());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS_WITH_AS(io::decode_checkpoint(bytes.substr(0, n)), doctest::Contains("truncated"), Error);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    std::string why;
    try {
      io::decode_checkpoint(bad);
    } catch (const Error& e) {
      why = e.what();
    }
    INFO("byte ", at);
    CHECK(!why.empty());
  }
  CHECK_THROWS_WITH_AS(io::decode_checkpoint(bytes + "x"), doctest::Contains("damaged (1 bytes after its end)"), Error);
  CHECK_THROWS_WITH_AS(io::decode_checkpoint("kimsim was here\n"), doctest::Contains("not a kimsim checkpoint"), Error);
}

TEST_CASE("checkpoint of another run: the first difference named") {
  const io::Checkpoint c = sample();
  io::Checkpoint w = c;
  w.command = "sweep";
  CHECK(io::checkpoint_mismatch(c, w) == "it was written by kimsim simulate, not by kimsim sweep");
  w = c, w.commit = "def";
  CHECK(io::checkpoint_mismatch(c, w).rfind("it was written by kimsim 1.2.3 (commit abc), this is kimsim 1.2.3 (commit def)", 0) == 0);
  w = c, w.inputs[1].second = std::string(64, 'c');
  CHECK(io::checkpoint_mismatch(c, w) ==
        "it was written for other inputs: data.csv has SHA-256 cccccccccccc… now, bbbbbbbbbbbb… in the checkpoint (as data.csv)");
  w = c, w.inputs.pop_back();
  CHECK(io::checkpoint_mismatch(c, w) == "it was written for other inputs: the checkpointed run also read data.csv");
  w = c, w.seed = 7;
  CHECK(io::checkpoint_mismatch(c, w) == "it was written with seed 42, not 7");
  w = c, w.plan.units = 2000;
  CHECK(io::checkpoint_mismatch(c, w) == "it was written for 1000 replications, not 2000");
  w = c, w.inputs[0].first = "elsewhere/s.yaml";  // the same bytes elsewhere: accepted
  CHECK(io::checkpoint_mismatch(c, w).empty());
}

TEST_CASE("checkpoint of another run with the same identity: told apart by its writer, neither replaced nor removed") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("kimsim-ck-" + io::run_token());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "run.ck").string();
  io::Checkpoint mine = sample(), other = sample();
  mine.writer = io::run_token(), other.writer = io::run_token();
  REQUIRE(mine.writer != other.writer);
  CHECK(io::decode_checkpoint(io::encode_checkpoint(mine)).writer == mine.writer);
  // A token names this machine, this process and a random part; this process is not "another run".
  CHECK(std::count(mine.writer.begin(), mine.writer.end(), '.') == 2);
  CHECK(mine.writer.find("." + std::to_string(::getpid()) + ".") != std::string::npos);
  CHECK(!io::run_token_running(mine.writer));
  CHECK(!io::run_token_running("00000000." + std::to_string(::getppid()) + ".0123456789abcdef"));  // another machine
  CHECK(!io::run_token_running(""));
  // Only digits name a process: "self" would be /proc's name of the asking process.
  const std::string here = mine.writer.substr(0, 8);
  CHECK(!io::run_token_running(here + ".self.0123456789abcdef"));
  CHECK(!io::run_token_running(here + ".thread-self.0123456789abcdef"));
  CHECK(!io::run_token_running(here + ".01.0123456789abcdef"));
  // A checkpoint of a kimsim before the writer field: read with none, refused for its commit.
  {
    std::string bytes = io::encode_checkpoint(other);
    const std::string field = ",\"writer\":\"" + other.writer + "\"";  // the last key, in order
    REQUIRE(bytes.find(field) != std::string::npos);
    bytes.erase(bytes.find(field), field.size());
    bytes.erase(bytes.rfind("sha256 "));
    bytes += "sha256 " + io::sha256(bytes) + "\n";
    CHECK(io::decode_checkpoint(bytes).writer.empty());
  }
  CHECK(io::checkpoint_mismatch(mine, other).empty());  // a resumed run is another process: same identity
  // Nothing there: anyone's to write.
  CHECK(io::another_runs_checkpoint(path, mine, "").empty());
  io::write_checkpoint(path, other);
  // Another run's file: not this run's, before it wrote (owned "") and after (owned its token).
  CHECK(io::another_runs_checkpoint(path, mine, "").find("another run of the same scenario and seed") == 0);
  CHECK(!io::another_runs_checkpoint(path, mine, mine.writer).empty());
  io::remove_checkpoint(path, mine, mine.writer);
  CHECK(std::filesystem::exists(path));
  // The file a run resumed from is its own to replace and remove.
  CHECK(io::another_runs_checkpoint(path, mine, other.writer).empty());
  io::remove_checkpoint(path, mine, other.writer);
  CHECK(!std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a simulation in chunks, any order, any take(): the bits of one run") {
  const io::LoadedScenario ls = io::load_scenario(std::string(KIMSIM_SOURCE_DIR) + "/scenarios/kim-nrw-2021.yaml");
  SimulationSpec spec = *ls.simulation;
  spec.replications = 150;
  spec.seed = 9;
  const std::string whole = pack(simulate(ls.scenario, ls.regions, spec, 2));
  const ChunkPlan plan{150, 16};
  std::vector<std::uint64_t> order(plan.count());
  for (std::uint64_t k = 0; k < order.size(); ++k) order[k] = order.size() - 1 - k;
  for (int threads : {1, 2}) {
    SimulationRun run(ls.scenario, ls.regions, spec, threads);
    SimulationResult total = run.empty();
    for (std::size_t k = 0; k < order.size(); ++k) {
      run.run(plan.first(order[k]), plan.length(order[k]));
      if (k % 3 == 1) merge(total, unpack(pack(run.take())));  // a meeting now and then
    }
    merge(total, run.take());
    CHECK(total.replications == 150);
    CHECK(pack(total) == whole);
  }
}

TEST_CASE("a run token names a process still running on this machine: a kimsim, not ended, not a zombie") {
  const std::string here = io::run_token().substr(0, 8);
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // named as kimsim is, then waits to be killed
    ::prctl(PR_SET_NAME, "kimsim");
    char c = 1;
    (void)!::write(ready[1], &c, 1);
    for (;;) ::pause();
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]), ::close(ready[1]);
  const std::string token = here + "." + std::to_string(child) + ".0123456789abcdef";
  CHECK(io::run_token_running(token));
  CHECK(!io::run_token_running("00000000." + std::to_string(child) + ".0123456789abcdef"));  // another machine
  ::kill(child, SIGKILL);
  // Ended but not reaped (a zombie, as an MPI launcher's ranks after it returns): ended.
  for (int k = 0; k < 500 && io::run_token_running(token); ++k) ::usleep(10'000);
  CHECK(!io::run_token_running(token));
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(!io::run_token_running(token));  // reaped: no such process
  // A process of another name (this test's own parent, say) is no kimsim run.
  CHECK(!io::run_token_running(here + "." + std::to_string(::getppid()) + ".0123456789abcdef"));
}
