// An exact reference for biproportional results, independent of the kernel's algorithm, shared by
// the tests and the fuzz harness: a matrix with the right sums admits multipliers exactly when no
// cycle of rows i1 -> i2 -> ... -> i1 (i gives a unit in column j that k claims) has a product of
// factors Q = (w_ij / s(a_ij - 1)) / (w_kj / s(a_kj)) below 1, and it is the only valid matrix
// when no cycle has product exactly 1. Floats (long double Bellman-Ford and a bounded search) only
// find the cycles that could be <= 1; each is then decided by multiplying out its factors in big
// integers. Cell minimums are not modelled (a cell with a unit can always give it up).
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "kimsim/biproportional.hpp"

namespace kimsim::test {

using Int = boost::multiprecision::cpp_int;

struct Verdict {
  bool valid = true;
  bool unique = true;
};

inline std::pair<std::uint64_t, std::uint64_t> signpost(const Rule& rule, std::int64_t k) {
  if (k == 0 && rule.first_signpost) return {rule.first_signpost->num, rule.first_signpost->den};
  const auto x = static_cast<std::uint64_t>(k);
  return rule.method == Method::dhondt ? std::pair{x + 1, std::uint64_t{1}} : std::pair{2 * x + 1, std::uint64_t{2}};
}

inline Verdict verify(const Rule& rule, const BiproportionalProblem& p, const std::vector<std::int64_t>& a) {
  const std::size_t R = p.rows, C = p.cols;
  struct Edge {
    bool on = false;
    Int num, den;  // Q = num / den, the least over the columns
    long double lg = 0;
  };
  std::vector<Edge> e(R * R);
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t k = 0; k < R; ++k)
      for (std::size_t j = 0; j < C && i != k; ++j) {
        const auto wi = p.weight[i * C + j], wk = p.weight[k * C + j];
        if (a[i * C + j] == 0 || wk == 0) continue;
        const auto [ni, di] = signpost(rule, a[i * C + j] - 1);
        const auto [nk, dk] = signpost(rule, a[k * C + j]);
        Int num = Int(wi) * nk * di, den = Int(wk) * ni * dk;
        Edge& x = e[i * R + k];
        if (!x.on || num * x.den < x.num * den) x.on = true, x.num = num, x.den = den;
      }
  for (auto& x : e)
    if (x.on) x.lg = std::log(x.num.convert_to<long double>()) - std::log(x.den.convert_to<long double>());
  // Potentials: log x_i <= log x_k + lg(i -> k), relaxed with a tolerance so that rounding alone
  // cannot keep it going; still relaxing after R rounds means a clearly negative cycle.
  std::vector<long double> pot(R, 0);
  bool changed = true;
  for (std::size_t round = 0; round <= R && changed; ++round) {
    changed = false;
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t k = 0; k < R; ++k)
        if (e[i * R + k].on && pot[k] + e[i * R + k].lg < pot[i] - 1e-12L)
          pot[i] = pot[k] + e[i * R + k].lg, changed = true;
  }
  Verdict v;
  if (changed) {
    v.valid = false;
    return v;
  }
  // Every reduced weight is now >= -1e-12; a cycle of product <= 1 has a reduced sum <= ~0, so
  // every prefix of it stays below the bound. Enumerate those cycles (smallest row first).
  const long double bound = 1e-9L + 1e-12L * R;
  std::vector<std::size_t> path;
  std::vector<bool> on_path(R, false);
  std::function<void(std::size_t, long double)> extend = [&](std::size_t i, long double sum) {
    for (std::size_t k = path[0]; k < R && v.valid; ++k) {
      const Edge& x = e[i * R + k];
      if (!x.on) continue;
      const long double s = sum + x.lg + pot[k] - pot[i];
      if (s > bound) continue;
      if (k == path[0]) {
        Int num = 1, den = 1;
        for (std::size_t t = 0; t < path.size(); ++t) {
          const Edge& y = e[path[t] * R + (t + 1 < path.size() ? path[t + 1] : path[0])];
          num *= y.num, den *= y.den;
        }
        if (num < den) v.valid = false;
        if (num == den) v.unique = false;
        continue;
      }
      if (on_path[k]) continue;
      path.push_back(k), on_path[k] = true;
      extend(k, s);
      path.pop_back(), on_path[k] = false;
    }
  };
  for (std::size_t start = 0; start < R && v.valid; ++start) {
    path = {start}, on_path[start] = true;
    extend(start, 0);
    on_path[start] = false;
  }
  return v;
}

}  // namespace kimsim::test
