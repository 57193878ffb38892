// The fast path of the apportionment kernel (see fast.hpp): apart from the general kernel in
// apportion.cpp, so that adding it leaves the general kernel's code generation as it was.
#include "fast.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "cpu_path.hpp"
#include "signpost.hpp"

namespace kimsim {
namespace {

using u64 = std::uint64_t;
using i64 = std::int64_t;
using u128 = unsigned __int128;

// ---------------------------------------------------------------------------------------------
// The fast path: the common case in three passes over the input, in place. Pass 1 sums the
// weights (and checks them and the bounds); pass 2 rounds every quotient by a divisor estimate
// (secant re-jumps while far off); pass 3 finds the few units to move and, in the same pass, the
// strongest claim and the weakest holding that the max-min certificate needs. Nothing is
// compacted or scattered: recipients of weight 0 stay in place with priorities no scan picks
// (claim 0 or NaN, holding NaN or +inf). Whatever this path cannot prove with the safety margin
// of the general kernel's certificate -- a tie or near-tie, a proposal off by more than a few
// units, a modified first signpost, bad inputs, Vinton with bounds -- it leaves to the general
// kernel, which recomputes from scratch (and raises the errors). A certified divisor
// apportionment is unique, so both paths give the same seats; the divisor interval comes from the
// same products of the same final seats, so it has the same bits (tests/test_apportion.cpp checks
// both on random instances).

/// Recipients at most, so that the sum of weights of at most 2^53 each stays below 2^64 (2048 of
/// 2^53 each wrapped to 0, passed the sum's check and never ended Hamilton's selection).
constexpr std::size_t kFastRecipients = 2047;
constexpr std::size_t kFastSelect = 16;  // units moved by selection after the jump
/// The selection's window beside the divisor, in expected candidates per unit selected: 2 read
/// fewer instructions on the unbounded benchmark rows, but re-read the priorities in 10 % of the
/// calls with a maximum (dhondt_min1_max8 then slower than before: results/bench/perf.md, § 33).
constexpr double kWindow = 3.0;
/// Candidates at most for the branch-free selection (windows expect kWindow (|d| + 1)).
constexpr std::size_t kFastCandidates = 96;

struct FastSums {
  u64 all = 0;      // every weight: the limits
  u64 active = 0;   // recipients that can move (weight > 0, not pinned by lo == hi)
  i64 fixed = 0;    // units held by the others
  std::size_t m = 0;
  u64 min_or = 0, min_sum = 0;  // the minimums' or and sum (per-recipient minimums only)
};

/// Pass 1. False where an input is out of range or degenerate. Infeasible bounds need no check
/// of their own here: no seats within them sum to the house, so the certificate cannot be
/// reached and the general kernel refuses them -- but for the minimums' sum, which the divisor
/// path checks against the house (minimums_fit) before a count indexes its tables. Sums, ors and
/// shifts only, no comparison and no conversion:
/// GCC vectorises the loop (two weights an instruction with SSE2), and the first pass that reads
/// the weights as doubles converts them (the first rounding, Hamilton's first Newton pass).
template <bool Lo, bool Hi>
[[gnu::always_inline]] inline bool fast_sums(std::span<const u64> weights, Bounds b, FastSums& s) {
  const std::size_t n = weights.size();
  const u64* w = weights.data();
  const i64* lo = b.min.data();
  const i64* hi = b.max.data();
  // unsigned: wraps instead of overflowing on bad input (refused below)
  u64 any = 0, all = 0, m = 0, fixed = 0, sign = 0, min_or = 0, min_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // 1 for 1 <= w <= 2^63: every weight that passes the check of `any` below.
    const u64 positive = (w[i] + u64(std::numeric_limits<i64>::max())) >> 63;
    any |= w[i], all += w[i], m += positive;
    if constexpr (Lo) {
      sign |= static_cast<u64>(lo[i]);                         // a negative minimum
      fixed += static_cast<u64>(lo[i]) & (positive - 1);       // weight 0 holds its minimum
      min_or |= static_cast<u64>(lo[i]), min_sum += static_cast<u64>(lo[i]);
    }
    // A maximum below the minimum (or below 0): hi - lo cannot wrap where neither is negative.
    if constexpr (Hi) sign |= static_cast<u64>(hi[i]) | (static_cast<u64>(hi[i]) - static_cast<u64>(Lo ? lo[i] : 0));
  }
  s.all = all, s.m = m, s.min_or = min_or, s.min_sum = min_sum;
  // Only for the divisor estimate: recipients pinned by min == max count as movable there.
  s.active = s.all;
  s.fixed = static_cast<i64>(fixed);
  return (sign >> 63) == 0 && any <= kMaxWeight && s.all <= kMaxTotalWeight && s.m > 0 &&
         fixed <= u64(kMaxDivisorHouse);
}

/// Whether the minimums sum to at most the house: every count the rounding gives is then at
/// most the house (the signpost tables' last index but one). A minimum above it was rounded to
/// and indexed the tables past their end, and minimums near 2^62 wrapped the rounding's sum (a
/// review's reading, 2026-12-03). Each minimum below 2^52 (n < 2^11: the sum cannot wrap).
inline bool minimums_fit(const FastSums& s, i64 house) {
  return (s.min_or >> 52) == 0 && s.min_sum <= static_cast<u64>(house);
}

/// Pass 1 where every recipient has the minimum lo and the maximum hi (Common below): the
/// weights alone, then the bounds once.
[[gnu::always_inline]] inline bool fast_sums_common(std::span<const u64> weights, i64 lo, i64 hi, FastSums& s) {
  if (!fast_sums<false, false>(weights, Bounds{}, s) || lo < 0 || hi < lo) return false;
  const u128 fixed = u128(static_cast<u64>(lo)) * (weights.size() - s.m);  // weight 0 holds its minimum
  if (fixed > u128(kMaxDivisorHouse)) return false;
  s.fixed = static_cast<i64>(fixed);
  return true;
}

/// A recipient's bounds in an instantiation that has them: 0 and kUnbounded in one that has not,
/// so that no code tests per recipient whether a bound exists. Common: every recipient has the
/// same bounds, read once (0 and kUnbounded where the input has none).
template <bool Lo, bool Hi, bool Common = false>
struct RecipientBounds {
  const i64* lo;
  const i64* hi;
  i64 lo0, hi0;
  explicit RecipientBounds(Bounds b)
      : lo(b.min.data()), hi(b.max.data()), lo0(b.min.empty() ? 0 : b.min[0]), hi0(b.max.empty() ? kUnbounded : b.max[0]) {}
  i64 low(std::size_t i) const {
    if constexpr (Common) return lo0;
    else if constexpr (Lo) return lo[i];
    return 0;
  }
  i64 high(std::size_t i) const {
    if constexpr (Common) return hi0;
    else if constexpr (Hi) return hi[i];
    return kUnbounded;
  }
};

/// Bounds common to every recipient, folded into the priority tables for one call of the
/// divisor fast path: the claim at the maximum, 1 / s(hi), made NaN, and the holding at the
/// minimum, 1 / s(lo - 1), made +inf. w times the folded entry is what the per-recipient
/// factors (kKeepClaim, kKeepHolding) make of w / s(a) -- NaN at the maximum, +inf at the minimum
/// (NaN for weight 0; a NaN's sign may differ, and no NaN is ever picked or output) -- and the
/// same bits at every other count a rounding within the bounds leaves, so the scan reads one
/// product per priority, as without bounds. The tables are the workspace's cache
/// (fill_signpost_table): the entries are put back on every way out of the call.
class FoldedBounds {
 public:
  FoldedBounds(std::vector<double>& claim, std::vector<double>& holding, i64 lo, i64 hi) {
    fold(holding, lo, std::numeric_limits<double>::infinity(), hold_);
    fold(claim, hi, std::numeric_limits<double>::quiet_NaN(), claim_);
  }
  FoldedBounds(const FoldedBounds&) = delete;
  FoldedBounds& operator=(const FoldedBounds&) = delete;
  ~FoldedBounds() {
    if (claim_.at) *claim_.at = claim_.was;
    if (hold_.at) *hold_.at = hold_.was;
  }

 private:
  struct Entry {
    double* at = nullptr;
    double was = 0.0;
  };
  /// Nothing past the table's end: no count reaches it (at most house + 1 < size; the minimum
  /// is at most the house, the caller's check).
  static void fold(std::vector<double>& table, i64 k, double value, Entry& e) {
    if (static_cast<u64>(k) >= table.size()) return;
    e.at = &table[static_cast<std::size_t>(k)];
    e.was = *e.at;
    *e.at = value;
  }
  Entry claim_, hold_;
};

/// Factors that void a priority without a jump: claim * kKeepClaim[false] is NaN, which no max
/// and no comparison picks; holding * kKeepHolding[false] is +inf (NaN for weight 0). GCC
/// compiles a choice between two doubles to a jump, and whether a recipient sits at its bound is
/// a coin flip in input order: the mispredicted jumps made the bounded scans take twice the time
/// their instructions suggest.
constexpr double kKeepClaim[2] = {std::numeric_limits<double>::quiet_NaN(), 1.0};
constexpr double kKeepHolding[2] = {std::numeric_limits<double>::infinity(), 1.0};

/// A unit count proposed for quotient q >= 0 (at most the table's last index): exact rounding
/// is not needed, the certificate decides. Sainte-Lague as (q + 0.5) truncated, D'Hondt as the
/// floor, Adams as the ceiling, the others by their signpost.
template <Method M>
[[gnu::always_inline]] inline i64 fast_round(double q, const double* s) {
  if constexpr (M == Method::dhondt) {
    return static_cast<i64>(q);
  } else if constexpr (M == Method::sainte_lague) {
    return static_cast<i64>(q + 0.5);
  } else if constexpr (M == Method::adams) {
    const i64 a = static_cast<i64>(q);
    return a + (q > static_cast<double>(a));
  } else {
    const i64 a = static_cast<i64>(q);
    return a + (q > s[a]);
  }
}

/// Huntington-Hill's and Dean's proposal for quotient q (at most the table's last index) without
/// the table, for the AVX-512 path, whose rounding pass then converts eight quotients a step (the
/// table's look-up is a gather there, which GCC does not emit for this tuning and which did not
/// pay where forced; with AVX2, which has no conversion of doubles to int64, the pass stays
/// scalar and the products took more time than the look-up: results/bench/perf.md, section 36):
/// q > s(a) for a = floor(q) decided on products, q^2 against a (a + 1) (Hill) and q (2a + 1)
/// against 2a (a + 1) (Dean), whose right sides are exact integers (a < 2^16). Where the
/// computed left side lies at least 2^-48 (relative) away from the right side, the comparison
/// of the exact values goes the same way, and with it q against the double s(a) of the table
/// (the correctly rounded exact signpost, within 2^-53 of it; Hill's is irrational for a >= 1,
/// and s(0) = 0 compares as 0): the same proposal as fast_round's. `near` is set otherwise, and
/// the caller then rounds again by the table. For q = 0 or q >= 2^-500, so that q^2 does not
/// fall below the normal range (q^2 = 0 for q = 2^-1074 took no unit where the table gives one):
/// in fast_divisor q >= w / D >= 2^-67 for w >= 1 (D < 2^63 by the estimates, times 2^4 at most
/// by the re-jumps). q = 0 must give 0 (left = right = 0): not for the bits alone, as no pass
/// checks a weight 0's units (its holding is NaN, which no scan picks), so a unit given to it
/// would be answered (a review's `>=` for `>` gave Hill {0, 5, 3, 9, 0} a unit for each 0).
template <Method M>
[[gnu::always_inline]] inline i64 signpost_free_round(double q, u64& near) {
  const i64 a = static_cast<i64>(q);
  const double x = static_cast<double>(a);
  double left, right;
  if constexpr (M == Method::huntington_hill) left = q * q, right = x * (x + 1.0);
  else left = q * (2.0 * x + 1.0), right = 2.0 * (x * (x + 1.0));
  near |= std::abs(left - right) < right * 0x1p-48;
  return a + (left > right);
}

/// Huntington-Hill's and Dean's first divisor estimate. Their s(0) = 0 rounds every quotient
/// below 1 up to one unit, and s(1) < 1.5 rounds more of those in [1, 2) up than down: at the
/// mean offset alone (a ~ W / D) the first rounding lands 36-79 units above the house on the
/// benchmark's instances, beyond the selection, and costs a second rounding pass. With the
/// weights below t = W / h (count and sum) and those in [t, 2 t) (count) the estimate
///   h ~ (W - W_below) / D + below + (1.5 - s(1)) band
/// lands within 0-15 units there. A light pass: every comparison is the sign bit of a
/// difference (w <= 2^53 and t <= 2^54: no wrap), so GCC vectorises it as fast_sums. (D'Hondt
/// and Sainte-Lague with B3's minimum of 1 the same way read fewer instructions on the benchmark
/// but more in the replication: results/bench/perf.md, section 28.)
struct SmallQuotients {
  u64 below = 0;    // weights below t, weight 0 included
  u64 below_w = 0;  // their sum
  u64 band = 0;     // weights below 2 t
};

[[gnu::always_inline]] inline SmallQuotients fast_small_quotients(std::span<const u64> weights, u64 t) {
  const u64* w = weights.data();
  const u64 t2 = 2 * t;
  u64 below = 0, below_w = 0, band = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const u64 b = (w[i] - t) >> 63;
    below += b, below_w += w[i] & (0 - b), band += (w[i] - t2) >> 63;
  }
  return {below, below_w, band};
}

/// D'Hondt's and Sainte-Lague's first divisor estimate with minimums (B3's minimum of 1): the
/// weights below t (held at their minimum in the estimate), their count, weight and the units
/// their minimums give. Comparisons by the sign bit of a difference as in fast_small_quotients
/// (w <= 2^53, t <= 2^53), so GCC vectorises the pass.
struct HeldQuotients {
  u64 below = 0, below_w = 0, below_units = 0;  // weight 0 included
  u64 above = 0, above_w = 0;                   // held at the maximum (common bounds only)
};

[[gnu::always_inline]] inline HeldQuotients fast_held_quotients(std::span<const u64> weights, const i64* lo, u64 t) {
  const u64* w = weights.data();
  u64 below = 0, below_w = 0, below_units = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const u64 m = 0 - ((w[i] - t) >> 63);
    below -= m, below_w += w[i] & m, below_units += static_cast<u64>(lo[i]) & m;
  }
  return {below, below_w, below_units};
}

/// The same where every recipient has the minimum lo and a maximum: held at the minimum below
/// t_lo, at the maximum above t_hi (t_lo, t_hi <= 2^54: no wrap).
[[gnu::always_inline]] inline HeldQuotients fast_common_held(std::span<const u64> weights, i64 lo, u64 t_lo, u64 t_hi) {
  const u64* w = weights.data();
  u64 below = 0, below_w = 0, above = 0, above_w = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const u64 m1 = 0 - ((w[i] - t_lo) >> 63), m2 = 0 - ((t_hi - w[i]) >> 63);
    below -= m1, below_w += w[i] & m1, above -= m2, above_w += w[i] & m2;
  }
  return {below, below_w, below * static_cast<u64>(lo), above, above_w};
}

/// Slots of the bubble in bubble_best: |d| + 1 <= kFastSelect + 1, rounded up to a multiple of 4.
constexpr std::size_t kBubbleSlots = (kFastSelect + 1 + 3) / 4 * 4;

/// The `keep` best of the c priorities `get(k)` into val[0 .. keep), best first (the larger
/// where Up, the smaller otherwise), each also stored in p[k]; val holds kBubbleSlots entries,
/// all -1 (Up) or +inf before. Each value
/// bubbles through the slots as max and min: no branch on the data, and the slots' loop unrolled
/// for keep rounded up to 4, 8, .. slots (the slots past keep take what falls out of the first
/// keep, harmlessly), so that no loop exit depends on keep either (a loop over keep slots
/// mispredicted its exit once per candidate in callgrind's model: results/bench/perf.md,
/// section 33).
template <bool Up, std::size_t S, class Get>
[[gnu::always_inline]] inline void bubble_slots(double* val, double* p, std::size_t c, Get get) {
  for (std::size_t k = 0; k < c; ++k) {
    double v = p[k] = get(k);
#pragma GCC unroll 20
    for (std::size_t j = 0; j < S; ++j) {
      const double t = val[j];
      if constexpr (Up) val[j] = std::max(t, v), v = std::min(t, v);
      else val[j] = std::min(t, v), v = std::max(t, v);
    }
  }
}

template <bool Up, class Get>
[[gnu::always_inline]] inline void bubble_best(double* val, double* p, std::size_t c, std::size_t keep, Get get) {
  static_assert(kBubbleSlots == 20);
  switch ((keep + 3) / 4) {
    case 1: return bubble_slots<Up, 4>(val, p, c, get);
    case 2: return bubble_slots<Up, 8>(val, p, c, get);
    case 3: return bubble_slots<Up, 12>(val, p, c, get);
    case 4: return bubble_slots<Up, 16>(val, p, c, get);
    default: return bubble_slots<Up, 20>(val, p, c, get);
  }
}

/// Inlined into each path's copy below (divisor_on), whose instruction set it then takes; Wide
/// in the AVX-512 copy, whose rounding pass converts eight quotients a step. Common (with Lo and
/// Hi): every recipient has the same bounds (B3's minimum of one position, a common cap), read
/// once and folded into the priority tables (FoldedBounds), so that the scan reads no bound.
template <Method M, bool Lo, bool Hi, bool Wide, bool Common = false>
[[gnu::always_inline]] inline bool fast_divisor(const Signposts& sp, std::span<const u64> weights, i64 house,
                                                std::span<i64> seats, Workspace& ws, Bounds b, Outcome& out) {
  static_assert(!Common || (Lo && Hi));
  const std::size_t n = weights.size();
  const RecipientBounds<Lo, Hi, Common> bd(b);
  FastSums sums;
  if constexpr (Common) {
    // A common minimum above the house: the minimums alone exceed it (the general kernel refuses).
    if (!fast_sums_common(weights, bd.lo0, bd.hi0, sums) || bd.lo0 > house) return false;
  } else {
    if (!fast_sums<Lo, Hi>(weights, b, sums) || !minimums_fit(sums, house)) return false;
  }
  if (sums.fixed > house) return false;
  fill_signpost_table<M>(sp, house, ws);
  if (static_cast<std::size_t>(house) + 2 > ws.signpost.size()) return false;  // beyond the table
  // Only the copies with common bounds have it: an empty optional's destructor on every way out
  // of the others' calls measured 8-24 % slower on the unbounded rows (results/bench/perf.md, section 46).
  struct NoFold {};
  [[maybe_unused]] std::conditional_t<Common, std::optional<FoldedBounds>, NoFold> folded;
  if constexpr (Common) folded.emplace(ws.inv_signpost, ws.inv_prev, bd.lo0, bd.hi0);
  ws.weight_d.resize(n);
  double* wd = ws.weight_d.data();
  const double* s = ws.signpost.data();
  const double* inv = ws.inv_signpost.data();
  const double* inv_prev = ws.inv_prev.data();
  auto low = [&](std::size_t i) __attribute__((always_inline)) { return bd.low(i); };
  auto high = [&](std::size_t i) __attribute__((always_inline)) { return bd.high(i); };
  i64* a = seats.data();

  // Pass 2: round by a divisor estimate; secant re-jumps while the sum is far off. The first
  // rounding converts the weights to doubles (pass 1 only summed them), the re-jumps and pass 3
  // read the doubles.
  const double qmax = static_cast<double>(house);  // keeps every count inside the table
  // Hill and Dean in the AVX-512 path: by signpost_free_round, and by the table again where that
  // finds a quotient too near its signpost (a rounding pass more). Equal weights put quotients
  // exactly on signposts and take it often (2,589 of 530k grouped instances in a review); a
  // random quotient near a falls within the margin with odds of about a 2^-47.
  constexpr bool by_products = Wide && (M == Method::huntington_hill || M == Method::dean);
  auto round_all = [&](double divisor, auto first) __attribute__((always_inline)) {
    const double c = 1.0 / divisor;
    i64 sum = 0;
    u64 near = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double w;
      if constexpr (decltype(first)::value) {
        w = static_cast<double>(static_cast<i64>(weights[i]));  // w <= 2^53 (fast_sums): signed is exact
        wd[i] = w;
      } else {
        w = wd[i];
      }
      const double q = std::min(w * c, qmax);
      i64 k;
      if constexpr (by_products) k = signpost_free_round<M>(q, near);
      else k = fast_round<M>(q, s);
      if constexpr (Lo) k = std::max(k, low(i));
      if constexpr (Hi) k = std::min(k, high(i));
      a[i] = k;
      sum += k;
    }
    if (by_products && near != 0) {
      sum = 0;
      for (std::size_t i = 0; i < n; ++i) {
        i64 k = fast_round<M>(std::min(wd[i] * c, qmax), s);
        if constexpr (Lo) k = std::max(k, low(i));
        if constexpr (Hi) k = std::min(k, high(i));
        a[i] = k;
        sum += k;
      }
    }
    return sum;
  };
  const double W = static_cast<double>(sums.active);
  const double h = static_cast<double>(house - sums.fixed);
  double divisor = W / std::max(h - static_cast<double>(sums.m) * rounding_offset(M), 0.5);
  if constexpr (M == Method::huntington_hill || M == Method::dean) {
    const u64 t = static_cast<u64>(std::min(W / std::max(h, 0.5), static_cast<double>(kMaxWeight) * 2.0));
    const SmallQuotients sq = fast_small_quotients(weights, t);
    // Weight 0 lies below t (for t > 0) and takes no unit of its own: n - m of `below`.
    const double below = static_cast<double>(sq.below - (t > 0 ? n - sums.m : 0));
    const double rest = h - below - (1.5 - sp.value<M>(1)) * static_cast<double>(sq.band - sq.below);
    // rest >= 1 also keeps W - W_below > 0: every weight below t = W / h would need m > h units,
    // and rest <= h - m then. Below 1 (infeasible instances, or maximums of 0) the estimate
    // stays at the mean offset's.
    if (rest >= 1.0) divisor = static_cast<double>(sums.active - sq.below_w) / rest;
  }
  if constexpr ((M == Method::dhondt || M == Method::sainte_lague) && ((Lo && !Hi) || Common)) {
    // The mean offset's estimate D0 sees no bound: B3's minimum of 1 lifts the weights whose
    // quotient rounds below 1, and the first rounding landed 30-120 units above the house on the
    // benchmark (2.0 and 2.5 rounding passes a call, one D'Hondt instance refused). The held ones
    // by a light pass at D0: below t = (lo - beta) D0 (weight 0 included: its minimum is in
    // `fixed` already), each given its minimum, the rest at w / D + beta; per-recipient
    // minimums at t = (1 - beta) D0, B3's minimum. The signpost s(0) D0 as the threshold
    // measured worse (1.5-1.7 passes): D0 lies below the final divisor where the minimum lifts
    // many. Where the bounds change the mean offset's count at D0 by at most kFastSelect / 2
    // units, D0 stays: B3's first rounding in the replication lands within 10 units there, and
    // the light estimate moved it 3.5 units off on average (500 instructions more a replication
    // in the selection). A common maximum the same way, above t_hi = (hi - beta) D0 (the first
    // rounding of the `_max8` rows landed up to 32 units off, 1.4-1.7 rounding passes a call).
    // Not with per-recipient maximums: their comparison converts w and max to doubles, one at a
    // time with AVX2 (10k instructions more a call; results/bench/perf.md, section 40): a common
    // one is one integer threshold, which every path compares alike.
    const double beta = rounding_offset(M);
    const double D0 = divisor;
    auto weight_at = [&](double bound) {  // the weight whose quotient at D0 is bound - beta
      return static_cast<u64>(std::clamp((bound - beta) * D0, 0.0, 0x1p54));
    };
    u64 t;
    HeldQuotients hq;
    if constexpr (Common) {
      t = weight_at(static_cast<double>(bd.lo0));
      hq = fast_common_held(weights, bd.lo0, t, weight_at(static_cast<double>(bd.hi0)));
    } else {
      t = static_cast<u64>(std::min((1.0 - beta) * D0, static_cast<double>(kMaxWeight)));
      hq = fast_held_quotients(weights, b.min.data(), t);
    }
    const u64 held = hq.below - (t > 0 ? n - sums.m : 0) + hq.above;
    const double units = static_cast<double>(hq.below_units - (t > 0 ? static_cast<u64>(sums.fixed) : 0)) +
                         static_cast<double>(bd.hi0) * static_cast<double>(hq.above);
    const u64 held_w = hq.below_w + hq.above_w;
    // Units the bounds give the held ones beyond what the mean offset counts them at D0.
    const double excess = units - (static_cast<double>(held_w) / D0 + beta * static_cast<double>(held));
    const double rest = h - units - beta * static_cast<double>(sums.m - held);
    if (std::abs(excess) > 0.5 * kFastSelect && rest >= 1.0 && held_w < sums.active)
      divisor = static_cast<double>(sums.active - held_w) / rest;
  }
  i64 sum = round_all(divisor, std::true_type{});
  for (int k = 0; k < 4 && std::abs(sum - house) > i64(kFastSelect); ++k) {
    const double offset = static_cast<double>(sum - sums.fixed) - W / divisor;  // a ~ W/D + offset
    const double target = h - offset;
    divisor = target > 0.5 ? W / target : divisor * 2.0;
    if (!(divisor > 0.0) || !std::isfinite(divisor)) return false;
    sum = round_all(divisor, std::false_type{});
  }
  const i64 d = house - sum;
  if (std::abs(d) > i64(kFastSelect)) return false;

  // Pass 3: each recipient's claim to its next unit (gain, NaN at its maximum) and the priority
  // of its last unit held (loss, +inf or NaN where it cannot give one up); the strongest claim G
  // and the weakest holding L; and the candidates for the |d| + 1 strongest claims (d > 0) or
  // weakest holdings (d < 0): those beyond a threshold T near the divisor, so that few recipients
  // take the branch that appends them. (A sorted buffer of the |d| + 1 best, entered by a branch
  // taken in input order, mispredicted ~60 times a call on the benchmark: results/bench/perf.md,
  // section 33.)
  const std::size_t want = static_cast<std::size_t>(std::abs(d));
  const std::size_t keep = want + 1;
  const double inf = std::numeric_limits<double>::infinity();
  auto claim = [&](std::size_t i) __attribute__((always_inline)) {
    // Weight 0 claims 0 or NaN (0 inf), which no positive claim loses to and no move takes
    // (a move needs a claim > 0); its holding is NaN (k = 0) or held by its minimum.
    double g = wd[i] * inv[a[i]];
    if constexpr (Hi && !Common) g *= kKeepClaim[a[i] < high(i)];
    return g;
  };
  auto holding = [&](std::size_t i) __attribute__((always_inline)) {
    double l = wd[i] * inv_prev[a[i]];
    if constexpr (Lo && !Common) l *= kKeepHolding[a[i] > low(i)];
    return l;
  };
  // The rounding by D leaves every claim at most D and every holding above D (but for the
  // rounding of the products), about h of them per unit of relative distance from D: a window of
  // relative width w (|d| + 1) / h beside D holds about w (|d| + 1) of them. The threshold of
  // window w: every recipient once the window is wide (small houses).
  auto threshold = [&](double width) __attribute__((always_inline)) {
    const double eps = width * static_cast<double>(keep) / std::max(h, 1.0);
    if (eps > 0.125) return d > 0 ? -1.0 : inf;
    return d > 0 ? divisor * (1.0 - eps) : divisor * (1.0 + eps);
  };
  double T = threshold(kWindow);
  ws.at.resize(n);
  std::uint32_t* cand = ws.at.data();
  std::size_t c = 0;  // candidates
  double G = -1.0, L = inf;
  auto scan = [&](auto dir) __attribute__((always_inline)) {
    constexpr int up = decltype(dir)::value;  // +1 gains wanted, -1 losses wanted, 0 neither
    // Two running maxima and minima: each max/min waits for the one before, so two chains
    // halve the wait.
    double G2[2] = {-1.0, -1.0}, L2[2] = {inf, inf};
    // Always inlined: GCC otherwise called it per recipient in some instantiations once the file
    // grew (the bounded divisor paths read up to 10k instructions more).
    auto one = [&](std::size_t i, std::size_t lane) __attribute__((always_inline)) {
      const double g = claim(i), l = holding(i);
      // Only the side that no selection follows: the strongest claim left unserved is the
      // (|d| + 1)-th candidate where units are missing, the weakest holding left where too many
      // are held.
      if constexpr (up <= 0) G2[lane] = std::max(G2[lane], g);  // NaN never wins: max(G, NaN) is G
      if constexpr (up >= 0) L2[lane] = std::min(L2[lane], l);
      // NaN (and +inf) compare false: never a candidate. Taken by about 3 (|d| + 1) of the
      // recipients; appending without a branch (`c += g > T`) read 1.5k instructions more a call
      // and no less time (results/bench/perf.md, section 33).
      if constexpr (up > 0) {
        if (g > T) cand[c++] = static_cast<std::uint32_t>(i);
      } else if constexpr (up < 0) {
        if (l < T) cand[c++] = static_cast<std::uint32_t>(i);
      }
    };
    std::size_t i = 0;
    for (; i + 1 < n; i += 2) one(i, 0), one(i + 1, 1);
    if (i < n) one(i, 0);
    G = std::max(G2[0], G2[1]);
    L = std::min(L2[0], L2[1]);
  };
  if (d > 0) scan(std::integral_constant<int, 1>{});
  else if (d < 0) scan(std::integral_constant<int, -1>{});
  else scan(std::integral_constant<int, 0>{});

  // The |d| + 1 best of the candidates are those of all recipients: every other one lies at or
  // below T (above, for holdings), and T below (above) the (|d| + 1)-th candidate. Where the
  // window holds fewer, a wider one (and at last every recipient) again.
  double val[kBubbleSlots];
  // As long as the candidates: the units' positions are written at a count that only the
  // selection keeps below |d| + 1 (at most |d| lie strictly before the (|d| + 1)-th).
  std::uint32_t pos[std::max(kFastCandidates, kFastSelect + 1)];
  std::fill(val, val + kBubbleSlots, d > 0 ? -1.0 : inf);
  if (d != 0) {
    auto priority = [&](std::size_t i) __attribute__((always_inline)) { return d > 0 ? claim(i) : holding(i); };
    for (double width = 2 * kWindow; c < keep && (d > 0 ? T > -1.0 : T < inf); width *= 2) {
      T = threshold(width), c = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double v = priority(i);
        if (d > 0 ? v > T : v < T) cand[c++] = static_cast<std::uint32_t>(i);
      }
    }
    if (c <= kFastCandidates) {
      // Each candidate bubbles through the |d| + 1 best as max and min (no branch on the data);
      // the units go to those strictly before the (|d| + 1)-th, in input order.
      double p[kFastCandidates];
      auto get = [&](std::size_t k) __attribute__((always_inline)) { return priority(cand[k]); };
      if (d > 0) bubble_best<true>(val, p, c, keep, get);
      else bubble_best<false>(val, p, c, keep, get);
      const double V = val[want];
      std::size_t moved = 0;
      for (std::size_t k = 0; k < c; ++k) pos[moved] = cand[k], moved += d > 0 ? p[k] > V : p[k] < V;
      // Fewer than |d| before the (|d| + 1)-th: a tie there (which the certificate refuses) or
      // fewer candidates than units to move.
      if (moved != want) return false;
    } else {
      // Many candidates (small houses): a sorted buffer of the |d| + 1 best.
      for (std::size_t k = 0; k < c; ++k) {
        const std::size_t i = cand[k];
        const double v = priority(i);
        std::size_t j = want;
        if (d > 0) {
          if (!(v > val[want])) continue;
          for (; j > 0 && val[j - 1] < v; --j) val[j] = val[j - 1], pos[j] = pos[j - 1];
        } else {
          if (!(v < val[want])) continue;
          for (; j > 0 && val[j - 1] > v; --j) val[j] = val[j - 1], pos[j] = pos[j - 1];
        }
        val[j] = v, pos[j] = static_cast<std::uint32_t>(i);
      }
    }
  }

  // Move the units; the certificate over the final seats: a moved recipient's new holding is its
  // old claim (and the other way round), the same products; the others keep theirs.
  if (d > 0) {
    if (!(val[want - 1] > 0.0)) return false;  // fewer recipients can take a unit than are missing
    G = val[want];                             // the strongest claim left unserved
    for (std::size_t k = 0; k < want; ++k) {
      const std::size_t i = pos[k];
      const i64 ak = ++a[i];
      const double g = Hi && ak >= high(i) ? -1.0 : wd[i] * inv[ak];
      G = std::max(G, g);
      L = std::min(L, val[k]);
    }
  } else if (d < 0) {
    if (!(val[want - 1] < inf)) return false;  // fewer recipients can give one up
    L = val[want];
    for (std::size_t k = 0; k < want; ++k) {
      const std::size_t i = pos[k];
      const i64 ak = --a[i];
      const double l = !Lo || ak > low(i) ? wd[i] * inv_prev[ak] : inf;
      L = std::min(L, l);
      G = std::max(G, val[k]);
    }
  }
  // The general kernel's criterion: each priority is within a few ulps of its true value, so a
  // relative margin of 1e-12 proves max claim < min holding exactly; G < 0: nothing can move.
  if (!(G < 0.0) && !(G < L * (1.0 - 1e-12))) return false;
  out.divisor_low = std::max(G, 0.0);
  out.divisor_high = L;
  return true;
}

/// Hamilton with bounds: whom the bounds hold. The general kernel's quotas are clamp(lambda w,
/// min, max) with the least lambda* at which they reach the house; a recipient is held at its
/// minimum where lambda* w <= min, at its maximum where lambda* w > max, and shares the rest
/// R' = R - (units held) by largest remainder of R' w / W' otherwise. Newton's iteration on
/// that piecewise linear sum: classify at lambda, then lambda = R' / W' of that classification,
/// until lambda reproduces itself. A classification at lambda whose comparisons are all clear of
/// the margin and whose own R'/W' rounds to lambda is the exact one: it holds at the exact R'/W'
/// too, where its quotas sum to R, and below it the free recipients' quotas fall, so no smaller
/// lambda reaches R.
/// Recipients of weight 0 classify as held at their minimum, as the general kernel holds them.
struct HeldSet {
  double lambda = 0.0;
  i64 rest = 0;     // R': the units the free recipients share
  u64 weight = 0;   // W': their weight
};

/// Leaves each recipient's held units in seats[i] and its weight where free (0 where held) in
/// ws.rem[i], for the floors pass.
template <bool Lo, bool Hi>
bool fast_held_set(std::span<const u64> weights, i64 R, i64 fixed, u64 W, Bounds b, std::span<i64> seats,
                   Workspace& ws, HeldSet& set) {
  const std::size_t n = weights.size();
  ws.weight_d.resize(n);
  double* wd = ws.weight_d.data();
  const RecipientBounds<Lo, Hi> bd(b);
  ws.rem.resize(n);
  u64* free_w = ws.rem.data();
  i64* a = seats.data();
  // The quotas without bounds, less the minimums of the recipients of weight 0 (held at any
  // lambda): still at or above lambda* where only minimums bound (their sum at this lambda is at
  // least R), and a Newton pass closer than R / W on B3's minimum (4 passes to 3 on the benchmark).
  if (fixed >= R) return false;
  double lambda = static_cast<double>(R - fixed) / static_cast<double>(W);
  for (int k = 0; k < 12; ++k) {
    u64 held = 0, free_weight = 0, seen = 0;  // unsigned: a huge minimum wraps, refused below
    for (std::size_t i = 0; i < n; ++i) {
      // Branch-free: which way each comparison goes is a coin flip. The first pass converts the
      // weights (w <= 2^53, fast_sums: signed is exact), the later ones and the floors read them.
      const double q = lambda * (k == 0 ? wd[i] = static_cast<double>(static_cast<i64>(weights[i])) : wd[i]);
      const bool at_min = q <= static_cast<double>(bd.low(i));
      const bool at_max = Hi && q > static_cast<double>(bd.high(i));  // never both
      const i64 units = (-i64{at_min} & bd.low(i)) | (-i64{at_max} & bd.high(i));
      const u64 w = weights[i] & (u64{at_min || at_max} - 1);
      a[i] = units, free_w[i] = w;
      held += static_cast<u64>(units), seen |= static_cast<u64>(units);
      free_weight += w;
    }
    if (seen >= kMaxWeight || free_weight == 0 || held >= static_cast<u64>(R)) return false;
    const double next = static_cast<double>(R - static_cast<i64>(held)) / static_cast<double>(free_weight);
    if (next == lambda) {
      set = {lambda, R - static_cast<i64>(held), free_weight};
      return true;
    }
    lambda = next;
  }
  return false;  // no fixed point within a few passes: the general kernel's sort of the bounds
}

/// Bounded Hamilton where every recipient has the same minimum lo and, with Hi, the same
/// maximum hi (B3's uniform minimum of one position, and a cap): who is held is then a matter of
/// weight alone -- held at the minimum where lambda w <= lo, at the maximum where lambda w > hi --
/// so fast_held_set's Newton iteration runs on two weights: held at the minimum where w < below
/// (below = floor(lo / lambda) + 1), at the maximum where w > above (floor(hi / lambda)), free
/// between. Each Newton pass counts and sums the weights on either side of them with integer
/// sums and sign bits only (GCC vectorises it on every path, as fast_sums); the classification
/// repeats itself after 2-3 passes on the benchmark, and then lambda = R' / W' of it. The proof
/// that it is the general kernel's, as fast_held_set's (every comparison clear of the margin at
/// lambda, which is within an ulp of the exact R' / W'), is per recipient, in the floors pass
/// (held_set_unclear): no weight lies in the bands (1 -+ 4e-12) lo / lambda and (1 -+ 4e-12)
/// hi / lambda, integers [from, to) computed here. Outside them lambda w compares with the bound
/// as w with the bound / lambda does, far beyond the roundings (~1e-16 each): held at the
/// minimum exactly where w <= floor(lo / lambda), at the maximum where w > floor(hi / lambda).
struct UniformSet {
  HeldSet set;
  u64 below = 1, above = ~u64{0};
  u64 min_from = 0, min_to = 0, max_from = 0, max_to = 0;  // the bands, empty where from == to
};

enum class Uniform { proved, newton, general };  // newton: leave it to fast_held_set

/// Whether weight w lies in one of the held set's bands: not proved (integer sign bits only, as
/// the Newton passes, so that the floors pass stays a vector loop on every path).
template <bool Hi>
[[gnu::always_inline]] inline u64 held_set_unclear(u64 w, const UniformSet& u) {
  u64 unclear = ((w - u.min_to) >> 63) ^ ((w - u.min_from) >> 63);  // from <= w < to
  if constexpr (Hi) unclear |= ((w - u.max_to) >> 63) ^ ((w - u.max_from) >> 63);
  return unclear;
}

/// floor(x) + 1 for 0 <= x, at most 2^54 + 1 (no weight <= 2^53 reaches it).
inline u64 past(double x) { return static_cast<u64>(std::min(std::floor(x), 0x1p54)) + 1; }

/// The band [from, to) of the integers within (1 -+ 4e-12) x of x = bound / lambda; empty for
/// bound 0 (weight 0 is held at a minimum of 0 without doubt).
inline void held_band(double bound, double lambda, u64& from, u64& to) {
  const double x = bound / lambda;
  from = bound == 0 ? 0 : static_cast<u64>(std::min(std::ceil(x * (1.0 - 4e-12)), 0x1p54));
  to = bound == 0 ? 0 : past(x * (1.0 + 4e-12));
}

/// Whether every entry equals the one before it (the C library's memcmp: vector code).
inline bool same_everywhere(std::span<const i64> v) {
  return std::memcmp(v.data(), v.data() + 1, (v.size() - 1) * sizeof(i64)) == 0;
}

/// The weights' or, sum and count of zeros (w <= 2^63), which uniform_held_set starts from.
struct WeightSums {
  u64 any = 0, all = 0, zeros = 0;
};

/// The WeightSums and whether every recipient's minimum and maximum equal the first recipient's, in
/// one pass over the three arrays: two compares of each array with itself shifted by one
/// (memcmp) and a pass over the weights read them 2.5 times (10 % of hamilton_min1_max8's time
/// went to the memcmps). In blocks of 64 recipients, so that bounds that differ stop it early.
/// Without bounds (Lo = Hi = false) the sums alone, and true.
template <bool Lo, bool Hi>
[[gnu::always_inline]] inline bool common_bounds_sums(std::span<const u64> weights, Bounds b, WeightSums& s) {
  const std::size_t n = weights.size();
  const u64* w = weights.data();
  const i64* lo = b.min.data();
  const i64* hi = b.max.data();
  const i64 lo0 = Lo ? lo[0] : 0, hi0 = Hi ? hi[0] : 0;
  u64 any = 0, all = 0, zeros = 0, diff = 0;
  for (std::size_t start = 0; start < n; start += 64) {
    const std::size_t end = std::min(n, start + 64);
    for (std::size_t i = start; i < end; ++i) {
      any |= w[i], all += w[i], zeros += (w[i] - 1) >> 63;
      if constexpr (Lo) diff |= static_cast<u64>(lo[i] ^ lo0);
      if constexpr (Hi) diff |= static_cast<u64>(hi[i] ^ hi0);
    }
    if (diff != 0) return false;
  }
  s = {any, all, zeros};
  return true;
}

template <bool Hi>
[[gnu::always_inline]] inline Uniform uniform_held_set(std::span<const u64> weights, const WeightSums& sums, i64 R,
                                                       i64 lo, i64 hi, UniformSet& u) {
  const std::size_t n = weights.size();
  const u64* w = weights.data();
  const u64 any = sums.any, all = sums.all, zeros = sums.zeros;
  // The general kernel refuses bad inputs and infeasible bounds, and decides where the minimums
  // take the whole house or the maximums hold every recipient of weight.
  if (any > kMaxWeight || lo < 0 || (Hi && hi < lo)) return Uniform::general;
  if (u128(lo) * n >= u128(R)) return Uniform::general;
  if (Hi && u128(lo) * zeros + u128(hi) * (n - zeros) <= u128(R)) return Uniform::general;
  if (all > kMaxTotalWeight || all == 0) return Uniform::general;
  const double lo_d = static_cast<double>(lo), hi_d = static_cast<double>(hi);
  // Newton's start as fast_held_set's.
  double lambda = static_cast<double>(R - lo * static_cast<i64>(zeros)) / static_cast<double>(all);
  u64 below = 0, above = 0;  // no classification yet (below >= 1 from the first on)
  // 2-3 passes on the benchmark; with a maximum some instances take more than 12 (the edges test
  // in tests/test_apportion.cpp proved 154 fewer with 12 than the buckets' way did, none with 24).
  for (int k = 0; k < 24; ++k) {
    const u64 b = past(lo_d / lambda), t = Hi ? past(hi_d / lambda) - 1 : ~u64{0};
    if (b == below && t == above) {
      // The classification repeats: the fixed point, lambda = R' / W' of it.
      u.below = below, u.above = above;
      held_band(lo_d, lambda, u.min_from, u.min_to);
      if constexpr (Hi) held_band(hi_d, lambda, u.max_from, u.max_to);
      return Uniform::proved;
    }
    below = b, above = t;
    // Counts and weights held: w < below and w > above by the sign of a difference (w, below and
    // above <= 2^54, no wrap).
    u64 at_min = 0, min_w = 0, at_max = 0, max_w = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const u64 m1 = (w[i] - below) >> 63;
      at_min += m1, min_w += w[i] & (0 - m1);
      if constexpr (Hi) {
        const u64 m2 = (above - w[i]) >> 63;
        at_max += m2, max_w += w[i] & (0 - m2);
      }
    }
    const u64 free_weight = all - min_w - max_w;
    const u128 held = u128(lo) * at_min + u128(hi) * at_max;
    if (free_weight == 0 || held >= u128(R)) return Uniform::general;
    const i64 rest = R - static_cast<i64>(held);
    u.set = {static_cast<double>(rest) / static_cast<double>(free_weight), rest, free_weight};
    lambda = u.set.lambda;
  }
  return Uniform::newton;
}

/// The floor of R w / W and its remainder (R w <= 2^61), from a floor estimated in doubles
/// within a few units of it: Hamilton's exact pass and the doubles pass's candidates.
inline i64 exact_floor(u64 Rw, u64 W, i64 f, u64& rem) {
  const i64 Ws = static_cast<i64>(W);
  i64 r = static_cast<i64>(Rw - static_cast<u64>(f) * W);
  while (r < 0) --f, r += Ws;
  while (r >= Ws) ++f, r -= Ws;
  rem = static_cast<u64>(r);
  return f;
}

/// Hamilton's floors and remainders (64-bit, R W <= 2^61) where the quotas are computed in
/// doubles cannot decide them: a house above kDoubleHouse, or a threshold the doubles pass cannot
/// prove. Pass 2 computes exact floors and remainders in place with a histogram of their top 8
/// bits; pass 3 gives a unit to every remainder above the bucket that holds the threshold and
/// selects within that bucket (a handful). A tie at the threshold, or a threshold of 0
/// (recipients of weight 0 would compete), goes to the general kernel. `free_w` is the weights
/// (without bounds) or the held set's free weights (held recipients count as weight 0, their
/// held units in seats).
template <bool Bounded>
bool hamilton_exact(const u64* free_w, std::size_t n, i64 R, u64 W, std::span<i64> seats, Workspace& ws) {
  ws.rem.resize(n);
  ws.bucket_all.resize(n);
  u64* rem = ws.rem.data();  // with bounds free_w is rem: each weight is read before its remainder is written
  std::uint8_t* bucket = ws.bucket_all.data();
  std::uint32_t count[256] = {};
  const double scale = static_cast<double>(R) / static_cast<double>(W);
  const double to_bucket = 256.0 / static_cast<double>(W);
  i64 sum = 0;
  i64* a = seats.data();
  for (std::size_t i = 0; i < n; ++i) {
    const u64 w = free_w[i];
    const double w_d = static_cast<double>(static_cast<i64>(w));  // w <= 2^53: signed is exact
    // Held units only where the free weight is 0: the doubles pass may have left floors elsewhere.
    const i64 held = Bounded ? a[i] & -i64{w == 0} : 0;
    u64 r;
    const i64 f = exact_floor(static_cast<u64>(R) * w, W, static_cast<i64>(w_d * scale), r);
    a[i] = f + held;
    rem[i] = r;
    // Monotone in r: a higher bucket always holds larger remainders.
    const auto bk = static_cast<std::uint8_t>(std::min(255.0, static_cast<double>(r) * to_bucket));
    bucket[i] = bk;
    ++count[bk];
    sum += f;
  }
  const i64 left = R - sum;  // 0 <= left < m
  if (left == 0) return true;
  int t = 255;
  i64 above = 0;
  for (; t > 0 && above + count[t] < left; --t) above += count[t];
  // Pass 3.
  std::uint32_t at[64];
  std::size_t in = 0;
  for (std::size_t i = 0; i < n; ++i) {
    a[i] += bucket[i] > t;
    if (bucket[i] == t) [[unlikely]] {
      if (in == 64) return false;  // a crowded bucket (many equal remainders): the general kernel
      at[in++] = static_cast<std::uint32_t>(i);
    }
  }
  const std::size_t units = static_cast<std::size_t>(left - above);  // 1 <= units <= in
  std::sort(at, at + in, [&](std::uint32_t x, std::uint32_t y) { return rem[x] > rem[y]; });
  const u64 threshold = rem[at[units - 1]];
  if (threshold == 0 || (units < in && rem[at[units]] == threshold)) {
    // A tie at the threshold or a zero threshold: undo nothing here, the general kernel redoes all.
    return false;
  }
  for (std::size_t k = 0; k < units; ++k) ++a[at[k]];
  return true;
}

/// Houses up to which Hamilton's quotas q = w (R / W) are computed in doubles: q <= R, and three
/// roundings (W, R / W, the product) put q within R 2^-51 <= 2^-13 of R w / W.
constexpr i64 kDoubleHouse = i64{1} << 38;
/// The margin by which the threshold must clear the edges of the window of candidates, far above
/// the quotas' error 2^-13 and far below a bucket's width 2^-8.
constexpr double kWindowMargin = 1.0 / 1024.0;

enum class Proof { proved, exact, general };

/// The instruction set of a copy of Hamilton's fast path (fast_hamilton_avx512, _avx2, _base),
/// for what each does its own way: the byte scans' width, the doubles pass's bucket bytes.
enum class Isa { base, avx2, avx512 };

/// The byte scans' width: 16 (SSE2's) in the base copy, where a wider generic vector is split
/// byte by byte (19k instructions a call in callgrind), 32 with AVX2 (64 would need AVX-512BW).
constexpr std::size_t scan_bytes(Isa isa) { return isa == Isa::base ? 16 : 32; }

template <std::size_t V>
struct ByteVector;  // V bytes (GCC ignores vector_size on an alias of a template's parameter)
template <>
struct ByteVector<16> {
  using type = std::uint8_t __attribute__((vector_size(16)));
};
template <>
struct ByteVector<32> {
  using type = std::uint8_t __attribute__((vector_size(32)));
};

/// How many of the n bytes at p lie in [b, b + width) (width >= 1, b + width <= 256), V at a
/// time (scan_bytes) without a branch on the data. Each byte lane counts at most n / V < 128 hits.
template <std::size_t V>
[[gnu::always_inline]] inline std::uint32_t count_bytes(const std::uint8_t* p, std::size_t n, int b, int width) {
  using Bytes = typename ByteVector<V>::type;
  const Bytes vb = Bytes{} + static_cast<std::uint8_t>(b), vw = Bytes{} + static_cast<std::uint8_t>(width - 1);
  Bytes hits{};
  std::size_t i = 0;
  // One bucket by equality: SSE2 has no unsigned comparison of bytes (two instructions more).
  if (width == 1)
    for (; i + V <= n; i += V) {
      Bytes v;
      std::memcpy(&v, p + i, V);
      hits -= reinterpret_cast<Bytes>(v == vb);  // -1 where equal
    }
  else
    for (; i + V <= n; i += V) {
      Bytes v;
      std::memcpy(&v, p + i, V);
      hits -= reinterpret_cast<Bytes>((v - vb) <= vw);  // -1 where within (unsigned: wraps below b)
    }
  u64 lanes[V / 8];
  std::memcpy(lanes, &hits, V);
  u64 c = 0;
  for (u64 x : lanes) {
    x = (x & 0x00ff00ff00ff00ff) + ((x >> 8) & 0x00ff00ff00ff00ff);  // four sums below 2^9
    c += (x * 0x0001000100010001) >> 48;
  }
  for (; i < n; ++i) c += static_cast<std::uint8_t>(p[i] - b) < width;
  return static_cast<std::uint32_t>(c);
}

/// The counts of the doubles pass's buckets, on demand: the threshold search reads a few ranges
/// of buckets near the guess (bucket 127 or 128), each a byte scan; past kScans of them, one
/// histogram of every bucket (a threshold far from the guess). V: count_bytes' width.
template <std::size_t V>
class BucketCounts {
 public:
  BucketCounts(const std::uint8_t* bucket, std::size_t n) : bucket_(bucket), n_(n) {}
  /// The recipients in buckets [b, b + width). Inlined into each instruction set's copy (a call
  /// compiled for the build's own target kept the scan's sums in memory).
  [[gnu::always_inline]] std::uint32_t operator()(int b, int width = 1) {
    if (!full_ && ++scans_ > kScans) {
      // Four histograms, summed after: a quarter of the recipients or more are in bucket 0
      // (weight 0 and the held), and each increment of one count waits on the store of the last.
      std::uint32_t part[4][256] = {};
      std::size_t i = 0;
      for (; i + 4 <= n_; i += 4)
        ++part[0][bucket_[i]], ++part[1][bucket_[i + 1]], ++part[2][bucket_[i + 2]], ++part[3][bucket_[i + 3]];
      for (; i < n_; ++i) ++part[0][bucket_[i]];
      for (int k = 0; k < 256; ++k) count_[k] = part[0][k] + part[1][k] + part[2][k] + part[3][k];
      full_ = true;
    }
    if (!full_) return count_bytes<V>(bucket_, n_, b, width);
    std::uint32_t c = 0;
    for (int k = b; k < b + width; ++k) c += count_[k];
    return c;
  }

 private:
  static constexpr int kScans = 16;
  const std::uint8_t* bucket_;
  std::size_t n_;
  int scans_ = 0;
  bool full_ = false;
  std::uint32_t count_[256];
};

/// The threshold bucket t of the doubles pass: the least t at which `above`, the recipients in
/// the buckets above t, falls below `left`, the units left (`above` given for t = 127, the guess;
/// bucket 0 is never counted, t stops there); with `above` then. t = 256 where `above` is still
/// `left` or more at t = 255 (no unit left, or fewer than none). Near the guess a bucket at a time;
/// past kNear buckets, kStride buckets a scan and the last stride halved, each step only where
/// the buckets it passes leave the decision unchanged, so that the same t comes out as bucket
/// by bucket. Without bounds t lies within 5 buckets of the guess mostly (a bucket at a time, as
/// before); B3's minimum puts it 5-19 below (the free quotas' fractions are not uniform): 6-20
/// scans a bucket at a time, 9-10 so (counted from the steps; results/bench/perf.md, § 45). A
/// function of its own, with `above` by value: captured by reference by the search's lambdas in
/// the pass's function, it kept the doubles pass off vector registers.
struct Threshold {
  int t;
  i64 above;
};
template <class Counts>
[[gnu::always_inline]] inline Threshold threshold_bucket(Counts& count, i64 above, i64 left) {
  constexpr int kNear = 5, kStride = 8;
  int t = 127;
  if (above < left) {
    // Down: past bucket t where above + count(t) stays below the units left; to bucket 0 at
    // most, whose count is never read.
    auto down = [&](int width) __attribute__((always_inline)) {
      if (t - width < 0) return false;
      const i64 c = count(t - width + 1, width);
      if (above + c >= left) return false;
      above += c, t -= width;
      return true;
    };
    int steps = 0;
    while (steps < kNear && down(1)) ++steps;
    if (steps == kNear) {
      while (down(kStride)) {
      }
      for (int width = kStride / 2; width >= 1; width /= 2) down(width);
    }
    return {t, above};
  }
  // Up: a bucket at a time while above stays at least the units left (t = 255 at most); past
  // kNear, strides while it stays so, then the one bucket more where it falls below.
  auto up = [&](int width) __attribute__((always_inline)) {
    if (t + width > 255) return false;
    const i64 c = count(t + 1, width);
    if (above - c < left) return false;
    above -= c, t += width;
    return true;
  };
  for (int steps = 0; steps < kNear && above >= left && t < 255; ++steps) above -= count(++t);
  if (above >= left && t < 255) {
    while (up(kStride)) {
    }
    for (int width = kStride / 2; width >= 1; width /= 2) up(width);
    if (t < 255) above -= count(++t);
  }
  return {above >= left ? 256 : t, above};
}

/// Hamilton in doubles: the seats are floor(q_i + 1 - theta) for the threshold remainder theta
/// (no tie: the units go to the remainders >= theta), and where q_i's fraction lies away from
/// theta its double q~_i gives the same floor, even where q~_i's own floor is off by one (a
/// fraction near 1 read as near 0 of the next integer, and the other way round: theta is neither
/// near 0 nor near 1, so the recipient keeps its seat). Pass 2 computes floor(256 q~), which is
/// the floor of q~ and its fraction's bucket (256 of them), proposes q~ rounded to the nearest
/// integer (the threshold guessed at 1/2) and counts those rounded up; the threshold bucket t
/// follows from the units left and the counts of the few buckets next to the guess (BucketCounts).
/// Recipients above buckets t - 1 .. t + 1 take a unit, those below none; pass 3 visits only the
/// buckets between the guess and that window (a byte scan, scan_bytes(P) at a time) to correct
/// the proposal there and collect the candidates in the window (a handful), whose floors and
/// remainders are then computed exactly. They take the units the others leave, by
/// largest exact remainder, if three things prove it: no tie at the threshold, and the
/// threshold's fraction at least kWindowMargin inside the window's lower and the largest unserved
/// fraction inside its upper edge (the recipients outside the window lie beyond those edges but
/// for the quotas' error). Anything else, and a house above kDoubleHouse, is left to
/// hamilton_exact; the caller keeps houses above kDoubleHouse from it. `free_w(i)` is recipient
/// i's weight where it is free (0 where held), `held(i)` its held units (0 where free);
/// `near_bound(i)` whether its held set's comparisons are too close to call (checked here, in
/// the pass that reads the recipients anyway). `P`: the copy's instruction set.
template <Isa P, class Free, class Held, class Near>
[[gnu::always_inline]] inline Proof hamilton_by_doubles(std::size_t n, i64 R, u64 W, std::span<i64> seats,
                                                        Workspace& ws, Free free_w, Held held, Near near_bound) {
  ws.bucket_all.resize(n);
  std::uint8_t* bucket = ws.bucket_all.data();
  // 256 R / W: 256 q~ is q~ exactly (a power of two), so floor(256 q~) >> 8 = floor(q~).
  const double scale256 = 256.0 * (static_cast<double>(R) / static_cast<double>(W));
  i64 sum = 0;    // of the proposals
  i64 above = 0;  // the proposals rounded up: buckets 128 .. 255
  u64 near = 0;   // not bool: GCC vectorises no reduction of bools
  i64* a = seats.data();
  // No histogram here: its increments (one load and store a recipient on an address known only
  // after the quota's chain) kept the pass scalar and slow, most where the held recipients all
  // counted in bucket 0 (results/bench/perf.md, sections 39 and 42). Without them the AVX-512
  // copy converts, multiplies and truncates eight quotas a step; the threshold search reads the
  // few buckets it needs from the bytes (BucketCounts).
  //
  // With AVX-512 the bucket bytes are cut from the quotas in a loop of their own: a byte store in
  // this one made GCC take 32 recipients a step, whose masks and vectors no longer fit the
  // registers (spilled to the stack every step: hamilton_min1_max8 844-878 ns -> 705-709, § 47).
  // Not so in the AVX2 and base copies, whose conversions are scalar: there the second loop only
  // adds (4-10 %).
  constexpr bool apart = P == Isa::avx512;
  i64* q = nullptr;
  if constexpr (apart) ws.quota256.resize(n), q = ws.quota256.data();
  for (std::size_t i = 0; i < n; ++i) {
    const i64 q256 = static_cast<i64>(static_cast<double>(static_cast<i64>(free_w(i))) * scale256);  // w <= 2^53
    const i64 rounded = (q256 + 128) >> 8;
    a[i] = held(i) + rounded;  // q256 = 0 where held
    if constexpr (apart) q[i] = q256;
    else bucket[i] = static_cast<std::uint8_t>(q256);
    sum += rounded;
    above += (q256 >> 7) & 1;
    near |= static_cast<u64>(near_bound(i));
  }
  if (near != 0) return Proof::general;
  if constexpr (apart)
    for (std::size_t i = 0; i < n; ++i) bucket[i] = static_cast<std::uint8_t>(q[i]);
  BucketCounts<scan_bytes(P)> count(bucket, n);
  // The threshold bucket t: `above_t` = the recipients in buckets above t, fewer than the units
  // left, which those and bucket t's reach. Bucket 0's count is never read (a threshold there
  // goes to the exact pass).
  const i64 left = R - (sum - above);  // off by the quotas whose floor the doubles missed
  const auto [t, above_t] = threshold_bucket(count, above, left);
  if (t > 255) return Proof::exact;  // no unit left (or fewer than none)
  if (t == 0) return Proof::exact;  // the threshold near 0 (and recipients of weight 0 in bucket 0)
  const int lo = t - 1, hi = std::min(t + 1, 255);
  // The units left to the window: `above_t` counts the buckets above t, the window's top one too.
  i64 units = left - (above_t - (hi > t ? count(hi) : 0));
  // Pass 3, over the buckets between the guess (128) and the window only.
  const int band_lo = std::min(lo, 128), band_hi = std::max(hi + 1, 128);  // [band_lo, band_hi)
  std::uint32_t at[64];
  std::size_t in = 0;
  // Recipient i, whose bucket lies in [band_lo, band_hi).
  auto visit = [&](std::size_t i) __attribute__((always_inline)) {
    const int bk = bucket[i];
    a[i] -= bk >= 128;  // the floor again
    if (bk > hi) ++a[i];
    else if (bk >= lo) {
      if (in == 64) return false;  // a crowded window
      at[in++] = static_cast<std::uint32_t>(i);
    }
    return true;
  };
  constexpr std::size_t V = scan_bytes(P);
  using Bytes = typename ByteVector<V>::type;
  const Bytes base = Bytes{} + static_cast<std::uint8_t>(band_lo);
  const Bytes width = Bytes{} + static_cast<std::uint8_t>(band_hi - band_lo);
  std::size_t i = 0;
  for (; i + V <= n; i += V) {
    Bytes v;
    std::memcpy(&v, bucket + i, V);
    const auto hit = (v - base) < width;  // unsigned: wraps below band_lo
    std::uint64_t any[V / 8];
    std::memcpy(any, &hit, V);
    // Only the hits (a few in a hundred recipients on B3's minimum): the top bit of each of a
    // word's eight bytes gathered into one byte by a multiplication (bit j from byte j), then its
    // set bits.
    for (std::size_t k = 0; k < V / 8; ++k)
      for (u64 bits = ((any[k] & 0x8080808080808080) * 0x0002040810204081) >> 56; bits != 0; bits &= bits - 1)
        if (!visit(i + 8 * k + static_cast<std::size_t>(std::countr_zero(bits)))) return Proof::exact;
  }
  for (; i < n; ++i)
    if (bucket[i] >= band_lo && bucket[i] < band_hi && !visit(i)) return Proof::exact;
  // The candidates' exact floors and remainders, from their double floors (within one unit). A
  // candidate of weight 0 is held (or 0) with floor 0 and remainder 0; one of positive weight holds
  // nothing and its double floor is in seats.
  u64 rem[64];
  for (std::size_t k = 0; k < in; ++k) {
    const std::size_t j = at[k];
    const u64 w = free_w(j);
    const i64 f = exact_floor(static_cast<u64>(R) * w, W, a[j] & -i64{w != 0}, rem[k]);
    if (w != 0) units += a[j] - f, a[j] = f;
  }
  if (units < 0 || units > static_cast<i64>(in)) return Proof::exact;
  std::uint32_t order[64];
  for (std::size_t k = 0; k < in; ++k) order[k] = static_cast<std::uint32_t>(k);
  std::sort(order, order + in, [&](std::uint32_t x, std::uint32_t y) { return rem[x] > rem[y]; });
  const auto served = static_cast<std::size_t>(units);
  const double Wd = static_cast<double>(W);
  if (served > 0 && !(static_cast<double>(rem[order[served - 1]]) / Wd >= lo / 256.0 + kWindowMargin))
    return Proof::exact;
  if (served < in) {
    if (!(static_cast<double>(rem[order[served]]) / Wd <= (hi + 1) / 256.0 - kWindowMargin)) return Proof::exact;
    if (served > 0 && rem[order[served]] == rem[order[served - 1]]) return Proof::general;  // a tie
  }
  for (std::size_t k = 0; k < served; ++k) ++a[at[order[k]]];
  return Proof::proved;
}

/// Hamilton's floors once the held set is known: the doubles pass where it proves the result,
/// the exact pass otherwise and for houses above kDoubleHouse. The exact pass reads the free
/// weights from an array and the held units from seats: `spill()` puts them there (where they
/// are not already) and returns the array. It has no check of the held set's comparisons of its
/// own, so where it takes over above kDoubleHouse they are proved here first (a quota within
/// ulps of its bound, read on the wrong side, gave wrong seats or decided a tie).
template <bool Bounded, Isa P, class Free, class Held, class Near, class Spill>
[[gnu::always_inline]] inline bool hamilton_floors(std::size_t n, i64 R, u64 W, std::span<i64> seats,
                                                   Workspace& ws, Free free_w, Held held, Near near_bound,
                                                   Spill spill) {
  if (u128(R) * W > (u128(1) << 61)) return false;
  if (R <= kDoubleHouse) {
    switch (hamilton_by_doubles<P>(n, R, W, seats, ws, free_w, held, near_bound)) {
      case Proof::proved: return true;
      case Proof::general: return false;
      case Proof::exact: break;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i)
      if (near_bound(i)) return false;
  }
  return hamilton_exact<Bounded>(spill(), n, R, W, seats, ws);
}

/// Hamilton: the doubles pass where it proves the result, the exact floors otherwise. With
/// bounds, the held recipients take their bound and count as weight 0: found on two thresholds
/// of the weights where every recipient has the same bounds (uniform_held_set), by Newton's
/// passes on each recipient's bounds otherwise. `P`: the copy's instruction set.
template <bool Lo, bool Hi, Isa P>
[[gnu::always_inline]] inline bool fast_hamilton(std::span<const u64> weights, i64 house, std::span<i64> seats,
                                                 Workspace& ws, Bounds b) {
  const std::size_t n = weights.size();
  // The accessors below capture by value: the floors pass stores bytes, which may alias
  // anything held by reference (GCC reloaded the weights' pointer for every recipient).
  const u64* w = weights.data();
  auto never = [](std::size_t) { return false; };
  if constexpr (!Lo && !Hi) {
    // Only the total and the limits, two operations a weight: fast_sums<false, false> refuses
    // the same inputs, but its count of positive weights costs 680 instructions a call more
    // here (7 %, the benchmark). Every weight <= any <= 2^53, so n <= 2047 of them cannot wrap.
    u64 any = 0, all = 0;
    for (const u64 v : weights) any |= v, all += v;
    if (any > kMaxWeight || all > kMaxTotalWeight || all == 0) return false;
    return hamilton_floors<false, P>(
        n, house, all, seats, ws, [w](std::size_t i) { return w[i]; }, [](std::size_t) { return i64{0}; }, never,
        [w] { return w; });
  } else {
    if (WeightSums ws_sums; common_bounds_sums<Lo, Hi>(weights, b, ws_sums)) {
      const i64 lo = Lo ? b.min[0] : 0, hi = Hi ? b.max[0] : 0;
      UniformSet u;
      switch (uniform_held_set<Hi>(weights, ws_sums, house, lo, hi, u)) {
        case Uniform::general: return false;
        case Uniform::newton: break;
        case Uniform::proved: {
          // Masks of all ones where held at the minimum (w < below) or at the maximum (w > above).
          const u64 below = u.below, above = u.above;
          auto free_w = [w, below, above](std::size_t i) {
            return w[i] & ~(-u64{w[i] < below} | (Hi ? -u64{w[i] > above} : 0));
          };
          auto held = [w, below, above, lo, hi](std::size_t i) {
            return (-i64{w[i] < below} & lo) | (Hi ? -i64{w[i] > above} & hi : 0);
          };
          auto unclear = [w, u](std::size_t i) __attribute__((always_inline)) { return held_set_unclear<Hi>(w[i], u); };
          return hamilton_floors<true, P>(n, u.set.rest, u.set.weight, seats, ws, free_w, held, unclear, [&] {
            ws.rem.resize(n);
            for (std::size_t i = 0; i < n; ++i) ws.rem[i] = free_w(i), seats[i] = held(i);
            return ws.rem.data();
          });
        }
      }
    }
    FastSums sums;
    if (!fast_sums<Lo, Hi>(weights, b, sums)) return false;
    HeldSet set;
    if (!fast_held_set<Lo, Hi>(weights, house, sums.fixed, sums.all, b, seats, ws, set)) return false;
    // The held set's comparisons at its last lambda, proved: lambda and w lie within a few ulps
    // of their exact values, so a relative margin of 1e-12 (the divisor methods' certificate's)
    // decides each exactly. Weight 0 (q = 0) is held at its minimum without doubt.
    const double* wd = ws.weight_d.data();
    const double lambda = set.lambda;
    const RecipientBounds<Lo, Hi> bd(b);
    auto near_bound = [wd, lambda, bd](std::size_t i) __attribute__((always_inline)) {
      const double q = lambda * wd[i], margin = q * 1e-12;
      bool near = std::abs(q - static_cast<double>(bd.low(i))) < margin;
      if constexpr (Hi) near |= std::abs(q - static_cast<double>(bd.high(i))) < margin;
      return near;
    };
    const u64* free_w = ws.rem.data();
    const i64* a = seats.data();
    return hamilton_floors<true, P>(
        n, set.rest, set.weight, seats, ws, [free_w](std::size_t i) { return free_w[i]; },
        [a](std::size_t i) { return a[i]; }, near_bound, [free_w] { return free_w; });
  }
}

using DivisorPath = bool (*)(const Signposts&, std::span<const u64>, i64, std::span<i64>, Workspace&, Bounds,
                             Outcome&);

// The divisor methods' fast path in one copy per instruction set, chosen once by the CPU
// (fast_paths()), as Philox4x32's paths: the build has no -march, and for baseline x86-64 GCC
// rounds (double to int64, Adams' int64 to double), sums and scans one recipient at a time.
// With AVX-512 (DQ: vcvttpd2qq, vcvtqq2pd) it converts eight a step. The same operations on the
// same values in every copy -- IEEE products, conversions of values within range, integer sums,
// max and min in the source's operand order, no contraction (-ffp-contract=off) -- so the same
// bits (tests/test_apportion.cpp runs every path this CPU has against the general kernel).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KIMSIM_FAST_PATHS 1
template <Method M, bool Lo, bool Hi, bool Common>
[[gnu::target("avx512f,avx512dq,avx512vl")]] bool fast_divisor_avx512(
    const Signposts& sp, std::span<const u64> weights, i64 house, std::span<i64> seats, Workspace& ws, Bounds b,
    Outcome& out) {
  return fast_divisor<M, Lo, Hi, true, Common>(sp, weights, house, seats, ws, b, out);
}
template <Method M, bool Lo, bool Hi, bool Common>
[[gnu::target("avx2")]] bool fast_divisor_avx2(const Signposts& sp, std::span<const u64> weights, i64 house,
                                               std::span<i64> seats, Workspace& ws, Bounds b, Outcome& out) {
  return fast_divisor<M, Lo, Hi, false, Common>(sp, weights, house, seats, ws, b, out);
}
#endif
template <Method M, bool Lo, bool Hi, bool Common>
bool fast_divisor_base(const Signposts& sp, std::span<const u64> weights, i64 house, std::span<i64> seats,
                       Workspace& ws, Bounds b, Outcome& out) {
  return fast_divisor<M, Lo, Hi, false, Common>(sp, weights, house, seats, ws, b, out);
}

using HamiltonPath = bool (*)(std::span<const u64>, i64, std::span<i64>, Workspace&, Bounds);

// Hamilton's fast path in one copy per instruction set, as the divisor methods': the doubles
// pass (hamilton_by_doubles) converts, multiplies and truncates eight quotas a step with AVX-512
// DQ, and the byte scans read 32 bytes a step with AVX2 (16 in the base copy; Isa). The same IEEE
// operations on the same values in every copy, so the same seats.
#ifdef KIMSIM_FAST_PATHS
template <bool Lo, bool Hi>
[[gnu::target("avx512f,avx512dq,avx512vl")]] bool fast_hamilton_avx512(std::span<const u64> weights, i64 house,
                                                                      std::span<i64> seats, Workspace& ws, Bounds b) {
  return fast_hamilton<Lo, Hi, Isa::avx512>(weights, house, seats, ws, b);
}
template <bool Lo, bool Hi>
[[gnu::target("avx2")]] bool fast_hamilton_avx2(std::span<const u64> weights, i64 house, std::span<i64> seats,
                                                Workspace& ws, Bounds b) {
  return fast_hamilton<Lo, Hi, Isa::avx2>(weights, house, seats, ws, b);
}
#endif
template <bool Lo, bool Hi>
bool fast_hamilton_base(std::span<const u64> weights, i64 house, std::span<i64> seats, Workspace& ws, Bounds b) {
  return fast_hamilton<Lo, Hi, Isa::base>(weights, house, seats, ws, b);
}

/// fast_hamilton<Lo, Hi> on path `path` of fast_paths().
template <bool Lo, bool Hi>
HamiltonPath hamilton_on(std::size_t path) {
#ifdef KIMSIM_FAST_PATHS
  if (path == 0) return fast_hamilton_avx512<Lo, Hi>;
  if (path == 1) return fast_hamilton_avx2<Lo, Hi>;
#endif
  return fast_hamilton_base<Lo, Hi>;
}

/// fast_divisor<M, Lo, Hi, Common> on path `path` of fast_paths().
template <Method M, bool Lo, bool Hi, bool Common>
DivisorPath divisor_on(std::size_t path) {
#ifdef KIMSIM_FAST_PATHS
  if (path == 0) return fast_divisor_avx512<M, Lo, Hi, Common>;
  if (path == 1) return fast_divisor_avx2<M, Lo, Hi, Common>;
#endif
  return fast_divisor_base<M, Lo, Hi, Common>;
}

template <bool Lo, bool Hi, bool Common = false>
bool fast_divisor_of(std::size_t path, const Rule& rule, const Signposts& sp, std::span<const u64> weights, i64 house,
                     std::span<i64> seats, Workspace& ws, Bounds b, Outcome& out) {
  DivisorPath f = nullptr;
  switch (rule.method) {
    case Method::dhondt: f = divisor_on<Method::dhondt, Lo, Hi, Common>(path); break;
    case Method::sainte_lague: f = divisor_on<Method::sainte_lague, Lo, Hi, Common>(path); break;
    case Method::huntington_hill: f = divisor_on<Method::huntington_hill, Lo, Hi, Common>(path); break;
    case Method::adams: f = divisor_on<Method::adams, Lo, Hi, Common>(path); break;
    case Method::dean: f = divisor_on<Method::dean, Lo, Hi, Common>(path); break;
    case Method::hamilton:
    case Method::vinton: return false;
  }
  return f(sp, weights, house, seats, ws, b, out);
}

}  // namespace

namespace detail {

bool hamilton_common_bounds_prove(std::span<const std::uint64_t> weights, std::int64_t house, std::int64_t lo,
                                  std::int64_t hi) {
  // apportion_fast's own preconditions for the way (n < 2048 keeps the Newton passes' sums exact).
  if (weights.empty() || weights.size() > kFastRecipients || house < 0 || house > kMaxHamiltonHouse) return false;
  UniformSet u;
  auto clear = [&]<bool Hi>() {
    WeightSums sums;
    common_bounds_sums<false, false>(weights, Bounds{}, sums);
    if (uniform_held_set<Hi>(weights, sums, house, lo, hi, u) != Uniform::proved) return false;
    for (const u64 w : weights)
      if (held_set_unclear<Hi>(w, u)) return false;
    return true;
  };
  return hi == kUnbounded ? clear.operator()<false>() : clear.operator()<true>();
}

std::int64_t signpost_free_round(Method method, double q, bool& near) {
  u64 n = 0;
  const i64 k = method == Method::huntington_hill ? kimsim::signpost_free_round<Method::huntington_hill>(q, n)
                                                  : kimsim::signpost_free_round<Method::dean>(q, n);
  near = n != 0;
  return k;
}

std::span<const FastPath> fast_paths() {
  static const FastPath all[] = {
#ifdef KIMSIM_FAST_PATHS
      {"avx512", __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                     __builtin_cpu_supports("avx512vl")},
      {"avx2", static_cast<bool>(__builtin_cpu_supports("avx2"))},
#endif
      {"base", true},
  };
  return all;
}

bool apportion_fast(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                    std::span<std::int64_t> seats, Workspace& ws, Bounds bounds, Outcome& out) {
  static const std::size_t path = [] {
    const auto paths = fast_paths();
    return static_cast<std::size_t>(&first_supported(paths) - paths.data());  // "base" runs everywhere
  }();
  return apportion_fast_on(path, rule, weights, house, seats, ws, bounds, out);
}

std::pair<int, std::int64_t> hamilton_threshold_bucket(std::span<const std::uint8_t> buckets, std::int64_t above,
                                                       std::int64_t left, bool wide_scans) {
  if (buckets.size() > kFastRecipients) throw std::length_error("hamilton_threshold_bucket: at most 2047 buckets");
  // Either width of the scans (the AVX2 copies' 32 in this build's generic vectors: slower, the
  // same counts).
  auto search = [&]<std::size_t V>() {
    BucketCounts<V> count(buckets.data(), buckets.size());
    return threshold_bucket(count, above, left);
  };
  const Threshold found = wide_scans ? search.operator()<32>() : search.operator()<16>();
  return {found.t, found.above};
}

BoundsCopy divisor_bounds_copy(Bounds bounds) {
  const bool lo = !bounds.min.empty(), hi = !bounds.max.empty();
  if (!lo && !hi) return BoundsCopy::none;
  // Bounds the same for every recipient (B3's minimum, a common cap): read once, and folded into
  // the priority tables (the bounded rows' scan read each recipient's bound twice).
  if ((!lo || same_everywhere(bounds.min)) && (!hi || same_everywhere(bounds.max))) return BoundsCopy::common;
  return BoundsCopy::per_recipient;
}

bool apportion_fast_on(std::size_t path, const Rule& rule, std::span<const std::uint64_t> weights,
                       std::int64_t house, std::span<std::int64_t> seats, Workspace& ws, Bounds bounds,
                       Outcome& out) {
  const std::size_t n = weights.size();
  if (rule.first_signpost || n == 0 || n > kFastRecipients || seats.size() != n || house < 0) return false;
  if ((!bounds.min.empty() && bounds.min.size() != n) || (!bounds.max.empty() && bounds.max.size() != n)) return false;
  const bool bounded = !bounds.min.empty() || !bounds.max.empty();
  out = Outcome{};
  const bool lo = !bounds.min.empty(), hi = !bounds.max.empty();
  if (!is_divisor_method(rule.method)) {
    // Vinton with bounds holds by lower quotas of the whole house: left to the general kernel.
    if (house > kMaxHamiltonHouse || (bounded && rule.method != Method::hamilton)) return false;
    if (lo && hi) return hamilton_on<true, true>(path)(weights, house, seats, ws, bounds);
    if (lo) return hamilton_on<true, false>(path)(weights, house, seats, ws, bounds);
    if (hi) return hamilton_on<false, true>(path)(weights, house, seats, ws, bounds);
    return hamilton_on<false, false>(path)(weights, house, seats, ws, bounds);
  }
  if (house > kMaxDivisorHouse) return false;
  const Signposts sp{rule.method};
  if (divisor_bounds_copy(bounds) == BoundsCopy::common)
    return fast_divisor_of<true, true, true>(path, rule, sp, weights, house, seats, ws, bounds, out);
  if (lo && hi) return fast_divisor_of<true, true>(path, rule, sp, weights, house, seats, ws, bounds, out);
  if (lo) return fast_divisor_of<true, false>(path, rule, sp, weights, house, seats, ws, bounds, out);
  if (hi) return fast_divisor_of<false, true>(path, rule, sp, weights, house, seats, ws, bounds, out);
  return fast_divisor_of<false, false>(path, rule, sp, weights, house, seats, ws, bounds, out);
}

}  // namespace detail

}  // namespace kimsim
