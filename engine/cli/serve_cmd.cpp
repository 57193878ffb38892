// `kimsim serve`: the what-if page and JSON API (io/whatif.hpp) over HTTP (io/server.hpp).
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/server.hpp"
#include "io/whatif.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {

int serve_command(const Invocation& call) {
  po::options_description visible(R"(Usage: kimsim serve [SCENARIOS_DIR] [--port 8080] [--bind 127.0.0.1]

Serves the scenarios (*.yaml) of SCENARIOS_DIR (default: scenarios) to planners and programs
on this machine: a what-if page at / (German, English switch: pick a baseline, move the
controls and the year, see the totals, the winners and losers, the recipients with their
differences, a recipient's trace, save the variant) and a JSON API:
  GET  /api/scenarios   the scenarios by name, each with its years and its patchable values
                        (controls): path, current value, range, step and why
  POST /api/evaluate    {"scenario": NAME, "year": Y, "lang": "de", "patch": {PATH: VALUE, ...}}
                        (year and lang optional): the allocation per recipient and Baustein,
                        the totals, and the comparison with the unpatched scenario of that year
                        (winners, losers, fairness indices, paradoxes; the report's chart)
  POST /api/explain     the same plus "ags" (and "baustein"): the recipient's trace
  POST /api/variant     the same plus "name": the variant YAML (extends the base, for
                        SCENARIOS_DIR/variants/) that `kimsim run` allocates alike
  POST /api/report      evaluate's body: the comparison's report.html, as `kimsim compare` writes it
  POST /api/reopen      {"variant": NAME}: a saved variant of SCENARIOS_DIR/variants/ as its base,
                        year and patch
Paths are those of `kimsim sweep` (e.g. bausteine[B2].rate_per_vza_eur); money as decimal
strings; every POST as Content-Type: application/json. Errors are JSON {path, message, hint}
with 400 (malformed JSON), 404 (unknown scenario or AGS), 413 (body too large or too deep), 415
(not sent as JSON) or 422 (anything else).

Binds 127.0.0.1 unless --bind says otherwise (with a warning: anyone who reaches the address
can use it). --port 0 picks a free port; the URL is printed. SIGINT or SIGTERM stop it.

Options)");
  int port = 8080, threads = 4;
  std::string bind = "127.0.0.1";
  visible.add_options()("help,h", "show this help")("port,p", po::value(&port), "TCP port (0: a free one)")(
      "bind", po::value(&bind), "address to listen on (default 127.0.0.1, this machine only)")(
      "threads,t", po::value(&threads), "threads answering requests (default 4)");
  std::string dir;
  const po::variables_map vm = parse_options(call.args, visible, dir);
  if (vm.count("help")) {
    call.out << visible << "\n";
    return kOk;
  }
  if (port < 0 || port > 65535) throw UsageError{"--port " + std::to_string(port) + ": expected 0 to 65535"};
  if (threads < 1 || threads > 256) throw UsageError{"--threads " + std::to_string(threads) + ": expected 1 to 256"};
  if (dir.empty()) dir = "scenarios";
  if (!std::filesystem::is_directory(dir)) throw UsageError{dir + ": not a folder of scenarios"};
  if (bind != "127.0.0.1")
    fmt::print(call.err, "kimsim serve: warning: listening on {}: anyone who reaches this address can use the server\n", bind);
  const io::WhatIf api(dir);
  io::ServerOptions options;
  options.bind = bind, options.port = static_cast<std::uint16_t>(port), options.threads = threads;
  io::serve(api, options, [&](const std::string& url) {
    fmt::print(call.out, "kimsim serve: {} on {}\n", dir, url);
    call.out.flush();
  });
  fmt::print(call.out, "kimsim serve: stopped\n");
  return kOk;
}

}  // namespace kimsim::cli
