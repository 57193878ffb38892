// `kimsim apportion`: the apportionment calculator over a CSV file.
#include <algorithm>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <iterator>
#include <map>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/csv.hpp"
#include "io/suggest.hpp"
#include "kimsim/apportion.hpp"
#include "kimsim/biproportional.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {
namespace {

constexpr const char* kHelp = R"(Usage:
  kimsim apportion --method M --seats H [options] FILE.csv
  kimsim apportion --biproportional --seats H [--method M] [--row-seats ROWS.csv] FILE.csv

Apportions H units (seats, positions, cents) among the rows of FILE.csv in proportion to their
weights, exactly, and writes CSV to stdout.

FILE.csv (one-dimensional): header 'name,weight', optionally 'min' and 'max' columns; weights are
non-negative decimals ("216", "12.75"). Output: 'name,weight,seats', one row per input row, in
input order. Lines starting with '#' are comments.

FILE.csv (--biproportional): long format 'row,col,weight,col_seats' (col_seats repeated on every
row of a column; a missing cell has weight 0). Row totals come from an apportionment of the row
sums by the same method (with --per-seat-row-sums: of the sums of weight/col_seats, the Swiss
'Wählerzahlen'), or from --row-seats ROWS.csv ('row,seats'). Cells are rounded by the divisor
method (dhondt or sainte-lague, the default) with row multipliers and column divisors, found by
tie-and-transfer, and proven exactly. Output: 'row,col,seats' in input order. At most 250000 cells
(rows x columns).

Methods (aliases in brackets):
  hamilton          largest remainder [largest-remainder, hare-niemeyer]
  dhondt            divisor method, signposts k+1 [jefferson]
  sainte-lague      divisor method, signposts k+1/2 [webster]
  huntington-hill   divisor method, signposts sqrt(k(k+1)) [hill, equal-proportions]
  adams             divisor method, signposts k
  dean              divisor method, signposts k(k+1)/(k+1/2)
  vinton            hamilton on the whole house's quotas, minimums raised after the floors
                    (the US House 1850-1900); without --min/--max the same as hamilton
  A divisor method's first signpost s(0) can be replaced with --first-signpost, e.g. 0.7 for
  modified Sainte-Lague (divisors 1.4, 3, 5, ...) or 1.42 (divisors 1.42, 2, 3, ...).

Ties (equal claims to the last units, decided exactly, never by rounding):
  error   refuse and name the tied rows (exit code 3) [default]
  order   the tied units go to the tied rows first in input order
  lot     drawn by lot, reproducibly from --seed
A resolved tie is reported on stderr. In a matrix, units tie when they can circulate among cells
with all totals kept; order gives them to the tied cells first in row-major order (rows, then
columns, as they first appear in FILE.csv), lot to the cells first in an order drawn from --seed.

Exit codes: 0 success; 2 bad input (nothing on stdout); 3 unresolved tie (nothing on stdout);
1 internal error.

Options)";

struct Options {
  std::string method;
  std::int64_t seats = -1;
  std::optional<std::int64_t> min, max;
  std::string ties = "error";
  std::uint64_t seed = 0;
  std::string first_signpost;
  bool biproportional = false;
  std::string row_seats;
  bool per_seat_row_sums = false;
  bool strongest_row_seat = false;
  std::string file;
};

Rule make_rule(const Options& o, const std::string& default_method) {
  Rule rule;
  const std::string name = o.method.empty() ? default_method : o.method;
  if (name.empty()) throw UsageError{"--method is required"};
  const auto method = parse_method(name);
  if (!method)
    throw UsageError{"unknown method '" + name + "'" + io::did_you_mean(name, method_names()) +
                     "; see --help for the methods"};
  rule.method = *method;
  const auto ties = parse_tie_policy(o.ties);
  if (!ties) {
    const std::vector<std::string> policies = {"error", "order", "lot"};
    throw UsageError{"unknown tie policy '" + o.ties + "'" + io::did_you_mean(o.ties, policies) +
                     "; expected error, order or lot"};
  }
  rule.ties = *ties;
  rule.seed = o.seed;
  if (!o.first_signpost.empty()) {
    const auto r = parse_decimal_ratio(o.first_signpost);
    if (!r) throw UsageError{"--first-signpost expects a positive decimal such as 0.7, got '" + o.first_signpost + "'"};
    if (!is_divisor_method(rule.method)) throw UsageError{"--first-signpost applies to divisor methods only"};
    rule.first_signpost = r;
  }
  return rule;
}

/// A weight cell as an exact decimal, or a located error saying what is wrong with it.
io::Decimal read_weight(const io::CsvTable& t, const io::CsvRow& row, std::size_t col) {
  const std::string& text = t.cell(row, col);
  if (text.empty()) throw LocatedError(t.at(row, col), "the weight is empty");
  if (text[0] == '-') throw LocatedError(t.at(row, col), "the weight '" + text + "' is negative");
  const auto d = io::parse_decimal(text);
  if (!d) {
    // Beyond the 64 bits of a decimal's digits: too large for the kernel's 2^53 long before that.
    const bool digits = text.find_first_not_of("0123456789.") == std::string::npos &&
                        std::count(text.begin(), text.end(), '.') <= 1 && text.find_first_of("0123456789") != std::string::npos;
    const auto point = text.find('.');
    if (digits && (point == std::string::npos || text.size() - point - 1 <= 12))
      throw LocatedError(t.at(row, col), "the weight '" + text + "' is too large: weights must be at most 2^53 = 9007199254740992");
    throw LocatedError(t.at(row, col), "the weight " + io::decimal_problem(text));
  }
  return *d;
}

std::int64_t read_bound(const io::CsvTable& t, const io::CsvRow& row, std::size_t col,
                        std::string_view what) {
  const std::string& text = t.cell(row, col);
  const auto v = io::parse_count(text);
  if (!v) {
    // A whole number beyond parse_count's 2^62 is too large, not malformed.
    const bool whole = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    throw LocatedError(t.at(row, col), "the " + std::string(what) + " '" + text + "' " +
                                           (whole ? "is too large: a bound is at most 2^62 = 4611686018427387904"
                                                  : "is not a whole non-negative number"));
  }
  return *v;
}

/// Scales decimal weights to integers on a common scale; errors point at the offending cell.
std::vector<std::uint64_t> scale_weights(const io::CsvTable& t, const std::vector<io::Decimal>& w,
                                         const std::vector<const io::CsvRow*>& rows, std::size_t col,
                                         double& scale) {
  int decimals = 0;
  for (const auto& d : w) decimals = std::max(decimals, d.decimals);
  scale = std::pow(10.0, decimals);
  std::vector<std::uint64_t> out(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto v = io::scale_to(w[i], decimals, kMaxWeight);
    if (!v)
      throw LocatedError(t.at(*rows[i], col), "the weight '" + t.cell(*rows[i], col) +
                                                  "' is too large: " +
                                                  (decimals == 0 ? std::string("weights")
                                                                 : fmt::format("weights scaled to whole numbers (times 10^{}, the most decimals of any)", decimals)) +
                                                  " must be at most 2^53 = 9007199254740992");
    out[i] = *v;
  }
  return out;
}

/// The first kShown of `count` items (item(k) for each), comma-separated, and how many more: a tie
/// among the 250,000 cells of a matrix once wrote 3.1 MB of names into one message.
constexpr std::size_t kShown = 12;
template <typename Item>
std::string some_of(std::size_t count, Item&& item, const char* sep = ", ") {
  std::string s;
  for (std::size_t k = 0; k < count && k < kShown; ++k) s += (k ? sep : "") + item(k);
  if (count > kShown) s += fmt::format(" and {} more", count - kShown);
  return s;
}

std::string names_of(const Tie& tie, const std::vector<std::string>& names) {
  return some_of(tie.competitors.size(), [&](std::size_t k) { return names[tie.competitors[k]]; });
}

/// `weight_scale` = 10^decimals of the scaled weights, so the divisor reads in input units.
std::string describe_tie(const Tie& tie, const std::vector<std::string>& names, const Rule& rule,
                         double weight_scale) {
  std::string s = fmt::format("tie: {} have an equal claim to the last {} seat{}", names_of(tie, names), tie.units,
                              tie.units == 1 ? "" : "s");
  // {:g}: six significant digits, enough to tell the divisor from its neighbours' claims.
  if (is_divisor_method(rule.method))
    fmt::format_to(std::back_inserter(s), " (the only valid divisor is {:g})", tie.divisor / weight_scale);
  return s;
}

/// How a resolved tie was decided, for the note on standard error.
std::string decided_by(const Rule& rule) {
  return rule.ties == TiePolicy::lot ? fmt::format("lot (seed {})", rule.seed) : std::string("input order");
}

int apportion_1d(const Options& o, std::ostream& out, std::ostream& err) {
  const Rule rule = make_rule(o, "");
  const io::CsvTable t = io::read_csv(o.file);
  t.allow_only({"name", "weight", "min", "max"});
  const std::size_t c_name = t.require("name"), c_weight = t.require("weight");
  const auto c_min = t.column("min"), c_max = t.column("max");
  if (t.rows.empty()) throw LocatedError({t.file, t.header.line, 0}, "no data rows after the header");

  std::vector<std::string> names;
  std::vector<io::Decimal> decimals;
  std::vector<const io::CsvRow*> rows;
  std::vector<std::int64_t> lo, hi;
  std::map<std::string, std::size_t> first_line;
  for (const auto& row : t.rows) {
    const std::string& name = t.cell(row, c_name);
    if (name.empty()) throw LocatedError(t.at(row, c_name), "the name is empty");
    const auto [it, fresh] = first_line.emplace(name, row.line);
    if (!fresh)
      throw LocatedError(t.at(row, c_name), "duplicate name '" + name + "' (first on line " +
                                                std::to_string(it->second) + ")");
    names.push_back(name);
    decimals.push_back(read_weight(t, row, c_weight));
    rows.push_back(&row);
    std::int64_t mn = o.min.value_or(0), mx = o.max.value_or(kUnbounded);
    if (c_min && !t.cell(row, *c_min).empty()) mn = read_bound(t, row, *c_min, "minimum");
    if (c_max && !t.cell(row, *c_max).empty()) mx = read_bound(t, row, *c_max, "maximum");
    if (mx < mn)
      throw LocatedError(t.at(row, c_max ? *c_max : c_name),
                         "the maximum " + std::to_string(mx) + " is below the minimum " +
                             std::to_string(mn));
    lo.push_back(mn);
    hi.push_back(mx);
  }
  double scale = 1.0;
  const std::vector<std::uint64_t> weights = scale_weights(t, decimals, rows, c_weight, scale);

  std::vector<std::int64_t> seats(weights.size());
  Workspace ws;
  Outcome outcome;
  try {
    outcome = apportion(rule, weights, o.seats, seats, ws, Bounds{lo, hi});
  } catch (const TieError& e) {
    throw TieError(t.file + ": " + describe_tie(e.tie(), names, rule, scale) +
                       "; choose a tie policy with --ties order or --ties lot",
                   e.tie());
  } catch (const InputError& e) {
    throw InputError(t.file + ": " + e.what());
  }
  if (outcome.tie)
    fmt::print(err, "kimsim apportion: note: {}; decided by {}\n", describe_tie(*outcome.tie, names, rule, scale),
               decided_by(rule));

  std::string csv = "name,weight,seats\n";  // written only once complete: nothing reaches stdout on error
  for (std::size_t i = 0; i < names.size(); ++i)
    fmt::format_to(std::back_inserter(csv), "{},{},{}\n", io::csv_quote(names[i]), t.cell(*rows[i], c_weight), seats[i]);
  out << csv;
  return kOk;
}


int apportion_matrix(const Options& o, std::ostream& out, std::ostream& err) {
  const Rule rule = make_rule(o, "sainte-lague");
  const io::CsvTable t = io::read_csv(o.file);
  t.allow_only({"row", "col", "weight", "col_seats"});
  const std::size_t c_row = t.require("row"), c_col = t.require("col"),
                    c_weight = t.require("weight"), c_seats = t.require("col_seats");
  if (t.rows.empty()) throw LocatedError({t.file, t.header.line, 0}, "no data rows after the header");

  std::vector<std::string> rows, cols;
  std::map<std::string, std::size_t> row_index, col_index;
  std::vector<std::int64_t> col_seats;
  std::vector<io::Decimal> decimals;
  std::vector<const io::CsvRow*> lines;
  std::vector<std::pair<std::size_t, std::size_t>> cells;
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> seen;
  for (const auto& row : t.rows) {
    const std::string& r = t.cell(row, c_row);
    const std::string& c = t.cell(row, c_col);
    if (r.empty()) throw LocatedError(t.at(row, c_row), "the row name is empty");
    if (c.empty()) throw LocatedError(t.at(row, c_col), "the column name is empty");
    const auto [ri, rnew] = row_index.emplace(r, rows.size());
    if (rnew) rows.push_back(r);
    const auto [ci, cnew] = col_index.emplace(c, cols.size());
    const std::int64_t seats = read_bound(t, row, c_seats, "col_seats");
    if (cnew) {
      cols.push_back(c);
      col_seats.push_back(seats);
    } else if (col_seats[ci->second] != seats) {
      throw LocatedError(t.at(row, c_seats), "col_seats " + std::to_string(seats) + " differs from " +
                                                 std::to_string(col_seats[ci->second]) +
                                                 " given earlier for column '" + c + "'");
    }
    const auto [it, fresh] = seen.emplace(std::make_pair(ri->second, ci->second), row.line);
    if (!fresh)
      throw LocatedError(t.at(row, c_row), "duplicate cell ('" + r + "', '" + c + "'), first on line " +
                                               std::to_string(it->second));
    decimals.push_back(read_weight(t, row, c_weight));
    lines.push_back(&row);
    cells.emplace_back(ri->second, ci->second);
  }
  double scale = 1.0;
  const std::vector<std::uint64_t> weights = scale_weights(t, decimals, lines, c_weight, scale);

  // Refused before the matrix is built: a small file of sparse cells can name a huge one.
  if (const std::string why = biproportional_size_problem(rows.size(), cols.size()); !why.empty())
    throw InputError(t.file + ": " + why);
  BiproportionalProblem p;
  p.rows = rows.size();
  p.cols = cols.size();
  p.weight.assign(p.rows * p.cols, 0);
  for (std::size_t k = 0; k < cells.size(); ++k) p.weight[cells[k].first * p.cols + cells[k].second] = weights[k];
  p.col_seats = col_seats;
  p.per_seat_row_sums = o.per_seat_row_sums;
  std::int64_t total = 0;
  for (auto c : col_seats) total += c;
  if (total != o.seats)
    throw InputError(t.file + ": the col_seats sum to " + std::to_string(total) + ", not to --seats " +
                     std::to_string(o.seats));
  if (!o.row_seats.empty()) {
    const io::CsvTable rt = io::read_csv(o.row_seats);
    rt.allow_only({"row", "seats"});
    const std::size_t rr = rt.require("row"), rs = rt.require("seats");
    p.row_seats.assign(p.rows, -1);
    for (const auto& row : rt.rows) {
      const std::string& name = rt.cell(row, rr);
      const auto it = row_index.find(name);
      if (it == row_index.end())
        throw LocatedError(rt.at(row, rr), "row '" + name + "' is not in " + t.file + io::did_you_mean(name, rows));
      if (p.row_seats[it->second] >= 0)
        throw LocatedError(rt.at(row, rr), "row '" + name + "' is given twice");
      p.row_seats[it->second] = read_bound(rt, row, rs, "seats");
    }
    for (std::size_t i = 0; i < p.rows; ++i)
      if (p.row_seats[i] < 0) throw LocatedError({rt.file, 0, 0}, "no seats given for row '" + rows[i] + "'");
  }
  if (o.strongest_row_seat) {  // the strongest row of each column gets at least one unit
    p.cell_min.assign(p.rows * p.cols, 0);
    for (std::size_t j = 0; j < p.cols; ++j) {
      std::size_t best = 0;
      for (std::size_t i = 1; i < p.rows; ++i)
        if (p.weight[i * p.cols + j] > p.weight[best * p.cols + j]) best = i;
      for (std::size_t i = 0; i < p.rows; ++i)
        if (i != best && p.weight[i * p.cols + j] == p.weight[best * p.cols + j] && p.weight[i * p.cols + j] > 0)
          throw InputError(t.file + ": rows '" + rows[best] + "' and '" + rows[i] +
                           "' are equally strong in column '" + cols[j] + "'");
      if (p.weight[best * p.cols + j] > 0 && col_seats[j] > 0) p.cell_min[best * p.cols + j] = 1;
    }
  }

  auto describe = [&](const Tie& tie) {
    const auto cell = [&](std::size_t k) {
      const std::size_t c = tie.competitors[k];
      return "(" + rows[c / p.cols] + ", " + cols[c % p.cols] + ")";
    };
    return "tie: units can circulate among the cells " + some_of(tie.competitors.size(), cell, " ") + " with all totals kept";
  };
  auto describe_rows = [&](const Tie& tie) {
    std::string s = "tie: the rows " + some_of(tie.competitors.size(), [&](std::size_t k) { return rows[tie.competitors[k]]; });
    return s + " have an equal claim to the last " + std::to_string(tie.units) + (tie.units == 1 ? " unit" : " units") +
           " of the row totals";
  };
  BiproportionalResult res;
  try {
    res = apportion_biproportional(rule, p);
  } catch (const RowTieError& e) {
    throw TieError(t.file + ": " + describe_rows(e.tie()) + "; give the row totals with --row-seats, or choose a tie "
                                                           "policy with --ties order or --ties lot",
                   e.tie());
  } catch (const TieError& e) {
    throw TieError(t.file + ": " + describe(e.tie()) +
                       "; choose a tie policy with --ties order or --ties lot",
                   e.tie());
  } catch (const InputError& e) {
    throw InputError(t.file + ": " + e.what());
  }
  if (res.row_tie) fmt::print(err, "kimsim apportion: note: {}; decided by {}\n", describe_rows(*res.row_tie), decided_by(rule));
  if (res.tie) fmt::print(err, "kimsim apportion: note: {}; decided by {}\n", describe(*res.tie), decided_by(rule));
  std::string csv = "row,col,seats\n";
  for (const auto& [i, j] : cells)
    fmt::format_to(std::back_inserter(csv), "{},{},{}\n", io::csv_quote(rows[i]), io::csv_quote(cols[j]),
                   res.seats[i * p.cols + j]);
  out << csv;
  return kOk;
}

}  // namespace

int apportion_command(const Invocation& call) {
  const std::vector<std::string>& args = call.args;
  std::ostream& out = call.out;
  std::ostream& err = call.err;
  Options o;
  po::options_description visible(kHelp);
  Whole seats, min, max, seed;
  visible.add_options()
      ("help,h", "show this help")
      ("method,m", po::value(&o.method), "apportionment method (see above)")
      ("seats,s", po::value(&seats), "number of units H to apportion")
      ("min", po::value(&min), "minimum units of every row (a 'min' column overrides it)")
      ("max", po::value(&max), "maximum units of every row (a 'max' column overrides it)")
      ("ties", po::value(&o.ties), "tie policy: error, order or lot (default error)")
      ("seed", po::value(&seed), "seed of the lot for --ties lot (default 0)")
      ("first-signpost", po::value(&o.first_signpost), "replace a divisor method's s(0), e.g. 0.7")
      ("biproportional", po::bool_switch(&o.biproportional), "rows x columns apportionment")
      ("row-seats", po::value(&o.row_seats), "CSV 'row,seats' with given row totals")
      ("per-seat-row-sums", po::bool_switch(&o.per_seat_row_sums),
       "upper apportionment over row sums of weight/col_seats")
      ("strongest-row-seat", po::bool_switch(&o.strongest_row_seat),
       "the strongest row of each column gets at least one unit");
  const po::variables_map vm = parse_options(args, visible, o.file);
  if (vm.count("help")) {
    out << visible << "\n";
    return kOk;
  }
  if (o.file.empty()) throw UsageError{"missing the input FILE.csv"};
  if (!vm.count("seats")) throw UsageError{"--seats is required"};
  // The kernel counts units in signed 64 bits.
  for (const auto& [name, w] : {std::pair{"seats", seats}, {"min", min}, {"max", max}})
    if (w.value > static_cast<std::uint64_t>(INT64_MAX))
      throw UsageError{std::string("--") + name + " must be at most 9223372036854775807"};
  o.seats = static_cast<std::int64_t>(seats.value);
  if (vm.count("min")) o.min = static_cast<std::int64_t>(min.value);
  if (vm.count("max")) o.max = static_cast<std::int64_t>(max.value);
  o.seed = seed.value;
  if (o.biproportional) {
    if (vm.count("min") || vm.count("max"))
      throw UsageError{"--min and --max apply to one-dimensional apportionments"};
    return apportion_matrix(o, out, err);
  }
  if (!o.row_seats.empty() || o.per_seat_row_sums || o.strongest_row_seat)
    throw UsageError{"--row-seats, --per-seat-row-sums and --strongest-row-seat need --biproportional"};
  return apportion_1d(o, out, err);
}

}  // namespace kimsim::cli
