#include "io/csv.hpp"

#include <fstream>
#include <sstream>

#include "io/suggest.hpp"

namespace kimsim::io {

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t c = 0; c < header.cells.size(); ++c)
    if (header.cells[c].text == name) return c;
  return std::nullopt;
}

std::size_t CsvTable::require(std::string_view name) const {
  if (auto c = column(name)) return *c;
  std::vector<std::string> names;
  for (const auto& cell : header.cells) names.push_back(cell.text);
  throw LocatedError({file, header.line, 1}, "the header has no column '" + std::string(name) + "'" +
                                                 did_you_mean(name, names));
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

CsvTable parse_csv(std::string_view text, const std::string& file) {
  CsvTable t;
  t.file = file;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
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
    std::size_t line_start = pos;
    std::size_t cell_column = 1;  // fixed when the cell starts: a quoted cell may span lines
    std::string cell;
    bool quoted = false, in_quotes = false, done = false;
    auto finish_cell = [&] {
      row.cells.push_back({cell, cell_column});
      cell.clear();
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
      } else if (c == ',') {
        finish_cell();
        ++pos;
        cell_column = pos - line_start + 1;
      } else if (c == '\n' || (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n')) {
        finish_cell();
        pos += c == '\r' ? 2 : 1;
        ++line;
        done = true;
      } else if (quoted) {
        throw LocatedError({file, line, pos - line_start + 1}, "text after the closing quote of a cell");
      } else {
        cell += c;
        ++pos;
      }
    }
    for (auto& c : row.cells) {  // surrounding blanks are not part of a value
      const auto b = c.text.find_first_not_of(" \t");
      const auto e = c.text.find_last_not_of(" \t");
      if (b != std::string::npos) c.column += b;
      c.text = b == std::string::npos ? "" : c.text.substr(b, e - b + 1);
    }
    if (!have_header) {
      t.header = std::move(row);
      have_header = true;
    } else {
      t.rows.push_back(std::move(row));
    }
  }
  if (!have_header) throw LocatedError({file, 0, 0}, "the file is empty: expected a header row");
  for (const auto& row : t.rows)
    if (row.cells.size() > t.header.cells.size())
      throw LocatedError(t.at(row, t.header.cells.size()),
                         "the row has " + std::to_string(row.cells.size()) + " cells, the header " +
                             std::to_string(t.header.cells.size()));
  return t;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LocatedError({path, 0, 0}, "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

std::optional<Decimal> parse_decimal(std::string_view text) {
  Decimal d;
  bool digits = false, point = false;
  for (char c : text) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      if (d.digits > (UINT64_MAX - 9) / 10) return std::nullopt;
      d.digits = d.digits * 10 + std::uint64_t(c - '0');
      digits = true;
      if (point) ++d.decimals;
    } else {
      return std::nullopt;
    }
  }
  if (!digits || d.decimals > 12) return std::nullopt;
  return d;
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  auto d = parse_decimal(text);
  if (!d || d->decimals > 0 || text.find('.') != std::string_view::npos || d->digits > (1ULL << 62))
    return std::nullopt;
  return static_cast<std::int64_t>(d->digits);
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
  for (char c : text) s += c == '"' ? std::string("\"\"") : std::string(1, c);
  return s + "\"";
}

}  // namespace kimsim::io
