#include "io/output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "io/sha256.hpp"

namespace kimsim::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifest = "manifest.json";
// Marker files: ".kimsim-partial" in a folder being written, ".kimsim-previous" in a result moved
// aside by the two-rename swap. Each holds "kimsim partial|previous PID TOKEN", the name's own
// PID and TOKEN, so that the tidy-up of a killed run's leftovers can prove they are kimsim's.
constexpr const char* kPartialMarker = ".kimsim-partial";
constexpr const char* kPreviousMarker = ".kimsim-previous";
// What result folders held before the manifest listed its files.
const std::set<std::string> kLegacyFiles = {"allocation.csv", "summary.json", "simulation.csv"};
constexpr std::size_t kManifestLimit = 1 << 20;

[[noreturn]] void fail(const std::string& what, int err) { throw Error(what + ": " + std::strerror(err)); }

/// Closes a descriptor on every way out of a scope.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

std::string kind_of(mode_t m) {
  if (S_ISREG(m)) return "a regular file";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a folder";
}

/// lstat: false where nothing is there; the reason where it fails otherwise.
bool lstat_or_absent(const fs::path& p, struct stat& st, const std::string& role) {
  if (::lstat(p.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  fail("cannot use " + role + " " + p.string(), errno);
}

/// Flushes a file or folder to the disk, so that a crash after the swap finds whole files. A
/// failed flush fails the write: what was written may not be on the disk.
void sync_fd(int fd, const fs::path& p, bool folder) {
  if (::fsync(fd) == 0) return;
  if (folder && (errno == EINVAL || errno == EROFS)) return;  // a file system that cannot sync folders
  fail("cannot flush " + p.string() + " to the disk", errno);
}

void sync_folder(const fs::path& p) {
  Descriptor d{::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) fail("cannot open the folder " + p.string() + " to flush it", errno);
  sync_fd(d.fd, p, true);
}

/// Creates `p` (it must not exist), writes `content`, syncs and closes it.
void write_new_file(const fs::path& p, const std::string& content) {
  Descriptor d{::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (d.fd < 0) fail("cannot create " + p.string(), errno);
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(d.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write " + p.string(), errno);
    done += static_cast<std::size_t>(n);
  }
  sync_fd(d.fd, p, false);
  if (::close(d.release()) != 0) fail("cannot write " + p.string(), errno);
}

/// A small regular file's contents; nothing where it is missing, not regular or too large.
std::optional<std::string> read_small(const fs::path& p, std::size_t limit) {
  Descriptor d{::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  struct stat st {};
  if (d.fd < 0 || ::fstat(d.fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > limit)
    return std::nullopt;
  std::string s(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::read(d.fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<std::size_t>(n);
  }
  return s;
}

/// 16 hex digits that no other run picks: the token in the names of a run's temporary entries.
std::string random_token() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != sizeof v)
    v = static_cast<std::uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(::time(nullptr));
  char s[17];
  std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
  return s;
}

std::string marker_text(const std::string& tag, const std::string& pid, const std::string& token) {
  return "kimsim " + tag + " " + pid + " " + token + "\n";
}

/// Removes the regular files of a folder kimsim proved it wrote, then the folder; anything else
/// found there (put in by someone meanwhile) stays, and so does the folder.
void remove_written(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.symlink_status(ec).type() == fs::file_type::regular) ::unlink(e.path().c_str());
  ::rmdir(dir.c_str());
}

/// Whether process `pid` has ended: only then are its temporary entries leftovers.
bool ended(const std::string& pid) {
  pid_t p = 0;
  const auto [end, err] = std::from_chars(pid.data(), pid.data() + pid.size(), p);
  if (err != std::errc() || end != pid.data() + pid.size() || p <= 0) return false;
  return ::kill(p, 0) != 0 && errno == ESRCH;
}

/// Splits "PID.TOKEN" (TOKEN: 16 lower-case hex digits) into its parts; false where it is not one.
bool split_suffix(const std::string& rest, std::string& pid, std::string& token) {
  const auto dot = rest.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  pid = rest.substr(0, dot), token = rest.substr(dot + 1);
  return token.size() == 16 && token.find_first_not_of("0123456789abcdef") == std::string::npos &&
         pid.find_first_not_of("0123456789") == std::string::npos;
}

/// Leftovers of killed runs beside `target`: TARGET.partial.PID.TOKEN and TARGET.previous.PID.TOKEN
/// whose process has ended and which carry their marker (a previous one must also still be a
/// result; a partial one loses its marker just before the swap, when it is a complete result). A
/// partial one is removed; a previous one held the last good results when the run died between
/// its two renames: it becomes TARGET again where TARGET is missing, and is removed otherwise.
/// Entries of any other name, or that kimsim cannot prove it wrote, stay.
void tidy_folder_leftovers(const fs::path& target) {
  std::error_code ec;
  const std::string stem = target.filename().string();
  for (const auto& e : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    for (const std::string tag : {"partial", "previous"}) {
      const std::string prefix = stem + "." + tag + ".";
      std::string pid, token;
      if (name.rfind(prefix, 0) != 0 || !split_suffix(name.substr(prefix.size()), pid, token) || !ended(pid)) continue;
      if (e.symlink_status(ec).type() != fs::file_type::directory) continue;
      const char* marker = tag == "partial" ? kPartialMarker : kPreviousMarker;
      const bool marked = read_small(e.path() / marker, 256) == marker_text(tag, pid, token);
      const bool result = not_a_result(e.path()).empty();
      if (tag == "previous" ? !(marked && result) : !(marked || result)) continue;
      struct stat st {};
      if (tag == "previous" && ::lstat(target.c_str(), &st) != 0 && errno == ENOENT) {
        if (::rename(e.path().c_str(), target.c_str()) == 0) ::unlink((target / marker).c_str());
      } else {
        remove_written(e.path());
      }
    }
  }
}

/// What stands at `target`, and whether kimsim may replace it.
enum class Standing { absent, empty_folder, result };

Standing standing_of(const fs::path& target, const std::string& shown) {
  struct stat st {};
  if (!lstat_or_absent(target, st, "--out")) return Standing::absent;
  const std::string nothing = "; nothing was written. Choose another --out, or move it away first";
  if (S_ISLNK(st.st_mode))
    throw Error(shown + " is a symbolic link; kimsim replaces only folders it wrote, not links to them" + nothing);
  if (!S_ISDIR(st.st_mode)) throw Error(shown + " exists and is " + kind_of(st.st_mode) + ", not a kimsim results folder" + nothing);
  std::error_code ec;
  if (fs::is_empty(target, ec) && !ec) return Standing::empty_folder;
  if (const std::string why = not_a_result(target); !why.empty())
    throw Error(shown + " exists and is not a kimsim results folder (" + why + ")" + nothing);
  return Standing::result;
}

}  // namespace

std::string not_a_result(const std::string& dir) {
  const fs::path d(dir);
  const auto text = read_small(d / kManifest, kManifestLimit);
  if (!text) return "it has no manifest.json that kimsim wrote";
  const nlohmann::json m = nlohmann::json::parse(*text, nullptr, false);
  const std::string foreign = "its manifest.json was not written by kimsim";
  if (!m.is_object()) return foreign;
  std::map<std::string, std::string> listed;  // name -> SHA-256 (empty where unknown)
  if (m.contains("format")) {
    if (m["format"] != kResultFormat || !m.contains("format_version") || !m["format_version"].is_number_integer())
      return foreign;
    if (m["format_version"].get<long long>() > kResultFormatVersion)
      return "it was written by a newer kimsim (result format " + m["format_version"].dump() + ")";
    if (!m.contains("files") || !m["files"].is_array()) return foreign;
    for (const auto& f : m["files"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("sha256") ||
          !f["sha256"].is_string() || f["sha256"].get<std::string>().size() != 64)
        return foreign;
      listed[f["name"].get<std::string>()] = f["sha256"].get<std::string>();
    }
  } else {
    // Written before the mark existed: recognised by the fields every kimsim manifest had, and
    // by holding nothing but the files kimsim wrote then.
    const auto is_string = [&](const char* k) { return m.contains(k) && m[k].is_string(); };
    if (!is_string("kimsim_version") || !is_string("scenario_sha256") || !is_string("command_line") ||
        m["scenario_sha256"].get<std::string>().size() != 64 || m["command_line"].get<std::string>().rfind("kimsim ", 0) != 0 ||
        !m.contains("inputs") || !m["inputs"].is_array())
      return foreign;
    for (const auto& f : kLegacyFiles) listed[f] = "";
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(d, ec)) {
    const std::string name = e.path().filename().string();
    if (name == kManifest || name == kPartialMarker || name == kPreviousMarker) continue;
    const auto it = listed.find(name);
    if (it == listed.end()) return "it holds " + name + ", which kimsim did not write there";
    if (e.symlink_status(ec).type() != fs::file_type::regular) return "its " + name + " is not a regular file";
    if (!it->second.empty()) {
      std::string digest;
      try {
        digest = sha256_file(e.path().string());
      } catch (const Error&) {
        return "its " + name + " cannot be read";
      }
      if (digest != it->second) return name + " was changed after kimsim wrote it";
    }
  }
  if (ec) return "it cannot be read: " + ec.message();
  return "";
}

void write_result_folder(const std::string& dir, const std::vector<OutputFile>& files, nlohmann::json manifest) {
  const fs::path given(dir);
  if (dir.empty() || given.filename() == "." || given.filename() == "..")
    throw Error("'" + dir + "' names no folder of its own; give --out a folder name");
  fs::path target = fs::absolute(given).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "results/x/" names results/x
  const std::string shown = target.string();

  const Standing standing = standing_of(target, shown);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw Error("cannot create the folder " + target.parent_path().string() + ": " + ec.message());
  tidy_folder_leftovers(target);

  const std::string pid = std::to_string(::getpid()), token = random_token();
  const fs::path tmp = shown + ".partial." + pid + "." + token;
  const fs::path old = shown + ".previous." + pid + "." + token;
  if (::mkdir(tmp.c_str(), 0755) != 0) fail("cannot create the folder " + tmp.string(), errno);
  bool swapped = false;
  try {
    write_new_file(tmp / kPartialMarker, marker_text("partial", pid, token));
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& f : files) {
      write_new_file(tmp / f.name, f.content);
      listed.push_back({{"name", f.name}, {"bytes", f.content.size()}, {"sha256", sha256(f.content)}});
    }
    manifest["format"] = kResultFormat;
    manifest["format_version"] = kResultFormatVersion;
    manifest["files"] = listed;
    write_new_file(tmp / kManifest, manifest.dump(2) + "\n");
    if (::unlink((tmp / kPartialMarker).c_str()) != 0) fail("cannot remove " + (tmp / kPartialMarker).string(), errno);
    sync_folder(tmp);

    // Swap the complete new folder with the old one in one step, so that at no moment is there no
    // result; where the file system cannot (EINVAL), two renames with the old one marked aside.
    const unsigned mode = standing == Standing::absent ? RENAME_NOREPLACE : RENAME_EXCHANGE;
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), mode) == 0) {
      swapped = true;
      if (standing == Standing::result && !not_a_result(tmp).empty()) {
        // Someone put something else there while this run wrote: give it back, untouched.
        if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
          fail(shown + " was changed by someone else while kimsim wrote; what was there is now at " + tmp.string() +
                   " and the new results at " + shown + ", because the swap back failed",
               errno);
        swapped = false;
        throw Error(shown + " was changed by someone else while kimsim wrote; nothing was replaced");
      }
      if (standing == Standing::empty_folder) ::rmdir(tmp.c_str());
      if (standing == Standing::result) remove_written(tmp);
    } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
      if (standing == Standing::result) {
        write_new_file(target / kPreviousMarker, marker_text("previous", pid, token));
        if (::rename(target.c_str(), old.c_str()) != 0) {
          const int err = errno;
          ::unlink((target / kPreviousMarker).c_str());
          fail("cannot move the previous results " + shown + " aside", err);
        }
      } else if (standing == Standing::empty_folder && ::rmdir(target.c_str()) != 0) {
        fail("cannot replace the empty folder " + shown, errno);
      }
      if (::rename(tmp.c_str(), target.c_str()) != 0) {
        const int err = errno;
        if (standing == Standing::result && ::rename(old.c_str(), target.c_str()) == 0)
          ::unlink((target / kPreviousMarker).c_str());
        fail("cannot move the results into place at " + shown, err);
      }
      swapped = true;
      if (standing == Standing::result) remove_written(old);
    } else if (errno == EEXIST || errno == ENOTEMPTY) {
      throw Error(shown + " appeared while kimsim wrote; nothing was replaced");
    } else {
      fail("cannot move the results into place at " + shown, errno);
    }
    sync_folder(target.parent_path());
  } catch (...) {
    if (!swapped) remove_written(tmp);
    throw;
  }
}

void write_file_atomically(const std::string& path, const std::string& content, const Recognise& ours) {
  const fs::path target = fs::absolute(path).lexically_normal();
  if (!target.has_filename() || target.filename() == "." || target.filename() == "..")
    throw Error("'" + path + "' names no file");
  struct stat st {};
  if (lstat_or_absent(target, st, "the file")) {
    const std::string nothing = "; nothing was written. Choose another name, or move it away first";
    if (!S_ISREG(st.st_mode)) throw Error(target.string() + " exists and is " + kind_of(st.st_mode) + nothing);
    if (const std::string why = ours(target.string()); !why.empty())
      throw Error(target.string() + " exists and was not written by kimsim (" + why + ")" + nothing);
  }
  // Temporary files of killed runs: removed where their process ended and `ours` recognises them.
  std::error_code ec;
  const std::string prefix = target.filename().string() + ".partial.";
  for (const auto& e : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    std::string pid, token;
    if (name.rfind(prefix, 0) == 0 && split_suffix(name.substr(prefix.size()), pid, token) && ended(pid) &&
        e.symlink_status(ec).type() == fs::file_type::regular && ours(e.path().string()).empty())
      ::unlink(e.path().c_str());
  }
  const fs::path tmp = target.string() + ".partial." + std::to_string(::getpid()) + "." + random_token();
  try {
    write_new_file(tmp, content);
    if (::rename(tmp.c_str(), target.c_str()) != 0) fail("cannot move " + tmp.string() + " to " + target.string(), errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  sync_folder(target.parent_path());
}

bool CheckedOutput::drain() {
  const char* p = pbase();
  while (p < pptr() && failure_.empty()) {
    const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failure_ = std::strerror(errno);
    else p += n;
  }
  setp(buf_, buf_ + sizeof buf_);  // after a failure, what follows is dropped: the run fails anyway
  return failure_.empty();
}

CheckedOutput::int_type CheckedOutput::overflow(int_type c) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

int CheckedOutput::sync() { return drain() ? 0 : -1; }

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
