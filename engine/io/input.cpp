#include "io/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "io/text.hpp"
#include "kimsim/error.hpp"

namespace kimsim::io {

std::string kind_of(unsigned mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

namespace {

/// Closes the descriptor on every way out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// Opens a regular file for reading; otherwise sets `why`. The type is judged on the opened file
/// (fstat), so that it cannot change between the check and the reading.
Fd open_regular(const std::string& path, std::string& why) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one forever. It has no
  // effect on reading a regular file, the only kind read.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  struct stat st {};
  if (f.fd < 0) why = std::string("cannot open the file: ") + std::strerror(errno);
  else if (::fstat(f.fd, &st) != 0) why = std::string("cannot read the file: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "is " + kind_of(st.st_mode) + ", not a regular file";
  return f;
}

/// The size fstat reports (0 where it cannot tell).
off_t st_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && st.st_size > 0 ? st.st_size : 0;
}

}  // namespace

std::string path_in(const std::string& folder, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path joined = fs::path(folder) / name, lexical = joined.lexically_normal();
  // The same place unless a `..` follows a symbolic link.
  return same_place(joined.string(), lexical.string()) ? lexical.string() : joined.string();
}

bool same_place(const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::error_code e1, e2;
  const std::filesystem::path x = std::filesystem::weakly_canonical(a, e1), y = std::filesystem::weakly_canonical(b, e2);
  return !e1 && !e2 && x == y;
}

std::string input_problem(const std::string& path) {
  std::string why;
  open_regular(path, why);
  return why;
}

std::string read_input(const std::string& path, std::uintmax_t limit, const std::string& limit_reason) {
  const auto fail = [&](const std::string& what) { throw LocatedError({path, 0, 0}, what); };
  std::string why;
  const Fd f = open_regular(path, why);
  if (!why.empty()) fail(why);
  std::string bytes;
  // The size the file system reports is a hint for the memory only; the limit counts what is read.
  bytes.reserve(static_cast<std::size_t>(std::min<std::uintmax_t>(static_cast<std::uintmax_t>(st_size(f.fd)), limit)));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(std::string("cannot read the file: ") + std::strerror(errno));
    if (n == 0) break;
    if (bytes.size() + static_cast<std::size_t>(n) > limit)
      fail("the file has more than " + std::to_string(limit) + " bytes (" + human_bytes(double(limit)) +
           "), the limit " + limit_reason);
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  return bytes;
}

std::string blank_file(std::string_view text) {
  if (text.empty()) return "the file is empty";
  std::size_t spaces = 0, tabs = 0, lf = 0, cr = 0;
  for (char c : text) {
    if (c == ' ') ++spaces;
    else if (c == '\t') ++tabs;
    else if (c == '\n') ++lf;
    else if (c == '\r') ++cr;
    else return "";
  }
  std::vector<std::string> parts;
  const auto add = [&](std::size_t n, const char* one, const char* many) {
    if (n) parts.push_back(std::to_string(n) + " " + (n == 1 ? one : many));
  };
  add(cr, "carriage return (CR, 0x0D)", "carriage returns (CR, 0x0D)");
  add(lf, "line feed (LF)", "line feeds (LF)");
  add(spaces, "space", "spaces");
  add(tabs, "tab", "tabs");
  std::string list;
  for (std::size_t i = 0; i < parts.size(); ++i)
    list += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return "the file holds only " + list + ", no text";
}

}  // namespace kimsim::io
