// Calibrating a distribution key to observed positions (`kimsim calibrate`): non-negative least
// squares (Lawson–Hanson) and the fit of a positions_by_key rule's weights, with its leave-one-out
// errors and a seeded bootstrap of the weights. Pure functions of numbers: the CLI reads the
// scenario and the observations, computes the indicator shares with the model's own key code
// (key_shares, carve-outs included) and hands them in here.
//
// The model fitted (one Baustein allocated by positions_by_key, in VZÄ):
//
//   quota_r = b + K_g * sum_i w_i s_{r,i}        w_i >= 0, sum_i w_i = 1, b >= 0
//
// s_{r,i} is recipient r's share of indicator i among the Baustein's recipients (carve-outs as the
// model applies them), w the key's weights, b the base per recipient and K_g the positions the
// year g of the observation leaves to the key. Where that year's budget is known (the scenario
// evaluated for it), K_g = P_g - n_g b: the positions the budget buys (whole units, as the model
// counts them) less the bases of its n_g recipients. Where it is not (an assumption), K_g is a
// free non-negative scale of that year, fitted with the rest: its observations inform the key
// through their proportions only ("on shares").
//
// The key's cap (FlüAG § 3) is not part of this model: the CLI refuses a capped key. Bounds per
// recipient (min_vza, max_vza) and the rounding to units act after the quota; the fit is on the
// quotas and the report compares both the quota and the apportioned positions.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <optional>
#include <vector>

namespace kimsim {

/// Non-negative least squares: the x >= 0 minimising ||A x - b||, by Lawson and Hanson's
/// active-set method (Solving Least Squares Problems, 1974, ch. 23), each passive subproblem
/// solved by Householder QR with column pivoting (rank-revealing: a rank-deficient passive set
/// gives a basic solution, not a blow-up).
struct NnlsResult {
  Eigen::VectorXd x;
  int iterations = 0;      ///< inner iterations (least-squares solves)
  bool converged = true;   ///< false where the iteration cap stopped it (x is then the last iterate)
};
/// `max_iterations` 0: 3 * (columns + 1) outer steps, as SciPy's default; `tolerance` 0: 10 *
/// machine epsilon * ||A||_1 * max(rows, columns), the threshold on the gradient and on x.
NnlsResult nnls(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, int max_iterations = 0, double tolerance = 0);

/// NNLS with one equality constraint c'x = d (c >= 0, d > 0): the weighting method (Lawson and
/// Hanson ch. 22, the constraint as a first row weighted far above the others) finds the set of
/// zero components; the equality-constrained least squares on the other components is then solved
/// exactly (in the null space of c), so that c'x = d holds to rounding, not only approximately.
NnlsResult nnls_equality(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const Eigen::VectorXd& c, double d);

/// One observed position count as the fit sees it.
struct CalibrationPoint {
  double observed = 0;     ///< y_r, VZÄ
  Eigen::VectorXd shares;  ///< s_{r,i}: per indicator, the recipient's share (carve-outs applied)
  std::size_t group = 0;   ///< the year it belongs to: index in CalibrationProblem::groups
};

/// A year of observations.
struct CalibrationGroup {
  /// P_g: the positions (VZÄ) the year's budget buys; nullopt where the budget is not known and the
  /// year's positions by key are a fitted scale ("on shares").
  std::optional<double> positions;
  double recipients = 0;   ///< n_g: how many recipients share the budget (each gets the base)
};

struct CalibrationProblem {
  std::vector<CalibrationPoint> points;
  std::vector<CalibrationGroup> groups;
  std::size_t indicators = 0;
  double base = 0;        ///< b, VZÄ: fixed at this value unless fit_base, then the fit's start
  bool fit_base = false;  ///< one common base per recipient fitted too (a single parameter)
};

/// The parameters fitted: the weights, the base (if fitted) and one scale per year on shares.
std::size_t parameter_count(const CalibrationProblem& p);

struct CalibrationFit {
  Eigen::VectorXd weights;            ///< w, non-negative, summing to 1
  double base = 0;                    ///< b, VZÄ
  std::vector<double> units_by_key;   ///< K_g per group, VZÄ (NaN for a group without points)
  Eigen::VectorXd fitted;             ///< per point: the quota the fit gives it
  double rss = 0;                     ///< residual sum of squares
  int iterations = 0;                 ///< alternations between the key and the scales (1: direct)
  bool converged = true;
};

/// Fits w (and b, and the scales of years on shares) by least squares. Where every year's budget
/// is known and the base is fixed, the problem is linear in w: one NNLS with the sum constraint.
/// Where the base is fitted against a single known year, it is linear in (v = K w, b) with the
/// constraint sum(v) + n b = P: one NNLS, then w = v / sum(v). Otherwise (scales of years on
/// shares, or the base against several budgets) the model is bilinear, and the fit alternates
/// between the key (given base and scales) and base and scales (given the key), each step an exact
/// NNLS, so the residual never grows; it stops when no parameter moves by more than 1e-14
/// (relative) from one alternation to the next, or after 5000 alternations (converged false).
CalibrationFit fit_key(const CalibrationProblem& p);

/// The quota `fit` gives `point` (b + K_g s.w); NaN where the fit has no scale for its year.
double predict(const CalibrationProblem& p, const CalibrationFit& fit, const CalibrationPoint& point);

struct ErrorMetrics {
  double mae = 0, rmse = 0, max_error = 0;  ///< max_error: the largest |error|
  std::size_t count = 0;                    ///< errors counted (NaN ones left out)
};
ErrorMetrics error_metrics(const std::vector<double>& errors);

/// Leave-one-out: each point predicted by the fit to all the others.
struct LeaveOneOut {
  std::vector<double> prediction;  ///< per point; NaN where the rest cannot predict it
  ErrorMetrics metrics;            ///< of prediction - observed
};
LeaveOneOut leave_one_out(const CalibrationProblem& p);

/// The uncertainty of the weights: the points resampled with replacement `replications` times,
/// each resample fitted again. Deterministic per seed on every platform: the draws are SplitMix64
/// of the seed, mapped to indices by Lemire's multiply-shift (no std:: distribution, whose
/// algorithm the standard leaves open).
struct BootstrapSummary {
  std::size_t replications = 0;
  Eigen::VectorXd sd, p05, p95;      ///< per weight
  double base_sd = 0, base_p05 = 0, base_p95 = 0;
};
BootstrapSummary bootstrap(const CalibrationProblem& p, std::size_t replications, std::uint64_t seed);

/// Weights as integers of 10^-decimals that sum to exactly 10^decimals (largest remainder, ties to
/// the earlier weight): a key written out in decimals that sums to 1 as written.
std::vector<std::int64_t> weights_in_decimals(const Eigen::VectorXd& weights, int decimals);

}  // namespace kimsim
