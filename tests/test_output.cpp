// The result writer: what it may replace, what it leaves alone, single files, standard output.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

#include "io/output.hpp"

using namespace kimsim;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/kimsim-output-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

nlohmann::json manifest() { return {{"kimsim_version", "test"}, {"command_line", "kimsim test"}}; }

std::string names(const fs::path& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(dir)) s.insert(e.path().filename().string());
  std::string out;
  for (const auto& n : s) out += n + " ";
  return out;
}

}  // namespace

TEST_CASE("a result folder lists its files; it is replaced only while they are kimsim's and unchanged") {
  TempDir t;
  const fs::path res = t.path / "res";
  io::write_result_folder(res, {{"a.csv", "1\n"}, {"b.json", "{}\n"}}, manifest());
  CHECK(names(t.path) == "res ");
  CHECK(names(res) == "a.csv b.json manifest.json ");
  const auto m = nlohmann::json::parse(read(res / "manifest.json"));
  CHECK(m["format"] == io::kResultFormat);
  CHECK(m["format_version"] == io::kResultFormatVersion);
  CHECK(m["files"].size() == 2);
  CHECK(m["kimsim_version"] == "test");
  CHECK(io::not_a_result(res).empty());

  io::write_result_folder(res, {{"a.csv", "2\n"}}, manifest());  // a rerun replaces it whole
  CHECK(names(res) == "a.csv manifest.json ");
  CHECK(read(res / "a.csv") == "2\n");

  put(res / "a.csv", "edited\n");
  CHECK(io::not_a_result(res) == "a.csv was changed after kimsim wrote it");
  CHECK_THROWS_AS(io::write_result_folder(res, {{"a.csv", "3\n"}}, manifest()), Error);
  CHECK(read(res / "a.csv") == "edited\n");
  CHECK(names(t.path) == "res ");
}

TEST_CASE("a result folder of many files is whole; a failed write names the file and why, and keeps the old") {
  TempDir t;
  const fs::path res = t.path / "res";
  std::vector<io::OutputFile> many;
  for (int k = 0; k < 70; ++k) many.push_back({"f" + std::to_string(k) + ".csv", std::to_string(k) + "\n"});
  io::write_result_folder(res, many, manifest());
  CHECK(io::not_a_result(res).empty());
  CHECK(nlohmann::json::parse(read(res / "manifest.json"))["files"].size() == 70);
  CHECK(read(res / "f69.csv") == "69\n");

  // A file larger than the process may write: write() fails with EFBIG (SIGXFSZ ignored).
  struct rlimit was {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &was) == 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = was;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string what;
  try {
    io::write_result_folder(res, {{"a.csv", "1\n"}, {"big.csv", std::string(10000, 'x')}}, manifest());
  } catch (const Error& e) {
    what = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &was);
  ::signal(SIGXFSZ, old_handler);
  CHECK(what.find("cannot write") != std::string::npos);
  CHECK(what.find("big.csv") != std::string::npos);
  CHECK(what.find(std::strerror(EFBIG)) != std::string::npos);
  CHECK(names(t.path) == "res ");  // the partial folder is gone, the old results stay as they were
  CHECK(io::not_a_result(res).empty());
  CHECK(read(res / "f0.csv") == "0\n");
}

TEST_CASE("what a result folder is not: foreign manifests, newer formats, extra files") {
  TempDir t;
  const fs::path d = t.path / "d";
  fs::create_directory(d);
  CHECK(io::not_a_result(d) == "it has no manifest.json that kimsim wrote");
  put(d / "manifest.json", R"({"name": "app", "icons": []})");
  CHECK(io::not_a_result(d) == "its manifest.json was not written by kimsim");
  put(d / "manifest.json", R"({"format": "another-tool", "format_version": 1, "files": []})");
  CHECK(io::not_a_result(d) == "its manifest.json was not written by kimsim");
  put(d / "manifest.json", R"({"format": "kimsim-result", "format_version": 0, "files": []})");
  CHECK(io::not_a_result(d) == "its manifest.json was not written by kimsim");
  put(d / "manifest.json", R"({"format": "kimsim-result", "format_version": 99, "files": []})");
  CHECK(io::not_a_result(d) == "it was written by a newer kimsim (result format 99)");
  put(d / "manifest.json", R"({"format": "kimsim-result", "format_version": 1, "files": []})");
  CHECK(io::not_a_result(d).empty());
  put(d / "notes.txt", "mine");
  CHECK(io::not_a_result(d) == "it holds notes.txt, which kimsim did not write there");
  fs::remove(d / "notes.txt");
  // A result of an earlier version (no mark, no files with hashes): nothing shows whether its
  // files were edited, so it is not replaced -- also where a manifest like it lists hashes.
  const std::string earlier = R"("kimsim_version": "0.1.0", "scenario_sha256": ")" + std::string(64, '0') +
                              R"(", "inputs": [], "command_line": "kimsim run s.yaml")";
  put(d / "manifest.json", "{" + earlier + "}");
  put(d / "allocation.csv", "old, with the user's notes");
  const std::string why = "it is the result of an earlier kimsim, 0.1.0, whose manifest lists no files with "
                          "SHA-256: kimsim cannot tell whether a file there was changed since";
  CHECK(io::not_a_result(d) == why);
  put(d / "manifest.json", "{" + earlier + R"(, "files": [{"name": "allocation.csv", "sha256": ")" +
                               std::string(64, 'a') + R"("}]})");
  CHECK(io::not_a_result(d) == why);
  // Its version is shown as printable ASCII only, cut: the file is anyone's.
  put(d / "manifest.json", R"({"kimsim_version": "0.1\u001b[2J0123456789012345678901234", "command_line": "kimsim run"})");
  CHECK(io::not_a_result(d) == "it is the result of an earlier kimsim, 0.1[2J01234567890123, whose manifest lists no "
                               "files with SHA-256: kimsim cannot tell whether a file there was changed since");
  put(d / "manifest.json", R"({"kimsim_version": "0.1.0", "command_line": "other run s.yaml"})");
  CHECK(io::not_a_result(d) == "its manifest.json was not written by kimsim");
}

TEST_CASE("single files: written whole, replacing only what the caller recognises") {
  TempDir t;
  const fs::path f = t.path / "state.ckpt";
  const io::Recognise ours = [](const std::string& p) { return read(p).rfind("KIMSIM", 0) == 0 ? "" : "no mark"; };
  io::write_file_atomically(f, "KIMSIM 1", ours);
  io::write_file_atomically(f, "KIMSIM 2", ours);
  CHECK(read(f) == "KIMSIM 2");
  put(f, "user data");
  CHECK_THROWS_WITH_AS(io::write_file_atomically(f, "KIMSIM 3", ours),
                       doctest::Contains("was not written by kimsim (no mark)"), Error);
  CHECK(read(f) == "user data");
  fs::remove(f);
  fs::create_directory(f);
  CHECK_THROWS_WITH_AS(io::write_file_atomically(f, "KIMSIM 3", ours), doctest::Contains("exists and is a directory"), Error);
  fs::remove(f);
  // Leftovers of a killed run (its process gone): removed when recognised, kept otherwise.
  const std::string killed = io::partial_file_name("state.ckpt", 2147483646, "0123456789abcdef"),
                    users = io::partial_file_name("state.ckpt", 2147483646, "fedcba9876543210"),
                    elsewhere = "state.ckpt.partial.2147483646.0123456789abcdef.00000000";  // another machine
  put(t.path / killed, "KIMSIM half");
  put(t.path / users, "user data");
  put(t.path / elsewhere, "KIMSIM half");
  io::write_file_atomically(f, "KIMSIM 4", ours);
  CHECK(names(t.path) == "state.ckpt " + elsewhere + " " + users + " ");
}

TEST_CASE("standard output: a failed write is remembered with its reason") {
  const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  {
    io::CheckedOutput buf(fd);
    std::ostream out(&buf);
    out << std::string(100000, 'x');
    CHECK(buf.failure() == "No space left on device");
  }
  ::close(fd);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  io::CheckedOutput ok(null);
  std::ostream(&ok) << std::string(100000, 'x');
  CHECK(ok.failure().empty());
  ::close(null);
}
