// Writing results: every output goes through write_atomically(), so that a run either leaves a
// complete result or none, and never damages the previous one.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kimsim/model.hpp"

namespace kimsim::io {

/// Writes the named files into a fresh sibling folder, then swaps it in place of `dir` by
/// rename. On any failure the temporary folder is removed and `dir` stays as it was.
void write_atomically(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);

/// "1234.50" from 123450 cents.
std::string format_euros(Cents cents);
/// "3.5" from 7 half positions.
std::string format_positions(Halves halves);

}  // namespace kimsim::io
