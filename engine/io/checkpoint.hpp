// Checkpoints of long runs (`kimsim simulate --checkpoint`, and any command that runs in chunks):
// what was finished and its integer accumulators, with what identifies the run, so that a
// resumed run ends with the bytes of an uninterrupted one. Written only through the single-file
// atomic write path (write_file_atomically: a temporary file, synced, renamed).
//
// The format (version 1): three parts, then the checksum line.
//   KIMSIM-CHECKPOINT 1\n                       the mark: a file without it is never replaced
//   {JSON header}\n                             one line: see Checkpoint's members
//   PAYLOAD                                     exactly header.payload_bytes bytes, opaque here
//   sha256 HEX\n                                SHA-256 of every byte before this line
// The payload of `simulate` is kimsim::pack() of the accumulators (the machine's byte order and
// widths, led by the layout's fingerprint): a checkpoint is resumed on the same kind of machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/chunks.hpp"

namespace kimsim::io {

inline constexpr std::string_view kCheckpointMark = "KIMSIM-CHECKPOINT 1\n";

struct Checkpoint {
  std::string command;                                     ///< "simulate" (a sweep: "sweep")
  std::string version, commit;                             ///< of the kimsim that wrote it
  std::vector<std::pair<std::string, std::string>> inputs;  ///< every file read (path, SHA-256): the scenario chain, the data
  std::uint64_t seed = 0;
  ChunkPlan plan;      ///< units (replications) and chunk size
  ChunkSet done;       ///< finished chunks
  std::string payload;  ///< the accumulators of the finished chunks
  /// The run that wrote it: a token drawn at its start (run_token()). Not part of the identity: a
  /// resumed run is another process. It tells this run's file from that of another run given the
  /// same --checkpoint with the same identity, which this run must neither replace nor remove.
  std::string writer;
};

/// The bytes of a checkpoint file.
std::string encode_checkpoint(const Checkpoint& c);
/// A checkpoint from its file's bytes; an Error that says what is wrong (not a checkpoint,
/// truncated, damaged) where they are not one.
Checkpoint decode_checkpoint(std::string_view bytes);
/// Why `found` cannot continue the run `wanted` describes (another command, version, input,
/// seed, number of units or chunk size), the first difference; empty when it can.
std::string checkpoint_mismatch(const Checkpoint& found, const Checkpoint& wanted);

/// Reads and decodes the checkpoint at `path`: an Error naming the file and the reason.
Checkpoint read_checkpoint(const std::string& path);
/// Why the existing file at `path` is not a checkpoint kimsim wrote ("" when it starts with the
/// mark): the test before kimsim replaces or removes it.
std::string not_a_checkpoint(const std::string& path);
/// Writes the checkpoint atomically (its folder created where missing); replaces only a file
/// that carries the mark.
void write_checkpoint(const std::string& path, const Checkpoint& c);
/// Why the file at `path` is not the checkpoint this run may replace (another run's, or not
/// readable as one); "" where nothing is there or it is of the run `identity` describes and was
/// written by `writer`: this run's own token once it has written, or the token of the
/// checkpoint it resumed from ("" before either: then any checkpoint there is another run's).
std::string another_runs_checkpoint(const std::string& path, const Checkpoint& identity, const std::string& writer);
/// Removes the checkpoint at `path` after the run it served has written its results, where
/// another_runs_checkpoint() finds it this run's; a file without the mark stays, and so does the
/// checkpoint of another run (two runs given the same --checkpoint).
void remove_checkpoint(const std::string& path, const Checkpoint& identity, const std::string& writer);

}  // namespace kimsim::io
