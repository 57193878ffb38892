// The two paths of the apportionment kernel, apart, for the differential test: apportion() is
// the fast path where it can prove its result, the general kernel otherwise.
#pragma once

#include "kimsim/apportion.hpp"

namespace kimsim::detail {

/// The fast path: true with `seats` and `out` set where it proved the result; false (seats
/// meaningless) where it leaves the instance to the general kernel. Never throws.
bool apportion_fast(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                    std::span<std::int64_t> seats, Workspace& ws, Bounds bounds, Outcome& out);

/// The general kernel: every method, bound, tie policy and error.
Outcome apportion_general(const Rule& rule, std::span<const std::uint64_t> weights, std::int64_t house,
                          std::span<std::int64_t> seats, Workspace& ws, Bounds bounds = {});

}  // namespace kimsim::detail
