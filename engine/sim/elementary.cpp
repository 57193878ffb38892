// kimsim's own exp and log: the rare inputs and the loops over many (engine/sim/elementary.hpp).
#include "sim/elementary.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "kimsim/error.hpp"

namespace kimsim::elementary {

namespace {

using kimsim::Error;

/// e^x where exp_core() does not reach: results near the overflow or below the normal range,
/// and the values beyond.
double exp_rare(double x) {
  if (x != x) return x + x;  // NaN
  if (x >= 1024.0) return std::numeric_limits<double>::infinity();
  if (x <= -746.0) return 0.0;  // below half the least subnormal (and -inf)
  const detail::ExpParts p = detail::exp_parts(x);
  if (x > 0) {
    // 2^(k/N) would pass the exponent range: computed 2^1009 smaller, then scaled, which
    // rounds once and gives +inf where the result passes the largest double.
    const double scale = std::bit_cast<double>(p.scale_bits - (std::uint64_t{1009} << 52));
    return (scale + scale * p.tmp) * 0x1p1009;
  }
  // A result below 2^-1022 is subnormal: computed 2^1022 larger, it must be rounded to the
  // subnormal's ulp (2^-52 there) once, not to 53 bits first: 1 + y rounds at 2^-52, with the
  // error of y carried along, and subtracting 1 again is exact (Arm optimized-routines' way).
  const double scale = std::bit_cast<double>(p.scale_bits + (std::uint64_t{1022} << 52));
  double y = scale + scale * p.tmp;
  if (y < 1.0) {
    const double lo = scale - y + scale * p.tmp;
    const double hi = 1.0 + y;
    const double rest = 1.0 - hi + y + lo;
    y = (hi + rest) - 1.0;
    if (y == 0) return 0.0;  // not -0 from the subtraction
  }
  return y * 0x1p-1022;
}

void check_spans(std::span<const double> x, std::span<double> y, const char* what) {
  if (y.size() < x.size() ||
      (y.data() != x.data() && y.data() < x.data() + x.size() && x.data() < y.data() + y.size()))
    throw Error(std::string(what) + ": y must be as long as x and either x itself or apart from it");
}

}  // namespace

namespace detail {
double log_rare(double x) {
  if (x != x) return x + x;
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == std::numeric_limits<double>::infinity()) return x;
  // A subnormal: scaled into the normal range by 2^52 (exact), its exponent taken back.
  return detail::log_core(std::bit_cast<std::uint64_t>(x * 0x1p52), 52);
}
}  // namespace detail

double exp(double x) { return detail::exp_in_core(x) ? detail::exp_core(x) : exp_rare(x); }

double log(double x) {
  return detail::log_in_core(x) ? detail::log_core(std::bit_cast<std::uint64_t>(x)) : detail::log_rare(x);
}

// Compiled three times, chosen once at load time by the CPU (as normal_quantiles in
// replication.cpp): with AVX-512, 8 lanes, with AVX2, 4, instead of SSE2's 2. The same bits in
// all: each lane does the scalar core's IEEE operations in the same order, unfused
// (-ffp-contract=off, although AVX-512F brings FMA).
#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void exp_all(std::span<const double> x, std::span<double> y) {
  check_spans(x, y, "exp_all");
  detail::each(x, y, [](double v) { return detail::exp_core(v); }, [](double v) { return detail::exp_in_core(v); },
               exp_rare);
}

#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void log_all(std::span<const double> x, std::span<double> y) {
  check_spans(x, y, "log_all");
  detail::log_each(x, y);
}

}  // namespace kimsim::elementary
