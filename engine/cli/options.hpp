// Command-line parsing shared by the subcommands: one positional argument plus the options.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace kimsim::cli {

/// Parses `args` into `visible`'s options and one positional argument written to `positional`;
/// a malformed command line becomes a UsageError.
inline boost::program_options::variables_map parse_options(
    const std::vector<std::string>& args, const boost::program_options::options_description& visible,
    std::string& positional) {
  namespace po = boost::program_options;
  po::options_description all;
  all.add(visible).add_options()("positional", po::value(&positional));
  po::positional_options_description pos;
  pos.add("positional", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  return vm;
}

/// The current time as ISO 8601 UTC, for manifests.
inline std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace kimsim::cli
