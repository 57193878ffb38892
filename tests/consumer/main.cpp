// Uses the installed kernel: the Bundestag 2021 Sainte-Laguë example of the README would do, but
// three parties make the point: 10 seats for 5:3:2 votes are 5, 3 and 2.
#include <kimsim/apportion.hpp>
#include <kimsim/version.hpp>

#include <cstdio>
#include <vector>

int main() {
  const std::vector<std::uint64_t> votes = {5000, 3000, 2000};
  const auto seats = kimsim::apportion(kimsim::Rule{}, votes, 10);
  std::printf("kimsim %s: %lld %lld %lld\n", kimsim::kVersion, static_cast<long long>(seats[0]),
              static_cast<long long>(seats[1]), static_cast<long long>(seats[2]));
  return seats == std::vector<std::int64_t>{5, 3, 2} ? 0 : 1;
}
