// The accumulators that are more than a sum: counts of values, histograms.
#include "sim/accumulators.hpp"
#include "sim/elementary.hpp"
#include "kimsim/error.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace kimsim {

namespace {
/// Log bins of 0.01 % relative width; -1 for zero and below. The logarithm kimsim's own: a value
/// at a bin's edge falls in the same bin on every machine (libm's may differ by an ulp).
std::int32_t value_bin(std::int64_t v) {
  return v <= 0 ? -1
                : static_cast<std::int32_t>(std::floor(elementary::log(static_cast<double>(v)) / std::log1p(1e-4)));
}
}  // namespace

void Histogram::merge(const Histogram& o) {
  if (o.counts.size() > counts.size()) counts.resize(o.counts.size(), 0);
  for (std::size_t k = 0; k < o.counts.size(); ++k) counts[k] += o.counts[k];
}

Moments Histogram::moments() const {
  Moments m;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const auto v = static_cast<__int128>(k), c = static_cast<__int128>(counts[k]);
    m.sum += v * c, m.sq += v * v * c;
  }
  return m;
}

void SpendBins::add_outside(std::int64_t bin, std::uint64_t n) {
  if (dense_.empty()) {
    // The first bin: an array around it, grown as later bins need.
    constexpr std::int64_t kStart = 64;
    first_ = bin - kStart / 2;
    dense_.assign(kStart, 0);
    dense_[static_cast<std::size_t>(bin - first_)] += n;
    return;
  }
  const std::int64_t last = first_ + static_cast<std::int64_t>(dense_.size()) - 1;
  const std::int64_t lo = std::min(first_, bin), hi = std::max(last, bin);
  const auto need = static_cast<std::uint64_t>(hi - lo) + 1;
  if (need > kDense) {
    sparse_[bin] += n;
    return;
  }
  // At least doubled, so that a spread of new bins costs few copies; grown on the side of `bin`.
  const std::size_t size = std::min<std::size_t>(kDense, std::max<std::size_t>(need, 2 * dense_.size()));
  const std::int64_t first = bin < first_ ? hi + 1 - static_cast<std::int64_t>(size) : first_;
  std::vector<std::uint64_t> grown(size, 0);
  std::copy(dense_.begin(), dense_.end(), grown.begin() + (first_ - first));
  dense_ = std::move(grown);
  first_ = first;
  dense_[static_cast<std::size_t>(bin - first_)] += n;
  // No bin of the map comes within the array: with the array it spanned more than kDense bins
  // when it went there, and the array only grows, to at most kDense.
}

void SpendBins::merge(const SpendBins& o) {
  for (std::size_t k = 0; k < o.dense_.size(); ++k)
    if (o.dense_[k] != 0) add_bin(o.first_ + static_cast<std::int64_t>(k), o.dense_[k]);
  for (const auto& [bin, n] : o.sparse_) add_bin(bin, n);
}

std::vector<std::pair<std::int64_t, std::uint64_t>> SpendBins::entries() const {
  std::vector<std::pair<std::int64_t, std::uint64_t>> e;
  // The map's bins lie below the array's first or above its last.
  auto it = sparse_.begin();
  for (; it != sparse_.end() && it->first < first_; ++it) e.push_back(*it);
  for (std::size_t k = 0; k < dense_.size(); ++k)
    if (dense_[k] != 0) e.emplace_back(first_ + static_cast<std::int64_t>(k), dense_[k]);
  for (; it != sparse_.end(); ++it) e.push_back(*it);
  return e;
}

namespace {
/// Adds a key's pending count to its value's entry and clears it. Every key's value is an entry
/// while exact: add_other(v, key) counted it first, and entries leave only by to_bins, which
/// empties the keys; an entry missing is an error here, not a write through end().
template <typename Counts, typename Key>
void settle_key(Counts& counts, Key& k) {
  if (k.pending == 0) return;
  const auto it = std::lower_bound(counts.begin(), counts.end(), std::make_pair(k.value, std::uint64_t{0}));
  if (it == counts.end() || it->first != k.value) throw Error("value counts: a key's value has no entry");
  it->second += k.pending;
  k.pending = 0;
}
}  // namespace

void ValueCounts::settle_keyed() const {
  for (auto& k : keyed_) settle_key(counts_, k);
}

void ValueCounts::add_other(std::int64_t v, std::int64_t key) {
  add_other(v);
  const auto at = static_cast<std::uint64_t>(key);
  if (binned_ || at >= kKeys) return;
  if (at >= keyed_.size()) {
    // The keys between take v too: any value of counts_ will do for a key not seen yet.
    keyed_.resize(at + 1, Keyed{v, 0});
    return;
  }
  settle_key(counts_, keyed_[at]);
  keyed_[at] = {v, 0};
}

void ValueCounts::add_other(std::int64_t v) {
  settle_last();  // last_ moves below
  if (!binned_) {
    // Most values that are not the last one are one of its neighbours (positions at a flat rate
    // moving by one step): checked before the search. Which one it is, is a coin flip per call,
    // so both are compared and the place is computed, without a branch between them: above is
    // below + 2 (modulo 2^32), a neighbour beyond the ends compares the first entry and its
    // bounds test (`above < size`, `below < size`) drops it. (With last_ at kNoLast, before the
    // first value or after a merge or a resume, above is 0: the first entry is compared.)
    const std::size_t size = counts_.size();
    if (size > 0) [[likely]] {
      const std::uint32_t above = last_ + 1, below = last_ - 1;
      const bool up = (above < size) & (counts_[above < size ? above : 0].first == v);
      const bool down = (below < size) & (counts_[below < size ? below : 0].first == v);
      // One test of both: as `up | down`, GCC tests each with a branch of its own again.
      std::uint32_t found = up | down;
      asm("" : "+r"(found));
      if (found) {
        const std::uint32_t at = below + 2 * static_cast<std::uint32_t>(up);
        ++counts_[at].second;
        last_ = at, last_value_ = v;
        return;
      }
    }
    const auto it = std::lower_bound(counts_.begin(), counts_.end(), std::make_pair(v, std::uint64_t{0}));
    if (it != counts_.end() && it->first == v) {
      ++it->second;
      last_ = static_cast<std::uint32_t>(it - counts_.begin()), last_value_ = v;
      return;
    }
    if (counts_.size() < kExact) {
      // Its place before the insertion: in `insert(...) - begin()` the begin may be read first,
      // from the storage the insertion frees.
      last_ = static_cast<std::uint32_t>(it - counts_.begin()), last_value_ = v;
      counts_.insert(it, {v, 1});
      return;
    }
    to_bins();
  }
  // Binned: entries hold the smallest value of their bin; bins are ordered as their values.
  const std::int32_t bin = value_bin(v);
  auto it = std::upper_bound(counts_.begin(), counts_.end(), std::make_pair(v, ~std::uint64_t{0}));
  if (it != counts_.begin() && value_bin(std::prev(it)->first) == bin) {
    ++std::prev(it)->second;
  } else if (it != counts_.end() && value_bin(it->first) == bin) {
    it->first = v;  // a new smallest value of the bin
    ++it->second;
  } else {
    counts_.insert(it, {v, 1});
  }
}

void ValueCounts::to_bins() {
  settle();
  std::vector<std::pair<std::int64_t, std::uint64_t>> bins;
  for (const auto& [v, n] : counts_) {
    if (!bins.empty() && value_bin(bins.back().first) == value_bin(v))
      bins.back().second += n;
    else
      bins.emplace_back(v, n);
  }
  counts_ = std::move(bins);
  binned_ = true;
  last_ = kNoLast;
  keyed_.clear();
}

void ValueCounts::merge(const ValueCounts& o) {
  settle(), o.settle();
  std::vector<std::pair<std::int64_t, std::uint64_t>> merged;
  merged.reserve(counts_.size() + o.counts_.size());
  std::merge(counts_.begin(), counts_.end(), o.counts_.begin(), o.counts_.end(), std::back_inserter(merged));
  counts_.clear();
  for (const auto& [v, n] : merged) {
    if (!counts_.empty() && counts_.back().first == v)
      counts_.back().second += n;
    else
      counts_.emplace_back(v, n);
  }
  // Binned if either side is, or if together they exceed the exact limit: in both cases the
  // values seen exceed it, whichever thread saw them.
  if (binned_ || o.binned_ || counts_.size() > kExact) to_bins();
  last_ = kNoLast;
}

std::int64_t ValueCounts::nth(std::uint64_t k) const {
  settle();
  std::uint64_t cum = 0;
  for (const auto& [v, n] : counts_)
    if ((cum += n) >= k) return v;
  return 0;
}

std::int64_t SignedCounts::nth(std::uint64_t k) const {
  std::uint64_t negative = 0;
  for (const auto& [v, n] : below_.entries()) negative += n;
  // The k-th smallest of the negatives is the (negative - k + 1)-th largest magnitude.
  if (k <= negative) return -below_.nth(negative - k + 1);
  return rest_.nth(k - negative);
}

SignedCounts SignedCounts::from_parts(ValueCounts below, ValueCounts rest) {
  SignedCounts c;
  c.below_ = std::move(below), c.rest_ = std::move(rest);
  return c;
}

ValueCounts ValueCounts::from_entries(std::vector<std::pair<std::int64_t, std::uint64_t>> entries, bool exact) {
  ValueCounts c;
  c.counts_ = std::move(entries);
  c.binned_ = !exact;
  return c;
}

double accumulator_bytes(double slots) {
  // Per slot: its statistics, its key, and at least one entry in each of its three vectors (the
  // two histograms and the amounts' keys; a vector's block: 64 bytes with the allocator's
  // overhead).
  constexpr double per_slot = sizeof(SlotStats) + sizeof(SlotKey) + 3 * 64;
  return slots * per_slot;
}

double replication_seconds(double replications, double slots) {
  constexpr double kim_seconds = 20e-6, kim_slots = 1 * 3 * 449;  // results/bench/scaling-*.md
  return replications * slots * (kim_seconds / kim_slots);
}

}  // namespace kimsim
