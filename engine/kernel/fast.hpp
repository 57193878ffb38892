// The two paths of the apportionment kernel, apart, for the differential test: apportion() is
// the fast path where it can prove its result, the general kernel otherwise.
#pragma once

#include <utility>

#include "kimsim/apportion.hpp"

namespace kimsim::detail {

/// The fast path: true with `seats` and `out` set where it proved the result; false (seats
/// meaningless) where it leaves the instance to the general kernel. Never throws.
bool apportion_fast(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                    std::span<std::int64_t> seats, Workspace& ws, Bounds bounds, Outcome& out);

/// The instruction sets the fast path (divisor methods and Hamilton) is compiled for, widest
/// first ("avx512", "avx2" on x86-64 with GCC, then "base", the build's own, which runs
/// everywhere): every one
/// gives the same seats and the same divisor interval bits. apportion_fast takes the first this
/// CPU supports (first_supported, cpu_path.hpp), once; the tests run each. No function member:
/// each method and bounds' shape has its own copy per instruction set (apportion_fast_on).
struct FastPath {
  const char* name;
  bool supported;  ///< by this CPU
};
std::span<const FastPath> fast_paths();

/// apportion_fast on path `path` of fast_paths(), which this CPU must support.
bool apportion_fast_on(std::size_t path, const Rule& rule, std::span<const std::uint64_t> weights,
                       std::int64_t house, std::span<std::int64_t> seats, Workspace& ws, Bounds bounds,
                       Outcome& out);

/// Huntington-Hill's or Dean's unit count for quotient q = 0 or 2^-500 <= q < 2^16 as the fast
/// path's AVX-512 path proposes it, on products instead of the signpost table: where `near` comes
/// back false, the same as q rounded by the table's double signposts. For the tests.
std::int64_t signpost_free_round(Method method, double q, bool& near);

/// Whether bounded Hamilton where every recipient has the minimum `lo` and the maximum `hi`
/// (kUnbounded: none) proves whom the bounds hold on Newton's passes over the weights' two
/// thresholds, the way apportion_fast tries first for that shape (Newton's passes on each
/// recipient's bounds otherwise): the fixed point and every recipient clear of its margin. For
/// the tests, which must know that this way ran.
bool hamilton_common_bounds_prove(std::span<const std::uint64_t> weights, std::int64_t house, std::int64_t lo,
                                  std::int64_t hi);

/// Hamilton's doubles pass's threshold bucket for the pass's bucket bytes (each recipient's
/// quota's fraction in 256ths; at most 2047 of them, as the fast path takes: the scans count in
/// byte lanes), `above` = the recipients in buckets 128 .. 255 and `left` = the units the
/// rounding to the nearest integer leaves: the least t >= 0 whose buckets above it hold fewer
/// than `left` (bucket 0 never counted: t stops there), with that count; t = 256 where `above`
/// is still `left` or more at t = 255 (no unit left: left <= 0 for the true `above`). The search
/// by strides and the histogram of a far threshold must find what a walk a bucket at a time from
/// the guess finds. For the tests (the build's own copy; the instruction sets' copies of the
/// pass inline the same code): `wide_scans` counts 32 bytes a step, as the AVX2 and AVX-512
/// copies do, 16 (the base copy's) otherwise.
std::pair<int, std::int64_t> hamilton_threshold_bucket(std::span<const std::uint8_t> buckets, std::int64_t above,
                                                       std::int64_t left, bool wide_scans = false);

/// Which copy of the divisor methods' fast path takes bounds of this shape: none without bounds,
/// `common` where every recipient has the same minimum and the same maximum (read once, folded
/// into the priority tables), `per_recipient` otherwise. apportion_fast_on dispatches by it; for
/// the tests, which must know that the common copy ran.
enum class BoundsCopy { none, per_recipient, common };
BoundsCopy divisor_bounds_copy(Bounds bounds);

/// The general kernel: every method, bound, tie policy and error.
Outcome apportion_general(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                          std::span<std::int64_t> seats, Workspace& ws, Bounds bounds = {});

}  // namespace kimsim::detail
