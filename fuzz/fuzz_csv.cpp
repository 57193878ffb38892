// libFuzzer harness of the CSV reader and the decimal parsing of its cells, on arbitrary bytes.
// A LocatedError is the correct answer to a malformed file; any other exception, a crash, a leak,
// undefined behaviour or a broken invariant below is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/csv.hpp"
#include "kimsim/error.hpp"

namespace {

/// Stops the run with the invariant that failed: libFuzzer saves the input as a crash.
void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_csv: invariant broken: %s\n", what);
  std::abort();
}

void check_cell(std::string_view text) {
  using namespace kimsim::io;
  const auto d = parse_decimal(text);
  if (d) {
    require(!text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos,
            "parse_decimal accepts only digits and a point");
    require(d->decimals >= 0 && d->decimals <= 12, "parse_decimal keeps at most 12 decimals");
    // Scaling is exact or refused, never wrapped.
    for (int decimals : {d->decimals, 2, 12}) {
      if (decimals < d->decimals) continue;
      const std::uint64_t limit = std::uint64_t{1} << 53;
      if (const auto v = scale_to(*d, decimals, limit)) {
        require(*v <= limit, "scale_to stays within its limit");
        if (decimals == d->decimals) require(*v == d->digits, "scale_to by nothing keeps the digits");
      }
    }
  }
  if (const auto n = parse_count(text)) {
    require(d && d->decimals == 0 && *n >= 0 && static_cast<std::uint64_t>(*n) == d->digits,
            "parse_count agrees with parse_decimal");
  }
  // csv_quote writes a cell that the reader reads back as the same text (where the reader keeps
  // text as it is: not a comment, no surrounding blanks).
  if (!text.empty() && text.front() != '#' && text.front() != ' ' && text.front() != '\t' &&
      text.back() != ' ' && text.back() != '\t') {
    const std::string csv = "h\n" + csv_quote(text) + "\n";
    const CsvTable t = parse_csv(csv, "quoted.csv");
    require(t.rows.size() == 1 && t.rows[0].cells.size() == 1 && t.rows[0].cells[0].text == text,
            "csv_quote round-trips");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kimsim::io;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CsvTable t;
  try {
    t = parse_csv(text, "fuzz.csv");
  } catch (const kimsim::LocatedError&) {
    return 0;
  }
  require(t.header.line >= 1, "the header has a line");
  std::size_t line = t.header.line;
  for (const auto& row : t.rows) {
    require(row.line > line, "rows come in line order");
    require(row.cells.size() <= t.header.cells.size(), "no row is wider than the header");
    line = row.line;
  }
  for (std::size_t c = 0; c < t.header.cells.size(); ++c) {
    const std::string& name = t.header.cells[c].text;
    require(t.header.cells[c].column >= 1, "cells have a column");
    const auto found = t.column(name);
    require(found && *found <= c && t.header.cells[*found].text == name, "column() finds a header cell");
    // require() refuses a name the header holds twice; else it agrees with column().
    try {
      require(t.require(name) == *found, "require() agrees with column()");
    } catch (const kimsim::LocatedError&) {
      std::size_t times = 0;
      for (const auto& h : t.header.cells) times += h.text == name;
      require(times > 1, "require() refuses only a doubled column");
    }
    check_cell(name);
  }
  for (const auto& row : t.rows)
    for (std::size_t c = 0; c <= t.header.cells.size(); ++c) {
      const std::string& cell = t.cell(row, c);  // one past the header too: "" where the row is short
      require(c < row.cells.size() || cell.empty(), "a missing cell reads as empty");
      require(!t.at(row, c).str().empty(), "every cell has a location");
      check_cell(cell);
    }
  // The column checks that the apportion and scenario readers make: located errors or nothing.
  try {
    t.allow_only({"name", "weight", "min", "max"});
  } catch (const kimsim::LocatedError&) {
  }
  if (!t.column("weight")) {
    try {
      (void)t.require("weight");
      require(false, "require() throws for a missing column");
    } catch (const kimsim::LocatedError&) {
    }
  }
  return 0;
}
