// Biproportional apportionment in two phases.
//
// 1. Proposal, in floating point (long double): multipliers from a continuous fit (iterative
//    proportional fitting), every column apportioned on its own, then tie-and-transfer
//    (Balinski & Demange 1989, as described by Maier, Zachariassen & Zachariasen 2010): move units
//    along paths of ties from rows that hold too many to rows that hold too few; where no path
//    exists, scale the multipliers of all rows reachable from the over-represented ones by the least
//    factor that creates a new tie. A claim and a holding within a relative 1e-12 count as tied
//    here, because the ties this phase creates on purpose are equal only up to rounding.
//
// 2. Proof, exact. A matrix whose column sums are right admits multipliers exactly when its
//    constraint graph (row and column nodes, one edge per cell bound: claim w/(x_i s(a)) <= D_j and
//    holding w/(x_i s(a-1)) >= D_j) has no cycle whose product of factors is below 1, and it is the
//    only such matrix when it has no cycle of product exactly 1 either. Cycle weights do not depend
//    on the multipliers, so the float ones only serve to find where to look: every edge whose
//    float slack exceeds a margin tau (sized from the rounding error and the longest cycle) lies on
//    no cycle of product <= 1. Only the strongly connected components of the remaining, nearly
//    tight edges are examined exactly (Bellman-Ford over rationals); usually there are none. A
//    cycle below 1 is cancelled (its units moved, which strictly improves the result) and the proof
//    starts over; cycles of product 1 are the ties, decided by the policy or reported.
#include "kimsim/biproportional.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
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
using Int = boost::multiprecision::cpp_int;
constexpr real kTieTolerance = 1e-12L;  // proposal phase only
constexpr real kInf = std::numeric_limits<real>::infinity();

class Matrix {
 public:
  Matrix(const BiproportionalProblem& p, const Signposts& sp, const std::vector<i64>& row_seats)
      : p_(p), sp_(sp), R_(p.rows), C_(p.cols), rows_(row_seats), x_(R_, 1.0L), a_(R_ * C_, 0),
        sum_(R_, 0), claim_(R_ * C_), hold_(R_ * C_) {}

  i64 min(std::size_t c) const { return p_.cell_min.empty() ? 0 : p_.cell_min[c]; }
  real s(i64 k) const { return static_cast<real>(sp_.at(k)); }

  /// Recomputes the cached priorities of cell c = i*C+j: the claim of its next unit (-1 without
  /// weight) and the holding of its last one (+inf where it cannot give one up).
  void refresh(std::size_t c) {
    const u64 w = p_.weight[c];
    const real x = x_[c / C_];
    claim_[c] = w == 0 ? -1.0L : static_cast<real>(w) / (x * s(a_[c]));
    hold_[c] = a_[c] <= min(c) ? kInf : static_cast<real>(w) / (x * s(a_[c] - 1));
  }
  void refresh_all() {
    for (std::size_t c = 0; c < R_ * C_; ++c) refresh(c);
  }
  void move(std::size_t c, i64 d) {
    a_[c] += d;
    sum_[c / C_] += d;
    refresh(c);
  }
  /// The divisor method's rounding of q (the smallest k with s(k) >= q), at most `total`.
  i64 rounded(real q, i64 total) const {
    i64 k = q >= real(total) ? total : static_cast<i64>(q);
    while (k > 0 && s(k - 1) >= q) --k;
    while (k < total && s(k) < q) ++k;
    return k;
  }
  static bool tied(real claim, real hold) { return claim >= hold * (1.0L - kTieTolerance); }

  // ---- phase 1: the proposal ----------------------------------------------------------------

  /// Multipliers of the continuous problem (sum_j w/(x_i y_j) = r_i, sum_i ... = c_j): rounding
  /// them leaves each row a few units off, where starting from x = 1 leaves it hundreds off on a
  /// large matrix, each unit a transfer.
  std::vector<real> fit() {
    std::vector<real> y(C_, 1.0L);
    for (int it = 0; it < 50; ++it) {
      for (std::size_t j = 0; j < C_; ++j) {
        real sum = 0;
        for (std::size_t i = 0; i < R_; ++i) sum += static_cast<real>(p_.weight[i * C_ + j]) / x_[i];
        y[j] = sum > 0 ? sum / std::max<real>(real(p_.col_seats[j]), 0.25L) : 1.0L;
      }
      real worst = 0;
      for (std::size_t i = 0; i < R_; ++i) {
        real sum = 0;
        for (std::size_t j = 0; j < C_; ++j) sum += static_cast<real>(p_.weight[i * C_ + j]) / y[j];
        if (sum <= 0) continue;
        const real target = std::max<real>(real(rows_[i]), 0.25L), now = sum / x_[i];
        worst = std::max(worst, std::fabs(now / target - 1));
        x_[i] = sum / target;
      }
      if (worst < 1e-4L) break;
    }
    return y;
  }

  /// Each column apportioned on its own under the current multipliers, starting from the rounding
  /// at the fitted divisor y_j and stepping one unit at a time to the column total.
  void apportion_columns(const std::vector<real>& y) {
    std::fill(sum_.begin(), sum_.end(), 0);
    for (std::size_t j = 0; j < C_; ++j) {
      const i64 total = p_.col_seats[j];
      i64 left = total;
      bool weight = false;
      for (std::size_t i = 0; i < R_; ++i) {
        const std::size_t c = i * C_ + j;
        if (p_.weight[c] == 0 && min(c) > 0)
          throw InputError("cell (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
                           ") has a minimum but no weight");
        left -= min(c);
        weight |= p_.weight[c] > 0;
      }
      if (left < 0)
        throw InputError("column " + std::to_string(j + 1) + ": the cell minimums exceed its units");
      if (left > 0 && !weight)
        throw InputError("column " + std::to_string(j + 1) + " has units but no weight");
      i64 sum = 0;
      for (std::size_t i = 0; i < R_; ++i) {
        const std::size_t c = i * C_ + j;
        i64 k = 0;
        if (p_.weight[c] > 0) {
          const real q = static_cast<real>(p_.weight[c]) / (x_[i] * y[j]);
          k = rounded(q, total);
          // A quotient on a signpost up to the tolerance is a tie for that unit: the stepping
          // below decides it, among the other cells of the column tied with it.
          if (k > 0 && q <= s(k - 1) * (1.0L + kTieTolerance)) --k;
        }
        a_[c] = std::max(k, min(c));
        sum += a_[c], sum_[i] += a_[c];
        refresh(c);
      }
      // Among claims (holdings) tied up to the tolerance, the row furthest below (above) its total
      // so far takes (gives) the unit. Any choice is a valid column; this one keeps the rows
      // balanced where the weights do not decide, so that a matrix of many ties does not start
      // thousands of transfers away from its row totals (each transfer a search of the matrix).
      const auto need = [&](std::size_t i) { return rows_[i] - sum_[i]; };
      for (; sum < total; ++sum) {  // the strongest claim gets the next unit
        std::size_t best = R_;
        for (std::size_t i = 0; i < R_; ++i)
          if (claim_[i * C_ + j] > 0 && (best == R_ || claim_[i * C_ + j] > claim_[best * C_ + j])) best = i;
        const real top = claim_[best * C_ + j];
        for (std::size_t i = 0; i < R_; ++i)
          if (claim_[i * C_ + j] > 0 && tied(claim_[i * C_ + j], top) && need(i) > need(best)) best = i;
        ++a_[best * C_ + j], ++sum_[best];
        refresh(best * C_ + j);
      }
      for (; sum > total; --sum) {  // the weakest holding gives one up
        std::size_t worst = 0;
        for (std::size_t i = 1; i < R_; ++i)
          if (hold_[i * C_ + j] < hold_[worst * C_ + j]) worst = i;
        const real low = hold_[worst * C_ + j];
        for (std::size_t i = 0; i < R_; ++i)
          if (!std::isinf(hold_[i * C_ + j]) && tied(low, hold_[i * C_ + j]) && need(i) < need(worst)) worst = i;
        --a_[worst * C_ + j], --sum_[worst];
        refresh(worst * C_ + j);
      }
    }
  }

  // The labelling of one phase of tie-and-transfer (until the next transfer). Scaling the labelled
  // rows is lazy: their cached priorities are stored as of the moment they were labelled, and the
  // true value is the stored one times shrink / at[i] (the product of the scalings since); a
  // scaling then costs O(C) instead of O(labelled rows x C).
  struct Labels {
    std::vector<std::ptrdiff_t> label;  // -1 unlabelled, -2 root, else pred row * C + column
    std::vector<real> at;               // per labelled row: `shrink` when it was labelled
    std::vector<std::size_t> queue;
    std::size_t head = 0;
    real shrink = 1;
    std::vector<real> top, low, seen;   // per column: strongest unlabelled claim, weakest labelled
    // per column: how many unlabelled rows claim exactly `top` (rows of equal weights do: the top
    // moves only when the last of them joins, not at every join), the row of the weakest holding
    std::vector<std::size_t> top_count, low_row;
  };

  void top_of(Labels& l, std::size_t j) const {
    l.top[j] = -1, l.top_count[j] = 0;
    for (std::size_t i = 0; i < R_; ++i) {
      if (l.label[i] != -1) continue;
      if (claim_[i * C_ + j] > l.top[j]) l.top[j] = claim_[i * C_ + j], l.top_count[j] = 0;
      l.top_count[j] += claim_[i * C_ + j] == l.top[j];
    }
  }

  void join(Labels& l, std::size_t k, std::ptrdiff_t from) const {
    const bool counted = l.label[k] == -1;  // not a root (labelled before the tops were taken)
    l.label[k] = from;
    l.at[k] = l.shrink;
    l.queue.push_back(k);
    for (std::size_t j = 0; j < C_; ++j) {
      if (hold_[k * C_ + j] < l.low[j]) l.low[j] = hold_[k * C_ + j], l.low_row[j] = k;
      if (counted && l.top[j] > 0 && claim_[k * C_ + j] == l.top[j] && --l.top_count[j] == 0) top_of(l, j);
    }
  }

  /// Labels every unlabelled row whose claim in column j ties with the holding h of row i.
  /// Returns a row that holds too few, reached, or -1.
  std::ptrdiff_t reach(Labels& l, std::size_t i, std::size_t j, real h) const {
    for (std::size_t k = 0; k < R_; ++k) {
      if (l.label[k] != -1 || !tied(claim_[k * C_ + j], h)) continue;
      join(l, k, std::ptrdiff_t(i * C_ + j));
      if (sum_[k] < rows_[k]) return std::ptrdiff_t(k);
    }
    return -1;
  }

  /// Breadth-first labelling along ties from the queue: row i reaches row k through column j when
  /// the unit i holds in j ties with the claim of k in j. A column scanned from a holding needs no
  /// scan from a stronger one (it reaches no other claim).
  std::ptrdiff_t search(Labels& l) const {
    for (; l.head < l.queue.size(); ++l.head) {
      const std::size_t i = l.queue[l.head];
      const real f = l.shrink / l.at[i];
      for (std::size_t j = 0; j < C_; ++j) {
        const real h = hold_[i * C_ + j] * f;
        if (h >= l.seen[j] || !tied(l.top[j], h)) continue;
        l.seen[j] = h;
        if (const auto end = reach(l, i, j, h); end >= 0) return end;
      }
    }
    return -1;
  }

  /// How many units the rows hold beyond (or short of) their totals, together.
  i64 imbalance() const {
    i64 off = 0;
    for (std::size_t i = 0; i < R_; ++i) off += std::abs(sum_[i] - rows_[i]);
    return off;
  }

  /// The middle of each column's interval of divisors under the current matrix: between the
  /// strongest claim of a unit it did not give and the weakest holding of one it did.
  std::vector<real> column_divisors() const {
    std::vector<real> y(C_);
    for (std::size_t j = 0; j < C_; ++j) {
      real lo = 0, hi = kInf;
      for (std::size_t i = 0; i < R_; ++i) {
        lo = std::max(lo, claim_[i * C_ + j]);
        hi = std::min(hi, hold_[i * C_ + j]);
      }
      y[j] = std::isinf(hi) ? (lo > 0 ? lo : 1.0L) : lo > 0 ? (lo + hi) / 2 : hi / 2;
    }
    return y;
  }

  /// Each row apportioned on its own among its cells under the column divisors y, and its
  /// multiplier set to the middle of the row's interval (the half-step of alternating scaling
  /// that apportion_columns() completes). Where a row's cells tie, the interval is a point and
  /// the row's claims sit exactly on their signposts: apportion_columns() then sees the ties and
  /// spreads the units over the rows that need them.
  void fit_rows(const std::vector<real>& y) {
    std::vector<i64> a(C_);
    std::vector<real> omega(C_);
    for (std::size_t i = 0; i < R_; ++i) {
      const i64 total = rows_[i];
      i64 sum = 0;
      for (std::size_t j = 0; j < C_; ++j) {
        const std::size_t c = i * C_ + j;
        omega[j] = static_cast<real>(p_.weight[c]) / y[j];
        i64 k = 0;
        if (p_.weight[c] > 0) {
          k = rounded(omega[j] / x_[i], total);
        }
        a[j] = std::max(k, min(c)), sum += a[j];
      }
      const auto claim = [&](std::size_t j) { return p_.weight[i * C_ + j] == 0 ? -1.0L : omega[j] / s(a[j]); };
      const auto hold = [&](std::size_t j) { return a[j] <= min(i * C_ + j) ? kInf : omega[j] / s(a[j] - 1); };
      for (; sum < total; ++sum) {
        std::size_t best = C_;
        for (std::size_t j = 0; j < C_; ++j)
          if (claim(j) > 0 && (best == C_ || claim(j) > claim(best))) best = j;
        if (best == C_) break;  // the row cannot take its total: tie-and-transfer reports it
        ++a[best];
      }
      for (; sum > total; --sum) {
        std::size_t worst = C_;
        for (std::size_t j = 0; j < C_; ++j)
          if (!std::isinf(hold(j)) && (worst == C_ || hold(j) < hold(worst))) worst = j;
        if (worst == C_) break;
        --a[worst];
      }
      real lo = 0, hi = kInf;
      for (std::size_t j = 0; j < C_; ++j) lo = std::max(lo, claim(j)), hi = std::min(hi, hold(j));
      if (lo > 0 && !std::isinf(hi) && lo <= hi) x_[i] = (lo + hi) / 2;
      else if (lo > 0 && std::isinf(hi)) x_[i] = 2 * lo;
      else if (lo <= 0 && !std::isinf(hi)) x_[i] = hi / 2;
    }
  }

  void propose(BiproportionalResult& out) {
    // Alternating scaling from the continuous fit: rows, then columns, while the rows come closer
    // to their totals. It brings a matrix of many ties (rank one, equal blocks) to its totals or
    // next to them, where starting from the columns alone left it thousands of transfers away.
    std::vector<real> y = fit();
    apportion_columns(y);
    for (int round = 0; round < 8 && imbalance() > 0; ++round) {
      const i64 before = imbalance();
      const std::vector<real> x = x_;
      const std::vector<i64> a = a_;
      y = column_divisors();
      fit_rows(y);
      apportion_columns(y);
      if (imbalance() < before) continue;
      x_ = x, a_ = a;  // no better: back to the previous matrix
      refresh_all();
      for (std::size_t i = 0; i < R_; ++i) sum_[i] = std::accumulate(a_.begin() + std::ptrdiff_t(i * C_), a_.begin() + std::ptrdiff_t((i + 1) * C_), i64{0});
      break;
    }
    const std::size_t guard_limit = 64 * (R_ + 1) * (C_ + 1) *
        static_cast<std::size_t>(std::accumulate(rows_.begin(), rows_.end(), i64{1}));
    Labels l;
    l.label.resize(R_), l.at.resize(R_);
    l.top.resize(C_), l.low.resize(C_), l.seen.resize(C_), l.top_count.resize(C_), l.low_row.resize(C_);
    for (std::size_t guard = 0;; ++guard) {
      if (guard > guard_limit) throw std::logic_error("tie-and-transfer did not terminate");
      std::fill(l.label.begin(), l.label.end(), -1);
      l.queue.clear(), l.head = 0, l.shrink = 1;
      std::fill(l.low.begin(), l.low.end(), kInf);
      std::fill(l.seen.begin(), l.seen.end(), kInf);
      std::vector<std::size_t> roots;
      for (std::size_t i = 0; i < R_; ++i)
        if (sum_[i] > rows_[i]) roots.push_back(i), l.label[i] = -2;
      if (roots.empty()) break;
      for (std::size_t j = 0; j < C_; ++j) top_of(l, j);
      for (auto i : roots) join(l, i, -2);
      std::ptrdiff_t end = search(l);
      while (end < 0) {
        if (++guard > guard_limit) throw std::logic_error("tie-and-transfer did not terminate");
        // No path: scale the labelled rows down by the least factor that creates a new tie, the
        // weakest labelled holding over the strongest unlabelled claim of a column. Ties among
        // labelled rows survive (they are scaled alike), so the labelling continues from the rows
        // that the new ties reach.
        real alpha = kInf;
        for (std::size_t j = 0; j < C_; ++j)
          if (l.top[j] > 0 && !std::isinf(l.low[j])) alpha = std::min(alpha, l.low[j] / l.top[j]);
        if (std::isinf(alpha))
          throw InputError("the row totals cannot be met: the over-represented rows have no unit "
                           "that another row could take (check zero weights and minimums)");
        l.shrink /= alpha;
        for (std::size_t j = 0; j < C_; ++j) l.low[j] /= alpha, l.seen[j] /= alpha;
        ++out.scalings;
        for (std::size_t j = 0; j < C_ && end < 0; ++j)
          if (tied(l.top[j], l.low[j])) end = reach(l, l.low_row[j], j, l.low[j]);
        if (end < 0) end = search(l);
      }
      for (std::size_t i = 0; i < R_; ++i) {  // the lazy scaling made real
        if (l.label[i] == -1 || l.shrink == l.at[i]) continue;
        const real f = l.shrink / l.at[i];
        x_[i] /= f;
        for (std::size_t c = i * C_; c < (i + 1) * C_; ++c) claim_[c] *= f, hold_[c] *= f;
      }
      // transfer one unit along the path back to an over-represented row
      for (std::size_t k = std::size_t(end); l.label[k] != -2;) {
        const std::size_t i = std::size_t(l.label[k]) / C_, j = std::size_t(l.label[k]) % C_;
        move(i * C_ + j, -1), move(k * C_ + j, +1);
        k = i;
      }
      ++out.transfers;
    }
  }

  // ---- phase 2: the exact proof -------------------------------------------------------------

  // Nodes: rows 0..R-1, columns R..R+C-1. An edge relaxes `to` from `from`: a claim edge of cell
  // (k, j) runs k -> j (1/D_j <= x_k s(a)/w), a holding edge of (i, j) runs j -> i
  // (x_i <= (1/D_j) w/s(a-1)).
  struct Edge {
    std::size_t from, to, cell;
    bool hold;
  };

  /// A positive rational as a pair of big integers, never reduced: the exact potentials are the
  /// float ones (exact binary fractions) times products of at most R + C factors, so they stay
  /// small enough that a gcd would cost more than it saves.
  struct Frac {
    Int n, d;
  };
  static Frac times(const Frac& a, const Frac& b) { return {a.n * b.n, a.d * b.d}; }
  static int compare(const Frac& a, const Frac& b) {
    const Int l = a.n * b.d, r = b.n * a.d;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  static Frac exactly(real v) {  // v > 0 finite: mantissa * 2^exponent, both exact
    int e = 0;
    const real m = std::frexp(v, &e);
    Frac f{Int(static_cast<u64>(std::ldexp(m, 64))), Int(1)};
    e -= 64;
    if (e >= 0) f.n <<= e;
    else f.d <<= -e;
    return f;
  }

  Frac factor(const Edge& e) const {
    const Int w(p_.weight[e.cell]);
    if (!e.hold) {
      const Ratio r = sp_.exact(a_[e.cell]);
      return {Int(r.num), Int(r.den) * w};
    }
    const Ratio r = sp_.exact(a_[e.cell] - 1);
    return {w * r.den, Int(r.num)};
  }

  /// Strongly connected components (Tarjan) of the graph on `n` nodes; comp[v] per node.
  static std::vector<int> components(std::size_t n, const std::vector<Edge>& edges) {
    std::vector<std::vector<std::size_t>> out(n);
    for (std::size_t e = 0; e < edges.size(); ++e) out[edges[e].from].push_back(e);
    std::vector<int> comp(n, -1), index(n, -1), low(n, 0);
    std::vector<bool> on(n, false);
    std::vector<std::size_t> stack;
    int counter = 0, ncomp = 0;
    std::function<void(std::size_t)> visit = [&](std::size_t v) {
      index[v] = low[v] = counter++;
      stack.push_back(v), on[v] = true;
      for (auto e : out[v]) {
        const std::size_t u = edges[e].to;
        if (index[u] < 0) visit(u), low[v] = std::min(low[v], low[u]);
        else if (on[u]) low[v] = std::min(low[v], index[u]);
      }
      if (low[v] == index[v]) {
        for (std::size_t u = n; u != v;) {
          u = stack.back();
          stack.pop_back(), on[u] = false;
          comp[u] = ncomp;
        }
        ++ncomp;
      }
    };
    for (std::size_t v = 0; v < n; ++v)
      if (index[v] < 0) visit(v);
    return comp;
  }

  /// Edges that lie on a cycle: both ends in one strongly connected component.
  static std::vector<Edge> cyclic(std::size_t n, const std::vector<Edge>& edges) {
    const auto comp = components(n, edges);
    std::vector<Edge> kept;
    for (const auto& e : edges)
      if (comp[e.from] == comp[e.to]) kept.push_back(e);
    return kept;
  }

  /// The nearly tight edges that lie on cycles, the only places a cycle of product <= 1 can be.
  std::vector<Edge> suspects() {
    refresh_all();  // fresh, unscaled priorities: the error bound below assumes one rounding each
    std::vector<real> top(C_, 0.0L), bottom(C_, kInf);
    auto& inv_divisor = inv_divisor_;
    inv_divisor.assign(C_, 1.0L);
    for (std::size_t c = 0; c < R_ * C_; ++c) {
      top[c % C_] = std::max(top[c % C_], claim_[c]);
      bottom[c % C_] = std::min(bottom[c % C_], hold_[c]);
    }
    real slack = 0;  // the least float slack of any edge under the divisors below (may be < 0)
    for (std::size_t j = 0; j < C_; ++j) {
      const bool claims = top[j] > 0, holds = !std::isinf(bottom[j]);
      if (claims && holds) {
        inv_divisor[j] = 1 / std::sqrt(top[j] * bottom[j]);  // the middle of the interval
        slack = std::min(slack, std::log(bottom[j] / top[j]) / 2);
      } else if (claims) {
        inv_divisor[j] = 1 / (2 * top[j]);
      } else if (holds) {
        inv_divisor[j] = 2 / bottom[j];
      }
    }
    // Each priority is a quotient of a weight (exact) and a product of x and s (s(0) of a modified
    // rule is a rounded double): its log is off by well under 1e-15. A cycle has at most R + C
    // edges, so one edge of slack above tau outweighs the deficit of all the others.
    constexpr real delta = 1e-15L;
    const real tau = 2 * real(R_ + C_ + 1) * (delta - slack) + delta;
    std::vector<Edge> edges;
    for (std::size_t c = 0; c < R_ * C_; ++c) {
      const std::size_t i = c / C_, j = c % C_;
      if (claim_[c] > 0 && -std::log(claim_[c] * inv_divisor[j]) < tau) edges.push_back({i, R_ + j, c, false});
      if (!std::isinf(hold_[c]) && std::log(hold_[c] * inv_divisor[j]) < tau) edges.push_back({R_ + j, i, c, true});
    }
    return cyclic(R_ + C_, edges);
  }

  /// Exact Bellman-Ford over the suspect edges. Returns a cycle of product < 1 (its edges), or
  /// nothing and the tight edges (product exactly 1 under the potentials found) that lie on cycles.
  std::vector<Edge> exact_cycles(const std::vector<Edge>& edges, std::vector<Edge>& tight) const {
    const std::size_t n = R_ + C_;
    // Start from the float potentials (most edges hold already) and relax queue-wise.
    std::vector<Frac> pot(n), f;
    std::vector<std::vector<std::size_t>> out(n);
    std::vector<bool> queued(n, false);
    std::vector<std::size_t> relaxed(n, 0);
    std::vector<std::ptrdiff_t> pred(n, -1);
    std::queue<std::size_t> queue;
    std::size_t nodes = 0;
    for (std::size_t k = 0; k < edges.size(); ++k) {
      f.push_back(factor(edges[k]));
      const std::size_t u = edges[k].from;
      out[u].push_back(k);
      if (queued[u]) continue;
      pot[u] = exactly(u < R_ ? x_[u] : inv_divisor_[u - R_]);
      queued[u] = true, queue.push(u), ++nodes;
    }
    // The count of relaxations only suggests a cycle of product below 1; the predecessors prove
    // it: walking back from `v` must not reach the start of every path (a node without one).
    const auto on_cycle = [&](std::size_t v) {
      for (std::size_t k = 0; k <= nodes; ++k) {
        if (pred[v] < 0) return false;
        v = edges[std::size_t(pred[v])].from;
      }
      return true;
    };
    std::ptrdiff_t bad = -1;
    while (!queue.empty() && bad < 0) {
      const std::size_t u = queue.front();
      queue.pop(), queued[u] = false;
      for (const std::size_t k : out[u]) {
        const std::size_t v = edges[k].to;
        Frac t = times(pot[u], f[k]);
        if (compare(t, pot[v]) >= 0) continue;
        pot[v] = std::move(t), pred[v] = std::ptrdiff_t(k);
        if (++relaxed[v] >= nodes && on_cycle(v)) {  // relaxed more often than any shortest path needs
          bad = std::ptrdiff_t(v);
          break;
        }
        if (!queued[v]) queued[v] = true, queue.push(v);
      }
    }
    if (bad >= 0) {  // the predecessors hold a cycle of product below 1
      std::size_t v = std::size_t(bad);
      for (std::size_t k = 0; k < nodes; ++k) v = edges[std::size_t(pred[v])].from;
      std::vector<Edge> cycle;
      Frac product{Int(1), Int(1)};
      for (std::size_t u = v;;) {
        const std::size_t k = std::size_t(pred[u]);
        cycle.push_back(edges[k]), product = times(product, f[k]);
        u = edges[k].from;
        if (u == v) break;
      }
      if (compare(product, Frac{Int(1), Int(1)}) >= 0) throw std::logic_error("biproportional: no cycle below 1");
      return cycle;
    }
    std::vector<Edge> zero;
    for (std::size_t k = 0; k < edges.size(); ++k)
      if (compare(times(pot[edges[k].from], f[k]), pot[edges[k].to]) == 0) zero.push_back(edges[k]);
    tight = cyclic(n, zero);
    return {};
  }

  /// Proves the proposal exact, repairing it where it is not. Returns the cells of the ties: for
  /// each, whether it holds the contested unit (its holding edge is tight) or claims it.
  std::vector<std::pair<std::size_t, bool>> prove(BiproportionalResult& out) {
    for (std::size_t guard = 0;; ++guard) {
      if (guard > 16 * (R_ + 1) * (C_ + 1)) throw std::logic_error("biproportional repair did not terminate");
      const auto edges = suspects();
      if (edges.empty()) return {};
      std::vector<Edge> tight;
      const auto cycle = exact_cycles(edges, tight);
      if (cycle.empty()) {
        std::vector<std::pair<std::size_t, bool>> cells;
        for (const auto& e : tight) cells.emplace_back(e.cell, e.hold);
        std::sort(cells.begin(), cells.end());
        cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
        return cells;
      }
      for (const auto& e : cycle) move(e.cell, e.hold ? -1 : +1);  // strictly better
      ++out.repairs;
    }
  }

  /// Among the equally valid results, the one that gives the contested units to the tied cells in
  /// `priority` order: the first gets one if any valid result gives it one, then the next (given
  /// the first), and so on. Moves units along cycles of tied cells (every such cycle keeps the
  /// result valid: its product is exactly 1). Returns how many tied cells hold a unit.
  i64 decide(const std::vector<std::pair<std::size_t, bool>>& cells, const std::vector<std::size_t>& priority) {
    const std::size_t n = cells.size();
    std::vector<bool> high(n), fixed(n, false);
    std::vector<std::vector<std::size_t>> in_row(R_), in_col(C_);
    std::vector<std::ptrdiff_t> at(R_ * C_, -1);  // cell -> its index among the tied cells
    // Tied cells that hold a unit and are not decided yet: what a row can give up, and what a
    // column can take a unit from. Zero makes a search pointless (most of them, in a matrix of
    // many ties, once the first decisions are made).
    std::vector<std::size_t> free_in_row(R_, 0), free_in_col(C_, 0);
    const auto count = [&](std::size_t u, int d) {
      if (!high[u] || fixed[u]) return;
      free_in_row[cells[u].first / C_] += std::size_t(d), free_in_col[cells[u].first % C_] += std::size_t(d);
    };
    for (std::size_t t = 0; t < n; ++t) {
      high[t] = cells[t].second;
      in_row[cells[t].first / C_].push_back(t);
      in_col[cells[t].first % C_].push_back(t);
      at[cells[t].first] = std::ptrdiff_t(t);
      count(t, +1);
    }
    std::vector<std::ptrdiff_t> via(R_);  // the tied cell a row was reached through (it takes)
    std::vector<std::ptrdiff_t> gave(R_);  // the tied cell the predecessor gave from
    std::vector<bool> seen(R_), expanded(C_);
    std::vector<std::size_t> queue;
    for (const std::size_t t : priority) {
      count(t, -1);
      fixed[t] = true;
      if (high[t]) continue;
      const std::size_t k = cells[t].first / C_, j = cells[t].first % C_;
      if (free_in_row[k] == 0 || free_in_col[j] == 0) continue;
      // Breadth-first from row k, which must give a unit up elsewhere, to a row that can give one
      // in column j. A column is expanded once: the rows it reaches do not depend on the cell it
      // was entered through, so each search costs O(tied cells).
      std::fill(seen.begin(), seen.end(), false);
      std::fill(expanded.begin(), expanded.end(), false);
      queue.assign(1, k), seen[k] = true;
      std::ptrdiff_t end = -1, end_cell = -1;
      for (std::size_t head = 0; head < queue.size() && end < 0; ++head) {
        for (const std::size_t g : in_row[queue[head]]) {
          const std::size_t c = cells[g].first % C_;
          if (!high[g] || fixed[g] || expanded[c]) continue;
          expanded[c] = true;
          for (const std::size_t h : in_col[c]) {
            const std::size_t m = cells[h].first / C_;
            if (high[h] || fixed[h] || seen[m]) continue;
            seen[m] = true, via[m] = std::ptrdiff_t(h), gave[m] = std::ptrdiff_t(g);
            if (const auto e = at[m * C_ + j]; e >= 0 && high[std::size_t(e)] && !fixed[std::size_t(e)]) {
              end = std::ptrdiff_t(m), end_cell = e;
              break;
            }
            queue.push_back(m);
          }
          if (end >= 0) break;
        }
      }
      if (end < 0) continue;
      auto flip = [&](std::size_t u) {
        count(u, -1);
        high[u] = !high[u];
        count(u, +1);
        move(cells[u].first, high[u] ? +1 : -1);
      };
      flip(t), flip(std::size_t(end_cell));
      for (std::size_t m = std::size_t(end); m != k;) {
        flip(std::size_t(via[m])), flip(std::size_t(gave[m]));
        m = cells[std::size_t(gave[m])].first / C_;
      }
    }
    return std::count(high.begin(), high.end(), true);
  }

  void finish(BiproportionalResult& out) {
    refresh_all();
    out.seats = a_;
    out.row_multiplier.assign(x_.begin(), x_.end());
    out.col_divisor.assign(C_, 0.0);
    for (std::size_t j = 0; j < C_; ++j) {  // the middle of the column's interval of divisors
      real lo = 0, hi = kInf;
      for (std::size_t i = 0; i < R_; ++i) {
        lo = std::max(lo, claim_[i * C_ + j]);
        hi = std::min(hi, hold_[i * C_ + j]);
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
  std::vector<i64> a_, sum_;
  std::vector<real> claim_, hold_;
  std::vector<real> inv_divisor_;  // 1/D_j of the proof's float potentials
};

/// Row totals by the upper apportionment: the same rule over the row sums.
std::vector<i64> upper_apportionment(const Rule& rule, const BiproportionalProblem& p, i64 house, std::optional<Tie>& tie) {
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
  // A tie here is one among rows for the row totals, reported as such (not as one among cells).
  std::vector<i64> seats(p.rows);
  Workspace ws;
  try {
    tie = apportion(rule, sums, house, seats, ws).tie;
  } catch (const TieError& e) {
    throw RowTieError(e.what(), e.tie());
  }
  return seats;
}

/// The order in which tied cells get the contested units: row-major input order, or by lot, one
/// Philox draw per cell keyed by the seed and counted by the cell's row-major index, so that the
/// same seed gives the same lot whatever else is in the input.
std::vector<std::size_t> tie_priority(const Rule& rule,
                                      const std::vector<std::pair<std::size_t, bool>>& cells) {
  std::vector<std::size_t> order(cells.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (rule.ties != TiePolicy::lot) return order;  // cells are sorted by index
  r123::Philox4x32 rng;
  const r123::Philox4x32::key_type key = {
      {static_cast<std::uint32_t>(rule.seed), static_cast<std::uint32_t>(rule.seed >> 32)}};
  std::vector<u64> draw(cells.size());
  for (std::size_t t = 0; t < cells.size(); ++t) {
    const u64 c = cells[t].first;
    const r123::Philox4x32::ctr_type ctr = {
        {static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32), 0x6269u /* "bi" */, 0}};
    const auto r = rng(ctr, key);
    draw[t] = (u64{r[0]} << 32) | r[1];
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return draw[a] < draw[b]; });
  return order;
}

}  // namespace

std::string biproportional_size_problem(std::size_t rows, std::size_t cols) {
  if (cols == 0 || rows <= kMaxBiproportionalCells / cols) return "";
  // Measured on the shared 2-core reference machine (bench/, BM_Biproportional).
  const double r = double(rows), c = double(cols), seconds = 1e-8 * r * c * (r + c) / 2;
  return "the matrix has " + std::to_string(rows) + " rows x " + std::to_string(cols) + " columns = " +
         std::to_string(static_cast<unsigned long long>(r * c)) + " cells, above the limit of " +
         std::to_string(kMaxBiproportionalCells) + ": it would take about " + std::to_string(std::llround(seconds)) +
         " s on a 2-core machine (the time grows with rows x columns x (rows + columns)); merge small rows or "
         "columns, or split the apportionment";
}

BiproportionalResult apportion_biproportional(const Rule& rule, const BiproportionalProblem& p) {
  if (rule.method != Method::dhondt && rule.method != Method::sainte_lague)
    throw InputError("biproportional apportionment supports the divisor methods dhondt and "
                     "sainte-lague");
  if (const std::string why = biproportional_size_problem(p.rows, p.cols); !why.empty()) throw InputError(why);
  if (p.weight.size() != p.rows * p.cols || p.col_seats.size() != p.cols ||
      (!p.row_seats.empty() && p.row_seats.size() != p.rows) ||
      (!p.cell_min.empty() && p.cell_min.size() != p.rows * p.cols))
    throw InputError("biproportional: the matrix, totals and minimums differ in size");
  for (auto w : p.weight)
    if (w > kMaxWeight) throw InputError("a weight exceeds 2^53");
  i64 house = 0;
  for (auto c : p.col_seats) {
    if (c < 0) throw InputError("a column total is negative");
    if (c > kMaxDivisorHouse - house) throw InputError("the column totals exceed 2^31 units");
    house += c;
  }
  const Signposts sp = make_signposts(rule);
  BiproportionalResult out;
  if (p.row_seats.empty()) {
    out.row_seats = upper_apportionment(rule, p, house, out.row_tie);
  } else {
    out.row_seats = p.row_seats;
    i64 rows = 0;
    for (auto r : p.row_seats) {
      if (r < 0) throw InputError("a row total is negative");
      if (r > kMaxDivisorHouse - rows) throw InputError("the row totals exceed 2^31 units");
      rows += r;
    }
    if (rows != house)
      throw InputError("the row totals (" + std::to_string(rows) + ") and the column totals (" +
                       std::to_string(house) + ") differ");
  }
  Matrix m(p, sp, out.row_seats);
  m.propose(out);
  const auto cells = m.prove(out);
  if (!cells.empty()) {
    Tie tie;
    for (const auto& c : cells) tie.competitors.push_back(c.first);
    if (rule.ties == TiePolicy::error) {
      std::string what = "tie: units can circulate among cells";
      for (auto c : tie.competitors)
        what += " (" + std::to_string(c / p.cols + 1) + ", " + std::to_string(c % p.cols + 1) + ")";
      what += " with all row and column totals kept: the result is not unique";
      tie.units = 0;
      for (const auto& c : cells) tie.units += c.second;
      throw TieError(std::move(what), std::move(tie));
    }
    tie.units = m.decide(cells, tie_priority(rule, cells));
    out.tie = std::move(tie);
  }
  m.finish(out);
  return out;
}

}  // namespace kimsim
