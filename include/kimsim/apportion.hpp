// The apportionment kernel: split an integer number of units (seats, half positions, cents) among
// recipients in proportion to integer weights, exactly.
//
// Every method is decided exactly: weights are integers (fixed-point decimals scaled by the caller),
// and whenever floating point cannot prove an order, quotients are compared by integer
// cross-multiplication. A tie for the last units is detected and handled by an explicit policy.
//
// References: M. L. Balinski, H. P. Young, "Fair Representation" (2nd ed., 2001);
// F. Pukelsheim, "Proportional Representation" (2nd ed., 2017), chapters 3-7 (signposts,
// max-min inequality, jump-and-step).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kimsim/error.hpp"

namespace kimsim {

enum class Method : std::uint8_t {
  hamilton,         ///< largest remainder (Hare-Niemeyer)
  dhondt,           ///< divisor method, signpost s(k) = k + 1 (Jefferson)
  sainte_lague,     ///< divisor method, s(k) = k + 1/2 (Webster)
  huntington_hill,  ///< divisor method, s(k) = sqrt(k (k + 1)) (equal proportions)
  adams,            ///< divisor method, s(k) = k (smallest divisors)
  dean,             ///< divisor method, s(k) = k (k + 1) / (k + 1/2) (harmonic mean)
  /// Hamilton as the US House was apportioned 1850-1900: lower quotas of the whole house, a
  /// recipient below its minimum (above its maximum) raised (cut) to it and out of the
  /// remainders, the rest by largest remainder. Without bounds it is hamilton; with them,
  /// hamilton re-divides the house among the recipients free of their bounds instead
  /// (quotas clamp(lambda w, min, max)), which moves every quota.
  vinton,
};

/// Canonical name ("sainte-lague") of a method.
std::string_view method_name(Method m);
/// Parses a method name or a usual alias ("webster", "hare-niemeyer", "jefferson", ...).
std::optional<Method> parse_method(std::string_view name);
/// Every accepted name, canonical names first, for help texts and "did you mean".
std::vector<std::string_view> method_names();

inline bool is_divisor_method(Method m) { return m != Method::hamilton && m != Method::vinton; }

/// A positive rational num/den, e.g. a modified first signpost 0.7 = 7/10.
struct Ratio {
  std::uint64_t num = 0;
  std::uint64_t den = 1;
};

/// Parses a non-negative decimal ("1.42", "0.7", "3") into an exact ratio; at most 6 decimals.
std::optional<Ratio> parse_decimal_ratio(std::string_view text);

enum class TiePolicy : std::uint8_t {
  error,  ///< refuse to decide: throw TieError naming the tied recipients
  order,  ///< the tied units go to the tied recipients that come first in input order
  lot,    ///< the tied units are drawn by lot, reproducibly from the rule's seed
};

std::string_view tie_policy_name(TiePolicy p);
std::optional<TiePolicy> parse_tie_policy(std::string_view name);

/// How to apportion.
struct Rule {
  Method method = Method::sainte_lague;
  /// Replaces the first signpost s(0) of a divisor method, e.g. 0.7 for modified Sainte-Laguë
  /// (divisors 1.4, 3, 5, ... scaled by 1/2) or 1.42 for a D'Hondt variant. Must lie in (0, s(1)).
  std::optional<Ratio> first_signpost;
  TiePolicy ties = TiePolicy::error;
  std::uint64_t seed = 0;  ///< for TiePolicy::lot
};

/// Per-recipient bounds. An empty span means "0" for min and "unbounded" for max.
struct Bounds {
  std::span<const std::int64_t> min;
  std::span<const std::int64_t> max;
};

inline constexpr std::int64_t kUnbounded = std::numeric_limits<std::int64_t>::max();

/// Limits that keep every exact comparison inside 128/256-bit integer arithmetic.
inline constexpr std::uint64_t kMaxWeight = std::uint64_t{1} << 53;      ///< per recipient
inline constexpr std::uint64_t kMaxTotalWeight = std::uint64_t{1} << 62;  ///< sum of weights
inline constexpr std::int64_t kMaxDivisorHouse = std::int64_t{1} << 31;   ///< divisor methods
inline constexpr std::int64_t kMaxHamiltonHouse = std::int64_t{1} << 53;  ///< Hamilton, cents

/// What the apportionment found besides the seats.
struct Outcome {
  /// A tie for the last units, resolved by the rule's policy (order or lot).
  std::optional<Tie> tie;
  /// Divisor methods: the interval [low, high] of divisors D that produce this result, i.e.
  /// every recipient i not held by a bound has s(a_i - 1) <= w_i / D <= s(a_i). Shown for
  /// information (rounded to double); every decision was made exactly. low == high on a tie.
  double divisor_low = 0.0;
  double divisor_high = std::numeric_limits<double>::infinity();
};

/// Scratch memory of the kernel, reused across calls so the hot loop does not allocate.
/// One per thread; its contents are meaningless between calls.
struct Workspace {
  std::vector<std::uint32_t> index;  // input index of each active recipient
  std::vector<std::uint64_t> weight;
  std::vector<double> weight_d;
  std::vector<std::int64_t> seats, lo, hi;
  std::vector<double> gain, loss;
  std::vector<std::uint64_t> rem;
  std::vector<std::uint32_t> order, at, bucket_count;
  std::vector<std::uint8_t> bucket;
  std::vector<double> signpost, inv_signpost;  // s(k) and 1/s(k), cached per rule
  std::uint64_t signpost_key[3] = {~0ULL, 0, 0};
  // The fast path (engine/kernel/fast.cpp): 1/s(k - 1), +inf at k = 0 (cached with the
  // signposts), and per input recipient its remainder's bucket and (AVX-512) its quota in 256ths
  // (Hamilton).
  std::vector<double> inv_prev;
  std::vector<std::uint8_t> bucket_all;
  std::vector<std::int64_t> quota256;
};

/// Apportions `house` units among recipients with the given weights (seats.size() ==
/// weights.size()). Recipients of weight 0 receive exactly their minimum. Throws InputError for
/// infeasible bounds or out-of-range inputs, TieError for a tie under TiePolicy::error.
Outcome apportion(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                  std::span<std::int64_t> seats, Workspace& ws, Bounds bounds = {});

/// Convenience form that allocates its result and workspace.
std::vector<std::int64_t> apportion(const Rule& rule, std::span<const std::uint64_t> weights,
                                    std::int64_t house, Bounds bounds = {});

/// Splits `cents` exactly by weights (largest remainder on cents): the parts sum to `cents`.
/// A tie for the last cents goes to the tied recipients first in input order (reported in the
/// outcome), so that money splits never stop on a one-cent tie.
Outcome split_cents(std::int64_t cents, std::span<const std::uint64_t> weights,
                    std::span<std::int64_t> parts, Workspace& ws);

}  // namespace kimsim
