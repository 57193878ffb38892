// kimsim's own exp and log (engine/sim/elementary.hpp): accuracy against x87's expl and logl,
// the special values, the loops bit-equal to the single calls, monotonicity where the draws rely
// on it, and a golden of exact bits.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kimsim/simulation.hpp"
#include "sim/elementary.hpp"

using namespace kimsim;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// A deterministic spread of 64-bit values (an LCG's high bits suffice here).
struct Spread {
  std::uint64_t x;
  std::uint64_t next() { return x = x * 6364136223846793005ull + 1442695040888963407ull; }
  /// Uniform in [lo, hi).
  double in(double lo, double hi) { return lo + (hi - lo) * (static_cast<double>(next() >> 11) * 0x1.0p-53); }
};

/// |y - ref| in units of the last place of ref rounded to double (subnormals: 2^-1074).
long double ulps(double y, long double ref) {
  const double r = static_cast<double>(ref);
  int e = 0;
  std::frexp(r, &e);
  const long double ulp = std::ldexp(1.0L, std::max(e - 53, -1074));
  return std::fabs(static_cast<long double>(y) - ref) / ulp;
}

/// The largest error of f against ref over xs, and where.
template <typename F, typename Ref>
std::pair<long double, double> worst(const std::vector<double>& xs, F f, Ref ref) {
  std::pair<long double, double> w{0, 0};
  for (double x : xs)
    if (const long double e = ulps(f(x), ref(static_cast<long double>(x))); e > w.first) w = {e, x};
  return w;
}

// The reference: x87's 64-bit-mantissa expl and logl (within an ulp of long double, 2^-11 of a
// double's). Where long double is no wider than double the accuracy cannot be measured.
constexpr bool kWideReference = std::numeric_limits<long double>::digits >= 64;
constexpr std::size_t kPoints = 1'000'000;

}  // namespace

TEST_CASE("exp within 1 ulp of expl over its whole finite domain and densely in [-1, 1]") {
  if (!kWideReference) {
    MESSAGE("long double is not wider than double: no reference");
    return;
  }
  auto ref = [](long double x) { return expl(x); };
  Spread s{1};
  std::vector<double> dense, domain, subnormal, tiny;
  for (std::size_t i = 0; i < kPoints; ++i) {
    dense.push_back(s.in(-1, 1));
    domain.push_back(s.in(-745.13, 709.78));
    subnormal.push_back(s.in(-745.13, -708.4));  // results below 2^-1022
    tiny.push_back(std::ldexp(s.in(-1, 1), -static_cast<int>(s.next() >> 58)));  // |x| down to 2^-64
  }
  for (const auto* xs : {&dense, &domain, &subnormal, &tiny}) {
    const auto [e, at] = worst(*xs, [](double x) { return elementary::exp(x); }, ref);
    CAPTURE(at);
    CHECK(e < 0.52L);  // within 1 ulp, and what the design gives (the header says so)
  }
}

TEST_CASE("log within 1 ulp of logl over (0, 1] near 0 and 1, subnormals and large values") {
  if (!kWideReference) {
    MESSAGE("long double is not wider than double: no reference");
    return;
  }
  auto ref = [](long double x) { return logl(x); };
  Spread s{2};
  std::vector<double> near0, near1, subnormal, any;
  for (std::size_t i = 0; i < kPoints; ++i) {
    near0.push_back(std::ldexp(s.in(0.5, 1), -static_cast<int>(s.next() >> 54)));  // (0, 1] down to 2^-1024
    near1.push_back(1.0 - std::ldexp(s.in(0, 1), -static_cast<int>(s.next() >> 58)));  // 1 - 2^-k ...
    near1.push_back(1.0 + std::ldexp(s.in(0, 1), -static_cast<int>(s.next() >> 58)));  // ... and above 1
    subnormal.push_back(std::bit_cast<double>(s.next() >> 12));
    any.push_back(std::bit_cast<double>(s.next() % 0x7ff0000000000000u));  // every positive finite
  }
  for (const auto* xs : {&near0, &near1, &subnormal, &any}) {
    const auto [e, at] = worst(*xs, [](double x) { return elementary::log(x); }, ref);
    CAPTURE(at);
    CHECK(e < 0.52L);  // within 1 ulp, and what the design gives
  }
}

TEST_CASE("exp and log: special values, overflow and underflow") {
  using elementary::exp, elementary::log;
  CHECK(exp(0.0) == 1.0);
  CHECK(exp(-0.0) == 1.0);
  CHECK(exp(0x1p-1074) == 1.0);
  CHECK(exp(kInf) == kInf);
  CHECK(exp(-kInf) == 0.0);
  CHECK(std::isnan(exp(std::nan(""))));
  CHECK(exp(0x1.62e42fefa39efp+9) == 0x1.fffffffffff2ap+1023);  // the largest x whose e^x is finite
  CHECK(exp(0x1.62e42fefa39f0p+9) == kInf);
  CHECK(exp(1000.0) == kInf);
  CHECK(exp(-0x1.74910d52d3051p+9) == 0x1p-1074);  // the least positive double
  CHECK(exp(-746.0) == 0.0);
  CHECK(!std::signbit(exp(-746.0)));
  CHECK(exp(-708.5) == static_cast<double>(expl(-708.5L)));  // a subnormal result, rounded once
  CHECK(log(1.0) == 0.0);
  CHECK(!std::signbit(log(1.0)));
  CHECK(log(0.0) == -kInf);
  CHECK(log(-0.0) == -kInf);
  CHECK(std::isnan(log(-1.0)));
  CHECK(std::isnan(log(-kInf)));
  CHECK(std::isnan(log(std::nan(""))));
  CHECK(log(kInf) == kInf);
  CHECK(log(0x1p-1074) == -0x1.74385446d71c3p+9);
  CHECK(log(std::numeric_limits<double>::max()) == 0x1.62e42fefa39efp+9);
  CHECK(log(2.0) == 0x1.62e42fefa39efp-1);
}

TEST_CASE("exp and log: a golden of exact bits (a change of the functions' bits changes the draws)") {
  // Computed once by these functions (and equal to the correctly rounded values, checked with
  // expl/logl): that a change of the tables, the polynomials or their order cannot pass unseen.
  const std::pair<double, double> exps[] = {
      {0x1p-1, 0x1.a61298e1e069cp+0},
      {-0x1.0624dd2f1a9fcp-10, 0x1.ff7cfe56f1a9ep-1},
      {0x1.3333333333333p-2, 0x1.599058c8c1a96p+0},
      {-0x1.2p+3, 0x1.02cf22526545ap-13},
      {0x1.62e42fefa39efp-8, 0x1.0163da9fb3335p+0},  // ln2 / 128: the table's second entry
      {0x1.5ep+9, 0x1.d945df4f8ec8ep+1009},           // 700, near the overflow
      {-0x1.748p+9, 0x1p-1074},                       // -745, the least subnormal
      {0x1.4f8b588e368f1p-17, 0x1.0000a7c5e340ep+0},
  };
  const std::pair<double, double> logs[] = {
      {0x1.47ae147ae147bp-7, -0x1.26bb1bbb55515p+2},
      {0x1.0000000000001p+0, 0x1.fffffffffffffp-53},  // the least double above 1
      {0x1.fep-1, -0x1.0080559588b35p-8},             // k ln2 and log(c) nearly cancel
      {0x1.3cp+6, 0x1.17a5089afb173p+2},
      {0x1.56e1fc2f8f359p-997, -0x1.5963447f87fb5p+9},  // 1e-300
      {0x1.3333333333333p-4, -0x1.4b8ddfddbf088p+1},    // 0.075, where the normal tails begin
      {0x1.ff7ced916872bp-1, -0x1.064670d979b73p-10},
      {0x1.5555555555555p-2, -0x1.193ea7aad030bp+0},
  };
  for (const auto& [x, y] : exps) {
    CAPTURE(x);
    CHECK(std::bit_cast<std::uint64_t>(elementary::exp(x)) == std::bit_cast<std::uint64_t>(y));
  }
  for (const auto& [x, y] : logs) {
    CAPTURE(x);
    CHECK(std::bit_cast<std::uint64_t>(elementary::log(x)) == std::bit_cast<std::uint64_t>(y));
  }
}

TEST_CASE("exp_all and log_all give the bits of exp and log, special values among them, in place too") {
  // On this machine the loops run their AVX2 clone where the CPU has AVX2, the default one
  // elsewhere: each is compared with the single calls wherever the test runs.
  Spread s{3};
  std::vector<double> x = {0.0, -0.0, kInf, -kInf, std::nan(""), 1e-310, -800, 800, 709.5, -708.9, 704, -704, 1.0};
  for (int k = 0; k < 100'000; ++k) x.push_back(k % 7 == 0 ? s.in(-750, 750) : s.in(-3, 3));
  const std::size_t specials = 13;
  std::vector<double> y(x.size());
  auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) || (a != a && b != b); };
  elementary::exp_all(x, y);
  for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(same(y[i], elementary::exp(x[i])));
  std::vector<double> p(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) p[i] = i < specials ? x[i] : std::ldexp(std::fabs(x[i]), -static_cast<int>(s.next() >> 55));
  elementary::log_all(p, y);
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(same(y[i], elementary::log(p[i])));
  std::vector<double> in_place = p;
  elementary::log_all(in_place, in_place);
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(same(in_place[i], y[i]));
  CHECK_THROWS_AS(elementary::exp_all(x, std::span<double>(y).first(3)), Error);
  CHECK_THROWS_AS(elementary::exp_all(std::span<const double>(y).first(10), std::span<double>(y).subspan(1)), Error);
}

TEST_CASE("exp and log never fall over consecutive doubles, nor the normal and lognormal inverses over a dense grid") {
  // WholeDraw's bisection relies on the inverse never falling as its uniform grows: exp, log and
  // the quantile function each monotone, as correctly rounded functions are.
  auto rising = [](auto f, double from, std::size_t n) {
    double x = from, last = f(x);
    for (std::size_t i = 0; i < n; ++i) {
      x = std::nextafter(x, kInf);
      const double v = f(x);
      if (v < last) return x;
      last = v;
    }
    return 0.0;
  };
  for (double from : {-1e-3, 0x1.62e42fefa39efp-8 - 0x1p-50, 0.5, -0.25, 3.0, -20.0, 700.0})
    CHECK(rising([](double x) { return elementary::exp(x); }, from, 200'000) == 0.0);
  for (double from : {1e-9, 0.075 - 0x1p-40, 1.0 - 0x1p-45, 1.0 - 0x1p-43 * 0x1.fep0, 1.0 + 0x1p-9 - 0x1p-42, 0.6})
    CHECK(rising([](double x) { return elementary::log(x); }, from, 200'000) == 0.0);
  // The uniforms of the whole-number draws, (x + 1/2) / 2^32: every 4099th over the whole range,
  // and every one near the tails' boundary 0.075 and near both ends.
  using K = Distribution::Kind;
  for (const Distribution& d : {Distribution{K::lognormal, 1, 0.5}, Distribution{K::lognormal, 0, 0.05},
                                Distribution{K::normal, 3, 2}, Distribution{K::lognormal, -2, 3}}) {
    CAPTURE(int(d.kind));
    CAPTURE(d.b);
    auto at = [&](std::uint64_t x) { return d.invert((static_cast<double>(x) + 0.5) * 0x1.0p-32); };
    auto check = [&](std::uint64_t from, std::uint64_t to, std::uint64_t step) {
      double last = at(from);
      for (std::uint64_t x = from + step; x < to; x += step) {
        const double v = at(x);
        if (v < last) {
          FAIL_CHECK("the inverse falls at x = " << x);
          return;
        }
        last = v;
      }
    };
    check(0, std::uint64_t{1} << 32, 4099);
    const auto boundary = static_cast<std::uint64_t>(0.075 * 0x1p32);
    check(boundary - 300'000, boundary + 300'000, 1);
    check(0, 300'000, 1);
    check((std::uint64_t{1} << 32) - 300'000, std::uint64_t{1} << 32, 1);
  }
}
