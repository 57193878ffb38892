// Biproportional apportionment: a matrix of units (rows x columns, e.g. parties x districts or
// regions x Bausteine) whose row and column sums are fixed, each cell rounded from its weight by
// one divisor method with a row multiplier and a column divisor: a_ij = round(w_ij / (x_i y_j)).
//
// References: M. L. Balinski, G. Demange, "Algorithms for proportional matrices in reals and
// integers", Math. Programming 45 (1989); F. Pukelsheim, "Proportional Representation" (2017),
// ch. 14-15; S. Maier, P. Zachariassen, M. Zachariasen, "Divisor-based biproportional
// apportionment in electoral systems: a real-life benchmark study", Management Science 56 (2010).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kimsim/apportion.hpp"

namespace kimsim {

/// The largest matrix accepted (rows x columns). The time grows with rows x columns x (rows +
/// columns): 300 x 300 takes about 1 s on a shared 2-core machine, 500 x 500 about 4 s; beyond
/// this a request is refused up front with an estimate instead of running for minutes.
inline constexpr std::size_t kMaxBiproportionalCells = 250'000;

/// Why a matrix of `rows` x `cols` is refused (above kMaxBiproportionalCells, with an estimate of
/// the time it would take); "" when its size is fine. Checked before the matrix is built.
std::string biproportional_size_problem(std::size_t rows, std::size_t cols);

struct BiproportionalProblem {
  std::size_t rows = 0, cols = 0;
  std::vector<std::uint64_t> weight;     ///< rows * cols, row-major; 0 = no claim in that cell
  std::vector<std::int64_t> col_seats;   ///< given column totals
  std::vector<std::int64_t> row_seats;   ///< given row totals; empty: the upper apportionment
  std::vector<std::int64_t> cell_min;    ///< empty, or rows * cols minimums
  /// Upper apportionment over each row's sum of weight / column seats (the Swiss
  /// "Wählerzahlen", which let districts of different size count alike), instead of plain sums.
  bool per_seat_row_sums = false;
};

/// A tie among rows for the row totals that the policy 'error' refuses to decide (competitors are
/// row indices; a TieError of the matrix names cells).
class RowTieError : public TieError {
 public:
  using TieError::TieError;
};

struct BiproportionalResult {
  std::vector<std::int64_t> seats;       ///< rows * cols
  std::vector<std::int64_t> row_seats;   ///< the row totals used (given or apportioned)
  std::vector<double> row_multiplier;    ///< x_i, informative
  std::vector<double> col_divisor;       ///< y_j, informative: the middle of the column's interval
  /// A tie resolved by policy: competitors are the row-major indices of the cells units can
  /// circulate among, units how many of them hold one in the result.
  std::optional<Tie> tie;
  /// A tie among rows for the row totals (their apportionment by the row sums) resolved by
  /// policy: competitors are row indices.
  std::optional<Tie> row_tie;
  int transfers = 0, scalings = 0;
  int repairs = 0;  ///< cycles the exact proof found and cancelled in the float proposal
};

/// Apportions the matrix with the rule's divisor method (D'Hondt or Sainte-Laguë, optionally
/// with a modified first signpost): proposed by tie-and-transfer in floating point, then proven
/// (and where needed repaired) exactly. Throws InputError when the totals cannot be met,
/// TieError when the result is not unique under TiePolicy::error. Under TiePolicy::order the
/// tied cells get the contested units in row-major order (the first tied cell gets one if any
/// valid result gives it one, then the next, ...); under TiePolicy::lot in an order drawn from
/// the rule's seed.
BiproportionalResult apportion_biproportional(const Rule& rule, const BiproportionalProblem& p);

}  // namespace kimsim
