// Calibration of a key to observed positions: NNLS (Lawson–Hanson on Eigen's QR), the fit of the
// key's weights, leave-one-out and the bootstrap. See kimsim/calibrate.hpp for the model.
#include "kimsim/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kimsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The least-squares solution on the columns `passive` of A, scattered into a vector of A's width.
Eigen::VectorXd passive_solve(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const std::vector<Eigen::Index>& passive) {
  Eigen::MatrixXd Ap(A.rows(), Eigen::Index(passive.size()));
  for (std::size_t j = 0; j < passive.size(); ++j) Ap.col(Eigen::Index(j)) = A.col(passive[j]);
  const Eigen::VectorXd zp = Ap.colPivHouseholderQr().solve(b);
  Eigen::VectorXd z = Eigen::VectorXd::Zero(A.cols());
  for (std::size_t j = 0; j < passive.size(); ++j) z(passive[j]) = zp(Eigen::Index(j));
  return z;
}

}  // namespace

NnlsResult nnls(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, int max_iterations, double tolerance) {
  const Eigen::Index n = A.cols();
  NnlsResult r;
  r.x = Eigen::VectorXd::Zero(n);
  if (n == 0) return r;
  if (max_iterations <= 0) max_iterations = 3 * int(n + 1);
  if (tolerance <= 0)
    tolerance = 10 * std::numeric_limits<double>::epsilon() * A.cwiseAbs().colwise().sum().maxCoeff() *
                double(std::max(A.rows(), n));
  std::vector<char> in_passive(std::size_t(n), 0);
  std::vector<Eigen::Index> passive;
  Eigen::VectorXd& x = r.x;
  Eigen::VectorXd w = A.transpose() * (b - A * x);
  for (int outer = 0;; ++outer) {
    // The most promising variable still held at zero; done where none would lower the residual.
    Eigen::Index t = -1;
    double best = tolerance;
    for (Eigen::Index j = 0; j < n; ++j)
      if (!in_passive[std::size_t(j)] && w(j) > best) best = w(j), t = j;
    if (t < 0) break;
    if (outer >= max_iterations) {
      r.converged = false;
      break;
    }
    in_passive[std::size_t(t)] = 1;
    passive.push_back(t);
    bool taken_back = false;
    for (bool first = true;; first = false) {
      Eigen::VectorXd z = passive_solve(A, b, passive);
      ++r.iterations;
      bool feasible = true;
      for (Eigen::Index j : passive) feasible = feasible && z(j) > tolerance;
      if (feasible) {
        x = z;
        break;
      }
      if (first && z(t) <= tolerance) {
        // Rounding made the gradient positive where the solve says the variable should not move:
        // take it back rather than cycle (Lawson and Hanson's safeguard).
        in_passive[std::size_t(t)] = 0;
        passive.pop_back();
        w(t) = 0;
        taken_back = true;
        break;
      }
      // Step from x towards z as far as x stays non-negative; the variables that reach zero leave.
      double alpha = 1;
      for (Eigen::Index j : passive)
        if (z(j) <= tolerance) alpha = std::min(alpha, x(j) / (x(j) - z(j)));
      x += alpha * (z - x);
      std::vector<Eigen::Index> kept;
      for (Eigen::Index j : passive) {
        if (x(j) <= tolerance) {
          x(j) = 0;
          in_passive[std::size_t(j)] = 0;
        } else {
          kept.push_back(j);
        }
      }
      passive = std::move(kept);
      if (passive.empty()) break;
    }
    if (!taken_back) w = A.transpose() * (b - A * x);
  }
  return r;
}

NnlsResult nnls_equality(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const Eigen::VectorXd& c, double d) {
  const Eigen::Index m = A.rows(), n = A.cols();
  // The weighting method: the constraint row first (Householder QR is stable for a heavy row when
  // it leads), weighted 1e6 times the largest entry, so that it dominates any residual.
  const double weight = 1e6 * std::max({1.0, A.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff()}) /
                        std::max(c.cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
  Eigen::MatrixXd Aw(m + 1, n);
  Eigen::VectorXd bw(m + 1);
  Aw.row(0) = weight * c.transpose();
  bw(0) = weight * d;
  Aw.bottomRows(m) = A;
  bw.tail(m) = b;
  NnlsResult r = nnls(Aw, bw);
  // Exactly on the constraint: with the zero components fixed, minimise ||A_P x_P - b|| subject to
  // c_P'x_P = d in the null space of c_P: x_P = x0 + Z y, x0 = c_P d / |c_P|^2.
  std::vector<Eigen::Index> passive;
  for (Eigen::Index j = 0; j < n; ++j)
    if (r.x(j) > 0) passive.push_back(j);
  const auto p = Eigen::Index(passive.size());
  if (p == 0) return r;
  Eigen::MatrixXd Ap(m, p);
  Eigen::VectorXd cp(p);
  for (Eigen::Index j = 0; j < p; ++j) Ap.col(j) = A.col(passive[std::size_t(j)]), cp(j) = c(passive[std::size_t(j)]);
  if (!(cp.squaredNorm() > 0)) return r;
  Eigen::VectorXd xp = cp * (d / cp.squaredNorm());
  if (p > 1) {
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(cp);
    const Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(p, p);
    const Eigen::MatrixXd Z = Q.rightCols(p - 1);
    const Eigen::VectorXd y = (Ap * Z).colPivHouseholderQr().solve(b - Ap * xp);
    xp += Z * y;
  }
  // Kept where it stays non-negative (it does unless the weighting left the active set unsettled).
  if (xp.minCoeff() >= 0) {
    r.x.setZero();
    for (Eigen::Index j = 0; j < p; ++j) r.x(passive[std::size_t(j)]) = xp(j);
  }
  return r;
}

std::size_t parameter_count(const CalibrationProblem& p) {
  std::vector<char> used(p.groups.size(), 0);
  for (const auto& pt : p.points) used[pt.group] = 1;
  std::size_t scales = 0;
  for (std::size_t g = 0; g < p.groups.size(); ++g) scales += used[g] && !p.groups[g].positions;
  return p.indicators + (p.fit_base ? 1 : 0) + scales;
}

double predict(const CalibrationProblem&, const CalibrationFit& fit, const CalibrationPoint& point) {
  const double k = fit.units_by_key[point.group];
  return fit.base + k * point.shares.dot(fit.weights);
}

namespace {

/// K_g of every group for base b and the scales of groups on shares.
void set_units(const CalibrationProblem& p, double base, const std::vector<double>& scale, std::vector<double>& units) {
  units.resize(p.groups.size());
  for (std::size_t g = 0; g < p.groups.size(); ++g)
    units[g] = p.groups[g].positions ? *p.groups[g].positions - p.groups[g].recipients * base : scale[g];
}

double residual_sum(const CalibrationProblem& p, CalibrationFit& f) {
  f.fitted.resize(Eigen::Index(p.points.size()));
  double rss = 0;
  for (std::size_t r = 0; r < p.points.size(); ++r) {
    f.fitted(Eigen::Index(r)) = predict(p, f, p.points[r]);
    const double e = f.fitted(Eigen::Index(r)) - p.points[r].observed;
    rss += e * e;
  }
  return rss;
}

/// The key given base and units by key: rows K_g s_r . w = y_r - b, with sum(w) = 1.
Eigen::VectorXd fit_weights(const CalibrationProblem& p, double base, const std::vector<double>& units) {
  const auto m = Eigen::Index(p.points.size()), k = Eigen::Index(p.indicators);
  Eigen::MatrixXd A(m, k);
  Eigen::VectorXd y(m);
  for (Eigen::Index r = 0; r < m; ++r) {
    const CalibrationPoint& pt = p.points[std::size_t(r)];
    A.row(r) = units[pt.group] * pt.shares.transpose();
    y(r) = pt.observed - base;
  }
  Eigen::VectorXd w = nnls_equality(A, y, Eigen::VectorXd::Ones(k), 1.0).x;
  const double sum = w.sum();
  return sum > 0 ? Eigen::VectorXd(w / sum) : Eigen::VectorXd(Eigen::VectorXd::Constant(k, 1.0 / double(k)));
}

/// Base (if fitted) and the scales of groups on shares, given the key: linear in both.
void fit_base_and_scales(const CalibrationProblem& p, const Eigen::VectorXd& w, double& base, std::vector<double>& scale) {
  std::vector<Eigen::Index> column(p.groups.size(), -1);
  Eigen::Index cols = p.fit_base ? 1 : 0;
  for (const auto& pt : p.points)
    if (!p.groups[pt.group].positions && column[pt.group] < 0) column[pt.group] = cols++;
  if (cols == 0) return;
  const auto m = Eigen::Index(p.points.size());
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(m, cols);
  Eigen::VectorXd y(m);
  for (Eigen::Index r = 0; r < m; ++r) {
    const CalibrationPoint& pt = p.points[std::size_t(r)];
    const CalibrationGroup& g = p.groups[pt.group];
    const double key = pt.shares.dot(w);
    // quota = b (1 - n k) + P k for a known budget, b + c k on shares.
    const double a = g.positions ? 1 - g.recipients * key : 1.0;
    y(r) = pt.observed - (g.positions ? *g.positions * key : 0.0);
    if (p.fit_base) A(r, 0) = a;
    else y(r) -= a * base;
    if (!g.positions) A(r, column[pt.group]) = key;
  }
  const Eigen::VectorXd x = nnls(A, y).x;
  if (p.fit_base) base = x(0);
  for (std::size_t g = 0; g < p.groups.size(); ++g)
    if (column[g] >= 0) scale[g] = x(column[g]);
}

}  // namespace

CalibrationFit fit_key(const CalibrationProblem& p) {
  const auto k = Eigen::Index(p.indicators);
  CalibrationFit f;
  f.base = p.base;
  std::vector<double> scale(p.groups.size(), kNaN);
  std::vector<char> used(p.groups.size(), 0);
  for (const auto& pt : p.points) used[pt.group] = 1;
  std::size_t known = 0, shares = 0;
  for (std::size_t g = 0; g < p.groups.size(); ++g)
    if (used[g]) (p.groups[g].positions ? known : shares) += 1;
  if (shares == 0 && !p.fit_base) {
    // Linear in w: one NNLS.
    set_units(p, f.base, scale, f.units_by_key);
    f.weights = fit_weights(p, f.base, f.units_by_key);
    f.iterations = 1;
  } else if (shares == 0 && known == 1) {
    // Linear in (v, b) with v = K w: quota_r = b + s_r . v, and sum(v) + n b = P.
    std::size_t g0 = 0;
    while (!used[g0]) ++g0;
    const CalibrationGroup& g = p.groups[g0];
    const auto m = Eigen::Index(p.points.size());
    Eigen::MatrixXd A(m, k + 1);
    Eigen::VectorXd y(m);
    for (Eigen::Index r = 0; r < m; ++r) {
      A.row(r).head(k) = p.points[std::size_t(r)].shares.transpose();
      A(r, k) = 1;
      y(r) = p.points[std::size_t(r)].observed;
    }
    Eigen::VectorXd c = Eigen::VectorXd::Ones(k + 1);
    c(k) = g.recipients;
    const Eigen::VectorXd x = nnls_equality(A, y, c, *g.positions).x;
    const double sum = x.head(k).sum();
    f.weights = sum > 0 ? Eigen::VectorXd(x.head(k) / sum) : Eigen::VectorXd(Eigen::VectorXd::Constant(k, 1.0 / double(k)));
    f.base = x(k);
    set_units(p, f.base, scale, f.units_by_key);
    f.iterations = 1;
  } else {
    f.weights = Eigen::VectorXd::Constant(k, 1.0 / double(k));
    f.converged = false;
    for (f.iterations = 1; f.iterations <= 5000; ++f.iterations) {
      const Eigen::VectorXd weights = f.weights;
      const double base = f.base;
      const std::vector<double> before = scale;
      fit_base_and_scales(p, f.weights, f.base, scale);
      set_units(p, f.base, scale, f.units_by_key);
      f.weights = fit_weights(p, f.base, f.units_by_key);
      // Settled when no parameter moves any more (relative 1e-14): the residual flattens near the
      // optimum long before the parameters stop moving, so it is no test of convergence.
      double moved = (f.weights - weights).cwiseAbs().maxCoeff();
      moved = std::max(moved, std::fabs(f.base - base) / std::max(1.0, std::fabs(f.base)));
      for (std::size_t g = 0; g < scale.size(); ++g)
        if (!std::isnan(scale[g]) && !std::isnan(before[g]))
          moved = std::max(moved, std::fabs(scale[g] - before[g]) / std::max(1.0, std::fabs(scale[g])));
      if (f.iterations > 1 && moved <= 1e-14) {
        f.converged = true;
        break;
      }
    }
    f.iterations = std::min(f.iterations, 5000);
  }
  for (std::size_t g = 0; g < p.groups.size(); ++g)
    if (!used[g]) f.units_by_key[g] = p.groups[g].positions ? f.units_by_key[g] : kNaN;
  f.rss = residual_sum(p, f);
  return f;
}

ErrorMetrics error_metrics(const std::vector<double>& errors) {
  ErrorMetrics m;
  double abs = 0, squares = 0;
  for (double e : errors) {
    if (std::isnan(e)) continue;
    ++m.count;
    abs += std::fabs(e);
    squares += e * e;
    m.max_error = std::max(m.max_error, std::fabs(e));
  }
  if (m.count) m.mae = abs / double(m.count), m.rmse = std::sqrt(squares / double(m.count));
  return m;
}

LeaveOneOut leave_one_out(const CalibrationProblem& p) {
  LeaveOneOut out;
  std::vector<double> errors;
  for (std::size_t i = 0; i < p.points.size(); ++i) {
    CalibrationProblem rest = p;
    rest.points.erase(rest.points.begin() + long(i));
    double prediction = kNaN;
    bool group_left = false;  // a year on shares needs another point of its year for its scale
    for (const auto& pt : rest.points) group_left = group_left || pt.group == p.points[i].group;
    if (!rest.points.empty() && (p.groups[p.points[i].group].positions || group_left))
      prediction = predict(p, fit_key(rest), p.points[i]);
    out.prediction.push_back(prediction);
    errors.push_back(prediction - p.points[i].observed);
  }
  out.metrics = error_metrics(errors);
  return out;
}

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The q-quantile of sorted values, linear between order statistics (Hyndman and Fan's type 7).
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return kNaN;
  const double h = q * double(sorted.size() - 1);
  const auto lo = std::size_t(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - double(lo)) * (sorted[hi] - sorted[lo]);
}

void spread(std::vector<double> v, double& sd, double& p05, double& p95) {
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(std::max<std::size_t>(1, v.size()));
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0;
  std::sort(v.begin(), v.end());
  p05 = quantile(v, 0.05), p95 = quantile(v, 0.95);
}

}  // namespace

BootstrapSummary bootstrap(const CalibrationProblem& p, std::size_t replications, std::uint64_t seed) {
  BootstrapSummary out;
  out.replications = replications;
  const std::size_t m = p.points.size(), k = p.indicators;
  std::vector<std::vector<double>> weights(k);
  std::vector<double> bases;
  std::uint64_t state = seed;
  CalibrationProblem sample = p;
  for (std::size_t rep = 0; rep < replications && m > 0; ++rep) {
    for (std::size_t j = 0; j < m; ++j) {
      const auto draw = std::size_t((static_cast<unsigned __int128>(splitmix64(state)) * m) >> 64);
      sample.points[j] = p.points[draw];
    }
    const CalibrationFit f = fit_key(sample);
    for (std::size_t i = 0; i < k; ++i) weights[i].push_back(f.weights(Eigen::Index(i)));
    bases.push_back(f.base);
  }
  out.sd.resize(Eigen::Index(k)), out.p05.resize(Eigen::Index(k)), out.p95.resize(Eigen::Index(k));
  for (std::size_t i = 0; i < k; ++i)
    spread(weights[i], out.sd(Eigen::Index(i)), out.p05(Eigen::Index(i)), out.p95(Eigen::Index(i)));
  spread(bases, out.base_sd, out.base_p05, out.base_p95);
  return out;
}

std::vector<std::int64_t> weights_in_decimals(const Eigen::VectorXd& weights, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const double sum = weights.sum();
  std::vector<std::int64_t> out;
  std::vector<std::pair<double, std::size_t>> remainder;
  std::int64_t given = 0;
  for (Eigen::Index i = 0; i < weights.size(); ++i) {
    const double exact = weights(i) / sum * double(scale);
    const auto whole = static_cast<std::int64_t>(std::floor(exact));
    out.push_back(whole);
    given += whole;
    remainder.emplace_back(exact - double(whole), std::size_t(i));
  }
  // Largest remainders first; equal remainders to the earlier weight.
  std::stable_sort(remainder.begin(), remainder.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t j = 0; given < scale && j < remainder.size(); ++j, ++given) ++out[remainder[j].second];
  return out;
}

}  // namespace kimsim
