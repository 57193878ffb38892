#include "io/compare_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "io/csv.hpp"
#include "io/output.hpp"

namespace kimsim::io {

namespace {

/// Positions with their sign: format_positions() is for amounts, not differences.
std::string signed_positions(Halves h) { return (h < 0 ? "-" : "") + format_positions(h < 0 ? -h : h); }
std::string plus_positions(Halves h) { return (h > 0 ? "+" : "") + signed_positions(h); }
std::string plus_euros(Cents c) { return (c > 0 ? "+" : "") + format_euros(c); }

/// Indices rounded to six decimals: enough for a reader, and stable across compilers.
nlohmann::json index_value(const std::optional<double>& v) {
  if (!v) return nullptr;
  return std::round(*v * 1e6) / 1e6;
}

std::string index_text(const std::optional<double>& v, int decimals = 3) {
  if (!v) return "-";
  return fmt::format("{:.{}f}", *v, decimals);
}

/// Pads or cuts UTF-8 text to `width` characters (names have umlauts; printf counts bytes).
std::string pad(const std::string& text, std::size_t width) {
  std::string out;
  std::size_t chars = 0;
  for (char ch : text) {
    const bool lead = (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    if (lead && chars == width) break;
    chars += lead;
    out += ch;
  }
  return out + std::string(width - chars, ' ');
}

std::size_t utf8_chars(const std::string& w) {
  std::size_t n = 0;
  for (char ch : w) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

/// Words wrapped to `width` characters; the first line keeps the text's leading blanks, the
/// others are indented by `indent`.
std::string wrap(const std::string& text, std::size_t width, std::size_t indent) {
  auto chars = [](const std::string& w) {
    std::size_t n = 0;
    for (char ch : w) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return n;
  };
  const std::size_t lead = text.find_first_not_of(' ') == std::string::npos ? 0 : text.find_first_not_of(' ');
  std::string out, line(lead, ' ');
  std::size_t n = lead;
  bool fresh = true;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    if (!fresh && n + 1 + chars(word) > width) {
      out += line + "\n";
      line.assign(indent, ' ');
      n = indent;
      fresh = true;
    }
    if (!fresh) line += ' ', ++n;
    line += word;
    n += chars(word);
    fresh = false;
  }
  return out + line + "\n";
}

const Regions& regions_of(const std::vector<ComparedRun>& runs) { return runs.front().loaded->regions; }

}  // namespace

std::string format_half_cents(Cents half_cents) {
  return format_euros(half_cents / 2) + (half_cents % 2 ? "5" : "");
}

std::string compare_csv(const Comparison& c, const Regions& regions, bool territories) {
  std::ostringstream out;
  out << "scenario,ags,name,baustein,positions,euros,delta_positions,delta_euros\n";
  const auto& lines = territories ? c.territories : c.recipients;
  for (std::size_t k = 0; k < c.names.size(); ++k)
    for (const auto& l : lines) {
      const Region& g = regions.list[l.region];
      out << csv_quote(c.names[k]) << ',' << g.ags << ',' << csv_quote(g.name) << ',' << csv_quote(l.baustein) << ','
          << format_positions(l.halves[k]) << ',' << format_euros(l.cents[k]) << ','
          << signed_positions(l.halves[k] - l.halves[0]) << ',' << format_euros(l.cents[k] - l.cents[0]) << '\n';
    }
  return out.str();
}

nlohmann::json compare_json(const Comparison& c, const std::vector<ComparedRun>& runs) {
  const Regions& regions = regions_of(runs);
  auto who = [&](const std::vector<std::size_t>& list) {
    nlohmann::json a = nlohmann::json::array();
    for (std::size_t r : list) a.push_back({{"ags", regions.list[r].ags}, {"name", regions.list[r].name}});
    return a;
  };
  nlohmann::json j;
  j["base"] = c.names.front();
  j["scenarios"] = nlohmann::json::array();
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const Allocation& a = *runs[k].allocation;
    Cents allocated = 0;
    Halves halves = 0;
    for (const auto& t : a.totals) allocated += t.allocated, halves += t.halves;
    j["scenarios"].push_back({{"name", c.names[k]},
                              {"file", runs[k].loaded->path},
                              {"budget_eur", format_euros(runs[k].loaded->scenario.budget)},
                              {"allocated_eur", format_euros(allocated)},
                              {"positions", static_cast<double>(halves) / 2.0}});
  }
  j["variants"] = nlohmann::json::array();
  for (std::size_t v = 0; v < c.changes.size(); ++v) {
    const VariantChange& ch = c.changes[v];
    auto movers = [&](const std::vector<Change>& list) {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& m : list)
        a.push_back({{"ags", regions.list[m.region].ags},
                     {"name", regions.list[m.region].name},
                     {"delta_eur", format_euros(m.cents)},
                     {"delta_positions", static_cast<double>(m.halves) / 2.0}});
      return a;
    };
    j["variants"].push_back({{"name", c.names[v + 1]},
                             {"winners", {{"count", ch.winners}, {"gained_eur", format_euros(ch.gained)}}},
                             {"losers", {{"count", ch.losers}, {"lost_eur", format_euros(ch.lost)}}},
                             {"money_moved_eur", format_half_cents(ch.moved_half_cents)},
                             {"top_gains", movers(ch.top_gains)},
                             {"top_losses", movers(ch.top_losses)}});
  }
  j["fairness"] = nlohmann::json::array();
  for (std::size_t k = 0; k < c.fairness.size(); ++k) {
    nlohmann::json per = nlohmann::json::array();
    for (const Fairness& f : c.fairness[k]) {
      nlohmann::json gini = nlohmann::json::object();
      for (const auto& [indicator, g] : f.gini) gini[indicator] = index_value(g);
      per.push_back({{"baustein", f.baustein},
                     {"gini_per_unit_of", gini},
                     {"gallagher_key", index_value(f.gallagher_key)},
                     {"loosemore_hanby_key", index_value(f.loosemore_hanby_key)},
                     {"gallagher_quota", index_value(f.gallagher_quota)},
                     {"loosemore_hanby_quota", index_value(f.loosemore_hanby_quota)},
                     {"max_min_ratio_per_inhabitant", index_value(f.max_min_ratio)},
                     {"held_at_minimum", who(f.held_at_minimum)},
                     {"held_at_maximum", who(f.held_at_maximum)}});
    }
    j["fairness"].push_back({{"scenario", c.names[k]}, {"bausteine", per}});
  }
  j["paradoxes"] = nlohmann::json::array();
  for (const Paradox& p : c.paradoxes)
    j["paradoxes"].push_back({{"kind", std::string(paradox_name(p.kind))},
                              {"from", c.names[p.from]},
                              {"to", c.names[p.to]},
                              {"baustein", p.baustein},
                              {"recipients", who(p.recipients)},
                              {"reason", p.reason}});
  j["definitions"] = {
      {"territory", "a recipient with the Gemeinden its Kreis passes shares on to"},
      {"winners_losers", "territories whose euros over all Bausteine rise or fall against the base"},
      {"money_moved", "half the L1 distance between the territories' euros, exact (a third decimal is a half cent)"},
      {"gini", "of euros per unit of the indicator, weighted by the indicator (per inhabitant for population)"},
      {"gallagher_loosemore_hanby", "percentage points; allocation shares (positions, else euros) against key shares "
                                    "and against quota shares"},
      {"total", "the whole allocation over Kreis-level areas"}};
  return j;
}

std::string compare_summary(const Comparison& c, const std::vector<ComparedRun>& runs, const std::string& out_dir,
                            bool decomposed, bool simulated) {
  const Regions& regions = regions_of(runs);
  std::ostringstream o;
  // Names are up to 200 bytes (or file paths): headings wrap, table columns cut, within 100.
  o << wrap("Comparing " + std::to_string(c.names.size()) + " scenarios over " + std::to_string(regions.list.size()) +
                " regions (base: " + c.names.front() + ")",
            100, 2)
    << "\n";
  o << fmt::format("  {:<40} {:>17} {:>17} {:>10}\n", "scenario", "budget EUR", "allocated EUR", "positions");
  for (std::size_t k = 0; k < runs.size(); ++k) {
    Cents allocated = 0;
    Halves halves = 0;
    for (const auto& t : runs[k].allocation->totals) allocated += t.allocated, halves += t.halves;
    o << fmt::format("  {} {:>17} {:>17} {:>10}\n", pad(c.names[k], 40), format_euros(runs[k].loaded->scenario.budget),
                     format_euros(allocated), format_positions(halves));
  }
  for (std::size_t v = 0; v < c.changes.size(); ++v) {
    const VariantChange& ch = c.changes[v];
    o << "\n" << wrap(c.names[v + 1] + " against " + c.names.front() + " (territories, all Bausteine):", 100, 2);
    o << "  winners " << ch.winners << " (" << plus_euros(ch.gained) << " EUR), losers " << ch.losers << " ("
      << format_euros(-ch.lost) << " EUR), money moved " << format_half_cents(ch.moved_half_cents) << " EUR\n";
    auto list = [&](const char* title, const std::vector<Change>& movers) {
      if (movers.empty()) return;
      o << "  " << title << ":\n";
      for (const auto& m : movers) {
        std::string text = fmt::format("    {:>16} EUR {:>9} VZÄ  {} {}", plus_euros(m.cents), plus_positions(m.halves),
                                       regions.list[m.region].ags, pad(regions.list[m.region].name, 50));
        while (!text.empty() && text.back() == ' ') text.pop_back();  // no trailing blanks
        o << text << "\n";
      }
    };
    list("largest gains", ch.top_gains);
    list("largest losses", ch.top_losses);
  }
  o << "\nFairness (Gini of euros per inhabitant; Gallagher and Loosemore-Hanby in points against the\n"
       "key and against the quotas; max/min of euros per inhabitant; recipients held at a bound):\n";
  // The Baustein column takes what its ids need, up to 16 characters, from the scenario's 28+5.
  std::size_t id_width = 5;
  for (const auto& per : c.fairness)
    for (const Fairness& f : per) id_width = std::max(id_width, std::min<std::size_t>(16, utf8_chars(f.baustein)));
  const std::size_t name_width = 33 - id_width;
  o << fmt::format("  {} {} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>4} {:>4}\n", pad("scenario", name_width), pad("", id_width),
                   "Gini", "Gal.key", "LH key", "Gal.quo", "LH quo", "max/min", "min", "max");
  for (std::size_t k = 0; k < c.fairness.size(); ++k)
    for (const Fairness& f : c.fairness[k]) {
      std::optional<double> g;
      for (const auto& [indicator, value] : f.gini)
        if (indicator == "population") g = value;
      o << fmt::format("  {} {} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>4} {:>4}\n", pad(c.names[k], name_width),
                       pad(f.baustein, id_width), index_text(g), index_text(f.gallagher_key, 2),
                       index_text(f.loosemore_hanby_key, 2), index_text(f.gallagher_quota, 2),
                       index_text(f.loosemore_hanby_quota, 2), index_text(f.max_min_ratio, 2), f.held_at_minimum.size(),
                       f.held_at_maximum.size());
    }
  o << "\nParadox flags: " << (c.paradoxes.empty() ? "none" : std::to_string(c.paradoxes.size())) << "\n";
  for (const Paradox& p : c.paradoxes) o << wrap("  [" + std::string(paradox_name(p.kind)) + "] " + p.reason, 100, 4);
  o << "\nWritten: " << out_dir << "/ (compare.csv, compare_territories.csv, compare.json, "
    << (decomposed ? "decompose.csv, " : "") << (simulated ? "compare_mc.csv, " : "") << "report.html, manifest.json)\n";
  return o.str();
}

std::string decompose_csv(const Decomposition& d, const Regions& regions, const std::vector<std::string>& steps) {
  std::string out = "ags,name,baustein,total_eur";
  for (std::size_t k = 1; k <= steps.size(); ++k) out += fmt::format(",alone_eur_{0},stacked_eur_{0}", k);
  out += "\n";
  for (const auto& l : d.lines) {
    const Region& r = regions.list[l.region];
    out += fmt::format("{},{},{},{}", r.ags, csv_quote(r.name), l.baustein, format_euros(l.total));
    for (std::size_t k = 0; k < l.alone.size(); ++k) out += "," + format_euros(l.alone[k]) + "," + format_euros(l.stacked[k]);
    out += "\n";
  }
  return out;
}

std::string decompose_summary(const Decomposition& d, const std::vector<std::string>& steps) {
  // Money moved by a step: half the sum of its changes' magnitudes (the money it shifts).
  std::string out = "\nDecomposition (each step alone on the base, and stacked in chain order; money moved):\n";
  out += fmt::format("  {:<4} {:<36} {:>16} {:>16} {:>16}\n", "step", "scenario", "alone EUR", "stacked EUR", "interaction EUR");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    __int128 alone = 0, stacked = 0;
    for (const auto& l : d.lines) alone += l.alone[k] < 0 ? -l.alone[k] : l.alone[k], stacked += l.stacked[k] < 0 ? -l.stacked[k] : l.stacked[k];
    out += fmt::format("  {:<4} {:<36} {:>16} {:>16} {:>16}\n", k + 1, pad(steps[k], 36), format_half_cents(static_cast<Cents>(alone)),
                       format_half_cents(static_cast<Cents>(stacked)), format_euros(d.interaction[k]));
  }
  out += "  Per territory and Baustein in decompose.csv; there the stacked effects add up to the whole\n"
         "  difference exactly. Interaction is the sum of |alone - stacked|: 0 where a step's effect does\n"
         "  not depend on the steps before it.\n";
  return out;
}

}  // namespace kimsim::io
