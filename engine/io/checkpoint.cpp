#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "io/input.hpp"
#include "io/output.hpp"
#include "io/sha256.hpp"
#include "kimsim/error.hpp"

namespace kimsim::io {

namespace {

constexpr std::string_view kChecksum = "sha256 ";
constexpr std::size_t kChecksumLine = kChecksum.size() + 64 + 1;

std::string short_hash(const std::string& h) { return h.substr(0, 12) + "…"; }

}  // namespace

std::string encode_checkpoint(const Checkpoint& c) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& [path, hash] : c.inputs) inputs.push_back({{"path", path}, {"sha256", hash}});
  nlohmann::json done = nlohmann::json::array();
  for (const auto& [a, b] : c.done.ranges()) done.push_back({a, b});
  const nlohmann::json header = {{"command", c.command},
                                 {"kimsim_version", c.version},
                                 {"kimsim_commit", c.commit},
                                 {"inputs", inputs},
                                 {"seed", c.seed},
                                 {"units", c.plan.units},
                                 {"chunk", c.plan.size},
                                 {"done", done},
                                 {"writer", c.writer},
                                 {"payload_bytes", c.payload.size()}};
  std::string out(kCheckpointMark);
  out += dump_json(header) + "\n";
  out += c.payload;
  out += std::string(kChecksum) + sha256(out) + "\n";
  return out;
}

Checkpoint decode_checkpoint(std::string_view bytes) {
  if (bytes.substr(0, kCheckpointMark.size()) != kCheckpointMark) {
    if (kCheckpointMark.substr(0, bytes.size()) == bytes) throw Error("it is truncated (" + std::to_string(bytes.size()) + " bytes)");
    throw Error("it is not a kimsim checkpoint (it does not start with '" +
                std::string(kCheckpointMark.substr(0, kCheckpointMark.size() - 1)) + "')");
  }
  const auto eol = bytes.find('\n', kCheckpointMark.size());
  if (eol == std::string_view::npos) throw Error("it is truncated (" + std::to_string(bytes.size()) + " bytes, within its header)");
  const nlohmann::json h = nlohmann::json::parse(bytes.substr(kCheckpointMark.size(), eol - kCheckpointMark.size()), nullptr, false);
  const auto damaged = [](const std::string& what) { return Error("it is damaged (" + what + ")"); };
  if (!h.is_object() || !h.contains("payload_bytes") || !h["payload_bytes"].is_number_unsigned())
    throw damaged("its header is not kimsim's");
  const std::uint64_t payload = h["payload_bytes"].get<std::uint64_t>();
  const std::uint64_t whole = eol + 1 + payload + kChecksumLine;
  if (payload > bytes.size() || bytes.size() < whole)
    throw Error(fmt::format("it is truncated ({} bytes; its header announces {})", bytes.size(),
                            payload > std::numeric_limits<std::uint64_t>::max() / 2 ? std::string("more") : std::to_string(whole)));
  if (bytes.size() > whole) throw damaged(fmt::format("{} bytes after its end", bytes.size() - whole));
  const std::string_view body = bytes.substr(0, eol + 1 + payload), tail = bytes.substr(eol + 1 + payload);
  if (tail.substr(0, kChecksum.size()) != kChecksum || tail.back() != '\n') throw damaged("no checksum line at its end");
  if (tail.substr(kChecksum.size(), 64) != sha256(body)) throw damaged("its SHA-256 checksum does not match its contents");

  Checkpoint c;
  try {
    c.command = h.at("command").get<std::string>();
    c.version = h.at("kimsim_version").get<std::string>();
    c.commit = h.at("kimsim_commit").get<std::string>();
    for (const auto& f : h.at("inputs")) c.inputs.emplace_back(f.at("path").get<std::string>(), f.at("sha256").get<std::string>());
    c.seed = h.at("seed").get<std::uint64_t>();
    c.plan.units = h.at("units").get<std::uint64_t>();
    c.plan.size = h.at("chunk").get<std::uint64_t>();
    for (const auto& r : h.at("done")) c.done.add_range(r.at(0).get<std::uint64_t>(), r.at(1).get<std::uint64_t>());
    c.writer = h.value("writer", std::string());  // "" in a checkpoint of a kimsim before the field
  } catch (const nlohmann::json::exception&) {
    throw damaged("its header lacks a field or has one of the wrong type");
  }
  if (c.plan.size == 0 || (!c.done.ranges().empty() && c.done.ranges().back().second > c.plan.count()))
    throw damaged("its finished chunks do not fit its plan");
  c.payload.assign(body.substr(eol + 1));
  return c;
}

std::string checkpoint_mismatch(const Checkpoint& found, const Checkpoint& wanted) {
  if (found.command != wanted.command)
    return "it was written by kimsim " + found.command + ", not by kimsim " + wanted.command;
  if (found.version != wanted.version || found.commit != wanted.commit)
    return fmt::format("it was written by kimsim {} (commit {}), this is kimsim {} (commit {}): a resumed run must use the same "
                       "kimsim to give the bytes of an uninterrupted one",
                       found.version, found.commit, wanted.version, wanted.commit);
  // Inputs by position and SHA-256: the same files may lie elsewhere (another node, another mount).
  for (std::size_t k = 0; k < std::max(found.inputs.size(), wanted.inputs.size()); ++k) {
    if (k >= found.inputs.size())
      return "it was written for other inputs: " + wanted.inputs[k].first + " was not read by the checkpointed run";
    if (k >= wanted.inputs.size())
      return "it was written for other inputs: the checkpointed run also read " + found.inputs[k].first;
    if (found.inputs[k].second != wanted.inputs[k].second)
      return fmt::format("it was written for other inputs: {} has SHA-256 {} now, {} in the checkpoint (as {})", wanted.inputs[k].first,
                         short_hash(wanted.inputs[k].second), short_hash(found.inputs[k].second), found.inputs[k].first);
  }
  if (found.seed != wanted.seed) return fmt::format("it was written with seed {}, not {}", found.seed, wanted.seed);
  if (found.plan.units != wanted.plan.units)
    return fmt::format("it was written for {} {}, not {}", found.plan.units, wanted.command.starts_with("sweep") ? "points" : "replications",
                       wanted.plan.units);
  if (found.plan.size != wanted.plan.size)
    return fmt::format("it was written in chunks of {}, not {}", found.plan.size, wanted.plan.size);
  return "";
}

Checkpoint read_checkpoint(const std::string& path) {
  const std::string bytes = read_input(path, std::numeric_limits<std::uintmax_t>::max() / 2, "for a checkpoint");
  try {
    return decode_checkpoint(bytes);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

std::string not_a_checkpoint(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::string("it cannot be read: ") + std::strerror(errno);
  std::string head(kCheckpointMark.size(), '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    const ssize_t n = ::read(fd, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return head.substr(0, got) == kCheckpointMark ? "" : "it does not start with kimsim's checkpoint mark";
}

void write_checkpoint(const std::string& path, const Checkpoint& c) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::absolute(path, ec).parent_path();
  if (!ec) std::filesystem::create_directories(parent, ec);
  if (ec) throw Error("cannot create the folder of the checkpoint " + path + ": " + ec.message());
  write_file_atomically(path, encode_checkpoint(c), not_a_checkpoint);
}

std::string another_runs_checkpoint(const std::string& path, const Checkpoint& identity, const std::string& writer) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "";
  try {
    const Checkpoint found = read_checkpoint(path);
    if (std::string why = checkpoint_mismatch(found, identity); !why.empty()) return why;
    if (found.writer != writer)
      return "another run of the same scenario and seed, given the same --checkpoint, wrote it: its token is " + found.writer;
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

void remove_checkpoint(const std::string& path, const Checkpoint& identity, const std::string& writer) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !not_a_checkpoint(path).empty()) return;
  if (!another_runs_checkpoint(path, identity, writer).empty()) return;  // another run's, written there meanwhile
  if (::unlink(path.c_str()) != 0) throw Error("cannot remove the checkpoint " + path + ": " + std::strerror(errno));
}

}  // namespace kimsim::io
