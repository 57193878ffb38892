// Published real-world apportionments (tests/data/published/, sources in each file and its
// README), reproduced exactly.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "io/csv.hpp"
#include "kimsim/apportion.hpp"
#include "published.hpp"

using namespace kimsim;

TEST_CASE("published one-dimensional apportionments are reproduced exactly") {
  int files = 0;
  for (const auto& path : test::published_files()) {
    const auto meta = test::read_meta(path);
    const auto t = io::read_csv(path);
    if (!t.column("name")) continue;  // biproportional files are checked in test_biproportional
    INFO(path);
    const auto method = parse_method(meta.at("method"));
    REQUIRE(method);
    std::vector<std::uint64_t> w;
    std::vector<std::int64_t> expected;
    for (const auto& row : t.rows) {
      w.push_back(*io::parse_count(t.cell(row, t.require("weight"))));
      expected.push_back(*io::parse_count(t.cell(row, t.require("seats"))));
    }
    const auto seats = apportion(Rule{*method, std::nullopt, TiePolicy::error, 0}, w,
                                 std::stoll(meta.at("seats")));
    CHECK(seats == expected);
    ++files;
  }
  CHECK(files == 8);
}
