// Signposts s(k) of the divisor methods, shared by the one-dimensional and the matrix kernels.
#pragma once

#include <cmath>
#include <cstdint>
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

}  // namespace kimsim
