// report.html: the one file a person opens to read a result. Two pure steps, so that a change in
// numbers shows as a change in data, not in markup:
//   1. the report's data: money in integer cents, positions in half VZÄ, no formatted text,
//      embedded in the page as the data island <script type="application/json" id="data">.
//      `kimsim run` builds it as typed rows (RunReport), written to the island by a direct JSON
//      writer: the run's report is the one written on every run, and building a JSON tree to look
//      its fields up again cost more than the page itself. The other reports build their island
//      as JSON (*_report_data());
//   2. report_html(): the page rendered from that data alone, server-side: static tables and
//      SVG charts (readable without JavaScript and printable), inline CSS, and a small inline
//      script for sorting and searching only. No network request, no timestamp: the same inputs
//      give the same bytes.
// German by default (German number format and the programme's terms); English with --lang en.
#pragma once

#include <nlohmann/json.hpp>
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/compare_report.hpp"
#include "io/report.hpp"
#include "io/scenario.hpp"
#include "kimsim/compare.hpp"
#include "kimsim/model.hpp"

namespace kimsim {
struct SimulationResult;
struct SimulationSpec;
}  // namespace kimsim

namespace kimsim::io {

using Lang = kimsim::Lang;  // kimsim/notes.hpp: the notes speak both languages too
/// "de" or "en"; nothing for any other text.
std::optional<Lang> parse_lang(std::string_view text);
std::string_view lang_code(Lang lang);

/// The report of `kimsim run`: headline, the rows of each Baustein, the Kreis-level areas (a
/// Kreis or kreisfreie Stadt with everything paid to any region inside it) with positions, euros
/// and euros per 1,000 inhabitants, the Lorenz curve and Gini of euros per inhabitant over those
/// areas, validation, assumptions, sources, notes, provenance. Plain rows that point into the
/// scenario and its allocation (names, AGS, texts): it lives no longer than they do.
struct RunReport {
  /// A recipient's row in the table of its Baustein.
  struct Row {
    const Region* region = nullptr;
    const std::string* kreis = nullptr;  ///< the name of a Gemeinde's Kreis
    Halves halves = 0;
    Cents cents = 0;
    double key_share = 0;                       ///< to 9 decimals, as allocation.csv
    const std::string* passed_on_by = nullptr;  ///< the Kreis that passed this share on
    std::optional<Halves> passes_on;            ///< what a Kreis passes on to its Gemeinden
    /// The Gemeinden that waived their share (a name, or the AGS as the scenario gives it).
    std::optional<std::vector<const std::string*>> waived;
  };
  struct Baustein {
    const kimsim::Baustein* baustein = nullptr;  ///< id, name
    const BausteinTotals* totals = nullptr;      ///< budget, allocated, unallocated, positions
    std::vector<Row> rows;
  };
  /// A region of an area with what it receives per Baustein (none where it has no row).
  struct Member {
    const Region* region = nullptr;
    std::vector<std::optional<std::pair<Halves, Cents>>> by_baustein;
  };
  /// A Kreis or kreisfreie Stadt with everything paid to any region inside it.
  struct Area {
    const Region* region = nullptr;
    Cents cents = 0;
    Halves halves = 0;
    std::vector<Halves> halves_by_baustein;
    std::vector<std::pair<const std::string*, double>> indicators;  ///< by name
    std::optional<double> population;
    std::optional<Cents> per_1000_cents;                ///< where it has inhabitants
    std::vector<std::optional<double>> key_share;       ///< per Baustein, its own row's
    std::vector<Member> members;                        ///< the area's own row first
  };
  struct Lorenz {
    double gini = 0;
    std::vector<std::pair<double, double>> points;  ///< (share of inhabitants, share of funds)
  };

  Lang lang = Lang::de;
  const Scenario* scenario = nullptr;  ///< name, programme, year, budget, assumptions, sources
  Cents allocated = 0, unallocated = 0;
  Halves halves = 0;
  std::vector<Baustein> bausteine;
  std::vector<Area> areas;
  std::optional<Cents> average_per_1000_cents;  ///< with the Lorenz curve, where any inhabitants
  std::optional<Lorenz> lorenz;
  std::vector<ValidationRow> validation;
  std::vector<Note> notes;
  const std::string* scenario_sha256 = nullptr;
  std::vector<std::string> extends;  ///< the chain of scenarios a variant extends
};
RunReport run_report(const LoadedScenario& ls, const Allocation& a, Lang lang);
/// The run's page.
std::string report_html(const RunReport& r);
/// The run's data island as it stands in the page (see data_island below).
std::string data_island(const RunReport& r);

/// The data island of `kimsim compare`: per scenario the totals, per variant winners, losers and
/// the change per territory, the indices side by side, the paradox flags, the decomposition;
/// with `simulated` (compare --replications) its Monte Carlo section: replications, seed, the
/// variance ratios and the largest movers with p_lose and the p05–p95 band of the difference.
nlohmann::json compare_report_data(const Comparison& c, const std::vector<ComparedRun>& runs,
                                   const Decomposition* parts, Lang lang,
                                   const CompareSimulation* simulated = nullptr);

/// The data island of `kimsim simulate`: per recipient, Baustein and year the p05, median and p95
/// of positions and euros, the probability of receiving nothing and the outflow; statewide
/// spending and fairness with their Monte Carlo errors (taken from the summary already written).
nlohmann::json simulation_report_data(const LoadedScenario& ls, const SimulationResult& r,
                                      const nlohmann::json& summary, Lang lang);

/// The data island of `kimsim sweep`: the sweep at a glance (points, allocated, refused, the
/// rounding), the best and worst point per metric and what moves each (from its summary.json),
/// and the first rows of its sweep.csv: kSweepRowsShown, fewer where a row has many columns, so
/// that the page stays well under 2 MB (about 75 bytes a cell in the table and the island).
inline constexpr std::size_t kSweepRowsShown = 2000;
constexpr std::size_t sweep_rows_shown(std::size_t columns) {
  return columns == 0 ? kSweepRowsShown : std::min<std::size_t>(kSweepRowsShown, 20000 / columns);
}
nlohmann::json sweep_report_data(const nlohmann::json& summary, std::string_view sweep_csv, const std::string& scenario,
                                 const std::string& scenario_sha256, Lang lang);

/// The data island of `kimsim calibrate`, from its calibrate.json (`calibrate`, numbers already
/// rounded to what the fit determines): the fitted weights with their bootstrap intervals, the
/// base, the fit and its leave-one-out errors, per observation observed, fitted, apportioned,
/// the errors, treatment and source, the years, the notes (ids and values, said in the page's
/// language) and the variant to run next.
nlohmann::json calibrate_report_data(const nlohmann::json& calibrate, const std::vector<Note>& notes, const std::string& baustein_name,
                                     const std::string& scenario_sha256, Lang lang);

/// What the what-if page of `kimsim serve` shows of a comparison, drawn by the compare report's
/// own functions (one chart, one wording): the diverging winners/losers chart of the first variant
/// as inline SVG (a <figure>), and each paradox flag in plain words, in the island's language.
struct WhatIfFigures {
  std::string diverging_svg;
  std::vector<std::string> paradoxes;
};
WhatIfFigures whatif_figures(const nlohmann::json& compare_data);
/// The page, rendered from a data island of compare, simulate, sweep or calibrate (its "kind").
std::string report_html(const nlohmann::json& data);

/// The island as it stands in the page: JSON with every '<' escaped, so that no name can close
/// the script element early.
std::string data_island(const nlohmann::json& data);

}  // namespace kimsim::io
