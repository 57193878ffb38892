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

/// How a file separates and writes its cells. Comma and decimal point by default; German
/// statistical offices publish ';' with a decimal comma ("217,41"), which a scenario names per
/// data file. Quoting is RFC 4180 either way.
struct CsvFormat {
  char delimiter = ',';
  char decimal = '.';
};

/// Data files larger than this are refused before they are read: the whole file is held in
/// memory, a parsed cell takes up to 20 times its bytes, and a million regions fit in 50 MB.
inline constexpr std::uintmax_t kMaxCsvBytes = std::uintmax_t{64} << 20;

/// A CSV table: one header row and data rows. RFC 4180 quoting, UTF-8 with or without BOM, LF or
/// CRLF; lines starting with '#' are comments (data files carry their source there).
struct CsvTable {
  std::string file;
  CsvFormat format;
  CsvRow header;
  std::vector<CsvRow> rows;

  /// Index of a header column, if present.
  std::optional<std::size_t> column(std::string_view name) const;
  /// Index of a column that must be present exactly once; LocatedError naming the header
  /// otherwise (with a hint where the header would split under another delimiter).
  std::size_t require(std::string_view name) const;
  /// Where the header is one cell that holds another usual delimiter: that delimiter.
  std::optional<char> other_delimiter() const;
  /// Throws for header columns outside `known`, with "did you mean".
  void allow_only(const std::vector<std::string_view>& known) const;
  /// Where a cell is, for error messages.
  Location at(const CsvRow& row, std::size_t col) const;
  /// The cell text, "" where the row is short.
  const std::string& cell(const CsvRow& row, std::size_t col) const;
};

/// Parses CSV text; `file` names it in errors. Every data row must have as many cells as the
/// header. Throws LocatedError, also for bytes that are not UTF-8.
CsvTable parse_csv(std::string_view text, const std::string& file, CsvFormat format = {});
/// Reads and parses a file. Throws LocatedError (also for a missing, empty or too large file).
CsvTable read_csv(const std::string& path, CsvFormat format = {});

/// "','", "';'", "tab": a delimiter as messages name it.
std::string delimiter_name(char delimiter);

/// A header written with another delimiter than the one it is read with, and why that shows.
struct OtherDelimiter {
  char delimiter = ',';
  std::size_t line = 0;  ///< the header's
  std::string why;       ///< "the header does not split at ',' but contains ';'"
};

/// Whether the header of `text` is written with another usual delimiter than format.delimiter:
/// it is one cell at format.delimiter that splits at the other; or it lacks one of `columns` (the
/// columns its reader needs) at format.delimiter and has them all at the other. Reads the header
/// line alone, so that it answers before the rows, split at the wrong delimiter (a decimal comma,
/// a name with a comma), fail the parse with a count of cells.
std::optional<OtherDelimiter> header_delimiter(std::string_view text, CsvFormat format,
                                               const std::vector<std::string>& columns = {});

/// A non-negative fixed-point decimal as written: digits and an optional point, no sign, no
/// exponent. value = digits / 10^decimals.
struct Decimal {
  std::uint64_t digits = 0;
  int decimals = 0;
};

/// Parses a non-negative decimal such as "216" or "12.75" (with decimal ',': "12,75"); nullopt if
/// it is not one. No sign, exponent or thousands separator: data files write plain digits.
std::optional<Decimal> parse_decimal(std::string_view text, char decimal = '.');
/// Why `text` is not a decimal under the decimal mark `decimal`, e.g. "'1.234,5' has a
/// thousands separator"; "" where it is one.
std::string decimal_problem(std::string_view text, char decimal = '.');
/// Parses a non-negative integer; nullopt if it is not one.
std::optional<std::int64_t> parse_count(std::string_view text);
/// Parses digits only into any value of 64 bits (a seed); nullopt for anything else or more.
std::optional<std::uint64_t> parse_whole(std::string_view text);

/// The integer value * 10^decimals (decimals >= value.decimals), if it stays within `limit`.
std::optional<std::uint64_t> scale_to(const Decimal& value, int decimals, std::uint64_t limit);

/// Writes a cell, quoting it if it holds a comma, quote or line break.
std::string csv_quote(std::string_view text);

}  // namespace kimsim::io
