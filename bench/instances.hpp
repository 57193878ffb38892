// The benchmark instances: n = 450 recipients (the KIM scale: 396 Gemeinden + 53 Kreise and
// kreisfreie Städte + Aachen), about 70 % active, log-normal weights, tie-free, h = 820.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kimsim/apportion.hpp"

namespace kimsim::bench {

inline constexpr std::size_t kRecipients = 450;
inline constexpr std::int64_t kHouse = 820;
inline constexpr std::size_t kInstances = 64;

inline std::vector<std::vector<std::uint64_t>> make_instances(std::uint64_t seed = 2021) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> weight(std::log(30000.0), 1.0);  // population-like
  std::bernoulli_distribution active(0.7);
  std::vector<std::vector<std::uint64_t>> out;
  const Method methods[] = {Method::hamilton, Method::dhondt, Method::sainte_lague,
                            Method::huntington_hill, Method::adams, Method::dean};
  while (out.size() < kInstances) {
    std::vector<std::uint64_t> w(kRecipients);
    for (auto& v : w) v = active(rng) ? 1 + static_cast<std::uint64_t>(weight(rng)) : 0;
    bool tie_free = true;
    for (Method m : methods) {
      try {
        apportion(Rule{m, std::nullopt, TiePolicy::error, 0}, w, kHouse);
      } catch (const TieError&) {
        tie_free = false;
      }
    }
    if (tie_free) out.push_back(std::move(w));
  }
  return out;
}

}  // namespace kimsim::bench
