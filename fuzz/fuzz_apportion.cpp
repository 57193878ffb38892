// libFuzzer harness of `kimsim apportion --biproportional` on arbitrary CSV bytes. The first byte
// picks the options (bit 0: dhondt or sainte-lague; bits 1-2: ties error, order or lot; bits 3-7:
// the seed), the rest is the file. Each input runs twice:
//   1. the command itself, apportion_command(), on the bytes written to a private file, with
//      --seats set to the sum of the col_seats the file gives (so that inputs get past that check);
//   2. the library call the command makes, apportion_biproportional(), on the matrix read from the
//      same parsed CSV.
// An InputError (LocatedError), UsageError or TieError is a correct answer; any other exception, a
// crash, a leak or undefined behaviour is a bug. A result must keep what the kernel promises: every
// column and row sum as required, no unit in a cell without weight, the certificate (the matrix
// admits row multipliers and column divisors, checked by the exact reference of
// tests/bip_reference.hpp), a tie reported exactly when the result is not unique; and the command
// must print the library's result (and fail exactly when the library does).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bip_reference.hpp"
#include "cli/commands.hpp"
#include "io/csv.hpp"
#include "kimsim/biproportional.hpp"
#include "kimsim/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace kimsim;

fs::path g_dir;  // this process' folder (parallel fuzzers each have one)

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_apportion: invariant broken: %s\n", what);
  std::abort();
}

void remove_folder() {
  std::error_code ec;
  fs::remove_all(g_dir, ec);
}

/// The matrix the command reads from the table, as the command reads it; nothing where the
/// command must refuse the file.
struct Matrix {
  BiproportionalProblem p;
  std::vector<std::string> rows, cols;
  std::vector<std::pair<std::size_t, std::size_t>> cells;  // in input order
  std::int64_t house = 0;
};

std::optional<Matrix> read_matrix(const io::CsvTable& t) {
  const auto c_row = t.column("row"), c_col = t.column("col"), c_w = t.column("weight"),
             c_s = t.column("col_seats");
  if (!c_row || !c_col || !c_w || !c_s || t.header.cells.size() != 4 || t.rows.empty()) return std::nullopt;
  Matrix m;
  std::map<std::string, std::size_t> ri, ci;
  std::vector<std::int64_t> seats;
  std::vector<io::Decimal> weights;
  std::map<std::pair<std::size_t, std::size_t>, bool> seen;
  int decimals = 0;
  for (const auto& row : t.rows) {
    const std::string &r = t.cell(row, *c_row), &c = t.cell(row, *c_col);
    const auto w = io::parse_decimal(t.cell(row, *c_w));
    const auto s = io::parse_count(t.cell(row, *c_s));
    if (r.empty() || c.empty() || !w || !s) return std::nullopt;
    const auto [i, rnew] = ri.emplace(r, m.rows.size());
    if (rnew) m.rows.push_back(r);
    const auto [j, cnew] = ci.emplace(c, m.cols.size());
    if (cnew) m.cols.push_back(c), seats.push_back(*s);
    else if (seats[j->second] != *s) return std::nullopt;
    if (!seen.emplace(std::pair{i->second, j->second}, true).second) return std::nullopt;
    m.cells.emplace_back(i->second, j->second);
    weights.push_back(*w);
    decimals = std::max(decimals, w->decimals);
  }
  m.p.rows = m.rows.size();
  m.p.cols = m.cols.size();
  m.p.weight.assign(m.p.rows * m.p.cols, 0);
  for (std::size_t k = 0; k < m.cells.size(); ++k) {
    const auto v = io::scale_to(weights[k], decimals, kMaxWeight);
    if (!v) return std::nullopt;
    m.p.weight[m.cells[k].first * m.p.cols + m.cells[k].second] = *v;
  }
  m.p.col_seats = seats;
  for (auto s : seats) m.house += s;
  return m;
}

void check(const Rule& rule, const Matrix& m, const BiproportionalResult& out) {
  const auto& p = m.p;
  require(out.seats.size() == p.rows * p.cols && out.row_seats.size() == p.rows, "sizes");
  std::int64_t house = 0;
  for (std::size_t i = 0; i < p.rows; ++i) {
    std::int64_t s = 0;
    for (std::size_t j = 0; j < p.cols; ++j) {
      const auto a = out.seats[i * p.cols + j];
      require(a >= 0, "no negative cell");
      require(p.weight[i * p.cols + j] > 0 || a == 0, "no unit without weight");
      s += a;
    }
    require(s == out.row_seats[i], "row sums as required");
    house += s;
  }
  require(house == m.house, "the seats sum to the house");
  for (std::size_t j = 0; j < p.cols; ++j) {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < p.rows; ++i) s += out.seats[i * p.cols + j];
    require(s == p.col_seats[j], "column sums as required");
  }
  if (p.rows <= 8) {  // the reference enumerates cycles of rows
    const auto v = test::verify(rule, p, out.seats);
    require(v.valid, "the certificate holds (exact reference)");
    require(v.unique != out.tie.has_value(), "a tie is reported exactly when the result is not unique");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string dir = (fs::temp_directory_path() / "kimsim-fuzz-apportion-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    std::perror("fuzz_apportion: mkdtemp");
    std::abort();
  }
  g_dir = dir;
  std::atexit(remove_folder);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t opt = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const int ties = (opt >> 1) & 3;
  const Rule rule{opt & 1 ? Method::dhondt : Method::sainte_lague, std::nullopt,
                  ties == 1 ? TiePolicy::order : ties == 2 ? TiePolicy::lot : TiePolicy::error,
                  std::uint64_t(opt >> 3)};

  std::optional<Matrix> m;
  try {
    m = read_matrix(io::parse_csv(text, "m.csv"));
  } catch (const LocatedError&) {
  }
  // Bounded work per input: a fuzzer explores shapes, not sizes (bench/ measures sizes).
  if (m && (m->p.rows * m->p.cols > 400 || m->house > 400)) return 0;

  // 1. The command.
  const fs::path file = g_dir / "m.csv";
  {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    require(bool(f), "the harness writes its input");
  }
  static const char* const kTies[] = {"error", "order", "lot"};
  const std::vector<std::string> args = {
      "--biproportional", "--seats", std::to_string(m ? m->house : 0), "--method",
      rule.method == Method::dhondt ? "dhondt" : "sainte-lague", "--ties",
      kTies[static_cast<int>(rule.ties)], "--seed", std::to_string(rule.seed), file.string()};
  std::ostringstream out, err;
  bool command_ok = false;
  try {
    command_ok = cli::apportion_command({args, "", out, err}) == cli::kOk;
  } catch (const InputError&) {
  } catch (const TieError&) {
  } catch (const cli::UsageError&) {
  }
  if (!command_ok) require(out.str().empty(), "nothing on stdout after an error");
  if (!m) return 0;

  // 2. The library, on the same matrix.
  BiproportionalResult res;
  try {
    res = apportion_biproportional(rule, m->p);
  } catch (const InputError&) {
    require(!command_ok, "the command fails where the library does");
    return 0;
  } catch (const TieError& e) {
    require(rule.ties == TiePolicy::error, "a tie is thrown only under policy error");
    require(!e.tie().competitors.empty(), "a tie names its cells");
    require(!command_ok, "the command fails where the library does");
    return 0;
  }
  check(rule, *m, res);
  require(command_ok, "the command succeeds where the library does");
  std::string expected = "row,col,seats\n";
  for (const auto& [i, j] : m->cells)
    expected += io::csv_quote(m->rows[i]) + ',' + io::csv_quote(m->cols[j]) + ',' +
                std::to_string(res.seats[i * m->p.cols + j]) + '\n';
  require(out.str() == expected, "the command prints the library's result");
  // One note per resolved tie: among the rows for their totals, among the cells.
  const std::string notes = err.str();
  const auto noted = static_cast<std::size_t>(std::count(notes.begin(), notes.end(), '\n'));
  require(noted == std::size_t(res.tie.has_value()) + std::size_t(res.row_tie.has_value()), "a resolved tie is noted on stderr");
  return 0;
}
