// Exact comparison of products of 128-bit integers, for deciding quotient orders without floats.
#pragma once

#include <cstdint>

namespace kimsim::exact {

using u128 = unsigned __int128;

/// A 256-bit unsigned value as two 128-bit halves.
struct U256 {
  u128 hi, lo;
};

inline U256 mul(u128 a, u128 b) {
  const std::uint64_t a0 = static_cast<std::uint64_t>(a), a1 = static_cast<std::uint64_t>(a >> 64);
  const std::uint64_t b0 = static_cast<std::uint64_t>(b), b1 = static_cast<std::uint64_t>(b >> 64);
  const u128 p00 = u128{a0} * b0, p01 = u128{a0} * b1, p10 = u128{a1} * b0, p11 = u128{a1} * b1;
  const u128 mid = (p00 >> 64) + static_cast<std::uint64_t>(p01) + static_cast<std::uint64_t>(p10);
  return {p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64),
          (mid << 64) | static_cast<std::uint64_t>(p00)};
}

/// -1, 0, +1 as a*b is less than, equal to or greater than c*d.
inline int compare_products(u128 a, u128 b, u128 c, u128 d) {
  const U256 x = mul(a, b), y = mul(c, d);
  if (x.hi != y.hi) return x.hi < y.hi ? -1 : 1;
  if (x.lo != y.lo) return x.lo < y.lo ? -1 : 1;
  return 0;
}

}  // namespace kimsim::exact
