// kimsim's own exp and log for the draws of a simulation: the same bits on every CPU, every libm
// and every architecture. A libm's results are not (glibc picks an FMA or an SSE2 version of exp
// and log by the CPU at load time, and they differ in about 1 of 3,000 values), so a lognormal
// noise factor or a normal tail could change by an ulp between two nodes of one cluster.
//
// Plain IEEE double operations only (+, -, *, / and bit manipulation), each rounded once: the
// core is compiled with -ffp-contract=off, so that no compiler fuses a multiply and an add. The
// tables are hexadecimal literals (elementary_tables.hpp, from scripts/elementary_tables.py).
// Error: at most about 0.52 ulp over the whole domain (round to nearest), tested against x87's
// expl and logl (tests/test_elementary.cpp). The design is the usual table-driven one (as in
// Arm's optimized-routines): exp reduces x = k ln2/N + r, |r| <= ln2/2N, and multiplies
// 2^(k/N) from the table by a short polynomial of r; log splits x = 2^k z, takes c = 1 + j/N
// nearest to z from its top mantissa bits, and adds k ln2 + log(c) + log1p((z - c)/c).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>

#include "sim/elementary_tables.hpp"

namespace kimsim::elementary {

/// e^x, within 1 ulp: +inf beyond 709.78 (and for +inf), 0 below -745.13, NaN for NaN.
double exp(double x);
/// The natural logarithm, within 1 ulp: -inf at 0, NaN below 0 and for NaN, +inf at +inf.
double log(double x);
/// exp() and log() of each x, into y (as long as x; y may be x itself, else apart from it): the
/// same bits, faster for many (on vector registers where the CPU has AVX2).
void exp_all(std::span<const double> x, std::span<double> y);
void log_all(std::span<const double> x, std::span<double> y);

namespace detail {

/// Where exp_core() is exact to the ulp: the result a normal double, neither inf nor 0.
inline bool exp_in_core(double x) { return std::fabs(x) <= 704.0; }  // false for NaN too

/// 2^(k/N) as (scale, tmp) with e^x = scale * (1 + tmp) for |x| < 1024 (k/N outside the
/// exponent range wraps the scale: exp_core's callers undo it).
struct ExpParts {
  std::uint64_t scale_bits;
  double tmp;
};

inline ExpParts exp_parts(double x) {
  using namespace tables;
  // k = round(x N / ln 2) by the shift 1.5 * 2^52: the integer lands in the low bits of kd's
  // mantissa (round to nearest even, no conversion instruction), then kd is k as a double.
  constexpr double kShift = 0x1.8p52;
  double kd = kInvLn2N * x + kShift;
  const std::uint64_t ki = std::bit_cast<std::uint64_t>(kd);
  kd -= kShift;
  // r = x - k ln2/N: kd * kLn2HiN is exact (|k| < 2^18) and so is its difference from x
  // (Sterbenz); the low part adds one rounding far below r's ulp.
  const double r = (x - kd * kLn2HiN) - kd * kLn2LoN;
  const std::uint64_t j = ki % kN;
  // 2^(k/N) = 2^floor(k/N) * 2^(j/N): the power of two goes into the exponent bits (k in two's
  // complement in ki's low bits, and (ki >> 7) << 52 keeps just floor(k/N)'s).
  const std::uint64_t scale_bits = std::bit_cast<std::uint64_t>(kExp2Hi[j]) + ((ki >> 7) << 52);
  // e^r - 1 by its Taylor polynomial to r^5 (|r| <= 0.0028: the next term is below 2^-60),
  // plus the table's relative rest.
  const double r2 = r * r;
  const double tmp = kExp2Tail[j] + r + r2 * (0.5 + r * 0x1.5555555555555p-3) +
                     r2 * r2 * (0x1.5555555555555p-5 + r * 0x1.1111111111111p-7);
  return {scale_bits, tmp};
}

/// e^x for exp_in_core(x).
inline double exp_core(double x) {
  const ExpParts p = exp_parts(x);
  const double scale = std::bit_cast<double>(p.scale_bits);
  return scale + scale * p.tmp;
}

/// Where log_core() is exact to the ulp: positive normal x, below +inf.
inline bool log_in_core(double x) {
  return std::bit_cast<std::uint64_t>(x) - 0x0010000000000000u < 0x7ff0000000000000u - 0x0010000000000000u;
}

/// log(x) for the bits ix of x * 2^shift, a positive normal double.
inline double log_core(std::uint64_t ix, int shift = 0) {
  using namespace tables;
  // x = 2^k z with c = 1 + j/N nearest to z: adding half of bit 45 rounds the top 7 mantissa
  // bits to nearest, carrying into the exponent at the top (then c = 1, k one more). So
  // z in [c - 1/256, c + 1/256], z - c is exact (Sterbenz), and for x near 1, k = 0 and c = 1.
  // (The integers to convert are 32-bit: AVX2 converts those on vectors, not 64-bit ones.)
  const std::uint64_t t = ix + (std::uint64_t{1} << 44);
  const std::int32_t e = static_cast<std::int32_t>(t >> 52) - 1023;
  const std::uint64_t j = (t >> 45) % kN;
  const double z = std::bit_cast<double>(ix - (static_cast<std::uint64_t>(static_cast<std::int64_t>(e)) << 52));
  const double c = 1.0 + static_cast<double>(static_cast<std::int32_t>(j)) * (1.0 / kN);
  const double f = z - c;
  // r = f / c as r + rlo: c has 8 bits, so r's top 44 bits times c and its low 9 bits times c
  // are exact, and their difference from f leaves the rest of the division (|r| <= 2^-8, whose
  // rounding alone would cost a quarter of an ulp where k ln2 and log(c) nearly cancel).
  const double r = f * kLogInvC[j];
  const double rh = std::bit_cast<double>(std::bit_cast<std::uint64_t>(r) & ~std::uint64_t{0x1ff});
  const double rlo = ((f - rh * c) - (r - rh) * c) * kLogInvC[j];
  // k ln2 + log(c) + r - r^2/2 as an unevaluated sum: each addition's rounding error recovered
  // (Fast2Sum: the larger operand first, which holds here: |k ln2 + log c| >= |r| (about 2^-8
  // against 2^-9 where they come closest), unless it is 0, when the sums are exact).
  const double kd = static_cast<double>(e - shift);
  const double a = kd * kLn2Hi;  // exact
  const double s1 = a + kLogCHi[j], e1 = (a - s1) + kLogCHi[j];
  const double s2 = s1 + r, e2 = (s1 - s2) + r;
  const double r2 = r * r, h = -0.5 * r2;
  const double s3 = s2 + h, e3 = (s2 - s3) + h;
  // log1p(r) - r + r^2/2 by its Taylor polynomial to r^8 (|r| <= 2^-8: the next term is below
  // 2^-75).
  const double p = r2 * r *
                   (0x1.5555555555555p-2 +
                    r * (-0.25 + r * (0x1.999999999999ap-3 +
                                      r * (-0x1.5555555555555p-3 + r * (0x1.2492492492492p-3 + r * -0.125)))));
  const double lo = (kd * kLn2Lo + kLogCLo[j]) + (e1 + e2 + e3) + rlo + p;
  return s3 + lo;
}

/// log(x) where log_core() does not reach: 0, subnormals, negatives, +inf and NaN.
double log_rare(double x);

/// Loops of f over chunks: each value by the branch-free core (on vector registers), a flag for
/// any outside the core's range, then those few by the rare path. The chunk keeps the inputs
/// while the outputs may overwrite them. Always inlined, the core with it (lambdas, not function
/// pointers): a function called from a clone is compiled once, for the default target.
template <typename Core, typename InCore, typename Rare>
[[gnu::always_inline]] inline void each(std::span<const double> x, std::span<double> y, Core core, InCore in_core, Rare rare) {
  constexpr std::size_t kChunk = 256;
  double out[kChunk];
  for (std::size_t at = 0; at < x.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, x.size() - at);
    const double* in = x.data() + at;
    unsigned outside = 0;
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = core(in[i]);
      outside |= !in_core(in[i]);
    }
    if (outside)
      for (std::size_t i = 0; i < n; ++i)
        if (!in_core(in[i])) out[i] = rare(in[i]);
    std::copy(out, out + n, y.data() + at);
  }
}

/// log_all() without its checks, for a loop compiled for a CPU (a clone) that inlines it.
[[gnu::always_inline]] inline void log_each(std::span<const double> x, std::span<double> y) {
  each(x, y, [](double v) { return log_core(std::bit_cast<std::uint64_t>(v)); }, [](double v) { return log_in_core(v); },
       log_rare);
}

}  // namespace detail

}  // namespace kimsim::elementary
