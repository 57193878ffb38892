// Biproportional apportionment: the published Swiss results reproduced cell by cell, and the
// invariants (row and column sums, valid divisor apportionment in every column) on random
// matrices.
#include <doctest/doctest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "io/csv.hpp"
#include "kimsim/biproportional.hpp"
#include "bip_reference.hpp"
#include "published.hpp"

using namespace kimsim;

namespace {

std::map<std::string, std::int64_t> parse_list(const std::string& text) {  // "a=1;b=2"
  std::map<std::string, std::int64_t> m;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ';');) {
    const auto eq = item.rfind('=');
    m[item.substr(0, eq)] = std::stoll(item.substr(eq + 1));
  }
  return m;
}

/// Column sums as given, row sums as apportioned, no unit without weight.
void check_sums(const BiproportionalProblem& p, const BiproportionalResult& out) {
  for (std::size_t j = 0; j < p.cols; ++j) {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < p.rows; ++i) s += out.seats[i * p.cols + j];
    CHECK(s == p.col_seats[j]);
  }
  for (std::size_t i = 0; i < p.rows; ++i) {
    std::int64_t s = 0;
    for (std::size_t j = 0; j < p.cols; ++j) {
      s += out.seats[i * p.cols + j];
      if (p.weight[i * p.cols + j] == 0) CHECK(out.seats[i * p.cols + j] == 0);
    }
    CHECK(s == out.row_seats[i]);
  }
}

}  // namespace

TEST_CASE("published biproportional apportionments (Zurich, Uri) are reproduced exactly") {
  int files = 0;
  for (const auto& path : test::published_files()) {
    const auto t = io::read_csv(path);
    if (!t.column("row")) continue;
    INFO(path);
    const auto meta = test::read_meta(path);
    const auto col_seats = parse_list(meta.at("col_seats"));
    const auto row_seats = parse_list(meta.at("row_seats"));
    std::vector<std::string> rows, cols;
    auto index = [](std::vector<std::string>& v, const std::string& s) {
      auto it = std::find(v.begin(), v.end(), s);
      if (it != v.end()) return std::size_t(it - v.begin());
      v.push_back(s);
      return v.size() - 1;
    };
    for (const auto& r : t.rows) index(rows, t.cell(r, 0)), index(cols, t.cell(r, 1));
    BiproportionalProblem p;
    p.rows = rows.size();
    p.cols = cols.size();
    p.weight.assign(p.rows * p.cols, 0);
    std::vector<std::int64_t> expected(p.rows * p.cols, 0);
    for (const auto& r : t.rows) {
      const auto i = index(rows, t.cell(r, 0)), j = index(cols, t.cell(r, 1));
      p.weight[i * p.cols + j] = std::uint64_t(*io::parse_count(t.cell(r, 2)));
      expected[i * p.cols + j] = *io::parse_count(t.cell(r, 3));
    }
    for (const auto& c : cols) p.col_seats.push_back(col_seats.at(c));
    p.per_seat_row_sums = true;
    const Rule rule{Method::sainte_lague, std::nullopt, TiePolicy::error, 0};
    const auto out = apportion_biproportional(rule, p);
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(out.row_seats[i] == row_seats.at(rows[i]));
    CHECK(out.seats == expected);
    // Given the published row totals directly, the lower apportionment is the same.
    p.row_seats = out.row_seats;
    CHECK(apportion_biproportional(rule, p).seats == expected);
    ++files;
  }
  CHECK(files == 4);
}

TEST_CASE("biproportional invariants on random matrices") {
  std::mt19937_64 rng(11);
  int solved = 0, ties = 0;
  for (int it = 0; it < 400; ++it) {
    BiproportionalProblem p;
    p.rows = 2 + rng() % 6;
    p.cols = 2 + rng() % 6;
    for (std::size_t k = 0; k < p.rows * p.cols; ++k)
      p.weight.push_back(rng() % 6 == 0 ? 0 : 1 + rng() % (it % 2 ? 50 : 100000));
    for (std::size_t j = 0; j < p.cols; ++j) p.col_seats.push_back(1 + std::int64_t(rng() % 12));
    const Method m = it % 3 == 0 ? Method::dhondt : Method::sainte_lague;
    const Rule rule{m, std::nullopt, TiePolicy::order, 0};
    BiproportionalResult out;
    try {
      out = apportion_biproportional(rule, p);
    } catch (const InputError&) {
      continue;  // e.g. a row with seats but no weight in any column that could give
    }
    ++solved;
    ties += out.tie.has_value();
    check_sums(p, out);
    // Rounding: every cell is w / (x_i y_j) rounded by the method's signposts.
    for (std::size_t i = 0; i < p.rows; ++i)
      for (std::size_t j = 0; j < p.cols; ++j) {
        const double w = double(p.weight[i * p.cols + j]);
        if (w == 0) continue;
        const double q = w / (out.row_multiplier[i] * out.col_divisor[j]);
        const auto a = out.seats[i * p.cols + j];
        const double off = m == Method::dhondt ? 1.0 : 0.5;
        CHECK(q <= (a + off) * (1 + 1e-9));
        if (a > 0) CHECK(q >= (a - 1 + off) * (1 - 1e-9));
      }
  }
  CHECK(solved > 300);
  MESSAGE(solved << " random matrices solved, " << ties << " with a reported tie");
}

namespace {

BiproportionalProblem square(std::vector<std::uint64_t> weight, std::vector<std::int64_t> col_seats,
                             std::vector<std::int64_t> row_seats = {}) {
  BiproportionalProblem p;
  p.cols = col_seats.size();
  p.rows = weight.size() / p.cols;
  p.weight = std::move(weight);
  p.col_seats = std::move(col_seats);
  p.row_seats = std::move(row_seats);
  return p;
}

Rule rule_with(TiePolicy ties, std::uint64_t seed = 0) {
  return Rule{Method::sainte_lague, std::nullopt, ties, seed};
}

}  // namespace

TEST_CASE("a biproportional tie is reported, and order gives the units to the first cells in row-major order") {
  // Two equal rows and two equal columns, one seat each: (1,0;0,1) and (0,1;1,0) are both valid.
  const auto p = square({10, 10, 10, 10}, {1, 1}, {1, 1});
  CHECK_THROWS_AS(apportion_biproportional(rule_with(TiePolicy::error), p), TieError);
  const auto out = apportion_biproportional(rule_with(TiePolicy::order), p);
  REQUIRE(out.tie.has_value());
  CHECK(out.tie->competitors == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(out.tie->units == 2);
  // Cell (1,1) comes first and a valid result gives it a unit, so it gets one; then (1,2) cannot.
  CHECK(out.seats == std::vector<std::int64_t>{1, 0, 0, 1});
}

TEST_CASE("order does not depend on where the proposal starts: the first tied cells win") {
  // Column 1's first unit is tied between all three rows at the start; rows 2 and 3 are also tied
  // in columns 2 and 3. Every one-seat-per-row-and-column matrix is valid; order takes the
  // lexicographically greatest in row-major order: the identity.
  const auto p = square({5, 5, 5, 5, 5, 5, 5, 5, 5}, {1, 1, 1}, {1, 1, 1});
  const auto out = apportion_biproportional(rule_with(TiePolicy::order), p);
  CHECK(out.seats == std::vector<std::int64_t>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  // Row 1 is stronger in column 3, so it must take column 3; the rest is tied and goes in order.
  const auto q = square({5, 5, 6, 5, 5, 5, 5, 5, 5}, {1, 1, 1}, {1, 1, 1});
  const auto out2 = apportion_biproportional(rule_with(TiePolicy::order), q);
  CHECK(out2.seats == std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 0, 1, 0});
  REQUIRE(out2.tie.has_value());
  CHECK(out2.tie->competitors == std::vector<std::size_t>{3, 4, 6, 7});
}

TEST_CASE("order is row-major order, not another order of the tied cells") {
  // Both results below are valid (the reference confirms it); order must take the first, whose
  // seats are greater at the first cell where they differ, (A, X). Giving the units to the tied
  // cells last in row-major order first yields the second.
  const auto p = square({2, 2, 2, 4, 2, 2, 2, 6, 6, 2, 2, 2}, {2, 2, 1, 3});
  const std::vector<std::int64_t> first = {1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1};
  const std::vector<std::int64_t> last = {0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1};
  const Rule rule = rule_with(TiePolicy::order);
  const auto out = apportion_biproportional(rule, p);
  CHECK(out.seats == first);
  auto fixed = p;
  fixed.row_seats = out.row_seats;
  CHECK(test::verify(rule, fixed, last).valid);
  CHECK_FALSE(test::verify(rule, fixed, last).unique);
}

TEST_CASE("order is the lexicographically greatest valid matrix: brute force on small tied matrices") {
  // Every matrix with the row and column totals is enumerated and checked by the reference; order
  // must return the greatest valid one in row-major order, whatever matrix the proposal started
  // from. Weights from few values (rank one and equal blocks) make most matrices tied.
  std::mt19937_64 rng(4242);
  int tied = 0;
  for (int it = 0; it < 300; ++it) {
    BiproportionalProblem p;
    p.rows = 2 + rng() % 2;
    p.cols = 2 + rng() % 2;
    std::vector<std::uint64_t> u(p.rows), v(p.cols);
    for (auto& x : u) x = 1 + rng() % 3;
    for (auto& x : v) x = 1 + rng() % 3;
    for (std::size_t c = 0; c < p.rows * p.cols; ++c)
      p.weight.push_back(it % 3 == 0 ? 1 + rng() % 3 : u[c / p.cols] * v[c % p.cols]);
    for (std::size_t j = 0; j < p.cols; ++j) p.col_seats.push_back(std::int64_t(rng() % 4));
    const Rule rule{it % 2 ? Method::dhondt : Method::sainte_lague, std::nullopt, TiePolicy::order, 0};
    BiproportionalResult out;
    try {
      out = apportion_biproportional(rule, p);
    } catch (const InputError&) {
      continue;
    }
    p.row_seats = out.row_seats;
    INFO("matrix " << it);
    std::vector<std::int64_t> a(p.rows * p.cols, 0), best;
    const std::function<void(std::size_t)> fill = [&](std::size_t c) {
      if (c == a.size()) {
        for (std::size_t j = 0; j < p.cols; ++j) {
          std::int64_t s = 0;
          for (std::size_t i = 0; i < p.rows; ++i) s += a[i * p.cols + j];
          if (s != p.col_seats[j]) return;
        }
        if (test::verify(rule, p, a).valid && (best.empty() || a > best)) best = a;
        return;
      }
      std::int64_t row_left = p.row_seats[c / p.cols];
      for (std::size_t k = (c / p.cols) * p.cols; k < c; ++k) row_left -= a[k];
      if (c % p.cols == p.cols - 1) {  // the row's last cell takes what is left
        if (row_left < 0 || (row_left > 0 && p.weight[c] == 0)) return;
        a[c] = row_left, fill(c + 1), a[c] = 0;
        return;
      }
      for (std::int64_t k = 0; k <= row_left && (k == 0 || p.weight[c] > 0); ++k) a[c] = k, fill(c + 1);
      a[c] = 0;
    };
    fill(0);
    REQUIRE_FALSE(best.empty());
    CHECK(out.seats == best);
    tied += out.tie.has_value();
  }
  CHECK(tied > 50);
}

TEST_CASE("lot decides a biproportional tie by the seed, reproducibly") {
  const auto p = square({10, 10, 10, 10}, {1, 1}, {1, 1});
  const auto seats = [&](std::uint64_t seed) {
    return apportion_biproportional(rule_with(TiePolicy::lot, seed), p).seats;
  };
  CHECK(seats(0) == std::vector<std::int64_t>{1, 0, 0, 1});
  CHECK(seats(1) == std::vector<std::int64_t>{0, 1, 1, 0});
  CHECK(seats(1) == seats(1));
  int diagonal = 0;
  for (std::uint64_t seed = 0; seed < 64; ++seed) diagonal += seats(seed)[0];
  CHECK(diagonal > 16);  // both outcomes occur, neither rarely
  CHECK(diagonal < 48);
}

TEST_CASE("near-ties are decided exactly") {
  const std::uint64_t E15 = 1'000'000'000'000'000;
  // Only r1.j3 = r2.j1 = r3.j2 = 1 admits multipliers: the diagonal's cycle product is below 1
  // by about 1e-12, which a relative tolerance of 1e-12 took for a tie.
  {
    const auto p = square({E15, 0, E15, E15 - 1200, E15 - 800, 0, 0, E15, E15 - 800}, {1, 1, 1});
    const auto out = apportion_biproportional(rule_with(TiePolicy::error), p);
    CHECK(out.seats == std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 0, 1, 0});
  }
  // A.X + B.Y is the unique result (1000000^2 > 999999 * 1000001): no tie.
  {
    const auto p = square({1000000, 999999, 1000001, 1000000}, {1, 1});
    const auto out = apportion_biproportional(rule_with(TiePolicy::error), p);
    CHECK(out.seats == std::vector<std::int64_t>{1, 0, 0, 1});
    CHECK_FALSE(out.tie.has_value());
  }
  // (2^50+1)^2 > 2^50 (2^50+1): A.X + B.Y again, also under order, which must not invent a tie.
  {
    const std::uint64_t t = std::uint64_t{1} << 50;
    const auto p = square({t + 1, t + 1, t, t + 1}, {1, 1}, {1, 1});
    const auto out = apportion_biproportional(rule_with(TiePolicy::order), p);
    CHECK(out.seats == std::vector<std::int64_t>{1, 0, 0, 1});
    CHECK_FALSE(out.tie.has_value());
  }
}

TEST_CASE("the reported column divisor is the middle of the column's interval") {
  // Contract: y_j = (max claim + min holding) / 2 under the reported multipliers, so it lies
  // strictly inside wherever the interval is not a point, and equals the max claim where the
  // column has no holding (all its units are minimums, or it has none).
  std::mt19937_64 rng(7);
  int inside = 0;
  for (int it = 0; it < 300; ++it) {
    BiproportionalProblem p;
    p.rows = 2 + rng() % 5;
    p.cols = 2 + rng() % 5;
    for (std::size_t k = 0; k < p.rows * p.cols; ++k) p.weight.push_back(1 + rng() % 100000);
    for (std::size_t j = 0; j < p.cols; ++j) p.col_seats.push_back(std::int64_t(rng() % 8));
    const auto out = apportion_biproportional(rule_with(TiePolicy::order), p);
    for (std::size_t j = 0; j < p.cols; ++j) {
      long double lo = 0, hi = INFINITY;
      for (std::size_t i = 0; i < p.rows; ++i) {
        const long double w = p.weight[i * p.cols + j], x = out.row_multiplier[i];
        const auto a = out.seats[i * p.cols + j];
        lo = std::max(lo, w / (x * (a + 0.5L)));
        if (a > 0) hi = std::min(hi, w / (x * (a - 0.5L)));
      }
      const long double y = out.col_divisor[j];
      if (std::isinf(hi)) {
        CHECK(y == doctest::Approx(double(lo)).epsilon(1e-12));
      } else if (hi - lo > 1e-9L * hi) {
        CHECK(lo < y);
        CHECK(y < hi);
        CHECK(std::fabs(y - (lo + hi) / 2) <= 1e-6L * (hi - lo));
        ++inside;
      } else {
        CHECK(y == doctest::Approx(double(lo)).epsilon(1e-9));
      }
    }
  }
  CHECK(inside > 500);
}

// ---------------------------------------------------------------------------------------------
// Random matrices against the exact reference of bip_reference.hpp.

namespace {

using test::Verdict;
using test::verify;

BiproportionalProblem random_problem(std::mt19937_64& rng, int kind) {
  BiproportionalProblem p;
  p.rows = 1 + rng() % 8;
  p.cols = 1 + rng() % 8;
  // Near-ties: a rank-one matrix K u_i v_j makes every cycle product exactly 1; small offsets move
  // them by a relative 1e-15 or so. Small weights give exact ties; weights near 2^53 both.
  const std::uint64_t K = std::uint64_t{1} << (20 + rng() % 27);
  std::vector<std::uint64_t> u(p.rows), v(p.cols);
  for (auto& x : u) x = 1 + rng() % 8;
  for (auto& x : v) x = 1 + rng() % 8;
  for (std::size_t c = 0; c < p.rows * p.cols; ++c) {
    std::uint64_t w = 0;
    switch (kind) {
      case 0: w = rng() % 7 == 0 ? 0 : 1 + rng() % 6; break;
      case 1: w = K * u[c / p.cols] * v[c % p.cols] + rng() % 5 - 2; break;
      case 2: w = rng() % 9 == 0 ? 0 : 1 + rng() % kMaxWeight; break;
      case 3: w = 1'000'000'000 + rng() % 1'000'000; break;  // with thousands of seats, below
      default: w = (kMaxWeight >> (rng() % 2)) - rng() % 3; break;
    }
    p.weight.push_back(w);
  }
  // Claims w / s(a) of weights near 10^9 and a in the thousands differ by one part in 10^12 or
  // less at the granularity of the integers: near-ties that a relative tolerance took for ties.
  for (std::size_t j = 0; j < p.cols; ++j)
    p.col_seats.push_back(kind == 3 ? std::int64_t(1000 + rng() % 2000)
                                    : std::int64_t(rng() % 9 == 0 ? 0 : 1 + rng() % 5));
  std::int64_t house = 0;
  for (auto c : p.col_seats) house += c;
  if (rng() % 8 == 0) {  // given row totals, a random split of the house
    p.row_seats.assign(p.rows, 0);
    for (std::int64_t s = 0; s < house; ++s) ++p.row_seats[rng() % p.rows];
  } else if (kind != 0) {
    // Row sums of weights near 2^53 exceed the exact upper apportionment: given row totals in
    // proportion to the row sums (scaled down) instead.
    std::vector<std::uint64_t> sums(p.rows, 0);
    for (std::size_t c = 0; c < p.rows * p.cols; ++c) sums[c / p.cols] += (p.weight[c] >> 4) + 1;
    p.row_seats = apportion(Rule{Method::sainte_lague, std::nullopt, TiePolicy::order, 0}, sums, house);
  }
  p.per_seat_row_sums = kind == 0 && rng() % 5 == 0;
  return p;
}

}  // namespace

TEST_CASE("biproportional results agree with an exact reference on random matrices, near-ties included") {
  std::mt19937_64 rng(20261130);
  int unique = 0, tied = 0, refused = 0;
  for (int it = 0; it < 10000; ++it) {
    BiproportionalProblem p = random_problem(rng, it % 5);
    Rule rule{rng() % 2 ? Method::dhondt : Method::sainte_lague, std::nullopt, TiePolicy::order, 0};
    if (rng() % 6 == 0)
      rule.first_signpost = rule.method == Method::dhondt ? Ratio{142, 100} : Ratio{7, 10};
    INFO("matrix " << it);
    BiproportionalResult ordered;
    try {
      ordered = apportion_biproportional(rule, p);
    } catch (const InputError&) {
      ++refused;  // e.g. a row with seats but no weight where units could go
      continue;
    }
    check_sums(p, ordered);
    const Verdict v = verify(rule, p, ordered.seats);
    REQUIRE(v.valid);
    // The matrix tie alone: with the row totals fixed, a tie of the upper apportionment is out.
    BiproportionalProblem fixed = p;
    fixed.row_seats = ordered.row_seats;
    Rule strict = rule;
    strict.ties = TiePolicy::error;
    Rule lot = rule;
    lot.ties = TiePolicy::lot;
    lot.seed = std::uint64_t(it);
    if (v.unique) {
      ++unique;
      CHECK_FALSE(ordered.tie.has_value());
      CHECK(apportion_biproportional(strict, fixed).seats == ordered.seats);
      CHECK(apportion_biproportional(lot, fixed).seats == ordered.seats);
    } else {
      ++tied;
      CHECK(ordered.tie.has_value());
      CHECK_THROWS_AS(apportion_biproportional(strict, fixed), TieError);
      const auto drawn = apportion_biproportional(lot, fixed);
      check_sums(fixed, drawn);
      CHECK(drawn.tie.has_value());
      CHECK(verify(rule, fixed, drawn.seats).valid);
    }
  }
  MESSAGE(unique << " unique, " << tied << " tied, " << refused << " refused");
  CHECK(unique > 4000);
  CHECK(tied > 500);
}
