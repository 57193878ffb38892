// One Monte Carlo replication: perturb, decide uptake, allocate, hire, pay, accumulate.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "sim/elementary.hpp"
#include "sim/replicator.hpp"

// The vector paths of Philox4x32's batches: GCC on x86-64. Clang refuses the paths' shared
// template (a wide vector passed to the multiplication outside a function of its target), so a
// Clang build (the fuzzers') takes the scalar path: the same bits, one counter at a time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define KIMSIM_PHILOX_VECTORS 1
#endif

namespace kimsim {

// ---------------------------------------------------------------------------------------------
// Distributions.

std::string Distribution::check() const {
  auto finite = [](double x) { return std::isfinite(x); };
  if (!finite(a) || !finite(b) || !finite(c)) return "parameters must be finite numbers";
  switch (kind) {
    case Kind::fixed: return "";
    case Kind::uniform: return a < b ? "" : "uniform needs min < max";
    case Kind::triangular: return a <= b && b <= c && a < c ? "" : "triangular needs min <= mode <= max and min < max";
    case Kind::normal: return b > 0 ? "" : "normal needs sd > 0";
    case Kind::lognormal: return b > 0 ? "" : "lognormal needs sigma > 0";
    case Kind::beta: return a > 0 && b > 0 ? "" : "beta needs alpha > 0 and beta > 0";
    case Kind::bernoulli: return a >= 0 && a <= 1 ? "" : "bernoulli needs 0 <= p <= 1";
  }
  return "unknown distribution";
}

namespace {

// M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution", Applied
// Statistics 37(3), 1988 (PPND16, relative accuracy about 1e-16). Rational functions in three
// ranges; only the tails (15 % of draws) need a logarithm.
constexpr double kSplit = 0.425;

/// The central range, |p - 1/2| <= 0.425, at q = p - 1/2.
inline double quantile_central(double q) {
  const double r = 0.180625 - q * q;
  return q *
         (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r +
              4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
           1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
         (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r +
              2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
           4.2313330701600911252e+1) * r + 1.0);
}

/// The tails, |p - 1/2| > 0.425, at r = sqrt(-log(min(p, 1 - p))): for r <= 5 (p down to 1.4e-11,
/// the draws of every day) and beyond, each as |z|.
inline double tail_near(double r) {
  r -= 1.6;
  return (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r +
              1.27045825245236838258e+0) * r + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
           4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
         (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r +
              1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
           2.05319162663775882187e+0) * r + 1.0);
}
inline double tail_far(double r) {
  r -= 5.0;
  return (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r +
              2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
           5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
         (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r +
              7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
           5.99832206555887937690e-1) * r + 1.0);
}
/// The tail's probability min(p, 1 - p), and r from its logarithm (kimsim's own: the same bits
/// on every machine).
/// c ? a : b as a choice of bits. The compiler keeps a conditional operation in a branch (it
/// might trap) and branches past arithmetic whose result a choice makes constant: either keeps
/// a loop off vector registers.
inline double pick(bool c, double a, double b) {
  const std::uint64_t m = -static_cast<std::uint64_t>(c);
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(a) & m) | (std::bit_cast<std::uint64_t>(b) & ~m));
}
inline double tail_p(double p) { return pick(p - 0.5 < 0, p, 1.0 - p); }
inline double tail_r(double p) { return std::sqrt(-elementary::log(tail_p(p))); }

double quantile_tail(double p) {
  const double r = tail_r(p), z = r <= 5.0 ? tail_near(r) : tail_far(r);
  return p - 0.5 < 0 ? -z : z;
}

}  // namespace

double normal_quantile(double p) {
  const double q = p - 0.5;
  return std::abs(q) <= kSplit ? quantile_central(q) : quantile_tail(p);
}

namespace {

#if defined(__SSE2__) && defined(__GNUC__)
/// Per mask of four flags (bit k: the k-th value of a block is a tail): the positions of its set
/// bits in order, the rest 0, and their count. The tails' gather stores a block's four positions
/// as one vector and advances by the count.
struct TailBlocks {
  std::uint32_t at[16][4] = {};
  std::uint32_t count[16] = {};
};
constexpr TailBlocks make_tail_blocks() {
  TailBlocks t;
  for (std::uint32_t mask = 0; mask < 16; ++mask)
    for (std::uint32_t k = 0; k < 4; ++k)
      if (mask >> k & 1) t.at[mask][t.count[mask]++] = k;
  return t;
}
inline constexpr TailBlocks kTailBlocks = make_tail_blocks();
#endif

/// normal_quantiles(), or with kScaled mean + sd * each quantile (as Distribution::invert's
/// normal), into z. Per chunk (a small buffer): the positions of the tails, gathered without
/// branches (whether a draw falls in them is a coin flip that a branch per draw would
/// mispredict); the central range for every p, branch-free, so that the compiler runs it on
/// vector registers and the long chains of the rational functions overlap; then the tails. The
/// same operations in the same order as normal_quantile(): the same bits. Always inlined into
/// each clone below (a function called from a clone is compiled once, for the default target).
template <bool kScaled>
[[gnu::always_inline]] inline void quantiles_of(std::span<const double> p, std::span<double> z, double mean, double sd) {
  if (z.size() < p.size() || (z.data() < p.data() + p.size() && p.data() < z.data() + z.size()))
    throw Error("normal_quantiles: z must be as long as p and apart from it");
  auto scaled = [&](double q) { return kScaled ? mean + sd * q : q; };
  constexpr std::size_t kChunk = 256;
  std::uint32_t tails[kChunk];
  for (std::size_t at = 0; at < p.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, p.size() - at);
    std::size_t m = 0, i = 0;
#if defined(__SSE2__) && defined(__GNUC__)
    // Four values at a time: their flags by two compares of two lanes each (SSE2, in every
    // clone), as a mask of four bits, and their positions stored at once from the mask's row of
    // kTailBlocks (m <= i: the four stores stay within the chunk). 5.5 instructions a value
    // on AVX2 against 9 one at a time, 7.6 unrolled (perf.md § 37).
    using D2 = double __attribute__((vector_size(16)));
    using U2 = std::uint64_t __attribute__((vector_size(16)));
    using U4 = std::uint32_t __attribute__((vector_size(16)));
    const D2 half = {0.5, 0.5}, split = {kSplit, kSplit};
    const U2 magnitude = {~(std::uint64_t{1} << 63), ~(std::uint64_t{1} << 63)};
    auto tail_bits = [&](const double* two) {  // !(|x - 0.5| <= kSplit) of two values, as bits
      D2 x;
      std::memcpy(&x, two, sizeof x);
      const D2 q = D2(U2(x - half) & magnitude);
      return __builtin_ia32_movmskpd(D2(~(q <= split)));
    };
    U4 first = {0, 0, 0, 0};  // i in each lane
    for (const std::size_t blocks = n & ~std::size_t{3}; i < blocks; i += 4) {
      const auto mask =
          static_cast<unsigned>(tail_bits(&p[at + i]) | tail_bits(&p[at + i + 2]) << 2);
      U4 positions;
      std::memcpy(&positions, kTailBlocks.at[mask], sizeof positions);
      positions += first;
      first += 4;
      std::memcpy(tails + m, &positions, sizeof positions);
      m += kTailBlocks.count[mask];
    }
#endif
    for (; i < n; ++i) {
      tails[m] = static_cast<std::uint32_t>(i);
      m += !(std::abs(p[at + i] - 0.5) <= kSplit);
    }
    for (std::size_t i = 0; i < n; ++i) z[at + i] = scaled(quantile_central(p[at + i] - 0.5));
    // The tails: their logarithms (elementary::log_all's loop, on vectors) and the common range's
    // rational function for all of them, then each in its place with its sign (or, rarely, from
    // the far range). r[k] is tail_r() of the k-th tail.
    double r[kChunk], near[kChunk];
    for (std::size_t k = 0; k < m; ++k) near[k] = tail_p(p[at + tails[k]]);
    elementary::detail::log_each({near, m}, {r, m});
    // (A loop of its own: std::sqrt may set errno, a call that keeps the loop scalar, 9
    // instructions a tail; two at a time by SSE2's sqrtpd where the target has it, ≈ 3: perf.md
    // § 37. Both are IEEE square roots: the same bits, -0, a NaN and a negative input included.)
    std::size_t k = 0;
#if defined(__SSE2__) && defined(__GNUC__)
    for (; k + 2 <= m; k += 2) {
      using D2 = double __attribute__((vector_size(16)));
      D2 v;
      std::memcpy(&v, r + k, sizeof v);
      v = __builtin_ia32_sqrtpd(-v);
      std::memcpy(r + k, &v, sizeof v);
    }
#endif
    for (; k < m; ++k) r[k] = std::sqrt(-r[k]);
    for (std::size_t k = 0; k < m; ++k) near[k] = tail_near(r[k]);
    for (std::size_t k = 0; k < m; ++k) {
      const double zk = r[k] <= 5.0 ? near[k] : tail_far(r[k]);
      z[at + tails[k]] = scaled(p[at + tails[k]] - 0.5 < 0 ? -zk : zk);
    }
  }
}

}  // namespace

// Compiled three times, chosen once at load time by the CPU (GCC's function multi-versioning):
// with AVX-512 the central range runs on 8-wide vectors, with AVX2 on 4-wide, instead of SSE2's 2.
// The build has no -march, so without a clone the loop stays on SSE2 everywhere. The bits stay:
// each lane does the same IEEE additions, multiplications and divisions as the scalar code, in
// the same order; AVX2 does not bring FMA, AVX-512F does, but -ffp-contract=off (CMakeLists.txt)
// forbids fusing them (no FMA instruction in the clones' code). On this project's Zen 4 the
// AVX-512 clones (these and elementary's batches) took ≈ 0.2 µs (3 %) off a replication
// (results/bench/perf.md, section 37). Function multi-versioning (an ifunc) exists for x86-64 ELF
// only: elsewhere there is one version.
#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void normal_quantiles(std::span<const double> p, std::span<double> z) { quantiles_of<false>(p, z, 0, 1); }

#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void normal_draws(std::span<const double> p, std::span<double> z, double mean, double sd) {
  quantiles_of<true>(p, z, mean, sd);
}

double Distribution::invert(double u) const {
  switch (kind) {
    case Kind::fixed: return a;
    case Kind::uniform: return a + (b - a) * u;
    case Kind::triangular: {
      const double f = (b - a) / (c - a);
      return u < f ? a + std::sqrt(u * (c - a) * (b - a)) : c - std::sqrt((1 - u) * (c - a) * (c - b));
    }
    case Kind::normal: return a + b * normal_quantile(u);
    case Kind::lognormal: return elementary::exp(a + b * normal_quantile(u));
    case Kind::bernoulli: return u > 1.0 - a ? 1.0 : 0.0;
    case Kind::beta: break;
  }
  return std::numeric_limits<double>::quiet_NaN();  // beta: drawn from two gamma variates (Stream::beta)
}

void Distribution::invert_all(std::span<const double> u, std::span<double> x) const {
  const std::size_t n = u.size();
  switch (kind) {
    case Kind::normal:
      normal_draws(u, x, a, b);
      return;
    case Kind::lognormal:
      normal_draws(u, x, a, b);
      elementary::exp_all(x.first(n), x.first(n));
      return;
    default:
      for (std::size_t i = 0; i < n; ++i) x[i] = invert(u[i]);
  }
}

namespace {

/// Gamma(shape, 1): Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1/shape).
/// `more()` yields pairs of uniforms in (0, 1). No libm: U^(1/shape) as exp(log(U) / shape) and
/// the cube as a product, by kimsim's own exp and log; the standard normal from the quantile of
/// one uniform (instead of Box-Muller's sqrt(-2 log U1) cos(2 pi U2), whose cos would be libm's),
/// so one pair of uniforms per trial: the normal's and the acceptance's.
template <typename More>
double gamma_sample(double shape, More& more) {
  double boost = 1.0;
  if (shape < 1.0) {
    boost = elementary::exp(elementary::log(more().first) / shape);
    shape += 1.0;
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const auto [u1, u2] = more();
    const double z = normal_quantile(u1);
    const double t = 1.0 + c * z, v = t * t * t;
    if (v <= 0) continue;
    if (elementary::log(u2) < 0.5 * z * z + d - d * v + d * elementary::log(v)) return boost * d * v;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Philox4x32's batches.

namespace {

/// Any CPU: one counter at a time.
void fill_scalar(const Philox4x32& g, std::uint64_t c0, const std::uint64_t* c1, std::size_t n, std::uint64_t* w0,
                 std::uint64_t* w1) {
  for (std::size_t j = 0; j < n; ++j) {
    const auto w = g(c0, c1[j]);
    w0[j] = w[0], w1[j] = w[1];
  }
}

#ifdef KIMSIM_PHILOX_VECTORS
// The lanes of a batch: each 64-bit lane holds one 32-bit word of a counter in its low half, so
// that one `pmuludq` makes a 32x32->64 product per lane, the round's multiplication. The high
// halves of the words are don't-care: pmuludq reads only the low halves, a shift right brings a
// product's high half down clean, and the output masks them off. The vectors are GCC's generic
// ones (shifts and logic by operators, compiled for the target of the function they are inlined
// into); only the multiplication is an intrinsic of each instruction set, in a function of its
// own target. The templates below are inlined into each path's function (always_inline), so
// that no vector crosses a call between code of different targets: GCC's warning about such
// calls' ABI does not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
struct Sse2 {  // x86-64's baseline: every x86-64 CPU has it
  using V = std::uint64_t __attribute__((vector_size(16)));
  static V mul(V a, V b) { return V(_mm_mul_epu32(__m128i(a), __m128i(b))); }
};
struct Avx2 {
  using V = std::uint64_t __attribute__((vector_size(32)));
  [[gnu::target("avx2")]] static V mul(V a, V b) { return V(_mm256_mul_epu32(__m256i(a), __m256i(b))); }
};
struct Avx512 {
  using V = std::uint64_t __attribute__((vector_size(64)));
  // maskz with all lanes: the same instruction; the unmasked intrinsic starts from an undefined
  // vector that GCC 12 then reports as maybe uninitialized.
  [[gnu::target("avx512f")]] static V mul(V a, V b) { return V(_mm512_maskz_mul_epu32(0xff, __m512i(a), __m512i(b))); }
};

/// sizeof(V) / 8 counters (c0, in[l]), with c0's words in a0 and a1 and the round keys in k:
/// Philox4x32::operator()'s rounds, one counter per lane.
template <class L>
[[gnu::always_inline]] inline void philox_lanes(const typename L::V (&k)[2][Philox4x32::kRounds],
                                                const typename L::V& a0, const typename L::V& a1,
                                                const std::uint64_t* in, std::uint64_t* w0, std::uint64_t* w1) {
  using V = typename L::V;
  const V m0 = V{} + Philox4x32::kMultiplier0, m1 = V{} + Philox4x32::kMultiplier1, low = V{} + 0xffffffff;
  V c;
  std::memcpy(&c, in, sizeof c);
  V x0 = a0, x1 = a1, x2 = c, x3 = c >> 32;
#pragma GCC unroll 10
  for (int i = 0; i < Philox4x32::kRounds; ++i) {
    const V p0 = L::mul(x0, m0), p1 = L::mul(x2, m1);
    x0 = (p1 >> 32) ^ x1 ^ k[0][i];
    x1 = p1;
    x2 = (p0 >> 32) ^ x3 ^ k[1][i];
    x3 = p0;
  }
  const V out0 = (x0 & low) | (x1 << 32), out1 = (x2 & low) | (x3 << 32);
  std::memcpy(w0, &out0, sizeof out0);
  std::memcpy(w1, &out1, sizeof out1);
}

template <class L>
[[gnu::always_inline]] inline void fill_lanes(const Philox4x32& g, std::uint64_t c0, const std::uint64_t* c1,
                                              std::size_t n, std::uint64_t* w0, std::uint64_t* w1) {
  using V = typename L::V;
  constexpr std::size_t kLanes = sizeof(V) / sizeof(std::uint64_t);
  V k[2][Philox4x32::kRounds];
  for (int i = 0; i < Philox4x32::kRounds; ++i) k[0][i] = V{} + g.round_keys0()[i], k[1][i] = V{} + g.round_keys1()[i];
  const V a0 = V{} + c0, a1 = V{} + (c0 >> 32);
  std::size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) philox_lanes<L>(k, a0, a1, c1 + j, w0 + j, w1 + j);
  // The last counters: a few one at a time, more padded to a whole vector. A padded vector
  // costs about as much as three or four scalar calls (≈ 35 ns against ≈ 10 ns a counter).
  if (n - j < kLanes / 2) {
    fill_scalar(g, c0, c1 + j, n - j, w0 + j, w1 + j);
  } else if (j < n) {
    std::uint64_t in[kLanes] = {}, out0[kLanes], out1[kLanes];
    std::copy(c1 + j, c1 + n, in);
    philox_lanes<L>(k, a0, a1, in, out0, out1);
    std::copy(out0, out0 + (n - j), w0 + j);
    std::copy(out1, out1 + (n - j), w1 + j);
  }
}
#pragma GCC diagnostic pop

// Each path a function of its own instruction set, chosen once by the CPU (fill()). Not GCC's
// target_clones, as normal_quantiles and elementary's batches are: a clone cannot be called by
// name, and each path is tested on its own against Random123 (tests/test_simulation.cpp),
// which the clones' dispatch allows for one path only. The build has no -march: without these
// the loop would run on SSE2's two lanes everywhere. Measured on this project's Zen 4 EPYC
// (results/bench/perf.md, section 19): AVX-512's eight lanes take about half AVX2's time per
// counter, AVX2's four about half SSE2's two.
[[gnu::target("avx512f")]] void fill_avx512(const Philox4x32& g, std::uint64_t c0, const std::uint64_t* c1,
                                            std::size_t n, std::uint64_t* w0, std::uint64_t* w1) {
  fill_lanes<Avx512>(g, c0, c1, n, w0, w1);
}
[[gnu::target("avx2")]] void fill_avx2(const Philox4x32& g, std::uint64_t c0, const std::uint64_t* c1, std::size_t n,
                                       std::uint64_t* w0, std::uint64_t* w1) {
  fill_lanes<Avx2>(g, c0, c1, n, w0, w1);
}
void fill_sse2(const Philox4x32& g, std::uint64_t c0, const std::uint64_t* c1, std::size_t n, std::uint64_t* w0,
               std::uint64_t* w1) {
  fill_lanes<Sse2>(g, c0, c1, n, w0, w1);
}
#endif

}  // namespace

std::span<const Philox4x32::NamedPath> Philox4x32::paths() {
  static const NamedPath all[] = {
#ifdef KIMSIM_PHILOX_VECTORS
      {"avx512", fill_avx512, static_cast<bool>(__builtin_cpu_supports("avx512f"))},
      {"avx2", fill_avx2, static_cast<bool>(__builtin_cpu_supports("avx2"))},
      {"sse2", fill_sse2, true},
#endif
      {"scalar", fill_scalar, true},
  };
  return all;
}

const Philox4x32::NamedPath& Philox4x32::chosen() {
  static const NamedPath& path = first_supported(paths());  // the scalar path runs everywhere
  return path;
}

void Philox4x32::fill(std::uint64_t c0, std::span<const std::uint64_t> c1, std::uint64_t* w0, std::uint64_t* w1) const {
  chosen().path(*this, c0, c1.data(), c1.size(), w0, w1);
}

// ---------------------------------------------------------------------------------------------
// The random streams.

namespace {

/// Purposes of the random streams: each kind of draw has its own, so that adding one kind of
/// uncertainty never shifts the draws of another. Their numbers name streams: never renumber.
/// One counter gives 128 bits; the draws of one item share it, each in its own fixed
/// bits: a region's uptake (bits 0-31) and start month (32-63); a row's months to fill (0-31)
/// and personnel cost (word 1, 53 bits); a noise factor (word 0, 53 bits). A beta draw needs
/// further uniforms: those have the purpose of the draw and the extra draw's number k >= 1.
enum Purpose : std::uint32_t { kNoise = 1, kRegion = 2, kRow = 3, kStart = 4, kFill = 5, kCost = 6 };

/// The names of the draws, hashed once per plan: FNV-1a (64 bits, offset basis
/// 0xcbf29ce484222325, prime 0x100000001b3) over the bytes of the names, joined by the unit
/// separator 0x1f. The same on every platform and in every run; a name never depends on where a
/// region, Baustein or indicator stands in its list, so that a variant with one more recipient or
/// indicator draws the same for everything it shares (common random numbers).
constexpr char kJoin = '\x1f';
std::uint64_t draw_name(std::string_view a) { return detail::fnv1a(0xcbf29ce484222325ULL, a); }
std::uint64_t draw_name(std::string_view a, std::string_view b) {
  return detail::fnv1a(detail::fnv1a(draw_name(a), std::string_view(&kJoin, 1)), b);
}

/// Counter word 0: replication (30 bits), calendar year (14 bits), purpose (4 bits), extra draw
/// k (16 bits); word 1: the draw's name.
constexpr int kYearShift = 30, kPurposeShift = 44, kExtraShift = 48;
constexpr std::uint64_t kExtraDraws = 0xffff;  // a beta draw's further uniforms, at most
static_assert(SimulationLimits::replications <= (std::uint64_t{1} << kYearShift),
              "replications are numbered in the bits below the year");
static_assert(SimulationLimits::last_year < (1 << (kPurposeShift - kYearShift)), "years are keyed in 14 bits");
static_assert(kCost < (1u << (kExtraShift - kPurposeShift)), "purposes are keyed in 4 bits");

/// The uniforms of one replication and year, from Philox4x32-10 (see Philox4x32: the variant
/// whose batches run on vector registers). The key is the seed; the counter is (replication |
/// year | purpose | extra draw, name of the draw). The draws of one kind in a year are made in one
/// batch (fill); a beta draw's further uniforms one call at a time.
class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t replication) : rng_(seed), replication_(replication) {}

  void set_year(int calendar_year) {
    head_ = replication_ | (static_cast<std::uint64_t>(calendar_year) << kYearShift);
  }

  /// The 128 bits of the draws of names[j] for `purpose`, j < names.size(): word 0 into w0[j],
  /// word 1 into w1[j].
  void fill(Purpose purpose, std::span<const std::uint64_t> names, std::uint64_t* w0, std::uint64_t* w1) const {
    rng_.fill(counter(purpose, 0), names, w0, w1);
  }

  /// Beta(a, b) = X / (X + Y) for X ~ Gamma(a), Y ~ Gamma(b), from further uniforms of the draw.
  double beta(const Distribution& d, Purpose purpose, std::uint64_t name) const {
    std::uint64_t k = 0;
    auto more = [&, this] {
      if (++k > kExtraDraws)
        throw Error("the beta distribution drew more than " + std::to_string(kExtraDraws) +
                    " uniforms (parameters too extreme)");
      const auto x = rng_(counter(purpose, k), name);
      return std::pair{to_unit(x[0]), to_unit(x[1])};
    };
    const double x = gamma_sample(d.a, more), y = gamma_sample(d.b, more);
    return x / (x + y);
  }

  /// A uniform in (0, 1) from 53 random bits, for an amount or a factor (many: unit_draws()).
  static double to_unit(std::uint64_t x) { return (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53; }
  /// A uniform in (0, 1) from 32 random bits, for a yes/no or a whole number.
  static double to_unit32(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1.0p-32; }
  static std::uint32_t low(std::uint64_t w) { return static_cast<std::uint32_t>(w); }
  static std::uint32_t high(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); }

 private:
  Philox4x32 rng_;
  std::uint64_t replication_, head_ = 0;

  std::uint64_t counter(Purpose purpose, std::uint64_t k) const {
    return head_ | (std::uint64_t{purpose} << kPurposeShift) | (k << kExtraShift);
  }
};

/// v bounded to [lo, hi], a NaN to lo: a draw beyond 2^63 (a wide distribution's tail) has no
/// integer to round to. (Comparisons, where fmin/fmax would be library calls.)
double bounded(double v, double lo, double hi) { return v > lo ? (v < hi ? v : hi) : lo; }

/// Round half up to an integer, |v| < 2^62, inline (llround and floor are library calls): floor
/// is the truncation, less one for a negative fraction.
std::int64_t nearest(double v) {
  const double t = v + 0.5;
  const auto i = static_cast<std::int64_t>(t);
  return i - (static_cast<double>(i) > t);
}

}  // namespace

// Compiled three times, chosen once at load time by the CPU (as normal_quantiles): with AVX-512
// or AVX2 on 8- or 4-wide vectors. nearest(bounded(100 eur, -1e15, 1e15)) without their
// branches and conversions, which keep a loop scalar: floor(t) for |t| < 2^51 is t rounded to an
// integer by adding 1.5 * 2^52 (exact: the sum lies where doubles are the integers), less one
// where that rounded up; the integer is the sum's mantissa. The same integers: a unit test
// compares them.
#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void euros_to_cents(std::span<const double> eur, std::span<Cents> cents) {
  if (cents.size() < eur.size()) throw Error("euros_to_cents: one cent amount per euro amount");
  constexpr double kShift = 0x1.8p52;
  for (std::size_t i = 0; i < eur.size(); ++i) {
    // bounded() by pick() (a NaN to the lower bound).
    const double v = eur[i] * 100.0, above = pick(-1e15 < v, v, -1e15);
    const double t = pick(above < 1e15, above, 1e15) + 0.5;
    const double y = t + kShift, nearest_t = y - kShift;
    cents[i] = (std::bit_cast<std::int64_t>(y) - std::bit_cast<std::int64_t>(kShift)) - (nearest_t > t);
  }
}

// Compiled three times, chosen once at load time by the CPU (as normal_quantiles): with AVX-512
// or AVX2 on 8- or 4-wide vectors, which convert no 64-bit integer to a double (AVX-512F has no
// such conversion either: it is AVX-512DQ's; the conversion kept the loop scalar).
// Stream::to_unit's 53 bits m as a double from its two halves instead, each made a double by
// its bits under the exponent of 2^52: hi 2^32 + lo is m exactly (both exact, their sum below
// 2^53), then the same + 0.5 and * 2^-53. A unit test compares the bits with to_unit's.
#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void unit_draws(std::span<const std::uint64_t> words, std::span<double> u) {
  if (u.size() < words.size()) throw Error("unit_draws: one uniform per word");
  constexpr std::uint64_t k52 = std::bit_cast<std::uint64_t>(0x1p52);  // 2^52 + i for i < 2^52
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::uint64_t m = words[i] >> 11;
    const double hi = std::bit_cast<double>(k52 | (m >> 32)) - 0x1p52,
                 lo = std::bit_cast<double>(k52 | (m & 0xffffffff)) - 0x1p52;
    u[i] = (hi * 0x1p32 + lo + 0.5) * 0x1.0p-53;
  }
}

namespace {

/// Transforms the uniforms u[0..n) of `d` into draws, into out: all together, so that the
/// latencies of the generator and of the quantile function overlap across items instead of
/// adding up. Beta draws take further uniforms of each draw's name(j) instead.
template <typename Name>
void transform_all(const Stream& s, const Distribution& d, Purpose purpose, std::size_t n, Name name, const double* u,
                   double* out) {
  if (d.kind == Distribution::Kind::fixed)
    std::fill(out, out + n, d.a);
  else if (d.kind == Distribution::Kind::beta)
    for (std::size_t j = 0; j < n; ++j) out[j] = s.beta(d, purpose, name(j));
  else
    d.invert_all({u, n}, {out, n});
}

/// Each region read, read[j], gets its indicator `from` times the noise factor value[j] (a factor
/// below 0 counts as 0), into `to`. A function of its own: inlined into the replication, its loop
/// reloaded two pointers from the stack per region (15 instructions a region; perf.md § 37).
[[gnu::noinline]] void apply_noise(double* to, const double* from, const std::size_t* read,
                                   const double* value, std::size_t nread) {
  for (std::size_t j = 0; j < nread; ++j) to[read[j]] = from[read[j]] * std::max(0.0, value[j]);
}

/// A whole-number draw: from 32 random bits by the table, or rounded from a beta variate.
std::int64_t draw_whole(const Stream& s, const WholeDraw& w, std::uint32_t bits, Purpose purpose, std::uint64_t name) {
  if (w.constant()) return w(0);
  return w.by_table() ? w(bits) : w.round(s.beta(w.distribution(), purpose, name));
}

}  // namespace

WholeDraw::WholeDraw(const Distribution& d, std::int64_t lo, std::int64_t hi) : lo_(lo), hi_(hi), d_(d) {
  if (hi < lo || hi - lo >= kMaxValues)
    throw Error("WholeDraw: the range must hold 1 to " + std::to_string(kMaxValues) + " values");
  // The table relies on a valid distribution: a negative sd would make the inverse fall.
  if (const std::string why = d.check(); !why.empty()) throw InputError(why);
  if (d.kind == Distribution::Kind::beta) return;  // no inverse: drawn from gammas (see Stream)
  // The value at 32 random bits x: the inverse at x's uniform, bounded and rounded.
  auto value = [&](std::uint64_t x) { return round(d.invert(Stream::to_unit32(static_cast<std::uint32_t>(x)))); };
  // Step k: the least x at which the value reaches lo + k (bisection: the value never falls as
  // x grows, the inverse being monotone). Steps past the largest x are never taken.
  for (std::int64_t k = lo + 1; k <= hi; ++k) {
    std::uint64_t a = steps_.empty() ? 0 : steps_.back(), b = std::uint64_t{1} << 32;  // value(b) >= k if b < 2^32
    if (value(b - 1) < k) break;
    while (a < b) {
      const std::uint64_t m = a + (b - a) / 2;
      if (value(m) >= k) b = m; else a = m + 1;
    }
    steps_.push_back(static_cast<std::uint32_t>(a));
  }
  for (std::size_t t = 0; t < first_.size(); ++t) {
    const std::uint64_t x = std::uint64_t{t} << 24, last = x + (std::uint64_t{1} << 24) - 1;
    first_[t] = static_cast<std::uint16_t>(std::count_if(steps_.begin(), steps_.end(), [&](std::uint32_t s) { return s <= x; }));
    if (std::any_of(steps_.begin(), steps_.end(), [&](std::uint32_t s) { return s > x && s <= last; }))
      first_[t] |= kStepWithin;
  }
}

std::int64_t WholeDraw::round(double v) const { return nearest(bounded(v, double(lo_), double(hi_))); }

// ---------------------------------------------------------------------------------------------
// The scorers: a year's outcome into accumulators.

namespace {

/// Gini coefficient of values sorted ascending.
double gini(std::span<const double> x) {
  double num = 0, sum = 0;
  const double n = static_cast<double>(x.size());
  // The weight of x[i], 2 (i + 1) - n - 1, from i = 0 up by 2 per value: whole numbers far below
  // 2^53, so the same doubles as computed from i (which took a conversion per value).
  double w = 2.0 - n - 1.0;
  for (std::size_t i = 0; i < x.size(); ++i) num += w * x[i], sum += x[i], w += 2.0;
  return sum > 0 ? num / (n * sum) : 0.0;
}

/// v in [0, kMaxRatio] in units of 1e-9.
std::int64_t nano(double v) { return nearest(v * 1e9); }

/// floor(a * b / D) for a, b >= 0: in 64 bits where the product fits (the hot loop's case), else
/// in 128. D is a constant, so that the division is a multiplication.
template <std::int64_t D>
std::int64_t mul_div(std::int64_t a, std::int64_t b) {
  std::int64_t p;
  // p >= 0: divided as unsigned, the same quotient without the signed division's fix-up.
  if (!__builtin_mul_overflow(a, b, &p)) [[likely]]
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(p) / D);
  return static_cast<std::int64_t>(static_cast<__int128>(a) * b / D);
}

// The fairness sort: each value placed at its rank, the number of values before it in the stable
// order (value, then place in x): (v_j, j) < (v_i, i), which is v_j <= v_i for j < i and v_j < v_i
// for j > i. The ranks are a permutation, so that every place is written once, and no branch
// depends on the values: whether a region counts is a coin flip per replication, and the order of
// the euros per inhabitant changes from one replication to the next, so that a sort's branches
// mispredicted. A block of kBlock values at a time (on vector registers where the CPU has AVX2):
// every value of v is broadcast, compared with the block's lanes, and counted in the lanes where
// it is before them.

constexpr std::size_t kBlock = 8;  // values ranked at once

/// Per path: `Lanes::place(v, n, first, s)` counts for each value of the block v[first, first +
/// kBlock) ∩ v[0, n) the values of v[0, n) before it, and places it there in s. A last block's
/// lanes beyond n are zeros, compared but neither counted as values nor placed.
template <class Lanes>
[[gnu::always_inline]] inline void place_by_rank(const double* v, std::size_t n, double* s) {
  for (std::size_t first = 0; first < n; first += kBlock) Lanes::place(v, n, first, s);
}

/// Any CPU: one pair at a time.
struct ScalarLanes {
  static void place(const double* v, std::size_t n, std::size_t first, double* s) {
    for (std::size_t i = first; i < std::min(first + kBlock, n); ++i) {
      std::size_t r = 0;
      for (std::size_t j = 0; j < n; ++j) r += j < i ? v[j] <= v[i] : v[j] < v[i];
      s[r] = v[i];
    }
  }
};

using PlaceByRank = void (*)(const double*, std::size_t, double*);
using RankPath = CpuPath<PlaceByRank>;

void place_by_rank_scalar(const double* v, std::size_t n, double* s) { place_by_rank<ScalarLanes>(v, n, s); }

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// Per value of v and block of eight: with AVX-512, a broadcast, one comparison into a mask and one
// masked addition; with AVX2, a broadcast, two comparisons and two subtractions (a true lane is
// -1). GCC's generic vectors took four and five (a mask made a vector before the subtraction):
// perf.md § 49.
struct Avx512Lanes {
  /// c + 1 in the lanes of x that y compares kPredicate with.
  template <int kPredicate>
  [[gnu::target("avx512f")]] [[gnu::always_inline]] static __m512i add(__m512i c, double y, __m512d x) {
    return _mm512_mask_add_epi64(c, _mm512_cmp_pd_mask(_mm512_set1_pd(y), x, kPredicate), c, _mm512_set1_epi64(1));
  }
  /// Per lane of x: the values of v[j, end) that compare kPredicate with it. Four counts in turn: a
  /// masked addition waits on the one before it into the same count (on Zen 4 one count took
  /// 1.5 times as long, perf.md § 49).
  template <int kPredicate>
  [[gnu::target("avx512f")]] [[gnu::always_inline]] static __m512i count(const double* v, std::size_t j, std::size_t end,
                                                                          __m512d x) {
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
    for (; j + 4 <= end; j += 4)
      c0 = add<kPredicate>(c0, v[j], x), c1 = add<kPredicate>(c1, v[j + 1], x), c2 = add<kPredicate>(c2, v[j + 2], x),
      c3 = add<kPredicate>(c3, v[j + 3], x);
    for (; j < end; ++j) c0 = add<kPredicate>(c0, v[j], x);
    return _mm512_add_epi64(_mm512_add_epi64(c0, c1), _mm512_add_epi64(c2, c3));
  }
  [[gnu::target("avx512f")]] static void place(const double* v, std::size_t n, std::size_t first, double* s) {
    const std::size_t last = std::min(first + kBlock, n);
    const auto lanes = static_cast<__mmask8>((1u << (last - first)) - 1);
    const __m512d x = _mm512_maskz_loadu_pd(lanes, v + first);
    __m512i c = _mm512_add_epi64(count<_CMP_LE_OQ>(v, 0, first, x), count<_CMP_LT_OQ>(v, last, n, x));
    for (std::size_t j = first; j < last; ++j) {
      const auto later = static_cast<__mmask8>(0xfeu << (j - first));  // the lanes after j
      const __mmask8 before = _mm512_mask_cmp_pd_mask(later, _mm512_set1_pd(v[j]), x, _CMP_LE_OQ) |
                              _mm512_mask_cmp_pd_mask(static_cast<__mmask8>(~later), _mm512_set1_pd(v[j]), x, _CMP_LT_OQ);
      c = _mm512_mask_add_epi64(c, before, c, _mm512_set1_epi64(1));
    }
    std::int64_t r[kBlock];
    _mm512_storeu_si512(r, c);
    for (std::size_t l = 0; l < last - first; ++l) s[r[l]] = v[first + l];
  }
};

struct Avx2Lanes {
  /// Per j of a block: all bits in the lanes after j (v_j <= v_i is asked there, v_j < v_i in the rest).
  static constexpr auto kLater = [] {
    std::array<std::array<std::int64_t, kBlock>, kBlock> t{};
    for (std::size_t j = 0; j < kBlock; ++j)
      for (std::size_t i = j + 1; i < kBlock; ++i) t[j][i] = -1;
    return t;
  }();
  /// The lanes of v[first, first + 4) below n; zeros in the rest.
  [[gnu::target("avx2")]] [[gnu::always_inline]] static __m256d load(const double* v, std::size_t n, std::size_t first) {
    if (first + 4 <= n) return _mm256_loadu_pd(v + first);
    double x[4] = {};
    for (std::size_t l = 0; first + l < n; ++l) x[l] = v[first + l];
    return _mm256_loadu_pd(x);
  }
  /// Counts the true lanes (-1) of m0, m1 into c0, c1.
  [[gnu::target("avx2")]] [[gnu::always_inline]] static void count(__m256i& c0, __m256i& c1, __m256d m0, __m256d m1) {
    c0 = _mm256_sub_epi64(c0, _mm256_castpd_si256(m0));
    c1 = _mm256_sub_epi64(c1, _mm256_castpd_si256(m1));
  }
  [[gnu::target("avx2")]] static void place(const double* v, std::size_t n, std::size_t first, double* s) {
    const std::size_t last = std::min(first + kBlock, n);
    const __m256d x0 = load(v, n, first), x1 = load(v, n, first + 4);
    __m256i c0 = _mm256_setzero_si256(), c1 = _mm256_setzero_si256();
    std::size_t j = 0;
#pragma GCC unroll 4
    for (; j < first; ++j) {
      const __m256d y = _mm256_set1_pd(v[j]);
      count(c0, c1, _mm256_cmp_pd(y, x0, _CMP_LE_OQ), _mm256_cmp_pd(y, x1, _CMP_LE_OQ));
    }
    for (; j < last; ++j) {
      const __m256d y = _mm256_set1_pd(v[j]);
      const std::int64_t* later = kLater[j - first].data();
      const __m256d l0 = _mm256_castsi256_pd(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(later)));
      const __m256d l1 = _mm256_castsi256_pd(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(later + 4)));
      count(c0, c1, _mm256_blendv_pd(_mm256_cmp_pd(y, x0, _CMP_LT_OQ), _mm256_cmp_pd(y, x0, _CMP_LE_OQ), l0),
            _mm256_blendv_pd(_mm256_cmp_pd(y, x1, _CMP_LT_OQ), _mm256_cmp_pd(y, x1, _CMP_LE_OQ), l1));
    }
#pragma GCC unroll 4
    for (; j < n; ++j) {
      const __m256d y = _mm256_set1_pd(v[j]);
      count(c0, c1, _mm256_cmp_pd(y, x0, _CMP_LT_OQ), _mm256_cmp_pd(y, x1, _CMP_LT_OQ));
    }
    std::int64_t r[kBlock];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(r), c0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(r + 4), c1);
    for (std::size_t l = 0; l < last - first; ++l) s[r[l]] = v[first + l];
  }
};

void place_by_rank_avx512(const double* v, std::size_t n, double* s) { place_by_rank<Avx512Lanes>(v, n, s); }
void place_by_rank_avx2(const double* v, std::size_t n, double* s) { place_by_rank<Avx2Lanes>(v, n, s); }
#endif

/// The paths, widest first.
std::span<const RankPath> rank_paths() {
  static const RankPath all[] = {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
      {"avx512", place_by_rank_avx512, static_cast<bool>(__builtin_cpu_supports("avx512f"))},
      {"avx2", place_by_rank_avx2, static_cast<bool>(__builtin_cpu_supports("avx2"))},
#endif
      {"scalar", place_by_rank_scalar, true},
  };
  return all;
}

void sort_by_rank(std::span<const double> x, std::span<double> sorted, PlaceByRank place) {
  if (sorted.size() != x.size()) throw Error("sort_by_rank: sorted must be as long as x");
  place(x.data(), x.size(), sorted.data());
}

}  // namespace

void sort_by_rank(std::span<const double> x, std::span<double> sorted) {
  static const PlaceByRank place = first_supported(rank_paths()).path;  // the scalar path runs everywhere
  sort_by_rank(x, sorted, place);
}

bool sort_by_rank(std::string_view path, std::span<const double> x, std::span<double> sorted) {
  for (const RankPath& p : rank_paths())
    if (p.name == path && p.supported) {
      sort_by_rank(x, sorted, p.path);
      return true;
    }
  return false;
}

void SpendingScorer::record(StateStats& state, std::int64_t spent, std::int64_t filled) {
  state.spent.add(spent);
  state.spent_bins.add(spent);
  state.filled.add(filled);
}

FairnessScorer::FairnessScorer(const Regions& regions, const std::vector<Plan::Row>& rows) {
  const std::size_t R = regions.list.size();
  const auto pop = regions.indicator("population");
  std::vector<double> population(R, 0.0);
  if (pop)
    for (std::size_t i = 0; i < R; ++i) population[i] = regions.indicators(Eigen::Index(i), Eigen::Index(*pop));
  for (std::size_t i = 0; i < R; ++i)
    if (regions.list[i].type != RegionType::gemeinde && population[i] > 0) kreis_level_.push_back(i);
  for (const auto& row : rows) {
    const auto at = std::lower_bound(kreis_level_.begin(), kreis_level_.end(), regions.kreis_of(row.region));
    row_kreis_.push_back(at != kreis_level_.end() && *at == regions.kreis_of(row.region)
                             ? static_cast<std::uint32_t>(at - kreis_level_.begin())
                             : static_cast<std::uint32_t>(kreis_level_.size()));
  }
  for (std::size_t k = 0; k < kreis_level_.size(); ++k)
    euros_per_cent_inhabitant_.push_back(0.01 / population[kreis_level_[k]]);
  per_kreis_.assign(kreis_level_.size() + 1, 0);
  value_.resize(kreis_level_.size());
  sorted_.resize(kreis_level_.size());
}

void FairnessScorer::end_year(std::span<const std::uint8_t> absent, StateStats& state) {
  // Sorted by rank (no branch on the values, see sort_by_rank). The regions that do not count
  // are +inf: ranked after all that do.
  const std::size_t K = kreis_level_.size();  // per_kreis_'s last entry: no territory's
  double* const value = value_.data();
  std::size_t n = 0;
  for (std::size_t k = 0; k < K; ++k) {
    // One test of both, without a jump between them (`&&` compiles to one).
    const bool counts = static_cast<bool>(int{!absent[kreis_level_[k]]} & int{per_kreis_[k] > 0});
    value[k] = pick(counts, static_cast<double>(per_kreis_[k]) * euros_per_cent_inhabitant_[k],
                    std::numeric_limits<double>::infinity());
    n += counts;
  }
  sort_by_rank(value_, sorted_);
  const std::span<const double> x(sorted_.data(), n);
  if (n > 0) {  // else no territory counts: no fairness to measure (a Gini of 0 would claim equality)
    double ratio = x[n - 1] / x[0];
    const bool capped = ratio > double(kMaxRatio);
    ratio = std::min(ratio, double(kMaxRatio));
    state.gini.add(nano(gini(x)));
    state.maxmin.add(nano(ratio));
    state.maxmin_capped.add(capped);
    state.fair.add(true);
  }
  std::fill(per_kreis_.begin(), per_kreis_.end(), Cents{0});  // for the next year
}

// ---------------------------------------------------------------------------------------------
// The replication.

/// "0.5", "1": a budget factor as a scenario writes it.
static std::string format_factor(double f) { return fmt::format("{:.6g}", f); }

Replicator::Replicator(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec)
    : regions_(regions),
      spec_(spec),
      plan_(scenario, regions),
      indicators_(regions.indicators),
      start_draw_(spec.start_month, 1, kMonths),
      fill_draw_(spec.months_to_fill, 0, kMonths + 1),  // kMonths + 1: not filled this year
      fairness_(regions, plan_.rows()) {
  if (spec.years.empty()) years_.push_back(scenario.year);
  for (const auto& y : spec.years) years_.push_back(y.year);
  if (years_.size() > SimulationLimits::years)
    throw InputError("a simulation covers at most " + std::to_string(SimulationLimits::years) + " years");
  for (const int y : years_)  // the random streams key the calendar year
    if (y < SimulationLimits::first_year || y > SimulationLimits::last_year)
      throw InputError("the year " + std::to_string(y) + " is not from " + std::to_string(SimulationLimits::first_year) +
                       " to " + std::to_string(SimulationLimits::last_year));
  const std::size_t R = regions.list.size(), nb = scenario.bausteine.size();
  // Budgets and rates per year, scaled as `run` would scale them, so that unspent = budget -
  // spent holds per year.
  for (std::size_t y = 0; y < years_.size(); ++y) {
    std::vector<Cents> budget(nb), rate(nb);
    Cents total = 0;
    for (std::size_t bi = 0; bi < nb; ++bi) {
      const Baustein& b = scenario.bausteine[bi];
      budget[bi] = b.budget;
      rate[bi] = b.rate_per_vza;
      if (!spec.years.empty()) {
        const auto& yr = spec.years[y];
        // The year's dated values first, then its factor and its own rate on top.
        const Cents dated_budget = yr.budget.empty() ? b.budget : yr.budget[bi];
        if (!yr.rate.empty()) rate[bi] = yr.rate[bi];
        const std::int64_t ppm = std::llround(yr.budget_factor * 1e6);
        budget[bi] = static_cast<Cents>(static_cast<__int128>(dated_budget) * ppm / 1'000'000);
        if (yr.rate_per_vza && b.rate_per_vza > 0) rate[bi] = *yr.rate_per_vza;
      }
      total += budget[bi];
    }
    budget_.push_back(std::move(budget));
    rate_.push_back(std::move(rate));
    budgets_.push_back(total);
  }
  const auto& rows = plan_.rows();
  for (std::size_t y = 0; y < years_.size(); ++y)
    for (const auto& row : rows) slots_.push_back({y, row.baustein, row.region});
  for (const auto& row : rows)
    sites_.push_back({static_cast<std::uint32_t>(row.region), static_cast<std::uint32_t>(row.baustein),
                      static_cast<std::uint32_t>(row.passed_on_by.value_or(row.region))});
  uptake_.assign(R, 1.0);
  for (std::size_t i = 0; i < R; ++i) {
    const Region& reg = regions.list[i];
    if (auto it = spec.uptake_by_type.find(reg.type); it != spec.uptake_by_type.end()) uptake_[i] = it->second;
    if (auto it = spec.uptake_per_recipient.find(reg.ags); it != spec.uptake_per_recipient.end()) uptake_[i] = it->second;
  }
  // A region does not apply where p < 1 and the uniform of its 32 bits x is >= p: as the uniform
  // grows with x, where x >= the least such x (2^32: never), found once by bisection with the
  // same expression, so that the integer comparison per draw decides exactly as the float one.
  absent_from_.assign(R, std::uint64_t{1} << 32);
  for (std::size_t i = 0; i < R; ++i) {
    if (!(uptake_[i] < 1.0)) continue;
    std::uint64_t lo = 0, hi = std::uint64_t{1} << 32;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (Stream::to_unit32(static_cast<std::uint32_t>(mid)) >= uptake_[i]) hi = mid; else lo = mid + 1;
    }
    absent_from_[i] = lo;
  }
  const auto& read = plan_.regions_read();
  for (std::size_t i : read) region_key_.push_back(draw_name(regions.list[i].ags));
  for (const auto& row : rows) row_key_.push_back(draw_name(scenario.bausteine[row.baustein].id, regions.list[row.region].ags));
  for (const auto& [name, dist] : spec.indicator_noise)
    if (const auto c = regions.indicator(name)) {
      Noise& n = noise_.emplace_back(Noise{*c, &dist, {}});
      for (std::size_t i : read) n.key.push_back(draw_name(name, regions.list[i].ags));
    }
  absent_.assign(R, 0);
  start_.assign(R, 1);
  floor_.assign(rows.size(), 0);
  later_.assign(rows.size(), {});
  uniform_.assign(std::max(rows.size(), read.size()), 0.0);
  value_.assign(std::max(rows.size(), read.size()), 0.0);
  word0_.assign(std::max(rows.size(), read.size()), 0);
  word1_.assign(std::max(rows.size(), read.size()), 0);
  uptake_drawn_ = std::any_of(read.begin(), read.end(), [&](std::size_t i) { return !(uptake_[i] >= 1.0); });
  fill_.assign(rows.size(), 0);
  cost_.assign(rows.size(), 0);
}

void Replicator::check_years() {
  for (std::size_t y = 0; y < years_.size(); ++y) {
    PlanInputs in;
    in.budget = budget_[y];
    in.rate_per_vza = rate_[y];
    try {
      plan_.evaluate(in, draft_);
    } catch (const InputError& e) {
      if (spec_.years.empty()) throw;  // the scenario's own year: `run` reports it the same way
      const SimulationYear& yr = spec_.years[y];
      throw InputError((yr.where.empty() ? "simulation.years[" + std::to_string(y) + "]" : yr.where) + ": in " +
                       std::to_string(yr.year) + " (budget_factor " + format_factor(yr.budget_factor) + "): " + e.what());
    }
  }
  // Recipients of uptake 0 never apply: with non_applicants: redistribute the others share their
  // funds in every replication, so that a rule that cannot do so is found here, before any runs.
  if (!spec_.redistribute) return;
  std::vector<std::uint8_t> never(absent_from_.size(), 0);
  std::size_t count = 0;
  for (std::size_t i = 0; i < never.size(); ++i) count += never[i] = absent_from_[i] == 0;
  if (count == 0) return;
  for (std::size_t y = 0; y < years_.size(); ++y) {
    PlanInputs in;
    in.budget = budget_[y];
    in.rate_per_vza = rate_[y];
    in.absent = never;
    try {
      plan_.evaluate(in, draft_);
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) + "; so in every replication" +
                       (spec_.years.empty() ? "" : " of " + std::to_string(spec_.years[y].year)) + ", since " +
                       std::to_string(count) + (count == 1 ? " region has" : " regions have") +
                       " uptake 0 in simulation.uptake and non_applicants: redistribute gives their funds to the others");
    }
  }
}

void check_simulation_years(const Scenario& scenario, const Regions& regions, const SimulationSpec& spec) {
  Replicator(scenario, regions, spec).check_years();
}

void Replicator::run(std::uint64_t r, std::vector<SlotStats>& stats, std::vector<StateStats>& state) {
  const std::size_t n = plan_.rows().size();
  SlotStats* const slots = stats.data();
  LaterCount* const later = later_.data();
  LaterCount* next = later;
  SpendingScorer spending;
  drawn(r, [&] {
    replicate(
        r,
        [&](std::size_t y, std::size_t row, const RowOutcome& o) {
          next = score_slot(slots[y * n + row], o, next);
          spending.add(o);
          fairness_.add(row, o);
        },
        [&](std::size_t y) {
          score_later({later, next});
          next = later;
          spending.end_year(state[y]);
          fairness_.end_year(absent_, state[y]);
        });
  });
}

void Replicator::record(std::uint64_t r, std::span<RowOutcome> outcomes) {
  if (outcomes.size() != slots_.size()) throw Error("Replicator::record: one outcome per slot");
  const std::size_t n = plan_.rows().size();
  RowOutcome* const out = outcomes.data();
  drawn(r, [&] {
    replicate(
        r, [&](std::size_t y, std::size_t row, const RowOutcome& o) { out[y * n + row] = o; }, [](std::size_t) {});
  });
}

template <typename Replication>
void Replicator::drawn(std::uint64_t r, Replication&& replication) {
  try {
    replication();
  } catch (const LocatedError& e) {
    throw LocatedError(e.where(), e.unlocated() + drawn_in(r), e.path());
  } catch (const InputError& e) {
    throw InputError(e.what() + drawn_in(r));
  } catch (const TieError& e) {
    throw TieError(e.what() + drawn_in(r), e.tie(), e.path());
  }
}

std::string Replicator::drawn_in(std::uint64_t r) {
  // check_years() found every error that no draw causes: this one comes from the draws of
  // replication r, in a year that the replication's loop does not keep. The replay finds it,
  // year by year, once, for the message that ends the run.
  std::size_t done = 0;
  try {
    replicate(r, [](std::size_t, std::size_t, const RowOutcome&) {}, [&](std::size_t y) { done = y + 1; });
  } catch (const Error&) {
  }
  return "; drawn in the simulated year " + std::to_string(years_[std::min(done, years_.size() - 1)]) + ", replication " +
         std::to_string(r) + " of seed " + std::to_string(spec_.seed);
}

template <typename RowDone, typename YearDone>
void Replicator::replicate(std::uint64_t r, RowDone&& row_done, YearDone&& year_done) {
  Stream s(spec_.seed, r);
  const RowSite* const sites = sites_.data();
  const std::size_t nrows = plan_.rows().size();
  const std::size_t* read = plan_.regions_read().data();
  const std::size_t nread = plan_.regions_read().size();
  // The buffers as pointers and their sizes as locals: a store through a byte pointer (absent_)
  // may alias any vector's size, which the compiler would otherwise reload every iteration.
  std::uint8_t* const absent = absent_.data();
  std::int64_t* const start = start_.data();
  std::int64_t* const fill = fill_.data();
  Cents* const cost_cents = cost_.data();
  Halves* const floor = floor_.data();
  double* const uniform = uniform_.data();
  const double* const value = value_.data();
  const std::uint64_t* const absent_from = absent_from_.data();
  const std::uint64_t* const region_key = region_key_.data();
  const std::uint64_t* const row_key = row_key_.data();
  std::uint64_t* const word0 = word0_.data();
  std::uint64_t* const word1 = word1_.data();
  for (std::size_t y = 0; y < years_.size(); ++y) {
    s.set_year(years_[y]);
    // Indicator noise: one multiplicative factor per region read and indicator, named by both;
    // regions no rule reads cost nothing.
    for (const auto& n : noise_) {
      const std::uint64_t* const key = n.key.data();
      if (n.dist->kind != Distribution::Kind::fixed && n.dist->kind != Distribution::Kind::beta) {
        s.fill(kNoise, {key, nread}, word0, word1);
        unit_draws({word0, nread}, {uniform, nread});
      }
      transform_all(s, *n.dist, kNoise, nread, [&](std::size_t j) { return key[j]; }, uniform_.data(), value_.data());
      const auto c = Eigen::Index(n.column);
      double* const to = &indicators_(0, c);
      const double* const from = &regions_.indicators(0, c);
      apply_noise(to, from, read, value, nread);
    }
    // Uptake and start month: one counter per region and year, named by its AGS, all in one batch.
    // What kind of draw it is, decided once per year instead of per item, each kind in a loop of
    // its own (one loop with the choices inside took 33 instructions a region, these 19: perf.md
    // § 37). A region whose uptake is 1 has absent_from 2^32: never absent, whatever its bits.
    const bool start_drawn = !start_draw_.constant();
    if (start_drawn || uptake_drawn_) s.fill(kRegion, {region_key, nread}, word0, word1);
    if (uptake_drawn_)
      for (std::size_t j = 0; j < nread; ++j)  // to_unit32(low(w)) >= p
        absent[read[j]] = Stream::low(word0[j]) >= absent_from[read[j]];
    else
      for (std::size_t j = 0; j < nread; ++j) absent[read[j]] = 0;
    if (!start_drawn) {
      const std::int64_t month = start_draw_(0);
      for (std::size_t j = 0; j < nread; ++j) start[read[j]] = month;
    } else if (start_draw_.by_table()) {  // draw_whole's table case, inline
      const std::int64_t first = start_draw_.lo();
      for (std::size_t j = 0; j < nread; ++j)
        start[read[j]] = first + start_draw_.above_lo(Stream::high(word0[j]));
    } else
      for (std::size_t j = 0; j < nread; ++j)
        start[read[j]] = draw_whole(s, start_draw_, Stream::high(word0[j]), kStart, region_key[j]);
    // Months to fill and personnel cost: one counter per row (Baustein and recipient) and year.
    const Distribution* cost = spec_.cost_per_vza_eur ? &*spec_.cost_per_vza_eur : nullptr;
    if (!fill_draw_.constant() || cost) {
      s.fill(kRow, {row_key, nrows}, word0, word1);
      if (fill_draw_.by_table()) {  // draw_whole's table case, inline
        const std::int64_t first = fill_draw_.lo();
        for (std::size_t row = 0; row < nrows; ++row)
          fill[row] = first + fill_draw_.above_lo(Stream::low(word0[row]));
      } else
        for (std::size_t row = 0; row < nrows; ++row)
          fill[row] = draw_whole(s, fill_draw_, Stream::low(word0[row]), kFill, row_key[row]);
      if (cost) unit_draws({word1, nrows}, {uniform, nrows});
    } else
      std::fill(fill, fill + nrows, fill_draw_(0));
    if (cost) {
      transform_all(s, *cost, kCost, nrows, [&](std::size_t row) { return row_key[row]; }, uniform_.data(),
                    value_.data());
      euros_to_cents({value, nrows}, {cost_cents, nrows});
    }
    PlanInputs in;
    in.indicators = &indicators_;
    in.claims = false;  // only positions and cents are scored
    if (spec_.redistribute) in.absent = absent_;
    in.budget = budget_[y];
    in.rate_per_vza = rate_[y];
    if (spec_.hold_harmless && y > 0) in.floor = floor_;
    plan_.evaluate(in, draft_);
    // Hiring: money flows from the start month once a position is filled. Each row's outcome
    // goes to the scorers.
    const std::uint8_t* const present = draft_.present.data();
    const Halves* const halves = draft_.halves.data();
    const Halves* const gross = draft_.gross.data();
    const Cents* const cents = draft_.cents.data();
    const Cents* const rate = rate_[y].data();
    for (std::size_t row = 0; row < nrows; ++row) {
      const RowSite site = sites[row];
      RowOutcome o;
      // A non-applicant receives nothing; nor do the Gemeinden of a Kreis that did not apply.
      // Scored on its own path: where both paths met, the compiler kept the outcome on the stack.
      if (!present[row] || (absent[site.region] | absent[site.lapses_with])) {
        row_done(y, row, o);
        continue;
      }
      o.halves = halves[row], o.cents = cents[row], o.outflow = o.cents, o.months = kMonths;
      if (const Halves h = o.halves; h > 0) {
        // Never above kMonths: the start month is at least 1 and the months to fill at least 0 (the
        // ranges of start_draw_ and fill_draw_), so only the lower bound is taken (a clamp's upper
        // one cost 3 instructions a row, perf.md § 37).
        const std::int64_t months = std::max<std::int64_t>(kMonths - (start[site.region] - 1) - fill[row], 0);
        o.months = months;
        o.outflow = mul_div<kMonths>(o.cents, months);
        if (cost) {
          const Cents excess = std::max<Cents>(0, cost_cents[row] - rate[site.baustein]);
          o.cofinancing = mul_div<2 * kMonths>(excess, h * months);  // h half positions: h / 2 VZÄ
        }
      }
      row_done(y, row, o);
    }
    // Hold-harmless: what each row holds, the next year's floor; only where a next year reads it
    // (stored in the loop above for every row and year, it cost 4 instructions a row: perf.md
    // § 37).
    if (spec_.hold_harmless && y + 1 < years_.size())
      for (std::size_t row = 0; row < nrows; ++row) {
        Halves held = 0;
        if (present[row] && !(absent[sites[row].region] | absent[sites[row].lapses_with]))
          held = gross[row];  // hold-harmless protects what the recipient was granted
        floor[row] = held;
      }
    year_done(y);
  }
}

}  // namespace kimsim
