// Writing results: the one write path. A run either leaves a complete result or none, never
// damages the previous one, and replaces or removes only what it can prove kimsim wrote itself;
// anything else in the way is an error that leaves it untouched. Every failed write names the
// operating system's reason.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <string>
#include <vector>

#include "kimsim/format.hpp"  // format_euros, format_positions: the digits of every writer
#include "kimsim/model.hpp"

namespace kimsim::io {

/// The mark in the manifest.json of every result folder kimsim writes: `"format"` names it,
/// `"format_version"` counts changes to what the manifest promises, `"files"` lists every other
/// file of the folder with its size and SHA-256.
inline constexpr const char* kResultFormat = "kimsim-result";
inline constexpr int kResultFormatVersion = 1;

struct OutputFile {
  std::string name;
  std::string content;
};

/// JSON text of `j` as kimsim writes it into a file or an answer (`indent` as nlohmann's dump()).
/// A string's bytes that are not UTF-8 become U+FFFD instead of failing the whole write: a path
/// may be named in another encoding (a folder `v\xff/`), and no such name may stop a result.
std::string dump_json(const nlohmann::json& j, int indent = -1);

/// Writes `files` and manifest.json (`manifest` plus the format mark and the list of files) as the
/// folder `dir`: into a fresh sibling folder first, each file and the folder synced to the disk,
/// then swapped in (renameat2 RENAME_EXCHANGE) and the previous result removed. `dir` may be
/// missing, an empty folder or a result kimsim wrote (see `not_a_result`); anything else is an
/// error and stays as it was. On any failure `dir` stays as it was.
void write_result_folder(const std::string& dir, const std::vector<OutputFile>& files, nlohmann::json manifest);

/// Throws the error write_result_folder() would give for what stands at `dir` (a file, a link,
/// a folder kimsim did not write), before a long run computes what it could not write.
void check_result_target(const std::string& dir);

/// Why the folder `dir` is not a result folder kimsim wrote; empty when it is one. A result of
/// this version carries the mark and lists its files (each must be unchanged); one of an earlier
/// version is recognised by its manifest's kimsim fields and by holding only kimsim's files.
std::string not_a_result(const std::string& dir);

/// Why an existing file is not one the caller wrote (empty when it is), e.g. a checkpoint that
/// does not start with its format's mark.
using Recognise = std::function<std::string(const std::string& path)>;

/// Writes one file atomically: a sibling temporary file, synced, renamed over `path`, the folder
/// synced. An existing `path` is replaced only when it is a regular file that `ours` recognises.
void write_file_atomically(const std::string& path, const std::string& content, const Recognise& ours);

/// NAME.partial.PID.TOKEN.HOST: the temporary file beside NAME of a run (process `pid`) on this
/// machine, which write_file_atomically tidies once that process has ended.
std::string partial_file_name(const std::string& name, long long pid, const std::string& token);

/// A token that names this run and no other: this machine (its boot and PID namespace, hashed),
/// this process's PID and 16 random hex digits, "HOST8.PID.RANDOM16".
std::string run_token();
/// The PID a run_token() names (its digits), "" where `token` is not one.
std::string run_token_pid(const std::string& token);
/// Whether the run_token() `token` names a kimsim process still running on this machine, other
/// than this one: a process of that PID whose name is kimsim's. (A PID reused by another kimsim is
/// the one case it mistakes; a token of another machine or boot is never running here.)
bool run_token_running(const std::string& token);

/// Standard output that remembers why a write failed (a full disk, a closed pipe end): kimsim
/// must not exit 0 with a truncated result. Unbuffered beyond its own buffer; flush() reports.
class CheckedOutput : public std::streambuf {
 public:
  explicit CheckedOutput(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  ~CheckedOutput() override { sync(); }
  /// The operating system's reason for the first failed write; empty while all succeeded.
  const std::string& failure() { sync(); return failure_; }

 protected:
  int_type overflow(int_type c) override;
  int sync() override;

 private:
  bool drain();
  int fd_;
  std::string failure_;
  char buf_[1 << 14];
};

}  // namespace kimsim::io
