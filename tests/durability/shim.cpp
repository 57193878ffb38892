// An LD_PRELOAD shim that records the calls which make kimsim's writes durable, and can make them
// fail, so that a test sees what ordinary tests cannot: that every file and folder is flushed to
// the disk before the results are swapped in, and that a failed flush fails the write.
//   KIMSIM_SHIM_LOG=FILE          append "fsync PATH", "rename FROM TO", "renameat2 FROM TO FLAGS"
//   KIMSIM_SHIM_FAIL_FSYNC=N      the N-th fsync (from 1) fails with EIO
//   KIMSIM_SHIM_NO_RENAMEAT2=1    renameat2 fails with EINVAL, as on a file system without it
//   KIMSIM_SHIM_BEFORE_SWAP=CMD   runs the shell command CMD once, before the first rename: someone
//                                 changing the folder while kimsim writes, at a known moment
//   KIMSIM_SHIM_DENY=NAME         opening a path whose last component is NAME fails with EACCES
//                                 (Permission denied), which file modes cannot show to root
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::atomic<long> fsyncs{0};

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

std::string path_of(int fd) {
  char link[64], buf[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
}

std::string absolute(int dirfd, const char* p) {
  if (p[0] == '/') return p;
  if (dirfd != AT_FDCWD) return path_of(dirfd) + "/" + p;
  char cwd[4096];
  return std::string(::getcwd(cwd, sizeof cwd) ? cwd : "?") + "/" + p;
}

void before_swap() {
  static std::atomic<bool> done{false};
  const char* cmd = std::getenv("KIMSIM_SHIM_BEFORE_SWAP");
  if (cmd && !done.exchange(true) && std::system(cmd) != 0) std::fprintf(stderr, "shim: '%s' failed\n", cmd);
}

void record(const std::string& line) {
  const char* log = std::getenv("KIMSIM_SHIM_LOG");
  if (!log) return;
  const int fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) < 0) {
  }
  ::close(fd);
}

bool denied(const char* p) {
  const char* name = std::getenv("KIMSIM_SHIM_DENY");
  if (!name || !*name || !p) return false;
  const char* slash = std::strrchr(p, '/');
  return std::strcmp(slash ? slash + 1 : p, name) == 0;
}

mode_t mode_of(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) != 0 ? static_cast<mode_t>(va_arg(ap, int)) : 0;
}

}  // namespace

extern "C" {

// The open family: refused with EACCES where the path is denied, else passed on with its mode.
#define KIMSIM_SHIM_OPEN(NAME, ...)                                              \
  va_list ap;                                                                    \
  va_start(ap, flags);                                                           \
  const mode_t mode = mode_of(flags, ap);                                        \
  va_end(ap);                                                                    \
  if (denied(p)) {                                                               \
    errno = EACCES;                                                              \
    return -1;                                                                   \
  }                                                                              \
  return next<decltype(&NAME)>(#NAME)(__VA_ARGS__, mode)

int open(const char* p, int flags, ...) { KIMSIM_SHIM_OPEN(open, p, flags); }
int open64(const char* p, int flags, ...) { KIMSIM_SHIM_OPEN(open64, p, flags); }
int openat(int dirfd, const char* p, int flags, ...) { KIMSIM_SHIM_OPEN(openat, dirfd, p, flags); }
int openat64(int dirfd, const char* p, int flags, ...) { KIMSIM_SHIM_OPEN(openat64, dirfd, p, flags); }

int fsync(int fd) {
  const long n = ++fsyncs;
  record("fsync " + path_of(fd));
  const char* fail = std::getenv("KIMSIM_SHIM_FAIL_FSYNC");
  if (fail && std::atol(fail) == n) {
    errno = EIO;
    return -1;
  }
  return next<int (*)(int)>("fsync")(fd);
}

int rename(const char* from, const char* to) {
  before_swap();
  record("rename " + absolute(AT_FDCWD, from) + " " + absolute(AT_FDCWD, to));
  return next<int (*)(const char*, const char*)>("rename")(from, to);
}

int renameat2(int olddirfd, const char* from, int newdirfd, const char* to, unsigned flags) {
  before_swap();
  record("renameat2 " + absolute(olddirfd, from) + " " + absolute(newdirfd, to) + " " + std::to_string(flags));
  if (std::getenv("KIMSIM_SHIM_NO_RENAMEAT2")) {
    errno = EINVAL;
    return -1;
  }
  return next<int (*)(int, const char*, int, const char*, unsigned)>("renameat2")(olddirfd, from, newdirfd, to, flags);
}

}  // extern "C"
