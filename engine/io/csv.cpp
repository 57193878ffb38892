#include "io/csv.hpp"

#include <algorithm>

#include "io/input.hpp"
#include "io/suggest.hpp"
#include "io/text.hpp"

namespace kimsim::io {

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t c = 0; c < header.cells.size(); ++c)
    if (header.cells[c].text == name) return c;
  return std::nullopt;
}

std::optional<char> CsvTable::other_delimiter() const {
  if (header.cells.size() != 1) return std::nullopt;
  for (char d : {';', ',', '\t'})
    if (d != format.delimiter && header.cells[0].text.find(d) != std::string::npos) return d;
  return std::nullopt;
}

std::string delimiter_name(char delimiter) {
  return delimiter == '\t' ? "tab" : "'" + std::string(1, delimiter) + "'";
}

namespace {

/// "the header does not split at ',' but contains ';'": a header of one cell that holds another
/// usual delimiter.
std::string one_cell(char delimiter, char other) {
  return "the header does not split at " + delimiter_name(delimiter) + " but contains " + delimiter_name(other);
}

}  // namespace

std::optional<OtherDelimiter> header_delimiter(std::string_view text, CsvFormat format,
                                               const std::vector<std::string>& columns) {
  // The header: the first line that is neither blank nor a comment, as parse_csv reads it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::string_view line;
  std::size_t number = 0;
  for (std::size_t pos = 0; pos < text.size() && line.empty(); ++number) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '#') line = {};
    pos = eol + 1;
  }
  // Its cells at a delimiter; nothing where it does not parse (the whole parse says why).
  auto cells = [&](char d) -> std::vector<std::string> {
    std::vector<std::string> out;
    try {
      for (auto& c : parse_csv(line, "", {d, '.'}).header.cells) out.push_back(std::move(c.text));
    } catch (const LocatedError&) {
    }
    return out;
  };
  auto missing = [&](const std::vector<std::string>& names) -> const std::string* {
    for (const auto& c : columns)
      if (std::find(names.begin(), names.end(), c) == names.end()) return &c;
    return nullptr;
  };
  if (line.empty()) return std::nullopt;
  const std::vector<std::string> own = cells(format.delimiter);
  const std::string* lacks = columns.empty() ? nullptr : missing(own);
  if (!columns.empty() && !lacks) return std::nullopt;  // it reads as it is
  for (const char d : {';', ',', '\t'}) {
    if (d == format.delimiter) continue;
    const std::vector<std::string> other = cells(d);
    if (other.size() < 2) continue;
    if (own.size() == 1) return OtherDelimiter{d, number, one_cell(format.delimiter, d)};
    if (lacks && !missing(other))
      return OtherDelimiter{d, number, "the header has no column '" + *lacks + "' at " + delimiter_name(format.delimiter) +
                                   " but has every column it needs at " + delimiter_name(d)};
  }
  return std::nullopt;
}

std::size_t CsvTable::require(std::string_view name) const {
  if (auto c = column(name)) {
    // Two columns of one name: reading either would be a guess.
    for (std::size_t d = *c + 1; d < header.cells.size(); ++d)
      if (header.cells[d].text == name)
        throw LocatedError(at(header, d), "column '" + std::string(name) + "' appears twice (also column " +
                                              std::to_string(*c + 1) + "): which one holds the data?");
    return *c;
  }
  std::vector<std::string> names;
  for (const auto& cell : header.cells) names.push_back(cell.text);
  std::string hint = did_you_mean(name, names);
  if (const auto d = other_delimiter()) hint += "; " + one_cell(format.delimiter, *d) + ": is that the delimiter?";
  throw LocatedError({file, header.line, 1}, "the header has no column '" + std::string(name) + "'" + hint);
}

void CsvTable::allow_only(const std::vector<std::string_view>& known) const {
  for (std::size_t c = 0; c < header.cells.size(); ++c) {
    const auto& name = header.cells[c].text;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string list;
    for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw LocatedError(at(header, c), "unknown column '" + name + "'" + did_you_mean(name, known) +
                                          "; expected columns: " + list);
  }
  for (std::size_t c = 0; c < header.cells.size(); ++c)
    for (std::size_t d = 0; d < c; ++d)
      if (header.cells[c].text == header.cells[d].text)
        throw LocatedError(at(header, c), "column '" + header.cells[c].text + "' appears twice");
}

Location CsvTable::at(const CsvRow& row, std::size_t col) const {
  const std::size_t column = col < row.cells.size() ? row.cells[col].column : 0;
  return {file, row.line, column};
}

const std::string& CsvTable::cell(const CsvRow& row, std::size_t col) const {
  static const std::string empty;
  return col < row.cells.size() ? row.cells[col].text : empty;
}

namespace {

/// Refuses text that is not UTF-8 before parsing it, at the first bad byte.
void require_utf8(std::string_view text, const std::string& file) {
  if (const auto enc = foreign_byte_order_mark(text))
    throw LocatedError({file, 1, 1}, "the file is " + *enc + " (byte order mark); kimsim reads UTF-8: save it as UTF-8");
  if (const auto bad = find_bad_bytes(text)) {
    const TextPlace p = place_of(text, bad->offset);
    throw LocatedError({file, p.line, p.column}, describe_bad_byte(*bad));
  }
}

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& file, CsvFormat format) {
  CsvTable t;
  t.file = file;
  t.format = format;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  require_utf8(text, file);
  if (const std::string blank = blank_file(text); !blank.empty())
    throw LocatedError({file, 0, 0}, blank + ": expected a header row");
  // Room for every line at once: a million rows would otherwise be moved twenty times over.
  t.rows.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  std::size_t pos = 0, line = 1;
  bool have_header = false;
  while (pos < text.size()) {
    // Skip comment and blank lines.
    const std::size_t eol = text.find('\n', pos);
    std::string_view raw = text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.empty() || raw.front() == '#') {
      pos = eol == std::string_view::npos ? text.size() : eol + 1;
      ++line;
      continue;
    }
    CsvRow row;
    row.line = line;
    row.cells.reserve(have_header ? t.header.cells.size() : 8);  // one allocation per row
    std::size_t line_start = pos;
    std::size_t cell_column = 1;  // fixed when the cell starts: a quoted cell may span lines
    std::string cell;
    bool quoted = false, in_quotes = false, done = false;
    auto finish_cell = [&] {
      row.cells.push_back({std::move(cell), cell_column});
      cell.clear();  // valid but unspecified after the move
      quoted = false;
    };
    while (!done) {
      if (pos >= text.size()) {
        if (in_quotes) throw LocatedError({file, row.line, cell_column}, "a quoted cell is not closed");
        finish_cell();
        done = true;
        break;
      }
      const char c = text[pos];
      if (in_quotes) {
        if (c == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') {
            cell += '"';
            pos += 2;
          } else {
            in_quotes = false;
            ++pos;
          }
        } else {
          if (c == '\n') ++line, line_start = pos + 1;
          cell += c;
          ++pos;
        }
        continue;
      }
      if (c == '"' && cell.empty() && !quoted) {
        in_quotes = quoted = true;
        ++pos;
      } else if (c == format.delimiter) {
        finish_cell();
        ++pos;
        cell_column = pos - line_start + 1;
      } else if (c == '\n' || (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n')) {
        finish_cell();
        pos += c == '\r' ? 2 : 1;
        ++line;
        done = true;
      } else if (c == '\r') {
        // A CR alone ends lines in old Mac files; read as a cell character it would glue lines.
        throw LocatedError({file, line, pos - line_start + 1},
                           "a carriage return (CR) without a line feed: kimsim reads lines that end in LF or CRLF "
                           "(is the file from an old Mac? save it with LF line ends)");
      } else if (quoted) {
        throw LocatedError({file, line, pos - line_start + 1}, "text after the closing quote of a cell");
      } else {
        // The plain characters up to the next one that means something, appended at once.
        std::size_t end = pos + 1;
        while (end < text.size() && text[end] != format.delimiter && text[end] != '\n' && text[end] != '\r' &&
               text[end] != '"')
          ++end;
        cell.append(text.data() + pos, end - pos);
        pos = end;
      }
    }
    for (auto& c : row.cells) {  // surrounding blanks are not part of a value
      const auto b = c.text.find_first_not_of(" \t");
      if (b == std::string::npos) {
        c.text.clear();
        continue;
      }
      c.column += b;
      c.text.erase(c.text.find_last_not_of(" \t") + 1);
      c.text.erase(0, b);
    }
    if (!have_header) {
      t.header = std::move(row);
      have_header = true;
    } else {
      t.rows.push_back(std::move(row));
    }
  }
  if (!have_header) {
    throw LocatedError({file, 0, 0}, "the file has only comments and blank lines: expected a header row");
  }
  const std::size_t columns = t.header.cells.size();
  // Rows split at the wrong delimiter have any count of cells (a decimal comma splits a
  // semicolon file's rows): the header says what is wrong, as require() would.
  if (const auto d = t.other_delimiter();
      d && std::any_of(t.rows.begin(), t.rows.end(), [&](const CsvRow& row) { return row.cells.size() != columns; }))
    throw LocatedError({file, t.header.line, 1}, one_cell(format.delimiter, *d) + ": is that the delimiter?");
  for (const auto& row : t.rows) {
    if (row.cells.size() > columns)
      throw LocatedError(t.at(row, columns), "the row has " + std::to_string(row.cells.size()) + " cells, the header " +
                                                 std::to_string(columns) + " (a " + delimiter_name(format.delimiter) +
                                                 " too many, or a value that needs quotes?)");
    // A short row would leave its last columns empty without saying so.
    if (row.cells.size() < columns)
      throw LocatedError(t.at(row, row.cells.size() - 1), "the row has " + std::to_string(row.cells.size()) +
                                                              (row.cells.size() == 1 ? " cell" : " cells") +
                                                              ", the header " + std::to_string(columns) +
                                                              ": no cell for column '" + t.header.cells[row.cells.size()].text + "'");
  }
  return t;
}

CsvTable read_csv(const std::string& path, CsvFormat format) {
  return parse_csv(read_input(path, kMaxCsvBytes, "for a data file"), path, format);
}

std::optional<Decimal> parse_decimal(std::string_view text, char decimal) {
  Decimal d;
  bool digits = false, point = false;
  for (char c : text) {
    if (c == decimal && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      const auto digit = std::uint64_t(c - '0');
      if (d.digits > (UINT64_MAX - digit) / 10) return std::nullopt;  // up to 18446744073709551615 exactly
      d.digits = d.digits * 10 + digit;
      digits = true;
      if (point) ++d.decimals;
    } else {
      return std::nullopt;
    }
  }
  if (!digits || d.decimals > 12) return std::nullopt;
  return d;
}

std::string decimal_problem(std::string_view text, char decimal) {
  if (parse_decimal(text, decimal)) return "";
  const std::string t(text);
  const char other = decimal == '.' ? ',' : '.';
  const bool has_decimal = t.find(decimal) != std::string::npos, has_other = t.find(other) != std::string::npos;
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string bare = lower.find_first_not_of("+-.") == std::string::npos ? lower : lower.substr(lower.find_first_not_of("+-."));
  if (t.empty()) return "the cell is empty";
  if (bare == "nan" || bare == "inf" || bare == "infinity") return "'" + t + "' is not a finite number";
  const auto magnitude = parse_decimal(text.substr(1), decimal);
  if (t[0] == '+' || (t[0] == '-' && magnitude && magnitude->digits == 0)) return "'" + t + "' has a sign: write the digits only";
  if (t[0] == '-') return "'" + t + "' is negative";
  if (t.find_first_not_of("0123456789.,") == std::string::npos) {
    if (has_decimal && has_other)
      return "'" + t + "' has a thousands separator: write the digits only, with '" + decimal + "' as the decimal mark";
    if (has_other)
      return "'" + t + "' has a '" + other + "', but the decimal mark of this file is '" + decimal + "'";
    if (std::count(t.begin(), t.end(), decimal) > 1) return "'" + t + "' has more than one '" + decimal + "'";
    const auto point = t.find(decimal);
    if (point != std::string::npos && t.size() - point - 1 > 12) return "'" + t + "' has more than 12 decimals";
    return "'" + t + "' is out of range (max 18446744073709551615, or as many digits with a decimal point)";
  }
  if (lower.find_first_of("0123456789") != std::string::npos && lower.find('e') != std::string::npos &&
      lower.find_first_not_of("0123456789.,e+-") == std::string::npos)
    return "'" + t + "' is in exponent notation: write the digits out";
  return "'" + t + "' is not a number";
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  auto d = parse_decimal(text);
  if (!d || d->decimals > 0 || text.find('.') != std::string_view::npos || d->digits > (1ULL << 62))
    return std::nullopt;
  return static_cast<std::int64_t>(d->digits);
}

std::optional<std::uint64_t> parse_whole(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  unsigned __int128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > UINT64_MAX) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

std::optional<std::uint64_t> scale_to(const Decimal& value, int decimals, std::uint64_t limit) {
  unsigned __int128 v = value.digits;
  for (int k = value.decimals; k < decimals; ++k) {
    v *= 10;
    if (v > limit) return std::nullopt;
  }
  if (v > limit) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

std::string csv_quote(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string s = "\"";
  for (char c : text) {
    if (c == '"') s += '"';  // a quote inside a quoted cell is doubled (RFC 4180)
    s += c;
  }
  return s += '"';
}

}  // namespace kimsim::io
