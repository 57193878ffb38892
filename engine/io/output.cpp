#include "io/output.hpp"

#include <dirent.h>
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
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "io/input.hpp"
#include "io/sha256.hpp"

namespace kimsim::io {

namespace fs = std::filesystem;

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

constexpr const char* kManifest = "manifest.json";
// Marker files: ".kimsim-partial" in a folder being written, ".kimsim-previous" in a result moved
// aside by the two-rename swap. A marker names its folder's PID and TOKEN, the machine and PID
// namespace of the run (a PID says whether a run ended only where it was taken), and the files
// the run wrote there: the tidy-up of a killed run removes exactly those, nothing else.
constexpr const char* kPartialMarker = ".kimsim-partial";
constexpr const char* kPreviousMarker = ".kimsim-previous";
constexpr std::size_t kManifestLimit = 1 << 20, kMarkerLimit = 1 << 16;

[[noreturn]] void fail(const std::string& what, int err) { throw Error(what + ": " + std::strerror(err)); }

/// Closes a descriptor on every way out of a scope.
struct Descriptor {
  int fd = -1;
  Descriptor() = default;
  explicit Descriptor(int f) : fd(f) {}
  Descriptor(Descriptor&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Descriptor& operator=(Descriptor&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

/// lstat: false where nothing is there; the reason where it fails otherwise.
bool lstat_or_absent(const fs::path& p, struct stat& st, const std::string& role) {
  if (::lstat(p.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  fail("cannot use " + role + " " + p.string(), errno);
}

/// A folder opened once, without following a link: what is checked and removed through it is the
/// folder that was checked, whatever is renamed meanwhile.
Descriptor open_folder(const fs::path& p) {
  return Descriptor(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/// The names in an open folder, sorted; nothing where it cannot be read.
std::optional<std::vector<std::string>> entries(int dirfd) {
  const int fd = ::dup(dirfd);
  if (fd < 0) return std::nullopt;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return std::nullopt;
  }
  ::rewinddir(d);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
    errno = 0;
  }
  const int error = errno;
  ::closedir(d);
  errno = error;  // the reason, for the caller
  if (error != 0) return std::nullopt;
  std::sort(names.begin(), names.end());
  return names;
}

/// A small regular file's contents in an open folder; nothing where it is missing, not a
/// regular file (a link is not followed) or larger than `limit`, and then why into `why`.
std::optional<std::string> read_small_at(int dirfd, const std::string& name, std::size_t limit,
                                         std::string* why = nullptr) {
  const auto no = [&](std::string reason) -> std::optional<std::string> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  Descriptor d(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (d.fd < 0 || ::fstat(d.fd, &st) != 0) return no(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return no("not a regular file");
  if (static_cast<std::size_t>(st.st_size) > limit) return no(fmt::format("larger than {} bytes", limit));
  std::string s(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::read(d.fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return no(std::strerror(errno));
    if (n == 0) return no("it became shorter while being read");
    done += static_cast<std::size_t>(n);
  }
  return s;
}

/// Flushes a file or folder to the disk, so that a crash after the swap finds whole files. A
/// failed flush fails the write: what was written may not be on the disk.
void sync_fd(int fd, const fs::path& p, bool folder) {
  if (::fsync(fd) == 0) return;
  if (folder && (errno == EINVAL || errno == EROFS)) return;  // a file system that cannot sync folders
  fail("cannot flush " + p.string() + " to the disk", errno);
}

/// Creates `name` in the open folder (it must not exist), writes `content`, syncs and closes it.
void write_new_file(int dirfd, const fs::path& dir, const std::string& name, const std::string& content) {
  const fs::path p = dir / name;
  Descriptor d(::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
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

/// 16 hex digits that no other run picks: the token in the names of a run's temporary entries.
std::string random_token() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != sizeof v)
    v = static_cast<std::uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(::time(nullptr));
  return fmt::format("{:016x}", v);
}

/// This machine's boot and PID namespace: where a PID names this run and no other.
std::string host() {
  std::string boot = "unknown";
  if (const Descriptor d(::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)); d.fd >= 0) {
    char buf[64];
    const ssize_t n = ::read(d.fd, buf, sizeof buf);
    if (n > 0) boot.assign(buf, static_cast<std::size_t>(n));
    while (!boot.empty() && (boot.back() == '\n' || boot.back() == ' ')) boot.pop_back();
  }
  struct stat ns {};
  const std::string pidns = ::stat("/proc/self/ns/pid", &ns) == 0 ? std::to_string(ns.st_ino) : "unknown";
  return boot + " " + pidns;
}

/// host() as the 8 hex digits that names of temporary files and run tokens carry.
std::string host_tag() { return sha256(host()).substr(0, 8); }

/// A file name kimsim may have written into a result folder: no path, no special name.
bool plain_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos && n.find('\0') == std::string::npos;
}

struct Marker {
  std::string tag, pid, token, host;
  std::vector<std::string> files;

  std::string text() const {
    std::string t = "kimsim " + tag + " " + pid + " " + token + "\nhost " + host + "\n";
    for (const auto& f : files) t += "file " + f + "\n";
    return t;
  }
  /// The marker a text holds; nothing where it is not one.
  static std::optional<Marker> parse(const std::string& text) {
    Marker m;
    std::istringstream in(text);
    std::string line, word;
    if (!std::getline(in, line)) return std::nullopt;
    std::istringstream first(line);
    if (!(first >> word >> m.tag >> m.pid >> m.token) || word != "kimsim" || (m.tag != "partial" && m.tag != "previous"))
      return std::nullopt;
    if (!std::getline(in, line) || line.rfind("host ", 0) != 0) return std::nullopt;
    m.host = line.substr(5);
    while (std::getline(in, line)) {
      if (line.rfind("file ", 0) != 0 || !plain_name(line.substr(5))) return std::nullopt;
      m.files.push_back(line.substr(5));
    }
    return m;
  }
};

/// Removes `names` from the open folder (a link is removed, never followed), then the folder
/// itself where it is empty: never anything kimsim did not prove it wrote.
void remove_written(const fs::path& dir, int dirfd, const std::vector<std::string>& names) {
  for (const auto& n : names) ::unlinkat(dirfd, n.c_str(), 0);
  ::rmdir(dir.c_str());  // fails, harmlessly, where anything else is (still) there
}

/// Why the open folder is not a result kimsim wrote ("" when it is one); its files into `names`.
std::string check_result(int dirfd, std::vector<std::string>* names) {
  std::string why;
  const auto text = read_small_at(dirfd, kManifest, kManifestLimit, &why);
  if (!text && why == std::strerror(ENOENT)) return "it has no manifest.json that kimsim wrote";
  if (!text) return "its manifest.json cannot be read (" + why + ")";
  const nlohmann::json m = nlohmann::json::parse(*text, nullptr, false);
  const std::string foreign = "its manifest.json was not written by kimsim";
  if (!m.is_object()) return foreign;
  std::map<std::string, std::string> listed;  // name -> SHA-256 (empty where unknown)
  if (m.contains("format")) {
    if (m["format"] != kResultFormat || !m.contains("format_version") || !m["format_version"].is_number_integer() ||
        m["format_version"].get<long long>() < 1)
      return foreign;
    if (m["format_version"].get<long long>() > kResultFormatVersion)
      return "it was written by a newer kimsim (result format " + m["format_version"].dump() + ")";
    if (!m.contains("files") || !m["files"].is_array()) return foreign;
    for (const auto& f : m["files"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("sha256") ||
          !f["sha256"].is_string() || f["sha256"].get<std::string>().size() != 64)
        return foreign;
      const std::string n = f["name"].get<std::string>();
      if (!plain_name(n) || n == kManifest || n == kPartialMarker || n == kPreviousMarker) return foreign;
      listed[n] = f["sha256"].get<std::string>();
    }
  } else {
    // Written before the mark existed: its manifest names no file and no hash, so nothing shows
    // whether a file there was edited since (a user's notes in allocation.csv were removed with
    // the rest when such a folder counted as kimsim's). Recognised, to say so, and left alone.
    const auto is_string = [&](const char* k) { return m.contains(k) && m[k].is_string(); };
    if (is_string("kimsim_version") && is_string("command_line") && m["command_line"].get<std::string>().rfind("kimsim ", 0) == 0) {
      // The version as the folder's file gives it: only its first 20 printable ASCII characters.
      std::string version;
      for (const char c : m["kimsim_version"].get<std::string>())
        if (c >= 0x20 && c < 0x7f && version.size() < 20) version += c;
      return "it is the result of an earlier kimsim, " + version +
             ", whose manifest lists no files with SHA-256: kimsim cannot tell whether a file there was changed since";
    }
    return foreign;
  }
  const auto found = entries(dirfd);
  if (!found) return fmt::format("it cannot be read ({})", std::strerror(errno));
  std::vector<std::string> mine;
  for (const std::string& name : *found) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fmt::format("its {} cannot be read ({})", name, std::strerror(errno));
    if (name == kManifest) {
      mine.push_back(name);
      continue;
    }
    if (name == kPartialMarker || name == kPreviousMarker) {
      // A marker left by a run killed just after its swap; anything else of that name is not kimsim's.
      const auto t = S_ISREG(st.st_mode) ? read_small_at(dirfd, name, kMarkerLimit) : std::nullopt;
      if (!t || !Marker::parse(*t)) return "it holds " + name + ", which kimsim did not write there";
      mine.push_back(name);
      continue;
    }
    const auto it = listed.find(name);
    if (it == listed.end()) return "it holds " + name + ", which kimsim did not write there";
    if (!S_ISREG(st.st_mode)) return "its " + name + " is not a regular file";
    if (!it->second.empty()) {
      const auto content = read_small_at(dirfd, name, std::numeric_limits<std::size_t>::max(), &why);
      if (!content) return "its " + name + " cannot be read (" + why + ")";
      if (sha256(*content) != it->second) return name + " was changed after kimsim wrote it";
    }
    mine.push_back(name);
  }
  if (names) *names = std::move(mine);
  return "";
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

/// Leftovers of killed runs beside `target`: TARGET.partial.PID.TOKEN and TARGET.previous.PID.TOKEN,
/// real folders whose marker names that PID and TOKEN and this machine, where the process has
/// ended. A partial one loses the files its marker lists; a previous one held the last good
/// results when the run died between its two renames: it becomes TARGET again where TARGET is
/// missing and it is still a whole result, else it loses the files its marker lists. A folder so
/// named that is empty, or holds only an empty marker (a run killed as it began), goes too.
/// Anything else stays.
void tidy_folder_leftovers(const fs::path& target) {
  std::error_code ec;
  const std::string stem = target.filename().string(), here = host();
  std::vector<fs::path> candidates;
  for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end; it.increment(ec))
    candidates.push_back(it->path());
  for (const fs::path& p : candidates) {
    const std::string name = p.filename().string();
    for (const std::string tag : {"partial", "previous"}) {
      const std::string prefix = stem + "." + tag + ".";
      std::string pid, token;
      if (name.rfind(prefix, 0) != 0 || !split_suffix(name.substr(prefix.size()), pid, token)) continue;
      const Descriptor dir = open_folder(p);  // a link or file of this name is not opened
      if (dir.fd < 0) continue;
      const auto names = entries(dir.fd);
      if (!names) continue;
      const std::string marker_name = tag == "partial" ? kPartialMarker : kPreviousMarker;
      // (Only once its run has ended: a running one creates the folder before the marker.)
      if ((names->empty() || (*names == std::vector<std::string>{marker_name} &&
                              read_small_at(dir.fd, marker_name, kMarkerLimit) == std::string())) &&
          ended(pid)) {
        remove_written(p, dir.fd, *names);
        continue;
      }
      const auto text = read_small_at(dir.fd, marker_name, kMarkerLimit);
      const auto marker = text ? Marker::parse(*text) : std::nullopt;
      if (!marker || marker->tag != tag || marker->pid != pid || marker->token != token || marker->host != here ||
          !ended(pid))
        continue;
      std::vector<std::string> remove = marker->files;
      remove.push_back(marker_name);
      struct stat st {};
      if (tag == "previous" && ::lstat(target.c_str(), &st) != 0 && errno == ENOENT && check_result(dir.fd, nullptr).empty()) {
        if (::rename(p.c_str(), target.c_str()) == 0) ::unlinkat(dir.fd, marker_name.c_str(), 0);
      } else {
        remove_written(p, dir.fd, remove);
      }
    }
  }
}

/// What stands at `target`, and whether kimsim may replace it.
enum class Standing { absent, empty_folder, result };

Standing standing_of(const fs::path& target, const std::string& shown, mode_t& mode) {
  struct stat st {};
  if (!lstat_or_absent(target, st, "--out")) return Standing::absent;
  const std::string nothing = "; nothing was written. Choose another --out, or move it away first";
  if (S_ISLNK(st.st_mode))
    throw Error(shown + " is a symbolic link; kimsim replaces only folders it wrote, not links to them" + nothing);
  if (!S_ISDIR(st.st_mode)) throw Error(shown + " exists and is " + kind_of(st.st_mode) + ", not a kimsim results folder" + nothing);
  mode = st.st_mode & 07777;
  const Descriptor dir = open_folder(target);
  if (dir.fd < 0) fail("cannot open the folder " + shown, errno);
  const auto names = entries(dir.fd);
  if (!names) throw Error("cannot read the folder " + shown);
  if (names->empty()) return Standing::empty_folder;
  if (const std::string why = check_result(dir.fd, nullptr); !why.empty())
    throw Error(shown + " exists and is not a kimsim results folder (" + why + ")" + nothing);
  return Standing::result;
}

/// The folder `dir` names, absolute, its parent's links resolved (as the operating system will
/// resolve them); refused where it names no folder of its own or the working folder or one above it.
fs::path target_of(const std::string& dir) {
  std::string given = dir;
  while (given.size() > 1 && given.back() == '/') given.pop_back();  // "results/x/" names results/x
  const fs::path g(given);
  if (given.empty() || given == "/" || g.filename() == "." || g.filename() == "..")
    throw Error("'" + dir + "' names no folder of its own; give --out a folder name");
  std::error_code ec;
  const fs::path absolute = fs::absolute(g, ec);
  if (ec) throw Error("cannot use --out " + dir + ": " + ec.message());
  const fs::path parent = fs::weakly_canonical(absolute.parent_path(), ec);
  if (ec) throw Error("cannot use --out " + dir + ": " + ec.message());
  const fs::path target = parent / g.filename();
  const fs::path cwd = fs::current_path(ec);
  if (!ec) {
    const std::string t = target.string() + "/", c = fs::weakly_canonical(cwd, ec).string() + "/";
    if (!ec && c.rfind(t, 0) == 0)
      throw Error(target.string() + " is the working folder or holds it; give --out another folder");
  }
  return target;
}

}  // namespace

std::string not_a_result(const std::string& dir) {
  const Descriptor d = open_folder(dir);
  if (d.fd < 0) return std::string("it cannot be opened as a folder: ") + std::strerror(errno);
  return check_result(d.fd, nullptr);
}

void check_result_target(const std::string& dir) {
  const fs::path target = target_of(dir);
  mode_t mode = 0755;
  (void)standing_of(target, target.string(), mode);
}

void write_result_folder(const std::string& dir, const std::vector<OutputFile>& files, nlohmann::json manifest) {
  const fs::path target = target_of(dir);
  const std::string shown = target.string();
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw Error("cannot create the folder " + target.parent_path().string() + ": " + ec.message());
  tidy_folder_leftovers(target);  // first: it may bring back the results a killed run moved aside
  mode_t mode = 0755;
  const Standing standing = standing_of(target, shown, mode);

  const std::string pid = std::to_string(::getpid()), token = random_token();
  const fs::path tmp = shown + ".partial." + pid + "." + token;
  const fs::path old = shown + ".previous." + pid + "." + token;
  Marker marker{"partial", pid, token, host(), {}};
  for (const auto& f : files) marker.files.push_back(f.name);
  marker.files.push_back(kManifest);
  if (::mkdir(tmp.c_str(), 0700) != 0) fail("cannot create the folder " + tmp.string(), errno);
  const Descriptor tmpfd = open_folder(tmp);
  if (tmpfd.fd < 0) fail("cannot open the folder " + tmp.string(), errno);
  bool swapped = false;
  try {
    write_new_file(tmpfd.fd, tmp, kPartialMarker, marker.text());
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& f : files) {
      write_new_file(tmpfd.fd, tmp, f.name, f.content);
      listed.push_back({{"name", f.name}, {"bytes", f.content.size()}, {"sha256", sha256(f.content)}});
    }
    manifest["format"] = kResultFormat;
    manifest["format_version"] = kResultFormatVersion;
    manifest["files"] = listed;
    write_new_file(tmpfd.fd, tmp, kManifest, dump_json(manifest, 2) + "\n");
    // The folder that is replaced keeps its permissions (a result kept private stays private).
    if (::fchmod(tmpfd.fd, mode) != 0) fail("cannot set the permissions of " + tmp.string(), errno);
    sync_fd(tmpfd.fd, tmp, true);

    // Swap the complete new folder with the old one in one step, so that at no moment is there no
    // result; where the file system cannot (EINVAL), two renames with the old one marked aside.
    // What is swapped out is checked again, through one descriptor, before anything is removed.
    const unsigned how = standing == Standing::absent ? RENAME_NOREPLACE : RENAME_EXCHANGE;
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), how) == 0) {
      swapped = true;
      if (standing != Standing::absent) {
        const Descriptor was = open_folder(tmp);
        std::vector<std::string> names;
        const auto left = was.fd < 0 ? std::nullopt : entries(was.fd);
        const bool same = standing == Standing::empty_folder ? left && left->empty()
                                                             : was.fd >= 0 && check_result(was.fd, &names).empty();
        if (!same) {
          // Someone put something else there while this run wrote: give it back, untouched.
          if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
            fail(shown + " was changed by someone else while kimsim wrote; what was there is now at " + tmp.string() +
                     " and the new results at " + shown + ", because the swap back failed",
                 errno);
          swapped = false;
          throw Error(shown + " was changed by someone else while kimsim wrote; nothing was replaced");
        }
        remove_written(tmp, was.fd, names);
      }
    } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
      if (standing == Standing::result) {
        const Descriptor was = open_folder(target);
        std::vector<std::string> names;
        if (was.fd < 0 || !check_result(was.fd, &names).empty())
          throw Error(shown + " was changed by someone else while kimsim wrote; nothing was replaced");
        const Marker aside{"previous", pid, token, marker.host, names};
        ::unlinkat(was.fd, kPreviousMarker, 0);  // one a killed run left (check_result proved it a marker)
        write_new_file(was.fd, target, kPreviousMarker, aside.text());
        if (::rename(target.c_str(), old.c_str()) != 0) {
          const int err = errno;
          ::unlinkat(was.fd, kPreviousMarker, 0);
          fail("cannot move the previous results " + shown + " aside", err);
        }
        if (::rename(tmp.c_str(), target.c_str()) != 0) {
          const int err = errno;
          if (::rename(old.c_str(), target.c_str()) == 0) ::unlinkat(was.fd, kPreviousMarker, 0);
          fail("cannot move the results into place at " + shown, err);
        }
        swapped = true;
        std::vector<std::string> now;
        if (!check_result(was.fd, &now).empty())
          throw Error("the results are in place at " + shown + ", but the previous ones, moved to " + old.string() +
                      ", were changed by someone else meanwhile; they were left there");
        remove_written(old, was.fd, now);
      } else {
        if (standing == Standing::empty_folder && ::rmdir(target.c_str()) != 0)
          fail("cannot replace the empty folder " + shown, errno);
        if (::rename(tmp.c_str(), target.c_str()) != 0) fail("cannot move the results into place at " + shown, errno);
        swapped = true;
      }
    } else if (errno == EEXIST || errno == ENOTEMPTY) {
      throw Error(shown + " appeared while kimsim wrote; nothing was replaced");
    } else {
      fail("cannot move the results into place at " + shown, errno);
    }
    ::unlinkat(tmpfd.fd, kPartialMarker, 0);  // the new results, now at `target`
  } catch (...) {
    if (!swapped) remove_written(tmp, tmpfd.fd, [&] {
        std::vector<std::string> n = marker.files;
        n.push_back(kPartialMarker);
        return n;
      }());
    throw;
  }
  const Descriptor parent = open_folder(target.parent_path());
  if (parent.fd < 0 || (::fsync(parent.fd) != 0 && errno != EINVAL && errno != EROFS))
    fail("the results are in place at " + shown + ", but their folder " + target.parent_path().string() +
             " could not be flushed to the disk",
         errno);
}

std::string run_token() { return host_tag() + "." + std::to_string(::getpid()) + "." + random_token(); }

std::string run_token_pid(const std::string& token) {
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
  if (second == std::string::npos) return "";
  const std::string pid = token.substr(first + 1, second - first - 1);
  // A PID as run_token() writes it: digits, no leading zero (not "self", which /proc would take).
  if (pid.empty() || pid.size() > 10 || pid[0] == '0' || pid.find_first_not_of("0123456789") != std::string::npos) return "";
  return pid;
}

bool run_token_running(const std::string& token) {
  const std::string pid = run_token_pid(token);
  if (pid.empty() || token.compare(0, token.find('.'), host_tag()) != 0) return false;
  if (pid == std::to_string(::getpid()) || ended(pid)) return false;
  // /proc/PID/stat: "PID (NAME) STATE ...", the name as the kernel keeps it (the first 15 bytes of
  // the program's file name: kimsim, not kimsim_tests; a kimsim started under another name is not
  // seen). A process that has exited but is not yet reaped (Z, X) has ended: an MPI launcher
  // returns while its ranks are zombies.
  std::string stat;
  if (const Descriptor d(::open(("/proc/" + pid + "/stat").c_str(), O_RDONLY | O_CLOEXEC)); d.fd >= 0) {
    char buf[128];
    const ssize_t n = ::read(d.fd, buf, sizeof buf);
    if (n > 0) stat.assign(buf, static_cast<std::size_t>(n));
  }
  const auto open = stat.find(" ("), close = stat.rfind(") ");
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return stat.substr(open + 2, close - open - 2) == "kimsim" && state != 'Z' && state != 'X' && state != 'x';
}

std::string partial_file_name(const std::string& name, long long pid, const std::string& token) {
  return name + ".partial." + std::to_string(pid) + "." + token + "." + host_tag();
}

void write_file_atomically(const std::string& path, const std::string& content, const Recognise& ours) {
  std::error_code ec;
  const fs::path given = fs::absolute(path, ec);
  if (ec) throw Error("cannot use " + path + ": " + ec.message());
  if (!given.has_filename() || given.filename() == "." || given.filename() == "..")
    throw Error("'" + path + "' names no file");
  const fs::path folder = given.parent_path(), target = given;
  const std::string name = given.filename().string();
  const Descriptor dir = open_folder(folder);
  if (dir.fd < 0) fail("cannot open the folder " + folder.string(), errno);
  struct stat st {};
  if (::fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    const std::string nothing = "; nothing was written. Choose another name, or move it away first";
    if (!S_ISREG(st.st_mode)) throw Error(target.string() + " exists and is " + kind_of(st.st_mode) + nothing);
    if (const std::string why = ours(target.string()); !why.empty())
      throw Error(target.string() + " exists and was not written by kimsim (" + why + ")" + nothing);
  } else if (errno != ENOENT) {
    fail("cannot use " + target.string(), errno);
  }
  // Temporary files of killed runs on this machine (NAME.partial.PID.TOKEN.HOST): removed where
  // their process ended and `ours` recognises them.
  const std::string here = host_tag(), prefix = name + ".partial.";
  for (const std::string& n : entries(dir.fd).value_or(std::vector<std::string>{})) {
    std::string pid, token;
    if (n.rfind(prefix, 0) != 0 || n.size() < prefix.size() + 9 || n.substr(n.size() - 9) != "." + here) continue;
    if (!split_suffix(n.substr(prefix.size(), n.size() - prefix.size() - 9), pid, token) || !ended(pid)) continue;
    if (::fstatat(dir.fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && ours((folder / n).string()).empty())
      ::unlinkat(dir.fd, n.c_str(), 0);
  }
  const std::string tmp = partial_file_name(name, ::getpid(), random_token());
  try {
    write_new_file(dir.fd, folder, tmp, content);
    if (::renameat(dir.fd, tmp.c_str(), dir.fd, name.c_str()) != 0)
      fail("cannot move " + (folder / tmp).string() + " to " + target.string(), errno);
  } catch (...) {
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw;
  }
  sync_fd(dir.fd, folder, true);
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

}  // namespace kimsim::io
