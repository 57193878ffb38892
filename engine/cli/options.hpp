// Command-line parsing shared by the subcommands: one positional argument plus the options.
#pragma once

#include <fmt/chrono.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "io/csv.hpp"
#include "io/html_report.hpp"

namespace kimsim::cli {

/// A whole-number option, checked in one place for every option that takes one: digits only,
/// within 64 bits. (Boost reads "-5" into an unsigned value as 2^64 - 5.) Ranges narrower than
/// 64 bits are the command's to check.
struct Whole {
  std::uint64_t value = 0;
};

/// Boost.Program_options' hook for reading a Whole (found by argument-dependent lookup).
inline void validate(boost::any& v, const std::vector<std::string>& values, Whole*, int) {
  namespace po = boost::program_options;
  po::validators::check_first_occurrence(v);
  const std::string& text = po::validators::get_single_string(values);
  const auto n = io::parse_whole(text);
  if (!n) {
    po::error_with_option_name e("the argument ('%value%') for option '%canonical_option%' is invalid: expected a whole "
                                 "number such as 12 (digits only, no sign, at most 20 digits)");
    e.set_substitute("value", text);
    throw e;
  }
  v = Whole{*n};
}

namespace detail {
/// Parses `args` into `visible`'s options and up to `max` positional arguments (-1: any number)
/// into `positional`; a malformed command line becomes a UsageError.
template <class Positional>
boost::program_options::variables_map parse_options(const std::vector<std::string>& args,
                                                    const boost::program_options::options_description& visible,
                                                    Positional& positional, int max) {
  namespace po = boost::program_options;
  po::options_description all;
  all.add(visible).add_options()("positional", po::value(&positional));
  po::positional_options_description pos;
  pos.add("positional", max);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  return vm;
}
}  // namespace detail

/// Parses `args` into `visible`'s options and one positional argument written to `positional`;
/// a malformed command line becomes a UsageError.
inline boost::program_options::variables_map parse_options(
    const std::vector<std::string>& args, const boost::program_options::options_description& visible,
    std::string& positional) {
  return detail::parse_options(args, visible, positional, 1);
}

/// The same with any number of positional arguments (files, a recipient, ...), in order.
inline boost::program_options::variables_map parse_options(
    const std::vector<std::string>& args, const boost::program_options::options_description& visible,
    std::vector<std::string>& positional) {
  return detail::parse_options(args, visible, positional, -1);
}

/// The year of a `--year` option (a dated value's year), where one was given: 1000 to 9999.
inline std::optional<int> year_option(const boost::program_options::variables_map& vm, const Whole& year) {
  if (!vm.count("year")) return std::nullopt;
  if (year.value < 1000 || year.value > 9999)
    throw UsageError{"--year " + std::to_string(year.value) + ": expected a year from 1000 to 9999"};
  return static_cast<int>(year.value);
}

/// The language of report.html from `--lang`: "de" or "en".
inline io::Lang lang_option(const std::string& text) {
  if (const auto l = io::parse_lang(text)) return *l;
  throw UsageError{"--lang " + text + ": expected de or en"};
}

/// The current time as ISO 8601 UTC, for manifests.
inline std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(t));
}

}  // namespace kimsim::cli
