// Typed errors of the kimsim library. The library throws; only the CLI prints and picks exit codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace kimsim {

/// Any error kimsim reports to its user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The input (arguments, file contents, bounds) cannot be used as given.
class InputError : public Error {
 public:
  using Error::Error;
};

/// Where in a file an error was found; line and column count from 1, 0 means unknown.
struct Location {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;

  /// "file:line:column", leaving out the parts that are unknown.
  std::string str() const {
    std::string s = file;
    if (file.empty()) return s;
    if (line) s.append(":").append(std::to_string(line));
    if (line && column) s.append(":").append(std::to_string(column));
    return s;
  }
};

/// An input error at a known place in a file.
class LocatedError : public InputError {
 public:
  /// `path`: the key path of the value the error is about ("bausteine[B2].budget_eur"), where it
  /// is about one.
  LocatedError(Location where, const std::string& what, std::string path = {})
      : InputError(where.file.empty() ? what : where.str() + ": " + what), where_(std::move(where)), path_(std::move(path)),
        unlocated_(what) {}
  const Location& where() const noexcept { return where_; }
  /// The key path of the refused value; "" where the error names none.
  const std::string& path() const noexcept { return path_; }
  /// The message without its place: for a caller that knows a better one than the file that set
  /// the value (the what-if server names the patch entry that replaced it).
  const std::string& unlocated() const noexcept { return unlocated_; }

 private:
  Location where_;
  std::string path_, unlocated_;
};

/// A tie for the last units that the active tie policy refuses to decide.
struct Tie {
  std::vector<std::size_t> competitors;  ///< input indices of the tied recipients, ascending
  std::int64_t units = 0;                ///< how many units they compete for (< competitors.size())
  double divisor = 0.0;  ///< divisor methods: the only divisor left (informative); 0 for Hamilton
};

class TieError : public Error {
 public:
  /// `path`: where a rule refuses the tie, the key path of its tie policy
  /// ("bausteine[B2].positions_by_key.ties").
  TieError(std::string what, Tie tie, std::string path = {}) : Error(std::move(what)), tie_(std::move(tie)), path_(std::move(path)) {}
  const Tie& tie() const noexcept { return tie_; }
  /// The key path of the tie policy that refused to decide; "" where no rule's policy is known.
  const std::string& path() const noexcept { return path_; }

 private:
  Tie tie_;
  std::string path_;
};

}  // namespace kimsim
