#include "cli/batch.hpp"
#include "io/output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <new>

#include <fmt/format.h>
#include <filesystem>
#include <ostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/mpi.hpp"
#include "kimsim/error.hpp"
#include "sim/chunks.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {

std::optional<double> parse_duration(std::string_view text) {
  // Units largest first; "ms" before "m" so that the longer name wins.
  static constexpr std::pair<std::string_view, double> kUnits[] = {{"h", 3600}, {"ms", 0.001}, {"m", 60}, {"s", 1}};
  static constexpr int kRank[] = {0, 3, 1, 2};  // order of the units above: h, m, s, ms
  double seconds = 0;
  int last = -1;
  if (text.empty()) return std::nullopt;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9) return std::nullopt;
    double value = 0;
    for (std::size_t k = 0; k < digits; ++k) value = value * 10 + (text[k] - '0');
    text.remove_prefix(digits);
    int which = -1;
    for (int u = 0; u < 4 && which < 0; ++u)
      if (text.substr(0, kUnits[u].first.size()) == kUnits[u].first) which = u;
    if (which < 0 || kRank[which] <= last) return std::nullopt;
    last = kRank[which];
    seconds += value * kUnits[which].second;
    text.remove_prefix(kUnits[which].first.size());
  }
  return seconds;
}

void add_batch_options(po::options_description& options, BatchOptionText& text) {
  // Kept as given, so that an empty value (`--max-time ''`, a job script's unset variable) is
  // refused rather than taken for no option at all.
  const auto given = [](std::optional<std::string>& to) {
    return po::value<std::string>()->notifier([&to](const std::string& v) { to = v; });
  };
  options.add_options()("checkpoint", given(text.checkpoint), "checkpoint file (default: beside the output folder, DIR.checkpoint)")(
      "checkpoint-every", po::value(&text.every), "time between checkpoints, with its unit: 90s, 10m, 1h (default 10m)")(
      "max-time", given(text.max_time), "stop with a checkpoint (exit 75) before this time, e.g. 23h50m")(
      "resume", po::bool_switch(&text.resume), "continue from the checkpoint");
}

BatchOptions batch_options(const BatchOptionText& text, const std::string& out_dir) {
  BatchOptions o;
  const auto duration = [](const char* option, const std::string& value) {
    const auto s = parse_duration(value);
    if (!s || *s <= 0)
      throw UsageError{fmt::format("--{} '{}': expected a duration with its unit, such as 90s, 10m, 1h or 23h50m (units h, m, s, ms, "
                                   "largest first; more than zero)",
                                   option, value)};
    return *s;
  };
  o.every = duration("checkpoint-every", text.every);
  if (text.max_time) o.max_time = duration("max-time", *text.max_time);
  if (text.checkpoint && text.checkpoint->empty()) throw UsageError{"--checkpoint needs a file name"};
  std::string dir = out_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  o.checkpoint = text.checkpoint ? *text.checkpoint : dir + ".checkpoint";
  o.resume = text.resume;
  // Before any unit runs: a result folder that could not be written, or a checkpoint inside it
  // (the folder is replaced as a whole), would be found only at the end, with the work lost.
  io::check_result_target(dir);
  std::error_code ec;
  const auto out = std::filesystem::weakly_canonical(dir, ec), ck = std::filesystem::weakly_canonical(o.checkpoint, ec);
  if (!ec && (ck == out || std::mismatch(out.begin(), out.end(), ck.begin(), ck.end()).first == out.end()))
    throw UsageError{"--checkpoint " + o.checkpoint + " lies in the output folder " + dir +
                     ", which kimsim replaces as a whole: put the checkpoint beside it (the default is " + dir + ".checkpoint)"};
  // Where the checkpoint cannot be written, say so now, not at the first checkpoint (a job would
  // then end with exit 2, not 75, and not be requeued).
  struct stat st {};
  if (::lstat(o.checkpoint.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw UsageError{"--checkpoint " + o.checkpoint + " is " + (S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder" : "not a file") +
                     ": kimsim writes its checkpoint as a file of its own there"};
  std::filesystem::path folder = std::filesystem::path(o.checkpoint).parent_path();
  if (folder.empty()) folder = ".";
  while (!folder.empty() && ::lstat(folder.c_str(), &st) != 0 && errno == ENOENT) folder = folder.parent_path();  // created when written
  if (!folder.empty() && (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::access(folder.c_str(), W_OK | X_OK) != 0))
    throw UsageError{"--checkpoint " + o.checkpoint + ": cannot write there (" + folder.string() + ": " +
                     (S_ISDIR(st.st_mode) ? std::strerror(errno) : "not a folder") + ")"};
  return o;
}

std::string batch_help(std::string_view units) {
  return fmt::format(R"(Checkpoints: the run writes its checkpoint (the finished {0} and their
results; --checkpoint FILE, default DIR.checkpoint beside the output folder) every
--checkpoint-every (default 10m), and when it receives SIGTERM, SIGINT or SIGUSR1 or comes near
--max-time: then it finishes the chunk at hand, writes the checkpoint and exits with code 75.
--resume continues from the checkpoint; the results are the bytes of an uninterrupted run. (A
--resume first waits up to 5 s for the run that wrote the checkpoint to end; a signal meanwhile
stops it at once, exit 75, the checkpoint as it was.) A
checkpoint of other input files, seed, number of {0} or kimsim is refused (exit 2), and so is a
checkpoint in the way without --resume. The checkpoint is removed once the results are written.
)",
                     units);
}

namespace {

volatile std::sig_atomic_t g_signal = 0;
constexpr int kStopSignals[3] = {SIGTERM, SIGINT, SIGUSR1};

extern "C" void on_signal(int signo) { g_signal = signo; }

std::string signal_name(int signo) {
  return signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : signo == SIGUSR1 ? "SIGUSR1" : "signal " + std::to_string(signo);
}

/// The chunk numbers a rank finished since the last meeting and its packed accumulators, as one
/// message: count, the numbers, the accumulators.
std::string frame(const std::vector<std::uint64_t>& chunks, const std::string& packed) {
  std::string out;
  const std::uint64_t n = chunks.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(reinterpret_cast<const char*>(chunks.data()), n * sizeof(std::uint64_t));
  return out + packed;
}

std::string encode_ranges(const ChunkSet& s) {
  std::string out;
  for (const auto& [a, b] : s.ranges()) out += fmt::format("{} {}\n", a, b);
  return out;
}

ChunkSet decode_ranges(const std::string& text) {
  ChunkSet s;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto space = text.find(' ', at), end = text.find('\n', at);
    s.add_range(std::stoull(text.substr(at, space - at)), std::stoull(text.substr(space + 1, end - space - 1)));
    at = end + 1;
  }
  return s;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

StopSignals::StopSignals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (std::size_t k = 0; k < 3; ++k) ::sigaction(kStopSignals[k], &sa, &previous_[k]);
}

StopSignals::~StopSignals() {
  for (std::size_t k = 0; k < 3; ++k) ::sigaction(kStopSignals[k], &previous_[k], nullptr);
}

/// Writes `state` with the work's total as the run's checkpoint and returns ""; where another run
/// given the same --checkpoint has written there since, its file stays, and the reason is returned.
/// `owned`: the writer of the file this run may replace (BatchEnd::owned), its own token after.
static std::string write_own_checkpoint(const BatchOptions& options, const BatchWork& work, io::Checkpoint& state,
                                        std::string& owned) {
  if (std::string why = io::another_runs_checkpoint(options.checkpoint, work.identity, owned); !why.empty()) return why;
  state.payload = work.total();
  io::write_checkpoint(options.checkpoint, state);
  state.payload.clear();
  owned = state.writer;
  return "";
}

/// Seconds that --resume waits for the run that wrote the checkpoint to end.
constexpr double kWriterExit = 5.0;

/// "process 1234 on this machine": the run a run_token() names.
static std::string writer_process(const std::string& token) { return "process " + io::run_token_pid(token) + " on this machine"; }

BatchEnd run_batch(const std::string& command, BatchWork& work, const BatchOptions& options) {
  const ChunkPlan plan = work.identity.plan;
  const bool first_rank = mpi::rank() == 0;
  BatchEnd end;
  end.resumed = options.resume;

  // The checkpoint: read where resumed, else nothing may be in its way (an interrupted run's
  // checkpoint would be overwritten by this run's first one). The first rank alone reads it.
  io::Checkpoint state = work.identity;
  state.writer = first_rank ? io::run_token() : std::string();
  std::exception_ptr error;
  if (first_rank) try {
      struct stat st {};
      const bool exists = ::lstat(options.checkpoint.c_str(), &st) == 0;
      if (options.resume) {
        io::Checkpoint found;
        const auto read = [&] {
          try {
            found = io::read_checkpoint(options.checkpoint);
          } catch (const Error& e) {
            throw Error(std::string("--resume: ") + e.what() + "; nothing was written");
          }
          if (const std::string why = io::checkpoint_mismatch(found, work.identity); !why.empty())
            throw Error("--resume: " + options.checkpoint + ": refused: " + why + "; nothing was written");
        };
        read();
        // Its run still going: resumed here, both would write the file, and the one that goes on
        // writing it would stop the other without its results. A run just stopped (a script that
        // resumes right after its `kill`) may still be writing its last checkpoint and exiting:
        // waited for a few seconds, and the checkpoint read once more once it has ended (what it
        // wrote before it ended is all there then).
        if (io::run_token_running(found.writer)) {
          const std::string awaited = found.writer;
          const Clock::time_point since = Clock::now();
          // Asked to stop meanwhile (a job's time is up): at once, as a stopped run does (exit 75,
          // to be requeued), not after the wait. This run has taken and written nothing, so that
          // the checkpoint stays for the next --resume as it is. Looked at in every pass before
          // the wait may end, and once more before the refusal below.
          const auto stop_if_asked = [&] {
            if (g_signal != 0)
              throw RaisedFailure{{kInterrupted,
                                   fmt::format("kimsim {}: stopped by {} while --resume waited for the run that wrote {} ({}) "
                                               "to end; nothing was written, and the checkpoint is as it was: run the same "
                                               "command with --resume to continue\n",
                                               command, signal_name(g_signal), options.checkpoint, writer_process(awaited))}};
          };
          for (;;) {
            stop_if_asked();
            if (!io::run_token_running(awaited) || seconds_since(since) > kWriterExit) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          if (!io::run_token_running(awaited)) {
            if (::lstat(options.checkpoint.c_str(), &st) != 0)
              throw Error("--resume: " + options.checkpoint + ": the run that wrote it (" + writer_process(awaited) +
                          ") finished meanwhile, wrote its results and removed its checkpoint; nothing was written");
            read();
          }
          if (io::run_token_running(found.writer)) {
            stop_if_asked();
            throw Error("--resume: " + options.checkpoint + ": refused: the run that writes it is still going (" +
                        writer_process(found.writer) + "); resume it once that run has stopped, or give this run its own "
                        "--checkpoint; nothing was written");
          }
        }
        try {
          work.add(found.payload);
        } catch (const Error& e) {
          throw Error("--resume: " + options.checkpoint + ": refused: its accumulators cannot be read (" + e.what() +
                      "); nothing was written");
        }
        state.done = found.done;
        end.owned = found.writer;  // this run continues it: its to replace, and to remove once done
        // At once under this run's own token: until its first periodic checkpoint (minutes away)
        // the file would name the run that ended, and a second --resume would take it too.
        if (const std::string why = write_own_checkpoint(options, work, state, end.owned); !why.empty())
          throw Error("--resume: " + options.checkpoint + ": refused: another run took it meanwhile (" + why +
                      "); nothing was written");
      } else if (exists) {
        if (const std::string why = io::not_a_checkpoint(options.checkpoint); !why.empty())
          throw Error("--checkpoint: " + options.checkpoint + " exists and is not a kimsim checkpoint (" + why +
                      "); nothing was written. Choose another --checkpoint, or move it away first");
        std::string writer;
        try {
          writer = io::read_checkpoint(options.checkpoint).writer;
        } catch (const Error&) {  // damaged: an interrupted run's all the same, which --resume then refuses
        }
        if (io::run_token_running(writer))
          throw Error("--checkpoint: " + options.checkpoint + " is the checkpoint of a run still going (" + writer_process(writer) +
                      "): give each run its own --checkpoint; nothing was written");
        throw Error("--checkpoint: " + options.checkpoint +
                    " holds the checkpoint of an interrupted run: continue it with --resume, or remove it to start "
                    "afresh; nothing was written");
      }
    } catch (...) {
      error = std::current_exception();
    }
  mpi::agree(command, error);
  std::string ranges = first_rank ? encode_ranges(state.done) : std::string();
  mpi::broadcast(ranges);
  state.done = decode_ranges(ranges);

  // The chunks left, in ascending order; counter 0 hands them out, counter 1 counts the meetings called.
  const std::vector<std::uint64_t> remaining = state.done.missing(plan.count());
  const std::uint64_t units_before = [&] {
    std::uint64_t n = 0;
    for (const auto& [a, b] : state.done.ranges())
      for (std::uint64_t k = a; k < b; ++k) n += plan.length(k);
    return n;
  }();
  enum : int { kNext = 0, kMeeting = 1 };
  mpi::SharedCounters counters(2);
  std::uint64_t served = 0;  // meetings held
  std::vector<std::uint64_t> mine;  // chunks this rank finished since the last meeting
  double longest_chunk = 0, longest_write = 0;
  bool written = false;  // a checkpoint of this run, timed in longest_write
  Clock::time_point last_checkpoint = Clock::now();

  for (;;) {
    // At a chunk boundary: a reason of this rank to meet, or one another rank called.
    // Why to stop: a signal's number, or kMaxTime; the largest over the ranks names it.
    constexpr std::uint64_t kMaxTime = 1000;
    std::uint64_t stop = static_cast<std::uint64_t>(g_signal);
    bool due = false, call = false;
    std::exception_ptr failure;
    std::uint64_t failed_at = UINT64_MAX;
    // Near --max-time, but only once this run has finished a chunk: a limit shorter than one
    // chunk would otherwise stop every requeued run before it does anything.
    if (first_rank && stop == 0 && options.max_time && longest_chunk > 0 &&
        seconds_since(options.start) + 2 * (longest_chunk + longest_write) + 1 >= *options.max_time)
      stop = kMaxTime;
    if (first_rank && seconds_since(last_checkpoint) >= options.every) due = true;
    // Under --max-time the first checkpoint comes after the first chunk: the budget above then
    // knows what a write costs (a large checkpoint takes seconds) before it must stop in time.
    if (first_rank && options.max_time && longest_chunk > 0 && !written) due = true;
    call = stop != 0 || due;
    if (!call && counters.read(kMeeting) <= served) {
      const std::uint64_t next = counters.fetch_add(kNext, 1);
      if (next >= remaining.size()) {
        call = true;  // nothing left to take: the last meeting
      } else {
        const std::uint64_t chunk = remaining[next];
        const Clock::time_point t = Clock::now();
        try {
          work.run(plan.first(chunk), plan.length(chunk), &failed_at);
          mine.push_back(chunk);
        } catch (...) {
          failure = std::current_exception();
          if (failed_at == UINT64_MAX) failed_at = plan.first(chunk);
          call = true;
        }
        longest_chunk = std::max(longest_chunk, seconds_since(t));
        if (first_rank && work.progress)
          work.progress(std::min(plan.units, units_before + std::min<std::uint64_t>(next + 1, remaining.size()) * plan.size), plan.units);
        if (!call) continue;
      }
    }
    if (call) counters.fetch_add(kMeeting, 1);

    // The meeting. Collectives from here on; no rank changes a counter until every rank has read them.
    mpi::agree_on_lowest(command, failure, failed_at);
    const std::uint64_t next = counters.read(kNext), called = counters.read(kMeeting);
    served = mpi::max_over_ranks(called);
    const std::uint64_t any_stop = mpi::max_over_ranks(stop);
    const bool any_due = mpi::max_over_ranks(due) != 0;
    const bool finished = next >= remaining.size();

    std::string packed = frame(mine, work.take());
    mine.clear();
    const std::vector<std::string> parts = mpi::gather(packed);
    packed.clear();
    for (const std::string& part : parts) {
      std::uint64_t n = 0;
      std::memcpy(&n, part.data(), sizeof n);
      for (std::uint64_t k = 0; k < n; ++k) {
        std::uint64_t chunk = 0;
        std::memcpy(&chunk, part.data() + sizeof n + k * sizeof chunk, sizeof chunk);
        state.done.add(chunk);
      }
      work.add(std::string_view(part).substr(sizeof n + n * sizeof(std::uint64_t)));
    }
    end.units_done = 0;
    for (const auto& [a, b] : state.done.ranges())
      for (std::uint64_t k = a; k < b; ++k) end.units_done += plan.length(k);
    if (finished) {
      end.finished = true;
      if (first_rank) end.state = state;
      return end;
    }
    if (any_stop || any_due) {
      std::exception_ptr write_error;
      if (first_rank) try {
          const Clock::time_point t = Clock::now();
          if (const std::string why = write_own_checkpoint(options, work, state, end.owned); !why.empty())
            throw Error("--checkpoint: " + options.checkpoint + " now holds what this run did not write (" + why +
                        "); it is left as it is, and this run stops without a checkpoint. Give each run its own --checkpoint");
          longest_write = std::max(longest_write, seconds_since(t));
          written = true;
        } catch (...) {
          write_error = std::current_exception();
        }
      mpi::agree(command, write_error);
      last_checkpoint = Clock::now();
    }
    if (any_stop) {
      end.stopped_by = any_stop == kMaxTime ? "--max-time" : signal_name(static_cast<int>(any_stop));
      return end;
    }
  }
}

void say_stopped(std::ostream& err, const std::string& command, const BatchEnd& end, std::uint64_t total,
                 std::string_view units, const BatchOptions& options) {
  if (mpi::rank() != 0) return;
  err << fmt::format("kimsim {}: stopped by {} after {} of {} {}; checkpoint written to {}: run the same command with --resume "
                     "to continue\n",
                     command, end.stopped_by, end.units_done, total, units, options.checkpoint);
}

void finish_batch(const BatchOptions& options, const BatchWork& work, const BatchEnd& end, const std::function<void()>& write) {
  if (mpi::rank() != 0) return;
  try {
    write();
  } catch (const std::exception& e) {  // an Error, but also memory for the outputs running out
    // Hours of work must not be lost to an output folder in the way: keep it where --resume finds it.
    std::string kept;
    try {
      io::Checkpoint state = end.state;
      std::string owned = end.owned;
      if (const std::string why = write_own_checkpoint(options, work, state, owned); !why.empty())
        throw Error(options.checkpoint + " now holds what this run did not write (" + why + ")");
      kept = "; the finished work is kept in the checkpoint " + options.checkpoint +
             ": once the way is clear, run the same command with --resume to write the results without computing them again";
    } catch (const Error& k) {
      kept = std::string("; the finished work could not be kept as a checkpoint either (") + k.what() + ")";
    }
    throw Error((dynamic_cast<const std::bad_alloc*>(&e) ? std::string("out of memory while writing the results") : e.what()) + kept);
  }
  io::remove_checkpoint(options.checkpoint, work.identity, end.owned);
}

}  // namespace kimsim::cli
