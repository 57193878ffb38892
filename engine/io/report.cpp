#include "io/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "io/csv.hpp"
#include "io/output.hpp"
#include "kimsim/version.hpp"

namespace kimsim::io {

namespace {

/// Pads or cuts UTF-8 text to `width` characters (printf counts bytes, and names have umlauts).
std::string pad(const std::string& text, std::size_t width) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool lead = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (lead && chars == width) break;
    chars += lead;
    out += text[i];
  }
  return out + std::string(width - chars, ' ');
}

/// The largest and the smallest allocation of a Baustein (by euros), or nulls if it has none.
std::pair<const AllocationRow*, const AllocationRow*> extremes(const Allocation& a, std::size_t baustein) {
  const AllocationRow* hi = nullptr;
  const AllocationRow* lo = nullptr;
  for (const auto& r : a.rows) {
    if (r.baustein != baustein) continue;
    if (!hi || r.cents > hi->cents) hi = &r;
    if (!lo || r.cents < lo->cents) lo = &r;
  }
  return {hi, lo};
}

}  // namespace

std::vector<ValidationRow> validation_rows(const LoadedScenario& ls, const Allocation& a) {
  std::vector<ValidationRow> v;
  v.reserve(ls.scenario.observed.size());
  for (const auto& [key, observed] : ls.scenario.observed) {
    const std::string id = key.substr(0, key.find(':')), ags = key.substr(key.find(':') + 1);
    Halves model = 0;
    // A Kreis' positions include the shares it passed on to its Gemeinden.
    const std::size_t region = *ls.regions.find(ags);
    for (const auto& r : a.rows)
      if (ls.scenario.bausteine[r.baustein].id == id && (r.region == region || r.passed_on_by == region))
        model += r.halves;
    v.push_back({id, ags, &ls.regions.list[region].name, observed, static_cast<double>(model) / 2.0});
  }
  return v;
}

std::string allocation_csv(const LoadedScenario& ls, const Allocation& a) {
  std::string out = "ags,name,type,baustein,positions,euros,key_share,quota,note\n";
  for (const auto& r : a.rows) {
    const Region& g = ls.regions.list[r.region];
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{:.9f},{:.4f},{}\n", g.ags, csv_quote(g.name),
                   csv_quote(region_type_name(g.type)), ls.scenario.bausteine[r.baustein].id,
                   format_positions(r.halves), format_euros(r.cents), r.key_share, r.quota, csv_quote(r.note));
  }
  return out;
}

std::vector<Note> run_notes(const LoadedScenario& ls, const Allocation& a) {
  std::vector<Note> notes = ls.regions.notes;
  notes.insert(notes.end(), a.notes.begin(), a.notes.end());
  return notes;
}

nlohmann::json summary_json(const LoadedScenario& ls, const Allocation& a) {
  const Scenario& s = ls.scenario;
  nlohmann::json j;
  j["scenario"] = s.name;
  j["programme"] = s.programme;
  j["year"] = s.year;
  j["budget_eur"] = format_euros(s.budget);
  Cents allocated = 0, unallocated = 0;
  Halves halves = 0;
  j["bausteine"] = nlohmann::json::array();
  for (std::size_t b = 0; b < s.bausteine.size(); ++b) {
    const auto& t = a.totals[b];
    allocated += t.allocated, unallocated += t.unallocated, halves += t.halves;
    nlohmann::json bj = {{"id", s.bausteine[b].id},
                         {"name", s.bausteine[b].name},
                         {"budget_eur", format_euros(t.budget)},
                         {"allocated_eur", format_euros(t.allocated)},
                         {"unallocated_eur", format_euros(t.unallocated)},
                         {"positions", static_cast<double>(t.halves) / 2.0},
                         {"recipients", t.recipients}};
    if (t.unallocated > 0) bj["unallocated_reason"] = t.unallocated_reason;
    const auto [hi, lo] = extremes(a, b);
    for (auto [name, r] : {std::pair{"largest", hi}, std::pair{"smallest", lo}})
      if (r) bj[name] = {{"ags", ls.regions.list[r->region].ags}, {"name", ls.regions.list[r->region].name},
                         {"euros", format_euros(r->cents)}, {"positions", static_cast<double>(r->halves) / 2.0}};
    if (!s.bausteine[b].sources.empty()) bj["sources"] = s.bausteine[b].sources;
    j["bausteine"].push_back(bj);
  }
  j["allocated_eur"] = format_euros(allocated);
  j["unallocated_eur"] = format_euros(unallocated);
  j["accounted_eur"] = format_euros(allocated + unallocated);
  j["positions"] = static_cast<double>(halves) / 2.0;
  if (!s.observed.empty()) {
    j["validation"] = nlohmann::json::array();
    for (const ValidationRow& v : validation_rows(ls, a))
      j["validation"].push_back({{"baustein", v.baustein}, {"ags", v.ags}, {"name", *v.name},
                                 {"observed_positions", v.observed_positions}, {"model_positions", v.model_positions}});
  }
  if (s.published_positions_over) j["published_positions_over"] = *s.published_positions_over;
  // The statewide count by Baustein and kind of position, and how it stands against the
  // published count: the difference as a number, and the assumption that closes it.
  j["positions_by_kind"] = nlohmann::json::array();
  for (std::size_t b = 0; b < s.bausteine.size(); ++b)
    for (const auto& [kind, h] : a.totals[b].kinds)
      j["positions_by_kind"].push_back({{"baustein", s.bausteine[b].id}, {"kind", kind}, {"positions", static_cast<double>(h) / 2.0}});
  if (s.published_positions_over) {
    nlohmann::json p = {{"published_over", *s.published_positions_over},
                        {"modelled", static_cast<double>(halves) / 2.0},
                        {"difference", static_cast<double>(halves) / 2.0 - *s.published_positions_over}};
    if (!s.published_reconciliation.empty()) p["closed_by"] = s.published_reconciliation;
    j["published_positions"] = p;
  }
  j["assumptions"] = s.assumptions;
  j["sources"] = s.sources;
  j["notes"] = nlohmann::json::array();
  for (const Note& n : run_notes(ls, a)) j["notes"].push_back(note_text(n));
  j["provenance"] = {{"scenario_sha256", ls.input_sha256.at(0)}, {"kimsim_version", kVersion}};
  // A variant names the chain of scenarios it extends (the hashes of each are in the manifest).
  if (ls.chain > 1)
    j["provenance"]["extends"] = std::vector<std::string>(ls.inputs.begin() + 1, ls.inputs.begin() + long(ls.chain));
  return j;
}

nlohmann::json manifest_json(const LoadedScenario& ls, const std::string& command_line, const std::string& time) {
  nlohmann::json inputs = nlohmann::json::array();
  for (std::size_t i = 0; i < ls.inputs.size(); ++i) inputs.push_back({{"path", ls.inputs[i]}, {"sha256", ls.input_sha256.at(i)}});
  return {{"kimsim_version", kVersion},
          {"kimsim_commit", kGitCommit},
          {"scenario", ls.path},
          {"scenario_sha256", ls.input_sha256.at(0)},
          {"inputs", inputs},
          {"seed", nullptr},
          {"command_line", command_line},
          {"time_utc", time}};
}

std::string terminal_summary(const LoadedScenario& ls, const Allocation& a, const std::string& out_dir) {
  const Scenario& s = ls.scenario;
  std::string o;
  const auto out = std::back_inserter(o);
  fmt::format_to(out, "{} — {} ({}), budget {} EUR\n", s.programme, s.name, s.year, format_euros(s.budget));
  // A variant names the chain of scenarios it extends.
  for (std::size_t k = 1; k < ls.chain; ++k) fmt::format_to(out, "{}{}", k == 1 ? "a variant of " : ", which extends ", ls.inputs[k]);
  fmt::format_to(out, "{}", ls.chain > 1 ? "\n\n" : "\n");
  // The table's columns; names are padded by pad() (characters, not bytes: they have umlauts).
  constexpr auto row = "{:<4} {} {:>15} {:>15} {:>13} {:>9} {:>5}\n";
  fmt::format_to(out, row, "", pad("Baustein", 44), "budget EUR", "allocated EUR", "unalloc. EUR", "positions", "recip");
  Cents al = 0, un = 0;
  Halves h = 0;
  for (std::size_t b = 0; b < s.bausteine.size(); ++b) {
    const auto& t = a.totals[b];
    al += t.allocated, un += t.unallocated, h += t.halves;
    fmt::format_to(out, row, s.bausteine[b].id, pad(s.bausteine[b].name, 44), format_euros(t.budget),
                   format_euros(t.allocated), format_euros(t.unallocated), format_positions(t.halves), t.recipients);
  }
  fmt::format_to(out, "{:<4} {} {:>15} {:>15} {:>13} {:>9}\n\n", "", pad("total", 44), format_euros(s.budget),
                 format_euros(al), format_euros(un), format_positions(h));
  for (std::size_t b = 0; b < s.bausteine.size(); ++b) {
    if (a.totals[b].unallocated > 0)
      fmt::format_to(out, "{}: {} EUR unallocated ({})\n", s.bausteine[b].id, format_euros(a.totals[b].unallocated),
                     a.totals[b].unallocated_reason);
    const auto [hi, lo] = extremes(a, b);
    // Positions only for a Baustein that funds positions (money_by_key has none).
    const auto positions = [&](const AllocationRow* r) {
      return a.totals[b].halves ? fmt::format(" ({} VZÄ)", format_positions(r->halves)) : std::string();
    };
    if (hi && lo)
      fmt::format_to(out, "{}: largest {} {} EUR{}, smallest {} {} EUR{}\n", s.bausteine[b].id,
                     ls.regions.list[hi->region].name, format_euros(hi->cents), positions(hi),
                     ls.regions.list[lo->region].name, format_euros(lo->cents), positions(lo));
  }
  // {:g}: six significant digits, as this line has always written the published figure.
  if (s.published_positions_over)
    fmt::format_to(out, "\nPositions: {} VZÄ modelled; published: over {:g}{}", format_positions(h),
                   *s.published_positions_over,
                   static_cast<double>(h) / 2.0 > *s.published_positions_over ? " (consistent)\n"
                                                                              : " (below the published figure)\n");
  // By kind where a Baustein funds several, or the scenario reconciles the published count.
  if (!s.published_reconciliation.empty() ||
      std::any_of(a.totals.begin(), a.totals.end(), [](const BausteinTotals& t) { return t.kinds.size() > 1; })) {
    o += "By kind:";
    for (std::size_t b = 0; b < s.bausteine.size(); ++b)
      for (const auto& [kind, kh] : a.totals[b].kinds) fmt::format_to(out, " {} {} {};", s.bausteine[b].id, kind, format_positions(kh));
    o.back() = '\n';
    if (s.published_positions_over && !s.published_reconciliation.empty())
      fmt::format_to(out, "Difference to the published count: {:+g} VZÄ{}\n", static_cast<double>(h) / 2.0 - *s.published_positions_over,
                     s.published_reconciliation.empty() ? "" : "; " + s.published_reconciliation);
  }
  if (!s.observed.empty()) {
    o += "\nValidation against observed positions (a Kreis includes the shares it passed on):\n";
    for (const ValidationRow& v : validation_rows(ls, a))
      fmt::format_to(out, "  {:<3} {} observed {:5.1f}  model {:5.1f}\n", v.baustein, pad(*v.name, 40), v.observed_positions,
                     v.model_positions);
  }
  const std::vector<Note> notes = run_notes(ls, a);
  if (!notes.empty()) o += "\nNotes:\n";
  for (const auto& n : notes) fmt::format_to(out, "  {}\n", note_text(n));
  fmt::format_to(out, "\nResults: {}/ (allocation.csv, summary.json, report.html, manifest.json)\n", out_dir);
  return o;
}

}  // namespace kimsim::io
