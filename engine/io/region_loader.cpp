// The region loader: the Kreise and Gemeinden files and the indicator files of a scenario.
#include "io/region_loader.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <future>

#include "io/input.hpp"
#include "io/sha256.hpp"
#include "io/suggest.hpp"
#include "io/text.hpp"
#include "kimsim/simulation.hpp"

namespace kimsim::io {

const std::vector<GemeindeStatus>& gemeinde_statuses() {
  // Flags: a große kreisangehörige Stadt has its own ABH (gkst, abh); mittlere ones are mkst;
  // Stadt Aachen runs its own KI (ki). A plain Gemeinde or Stadt has none. Every Kreis-level unit
  // runs a KI and an ABH (see load_regions).
  static const std::vector<GemeindeStatus> statuses = {
      {"Gemeinde", {}},
      {"Stadt", {}},
      {"große kreisangehörige Stadt", {"gkst", "abh"}},
      {"mittlere kreisangehörige Stadt", {"mkst"}},
      {"regionsangehörige Stadt Aachen", {"ki"}},
      {"kreisfreie Stadt", {"kreisfrei"}},
  };
  return statuses;
}

namespace {

/// "delimiter: \";\"" as a scenario writes it.
std::string option_text(const char* option, char c) {
  return std::string(option) + ": \"" + (c == '\t' ? std::string("\\t") : std::string(1, c)) + "\"";
}

/// The identity of a data file for the cache: canonical path, device, inode, size, modification
/// time (nanoseconds) and the format it is read in; "" where it cannot be had (the reading then
/// reports why).
std::string cache_key(const DataFile& f) {
  struct stat st {};
  if (::stat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  std::error_code ec;
  const std::string canonical = std::filesystem::canonical(f.path, ec).string();
  if (ec) return "";
  return fmt::format("{}\x1f{}:{}:{}:{}.{:09}\x1f{}{}", canonical, st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec, f.format.delimiter, f.format.decimal);
}

}  // namespace

/// The cache's entries, for the loader alone.
struct DataCacheAccess {
  static const DataCache::Entry* find(DataCache& c, const std::string& key) {
    for (const auto& e : c.entries_)
      if (e.key == key) return ++c.hits_, &e;
    return nullptr;
  }
  static void keep(DataCache& c, std::string key, std::shared_ptr<const CsvTable> table, std::string sha256) {
    ++c.parses_;
    c.entries_.push_back({std::move(key), std::move(table), std::move(sha256)});
  }
};

namespace {

/// Reads a data file in its format; a header that only splits under another delimiter says so.
/// The bytes parsed are the bytes hashed for the manifest: the file is read once (and once for
/// all the scenarios that share a cache).
std::shared_ptr<const CsvTable> read_data(const DataFile& f, const std::vector<std::string>& columns, InputFiles& inputs,
                                          DataCache* cache) {
  const std::string key = cache ? cache_key(f) : "";
  if (!key.empty())
    if (const DataCache::Entry* e = DataCacheAccess::find(*cache, key)) {
      inputs.paths.push_back(f.path);
      inputs.sha256.push_back(e->sha256);
      return e->table;
    }
  const std::string text = read_input(f.path, kMaxCsvBytes, "for a data file");
  // Hashed beside the parsing, on another core where a thread can be had (else when asked for):
  // a million regions are 60 MB to hash.
  auto digest = std::async(std::launch::async | std::launch::deferred, [&text] { return sha256(text); });
  // Before the rows are parsed: split at the wrong delimiter, they fail with a count of cells.
  if (const auto d = header_delimiter(text, f.format, columns))
    throw LocatedError({f.path, d->line, 1}, d->why + ": set " + option_text("delimiter", d->delimiter) + " for this file in " + f.entry);
  auto t = std::make_shared<const CsvTable>(parse_csv(text, f.path, f.format));
  inputs.paths.push_back(f.path);
  inputs.sha256.push_back(digest.get());
  if (!key.empty()) DataCacheAccess::keep(*cache, key, t, inputs.sha256.back());
  return t;
}

/// A data cell as a non-negative number, or a located error saying what is wrong with it (and
/// which option to set where the cell reads under the other decimal mark).
double read_number(const CsvTable& t, const CsvRow& row, std::size_t col, const DataFile& f) {
  const std::string& text = t.cell(row, col);
  const auto d = parse_decimal(text, t.format.decimal);
  if (!d) {
    std::string hint;
    if (t.format.decimal == '.' && text.find(',') != std::string::npos && parse_decimal(text, ','))
      hint = ": set " + option_text("decimal", ',') + " for this file in " + f.entry;
    throw LocatedError(t.at(row, col), "column '" + t.header.cells[col].text + "' expects a non-negative number; " +
                                           decimal_problem(text, t.format.decimal) + hint);
  }
  return static_cast<double>(d->digits) / std::pow(10.0, d->decimals);
}

/// Refuses more regions than a simulation can hold, at the first row beyond the limit, before
/// any of them is built.
void check_region_count(const CsvTable& kreise, const CsvTable& gemeinden) {
  const std::size_t n = kreise.rows.size() + gemeinden.rows.size(), limit = SimulationLimits::regions;
  if (n <= limit) return;
  const CsvTable& t = kreise.rows.size() > limit ? kreise : gemeinden;
  const CsvRow& row = t.rows[kreise.rows.size() > limit ? limit : limit - kreise.rows.size()];
  throw LocatedError({t.file, row.line, 1}, std::to_string(n) + " regions (Kreise and Gemeinden together) need about " +
                                                human_bytes(accumulator_bytes(double(n))) +
                                                " of simulation accumulators per Baustein, year and thread; the limit is " +
                                                power_of_ten(limit) + " regions");
}

}  // namespace

std::string ags_hint(const Regions& r, const std::string& ags, bool in_csv) {
  if (ags.empty() || ags.find_first_not_of("0123456789") != std::string::npos) return "";
  if (!r.find("0" + ags)) return "";
  return "; did you mean 0" + ags + "? " +
         (in_csv ? std::string("(a spreadsheet drops the leading zero of a number: save the column as text)")
                 : "(an AGS keeps its leading zero: write it in quotes, \"0" + ags + "\")");
}

namespace {

/// Regions without a row in an indicator file. A file covers a level (Kreise and kreisfreie
/// Städte, or Gemeinden) if it has a row of it, and must then cover all of it: a missing row
/// would count as 0 and silently take the region's share away. `missing: zero` accepts that,
/// and every value so filled is named in the notes.
void check_missing(Regions& r, const std::vector<std::uint8_t>& seen, const DataSpec::Indicator& ind,
                   const std::string& name, const std::string& column) {
  bool level[2] = {false, false};  // Kreis level, Gemeinde level
  for (std::size_t i = 0; i < r.list.size(); ++i)
    if (seen[i]) level[r.list[i].type == RegionType::gemeinde] = true;
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < r.list.size(); ++i)
    if (!seen[i] && level[r.list[i].type == RegionType::gemeinde]) missing.push_back(i);
  if (missing.empty()) return;
  const auto who = [&](std::size_t i) { return r.list[i].ags + " " + r.list[i].name; };
  if (ind.missing_zero) {
    for (std::size_t i : missing)
      r.notes.push_back({"indicator_missing_zero", {name, who(i), ind.file.written}});
    return;
  }
  std::string list;
  for (std::size_t k = 0; k < missing.size() && k < 5; ++k) list += (k ? ", " : "") + who(missing[k]);
  if (missing.size() > 5) list += " and " + std::to_string(missing.size() - 5) + " more";
  const bool gemeinde = r.list[missing[0]].type == RegionType::gemeinde;
  throw InputError(ind.where + ": " + ind.file.written + " has no value in column '" + column + "' (indicator '" + name +
                   "') for " + list + "; the file has rows of " + (gemeinde ? "Gemeinden" : "Kreise and kreisfreie Städte") +
                   ", so every one needs a row: add the missing rows, or set missing: zero for this file to count them "
                   "as 0 (each is then named in the notes)");
}

/// A region's AGS as written: digits only (an empty one would match nothing and show as blank).
std::string checked_ags(const CsvTable& t, const CsvRow& row, std::size_t column) {
  const std::string& ags = t.cell(row, column);
  if (ags.empty() || ags.find_first_not_of("0123456789") != std::string::npos)
    throw LocatedError(t.at(row, column), "'" + ags + "' is not an AGS: expected digits, such as 05978 or 05978020");
  return ags;
}

/// The flags of a Gemeinde's status; an unknown status is an error at its cell (it would give the
/// Gemeinde no flags and drop it out of every Baustein that selects by them).
const std::vector<std::string>& status_flags(const CsvTable& t, const CsvRow& row, std::size_t column) {
  const std::string& status = t.cell(row, column);
  for (const auto& s : gemeinde_statuses())
    if (s.text == status) return s.flags;
  std::vector<std::string> known;
  for (const auto& s : gemeinde_statuses()) known.push_back(s.text);
  throw LocatedError(t.at(row, column), "unknown status '" + status + "'" + did_you_mean(status, known) +
                                            "; expected one of " + comma_list(known));
}

/// The line of each region's row in a data file (0: none), filled as the rows are read.
std::vector<std::uint32_t>& file_lines(Regions& r, const std::string& path) {
  r.places.files.push_back({path, {}});
  return r.places.files.back().line;
}

}  // namespace

/// The 53 Kreise and kreisfreie Städte and the 396 Gemeinden, with population and area, plus the
/// indicator files. Flags: every Kreis-level unit runs a KI and an ABH; the Gemeinden have the
/// flags of their status (gemeinde_statuses).
Regions load_regions(const DataSpec& spec, InputFiles& inputs, DataCache* cache) {
  Regions r;
  r.indicator_names = {"population", "area_km2"};
  std::vector<std::array<double, 2>> base;
  {  // the tables are freed before the indicator files are read: a million rows take 300 MB
    const auto kreise_table = read_data(spec.kreise, {"ags", "type", "name", "population", "area_km2"}, inputs, cache);
    const auto gemeinden_table =
        read_data(spec.gemeinden, {"ags", "name", "kreis_ags", "status", "population", "area_km2"}, inputs, cache);
    const CsvTable& kt = *kreise_table;
    const CsvTable& gt = *gemeinden_table;
    check_region_count(kt, gt);
    const std::size_t n = kt.rows.size() + gt.rows.size();
    r.reserve(n);
    base.reserve(n);
    {
      const CsvTable& t = kt;
      const auto ags = t.require("ags"), type = t.require("type"), name = t.require("name"),
                 pop = t.require("population"), area = t.require("area_km2");
      std::vector<std::uint32_t>& lines = file_lines(r, spec.kreise.path);
      lines.assign(n, 0);
      r.places.columns = {{{0, t.header.cells[pop].text, ""}}, {{0, t.header.cells[area].text, ""}}};
      for (const auto& row : t.rows) {
        Region reg;
        reg.ags = checked_ags(t, row, ags);
        reg.name = t.cell(row, name);
        const std::string& ty = t.cell(row, type);
        if (ty == "Kreis") reg.type = RegionType::kreis;
        else if (ty == "Kreisfreie Stadt") reg.type = RegionType::kreisfreie_stadt;
        else throw LocatedError(t.at(row, type), "unknown type '" + ty + "' (expected Kreis or Kreisfreie Stadt)");
        reg.flags = {"ki", "abh"};
        if (!r.add(std::move(reg))) throw LocatedError(t.at(row, ags), "duplicate AGS " + t.cell(row, ags));
        lines[r.list.size() - 1] = static_cast<std::uint32_t>(row.line);
        base.push_back({read_number(t, row, pop, spec.kreise), read_number(t, row, area, spec.kreise)});
      }
    }
    {
      const CsvTable& t = gt;
      const auto ags = t.require("ags"), name = t.require("name"), kreis = t.require("kreis_ags"),
                 status = t.require("status"), pop = t.require("population"), area = t.require("area_km2");
      std::vector<std::uint32_t>& lines = file_lines(r, spec.gemeinden.path);
      lines.assign(n, 0);
      r.places.columns[0].push_back({1, t.header.cells[pop].text, ""});
      r.places.columns[1].push_back({1, t.header.cells[area].text, ""});
      for (const auto& row : t.rows) {
        Region reg;
        reg.ags = checked_ags(t, row, ags);
        reg.name = t.cell(row, name);
        reg.kreis = t.cell(row, kreis);
        const auto parent = r.find(reg.kreis);
        if (!parent)
          throw LocatedError(t.at(row, kreis), "unknown Kreis AGS " + reg.kreis + ags_hint(r, reg.kreis, true));
        if (r.list[*parent].type == RegionType::gemeinde)
          throw LocatedError(t.at(row, kreis), "the AGS " + reg.kreis + " is a Gemeinde (" + r.list[*parent].name +
                                                   "): a Gemeinde belongs to a Kreis or kreisfreie Stadt");
        reg.flags = status_flags(t, row, status);
        if (!r.add(std::move(reg))) throw LocatedError(t.at(row, ags), "duplicate AGS " + t.cell(row, ags));
        lines[r.list.size() - 1] = static_cast<std::uint32_t>(row.line);
        base.push_back({read_number(t, row, pop, spec.gemeinden), read_number(t, row, area, spec.gemeinden)});
      }
    }
  }
  r.index();
  r.indicators = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(r.list.size()),
                                       static_cast<Eigen::Index>(2 + [&] {
                                         std::size_t n = 0;
                                         for (const auto& i : spec.indicators) n += i.columns.size();
                                         return n;
                                       }()));
  for (std::size_t i = 0; i < r.list.size(); ++i)
    r.indicators(Eigen::Index(i), 0) = base[i][0], r.indicators(Eigen::Index(i), 1) = base[i][1];
  Eigen::Index col = 2;
  for (const auto& ind : spec.indicators) {
    std::vector<std::string> needed{ind.key};
    for (const auto& [name, column] : ind.columns) needed.push_back(column);
    const auto table = read_data(ind.file, needed, inputs, cache);
    const CsvTable& t = *table;
    const auto key = t.require(ind.key);
    const auto file = static_cast<std::uint32_t>(r.places.files.size());
    std::vector<std::uint32_t>& lines = file_lines(r, ind.file.path);
    lines.assign(r.list.size(), 0);
    for (const auto& [name, column] : ind.columns) {
      const auto c = t.require(column);
      r.indicator_names.push_back(name);
      r.places.columns.push_back({{file, column, ind.split_by, ind.missing_zero}});
      std::vector<std::uint8_t> seen(r.list.size(), 0);
      std::size_t next = 0;  // data files usually list the regions in the order of the region files
      for (const auto& row : t.rows) {
        const std::string& ags = t.cell(row, key);
        const auto i = next < r.list.size() && r.list[next].ags == ags ? std::optional<std::size_t>(next) : r.find(ags);
        if (i) next = *i + 1;
        if (!i)
          throw LocatedError(t.at(row, key), "unknown AGS " + ags + " (not in " + spec.kreise.path + " or " +
                                                 spec.gemeinden.path + ")" + ags_hint(r, ags, true));
        if (seen[*i]++) throw LocatedError(t.at(row, key), "duplicate AGS " + ags);
        lines[*i] = static_cast<std::uint32_t>(row.line);
        r.indicators(Eigen::Index(*i), col) = read_number(t, row, c, ind.file);
      }
      check_missing(r, seen, ind, name, column);
      if (!ind.row_sources.empty() && &ind.columns.front().first == &name) {
        // Rows whose source marks them [A] are assumptions: a reader of the results must see them.
        const auto src = t.require(ind.row_sources);
        std::vector<std::string> assumed;
        for (const auto& row : t.rows)
          if (t.cell(row, src).find("[A]") != std::string::npos) {
            const auto i = r.find(t.cell(row, key));
            assumed.push_back(t.cell(row, key) + (i ? " " + r.list[*i].name : std::string()));
          }
        if (!assumed.empty()) {
          std::string list;
          for (const auto& a : assumed) list += (list.empty() ? "" : "; ") + a;
          r.notes.push_back({"indicator_rows_assumed", {ind.file.written, std::to_string(assumed.size()), ind.row_sources, list}});
        }
      }
      if (!ind.split_by.empty()) {
        // Per-Kreis values split to the Kreis' Gemeinden in proportion to another indicator.
        const auto by = r.indicator(ind.split_by);
        if (!by)
          throw InputError(ind.split_where + ": unknown indicator '" + ind.split_by + "'" +
                           did_you_mean(ind.split_by, r.indicator_names) + "; known so far: " + comma_list(r.indicator_names));
        for (std::size_t g = 0; g < r.list.size(); ++g) {
          if (r.list[g].type != RegionType::gemeinde) continue;
          const std::size_t k = *r.find(r.list[g].kreis);
          const double total = r.indicators(Eigen::Index(k), Eigen::Index(*by));
          r.indicators(Eigen::Index(g), col) =
              total > 0 ? r.indicators(Eigen::Index(k), col) * r.indicators(Eigen::Index(g), Eigen::Index(*by)) / total : 0.0;
        }
        r.notes.push_back({"indicator_split", {name, ind.file.written, ind.split_by}});
      }
      ++col;
    }
  }
  return r;
}

}  // namespace kimsim::io
