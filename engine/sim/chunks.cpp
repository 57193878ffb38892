#include "sim/chunks.hpp"

#include <algorithm>
#include <cmath>

namespace kimsim {

ChunkPlan ChunkPlan::for_units(std::uint64_t units, double unit_seconds) {
  std::uint64_t size = std::clamp<std::uint64_t>(units / 256 + (units % 256 != 0), 16, 1024);
  // A unit of more than a few milliseconds (a large scenario over many years) makes smaller chunks.
  if (unit_seconds > 0 && std::isfinite(unit_seconds))
    size = std::min<std::uint64_t>(size, std::max<std::uint64_t>(1, static_cast<std::uint64_t>(2.0 / unit_seconds)));
  return {units, size};
}

void ChunkSet::add_range(std::uint64_t first, std::uint64_t last) {
  if (first >= last) return;
  // Join every range that overlaps or touches [first, last).
  auto lo = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                             [](const auto& r, std::uint64_t v) { return r.second < v; });
  auto hi = lo;
  while (hi != ranges_.end() && hi->first <= last) {
    first = std::min(first, hi->first), last = std::max(last, hi->second);
    ++hi;
  }
  lo = ranges_.erase(lo, hi);
  ranges_.insert(lo, {first, last});
}

bool ChunkSet::contains(std::uint64_t chunk) const {
  const auto it = std::upper_bound(ranges_.begin(), ranges_.end(), chunk,
                                   [](std::uint64_t v, const auto& r) { return v < r.second; });
  return it != ranges_.end() && it->first <= chunk;
}

std::uint64_t ChunkSet::size() const {
  std::uint64_t n = 0;
  for (const auto& [a, b] : ranges_) n += b - a;
  return n;
}

std::vector<std::uint64_t> ChunkSet::missing(std::uint64_t count) const {
  std::vector<std::uint64_t> out;
  std::uint64_t at = 0;
  for (const auto& [a, b] : ranges_) {
    for (; at < std::min(a, count); ++at) out.push_back(at);
    at = std::max(at, b);
  }
  for (; at < count; ++at) out.push_back(at);
  return out;
}

}  // namespace kimsim
