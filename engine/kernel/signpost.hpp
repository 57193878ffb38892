// Signposts s(k) of the divisor methods, shared by the one-dimensional and the matrix kernels.
#pragma once

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "kimsim/apportion.hpp"

namespace kimsim {

// Signposts s(k): in double for the fast path, exactly (num/den, or its square for
// Huntington-Hill, whose signposts are irrational) for decisions.

struct Signposts {
  Method method;
  bool modified = false;
  double first_d = 0.0;
  Ratio first{};  // already squared for Huntington-Hill

  bool squared() const { return method == Method::huntington_hill; }

  template <Method M>
  double value(std::int64_t k) const {
    if (modified && k == 0) return first_d;
    const double x = static_cast<double>(k);
    if constexpr (M == Method::dhondt) return x + 1.0;
    if constexpr (M == Method::sainte_lague) return x + 0.5;
    if constexpr (M == Method::adams) return x;
    if constexpr (M == Method::huntington_hill) return std::sqrt(x * (x + 1.0));
    if constexpr (M == Method::dean) return x * (x + 1.0) / (x + 0.5);
    return 0.0;
  }

  /// s(k) in double, for callers that do not dispatch on the method at compile time.
  double at(std::int64_t k) const {
    switch (method) {
      case Method::dhondt: return value<Method::dhondt>(k);
      case Method::sainte_lague: return value<Method::sainte_lague>(k);
      case Method::adams: return value<Method::adams>(k);
      case Method::huntington_hill: return value<Method::huntington_hill>(k);
      case Method::dean: return value<Method::dean>(k);
      case Method::hamilton:
      case Method::vinton: break;
    }
    throw std::logic_error("signpost of a non-divisor method");
  }

  Ratio exact(std::int64_t k) const {
    if (modified && k == 0) return first;
    const std::uint64_t x = static_cast<std::uint64_t>(k);
    switch (method) {
      case Method::dhondt: return {x + 1, 1};
      case Method::sainte_lague: return {2 * x + 1, 2};
      case Method::adams: return {x, 1};
      case Method::huntington_hill: return {x * (x + 1), 1};
      case Method::dean: return {2 * x * (x + 1), 2 * x + 1};
      case Method::hamilton:
      case Method::vinton: break;
    }
    throw std::logic_error("exact signpost of a non-divisor method");
  }
};

/// The signposts of a rule, with its modified first signpost validated (InputError otherwise).
Signposts make_signposts(const Rule& rule);

// Shared by the general kernel (apportion.cpp) and its fast path (fast.cpp).

/// The mean offset of a method's rounding: a ~ w/D + beta. Used only for the first divisor guess.
inline double rounding_offset(Method m) {
  switch (m) {
    case Method::dhondt: return -0.5;
    case Method::adams: return 0.5;
    default: return 0.0;
  }
}

/// s(k) and 1/s(k) for k below a cap, cached in the workspace across calls with the same rule:
/// Huntington-Hill and Dean then cost a table look-up instead of a square root or a division.
template <Method M>
inline void fill_signpost_table(const Signposts& sp, std::int64_t house, Workspace& ws) {
  const std::uint64_t key[3] = {std::uint64_t(M) | (std::uint64_t(sp.modified) << 8), sp.first.num, sp.first.den};
  const std::size_t size = static_cast<std::size_t>(std::min<std::int64_t>(house + 2, std::int64_t{1} << 16));
  if (std::equal(key, key + 3, ws.signpost_key) && ws.signpost.size() >= size) return;
  ws.signpost.resize(size);
  ws.inv_signpost.resize(size);
  ws.inv_prev.resize(size);
  for (std::size_t k = 0; k < size; ++k) {
    ws.signpost[k] = sp.value<M>(static_cast<std::int64_t>(k));
    ws.inv_signpost[k] = 1.0 / ws.signpost[k];  // 1/0 = inf: a first unit of Adams or Hill
    // The priority of the last unit held, w / s(a - 1), as one product: no unit held (a = 0) is
    // +inf, which no scan for the weakest holding picks, so no branch on a == 0 is needed.
    ws.inv_prev[k] = k == 0 ? std::numeric_limits<double>::infinity() : ws.inv_signpost[k - 1];
  }
  std::copy(key, key + 3, ws.signpost_key);
}



}  // namespace kimsim
