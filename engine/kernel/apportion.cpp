// The apportionment kernel. See include/kimsim/apportion.hpp for the contract.
//
// Divisor methods use jump-and-step (Pukelsheim 2017, ch. 6): a divisor estimate over the active
// recipients, rounding by signposts, a secant re-jump when the estimate was poor, then single
// steps. Floating point only proposes; the max-min certificate (ch. 4) is then checked with a
// safety margin, and wherever the margin is too thin it is re-checked, repaired and tie-tested with
// exact integer cross-multiplication. Hamilton computes exact integer quotas and remainders.
#include "kimsim/apportion.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>

#include "exact.hpp"
#include "fast.hpp"
#include "signpost.hpp"

namespace kimsim {
namespace {

using u64 = std::uint64_t;
using i64 = std::int64_t;
using u128 = unsigned __int128;
using i128 = __int128;

/// Sign of w_i / s_i - w_j / s_j, exactly. s = 0 with w > 0 is +infinity; two infinities tie.
int compare_priority(u64 wi, Ratio si, u64 wj, Ratio sj, bool squared) {
  const u128 a = squared ? u128{wi} * wi : u128{wi};
  const u128 c = squared ? u128{wj} * wj : u128{wj};
  return exact::compare_products(a, u128{sj.num} * si.den, c, u128{si.num} * sj.den);
}

// ---------------------------------------------------------------------------------------------
// Preparation shared by all methods: validation, fixed recipients, the compact active set.

struct Prepared {
  std::size_t n = 0;  // active recipients (weight > 0 and min < max), compacted into ws
  i64 house = 0;      // units left for the active recipients
  u64 total_weight = 0;
  bool bounded = false;
};

[[noreturn]] void refuse_weight(std::span<const u64> weights) {
  for (std::size_t i = 0; i < weights.size(); ++i)
    if (weights[i] > kMaxWeight)
      throw InputError("the weight of recipient " + std::to_string(i + 1) + " exceeds 2^53");
  throw InputError("the sum of the weights exceeds 2^62");
}

[[noreturn]] void refuse_capacity(i64 house, i128 capacity) {
  throw InputError("the units to apportion (" + std::to_string(house) +
                   ") exceed what the recipients can take (" +
                   std::to_string(static_cast<i64>(capacity)) +
                   "; recipients of weight 0 take only their minimum)");
}

Prepared prepare(std::span<const u64> weights, i64 house, std::span<i64> seats, Workspace& ws,
                 Bounds bounds, i64 house_limit) {
  const std::size_t n = weights.size();
  if (seats.size() != n) throw InputError("apportion: seats and weights differ in length");
  if ((!bounds.min.empty() && bounds.min.size() != n) ||
      (!bounds.max.empty() && bounds.max.size() != n))
    throw InputError("apportion: bounds and weights differ in length");
  if (house < 0) throw InputError("the number of units must not be negative");
  if (house > house_limit)
    throw InputError("the number of units " + std::to_string(house) + " exceeds the limit " +
                     std::to_string(house_limit) + " of this method");

  Prepared p;
  p.bounded = !bounds.min.empty() || !bounds.max.empty();
  ws.index.resize(n);
  ws.weight.resize(n);
  ws.weight_d.resize(n);
  ws.seats.resize(n);
  std::uint32_t* idx = ws.index.data();
  u64* wt = ws.weight.data();
  double* wd = ws.weight_d.data();
  std::size_t m = 0;
  u128 total = 0;
  u64 largest = 0;
  if (!p.bounded) {  // the hot path: no bounds, so only the active set is gathered
    for (std::size_t i = 0; i < n; ++i) {
      const u64 w = weights[i];
      total += w;
      largest = std::max(largest, w);
      seats[i] = 0;
      idx[m] = static_cast<std::uint32_t>(i);
      wt[m] = w;
      wd[m] = static_cast<double>(w);
      m += w != 0;
    }
    if (largest > kMaxWeight || total > kMaxTotalWeight) refuse_weight(weights);
    if (m == 0 && house > 0) refuse_capacity(house, 0);
    p.n = m;
    p.house = house;
    p.total_weight = static_cast<u64>(total);
    return p;
  }

  ws.lo.resize(n);
  ws.hi.resize(n);
  i64 fixed = 0, sum_min = 0;
  i128 capacity = 0;  // the most units the recipients can take
  for (std::size_t i = 0; i < n; ++i) {
    const u64 w = weights[i];
    const i64 lo = bounds.min.empty() ? 0 : bounds.min[i];
    const i64 hi = bounds.max.empty() ? kUnbounded : bounds.max[i];
    if (lo < 0) throw InputError("the minimum of recipient " + std::to_string(i + 1) + " is negative");
    if (hi < lo)
      throw InputError("the maximum of recipient " + std::to_string(i + 1) + " (" +
                       std::to_string(hi) + ") is below its minimum (" + std::to_string(lo) + ")");
    total += w;
    largest = std::max(largest, w);
    sum_min += lo;
    if (sum_min > house)
      throw InputError("the units to apportion (" + std::to_string(house) +
                       ") are fewer than the sum of the minimums");
    if (w == 0 || lo == hi) {
      seats[i] = lo;  // weight 0 takes exactly its minimum; a pinned recipient its bound
      fixed += lo;
      capacity += lo;
      continue;
    }
    capacity += hi;
    idx[m] = static_cast<std::uint32_t>(i);
    wt[m] = w;
    wd[m] = static_cast<double>(w);
    ws.lo[m] = lo;
    ws.hi[m] = hi;
    p.total_weight += w;
    ++m;
  }
  if (largest > kMaxWeight || total > kMaxTotalWeight) refuse_weight(weights);
  if (capacity < house) refuse_capacity(house, capacity);
  p.n = m;
  p.house = house - fixed;
  return p;
}

void scatter(const Prepared& p, const Workspace& ws, std::span<i64> seats) {
  for (std::size_t j = 0; j < p.n; ++j) seats[ws.index[j]] = ws.seats[j];
}

/// Decides which `units` of the `competitors` (compact positions, ascending) receive a unit.
/// Returns the chosen positions. Policy error has been handled by the caller.
std::vector<std::uint32_t> choose(const Rule& rule, const Workspace& ws,
                                  std::vector<std::uint32_t> competitors, i64 units) {
  if (rule.ties == TiePolicy::lot) {
    // One Philox draw per tied recipient, keyed by the seed and counted by the recipient's input
    // index: the same seed gives the same lot, whatever else is in the input.
    r123::Philox4x32 rng;
    const r123::Philox4x32::key_type key = {
        {static_cast<std::uint32_t>(rule.seed), static_cast<std::uint32_t>(rule.seed >> 32)}};
    auto draw = [&](std::uint32_t pos) {
      const r123::Philox4x32::ctr_type ctr = {{ws.index[pos], 0x7469u /* "ti": tie lot */, 0, 0}};
      const auto r = rng(ctr, key);
      return (u64{r[0]} << 32) | r[1];
    };
    std::stable_sort(competitors.begin(), competitors.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return draw(a) < draw(b); });
  }
  competitors.resize(static_cast<std::size_t>(units));
  return competitors;
}

Tie make_tie(const Workspace& ws, const std::vector<std::uint32_t>& competitors, i64 units) {
  Tie t;
  t.units = units;
  for (auto c : competitors) t.competitors.push_back(ws.index[c]);
  return t;
}

std::string tie_message(const Tie& t) {
  std::string s = "tie: " + std::to_string(t.competitors.size()) + " recipients (";
  for (std::size_t k = 0; k < t.competitors.size(); ++k)
    s += (k ? ", " : "") + std::string("#") + std::to_string(t.competitors[k] + 1);
  s += ") have an equal claim to the last " + std::to_string(t.units) +
       (t.units == 1 ? " unit" : " units");
  return s;
}

[[noreturn]] void throw_tie(Tie tie) {
  std::string what = tie_message(tie);
  throw TieError(std::move(what), std::move(tie));
}

// ---------------------------------------------------------------------------------------------
// Divisor methods.

template <Method M, bool Bounded>
class DivisorKernel {
 public:
  DivisorKernel(const Rule& rule, const Signposts& sp, const Prepared& p, Workspace& ws)
      : rule_(rule), sp_(sp), p_(p), ws_(ws), n_(p.n), table_(ws.signpost.size()) {}

  Outcome run() {
    Outcome out;
    if (n_ == 0) return out;
    jump();
    step();
    certify(out);
    return out;
  }

 private:
  i64 lo(std::size_t j) const {
    if constexpr (Bounded) return ws_.lo[j];
    return 0;
  }
  i64 hi(std::size_t j) const {
    if constexpr (Bounded) return ws_.hi[j];
    return kUnbounded;
  }
  double signpost(i64 k) const {
    return std::size_t(k) < table_ ? ws_.signpost[k] : sp_.template value<M>(k);
  }
  double inverse(i64 k) const {
    return std::size_t(k) < table_ ? ws_.inv_signpost[k] : 1.0 / sp_.template value<M>(k);
  }

  i64 round(double q, std::size_t j) const {
    i64 a = static_cast<i64>(q);  // floor, q >= 0
    a += q > signpost(a);         // branch-free: this comparison is a coin flip
    if (sp_.modified && a == 1 && q < sp_.first_d) a = 0;  // s(0) modified above 1
    if constexpr (Bounded) a = std::clamp(a, lo(j), hi(j));
    return a;
  }

  i64 round_all(double divisor) {
    // The hot loop: locals instead of members so that nothing is reloaded per element.
    const double inv = 1.0 / divisor;
    const double* w = ws_.weight_d.data();
    const double* s = ws_.signpost.data();
    const std::size_t table = table_;
    i64* seats = ws_.seats.data();
    i64 sum = 0;
    if (!Bounded && !sp_.modified) {
      for (std::size_t j = 0; j < n_; ++j) {
        const double q = w[j] * inv;
        i64 a = static_cast<i64>(q);  // floor, q >= 0
        a += q > (std::size_t(a) < table ? s[a] : sp_.template value<M>(a));
        seats[j] = a;
        sum += a;
      }
      return sum;
    }
    for (std::size_t j = 0; j < n_; ++j) sum += seats[j] = round(w[j] * inv, j);
    return sum;
  }

  // A divisor estimate, then up to three secant re-jumps while the sum is off by more than the
  // selection in step() handles in one pass.
  void jump() {
    const double W = static_cast<double>(p_.total_weight);
    const double h = static_cast<double>(p_.house);
    const double n = static_cast<double>(n_);
    double divisor = W / std::max(h - n * rounding_offset(M), 0.5);
    sum_ = round_all(divisor);
    for (int k = 0; k < 3 && std::abs(sum_ - p_.house) > kSelect; ++k) {
      const double offset = static_cast<double>(sum_) - W / divisor;  // observed a ~ W/D + offset
      const double target = h - offset;
      divisor = target > 0.5 ? W / target : divisor * 2.0;
      if (!(divisor > 0.0) || !std::isfinite(divisor)) break;
      sum_ = round_all(divisor);
    }
  }

  bool can_gain(std::size_t j) const {
    if constexpr (Bounded) return ws_.seats[j] < hi(j);
    return true;
  }
  bool can_lose(std::size_t j) const { return ws_.seats[j] > lo(j); }
  // Priorities of the next unit (gain) and of the last unit held (loss). Where a unit cannot
  // move, the value keeps it out of the fast scans: gain -1, loss +inf. (A legitimate loss of
  // +inf, the first unit under Adams or Hill, is handled by the exact path.)
  void refresh(std::size_t j) {
    const i64 a = ws_.seats[j];
    const double w = ws_.weight_d[j];
    ws_.gain[j] = can_gain(j) ? w * inverse(a) : -1.0;
    ws_.loss[j] = can_lose(j) ? w * inverse(a - 1) : std::numeric_limits<double>::infinity();
  }

  std::ptrdiff_t best_gainer() const {
    std::ptrdiff_t best = -1;
    for (std::size_t j = 0; j < n_; ++j)
      if (can_gain(j) && (best < 0 || ws_.gain[j] > ws_.gain[best])) best = std::ptrdiff_t(j);
    return best;
  }
  std::ptrdiff_t best_loser() const {
    std::ptrdiff_t best = -1;
    for (std::size_t j = 0; j < n_; ++j)
      if (can_lose(j) && (best < 0 || ws_.loss[j] < ws_.loss[best])) best = std::ptrdiff_t(j);
    return best;
  }

  static constexpr i64 kSelect = 16;

  // Close to the house size, the d missing units go to the d strongest claims in one pass (a
  // small sorted buffer), the d surplus units come from the d weakest holdings. A recipient that
  // deserved two of them is set right by the repair in certify(). Far from it (a degenerate
  // estimate), steps come from a heap so that the work stays O((n + d) log n) instead of O(n d)
  // (Reitzig & Wild 2023's warning on jump-and-step).
  void step() {
    ws_.gain.resize(n_);
    ws_.loss.resize(n_);
    for (std::size_t j = 0; j < n_; ++j) refresh(j);
    const i64 d = p_.house - sum_;
    if (d == 0) return;
    if (std::abs(d) > kSelect) {
      heap_steps(d);
      return;
    }
    const bool up = d > 0;
    const std::size_t want = static_cast<std::size_t>(std::abs(d));
    double val[kSelect];
    std::uint32_t pos[kSelect];
    std::size_t have = 0;
    const double* pri = up ? ws_.gain.data() : ws_.loss.data();
    for (std::size_t j = 0; j < n_; ++j) {
      const double v = up ? pri[j] : -pri[j];  // larger is stronger
      if (have == want && !(v > val[want - 1])) continue;
      if (up ? !can_gain(j) : !can_lose(j)) continue;
      std::size_t k = have < want ? have++ : want - 1;
      for (; k > 0 && val[k - 1] < v; --k) val[k] = val[k - 1], pos[k] = pos[k - 1];
      val[k] = v, pos[k] = static_cast<std::uint32_t>(j);
    }
    if (have < want) {  // fewer movable recipients than units: one at a time
      single_steps();
      return;
    }
    for (std::size_t k = 0; k < want; ++k) {
      ws_.seats[pos[k]] += up ? 1 : -1;
      refresh(pos[k]);
    }
    sum_ = p_.house;
  }

  void single_steps() {
    while (sum_ < p_.house) {
      const auto j = static_cast<std::size_t>(best_gainer());
      ++ws_.seats[j], ++sum_;
      refresh(j);
    }
    while (sum_ > p_.house) {
      const auto j = static_cast<std::size_t>(best_loser());
      --ws_.seats[j], --sum_;
      refresh(j);
    }
  }

  void heap_steps(i64 d) {
    auto& h = ws_.order;
    h.clear();
    const bool up = d > 0;
    for (std::size_t j = 0; j < n_; ++j)
      if (up ? can_gain(j) : can_lose(j)) h.push_back(static_cast<std::uint32_t>(j));
    auto before = [&](std::uint32_t a, std::uint32_t b) {  // heap top = best candidate
      return up ? ws_.gain[a] < ws_.gain[b] : ws_.loss[a] > ws_.loss[b];
    };
    std::make_heap(h.begin(), h.end(), before);
    for (i64 k = 0; k < std::abs(d); ++k) {
      std::pop_heap(h.begin(), h.end(), before);
      const std::uint32_t j = h.back();
      h.pop_back();
      ws_.seats[j] += up ? 1 : -1;
      refresh(j);
      if (up ? can_gain(j) : can_lose(j)) {
        h.push_back(j);
        std::push_heap(h.begin(), h.end(), before);
      }
    }
    sum_ = p_.house;
  }

  // Exact priorities for the slow path.
  int compare_gain_loss(std::size_t g, std::size_t l) const {
    return compare_priority(ws_.weight[g], sp_.exact(ws_.seats[g]), ws_.weight[l],
                            sp_.exact(ws_.seats[l] - 1), sp_.squared());
  }
  int compare_gains(std::size_t a, std::size_t b) const {
    return compare_priority(ws_.weight[a], sp_.exact(ws_.seats[a]), ws_.weight[b],
                            sp_.exact(ws_.seats[b]), sp_.squared());
  }
  int compare_losses(std::size_t a, std::size_t b) const {
    return compare_priority(ws_.weight[a], sp_.exact(ws_.seats[a] - 1), ws_.weight[b],
                            sp_.exact(ws_.seats[b] - 1), sp_.squared());
  }
  std::ptrdiff_t exact_best_gainer() const {
    std::ptrdiff_t best = -1;
    for (std::size_t j = 0; j < n_; ++j)
      if (can_gain(j) && (best < 0 || compare_gains(j, std::size_t(best)) > 0))
        best = std::ptrdiff_t(j);
    return best;
  }
  std::ptrdiff_t exact_best_loser() const {
    std::ptrdiff_t best = -1;
    for (std::size_t j = 0; j < n_; ++j)
      if (can_lose(j) && (best < 0 || compare_losses(j, std::size_t(best)) < 0))
        best = std::ptrdiff_t(j);
    return best;
  }

  // The max-min certificate: every unit held must have a priority at least that of every unit
  // not held, max gain <= min loss. The divisor interval is [max gain, min loss].
  void certify(Outcome& out) {
    // Strongest claim G and weakest holding L in one branch-free pass (the sentinels of refresh()
    // keep immovable units out), then transfers while a claim clearly beats a holding.
    std::size_t g = 0, l = 0;
    for (std::size_t guard = 0; guard <= n_ + 64; ++guard) {
      double G = -1.0, L = std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < n_; ++j) {
        if (ws_.gain[j] > G) G = ws_.gain[j], g = j;
        if (ws_.loss[j] < L) L = ws_.loss[j], l = j;
      }
      out.divisor_low = std::max(G, 0.0);
      out.divisor_high = L;
      if (G < 0.0) return;  // every recipient at its maximum: nothing can move
      // Each double priority is within a few ulps of the true value: a relative margin of 1e-12
      // proves the certificate without exact arithmetic (also for L = +inf and finite G).
      if (G < L * (1.0 - 1e-12)) return;
      if (!(G > L * (1.0 + 1e-12))) break;  // too close to call, or infinite claims: exactly
      ++ws_.seats[g], --ws_.seats[l];
      refresh(g);
      refresh(l);
    }
    // Exact repair: move units from the weakest holder to the strongest claimant while the claim
    // is strictly stronger. Floating point left at most a few such near-misses.
    for (std::size_t guard = 0;; ++guard) {
      const auto eg = exact_best_gainer(), el = exact_best_loser();
      if (eg < 0 || el < 0) return;  // nothing can move on one side
      g = std::size_t(eg), l = std::size_t(el);
      if (compare_gain_loss(g, l) <= 0) break;
      if (guard > n_ + 64) throw std::logic_error("divisor repair did not converge");
      ++ws_.seats[g], --ws_.seats[l];
      refresh(std::size_t(g));
      refresh(std::size_t(l));
    }
    out.divisor_low = ws_.gain[g];
    out.divisor_high = ws_.loss[l];
    if (compare_gain_loss(std::size_t(g), std::size_t(l)) != 0) return;

    // A tie: the holders of the weakest held units and the claimants of equal priority compete.
    std::vector<std::uint32_t> holders, competitors;
    for (std::size_t j = 0; j < n_; ++j) {
      const bool holds = can_lose(j) && compare_losses(j, std::size_t(l)) == 0;
      const bool claims = can_gain(j) && compare_gains(j, std::size_t(g)) == 0;
      if (holds) holders.push_back(static_cast<std::uint32_t>(j));
      if (holds || claims) competitors.push_back(static_cast<std::uint32_t>(j));
    }
    const i64 units = static_cast<i64>(holders.size());
    Tie tie = make_tie(ws_, competitors, units);
    tie.divisor = ws_.gain[g];
    if (rule_.ties == TiePolicy::error) throw_tie(std::move(tie));
    for (auto j : holders) --ws_.seats[j];
    for (auto j : choose(rule_, ws_, competitors, units)) ++ws_.seats[j];
    out.divisor_high = out.divisor_low;
    out.tie = std::move(tie);
  }

  const Rule& rule_;
  const Signposts& sp_;
  const Prepared& p_;
  Workspace& ws_;
  std::size_t n_;
  std::size_t table_;
  i64 sum_ = 0;
};


// ---------------------------------------------------------------------------------------------
// Hamilton (largest remainder), with bounds: quotas are clamp(lambda w_i, min_i, max_i) with
// lambda chosen so that they sum to the house; recipients between their bounds round by largest
// remainder of their exact quota R w_i / W_free.

/// Finds the recipients held at a bound: seats[j] is set for them, free[j] marks the rest.
/// Returns the units R left for the free ones and their total weight W.
std::pair<i64, u64> hamilton_free_set(const Prepared& p, Workspace& ws) {
  const std::size_t n = p.n;
  // status in ws.order: 0 at minimum, 1 free, 2 at maximum.
  ws.order.assign(n, 0);
  i64 base = 0;
  u64 free_weight = 0;
  struct Event {
    i64 bound;  // lambda = bound / w
    u64 w;
    std::uint32_t j;
    bool leaves;  // free -> at maximum; otherwise at minimum -> free
  };
  std::vector<Event> events;
  events.reserve(2 * n);
  for (std::size_t j = 0; j < n; ++j) {
    if (ws.lo[j] > 0) {
      base += ws.lo[j];
      events.push_back({ws.lo[j], ws.weight[j], std::uint32_t(j), false});
    } else {
      ws.order[j] = 1;
      free_weight += ws.weight[j];
    }
    if (ws.hi[j] != kUnbounded) events.push_back({ws.hi[j], ws.weight[j], std::uint32_t(j), true});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return u128(a.bound) * b.w < u128(b.bound) * a.w;
  });
  const i64 R = p.house;
  for (const Event& e : events) {
    // f(lambda_e) = base + lambda_e * free_weight >= R ?
    if (u128(base) * e.w + u128(e.bound) * free_weight >= u128(R) * e.w) break;
    if (e.leaves) {
      ws.order[e.j] = 2, base += ws.hi[e.j], free_weight -= e.w;
    } else {
      ws.order[e.j] = 1, base -= ws.lo[e.j], free_weight += e.w;
    }
  }
  for (std::size_t j = 0; j < n; ++j)
    if (ws.order[j] != 1) ws.seats[j] = ws.order[j] == 0 ? ws.lo[j] : ws.hi[j];
  return {std::max<i64>(R - base, 0), free_weight};
}

/// Floors of R w / W into ws.seats with exact remainders into ws.rem, for the free recipients
/// (positions `free`, or all when empty); returns the sum of the floors. Wide is u64 when R W
/// fits, u128 otherwise. Each remainder also gets a bucket: its top 8 bits as a fraction of W.
template <typename Wide>
i64 exact_floors(i64 R, u64 W, Workspace& ws, std::span<const std::uint32_t> free, std::size_t m) {
  using Signed = std::conditional_t<std::is_same_v<Wide, u64>, i64, i128>;
  const double scale = static_cast<double>(R) / static_cast<double>(W);
  const double to_bucket = 256.0 / static_cast<double>(W);
  const Signed Ws = static_cast<Signed>(W);
  i64 sum = 0;
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t j = free.empty() ? k : free[k];
    const Wide prod = static_cast<Wide>(R) * ws.weight[j];
    i64 f = static_cast<i64>(ws.weight_d[j] * scale);  // within a few units of the floor
    Signed r = static_cast<Signed>(prod - static_cast<Wide>(f) * W);
    while (r < 0) --f, r += Ws;
    while (r >= Ws) ++f, r -= Ws;
    ws.seats[j] = f;
    ws.rem[k] = static_cast<u64>(r);
    // Monotone in r, so a higher bucket always means a larger remainder.
    ws.bucket[k] = static_cast<std::uint8_t>(std::min(255.0, static_cast<double>(r) * to_bucket));
    sum += f;
  }
  return sum;
}

/// The `left`-th largest of ws.rem[0, m): one counting pass over 256 buckets, then a selection
/// inside the one bucket that holds it (a handful of values), instead of a full nth_element.
u64 select_threshold(Workspace& ws, std::size_t m, i64 left) {
  ws.bucket_count.assign(256, 0);
  for (std::size_t k = 0; k < m; ++k) ++ws.bucket_count[ws.bucket[k]];
  int b = 255;
  i64 above = 0;
  for (; b > 0 && above + ws.bucket_count[b] < left; --b) above += ws.bucket_count[b];
  auto& in = ws.order;
  in.clear();
  for (std::size_t k = 0; k < m; ++k)
    if (ws.bucket[k] == b) in.push_back(static_cast<std::uint32_t>(k));
  const auto nth = in.begin() + (left - above - 1);
  std::nth_element(in.begin(), nth, in.end(),
                   [&](std::uint32_t x, std::uint32_t y) { return ws.rem[x] > ws.rem[y]; });
  return ws.rem[*nth];
}

/// The `left` units after the floors go to the largest remainders ws.rem[0, m) of the recipients
/// at positions `free` (all when empty); a tie is when more recipients sit exactly at the
/// threshold than units remain for them.
Outcome give_remainders(const Rule& rule, Workspace& ws, std::span<const std::uint32_t> free, std::size_t m, i64 left) {
  Outcome out;
  if (left == 0) return out;
  const u64 t = select_threshold(ws, m, left);
  i64 above = 0;
  auto& at = ws.at;
  at.clear();
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t j = free.empty() ? k : free[k];
    if (ws.rem[k] > t) ++ws.seats[j], ++above;
    else if (ws.rem[k] == t) at.push_back(static_cast<std::uint32_t>(j));
  }
  const i64 units = left - above;
  if (static_cast<i64>(at.size()) == units) {
    for (auto j : at) ++ws.seats[j];
    return out;
  }
  Tie tie = make_tie(ws, at, units);
  if (rule.ties == TiePolicy::error) throw_tie(std::move(tie));
  for (auto j : choose(rule, ws, at, units)) ++ws.seats[j];
  out.tie = std::move(tie);
  return out;
}

Outcome hamilton(const Rule& rule, const Prepared& p, Workspace& ws) {
  if (p.n == 0) return {};
  i64 R = p.house;
  u64 W = p.total_weight;
  std::vector<std::uint32_t> free;  // positions of the free recipients; empty: all are free
  if (p.bounded) {
    std::tie(R, W) = hamilton_free_set(p, ws);
    for (std::size_t j = 0; j < p.n; ++j)
      if (ws.order[j] == 1) free.push_back(std::uint32_t(j));
    if (free.empty()) return {};
  }
  const std::size_t m = p.bounded ? free.size() : p.n;
  ws.rem.resize(m);
  ws.bucket.resize(m);
  // The 64-bit path is exact while R W <= 2^61: then every remainder correction stays in range.
  const bool narrow = u128(R) * W <= (u128(1) << 61);
  const i64 sum = narrow ? exact_floors<u64>(R, W, ws, free, m) : exact_floors<u128>(R, W, ws, free, m);
  return give_remainders(rule, ws, free, m, R - sum);  // 0 <= R - sum < m
}

/// Vinton's method (the US House, 1850-1900): the lower quotas of the whole house, R w / W; a
/// recipient whose lower quota lies below its minimum is raised to it, one above its maximum cut
/// to it, and neither takes part in the remainders; the units left go to the others by largest
/// remainder. The quotas are never re-divided among the recipients free of their bounds (as
/// hamilton's are), so a minimum moves no one else's quota: the census apportionments of 1880
/// and 1900 were computed so (the Alabama paradox of 1880).
Outcome vinton(const Rule& rule, const Prepared& p, Workspace& ws) {
  if (!p.bounded) return hamilton(rule, p, ws);
  if (p.n == 0) return {};
  const i64 R = p.house;
  const u64 W = p.total_weight;
  ws.rem.resize(p.n);
  ws.bucket.resize(p.n);
  const bool narrow = u128(R) * W <= (u128(1) << 61);
  if (narrow) exact_floors<u64>(R, W, ws, {}, p.n); else exact_floors<u128>(R, W, ws, {}, p.n);
  std::vector<std::uint32_t> free;
  i64 given = 0;
  for (std::size_t j = 0; j < p.n; ++j) {
    if (ws.seats[j] < ws.lo[j]) ws.seats[j] = ws.lo[j];
    else if (ws.seats[j] >= ws.hi[j]) ws.seats[j] = ws.hi[j];  // at its maximum: no remainder unit
    else {
      ws.rem[free.size()] = ws.rem[j], ws.bucket[free.size()] = ws.bucket[j];  // compacted in place: free.size() <= j
      free.push_back(static_cast<std::uint32_t>(j));
    }
    given += ws.seats[j];
  }
  const i64 left = R - given;
  if (left < 0)
    throw InputError("vinton: the minimums raise the lower quotas to " + std::to_string(given) + " units, more than the " +
                     std::to_string(R) + " to apportion (hamilton re-divides the house instead)");
  if (left > static_cast<i64>(free.size()))
    throw InputError("vinton: " + std::to_string(left) + " units are left after the lower quotas and the bounds, but only " +
                     std::to_string(free.size()) + " recipients can take one more (hamilton re-divides the house instead)");
  if (free.empty()) return {};
  return give_remainders(rule, ws, free, free.size(), left);
}

template <Method M>
Outcome run_divisor(const Rule& rule, const Signposts& sp, const Prepared& p, Workspace& ws) {
  fill_signpost_table<M>(sp, p.house, ws);
  return p.bounded ? DivisorKernel<M, true>(rule, sp, p, ws).run()
                   : DivisorKernel<M, false>(rule, sp, p, ws).run();
}


}  // namespace

// ---------------------------------------------------------------------------------------------

Signposts make_signposts(const Rule& rule) {
  Signposts sp{rule.method};
  if (!rule.first_signpost) return sp;
  Ratio f = *rule.first_signpost;
  if (f.num == 0 || f.den == 0) throw InputError("the first signpost must be positive");
  if (f.num > 10'000'000 || f.den > 1'000'000)
    throw InputError("the first signpost needs at most 6 decimals and must be below 10");
  const Ratio s1 = Signposts{rule.method}.exact(1);
  if (rule.method == Method::huntington_hill) f = {f.num * f.num, f.den * f.den};
  // f < s(1), exactly: f.num * s1.den < s1.num * f.den
  if (u128{f.num} * s1.den >= u128{s1.num} * f.den)
    throw InputError("the first signpost must be below the second one, s(1)");
  sp.modified = true;
  sp.first = f;
  sp.first_d = rule.method == Method::huntington_hill
                   ? std::sqrt(static_cast<double>(f.num) / static_cast<double>(f.den))
                   : static_cast<double>(f.num) / static_cast<double>(f.den);
  return sp;
}

namespace detail {

Outcome apportion_general(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                          std::span<std::int64_t> seats, Workspace& ws, Bounds bounds) {
  const bool divisor = is_divisor_method(rule.method);
  if (!divisor && rule.first_signpost)
    throw InputError("a first signpost applies to divisor methods only");
  const Signposts sp = divisor ? make_signposts(rule) : Signposts{rule.method};
  const Prepared p =
      prepare(weights, house, seats, ws, bounds, divisor ? kMaxDivisorHouse : kMaxHamiltonHouse);
  Outcome out;
  switch (rule.method) {
    case Method::hamilton: out = hamilton(rule, p, ws); break;
    case Method::vinton: out = vinton(rule, p, ws); break;
    case Method::dhondt: out = run_divisor<Method::dhondt>(rule, sp, p, ws); break;
    case Method::sainte_lague: out = run_divisor<Method::sainte_lague>(rule, sp, p, ws); break;
    case Method::huntington_hill: out = run_divisor<Method::huntington_hill>(rule, sp, p, ws); break;
    case Method::adams: out = run_divisor<Method::adams>(rule, sp, p, ws); break;
    case Method::dean: out = run_divisor<Method::dean>(rule, sp, p, ws); break;
  }
  scatter(p, ws, seats);
  return out;
}

}  // namespace detail

Outcome apportion(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                  std::span<std::int64_t> seats, Workspace& ws, Bounds bounds) {
  Outcome out;
  if (detail::apportion_fast(rule, weights, house, seats, ws, bounds, out)) return out;
  return detail::apportion_general(rule, weights, house, seats, ws, bounds);
}

std::vector<std::int64_t> apportion(const Rule& rule, std::span<const std::uint64_t> weights,
                                    std::int64_t house, Bounds bounds) {
  std::vector<std::int64_t> seats(weights.size());
  Workspace ws;
  apportion(rule, weights, house, seats, ws, bounds);
  return seats;
}

Outcome split_cents(std::int64_t cents, std::span<const std::uint64_t> weights,
                    std::span<std::int64_t> parts, Workspace& ws) {
  const Rule rule{Method::hamilton, std::nullopt, TiePolicy::order, 0};
  return apportion(rule, weights, cents, parts, ws);
}

// ---------------------------------------------------------------------------------------------
// Names.

namespace {
struct Alias {
  std::string_view name;
  Method method;
};
constexpr Alias kAliases[] = {
    {"hamilton", Method::hamilton},
    {"dhondt", Method::dhondt},
    {"sainte-lague", Method::sainte_lague},
    {"huntington-hill", Method::huntington_hill},
    {"adams", Method::adams},
    {"dean", Method::dean},
    {"vinton", Method::vinton},
    {"largest-remainder", Method::hamilton},
    {"hare-niemeyer", Method::hamilton},
    {"jefferson", Method::dhondt},
    {"webster", Method::sainte_lague},
    {"hill", Method::huntington_hill},
    {"equal-proportions", Method::huntington_hill},
};
}  // namespace

std::string_view method_name(Method m) {
  for (const auto& a : kAliases)
    if (a.method == m) return a.name;
  return "?";
}

std::optional<Method> parse_method(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& a : kAliases)
    if (a.name == n) return a.method;
  return std::nullopt;
}

std::vector<std::string_view> method_names() {
  std::vector<std::string_view> v;
  for (const auto& a : kAliases) v.push_back(a.name);
  return v;
}

std::string_view tie_policy_name(TiePolicy p) {
  switch (p) {
    case TiePolicy::error: return "error";
    case TiePolicy::order: return "order";
    case TiePolicy::lot: return "lot";
  }
  return "?";
}

std::optional<TiePolicy> parse_tie_policy(std::string_view name) {
  for (auto p : {TiePolicy::error, TiePolicy::order, TiePolicy::lot})
    if (tie_policy_name(p) == name) return p;
  return std::nullopt;
}

std::optional<Ratio> parse_decimal_ratio(std::string_view text) {
  u64 num = 0, den = 1;
  bool digits = false, point = false;
  for (char c : text) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      if (num > 100'000'000'000ULL) return std::nullopt;
      num = num * 10 + u64(c - '0');
      digits = true;
      if (point) {
        den *= 10;
        if (den > 1'000'000) return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  const u64 g = std::gcd(num, den);
  return Ratio{num / (g ? g : 1), den / (g ? g : 1)};
}

}  // namespace kimsim
