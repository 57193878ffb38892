#include "io/output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>

namespace kimsim::io {

namespace fs = std::filesystem;

namespace {

/// Flushes a file or folder to the disk, so that a crash after the swap finds whole files.
void sync(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// Folders NAME.partial.PID and NAME.previous.PID left by runs that were killed (their process is
/// gone, so nothing will finish them). A partial one is removed. A previous one holds the last
/// good results if the run died between its two renames: it becomes NAME again where NAME is
/// missing, and is removed otherwise.
void tidy_leftovers(const fs::path& target) {
  std::error_code ec;
  const std::string stem = target.filename().string();
  for (const auto& e : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    for (const std::string tag : {".partial.", ".previous."}) {
      if (name.rfind(stem + tag, 0) != 0) continue;
      const std::string digits = name.substr(stem.size() + tag.size());
      pid_t pid = 0;
      const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
      if (err != std::errc() || end != digits.data() + digits.size() || pid <= 0) continue;
      if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running (or not ours to judge)
      if (tag == ".previous." && !fs::exists(target))
        fs::rename(e.path(), target, ec);
      else
        fs::remove_all(e.path(), ec);
    }
  }
}

}  // namespace

void write_atomically(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  fs::path target = fs::absolute(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "results/x/" names results/x
  // The folder is replaced as a whole: never one that is not a kimsim result (results/ itself,
  // a home directory, ...).
  if (fs::is_directory(target) && !fs::is_empty(target) && !fs::exists(target / "manifest.json"))
    throw Error(target.string() + " exists and is not a kimsim results folder (it has no manifest.json); "
                "choose another --out, or remove it first");
  const std::string suffix = "." + std::to_string(::getpid());
  const fs::path tmp = target.string() + ".partial" + suffix;
  const fs::path old = target.string() + ".previous" + suffix;
  std::error_code ec;
  try {
    fs::create_directories(target.parent_path());
    tidy_leftovers(target);
    fs::remove_all(tmp);
    fs::create_directory(tmp);
    for (const auto& [name, content] : files) {
      std::ofstream out(tmp / name, std::ios::binary);
      out << content;
      out.flush();
      if (!out) throw Error("cannot write " + (tmp / name).string());
      out.close();
      sync(tmp / name);
    }
    sync(tmp);
    // Swap the complete new folder with the old one in one step (Linux renameat2), so that at
    // no moment is there no result; where the file system cannot, two renames.
    if (fs::exists(target) &&
        ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      fs::remove_all(tmp, ec);  // now the old results
    } else {
      if (fs::exists(target)) fs::rename(target, old);
      fs::rename(tmp, target);
      fs::remove_all(old, ec);
    }
    sync(target.parent_path());
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    if (!fs::exists(target) && fs::exists(old)) fs::rename(old, target, ec);  // put the old one back
    throw Error("cannot write the results to " + target.string() + ": " + e.code().message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

std::string format_euros(Cents c) {
  const bool negative = c < 0;
  const unsigned long long v = negative ? 0ULL - static_cast<unsigned long long>(c) : static_cast<unsigned long long>(c);
  std::string cents = std::to_string(v % 100);
  return (negative ? "-" : "") + std::to_string(v / 100) + "." + (cents.size() < 2 ? "0" : "") + cents;
}

std::string format_positions(Halves h) {
  return std::to_string(h / 2) + (h % 2 ? ".5" : ".0");
}

}  // namespace kimsim::io
