// Reading CSV files with every cell's line and column kept, for located error messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kimsim/error.hpp"

namespace kimsim::io {

struct CsvCell {
  std::string text;
  std::size_t column = 0;  // 1-based character column where the cell starts
};

struct CsvRow {
  std::size_t line = 0;
  std::vector<CsvCell> cells;
};

/// A CSV table: one header row and data rows. RFC 4180 quoting, UTF-8 with or without BOM, LF or
/// CRLF; lines starting with '#' are comments (data files carry their source there).
struct CsvTable {
  std::string file;
  CsvRow header;
  std::vector<CsvRow> rows;

  /// Index of a header column, if present.
  std::optional<std::size_t> column(std::string_view name) const;
  /// Index of a column that must be present; LocatedError naming the header otherwise.
  std::size_t require(std::string_view name) const;
  /// Throws for header columns outside `known`, with "did you mean".
  void allow_only(const std::vector<std::string_view>& known) const;
  /// Where a cell is, for error messages.
  Location at(const CsvRow& row, std::size_t col) const;
  /// The cell text, "" where the row is short.
  const std::string& cell(const CsvRow& row, std::size_t col) const;
};

/// Parses CSV text; `file` names it in errors. Throws LocatedError.
CsvTable parse_csv(std::string_view text, const std::string& file);
/// Reads and parses a file. Throws LocatedError (also for a missing or empty file).
CsvTable read_csv(const std::string& path);

/// A non-negative fixed-point decimal as written: digits and an optional point, no sign, no
/// exponent. value = digits / 10^decimals.
struct Decimal {
  std::uint64_t digits = 0;
  int decimals = 0;
};

/// Parses a non-negative decimal such as "216" or "12.75"; nullopt if it is not one.
std::optional<Decimal> parse_decimal(std::string_view text);
/// Parses a non-negative integer; nullopt if it is not one.
std::optional<std::int64_t> parse_count(std::string_view text);

/// The integer value * 10^decimals (decimals >= value.decimals), if it stays within `limit`.
std::optional<std::uint64_t> scale_to(const Decimal& value, int decimals, std::uint64_t limit);

/// Writes a cell, quoting it if it holds a comma, quote or line break.
std::string csv_quote(std::string_view text);

}  // namespace kimsim::io
