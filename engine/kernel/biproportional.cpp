// Tie-and-transfer (Balinski & Demange 1989), as described by Maier, Zachariassen & Zachariasen
// (2010): keep every column a valid divisor apportionment at all times; move units along paths
// of ties from rows that hold too many to rows that hold too few; where no path exists, scale the
// multipliers of all rows reachable from the over-represented ones by the least factor that
// creates a new tie. Every step keeps the columns valid, and it always terminates.
//
// The multipliers are real numbers (long double). A claim and a holding within a relative 1e-12
// of each other count as tied: ties are what the algorithm creates on purpose, and a final tie is
// only ever reported, never decided silently.
#include "kimsim/biproportional.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <string>

#include "signpost.hpp"

namespace kimsim {
namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;
using real = long double;
constexpr real kTieTolerance = 1e-12L;

class Matrix {
 public:
  Matrix(const BiproportionalProblem& p, const Signposts& sp, const std::vector<i64>& row_seats)
      : p_(p), sp_(sp), R_(p.rows), C_(p.cols), rows_(row_seats), x_(R_, 1.0L), a_(R_ * C_, 0) {}

  i64& a(std::size_t i, std::size_t j) { return a_[i * C_ + j]; }
  i64 a(std::size_t i, std::size_t j) const { return a_[i * C_ + j]; }
  real w(std::size_t i, std::size_t j) const { return static_cast<real>(p_.weight[i * C_ + j]); }
  i64 min(std::size_t i, std::size_t j) const { return p_.cell_min.empty() ? 0 : p_.cell_min[i * C_ + j]; }

  /// Priority of the next unit of cell (i, j); -1 where the cell has no claim.
  real claim(std::size_t i, std::size_t j) const {
    if (p_.weight[i * C_ + j] == 0) return -1.0L;
    return w(i, j) / (x_[i] * static_cast<real>(sp_.at(a(i, j))));
  }
  /// Priority of the last unit held by cell (i, j); +inf where it cannot give one up.
  real hold(std::size_t i, std::size_t j) const {
    if (a(i, j) <= min(i, j)) return std::numeric_limits<real>::infinity();
    return w(i, j) / (x_[i] * static_cast<real>(sp_.at(a(i, j) - 1)));
  }
  static bool tied(real claim, real hold) { return claim >= hold * (1.0L - kTieTolerance); }

  // Each column apportioned on its own (one unit at a time; columns are small).
  void apportion_columns() {
    for (std::size_t j = 0; j < C_; ++j) {
      i64 left = p_.col_seats[j];
      for (std::size_t i = 0; i < R_; ++i) {
        if (p_.weight[i * C_ + j] == 0 && min(i, j) > 0)
          throw InputError("cell (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
                           ") has a minimum but no weight");
        a(i, j) = min(i, j);
        left -= a(i, j);
      }
      if (left < 0)
        throw InputError("column " + std::to_string(j + 1) + ": the cell minimums exceed its units");
      for (; left > 0; --left) {
        std::size_t best = R_;
        for (std::size_t i = 0; i < R_; ++i)
          if (claim(i, j) > 0 && (best == R_ || claim(i, j) > claim(best, j))) best = i;
        if (best == R_) throw InputError("column " + std::to_string(j + 1) + " has units but no weight");
        ++a(best, j);
      }
    }
  }

  i64 excess(std::size_t i) const {
    i64 s = 0;
    for (std::size_t j = 0; j < C_; ++j) s += a(i, j);
    return s - rows_[i];
  }

  void solve(BiproportionalResult& out) {
    apportion_columns();
    const std::size_t guard_limit = 64 * (R_ + 1) * (C_ + 1) *
        static_cast<std::size_t>(std::accumulate(rows_.begin(), rows_.end(), i64{1}));
    for (std::size_t guard = 0;; ++guard) {
      if (guard > guard_limit) throw std::logic_error("tie-and-transfer did not terminate");
      std::vector<std::size_t> over;
      for (std::size_t i = 0; i < R_; ++i)
        if (excess(i) > 0) over.push_back(i);
      if (over.empty()) break;
      // Breadth-first labelling along ties: row i reaches row k through column j when the unit
      // i holds in j ties with the claim of k in j.
      std::vector<int> label(R_, -1);  // -1 unlabelled, -2 root, else pred row * C + column
      std::queue<std::size_t> queue;
      for (auto i : over) label[i] = -2, queue.push(i);
      std::ptrdiff_t end = -1;
      while (!queue.empty() && end < 0) {
        const std::size_t i = queue.front();
        queue.pop();
        for (std::size_t j = 0; j < C_ && end < 0; ++j) {
          const real h = hold(i, j);
          if (std::isinf(h)) continue;
          for (std::size_t k = 0; k < R_; ++k) {
            if (label[k] != -1 || !tied(claim(k, j), h)) continue;
            label[k] = static_cast<int>(i * C_ + j);
            if (excess(k) < 0) {
              end = static_cast<std::ptrdiff_t>(k);
              break;
            }
            queue.push(k);
          }
        }
      }
      if (end >= 0) {  // transfer one unit along the path back to an over-represented row
        for (std::size_t k = std::size_t(end); label[k] != -2;) {
          const std::size_t i = std::size_t(label[k]) / C_, j = std::size_t(label[k]) % C_;
          --a(i, j), ++a(k, j);
          k = i;
        }
        ++out.transfers;
        continue;
      }
      // No path: scale the labelled rows down by the least factor that creates a new tie.
      real alpha = std::numeric_limits<real>::infinity();
      for (std::size_t i = 0; i < R_; ++i) {
        if (label[i] == -1) continue;
        for (std::size_t j = 0; j < C_; ++j) {
          const real h = hold(i, j);
          if (std::isinf(h)) continue;
          for (std::size_t k = 0; k < R_; ++k)
            if (label[k] == -1 && claim(k, j) > 0) alpha = std::min(alpha, h / claim(k, j));
        }
      }
      if (std::isinf(alpha))
        throw InputError("the row totals cannot be met: the over-represented rows have no unit "
                         "that another row could take (check zero weights and minimums)");
      for (std::size_t i = 0; i < R_; ++i)
        if (label[i] != -1) x_[i] *= alpha;
      ++out.scalings;
    }
  }

  /// A cycle of ties among rows means units can circulate with all sums kept: the result is
  /// not unique. Returns the cells on one such cycle, or nothing.
  std::vector<std::size_t> tie_cycle() const {
    // Edge i -> k through column j when i's last unit in j ties with k's next one.
    std::vector<int> state(R_, 0), via(R_, -1);
    std::vector<std::size_t> cycle;
    std::function<bool(std::size_t)> dfs = [&](std::size_t i) {
      state[i] = 1;
      for (std::size_t j = 0; j < C_; ++j) {
        const real h = hold(i, j);
        if (std::isinf(h)) continue;
        for (std::size_t k = 0; k < R_; ++k) {
          if (k == i || !tied(claim(k, j), h)) continue;
          if (state[k] == 1) {  // found: walk back from i to k
            cycle.push_back(i * C_ + j);
            cycle.push_back(k * C_ + j);
            for (std::size_t r = i; r != k;) {
              const std::size_t e = std::size_t(via[r]);
              cycle.push_back(e);
              cycle.push_back(r * C_ + e % C_);
              r = e / C_;
            }
            return true;
          }
          if (state[k] == 0) {
            via[k] = static_cast<int>(i * C_ + j);
            if (dfs(k)) return true;
          }
        }
      }
      state[i] = 2;
      return false;
    };
    for (std::size_t i = 0; i < R_; ++i)
      if (state[i] == 0 && dfs(i)) break;
    std::sort(cycle.begin(), cycle.end());
    cycle.erase(std::unique(cycle.begin(), cycle.end()), cycle.end());
    return cycle;
  }

  void finish(BiproportionalResult& out) const {
    out.seats = a_;
    out.row_multiplier.assign(x_.begin(), x_.end());
    out.col_divisor.assign(C_, 0.0);
    for (std::size_t j = 0; j < C_; ++j) {  // a divisor inside the column's interval
      real lo = 0, hi = std::numeric_limits<real>::infinity();
      for (std::size_t i = 0; i < R_; ++i) {
        if (p_.weight[i * C_ + j] == 0) continue;
        lo = std::max(lo, claim(i, j));
        hi = std::min(hi, hold(i, j));
      }
      out.col_divisor[j] = static_cast<double>(std::isinf(hi) ? lo : (lo + hi) / 2);
    }
  }

 private:
  const BiproportionalProblem& p_;
  const Signposts& sp_;
  std::size_t R_, C_;
  const std::vector<i64>& rows_;
  std::vector<real> x_;
  std::vector<i64> a_;
};

/// Row totals by the upper apportionment: the same rule over the row sums.
std::vector<i64> upper_apportionment(const Rule& rule, const BiproportionalProblem& p, i64 house) {
  std::vector<u64> sums(p.rows, 0);
  u64 scale = 1;  // per-seat sums: weights times lcm(col seats) / col seats stay integers
  if (p.per_seat_row_sums) {
    for (auto c : p.col_seats) {
      if (c <= 0) continue;
      scale = std::lcm(scale, static_cast<u64>(c));
      if (scale > (u64{1} << 30))
        throw InputError("the column seats are too varied for exact per-seat row sums");
    }
  }
  for (std::size_t i = 0; i < p.rows; ++i) {
    unsigned __int128 s = 0;
    for (std::size_t j = 0; j < p.cols; ++j) {
      const u64 w = p.weight[i * p.cols + j];
      if (w == 0) continue;
      if (p.per_seat_row_sums && p.col_seats[j] <= 0) continue;  // a column without seats adds no voters
      s += p.per_seat_row_sums ? static_cast<unsigned __int128>(w) * (scale / u64(p.col_seats[j])) : w;
    }
    if (s > kMaxWeight) throw InputError("the row sums exceed 2^53 (too large for exact sums)");
    sums[i] = static_cast<u64>(s);
  }
  return apportion(rule, sums, house);
}

}  // namespace

BiproportionalResult apportion_biproportional(const Rule& rule, const BiproportionalProblem& p) {
  if (rule.method != Method::dhondt && rule.method != Method::sainte_lague)
    throw InputError("biproportional apportionment supports the divisor methods dhondt and "
                     "sainte-lague");
  if (p.weight.size() != p.rows * p.cols || p.col_seats.size() != p.cols ||
      (!p.row_seats.empty() && p.row_seats.size() != p.rows) ||
      (!p.cell_min.empty() && p.cell_min.size() != p.rows * p.cols))
    throw InputError("biproportional: the matrix, totals and minimums differ in size");
  for (auto w : p.weight)
    if (w > kMaxWeight) throw InputError("a weight exceeds 2^53");
  i64 house = 0;
  for (auto c : p.col_seats) {
    if (c < 0) throw InputError("a column total is negative");
    house += c;
  }
  const Signposts sp = make_signposts(rule);
  BiproportionalResult out;
  if (p.row_seats.empty()) {
    out.row_seats = upper_apportionment(rule, p, house);
  } else {
    out.row_seats = p.row_seats;
    i64 rows = 0;
    for (auto r : p.row_seats) {
      if (r < 0) throw InputError("a row total is negative");
      rows += r;
    }
    if (rows != house)
      throw InputError("the row totals (" + std::to_string(rows) + ") and the column totals (" +
                       std::to_string(house) + ") differ");
  }
  Matrix m(p, sp, out.row_seats);
  m.solve(out);
  m.finish(out);
  const auto cycle = m.tie_cycle();
  if (!cycle.empty()) {
    Tie tie;
    tie.competitors = cycle;
    tie.units = 1;
    if (rule.ties == TiePolicy::error) {
      std::string what = "tie: units can circulate among cells";
      for (auto c : cycle)
        what += " (" + std::to_string(c / p.cols + 1) + ", " + std::to_string(c % p.cols + 1) + ")";
      what += " with all row and column totals kept: the result is not unique";
      throw TieError(std::move(what), std::move(tie));
    }
    out.tie = std::move(tie);
  }
  return out;
}

}  // namespace kimsim
