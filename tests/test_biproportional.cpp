// Biproportional apportionment: the published Swiss results reproduced cell by cell, and the
// invariants (row and column sums, valid divisor apportionment in every column) on random
// matrices.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <sstream>

#include "io/csv.hpp"
#include "kimsim/biproportional.hpp"
#include "published.hpp"

using namespace kimsim;

namespace {

std::map<std::string, std::int64_t> parse_list(const std::string& text) {  // "a=1;b=2"
  std::map<std::string, std::int64_t> m;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ';');) {
    const auto eq = item.rfind('=');
    m[item.substr(0, eq)] = std::stoll(item.substr(eq + 1));
  }
  return m;
}

}  // namespace

TEST_CASE("published biproportional apportionments (Zurich, Uri) are reproduced exactly") {
  int files = 0;
  for (const auto& path : test::published_files()) {
    const auto t = io::read_csv(path);
    if (!t.column("row")) continue;
    INFO(path);
    const auto meta = test::read_meta(path);
    const auto col_seats = parse_list(meta.at("col_seats"));
    const auto row_seats = parse_list(meta.at("row_seats"));
    std::vector<std::string> rows, cols;
    auto index = [](std::vector<std::string>& v, const std::string& s) {
      auto it = std::find(v.begin(), v.end(), s);
      if (it != v.end()) return std::size_t(it - v.begin());
      v.push_back(s);
      return v.size() - 1;
    };
    for (const auto& r : t.rows) index(rows, t.cell(r, 0)), index(cols, t.cell(r, 1));
    BiproportionalProblem p;
    p.rows = rows.size();
    p.cols = cols.size();
    p.weight.assign(p.rows * p.cols, 0);
    std::vector<std::int64_t> expected(p.rows * p.cols, 0);
    for (const auto& r : t.rows) {
      const auto i = index(rows, t.cell(r, 0)), j = index(cols, t.cell(r, 1));
      p.weight[i * p.cols + j] = std::uint64_t(*io::parse_count(t.cell(r, 2)));
      expected[i * p.cols + j] = *io::parse_count(t.cell(r, 3));
    }
    for (const auto& c : cols) p.col_seats.push_back(col_seats.at(c));
    p.per_seat_row_sums = true;
    const Rule rule{Method::sainte_lague, std::nullopt, TiePolicy::error, 0};
    const auto out = apportion_biproportional(rule, p);
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(out.row_seats[i] == row_seats.at(rows[i]));
    CHECK(out.seats == expected);
    // Given the published row totals directly, the lower apportionment is the same.
    p.row_seats = out.row_seats;
    CHECK(apportion_biproportional(rule, p).seats == expected);
    ++files;
  }
  CHECK(files == 4);
}

TEST_CASE("biproportional invariants on random matrices") {
  std::mt19937_64 rng(11);
  int solved = 0, ties = 0;
  for (int it = 0; it < 400; ++it) {
    BiproportionalProblem p;
    p.rows = 2 + rng() % 6;
    p.cols = 2 + rng() % 6;
    for (std::size_t k = 0; k < p.rows * p.cols; ++k)
      p.weight.push_back(rng() % 6 == 0 ? 0 : 1 + rng() % (it % 2 ? 50 : 100000));
    for (std::size_t j = 0; j < p.cols; ++j) p.col_seats.push_back(1 + std::int64_t(rng() % 12));
    const Method m = it % 3 == 0 ? Method::dhondt : Method::sainte_lague;
    const Rule rule{m, std::nullopt, TiePolicy::order, 0};
    BiproportionalResult out;
    try {
      out = apportion_biproportional(rule, p);
    } catch (const InputError&) {
      continue;  // e.g. a row with seats but no weight in any column that could give
    }
    ++solved;
    ties += out.tie.has_value();
    for (std::size_t j = 0; j < p.cols; ++j) {
      std::int64_t s = 0;
      for (std::size_t i = 0; i < p.rows; ++i) s += out.seats[i * p.cols + j];
      CHECK(s == p.col_seats[j]);
    }
    for (std::size_t i = 0; i < p.rows; ++i) {
      std::int64_t s = 0;
      for (std::size_t j = 0; j < p.cols; ++j) {
        s += out.seats[i * p.cols + j];
        if (p.weight[i * p.cols + j] == 0) CHECK(out.seats[i * p.cols + j] == 0);
      }
      CHECK(s == out.row_seats[i]);
    }
    // Rounding: every cell is w / (x_i y_j) rounded by the method's signposts.
    for (std::size_t i = 0; i < p.rows; ++i)
      for (std::size_t j = 0; j < p.cols; ++j) {
        const double w = double(p.weight[i * p.cols + j]);
        if (w == 0) continue;
        const double q = w / (out.row_multiplier[i] * out.col_divisor[j]);
        const auto a = out.seats[i * p.cols + j];
        const double off = m == Method::dhondt ? 1.0 : 0.5;
        CHECK(q <= (a + off) * (1 + 1e-9));
        if (a > 0) CHECK(q >= (a - 1 + off) * (1 - 1e-9));
      }
  }
  CHECK(solved > 300);
  MESSAGE(solved << " random matrices solved, " << ties << " with a reported tie");
}

TEST_CASE("a biproportional tie is reported") {
  // Two equal rows and two equal columns, one seat each: (1,0;0,1) and (0,1;1,0) are both valid.
  BiproportionalProblem p;
  p.rows = p.cols = 2;
  p.weight = {10, 10, 10, 10};
  p.col_seats = {1, 1};
  p.row_seats = {1, 1};
  CHECK_THROWS_AS(apportion_biproportional(Rule{Method::sainte_lague}, p), TieError);
  const auto out = apportion_biproportional(Rule{Method::sainte_lague, std::nullopt, TiePolicy::order, 0}, p);
  CHECK(out.tie.has_value());
  CHECK(out.seats[0] + out.seats[1] == 1);
}
