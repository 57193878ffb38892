// NNLS and the calibration of a key: hand cases, brute force over active sets, recovery of known
// weights from exact quotas, leave-one-out by hand, order of the observations, the bootstrap.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "kimsim/calibrate.hpp"

using namespace kimsim;

namespace {

/// The NNLS optimum by enumeration: every subset of columns, solved unconstrained, kept where all
/// its components are positive; the feasible one of least residual.
Eigen::VectorXd brute_force_nnls(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) {
  const auto n = A.cols();
  Eigen::VectorXd best = Eigen::VectorXd::Zero(n);
  double best_r = b.squaredNorm();
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    std::vector<Eigen::Index> cols;
    for (Eigen::Index j = 0; j < n; ++j)
      if (mask & (1u << j)) cols.push_back(j);
    Eigen::MatrixXd As(A.rows(), Eigen::Index(cols.size()));
    for (std::size_t j = 0; j < cols.size(); ++j) As.col(Eigen::Index(j)) = A.col(cols[j]);
    const Eigen::VectorXd z = As.colPivHouseholderQr().solve(b);
    if (z.minCoeff() <= 0) continue;
    const double r = (As * z - b).squaredNorm();
    if (r < best_r) {
      best_r = r;
      best.setZero();
      for (std::size_t j = 0; j < cols.size(); ++j) best(cols[j]) = z(Eigen::Index(j));
    }
  }
  return best;
}

/// A problem of one known year: n recipients with two indicators' shares, exact quotas of the key
/// w and base b at the observed recipients `at`.
CalibrationProblem exact_problem(const Eigen::VectorXd& w, double base, std::vector<std::size_t> at, std::size_t n = 12,
                                 unsigned seed = 7) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.5, 3.0);
  const auto k = w.size();
  Eigen::MatrixXd s(Eigen::Index(n), k);
  for (Eigen::Index r = 0; r < s.rows(); ++r)
    for (Eigen::Index i = 0; i < k; ++i) s(r, i) = u(gen);
  for (Eigen::Index i = 0; i < k; ++i) s.col(i) /= s.col(i).sum();
  CalibrationProblem p;
  p.indicators = std::size_t(k);
  p.groups.push_back({400.0, double(n)});
  p.base = base;
  for (std::size_t r : at) {
    const double key = s.row(Eigen::Index(r)).dot(w);
    p.points.push_back({base + (400.0 - double(n) * base) * key, s.row(Eigen::Index(r)).transpose(), 0});
  }
  return p;
}

}  // namespace

TEST_CASE("nnls: hand cases") {
  // Unconstrained optimum already non-negative: the least-squares solution itself.
  Eigen::MatrixXd A(3, 2);
  A << 1, 0, 0, 1, 1, 1;
  Eigen::VectorXd b(3);
  b << 1, 2, 3;
  NnlsResult r = nnls(A, b);
  CHECK(r.converged);
  CHECK(r.x(0) == doctest::Approx(1.0));
  CHECK(r.x(1) == doctest::Approx(2.0));
  // The unconstrained optimum (-1, 2) is infeasible: x0 = 0, x1 = b.A1/|A1|^2.
  b << -1, 2, 1;
  r = nnls(A, b);
  CHECK(r.x(0) == 0.0);
  CHECK(r.x(1) == doctest::Approx(1.5));
  // Everything pulls below zero: x = 0.
  b << -1, -2, -3;
  r = nnls(A, b);
  CHECK(r.x.isZero());
  // Duplicate columns (rank deficient): a solution of the least residual, non-negative.
  Eigen::MatrixXd D(2, 2);
  D << 1, 1, 1, 1;
  Eigen::VectorXd d(2);
  d << 2, 2;
  r = nnls(D, d);
  CHECK(r.x.minCoeff() >= 0);
  CHECK((D * r.x - d).norm() == doctest::Approx(0.0).epsilon(1e-12));
}

TEST_CASE("nnls: agrees with brute force over every active set on random problems") {
  std::mt19937 gen(2026);
  std::normal_distribution<double> normal;
  for (int trial = 0; trial < 200; ++trial) {
    const Eigen::Index m = 4 + trial % 6, n = 1 + trial % 6;
    Eigen::MatrixXd A(m, n);
    Eigen::VectorXd b(m);
    for (Eigen::Index i = 0; i < m; ++i) {
      b(i) = normal(gen);
      for (Eigen::Index j = 0; j < n; ++j) A(i, j) = normal(gen);
    }
    const NnlsResult r = nnls(A, b);
    const Eigen::VectorXd expect = brute_force_nnls(A, b);
    CAPTURE(trial);
    CHECK(r.converged);
    CHECK(r.x.minCoeff() >= 0);
    CHECK((r.x - expect).norm() <= 1e-9 * (1 + expect.norm()));
  }
}

TEST_CASE("nnls_equality: the constraint holds exactly, and the optimum is the constrained one") {
  // min (x0 - 1)^2 + (x1 - 1)^2 + (x2 + 1)^2 with x0 + x1 + x2 = 1, x >= 0: x = (0.5, 0.5, 0).
  const Eigen::MatrixXd A = Eigen::MatrixXd::Identity(3, 3);
  Eigen::VectorXd b(3);
  b << 1, 1, -1;
  const NnlsResult r = nnls_equality(A, b, Eigen::VectorXd::Ones(3), 1.0);
  CHECK(r.x(0) == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(r.x(1) == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(r.x(2) == 0.0);
  CHECK(std::fabs(r.x.sum() - 1.0) <= 1e-15);
}

TEST_CASE("calibrate: recovers known weights from exact quotas (to 1e-9)") {
  Eigen::VectorXd w(3);
  w << 0.2, 0.5, 0.3;
  const CalibrationProblem p = exact_problem(w, 3.0, {0, 2, 3, 5, 8, 11});
  const CalibrationFit f = fit_key(p);
  CHECK(f.converged);
  CHECK((f.weights - w).cwiseAbs().maxCoeff() < 1e-9);
  CHECK(f.rss < 1e-18);
  SUBCASE("a weight of 0 is found at its bound") {
    Eigen::VectorXd w0(3);
    w0 << 0.0, 0.6, 0.4;
    const CalibrationFit g = fit_key(exact_problem(w0, 3.0, {0, 2, 3, 5, 8, 11}));
    CHECK(g.weights(0) == 0.0);
    CHECK((g.weights - w0).cwiseAbs().maxCoeff() < 1e-9);
  }
  SUBCASE("with the base fitted as well") {
    CalibrationProblem q = p;
    q.fit_base = true;
    q.base = 0;  // the start; the fit must find 3.0
    const CalibrationFit g = fit_key(q);
    CHECK((g.weights - w).cwiseAbs().maxCoeff() < 1e-9);
    CHECK(g.base == doctest::Approx(3.0).epsilon(1e-9));
  }
  SUBCASE("a second year on shares (its budget unknown) leaves the weights as they are") {
    CalibrationProblem q = p;
    q.groups.push_back({std::nullopt, 12});
    const CalibrationProblem other = exact_problem(w, 3.0, {1, 4, 7});
    for (auto pt : other.points) {  // the same shares, a budget of 0.75 times the positions by key
      pt.observed = 3.0 + 0.75 * (pt.observed - 3.0);
      pt.group = 1;
      q.points.push_back(pt);
    }
    CHECK(parameter_count(q) == 4);
    const CalibrationFit g = fit_key(q);
    CHECK(g.converged);
    CHECK((g.weights - w).cwiseAbs().maxCoeff() < 1e-9);
    CHECK(g.units_by_key[1] == doctest::Approx(0.75 * (400 - 12 * 3.0)).epsilon(1e-9));
    SUBCASE("and the base fitted too (the fit alternates): base and weights recovered") {
      q.fit_base = true;
      q.base = 1.0;  // the start
      const CalibrationFit h = fit_key(q);
      CHECK(h.converged);
      CHECK(h.iterations > 1);
      CHECK((h.weights - w).cwiseAbs().maxCoeff() < 1e-9);
      CHECK(h.base == doctest::Approx(3.0).epsilon(1e-9));
    }
  }
}

TEST_CASE("calibrate: the weights sum to 1, also as written in 12 decimals") {
  Eigen::VectorXd w(3);
  w << 1.0 / 3, 1.0 / 3, 1.0 / 3;
  const auto d = weights_in_decimals(w, 12);
  CHECK(std::accumulate(d.begin(), d.end(), std::int64_t{0}) == 1'000'000'000'000);
  CHECK(d[0] == 333'333'333'334);  // the equal remainders: the unit to the first
  CHECK(d[1] == 333'333'333'333);
}

TEST_CASE("calibrate: the fit does not depend on the order of the observations") {
  Eigen::VectorXd w(2);
  w << 0.4, 0.6;
  CalibrationProblem p = exact_problem(w, 3.0, {0, 1, 2, 3, 4, 5, 6});
  // Noise, so that the fit is a compromise (exact data would agree by luck alone).
  const double noise[] = {0.7, -0.4, 1.1, -0.9, 0.2, 0.5, -1.3};
  for (std::size_t r = 0; r < p.points.size(); ++r) p.points[r].observed += noise[r];
  for (bool base : {false, true}) {
    p.fit_base = base;
    const CalibrationFit f = fit_key(p);
    CalibrationProblem q = p;
    std::reverse(q.points.begin(), q.points.end());
    std::rotate(q.points.begin(), q.points.begin() + 3, q.points.end());
    const CalibrationFit g = fit_key(q);
    CAPTURE(base);
    CHECK((f.weights - g.weights).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(f.base == doctest::Approx(g.base).epsilon(1e-12));
    CHECK(f.rss == doctest::Approx(g.rss).epsilon(1e-12));
  }
}

TEST_CASE("calibrate: leave-one-out by hand") {
  // Two indicators, the base fixed: w = (t, 1 - t), quota_r = b + K (s_r2 + (s_r1 - s_r2) t), a
  // least-squares line in t. Leaving point i out, t is the closed form over the other two.
  CalibrationProblem p;
  p.indicators = 2;
  p.base = 1.0;
  p.groups.push_back({100.0, 10});
  const double K = 100.0 - 10 * 1.0;
  const double s[3][2] = {{0.10, 0.20}, {0.30, 0.05}, {0.15, 0.15}};
  const double y[3] = {14.0, 20.0, 15.5};
  for (int r = 0; r < 3; ++r) p.points.push_back({y[r], Eigen::Vector2d(s[r][0], s[r][1]), 0});
  const LeaveOneOut loo = leave_one_out(p);
  std::vector<double> errors;
  for (int i = 0; i < 3; ++i) {
    double num = 0, den = 0;
    for (int r = 0; r < 3; ++r) {
      if (r == i) continue;
      const double d = K * (s[r][0] - s[r][1]);
      num += d * (y[r] - 1.0 - K * s[r][1]);
      den += d * d;
    }
    const double t = std::clamp(num / den, 0.0, 1.0);
    const double prediction = 1.0 + K * (s[i][1] + (s[i][0] - s[i][1]) * t);
    CAPTURE(i);
    CHECK(loo.prediction[std::size_t(i)] == doctest::Approx(prediction).epsilon(1e-12));
    errors.push_back(prediction - y[i]);
  }
  const ErrorMetrics m = error_metrics(errors);
  CHECK(loo.metrics.mae == doctest::Approx(m.mae).epsilon(1e-12));
  CHECK(loo.metrics.rmse == doctest::Approx(m.rmse).epsilon(1e-12));
  CHECK(loo.metrics.count == 3);
}

TEST_CASE("calibrate: error metrics") {
  const ErrorMetrics m = error_metrics({1.0, -3.0, std::nan(""), 0.0});
  CHECK(m.count == 3);
  CHECK(m.mae == doctest::Approx(4.0 / 3));
  CHECK(m.rmse == doctest::Approx(std::sqrt(10.0 / 3)));
  CHECK(m.max_error == 3.0);
}

TEST_CASE("calibrate: the bootstrap is deterministic per seed and varies with it") {
  Eigen::VectorXd w(2);
  w << 0.4, 0.6;
  CalibrationProblem p = exact_problem(w, 3.0, {0, 1, 2, 3, 4, 5});
  const double noise[] = {0.7, -0.4, 1.1, -0.9, 0.2, 0.5};
  for (std::size_t r = 0; r < p.points.size(); ++r) p.points[r].observed += noise[r];
  const BootstrapSummary a = bootstrap(p, 200, 42), b = bootstrap(p, 200, 42), c = bootstrap(p, 200, 43);
  CHECK(a.sd == b.sd);
  CHECK(a.p05 == b.p05);
  CHECK(a.p95 == b.p95);
  CHECK(a.sd != c.sd);
  CHECK(a.sd(0) > 0);
  CHECK(a.p05(0) <= a.p95(0));
  // The two weights sum to 1 in every resample: their spreads are equal.
  CHECK(a.sd(0) == doctest::Approx(a.sd(1)).epsilon(1e-9));
}
