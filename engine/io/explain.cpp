// `kimsim explain`: a recipient's trace, found by AGS or name, rendered as text or JSON.
#include "io/explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "io/suggest.hpp"
#include "kimsim/format.hpp"

namespace kimsim::io {
namespace {

/// Lower case for matching names: ASCII and the German capitals Ä, Ö, Ü (UTF-8 C3 84, C3 96,
/// C3 9C -> C3 A4, C3 B6, C3 BC), so that "BÖNEN" finds Bönen.
std::string lower(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c == 0xC3 && i + 1 < out.size()) {
      const auto d = static_cast<unsigned char>(out[i + 1]);
      if (d == 0x84 || d == 0x96 || d == 0x9C) out[i + 1] = static_cast<char>(d + 0x20);
      ++i;
    } else {
      out[i] = static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

/// "05978 Unna (Kreis)"
std::string region_text(const Region& r) { return r.ags + " " + r.name + " (" + std::string(region_type_name(r.type)) + ")"; }

/// Display columns of UTF-8 text: its code points (the names are Latin letters, umlauts and ß).
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::size_t find_recipient(const Regions& regions, std::string_view who, std::string* also) {
  if (const auto r = regions.find(who)) return *r;
  const std::string want = lower(who);
  std::vector<std::size_t> whole, before_comma;
  for (std::size_t i = 0; i < regions.list.size(); ++i) {
    const std::string name = lower(regions.list[i].name);
    if (name == want) whole.push_back(i);
    else if (const auto comma = name.find(','); comma != std::string::npos && name.compare(0, comma, want) == 0)
      before_comma.push_back(i);
  }
  std::vector<std::size_t>& found = whole.empty() ? before_comma : whole;
  // "Unna" is the Kreis' whole name and the Stadt's before its comma: the whole name wins, and
  // the other is named, so that nobody reads the Kreis' trace as the Stadt's.
  if (also && whole.size() == 1 && !before_comma.empty()) {
    const Region& taken = regions.list[whole[0]];
    std::string others;
    for (const std::size_t i : before_comma)
      if (!(taken.type == RegionType::kreisfreie_stadt && regions.list[i].kreis == taken.ags))
        others += (others.empty() ? "" : ", ") + region_text(regions.list[i]);
    if (!others.empty())
      *also = fmt::format("'{}' is taken as {}, the whole name; {} is named so before its comma: give its AGS or full name "
                          "for it", who, region_text(taken), others);
  }
  // A kreisfreie Stadt is also listed as its own single Gemeinde (Köln 05315 and 05315000), which
  // receives nothing itself: the name means the Stadt.
  if (found.size() == 2)
    for (std::size_t k = 0; k < 2; ++k)
      if (regions.list[found[k]].type == RegionType::kreisfreie_stadt && regions.list[found[1 - k]].kreis == regions.list[found[k]].ags)
        return found[k];
  if (found.size() == 1) return found[0];
  const std::string quoted = "'" + std::string(who) + "'";
  if (found.size() > 1) {
    std::string list;
    for (const std::size_t i : found) list += (list.empty() ? "" : ", ") + region_text(regions.list[i]);
    throw InputError(fmt::format("{} names {} regions: {}; give the AGS", quoted, found.size(), list));
  }
  // The closest AGS or name, within a third of the word's length (as "did you mean" elsewhere).
  std::size_t best = regions.list.size(), best_d = std::max<std::size_t>(2, letters(who) / 3) + 1;
  for (std::size_t i = 0; i < regions.list.size(); ++i)
    for (const std::string& word : {regions.list[i].ags, lower(regions.list[i].name),
                                    lower(regions.list[i].name.substr(0, regions.list[i].name.find(',')))})
      if (const std::size_t d = edit_distance(want, word); d < best_d) best_d = d, best = i;
  const std::string hint = best < regions.list.size() ? " (did you mean " + region_text(regions.list[best]) + "?)" : "";
  throw InputError(fmt::format("{}: no region of the scenario's data has this AGS or name{}", quoted, hint));
}

Explanation explain(const LoadedScenario& ls, const Plan& plan, std::size_t region,
                    const std::optional<std::string>& baustein) {
  const Scenario& s = ls.scenario;
  const Region& r = ls.regions.list.at(region);
  std::optional<std::size_t> only;
  if (baustein) {
    std::vector<std::string> ids;
    for (std::size_t bi = 0; bi < s.bausteine.size(); ++bi) {
      ids.push_back(s.bausteine[bi].id);
      if (s.bausteine[bi].id == *baustein) only = bi;
    }
    if (!only)
      throw s.places.error("bausteine", fmt::format("--baustein {}: no Baustein has this id{}; the scenario has {}", *baustein,
                                                    did_you_mean(*baustein, ids), comma_list(ids)));
  }
  Draft d;
  plan.evaluate({}, d);
  Explanation e{region, {}};
  std::vector<std::string> receives;
  for (std::size_t row = 0; row < plan.rows().size(); ++row) {
    const Plan::Row& p = plan.rows()[row];
    if (p.region != region || !d.present[row]) continue;
    receives.push_back(s.bausteine[p.baustein].id);
    if (!only || *only == p.baustein) e.bausteine.push_back({p.baustein, row, {}, d.halves[row], d.cents[row]});
  }
  const std::string from = receives.empty() ? "it receives from no Baustein" : "it receives from " + comma_list(receives);
  if (only && e.bausteine.empty())
    throw s.places.error(baustein_path(s, *only, "recipients"),
                         fmt::format("{} receives nothing from {}: {}", region_text(r), s.bausteine[*only].id, from));
  if (e.bausteine.empty()) throw s.places.error("bausteine", fmt::format("{}: {} of the scenario", region_text(r), from));
  for (auto& b : e.bausteine) b.steps = plan.describe({}, b.row);
  return e;
}

std::string explain_text(const LoadedScenario& ls, const Explanation& e) {
  constexpr std::size_t kWidth = 100, kLabel = 34;
  // The scenario on a line of its own where the recipient and it do not fit on one.
  const std::string who = region_text(ls.regions.list[e.region]), in = fmt::format("in {} ({})", ls.scenario.name, ls.path);
  std::string text = columns(who) + 1 + columns(in) <= kWidth ? fmt::format("{} {}\n", who, in) : fmt::format("{}\n  {}\n", who, in);
  auto out = std::back_inserter(text);
  for (const auto& b : e.bausteine) {
    const Baustein& bs = ls.scenario.bausteine[b.baustein];
    // A Baustein without a rate per VZÄ (money by key) allocates money alone.
    const std::string positions = bs.rate_per_vza > 0 || b.halves != 0 ? format_positions(b.halves) + " VZÄ, " : "";
    fmt::format_to(out, "\n{} {}: {}{} EUR\n", bs.id, bs.name, positions, format_euros(b.cents));
    std::size_t label = 0;
    for (const auto& step : b.steps) label = std::max(label, std::min(kLabel, columns(step.label)));
    const std::string indent(label + 4, ' ');
    for (const auto& step : b.steps) {
      // Label, value and place in columns: a value too long for the width wraps at its spaces,
      // and a place that would run past it goes on a line of its own.
      std::string line = fmt::format("  {}{}  ", step.label, std::string(label - std::min(label, columns(step.label)), ' '));
      bool first = true;
      for (std::size_t p = 0; p <= step.value.size();) {
        const std::size_t q = std::min(step.value.find(' ', p), step.value.size());
        const std::string_view word = std::string_view(step.value).substr(p, q - p);
        if (!first && columns(line) + 1 + columns(word) > kWidth) {
          fmt::format_to(out, "{}\n", line);
          line = indent + std::string(word);
        } else line += (first ? "" : " ") + std::string(word);
        first = false;
        p = q + 1;
      }
      if (step.place.empty()) fmt::format_to(out, "{}\n", line);
      else if (columns(line) + 3 + columns(step.place) <= kWidth) fmt::format_to(out, "{}  [{}]\n", line, step.place);
      else if (columns(step.place) + 2 + 4 <= kWidth)  // under the value, or as far left as it needs to end within the width
        fmt::format_to(out, "{}\n{}[{}]\n", line,
                       std::string(std::clamp<std::size_t>(kWidth - std::min(kWidth, columns(step.place) + 2), 4, indent.size()), ' '),
                       step.place);
      else {  // longer than a line: wrapped at its spaces, indented by 4
        fmt::format_to(out, "{}\n", line);
        const std::string place = "[" + step.place + "]";
        std::string part(4, ' ');
        for (std::size_t p = 0; p <= place.size();) {
          const std::size_t q = std::min(place.find(' ', p), place.size());
          const std::string_view word = std::string_view(place).substr(p, q - p);
          if (part.size() > 4 && columns(part) + 1 + columns(word) > kWidth) {
            fmt::format_to(out, "{}\n", part);
            part = std::string(4, ' ');
          }
          part += (part.size() > 4 ? " " : "") + std::string(word);
          p = q + 1;
        }
        fmt::format_to(out, "{}\n", part);
      }
    }
  }
  return text;
}

nlohmann::json explain_json(const LoadedScenario& ls, const Explanation& e) {
  const Region& r = ls.regions.list[e.region];
  nlohmann::json j;
  j["scenario"] = ls.scenario.name;
  j["scenario_sha256"] = ls.input_sha256.empty() ? "" : ls.input_sha256.front();
  j["recipient"] = {{"ags", r.ags}, {"name", r.name}, {"type", std::string(region_type_key(r.type))}};
  j["bausteine"] = nlohmann::json::array();
  for (const auto& b : e.bausteine) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : b.steps) {
      nlohmann::json s = {{"label", step.label}, {"value", step.value}, {"place", step.place}};
      if (!step.whole.empty()) s["whole"] = step.whole;
      if (!step.real.empty()) s["real"] = step.real;
      steps.push_back(std::move(s));
    }
    j["bausteine"].push_back({{"id", ls.scenario.bausteine[b.baustein].id},
                              {"steps", std::move(steps)},
                              {"positions", static_cast<double>(b.halves) / 2.0},
                              {"cents", b.cents}});
  }
  return j;
}

}  // namespace kimsim::io
