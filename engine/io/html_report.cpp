#include "io/html_report.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <array>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <map>
#include <numeric>
#include <unordered_map>

#include "io/csv.hpp"
#include "io/output.hpp"
#include "io/report.hpp"
#include "io/sim_report.hpp"
#include "io/text.hpp"
#include "kimsim/version.hpp"

namespace kimsim::io {

namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Labels: every text of the page in both languages, in one table.

struct Label {
  const char* key;
  const char* de;
  const char* en;
};

constexpr Label kLabels[] = {
    {"title_run", "Mittelverteilung", "Allocation"},
    {"title_compare", "Vergleich der Varianten", "Comparison of variants"},
    {"title_simulate", "Monte-Carlo-Simulation", "Monte Carlo simulation"},
    {"headline", "Auf einen Blick", "At a glance"},
    {"budget", "Budget", "Budget"},
    {"allocated", "Zugewiesen", "Allocated"},
    {"unallocated", "Nicht zugewiesen", "Unallocated"},
    {"reason", "Grund", "Reason"},
    {"positions", "Stellen", "Positions"},
    {"vza", "VZÄ", "FTE (VZÄ)"},
    {"euro", "Euro", "Euros"},
    {"recipients", "Empfänger", "Recipients"},
    {"published_over", "veröffentlicht: über", "published: over"},
    {"consistent", "stimmig", "consistent"},
    {"below_published", "unter der veröffentlichten Zahl", "below the published figure"},
    {"baustein", "Baustein", "Baustein"},
    {"bausteine", "Bausteine", "Bausteine"},
    {"name", "Name", "Name"},
    {"ags", "AGS", "AGS"},
    {"type", "Art", "Type"},
    {"kreis", "Kreis", "Kreis"},
    {"key_share", "Schlüsselanteil", "Key share"},
    {"note", "Hinweis", "Note"},
    {"total", "Summe", "Total"},
    {"search", "Suche nach Kreis, Gemeinde oder AGS", "Search for a Kreis, Gemeinde or AGS"},
    {"search_hint", "Filtert alle Empfängertabellen.", "Filters every table of recipients."},
    {"sort_hint", "Spaltenköpfe sortieren die Tabelle.", "Column headers sort the table."},
    {"rows_shown", "Zeilen angezeigt", "rows shown"},
    {"type_kreis", "Kreis", "Kreis"},
    {"type_kreisfreie_stadt", "kreisfreie Stadt", "kreisfreie Stadt"},
    {"type_gemeinde", "Gemeinde", "Gemeinde"},
    {"passed_on_by", "Weiterleitung durch", "passed on (Weiterleitung) by"},
    {"passes_on", "leitet an Gemeinden weiter:", "passes on to Gemeinden:"},
    {"waived", "verzichtet:", "waived:"},
    {"areas", "Kreise und kreisfreie Städte", "Kreise and kreisfreie Städte"},
    {"areas_hint", "Ein Kreis mit allem, was an Gemeinden in ihm fließt.",
     "A Kreis with everything paid to Gemeinden inside it."},
    {"population", "Einwohner", "Inhabitants"},
    {"per_1000", "Euro je 1.000 Einwohner", "Euros per 1,000 inhabitants"},
    {"chart_positions", "Stellen je Kreis bzw. kreisfreier Stadt, nach Baustein",
     "Positions per Kreis or kreisfreie Stadt, by Baustein"},
    {"chart_per_1000", "Euro je 1.000 Einwohner je Kreis bzw. kreisfreier Stadt",
     "Euros per 1,000 inhabitants per Kreis or kreisfreie Stadt"},
    {"chart_lorenz", "Lorenzkurve der Euro je Einwohner", "Lorenz curve of euros per inhabitant"},
    {"lorenz_x", "Anteil der Einwohner (kumuliert)", "Share of inhabitants (cumulative)"},
    {"lorenz_y", "Anteil der Mittel (kumuliert)", "Share of funds (cumulative)"},
    {"equality", "Gleichverteilung", "Equal distribution"},
    {"gini", "Gini-Koeffizient", "Gini coefficient"},
    {"average", "Landesdurchschnitt", "State average"},
    {"text_alt", "Die Werte stehen in der Tabelle", "The values are in the table"},
    {"quote_open", "„", "“"},
    {"quote_close", "“", "”"},
    {"validation", "Abgleich mit beobachteten Stellen", "Validation against observed positions"},
    {"observed", "beobachtet (VZÄ)", "observed (VZÄ)"},
    {"model", "Modell (VZÄ)", "model (VZÄ)"},
    {"difference", "Differenz", "Difference"},
    {"validation_hint", "Ein Kreis einschließlich der Anteile, die er weiterleitet.",
     "A Kreis including the shares it passes on."},
    {"assumptions", "Annahmen", "Assumptions"},
    {"sources", "Quellen", "Sources"},
    {"notes", "Hinweise zu den Daten", "Notes on the data"},
    {"provenance", "Herkunft", "Provenance"},
    {"version", "kimsim-Version", "kimsim version"},
    {"commit", "Commit", "Commit"},
    {"scenario_hash", "SHA-256 des Szenarios", "SHA-256 of the scenario"},
    {"extends", "Variante von", "Variant of"},
    {"csv_note", "Die maschinenlesbaren Werte stehen in den CSV-Dateien neben diesem Bericht.",
     "The machine-readable values are in the CSV files beside this report."},
    {"steckbriefe", "Steckbriefe der Kreise und kreisfreien Städte", "Profiles of the Kreise and kreisfreie Städte"},
    {"steckbrief", "Steckbrief", "Profile"},
    {"key_values", "Kennzahlen", "Key values"},
    {"region", "Gebietskörperschaft", "Local authority"},
    {"indicator", "Kennzahl", "Indicator"},
    {"value", "Wert", "Value"},
    {"nothing", "keine Zuweisung", "nothing allocated"},
    {"contents", "Inhalt", "Contents"},
    // compare
    {"scenario", "Szenario", "Scenario"},
    {"base", "Basis", "Base"},
    {"variant", "Variante", "Variant"},
    {"winners", "Gewinner", "Winners"},
    {"losers", "Verlierer", "Losers"},
    {"gained", "Zugewinn", "Gained"},
    {"lost", "Verlust", "Lost"},
    {"moved", "Umverteilt", "Money moved"},
    {"change", "Veränderung", "Change"},
    {"delta_vza", "Δ VZÄ", "Δ VZÄ"},
    {"delta_euro", "Δ Euro", "Δ euros"},
    {"territories", "Gebiete", "Territories"},
    {"territory_hint", "Ein Gebiet ist ein Empfänger mit den Gemeinden, an die sein Kreis weiterleitet.",
     "A territory is a recipient with the Gemeinden its Kreis passes shares on to."},
    {"chart_diverging", "Gewinne und Verluste je Gebiet (alle Bausteine)",
     "Gains and losses per territory (all Bausteine)"},
    {"indices", "Kennziffern nebeneinander", "Indices side by side"},
    {"gallagher_key", "Gallagher (Schlüssel)", "Gallagher (key)"},
    {"lh_key", "Loosemore-Hanby (Schlüssel)", "Loosemore-Hanby (key)"},
    {"gallagher_quota", "Gallagher (Quote)", "Gallagher (quota)"},
    {"lh_quota", "Loosemore-Hanby (Quote)", "Loosemore-Hanby (quota)"},
    {"max_min", "Max/Min Euro je Einwohner", "Max/min euros per inhabitant"},
    {"held_min", "am Minimum", "held at minimum"},
    {"held_max", "am Maximum", "held at maximum"},
    {"paradoxes", "Paradoxien", "Paradoxes"},
    {"no_paradox", "Keine Paradoxie gefunden.", "No paradox found."},
    {"decomposition", "Zerlegung in Schritte", "Decomposition into steps"},
    {"alone", "allein", "alone"},
    {"stacked", "gestapelt", "stacked"},
    {"step", "Schritt", "Step"},
    {"interaction", "Wechselwirkung", "Interaction"},
    {"gain", "Gewinn", "Gain"},
    {"loss", "Verlust", "Loss"},
    // sweep
    {"title_sweep", "Parameterstudie", "Parameter sweep"},
    {"sweep_base", "Basisszenario", "Base scenario"},
    {"design", "Versuchsplan", "Design"},
    {"design_grid", "Gitter (alle Kombinationen)", "grid (every combination)"},
    {"design_lhs", "Latin Hypercube", "Latin hypercube"},
    {"design_sobol", "Sobol-Folge", "Sobol sequence"},
    {"points", "Punkte", "Points"},
    {"point", "Punkt", "Point"},
    {"points_ok", "verteilt", "allocated"},
    {"points_refused", "vom Modell abgelehnt", "refused by the model"},
    {"status_ok", "verteilt", "allocated"},
    {"status_refused", "abgelehnt", "refused"},
    {"message", "Meldung", "Message"},
    {"status", "Status", "Status"},
    {"parameter", "Parameter", "Parameter"},
    {"best_worst", "Beste und schlechteste Punkte", "Best and worst points"},
    {"best_worst_hint", "Je Kennzahl der Punkt mit dem besten und dem schlechtesten Wert (mehr Stellen, weniger nicht verteilte Mittel, kleinerer Gini, kleineres Max/Min, weniger Paradoxien sind besser).",
     "Per metric the point with the best and the worst value (more positions, less money left, a smaller Gini, a smaller max/min ratio and fewer paradoxes are better)."},
    {"best", "Bester Wert", "Best value"},
    {"worst", "Schlechtester Wert", "Worst value"},
    {"at_point", "bei Punkt", "at point"},
    {"what_moves", "Was die Kennzahlen bewegt", "What moves the metrics"},
    {"sens_grid", "Haupteffekt: der Mittelwert der Kennzahl über alle Punkte je Wert des Parameters, größter minus kleinster (in der Einheit der Kennzahl).",
     "Main effect: the metric's mean over the points at each value of the parameter, largest minus smallest (in the metric's unit)."},
    {"sens_rank", "Rangkorrelation nach Spearman zwischen Parameter und Kennzahl über alle verteilten Punkte (−1 bis 1).",
     "Spearman's rank correlation between parameter and metric over the allocated points (−1 to 1)."},
    {"chart_sensitivity", "Wirkung der Parameter auf", "Effect of the parameters on"},
    {"effect", "Wirkung", "Effect"},
    {"all_points", "Alle Punkte", "All points"},
    {"points_shown", "Die ersten {0} von {1} Punkten; alle stehen in sweep.csv.", "The first {0} of {1} points; all are in sweep.csv."},
    {"rounding", "Rundung", "Rounding"},
    {"metric_positions", "Stellen (VZÄ)", "Positions (FTE, VZÄ)"},
    {"metric_unallocated_eur", "Nicht verteilte Mittel (€)", "Money left (€)"},
    {"metric_gini_eur_per_inhabitant", "Gini der Euro je Einwohner", "Gini of euros per inhabitant"},
    {"metric_max_min_ratio", "Max/Min der Euro je Einwohner", "Max/min ratio of euros per inhabitant"},
    {"metric_paradoxes", "Paradoxien gegenüber der Basis", "Paradoxes against the base"},
    {"metrics_mc", "Die Kennzahlen sind Mittelwerte über die Replikationen je Punkt (gemeinsame Zufallszahlen).",
     "The metrics are means over each point's replications (common random numbers)."},
    // simulate
    {"replications", "Replikationen", "Replications"},
    {"seed", "Startwert (Seed)", "Seed"},
    {"year", "Jahr", "Year"},
    {"p05", "p05", "p05"},
    {"median", "Median", "Median"},
    {"p95", "p95", "p95"},
    {"p_nothing", "Wahrscheinlichkeit, nichts zu erhalten", "Probability of receiving nothing"},
    {"outflow", "Mittelabfluss (Mittel)", "Outflow (mean)"},
    {"spent", "Ausgegeben", "Spent"},
    {"unspent", "Nicht ausgegeben", "Unspent"},
    {"mean", "Mittelwert", "Mean"},
    {"sd", "Standardabweichung", "Standard deviation"},
    {"mc_error", "MC-Fehler", "MC error"},
    {"fairness", "Verteilungsgerechtigkeit", "Fairness"},
    {"chart_band", "Stellen je Empfänger: Median und Band p05–p95",
     "Positions per recipient: median and p05–p95 band"},
    {"band", "Band p05–p95", "p05–p95 band"},
    {"csv_only_years", "Je Empfänger zeigt dieser Bericht das erste und das letzte Jahr ({} und {}); die Werte der Jahre {} stehen in simulation.csv.",
     "Per recipient this report shows the first and the last year ({} and {}); those of the years {} are in simulation.csv."},
    // compare --replications
    {"mc", "Unter Unsicherheit (Monte Carlo)", "Under uncertainty (Monte Carlo)"},
    {"mc_intro", "Jedes Szenario wurde mit denselben Zufallszahlen simuliert (gleicher Startwert, gleiche Replikationen): Die Unterschiede kommen aus den Regeln, nicht aus dem Zufall.",
     "Every scenario was simulated on the same random numbers (the same seed, the same replications): the differences come from the rules, not from chance."},
    {"variance_ratio", "Varianzverhältnis", "Variance ratio"},
    {"variance_ratio_hint", "Varianz der Differenz geteilt durch die Varianz, die sie mit unabhängigen Zufallszahlen hätte, über die Gebiete eines Bausteins. Unter 1: Die gemeinsamen Zufallszahlen machen den Vergleich genauer.",
     "The variance of the difference over the variance it would have on independent random numbers, over the territories of a Baustein. Below 1: the common random numbers make the comparison more precise."},
    {"top_movers", "Die größten Veränderungen", "The largest changes"},
    {"top_movers_hint", "Je Variante und Jahr die zehn Gebiete und Bausteine mit der größten mittleren Veränderung in Euro: das Band p05–p95 und der Median der Differenz (Variante minus Basis) und die Wahrscheinlichkeit, weniger zu erhalten. Alle Gebiete stehen in compare_mc.csv.",
     "Per variant and year the ten territories and Bausteine with the largest mean change in euros: the p05–p95 band and the median of the difference (variant minus base) and the probability of receiving less. Every territory is in compare_mc.csv."},
    {"p_lose", "Wahrscheinlichkeit, weniger zu erhalten", "Probability of receiving less"},
    {"chart_mc_band", "Veränderung in Euro: Median und Band p05–p95", "Change in euros: median and p05–p95 band"},
    // calibrate
    {"title_calibrate", "Kalibrierung des Schlüssels", "Calibration of the key"},
    {"cal_from", "Beobachtungen aus", "Observations from"},
    {"cal_fitted_obs", "Angepasste Beobachtungen", "Observations fitted"},
    {"cal_of", "von", "of"},
    {"cal_parameters", "Angepasste Parameter", "Parameters fitted"},
    {"cal_mae", "Mittlerer absoluter Fehler (MAE)", "Mean absolute error (MAE)"},
    {"cal_loo_mae", "MAE ohne die vorhergesagte Beobachtung (Leave-one-out)", "Leave-one-out MAE (each predicted without itself)"},
    {"cal_variant", "Variante zum Rechnen", "Variant to run"},
    {"cal_weights", "Angepasste Gewichte des Schlüssels", "Fitted weights of the key"},
    {"cal_weights_hint", "Je Kennzahl ihr Gewicht im Schlüssel (die Gewichte summieren sich zu 1) und die Spanne, in der es in 90 % von {0} Bootstrap-Stichproben der Beobachtungen liegt (Startwert {1}): Je breiter die Spanne, desto weniger legen die Beobachtungen das Gewicht fest.",
     "Per indicator its weight in the key (the weights sum to 1) and the range it lies in for 90 % of {0} bootstrap resamples of the observations (seed {1}): the wider the range, the less the observations determine the weight."},
    {"cal_no_bootstrap", "Ohne Bootstrap (--bootstrap 0): Wie fest die Beobachtungen die Gewichte bestimmen, ist nicht geschätzt.",
     "Without a bootstrap (--bootstrap 0): how firmly the observations determine the weights is not estimated."},
    {"weight", "Gewicht", "Weight"},
    {"cal_written", "in der Variante", "in the variant"},
    {"at_bound", "an der Grenze 0", "at the bound 0"},
    {"yes", "ja", "yes"},
    {"no", "nein", "no"},
    {"chart_weights", "Gewichte des Schlüssels mit Bootstrap-Band 5–95 %", "Weights of the key with their bootstrap 5–95 % band"},
    {"cal_fitted_weight", "angepasstes Gewicht", "fitted weight"},
    {"cal_base", "Sockel je Empfänger (VZÄ)", "Base per recipient (VZÄ)"},
    {"cal_base_fixed", "wie im Szenario", "as in the scenario"},
    {"cal_base_fitted", "angepasst", "fitted"},
    {"cal_fit", "Anpassung je Beobachtung", "Fit per observation"},
    {"cal_fit_hint", "Beobachtet: die veröffentlichten Stellen. Angepasst: die Quote, die der angepasste Schlüssel ergibt. Zugeteilt: die Stellen, die das Modell mit dem Schlüssel der Variante zuteilt (ein Kreis mit den Anteilen, die er weiterleitet). Fehler: angepasst minus beobachtet. LOO: die Vorhersage aus allen anderen Beobachtungen.",
     "Observed: the positions published. Fitted: the quota the fitted key gives. Apportioned: the positions the model allocates with the variant's key (a Kreis with the shares it passes on). Error: fitted minus observed. LOO: the prediction from all other observations."},
    {"chart_fit", "Beobachtete und angepasste Stellen je Beobachtung", "Observed and fitted positions per observation"},
    {"fit_x", "beobachtet (VZÄ)", "observed (VZÄ)"},
    {"fit_y", "angepasst (VZÄ)", "fitted (VZÄ)"},
    {"fit_diagonal", "beobachtet = angepasst", "observed = fitted"},
    {"kind", "Art", "Kind"},
    {"kind_vza", "VZÄ", "FTE (VZÄ)"},
    {"kind_headcount", "Köpfe", "headcount"},
    {"cal_apportioned", "zugeteilt (VZÄ)", "apportioned (VZÄ)"},
    {"cal_error", "Fehler", "Error"},
    {"cal_loo", "LOO-Vorhersage", "LOO prediction"},
    {"cal_loo_error", "LOO-Fehler", "LOO error"},
    {"treatment", "Behandlung", "Treatment"},
    {"source", "Quelle", "Source"},
    {"treatment_budget", "angepasst gegen das Budget des Jahres", "fitted against the budget of its year"},
    {"treatment_shares", "angepasst auf Anteile (Budget des Jahres nicht gegeben)", "fitted on shares (the budget of its year is not given)"},
    {"treatment_alone", "einzige Beobachtung ihres Jahres: nur gezeigt", "the only observation of its year: shown only"},
    {"treatment_headcount", "Köpfe, keine VZÄ: nur gezeigt", "a headcount, not VZÄ: shown only"},
    {"treatment_passed-on", "von ihrem Kreis weitergeleiteter Anteil: nur gezeigt", "a share passed on by its Kreis: shown only"},
    {"short_budget", "Budget", "budget"},
    {"short_shares", "Anteile", "shares"},
    {"short_alone", "allein", "alone"},
    {"short_headcount", "Köpfe", "headcount"},
    {"short_passed-on", "weitergeleitet", "passed on"},
    {"treatment_not-modelled", "von ihrem Kreis weitergeleiteter Anteil, den das Szenario nicht weiterleitet: nur gezeigt", "a share passed on by its Kreis that the scenario does not pass on: shown only"},
    {"short_not-modelled", "nicht modelliert", "not modelled"},
    {"cal_treatments", "Behandlung: Budget – angepasst gegen das Budget des Jahres; Anteile – angepasst auf Anteile (das Budget des Jahres ist nicht gegeben: nur die Verhältnisse der Beobachtungen des Jahres zählen); allein, Köpfe, weitergeleitet, nicht modelliert – nur gezeigt, nicht angepasst (die einzige Beobachtung eines Jahres auf Anteilen, Personen statt VZÄ, ein von einem Kreis weitergeleiteter Anteil, im Szenario weitergeleitet oder nicht).",
     "Treatment: budget – fitted against the year's budget; shares – fitted on shares (the year's budget is not given: only the proportions among the year's observations count); alone, headcount, passed on, not modelled – shown, not fitted (the only observation of a year on shares, persons instead of VZÄ, a share passed on by a Kreis, which the scenario passes on or not)."},
    {"cal_quality", "Güte der Anpassung", "Quality of the fit"},
    {"cal_in_sample", "Anpassung", "Fit"},
    {"cal_leave_one_out", "Leave-one-out", "Leave-one-out"},
    {"cal_count", "Beobachtungen", "Observations"},
    {"cal_rmse", "Wurzel des mittleren quadratischen Fehlers (RMSE)", "Root mean square error (RMSE)"},
    {"cal_max_error", "Größter Fehler", "Largest error"},
    {"cal_years", "Jahre der Anpassung", "Years of the fit"},
    {"cal_budget_positions", "Stellen aus dem Budget (VZÄ)", "Positions the budget buys (VZÄ)"},
    {"cal_by_key", "Stellen nach Schlüssel (VZÄ)", "Positions by key (VZÄ)"},
    {"cal_notes", "Hinweise zur Anpassung", "Notes on the fit"},
    {"cal_model", "Modell", "Model"},
    {"cal_next", "Als Nächstes", "Next"},
    {"cal_next_text", "Neben diesem Bericht liegt die Variante {0}: Sie erweitert das Szenario um den angepassten Schlüssel (mit einer [A]-Annahme, die die Anpassung nennt). Im Ordner dieses Berichts gerechnet:",
     "Beside this report lies the variant {0}: it extends the scenario by the fitted key (with an [A] assumption naming the fit). Run it in this report's folder:"},
};

/// Renders a page in one language: labels, numbers, escaping.
class Page {
 public:
  explicit Page(Lang lang) : lang_(lang) {}
  Lang lang() const { return lang_; }

  std::string t(std::string_view key) const {
    // Looked up a few times per table row: a map built once, not a scan of the table.
    static const std::unordered_map<std::string_view, const Label*> index = [] {
      std::unordered_map<std::string_view, const Label*> m;
      for (const Label& l : kLabels) m.emplace(l.key, &l);
      return m;
    }();
    const auto it = index.find(key);
    if (it == index.end()) return std::string(key);  // a missing label shows its key: visible, never a crash
    return lang_ == Lang::de ? it->second->de : it->second->en;
  }
  /// A number written with a decimal point ("-1234.5") in the page's language.
  std::string plain(std::string_view p) const {
    if (lang_ == Lang::de) return german_number(p);
    // English: commas between groups of three, a decimal point.
    std::string g = german_number(p);
    for (char& c : g) c = c == '.' ? ',' : c == ',' ? '.' : c;
    return g;
  }
  std::string euros(Cents c) const {
    return lang_ == Lang::de ? german_euros(c) : "€" + plain(format_euros(c));
  }
  /// Half positions in the page's format ("1.234,5" or "1,234.5"): digit by digit, the same text
  /// as plain(format_positions(h)) without formatting it twice (a page writes hundreds).
  std::string vza(Halves h) const {
    const std::uint64_t m = h < 0 ? 0 - static_cast<std::uint64_t>(h) : static_cast<std::uint64_t>(h);
    const char group = lang_ == Lang::de ? '.' : ',', point = lang_ == Lang::de ? ',' : '.';
    char digits[32];  // backwards: 2^63 / 2 has 19 digits, with 6 separators
    std::size_t n = 0;
    std::uint64_t w = m / 2;
    for (int in_group = 0;; ++in_group) {
      if (in_group == 3) digits[n++] = group, in_group = 0;
      digits[n++] = static_cast<char>('0' + w % 10);
      w /= 10;
      if (w == 0) break;
    }
    std::string out;
    out.reserve(n + 3);
    if (h < 0) out += '-';
    while (n > 0) out += digits[--n];
    out += point;
    out += m % 2 ? '5' : '0';
    return out;
  }
  std::string signed_vza(Halves h) const {
    return (h > 0 ? "+" : h < 0 ? "−" : "") + plain(format_positions(h < 0 ? -h : h));
  }
  std::string signed_euros(Cents c) const { return (c > 0 ? "+" : c < 0 ? "−" : "") + euros(c < 0 ? -c : c); }
  std::string number(double v, int decimals) const {
    // Whole numbers shown without decimals (inhabitants, indicators, ticks) as integer digits:
    // the same text as the float format, at a fraction of its cost.
    if (decimals == 0 && v == std::floor(v) && std::abs(v) < 1e15 && !std::signbit(v)) return plain(std::to_string(static_cast<long long>(v)));
    return plain(fmt::format("{:.{}f}", v, decimals));
  }
  std::string percent(double share, int decimals) const { return number(share * 100.0, decimals) + "\u00A0%"; }
  std::string count(long long n) const { return plain(std::to_string(n)); }
  /// A quotation in the page's language: „…“ in German, “…” in English.
  std::string quote(std::string_view text) const { return t("quote_open") + std::string(text) + t("quote_close"); }

 private:
  Lang lang_;
};

/// The characters esc() replaces, as a table: one look-up a character.
constexpr auto kEscaped = [] {
  std::array<bool, 256> t{};
  for (const unsigned char c : {'&', '<', '>', '"'}) t[c] = true;
  return t;
}();

std::string esc(std::string_view s) {
  // The page escapes a few thousand texts, nearly all without a character to escape: such a text
  // is copied whole, and otherwise the runs between the characters replaced are appended whole.
  std::size_t i = 0;
  while (i < s.size() && !kEscaped[static_cast<unsigned char>(s[i])]) ++i;
  if (i == s.size()) return std::string(s);
  std::string o;
  o.reserve(s.size() + 16);
  std::size_t from = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (!kEscaped[static_cast<unsigned char>(c)]) continue;
    o.append(s.data() + from, i - from);
    o += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : "&quot;";
    from = i + 1;
  }
  return o.append(s.data() + from, s.size() - from);
}

/// Lower case for the search index: ASCII and the German umlauts (names are UTF-8).
std::string fold(std::string_view s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && i + 1 < s.size()) {
      const unsigned char d = static_cast<unsigned char>(s[i + 1]);
      // Ä Ö Ü (0x84 0x96 0x9C) to ä ö ü (0xA4 0xB6 0xBC).
      o += static_cast<char>(c);
      o += static_cast<char>(d == 0x84 || d == 0x96 || d == 0x9C ? d + 0x20 : d);
      ++i;
    } else {
      o += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  return o;
}

Cents cents_of(const json& j) { return j.get<Cents>(); }

/// The run's data island written straight from its rows: the bytes nlohmann's dump() gives for
/// the same values, so that the island's goldens and the browser test read it unchanged — keys in
/// byte order (the callers write each object's keys so), integers in decimal, doubles as
/// nlohmann's own to_chars writes them (the shortest text that reads back the same; null for a
/// NaN), strings as they are but for '"', '\\' and the control characters — and every '<' as
/// \u003c, so that no name can close the script element. The inputs are checked to be UTF-8 when
/// read, but a path is not (a folder `v\xff/`): each byte that is not UTF-8 becomes U+FFFD
/// (dump_json(), by nlohmann, writes one U+FFFD for a cut sequence of several such bytes).
class JsonWriter {
  /// The characters a JSON string escapes (and '<'), as a table: one look-up a character.
  static constexpr auto kEscaped = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
    for (const unsigned char c : {'"', '\\', '<'}) t[c] = true;
    for (int c = 0x80; c < 0x100; ++c) t[static_cast<std::size_t>(c)] = true;  // checked as UTF-8
    return t;
  }();

 public:
  explicit JsonWriter(std::string& out) : o_(out) {}
  JsonWriter& open_object() { return sep(), o_ += '{', comma_ = false, *this; }
  JsonWriter& close_object() { return o_ += '}', comma_ = true, *this; }
  JsonWriter& open_array() { return sep(), o_ += '[', comma_ = false, *this; }
  JsonWriter& close_array() { return o_ += ']', comma_ = true, *this; }
  /// A key of the object open; the next call writes its value.
  JsonWriter& key(std::string_view k) {
    text(k);
    o_ += ':';
    comma_ = false;
    return *this;
  }
  JsonWriter& null() { return sep(), o_ += "null", *this; }
  JsonWriter& integer(std::int64_t v) {
    sep();
    char buf[24];
    return o_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr), *this;
  }
  JsonWriter& number(double v) {
    sep();
    if (!std::isfinite(v)) return o_ += "null", *this;
    char buf[64];
    return o_.append(buf, nlohmann::detail::to_chars(buf, buf + sizeof buf, v)), *this;
  }
  JsonWriter& text(std::string_view v) {
    sep();
    o_ += '"';
    std::size_t from = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(v[i]);
      if (!kEscaped[c]) continue;
      if (c >= 0x80) {
        if (const std::size_t n = utf8_length(v, i)) {
          i += n - 1;
          continue;
        }
      }
      o_.append(v.data() + from, i - from);
      from = i + 1;
      switch (c) {
        case '"': o_ += "\\\""; break;
        case '\\': o_ += "\\\\"; break;
        case '\b': o_ += "\\b"; break;
        case '\t': o_ += "\\t"; break;
        case '\n': o_ += "\\n"; break;
        case '\f': o_ += "\\f"; break;
        case '\r': o_ += "\\r"; break;
        default:
          if (c >= 0x80)
            o_ += "\xEF\xBF\xBD";  // U+FFFD, a byte that is not UTF-8
          else
            fmt::format_to(std::back_inserter(o_), "\\u{:04x}", c);
      }
    }
    o_.append(v.data() + from, v.size() - from);
    return o_ += '"', *this;
  }
  JsonWriter& texts(const std::vector<std::string>& v) {
    open_array();
    for (const auto& t : v) text(t);
    return close_array();
  }

 private:
  void sep() {
    if (comma_) o_ += ',';
    comma_ = true;
  }
  std::string& o_;
  bool comma_ = false;
};

// The Okabe–Ito palette: distinguishable with every common colour-vision deficiency.
constexpr const char* kPalette[] = {"#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#000000"};

/// Ticks for an axis from 0 to `max`: a step of 1, 2 or 5 times a power of ten, about 5 ticks.
std::vector<double> ticks(double lo, double hi) {
  const double span = std::max(hi - lo, 1e-9);
  const double raw = span / 5.0, p = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / p < 1.5 ? p : raw / p < 3.5 ? 2 * p : raw / p < 7.5 ? 5 * p : 10 * p;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

// ---------------------------------------------------------------------------------------------
// The page frame: head with the stylesheet, the script, the footer.

constexpr const char* kStyle = R"CSS(
:root{--ink:#1a1a1a;--muted:#555;--line:#c8c8c8;--band:#f3f3f3;--accent:#0072B2}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-variant-ligatures:none;color:var(--ink);margin:0 auto;max-width:1100px;padding:1rem 1.5rem;line-height:1.4;font-size:15px}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:2px solid var(--accent);padding-bottom:.2rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.sub{color:var(--muted);margin:0 0 1rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top}
thead th{background:var(--band);border-bottom:2px solid #999}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th.n{white-space:normal}
tbody tr:nth-child(even){background:#fafafa}
tfoot td{font-weight:600;border-top:2px solid #999}
th button{all:inherit;cursor:pointer;padding:0}
th button::after{content:" \2195";color:#999;font-size:.8em}
th[aria-sort=ascending] button::after{content:" \2191";color:var(--ink)}
th[aria-sort=descending] button::after{content:" \2193";color:var(--ink)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.6rem;margin:.6rem 0 1rem;padding:0}
.cards div{border:1px solid var(--line);border-left:4px solid var(--accent);padding:.4rem .7rem}
.cards dt{color:var(--muted);font-size:.85rem}.cards dd{margin:0;font-size:1.2rem;font-weight:600}
.cards dd small{display:block;font-size:.8rem;font-weight:400;color:var(--muted)}
.search{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap;margin:.6rem 0;position:sticky;top:0;background:#fff;padding:.4rem 0;z-index:1}
.search input{font:inherit;padding:.3rem .5rem;min-width:20rem;border:1px solid #888;border-radius:3px}
figure{margin:1rem 0;break-inside:avoid}figcaption{color:var(--muted);font-size:.85rem}
svg{max-width:100%;height:auto;font-family:inherit}
svg text{font-size:11px;fill:var(--ink)}svg .axis{stroke:#666;stroke-width:1}svg .grid{stroke:#ddd;stroke-width:1}
.legend{display:flex;gap:1rem;flex-wrap:wrap;font-size:.85rem;margin:.3rem 0}
.legend span::before{content:"";display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;background:var(--c);vertical-align:-.1rem}
.pos{color:#0072B2}.neg{color:#D55E00}
.flag{border-left:4px solid #D55E00;padding:.3rem .6rem;background:#fff7f0;margin:.4rem 0}
footer{margin-top:2rem;border-top:1px solid var(--line);padding-top:.5rem;color:var(--muted);font-size:.85rem}
footer code{word-break:break-all}
nav ol{columns:2;font-size:.9rem}
.steckbrief{border-top:2px solid var(--line);margin-top:1.5rem}
[hidden]{display:none!important}
@media print{
 @page{size:A4;margin:14mm 12mm}
 body{max-width:none;padding:0;font-size:9pt}
 .search,nav,th button::after{display:none}
 table{font-size:8pt;page-break-inside:auto}
 tr,figure,.cards div,.flag{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group}
 tfoot{display:table-row-group}
 td,th{overflow-wrap:break-word;padding:.15rem .3rem}
 table.sim,table.mc,#t-areas{font-size:7pt}
 #t-decompose{font-size:6.5pt}#t-decompose td.n{white-space:normal}
 #t-points{font-size:6.5pt}#t-points th{overflow-wrap:anywhere;white-space:normal}
 h2,h3{break-after:avoid;page-break-after:avoid}
 .steckbrief{break-before:page;page-break-before:always;border:0}
 a{color:inherit;text-decoration:none}
}
)CSS";

// The calibrate page: its table of observations has twelve columns, the sources long texts.
constexpr const char* kCalibrateStyle = R"CSS(#t-observations{font-size:.8rem}td.src{color:var(--muted);min-width:11rem}
pre{background:var(--band);padding:.5rem .7rem;overflow-x:auto}
@media print{#t-observations{font-size:6.5pt}#t-observations td.src{font-size:6pt;min-width:0}#t-observations thead th{overflow-wrap:anywhere;white-space:normal}#t-observations tbody th{white-space:nowrap}}
)CSS";

// Sorting and searching only: the page is complete without it.
constexpr const char* kScript = R"JS(
(function(){
var n=function(s){return parseFloat(s)};
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('thead th').forEach(function(th,i){
  var b=document.createElement('button');b.type='button';b.textContent=th.textContent;th.textContent='';th.appendChild(b);
  b.addEventListener('click',function(){
   var asc=th.getAttribute('aria-sort')!=='ascending';
   t.querySelectorAll('thead th').forEach(function(o){o.removeAttribute('aria-sort')});
   th.setAttribute('aria-sort',asc?'ascending':'descending');
   var num=th.classList.contains('n'),body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
   rows.sort(function(x,y){
    var a=x.cells[i].getAttribute('data-v'),c=y.cells[i].getAttribute('data-v');
    if(a===null)a=x.cells[i].textContent;if(c===null)c=y.cells[i].textContent;
    var r=num?n(a)-n(c):a.localeCompare(c,document.documentElement.lang);
    return asc?r:-r});
   rows.forEach(function(r){body.appendChild(r)})})})});
var q=document.getElementById('q');
if(q){var out=document.getElementById('q-count');
 q.addEventListener('input',function(){
  var s=q.value.trim().toLowerCase(),shown=0,all=0;
  document.querySelectorAll('table.filterable tbody tr').forEach(function(r){
   var hit=!s||r.getAttribute('data-q').indexOf(s)>=0;r.hidden=!hit;all++;if(hit)shown++});
  out.textContent=shown+' / '+all})}
})();
)JS";

/// `style`: rules only one kind of page needs, after the common stylesheet (the other pages keep
/// their bytes).
void head(std::string& o, const Page& p, const std::string& title, std::string_view style = {}) {
  fmt::format_to(std::back_inserter(o),
                 "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta name=\"generator\" content=\"kimsim {}\">\n<title>{}</title>\n<style>{}{}</style>\n</head>\n<body>\n",
                 lang_code(p.lang()), kVersion, esc(title), kStyle, style);
}

/// The footer with the provenance, the data island (as data_island() writes it), the script.
void tail(std::string& o, const Page& p, std::string_view version, std::string_view commit, std::string_view scenario_sha256,
          const std::vector<std::string>& extends, std::string_view island) {
  o += "<footer>\n<p>" + esc(p.t("csv_note")) + "</p>\n<p>" + esc(p.t("provenance")) + ": " + esc(p.t("version")) + " " + esc(version) +
       " · " + esc(p.t("commit")) + " <code>" + esc(commit) + "</code> · " + esc(p.t("scenario_hash")) + " <code>" + esc(scenario_sha256) + "</code>";
  if (!extends.empty()) {
    o += " · " + esc(p.t("extends")) + ":";
    for (const auto& e : extends) o += " " + esc(e);
  }
  o.append("</p>\n</footer>\n<script type=\"application/json\" id=\"data\">").append(island).append("</script>\n<script>").append(kScript);
  o += "</script>\n</body>\n</html>\n";
}

void tail(std::string& o, const Page& p, const json& data) {
  const json& pv = data["provenance"];
  tail(o, p, pv.value("kimsim_version", ""), pv.value("kimsim_commit", ""), pv.value("scenario_sha256", ""),
       pv.value("extends", std::vector<std::string>()), data_island(data));
}

/// The search box over the tables with class "filterable".
void search_box(std::string& o, const Page& p) {
  o += "<div class=\"search\" role=\"search\"><label for=\"q\">" + esc(p.t("search")) +
       "</label> <input id=\"q\" type=\"search\" autocomplete=\"off\"> <output id=\"q-count\" for=\"q\"></output> <span class=\"sub\">" +
       esc(p.t("search_hint")) + " " + esc(p.t("sort_hint")) + "</span></div>\n";
}

/// A table cell with a number: shown in the page's format, sorted by its plain value.
std::string num_td(const std::string& shown, const std::string& sort_value) {
  // One allocation: about a thousand cells a page.
  constexpr std::string_view open = "<td class=\"n\" data-v=\"", mid = "\">", close = "</td>";
  std::string o;
  o.reserve(open.size() + sort_value.size() + mid.size() + shown.size() + close.size());
  return o.append(open).append(sort_value).append(mid).append(shown).append(close);
}

// ---------------------------------------------------------------------------------------------
// Tables: every table of the page opens and closes here, so that all look and behave alike — a
// caption, a header row whose numeric columns align right and sort as numbers, the body rows,
// an optional footer row.

/// A column: its header (plain text), whether it holds numbers, and any further attribute of its
/// header cell (data-col: what the browser test reads).
struct Column {
  std::string header;
  bool numeric = false;
  std::string attrs = {};
};

/// Opens a table (`attrs`: its id and classes, as HTML attributes) with its caption (plain text)
/// and header row; the caller writes the body rows.
void open_table(std::string& o, std::string_view attrs, std::string_view caption, const std::vector<Column>& columns) {
  o += "<table";
  if (!attrs.empty()) o.append(" ").append(attrs);
  o.append("><caption>").append(esc(caption)).append("</caption>\n<thead><tr>");
  for (const Column& c : columns) {
    o += c.numeric ? "<th scope=\"col\" class=\"n\"" : "<th scope=\"col\"";
    if (!c.attrs.empty()) o.append(" ").append(c.attrs);
    o.append(">").append(esc(c.header)).append("</th>");
  }
  o += "</tr></thead>\n<tbody>\n";
}

/// Closes the body and the table, with a footer row of these cells (HTML) if any.
void close_table(std::string& o, std::string_view foot = {}) {
  if (!foot.empty()) o.append("</tbody>\n<tfoot><tr>").append(foot).append("</tr></tfoot>\n</table>\n");
  else o += "</tbody>\n</table>\n";
}

/// A numeric cell without a sort value of its own (`html` already escaped).
std::string num_cell(std::string_view html) { return "<td class=\"n\">" + std::string(html) + "</td>"; }

std::string list(const std::vector<std::string>& items) {
  std::string o = "<ul>\n";
  for (const auto& i : items) o += "<li>" + esc(i) + "</li>\n";
  return o + "</ul>\n";
}
std::string list(const json& items) { return list(items.get<std::vector<std::string>>()); }

/// The notes kimsim wrote, as the island holds them (an id and its values), in the page's language.
std::string note_list(const Page& p, const std::vector<Note>& notes) {
  std::string o = "<ul>\n";
  for (const auto& n : notes) o += "<li>" + esc(note_text(n, p.lang())) + "</li>\n";
  return o + "</ul>\n";
}
std::string note_list(const Page& p, const json& notes) {
  std::vector<Note> typed;
  for (const auto& n : notes) typed.push_back({n["id"].get<std::string>(), n["args"].get<std::vector<std::string>>()});
  return note_list(p, typed);
}

json notes_json(const std::vector<Note>& notes) {
  json o = json::array();
  for (const Note& n : notes) o.push_back({{"id", n.id}, {"args", n.args}});
  return o;
}

// ---------------------------------------------------------------------------------------------
// Charts, server-side SVG. Each has a <title>, a <desc> (the text alternative, also naming the
// table that holds its values), axis labels, and ids unique in the page.

/// A ranked horizontal bar chart, stacked by series: `rows` of (label, values per series).
std::string bar_chart(const Page& p, const std::string& id, const std::string& title, const std::string& desc,
                      const std::string& x_label, const std::vector<std::string>& series,
                      const std::vector<std::pair<std::string, std::vector<double>>>& rows) {
  const double left = 190, right = 20, top = 10, row_h = 14, axis_h = 40, width = 760;
  const double plot_w = width - left - right, height = top + row_h * static_cast<double>(rows.size()) + axis_h;
  double max = 0;
  for (const auto& r : rows) max = std::max(max, std::accumulate(r.second.begin(), r.second.end(), 0.0));
  if (max <= 0) max = 1;  // nothing to draw (money without positions): an empty axis, not a division by 0
  const std::vector<double> tk = ticks(0, max);
  const double hi = std::max(max, tk.empty() ? 1.0 : tk.back());
  auto x = [&](double v) { return left + plot_w * v / hi; };
  std::string o;
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<figure>\n<svg id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\">\n"
                      "<title id=\"{0}-t\">{3}</title>\n<desc id=\"{0}-d\">{4}</desc>\n"),
                 id, width, height, esc(title), esc(desc));
  for (double v : tk)
    fmt::format_to(out, FMT_COMPILE("<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n"),
                   x(v), top, height - axis_h, height - axis_h + 14, esc(p.number(v, v == std::floor(v) ? 0 : 1)));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row_h * static_cast<double>(i);
    fmt::format_to(out, FMT_COMPILE("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>"), left - 6, y + row_h * 0.75, esc(rows[i].first));
    double acc = 0;
    for (std::size_t s = 0; s < rows[i].second.size(); ++s) {
      const double v = rows[i].second[s];
      if (v > 0)
        fmt::format_to(out, FMT_COMPILE("<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"{}\"/>"), x(acc), y + 1.5,
                       x(acc + v) - x(acc), row_h - 3, kPalette[s % std::size(kPalette)]);
      acc += v;
    }
    o += "\n";
  }
  fmt::format_to(out, FMT_COMPILE("<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>\n"), left, top, height - axis_h);
  fmt::format_to(out, FMT_COMPILE("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>\n"), left + plot_w / 2, height - 6, esc(x_label));
  o += "<figcaption><div class=\"legend\">";
  for (std::size_t s = 0; s < series.size(); ++s)
    fmt::format_to(out, FMT_COMPILE("<span style=\"--c:{}\">{}</span>"), kPalette[s % std::size(kPalette)], esc(series[s]));
  return o + "</div>" + esc(desc) + "</figcaption>\n</figure>\n";
}

/// A ranked dot chart with a reference line (the average).
std::string dot_chart(const Page& p, const std::string& id, const std::string& title, const std::string& desc,
                      const std::string& x_label, const std::vector<std::pair<std::string, double>>& rows,
                      double reference, const std::string& reference_label) {
  const double left = 190, right = 20, top = 10, row_h = 13, axis_h = 40, width = 760;
  const double plot_w = width - left - right, height = top + row_h * static_cast<double>(rows.size()) + axis_h;
  double max = reference;
  for (const auto& r : rows) max = std::max(max, r.second);
  if (max <= 0) max = 1;
  const std::vector<double> tk = ticks(0, max);
  const double hi = std::max(max, tk.empty() ? 1.0 : tk.back());
  auto x = [&](double v) { return left + plot_w * v / hi; };
  std::string o;
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<figure>\n<svg id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\">\n"
                      "<title id=\"{0}-t\">{3}</title>\n<desc id=\"{0}-d\">{4}</desc>\n"),
                 id, width, height, esc(title), esc(desc));
  for (double v : tk)
    fmt::format_to(out, FMT_COMPILE("<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n"),
                   x(v), top, height - axis_h, height - axis_h + 14, esc(p.number(v, 0)));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row_h * static_cast<double>(i) + row_h / 2;
    fmt::format_to(out, FMT_COMPILE("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text><line class=\"grid\" x1=\"{}\" x2=\"{:.2f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/><circle cx=\"{:.2f}\" cy=\"{:.1f}\" r=\"4\" fill=\"#D55E00\"/>\n"),
                   left - 6, y + 4, esc(rows[i].first), left, x(rows[i].second), y, y, x(rows[i].second), y);
  }
  fmt::format_to(out, FMT_COMPILE("<line x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#0072B2\" stroke-dasharray=\"4 3\"/>\n"), x(reference), top, height - axis_h);
  fmt::format_to(out, FMT_COMPILE("<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>\n"), left, top, height - axis_h);
  fmt::format_to(out, FMT_COMPILE("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>\n"), left + plot_w / 2, height - 6, esc(x_label));
  fmt::format_to(out, FMT_COMPILE("<figcaption><div class=\"legend\"><span style=\"--c:#D55E00\">{}</span><span style=\"--c:#0072B2\">{}: {}</span></div>{}</figcaption>\n</figure>\n"),
                 esc(x_label), esc(reference_label), esc(p.number(reference, 2)), esc(desc));
  return o;
}

/// The Lorenz curve: points (cumulative population share, cumulative funds share).
std::string lorenz_chart(const Page& p, const std::string& id, const RunReport::Lorenz& lorenz) {
  const double size = 300, left = 60, top = 30, bottom = 50;
  const double width = left + size + 30, height = top + size + bottom;
  auto X = [&](double v) { return left + size * v; };
  auto Y = [&](double v) { return top + size * (1 - v); };
  const double gini = lorenz.gini;
  const std::string title = std::string(p.t("chart_lorenz")) + " (" + std::string(p.t("gini")) + " " + p.number(gini, 3) + ")";
  std::string desc = fmt::format("{}: {}. {}.", p.t("gini"), p.number(gini, 3), p.t("text_alt") + " " + p.quote(p.t("areas")));
  std::string o;
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<figure>\n<svg id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\">\n"
                      "<title id=\"{0}-t\">{3}</title>\n<desc id=\"{0}-d\">{4}</desc>\n"),
                 id, width, height, esc(title), esc(desc));
  for (double v : {0.0, 0.25, 0.5, 0.75, 1.0})
    fmt::format_to(out, FMT_COMPILE("<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><line class=\"grid\" x1=\"{3}\" x2=\"{4}\" y1=\"{5:.1f}\" y2=\"{5:.1f}\"/>"
                        "<text x=\"{0:.1f}\" y=\"{6}\" text-anchor=\"middle\">{7}</text><text x=\"{8}\" y=\"{9:.1f}\" text-anchor=\"end\">{7}</text>\n"),
                   X(v), top, top + size, left, left + size, Y(v), top + size + 14, esc(p.percent(v, 0)), left - 4, Y(v) + 4);
  std::string pts;
  for (const auto& [share_pop, share_funds] : lorenz.points) fmt::format_to(std::back_inserter(pts), FMT_COMPILE("{:.2f},{:.2f} "), X(share_pop), Y(share_funds));
  fmt::format_to(out, FMT_COMPILE("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"), X(0), Y(0), X(1), Y(1));
  fmt::format_to(out, FMT_COMPILE("<polyline points=\"{}\" fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\"/>\n"), pts);
  fmt::format_to(out, FMT_COMPILE("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"), X(0.5), height - 12, esc(p.t("lorenz_x")));
  fmt::format_to(out, FMT_COMPILE("<text transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n"), Y(0.5), esc(p.t("lorenz_y")));
  fmt::format_to(out, FMT_COMPILE("<text x=\"{}\" y=\"18\">{}</text>\n</svg>\n"), left, esc(title));
  fmt::format_to(out, FMT_COMPILE("<figcaption><div class=\"legend\"><span style=\"--c:#0072B2\">{}</span><span style=\"--c:#999\">{}</span></div>{}</figcaption>\n</figure>\n"),
                 esc(p.t("chart_lorenz")), esc(p.t("equality")), esc(desc));
  return o;
}

// ---------------------------------------------------------------------------------------------
// The run report.


/// Why money is left, in the page's language: the model states its reasons in English
/// (PositionsByKey::unallocated_reason, AllocationRule); the known ones are said in German.
std::string reason_text(const Page& p, const std::string& reason) {
  if (p.lang() != Lang::de) return reason;
  const std::string_view head = "less than one unit of ", tail = " EUR left";
  if (reason.starts_with(head) && reason.ends_with(tail)) {
    const std::string amount = reason.substr(head.size(), reason.size() - head.size() - tail.size());
    if (amount.find_first_not_of("0123456789.") == std::string::npos)
      return "weniger als eine Einheit (" + german_number(amount) + "\u00A0€) übrig";
  }
  if (reason == "not used by the rule") return "von der Regel nicht verwendet";
  return reason;
}

/// Lorenz points and Gini over areas with inhabitants: sorted by euros per inhabitant, each
/// point the cumulative share of inhabitants and of funds. For grouped data this Gini equals the
/// inhabitant-weighted Gini of include/kimsim/compare.hpp.
RunReport::Lorenz lorenz(std::vector<std::pair<double, double>> pop_cents) {
  std::erase_if(pop_cents, [](const auto& pc) { return pc.first <= 0; });
  std::stable_sort(pop_cents.begin(), pop_cents.end(),
                   [](const auto& a, const auto& b) { return a.second * b.first < b.second * a.first; });
  double P = 0, E = 0;
  for (const auto& [pop, cents] : pop_cents) P += pop, E += cents;
  std::vector<std::pair<double, double>> points = {{0.0, 0.0}};
  double cp = 0, ce = 0, area = 0;
  for (const auto& [pop, cents] : pop_cents) {
    const double np = cp + pop / P, ne = E > 0 ? ce + cents / E : 0;
    area += (np - cp) * (ne + ce);
    cp = np, ce = ne;
    points.emplace_back(std::round(cp * 1e6) / 1e6, std::round(ce * 1e6) / 1e6);
  }
  return {E > 0 ? std::round((1 - area) * 1e9) / 1e9 : 0.0, std::move(points)};
}

void run_body(std::string& o, const Page& p, const RunReport& d) {
  auto out = std::back_inserter(o);
  // The label of each type of region, escaped, looked up once: a page shows it on every row.
  std::vector<std::string> type_labels;
  for (const std::string& key : region_type_keys()) type_labels.push_back(esc(p.t("type_" + key)));
  const auto type_of = [&](const Region& r) -> const std::string& { return type_labels[static_cast<std::size_t>(r.type)]; };
  const Scenario& s = *d.scenario;
  const auto& bs = d.bausteine;
  fmt::format_to(out, FMT_COMPILE("<header>\n<h1>{}: {}</h1>\n<p class=\"sub\">{} · {} {}</p>\n</header>\n"),
                 esc(p.t("title_run")), esc(s.name), esc(s.programme), esc(p.t("year")), s.year);
  o += "<nav aria-label=\"" + esc(p.t("contents")) + "\"><ol>";
  o += "<li><a href=\"#headline\">" + esc(p.t("headline")) + "</a></li>";
  for (const auto& b : bs) o += "<li><a href=\"#b-" + esc(b.baustein->id) + "\">" + esc(p.t("baustein")) + " " + esc(b.baustein->id) + "</a></li>";
  o += "<li><a href=\"#areas\">" + esc(p.t("areas")) + "</a></li>";
  if (!d.validation.empty()) o += "<li><a href=\"#validation\">" + esc(p.t("validation")) + "</a></li>";
  o += "<li><a href=\"#assumptions\">" + esc(p.t("assumptions")) + "</a></li><li><a href=\"#steckbriefe\">" + esc(p.t("steckbriefe")) + "</a></li></ol></nav>\n";

  // Headline.
  o += "<section id=\"headline\">\n<h2>" + esc(p.t("headline")) + "</h2>\n<dl class=\"cards\">\n";
  auto card = [&](std::string_view label, const std::string& value, const std::string& small, const char* id) {
    fmt::format_to(out, FMT_COMPILE("<div><dt>{}</dt><dd id=\"{}\">{}{}</dd></div>\n"), esc(label), id, esc(value), small.empty() ? "" : "<small>" + esc(small) + "</small>");
  };
  card(p.t("budget"), p.euros(s.budget), "", "h-budget");
  card(p.t("allocated"), p.euros(d.allocated), "", "h-allocated");
  std::string reasons;
  for (const auto& b : bs)
    if (b.totals->unallocated > 0) reasons += (reasons.empty() ? "" : "; ") + b.baustein->id + ": " + reason_text(p, b.totals->unallocated_reason);
  card(p.t("unallocated"), p.euros(d.unallocated), reasons, "h-unallocated");
  std::string published;
  if (s.published_positions_over) {
    const double over = *s.published_positions_over;
    published = std::string(p.t("published_over")) + " " + p.number(over, over == std::floor(over) ? 0 : 1) + " (" +
                std::string(static_cast<double>(d.halves) / 2.0 > over ? p.t("consistent") : p.t("below_published")) + ")";
  }
  // A Baustein that allocates no positions (money only) has no VZÄ column, a page without any no positions chart.
  std::vector<bool> pos;
  for (const auto& b : bs) pos.push_back(b.totals->halves != 0);
  const bool any_pos = std::find(pos.begin(), pos.end(), true) != pos.end();
  if (any_pos) card(std::string(p.t("positions")) + " (" + std::string(p.t("vza")) + ")", p.vza(d.halves), published, "h-positions");
  o += "</dl>\n";
  const auto vza_td = [&](bool show, Halves hv) { return show ? "<td class=\"n\">" + esc(p.vza(hv)) + "</td>" : std::string(); };
  // The Bausteine in one table.
  std::vector<Column> cols = {{p.t("baustein")}, {p.t("name")}, {p.t("budget"), true}, {p.t("allocated"), true}, {p.t("unallocated"), true}};
  if (any_pos) cols.push_back({p.t("vza"), true});
  cols.push_back({p.t("recipients"), true});
  open_table(o, "id=\"t-bausteine\"", p.t("bausteine"), cols);
  for (const auto& b : bs)
    fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{}<td class=\"n\">{}</td></tr>\n"),
                   esc(b.baustein->id), esc(b.baustein->name), esc(p.euros(b.totals->budget)), esc(p.euros(b.totals->allocated)),
                   esc(p.euros(b.totals->unallocated)), vza_td(any_pos, b.totals->halves), b.totals->recipients);
  close_table(o, "<th scope=\"row\">" + esc(p.t("total")) + "</th><td></td>" + num_cell(esc(p.euros(s.budget))) + num_cell(esc(p.euros(d.allocated))) +
                     num_cell(esc(p.euros(d.unallocated))) + vza_td(any_pos, d.halves) + "<td></td>");
  o += "</section>\n";

  search_box(o, p);

  // A table per Baustein.
  for (const auto& b : bs) {
    const std::string& id = b.baustein->id;
    const bool bpos = b.totals->halves != 0;
    fmt::format_to(out, FMT_COMPILE("<section id=\"b-{0}\">\n<h2>{1} {0}: {2}</h2>\n"), esc(id), esc(p.t("baustein")), esc(b.baustein->name));
    std::vector<Column> rcols = {{p.t("ags")}, {p.t("name")}, {p.t("type")}, {p.t("kreis")}};
    if (bpos) rcols.push_back({p.t("vza"), true});
    rcols.insert(rcols.end(), {{p.t("euro"), true}, {p.t("key_share"), true}, {p.t("note")}});
    open_table(o, fmt::format("class=\"sortable filterable recipients\" id=\"t-{0}\" data-baustein=\"{0}\"", esc(id)),
               fmt::format("{} {} – {} {}", p.t("baustein"), id, b.rows.size(), p.t("recipients")), rcols);
    for (const auto& r : b.rows) {
      std::string note;
      if (r.passed_on_by) note = std::string(p.t("passed_on_by")) + " " + *r.passed_on_by;
      if (r.passes_on) {
        note = std::string(p.t("passes_on")) + " " + p.vza(*r.passes_on) + " " + std::string(p.t("vza"));
        if (r.waived) {
          note += "; " + std::string(p.t("waived"));
          for (const std::string* w : *r.waived) note += " " + *w;
        }
      }
      const std::string& ags = r.region->ags;
      const std::string& name = r.region->name;
      const std::string_view kreis = r.kreis ? std::string_view(*r.kreis) : std::string_view();
      // What the search box finds the row by: its AGS, its name, its Kreis.
      std::string q;
      q.reserve(ags.size() + name.size() + kreis.size() + 2);
      q.append(ags).append(" ").append(name).append(" ").append(kreis);
      fmt::format_to(out, FMT_COMPILE("<tr data-ags=\"{}\" data-q=\"{}\"><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td>{}{}{}<td>{}</td></tr>\n"), esc(ags),
                     esc(fold(q)), esc(ags), esc(name), type_of(*r.region), esc(kreis),
                     bpos ? num_td(p.vza(r.halves), format_positions(r.halves)) : std::string(), num_td(esc(p.euros(r.cents)), format_euros(r.cents)),
                     num_td(p.percent(r.key_share, 3), fmt::format(FMT_COMPILE("{:.9f}"), r.key_share)), esc(note));
    }
    close_table(o, "<td></td><th scope=\"row\">" + esc(p.t("total")) + "</th><td></td><td></td>" + vza_td(bpos, b.totals->halves) +
                       num_cell(esc(p.euros(b.totals->allocated))) + "<td></td><td></td>");
    o += "</section>\n";
  }

  // Kreis-level areas: charts, then their table (the charts' text alternative).
  const auto& areas = d.areas;
  o += "<section id=\"areas\">\n<h2>" + esc(p.t("areas")) + "</h2>\n<p class=\"sub\">" + esc(p.t("areas_hint")) + "</p>\n";
  std::vector<std::string> series;
  for (std::size_t b = 0; b < bs.size(); ++b)
    if (pos[b]) series.push_back(std::string(p.t("baustein")) + " " + bs[b].baustein->id);
  std::vector<std::pair<std::string, std::vector<double>>> bars;
  for (const auto& a : areas) {
    std::vector<double> v;
    for (std::size_t b = 0; b < bs.size(); ++b)
      if (pos[b]) v.push_back(static_cast<double>(a.halves_by_baustein[b]) / 2.0);
    bars.emplace_back(a.region->name, std::move(v));
  }
  std::stable_sort(bars.begin(), bars.end(), [](const auto& x, const auto& y) {
    return std::accumulate(x.second.begin(), x.second.end(), 0.0) > std::accumulate(y.second.begin(), y.second.end(), 0.0);
  });
  const std::string alt = p.t("text_alt") + " " + p.quote(p.t("areas")) + ".";
  if (any_pos) o += bar_chart(p, "c-positions", std::string(p.t("chart_positions")), alt, std::string(p.t("vza")), series, bars);
  if (d.average_per_1000_cents) {
    std::vector<std::pair<std::string, double>> dots;
    for (const auto& a : areas)
      if (a.per_1000_cents) dots.emplace_back(a.region->name, static_cast<double>(*a.per_1000_cents) / 100.0);
    std::stable_sort(dots.begin(), dots.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    o += dot_chart(p, "c-per-1000", std::string(p.t("chart_per_1000")), alt, std::string(p.t("per_1000")), dots,
                   static_cast<double>(*d.average_per_1000_cents) / 100.0, std::string(p.t("average")));
    o += lorenz_chart(p, "c-lorenz", *d.lorenz);
  }
  std::vector<Column> acols = {{p.t("ags")}, {p.t("name")}, {p.t("type")}};
  for (std::size_t b = 0; b < bs.size(); ++b)
    if (pos[b]) acols.push_back({bs[b].baustein->id + " " + p.t("vza"), true});
  acols.insert(acols.end(), {{p.t("euro"), true}, {p.t("population"), true}, {p.t("per_1000"), true}});
  if (any_pos) acols.push_back({p.t("vza"), true});
  open_table(o, "class=\"sortable filterable\" id=\"t-areas\"", p.t("areas"), acols);
  for (const auto& a : areas) {
    const std::string& ags = a.region->ags;
    const std::string& name = a.region->name;
    fmt::format_to(out, FMT_COMPILE("<tr data-ags=\"{}\" data-q=\"{}\"><td>{}</td><th scope=\"row\"><a href=\"#s-{}\">{}</a></th><td>{}</td>"), esc(ags), esc(fold(ags + " " + name)), esc(ags),
                   esc(ags), esc(name), type_of(*a.region));
    for (std::size_t b = 0; b < bs.size(); ++b)
      if (pos[b]) o += num_td(p.vza(a.halves_by_baustein[b]), format_positions(a.halves_by_baustein[b]));
    o += num_td(esc(p.euros(a.cents)), format_euros(a.cents));
    if (a.population) o += num_td(p.number(*a.population, 0), fmt::format(FMT_COMPILE("{:.0f}"), *a.population));
    else o += "<td class=\"n\" data-v=\"0\">–</td>";
    if (a.per_1000_cents) o += num_td(esc(p.euros(*a.per_1000_cents)), format_euros(*a.per_1000_cents));
    else o += "<td class=\"n\" data-v=\"0\">–</td>";
    if (any_pos) o += num_td(p.vza(a.halves), format_positions(a.halves));
    o += "</tr>\n";
  }
  close_table(o);
  o += "</section>\n";

  // Validation.
  if (!d.validation.empty()) {
    o += "<section id=\"validation\">\n<h2>" + esc(p.t("validation")) + "</h2>\n";
    open_table(o, "id=\"t-validation\"", p.t("validation_hint"),
               {{p.t("baustein")}, {p.t("ags")}, {p.t("name")}, {p.t("observed"), true}, {p.t("model"), true}, {p.t("difference"), true}});
    for (const ValidationRow& v : d.validation) {
      const double obs = v.observed_positions, model = v.model_positions;
      fmt::format_to(out, FMT_COMPILE("<tr><td>{}</td><td>{}</td><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n"),
                     esc(v.baustein), esc(v.ags), esc(*v.name), p.number(obs, 1), p.number(model, 1), (model - obs > 0 ? "+" : "") + p.number(model - obs, 1));
    }
    close_table(o);
    o += "</section>\n";
  }
  o += "<section id=\"assumptions\">\n<h2>" + esc(p.t("assumptions")) + "</h2>\n" + list(s.assumptions);
  o += "<h2>" + esc(p.t("sources")) + "</h2>\n" + list(s.sources);
  if (!d.notes.empty()) o += "<h2>" + esc(p.t("notes")) + "</h2>\n" + note_list(p, d.notes);
  o += "</section>\n";

  // Steckbriefe: a printable page per Kreis-level area.
  o += "<section id=\"steckbriefe\">\n<h2>" + esc(p.t("steckbriefe")) + "</h2>\n";
  std::vector<Column> pcols = {{p.t("region")}};
  for (std::size_t b = 0; b < bs.size(); ++b) {
    if (pos[b]) pcols.push_back({bs[b].baustein->id + " " + p.t("vza"), true});
    pcols.push_back({bs[b].baustein->id + " " + p.t("euro"), true});
  }
  for (const auto& a : areas) {
    const std::string& ags = a.region->ags;
    const std::string& name = a.region->name;
    fmt::format_to(out, FMT_COMPILE("<article class=\"steckbrief\" id=\"s-{}\">\n<h3>{}: {} ({}, {})</h3>\n"), esc(ags), esc(p.t("steckbrief")), esc(name),
                   type_of(*a.region), esc(ags));
    open_table(o, "class=\"profile\"", name, pcols);
    // Appended piece by piece: a Steckbrief has a cell per member and Baustein, four hundred
    // Gemeinden in all.
    for (const auto& m : a.members) {
      o.append("<tr><th scope=\"row\">").append(esc(m.region->name)).append("</th>");
      for (std::size_t b = 0; b < bs.size(); ++b) {
        const auto& cell = m.by_baustein[b];
        if (!cell) {
          if (pos[b]) o += "<td class=\"n\">–</td>";
          o += "<td class=\"n\">–</td>";
          continue;
        }
        if (pos[b]) o.append("<td class=\"n\">").append(p.vza(cell->first)).append("</td>");
        o.append("<td class=\"n\">").append(esc(p.euros(cell->second))).append("</td>");
      }
      o += "</tr>\n";
    }
    close_table(o);
    open_table(o, "class=\"profile-keys\"", p.t("key_values"), {{p.t("indicator")}, {p.t("value"), true}});
    for (const auto& [k, v] : a.indicators)
      fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>\n"), esc(*k), p.number(v, v == std::floor(v) ? 0 : 2));
    for (std::size_t b = 0; b < bs.size(); ++b)
      if (a.key_share[b])
        fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{} {}</th><td class=\"n\">{}</td></tr>\n"), esc(p.t("key_share")), esc(bs[b].baustein->id),
                       p.percent(*a.key_share[b], 3));
    if (a.per_1000_cents)
      fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>\n"), esc(p.t("per_1000")), esc(p.euros(*a.per_1000_cents)));
    fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{} ({})</th><td class=\"n\">{}</td></tr>\n"), esc(p.t("total")), esc(p.t("euro")), esc(p.euros(a.cents)));
    close_table(o);
    o += "</article>\n";
  }
  o += "</section>\n";
}


/// Intervals per row: a band from p05 to p95 and a dot at the median.
/// With `signed_axis` (differences) the axis spans the values' range through 0, with a line at 0.
std::string interval_chart(const Page& p, const std::string& id, const std::string& title, const std::string& desc,
                           const std::string& x_label, const std::vector<std::pair<std::string, std::array<double, 3>>>& rows,
                           bool signed_axis = false, std::string_view mid_label = "median") {
  const double left = 190, right = 20, top = 10, row_h = 12, axis_h = 40, width = 760;
  const double plot_w = width - left - right, height = top + row_h * static_cast<double>(std::max<std::size_t>(rows.size(), 1)) + axis_h;
  double lo = 0, hi = 0;
  std::vector<double> tk;
  if (signed_axis) {
    for (const auto& r : rows) lo = std::min(lo, r.second[0]), hi = std::max(hi, r.second[2]);
    if (lo == hi) hi = 1;  // nothing moves: an axis, not a division by 0
    tk = ticks(lo, hi);
    if (!tk.empty()) lo = std::min(lo, tk.front()), hi = std::max(hi, tk.back());
  } else {
    double max = 0;
    for (const auto& r : rows) max = std::max(max, r.second[2]);
    tk = ticks(0, std::max(max, 1.0));
    hi = std::max(std::max(max, 1.0), tk.empty() ? 1.0 : tk.back());
  }
  auto x = [&](double v) { return left + plot_w * (v - lo) / (hi - lo); };
  std::string o;
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<figure>\n<svg id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\">\n"
                      "<title id=\"{0}-t\">{3}</title>\n<desc id=\"{0}-d\">{4}</desc>\n"),
                 id, width, height, esc(title), esc(desc));
  for (double v : tk)
    fmt::format_to(out, FMT_COMPILE("<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n"),
                   x(v), top, height - axis_h, height - axis_h + 14, esc(p.number(v, v == std::floor(v) ? 0 : 1)));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row_h * static_cast<double>(i) + row_h / 2;
    const auto& [low, med, up] = rows[i].second;
    fmt::format_to(out, FMT_COMPILE("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text><rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"6\" fill=\"#56B4E9\"/><circle cx=\"{:.2f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"#0072B2\"/>\n"),
                   left - 6, y + 4, esc(rows[i].first), x(low), y - 3, std::max(x(up) - x(low), 1.0), x(med), y);
  }
  if (signed_axis) fmt::format_to(out, FMT_COMPILE("<line class=\"axis\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>\n"), x(0), top, height - axis_h);
  else fmt::format_to(out, FMT_COMPILE("<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>\n"), left, top, height - axis_h);
  fmt::format_to(out, FMT_COMPILE("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>\n"), left + plot_w / 2, height - 6, esc(x_label));
  fmt::format_to(out, FMT_COMPILE("<figcaption><div class=\"legend\"><span style=\"--c:#56B4E9\">{}</span><span style=\"--c:#0072B2\">{}</span></div>{}</figcaption>\n</figure>\n"),
                 esc(p.t("band")), esc(p.t(mid_label)), esc(desc));
  return o;
}

// ---------------------------------------------------------------------------------------------
// The compare report.

/// A diverging bar chart: gains to the right, losses to the left of zero, largest first.
std::string diverging_chart(const Page& p, const std::string& id, const std::string& title, const std::string& desc,
                            const std::vector<std::pair<std::string, double>>& rows) {
  const double left = 190, right = 20, top = 10, row_h = 13, axis_h = 40, width = 760;
  const double plot_w = width - left - right, height = top + row_h * static_cast<double>(std::max<std::size_t>(rows.size(), 1)) + axis_h;
  double lo = 0, hi = 0;
  for (const auto& r : rows) lo = std::min(lo, r.second), hi = std::max(hi, r.second);
  if (lo == hi) hi = 1;
  const std::vector<double> tk = ticks(lo, hi);
  if (!tk.empty()) lo = std::min(lo, tk.front()), hi = std::max(hi, tk.back());
  auto x = [&](double v) { return left + plot_w * (v - lo) / (hi - lo); };
  std::string o;
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<figure>\n<svg id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\">\n"
                      "<title id=\"{0}-t\">{3}</title>\n<desc id=\"{0}-d\">{4}</desc>\n"),
                 id, width, height, esc(title), esc(desc));
  for (double v : tk)
    fmt::format_to(out, FMT_COMPILE("<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n"),
                   x(v), top, height - axis_h, height - axis_h + 14, esc(p.number(v, 0)));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row_h * static_cast<double>(i), v = rows[i].second;
    const double x0 = x(std::min(0.0, v)), x1 = x(std::max(0.0, v));
    fmt::format_to(out, FMT_COMPILE("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text><rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"{}\"/>\n"),
                   left - 6, y + row_h * 0.75, esc(rows[i].first), x0, y + 1.5, std::max(x1 - x0, 0.5), row_h - 3, v >= 0 ? "#0072B2" : "#D55E00");
  }
  fmt::format_to(out, FMT_COMPILE("<line class=\"axis\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>\n"), x(0), top, height - axis_h);
  fmt::format_to(out, FMT_COMPILE("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>\n"), left + plot_w / 2, height - 6, esc(p.t("delta_euro")));
  fmt::format_to(out, FMT_COMPILE("<figcaption><div class=\"legend\"><span style=\"--c:#0072B2\">{}</span><span style=\"--c:#D55E00\">{}</span></div>{}</figcaption>\n</figure>\n"),
                 esc(p.t("gain")), esc(p.t("loss")), esc(desc));
  return o;
}

/// A paradox flag in plain words: who loses (or gains) how much, and why that is a paradox.
std::string paradox_text(const Page& p, const json& x, const json& scenarios) {
  const bool de = p.lang() == Lang::de;
  const json& who = x["recipients"];
  const std::string a = who[0]["name"].get<std::string>();
  const Halves da = who[0]["delta_halves"].get<Halves>();
  const std::string from = scenarios[x["from"].get<std::size_t>()]["name"], to = scenarios[x["to"].get<std::size_t>()]["name"];
  const std::string b_id = x["baustein"].get<std::string>();
  const std::string where = fmt::format("{} {} ({} → {}): ", p.t("baustein"), b_id, from, to);
  auto moves = [&](const std::string& name, Halves d) {
    return de ? fmt::format("{} {} {} VZÄ", name, d < 0 ? "verliert" : "gewinnt", p.vza(d < 0 ? -d : d))
              : fmt::format("{} {} {} VZÄ", name, d < 0 ? "loses" : "gains", p.vza(d < 0 ? -d : d));
  };
  const std::string kind = x["kind"].get<std::string>();
  if (kind == "alabama") {
    const Halves total = x["total_delta_halves"].get<Halves>();
    const bool budget_up = x.value("budget_delta_cents", Cents{0}) > 0;
    if (de)
      return where + moves(a, da) + ", obwohl " + (budget_up ? "das Budget steigt und " : "") + "insgesamt " + p.vza(total < 0 ? -total : total) +
             " VZÄ " + (total > 0 ? "mehr" : "weniger") + " verteilt werden – bei gleichen Empfängern, gleichem Schlüssel und gleicher Regel (Alabama-Paradoxon).";
    return where + moves(a, da) + ", although " + (budget_up ? "the budget rises and " : "") + p.vza(total < 0 ? -total : total) + " VZÄ " +
           (total > 0 ? "more" : "fewer") + " are allocated in all – with the same recipients, key and rule (Alabama paradox).";
  }
  const std::string b = who.size() > 1 ? who[1]["name"].get<std::string>() : "";
  const Halves db = who.size() > 1 ? who[1]["delta_halves"].get<Halves>() : 0;
  if (kind == "population") {
    if (de)
      return where + moves(a, da) + ", obwohl sein Schlüsselgewicht gegenüber " + b + " steigt; " + moves(b, db) +
             " – bei gleicher Zahl der Stellen (Populationsparadoxon).";
    return where + moves(a, da) + ", although its key weight rises relative to " + b + "'s; " + moves(b, db) +
           " – with the same number of positions (population paradox).";
  }
  if (de)
    return where + moves(a, da) + " und " + moves(b, db) + ", obwohl ihre Schlüsselgewichte zueinander gleich bleiben: nur ein Empfänger kam hinzu oder fiel weg (Paradoxon des neuen Empfängers).";
  return where + moves(a, da) + " and " + moves(b, db) + ", although their key weights stand as before: only a recipient was added or removed (new-recipient paradox).";
}

/// The diverging chart of variant `k` of a compare island: its territories that gain or lose,
/// largest gain first.
std::string variant_chart(const Page& p, const json& d, std::size_t k) {
  const json& v = d["variants"][k];
  std::vector<std::pair<std::string, double>> bars;
  for (const auto& c : v["changes"])
    if (c["delta_cents"].get<Cents>() != 0) bars.emplace_back(c["name"].get<std::string>(), static_cast<double>(c["delta_cents"].get<Cents>()) / 100.0);
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return diverging_chart(p, fmt::format("c-diverging-{}", k + 1), p.t("chart_diverging") + ": " + v["name"].get<std::string>(),
                         p.t("text_alt") + " " + p.quote(p.t("change") + ": " + v["name"].get<std::string>()) + ".", bars);
}

/// compare --replications: the variance ratios, then per variant and year the largest movers as
/// an interval chart of the difference and a table whose cells are compare_mc.csv's.
void compare_mc_body(std::string& o, const Page& p, const json& mc) {
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<section id=\"mc\">\n<h2>{}</h2>\n<p>{}: {} · {}: {}. {}</p>\n"), esc(p.t("mc")), esc(p.t("replications")),
                 p.count(mc["replications"].get<long long>()), esc(p.t("seed")), mc["seed"].get<std::uint64_t>(), esc(p.t("mc_intro")));
  o += "<h3>" + esc(p.t("variance_ratio")) + "</h3>\n<p class=\"sub\">" + esc(p.t("variance_ratio_hint")) + "</p>\n";
  open_table(o, "id=\"t-variance-ratio\"", p.t("variance_ratio"), {{p.t("variant")}, {p.t("year")}, {p.t("baustein")}, {p.t("euro"), true}, {p.t("vza"), true}});
  auto ratio = [&](const json& v) { return v.is_null() ? std::string("–") : p.number(v.get<double>(), 4); };
  for (const auto& r : mc["variance_ratio"])
    fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n"), esc(r["variant"].get<std::string>()),
                   r["year"].get<int>(), esc(r["baustein"].get<std::string>()), ratio(r["euros"]), ratio(r["positions"]));
  close_table(o);
  fmt::format_to(out, FMT_COMPILE("<h3>{}</h3>\n<p class=\"sub\">{}</p>\n"), esc(p.t("top_movers")), esc(p.t("top_movers_hint")));
  // The movers come grouped by variant and year, largest first.
  const json& movers = mc["top_movers"];
  for (std::size_t i = 0, k = 0; i < movers.size(); ++k) {
    const std::string variant = movers[i]["variant"].get<std::string>();
    const int year = movers[i]["year"].get<int>();
    std::size_t end = i;
    while (end < movers.size() && movers[end]["variant"] == variant && movers[end]["year"] == year) ++end;
    const std::string what = variant + " · " + std::string(p.t("year")) + " " + std::to_string(year);
    std::vector<std::pair<std::string, std::array<double, 3>>> bands;
    for (std::size_t r = i; r < end; ++r) {
      const json& m = movers[r];
      bands.push_back({m["name"].get<std::string>() + " · " + m["baustein"].get<std::string>(),
                       {static_cast<double>(cents_of(m["delta_cents_p05"])) / 100.0, static_cast<double>(cents_of(m["delta_cents_p50"])) / 100.0,
                        static_cast<double>(cents_of(m["delta_cents_p95"])) / 100.0}});
    }
    o += interval_chart(p, fmt::format("c-mc-{}", k + 1), p.t("chart_mc_band") + " (" + what + ")", p.t("text_alt") + " " + p.quote(p.t("top_movers") + ": " + what) + ".",
                        p.t("delta_euro"), bands, true);
    open_table(o, fmt::format("class=\"sortable filterable mc\" id=\"t-mc-{}\"", k + 1), p.t("top_movers") + ": " + what,
               {{p.t("ags")}, {p.t("name")}, {p.t("baustein")}, {p.t("mean") + " " + p.t("delta_euro"), true}, {p.t("p05") + " " + p.t("delta_euro"), true},
                {p.t("median") + " " + p.t("delta_euro"), true}, {p.t("p95") + " " + p.t("delta_euro"), true}, {p.t("p_lose"), true}});
    for (std::size_t r = i; r < end; ++r) {
      const json& m = movers[r];
      const std::string ags = m["ags"].get<std::string>(), name = m["name"].get<std::string>(), bid = m["baustein"].get<std::string>();
      fmt::format_to(out, FMT_COMPILE("<tr data-ags=\"{}\" data-key=\"{}:{}:{}:{}\" data-q=\"{}\"><td>{}</td><th scope=\"row\">{}</th><td>{}</td>"), esc(ags), esc(variant), year, esc(ags), esc(bid),
                     esc(fold(ags + " " + name)), esc(ags), esc(name), esc(bid));
      for (const char* q : {"mean", "p05", "p50", "p95"}) {
        const Cents c = cents_of(m[std::string("delta_cents_") + q]);
        fmt::format_to(out, FMT_COMPILE("<td class=\"n\" data-col=\"delta_euros_{}\" data-v=\"{}\">{}</td>"), q, format_euros(c), esc(p.signed_euros(c)));
      }
      const std::string pl = m["p_lose"].get<std::string>();
      fmt::format_to(out, FMT_COMPILE("<td class=\"n\" data-col=\"p_lose\" data-v=\"{}\">{}</td></tr>\n"), pl, p.percent(std::stod(pl), 2));
    }
    close_table(o);
    i = end;
  }
  o += "</section>\n";
}

void compare_body(std::string& o, const Page& p, const json& d) {
  auto out = std::back_inserter(o);
  const json& sc = d["scenarios"];
  fmt::format_to(out, FMT_COMPILE("<header>\n<h1>{}: {}</h1>\n<p class=\"sub\">{}: {} · {}:"), esc(p.t("title_compare")), esc(d["scenario"].get<std::string>()),
                 esc(p.t("base")), esc(sc[0]["name"].get<std::string>()), esc(p.t("variant")));
  for (std::size_t k = 1; k < sc.size(); ++k) o += " " + esc(sc[k]["name"].get<std::string>());
  o += "</p>\n</header>\n<section id=\"headline\">\n<h2>" + esc(p.t("headline")) + "</h2>\n";
  open_table(o, "id=\"t-scenarios\"", p.t("scenario"), {{p.t("scenario")}, {p.t("budget"), true}, {p.t("allocated"), true}, {p.t("vza"), true}});
  for (const auto& s : sc)
    fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n"), esc(s["name"].get<std::string>()),
                   esc(p.euros(cents_of(s["budget_cents"]))), esc(p.euros(cents_of(s["allocated_cents"]))), p.vza(s["halves"].get<Halves>()));
  close_table(o);
  for (const auto& v : d["variants"]) {
    fmt::format_to(out, FMT_COMPILE("<h3>{}</h3>\n<dl class=\"cards\">\n<div><dt>{}</dt><dd>{}<small>{} {}</small></dd></div>\n<div><dt>{}</dt><dd>{}<small>{} {}</small></dd></div>\n<div><dt>{}</dt><dd>{}</dd></div>\n</dl>\n"),
                   esc(v["name"].get<std::string>()), esc(p.t("winners")), p.count(v["winners"].get<long long>()), esc(p.t("gained")),
                   esc(p.euros(cents_of(v["gained_cents"]))), esc(p.t("losers")), p.count(v["losers"].get<long long>()), esc(p.t("lost")),
                   esc(p.euros(cents_of(v["lost_cents"]))), esc(p.t("moved")),
                   // Half cents: money moved is half the L1 distance, exact.
                   esc(p.plain(format_half_cents(v["moved_half_cents"].get<Cents>())) + (p.lang() == Lang::de ? "\u00A0€" : "")));
  }
  o += "</section>\n";
  search_box(o, p);
  for (std::size_t k = 0; k < d["variants"].size(); ++k) {
    const json& v = d["variants"][k];
    const std::string tid = k == 0 ? "t-changes" : fmt::format("t-changes-{}", k + 1);
    fmt::format_to(out, FMT_COMPILE("<section id=\"v-{}\">\n<h2>{}: {} → {}</h2>\n<p class=\"sub\">{}</p>\n"), k + 1, esc(p.t("change")), esc(sc[0]["name"].get<std::string>()),
                   esc(v["name"].get<std::string>()), esc(p.t("territory_hint")));
    o += variant_chart(p, d, k);
    open_table(o, fmt::format("class=\"sortable filterable\" id=\"{}\"", tid), p.t("change") + ": " + v["name"].get<std::string>(),
               {{p.t("ags")}, {p.t("name")}, {sc[0]["name"].get<std::string>() + " " + p.t("euro"), true, "data-col=\"base\""},
                {v["name"].get<std::string>() + " " + p.t("euro"), true, "data-col=\"variant\""}, {p.t("delta_euro"), true, "data-col=\"delta\""}, {p.t("delta_vza"), true}});
    for (const auto& c : v["changes"]) {
      const std::string ags = c["ags"].get<std::string>(), name = c["name"].get<std::string>();
      const Cents dc = c["delta_cents"].get<Cents>();
      const Halves dh = c["delta_halves"].get<Halves>();
      fmt::format_to(out, FMT_COMPILE("<tr data-ags=\"{}\" data-q=\"{}\"><td>{}</td><th scope=\"row\">{}</th>{}{}<td class=\"n {}\" data-v=\"{}\">{}</td>{}</tr>\n"), esc(ags),
                     esc(fold(ags + " " + name)), esc(ags), esc(name), num_td(esc(p.euros(cents_of(c["base_cents"]))), format_euros(cents_of(c["base_cents"]))),
                     num_td(esc(p.euros(cents_of(c["variant_cents"]))), format_euros(cents_of(c["variant_cents"]))), dc > 0 ? "pos" : dc < 0 ? "neg" : "",
                     format_euros(dc), esc(p.signed_euros(dc)), num_td(p.signed_vza(dh), format_positions(dh)));
    }
    close_table(o);
    o += "</section>\n";
  }
  // Indices side by side: a row per Baustein and index, a column per scenario.
  o += "<section id=\"indices\">\n<h2>" + esc(p.t("indices")) + "</h2>\n";
  std::vector<Column> icols = {{p.t("baustein")}, {p.t("indicator")}};
  for (const auto& s : sc) icols.push_back({s["name"].get<std::string>(), true});
  open_table(o, "id=\"t-indices\"", p.t("indices"), icols);
  const json& fair = d["fairness"];
  const std::pair<const char*, const char*> indices[] = {{"gini_population", "gini"},  {"gallagher_key", "gallagher_key"}, {"loosemore_hanby_key", "lh_key"},
                                                         {"gallagher_quota", "gallagher_quota"}, {"loosemore_hanby_quota", "lh_quota"}, {"max_min_ratio", "max_min"},
                                                         {"held_at_minimum", "held_min"}, {"held_at_maximum", "held_max"}};
  for (std::size_t b = 0; b < fair[0].size(); ++b)
    for (const auto& [key, label] : indices) {
      fmt::format_to(out, FMT_COMPILE("<tr><td>{}</td><th scope=\"row\">{}</th>"), esc(fair[0][b]["baustein"].get<std::string>()), esc(p.t(label)));
      for (std::size_t k = 0; k < fair.size(); ++k) {
        const json& v = b < fair[k].size() ? fair[k][b][key] : json(nullptr);
        o += "<td class=\"n\">" + (v.is_null() ? std::string("–") : v.is_number_integer() ? p.count(v.get<long long>()) : p.number(v.get<double>(), 3)) + "</td>";
      }
      o += "</tr>\n";
    }
  close_table(o);
  o += "</section>\n";
  o += "<section id=\"paradoxes\">\n<h2>" + esc(p.t("paradoxes")) + "</h2>\n";
  if (d["paradoxes"].empty()) o += "<p>" + esc(p.t("no_paradox")) + "</p>\n";
  for (const auto& x : d["paradoxes"]) o += "<p class=\"flag\">" + esc(paradox_text(p, x, sc)) + "</p>\n";
  o += "</section>\n";
  if (d.contains("decomposition")) {
    const json& dc = d["decomposition"];
    o += "<section id=\"decomposition\">\n<h2>" + esc(p.t("decomposition")) + "</h2>\n";
    std::vector<Column> dcols = {{p.t("ags")}, {p.t("name")}, {p.t("baustein")}, {p.t("total"), true}};
    for (std::size_t k = 0; k < dc["steps"].size(); ++k)
      dcols.insert(dcols.end(), {{fmt::format("{} {} {}", p.t("step"), k + 1, p.t("alone")), true}, {fmt::format("{} {} {}", p.t("step"), k + 1, p.t("stacked")), true}});
    open_table(o, "class=\"sortable filterable\" id=\"t-decompose\"", p.t("decomposition"), dcols);
    for (const auto& l : dc["lines"]) {
      const std::string ags = l["ags"].get<std::string>(), name = l["name"].get<std::string>();
      fmt::format_to(out, FMT_COMPILE("<tr data-ags=\"{}\" data-q=\"{}\"><td>{}</td><th scope=\"row\">{}</th><td>{}</td>{}"), esc(ags), esc(fold(ags + " " + name)), esc(ags), esc(name),
                     esc(l["baustein"].get<std::string>()), num_td(esc(p.signed_euros(cents_of(l["total_cents"]))), format_euros(cents_of(l["total_cents"]))));
      for (std::size_t k = 0; k < l["alone_cents"].size(); ++k)
        o += num_td(esc(p.signed_euros(cents_of(l["alone_cents"][k]))), format_euros(cents_of(l["alone_cents"][k]))) +
             num_td(esc(p.signed_euros(cents_of(l["stacked_cents"][k]))), format_euros(cents_of(l["stacked_cents"][k])));
      o += "</tr>\n";
    }
    std::string foot = "<td></td><th scope=\"row\">" + esc(p.t("interaction")) + "</th><td></td><td></td>";
    for (const auto& i : dc["interaction_cents"]) foot += "<td></td>" + num_cell(esc(p.euros(cents_of(i))));
    close_table(o, foot);
    o += "</section>\n";
  }
  if (d.contains("monte_carlo")) compare_mc_body(o, p, d["monte_carlo"]);
}

// ---------------------------------------------------------------------------------------------
// The simulation report.

void simulate_body(std::string& o, const Page& p, const json& d) {
  auto out = std::back_inserter(o);
  fmt::format_to(out, FMT_COMPILE("<header>\n<h1>{}: {}</h1>\n<p class=\"sub\">{}: {} · {}: {}</p>\n</header>\n"), esc(p.t("title_simulate")), esc(d["scenario"].get<std::string>()),
                 esc(p.t("replications")), p.count(d["replications"].get<long long>()), esc(p.t("seed")), d["seed"].get<std::uint64_t>());
  // Statewide, per year: every quantity with its mean, sd and Monte Carlo error.
  o += "<section id=\"headline\">\n<h2>" + esc(p.t("headline")) + "</h2>\n";
  const std::pair<const char*, const char*> names[] = {{"spent_eur", "spent"}, {"unspent_eur", "unspent"}, {"positions_filled_vza_years", "positions"},
                                                       {"gini_euros_per_inhabitant", "gini"}, {"max_min_ratio_euros_per_inhabitant", "max_min"}};
  for (const auto& y : d["years"]) {
    open_table(o, "class=\"state\"", fmt::format("{} {} · {} {}", p.t("year"), y["year"].get<int>(), p.t("budget"), p.euros(cents_of(y["budget_cents"]))),
               {{p.t("indicator")}, {p.t("mean"), true}, {p.t("sd"), true}, {p.t("mc_error"), true}});
    for (const auto& [key, label] : names) {
      if (!y.contains(key) || !y[key].contains("mean") || !y[key]["mean"].is_string()) continue;  // null: not measured
      const json& v = y[key];
      const bool money = std::string_view(key).ends_with("_eur");
      auto show = [&](const json& s) { return money ? p.plain(s.get<std::string>()) + (p.lang() == Lang::de ? "\u00A0€" : "") : p.plain(s.get<std::string>()); };
      // Fairness over fewer replications than all (those in which nobody applied measure none): said.
      std::string shown = p.t(label);
      if (std::string_view(key) == "positions_filled_vza_years") shown += " (VZÄ-" + p.t("year") + ")";
      if (v.contains("replications") && v["replications"].get<long long>() < d["replications"].get<long long>())
        shown += fmt::format(" ({} {} {} {})", p.count(v["replications"].get<long long>()), p.lang() == Lang::de ? "von" : "of",
                             p.count(d["replications"].get<long long>()), p.lang() == Lang::de ? "Replikationen" : "replications");
      fmt::format_to(out, FMT_COMPILE("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n"), esc(shown),
                     esc(show(v["mean"])), esc(show(v["sd"])), esc(show(v["standard_error"])));
    }
    close_table(o);
  }
  if (d.contains("notes")) {
    o += note_list(p, d["notes"]);
  }
  o += "</section>\n";
  search_box(o, p);
  if (d.contains("csv_only_years")) {
    const json& ys = d["years"];
    std::string between;
    for (const auto& y : d["csv_only_years"]) between += (between.empty() ? "" : ", ") + std::to_string(y.get<int>());
    fmt::format_to(out, FMT_COMPILE("<p class=\"sub\" id=\"csv-only\">{}</p>\n"),
                   esc(fmt::format(fmt::runtime(p.t("csv_only_years")), ys.front()["year"].get<int>(), ys.back()["year"].get<int>(), between)));
  }
  // Per Baustein and year: the interval chart of positions and the table.
  std::map<std::pair<int, std::string>, std::vector<const json*>> groups;
  std::vector<std::pair<int, std::string>> order;
  for (const auto& r : d["slots"]) {
    const auto key = std::pair{r["year"].get<int>(), r["baustein"].get<std::string>()};
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  // A Baustein whose p95 of positions is 0 everywhere allocates money only: no VZÄ columns.
  std::set<std::string> positions_bausteine;
  for (const auto& r : d["slots"])
    if (r["halves_p95"].get<Halves>() > 0) positions_bausteine.insert(r["baustein"].get<std::string>());
  for (const auto& key : order) {
    const auto& rows = groups[key];
    const std::string bid = key.second;
    const int year = key.first;
    fmt::format_to(out, FMT_COMPILE("<section id=\"s-{}-{}\">\n<h2>{} {} · {} {}</h2>\n"), esc(bid), year, esc(p.t("baustein")), esc(bid), esc(p.t("year")), year);
    std::vector<std::pair<std::string, std::array<double, 3>>> bands;
    for (const json* r : rows)
      if ((*r)["halves_p95"].get<Halves>() > 0)
        bands.push_back({(*r)["name"].get<std::string>(), {static_cast<double>((*r)["halves_p05"].get<Halves>()) / 2, static_cast<double>((*r)["halves_p50"].get<Halves>()) / 2,
                                                            static_cast<double>((*r)["halves_p95"].get<Halves>()) / 2}});
    std::stable_sort(bands.begin(), bands.end(), [](const auto& a, const auto& b) { return a.second[1] > b.second[1]; });
    if (!bands.empty())
      o += interval_chart(p, fmt::format("c-band-{}-{}", bid, year), p.t("chart_band") + " (" + p.t("baustein") + " " + bid + ", " + std::to_string(year) + ")",
                          p.t("text_alt") + " " + p.quote(p.t("baustein") + " " + bid + " · " + p.t("year") + " " + std::to_string(year)) + ".", p.t("vza"), bands);
    std::vector<Column> scols = {{p.t("ags")}, {p.t("name")}};
    const bool bpos = positions_bausteine.count(bid) > 0;
    if (bpos)
      for (const char* q : {"p05", "median", "p95"}) scols.push_back({p.t(q) + " " + p.t("vza"), true});
    for (const char* q : {"p05", "median", "p95"}) scols.push_back({p.t(q) + " " + p.t("euro"), true});
    scols.insert(scols.end(), {{p.t("p_nothing"), true}, {p.t("outflow"), true}});
    open_table(o, fmt::format("class=\"sortable filterable sim\" id=\"t-sim-{}-{}\"", esc(bid), year),
               fmt::format("{} {} · {} {}", p.t("baustein"), bid, p.t("year"), year), scols);
    for (const json* rp : rows) {
      const json& r = *rp;
      const std::string ags = r["ags"].get<std::string>(), name = r["name"].get<std::string>();
      fmt::format_to(out, FMT_COMPILE("<tr data-ags=\"{}\" data-key=\"{}:{}:{}\" data-q=\"{}\"><td>{}</td><th scope=\"row\">{}</th>"), esc(ags), esc(bid), year, esc(ags), esc(fold(ags + " " + name)), esc(ags), esc(name));
      for (const char* q : {"p05", "p50", "p95"}) {
        if (!bpos) break;
        const Halves h = r[std::string("halves_") + q].get<Halves>();
        fmt::format_to(out, FMT_COMPILE("<td class=\"n\" data-col=\"positions_{}\" data-v=\"{}\">{}</td>"), q, format_positions(h), p.vza(h));
      }
      for (const char* q : {"p05", "p50", "p95"}) {
        const Cents c = r[std::string("cents_") + q].get<Cents>();
        fmt::format_to(out, FMT_COMPILE("<td class=\"n\" data-col=\"euros_{}\" data-v=\"{}\">{}</td>"), q, format_euros(c), esc(p.euros(c)));
      }
      const std::string pn = r["p_nothing"].get<std::string>();
      fmt::format_to(out, FMT_COMPILE("<td class=\"n\" data-col=\"p_nothing\" data-v=\"{}\">{}</td><td class=\"n\" data-col=\"outflow_mean\" data-v=\"{}\">{}</td></tr>\n"), pn,
                     p.percent(std::stod(pn), 2), format_euros(cents_of(r["outflow_mean_cents"])), esc(p.euros(cents_of(r["outflow_mean_cents"]))));
    }
    close_table(o);
    o += "</section>\n";
  }
}


/// Whether a cell of sweep.csv is a number as it writes them ("-12", "0.25", "57000.00").
bool is_decimal(std::string_view v) {
  std::size_t i = v.starts_with('-') ? 1 : 0, digits = 0, dots = 0;
  for (; i < v.size(); ++i) {
    if (v[i] == '.') ++dots;
    else if (v[i] >= '0' && v[i] <= '9') ++digits;
    else return false;
  }
  return digits > 0 && dots <= 1 && v.back() != '.';
}

/// A parameter's path as a label: "bausteine[B2].positions_by_key.key.population" reads
/// "B2 key.population" (the full path stands in the table's title and in sweep.csv).
std::string short_path(std::string_view path) {
  std::string s(path);
  if (s.starts_with("bausteine[")) {
    const auto close = s.find("].");
    if (close != std::string::npos) s = s.substr(10, close - 10) + " " + s.substr(close + 2);
  }
  for (const char* rule : {"positions_by_key.", "money_by_key."})
    if (const auto at = s.find(rule); at != std::string::npos) s.erase(at, std::string_view(rule).size());
  return s;
}

/// `kimsim sweep`: the sweep at a glance, the best and worst point per metric, what moves each
/// metric (the summary's sensitivity, as a table and a chart per metric), then the points.
void sweep_body(std::string& o, const Page& p, const json& d) {
  auto out = std::back_inserter(o);
  const std::string design = d["design"].get<std::string>();
  fmt::format_to(out, FMT_COMPILE("<header>\n<h1>{}: {}</h1>\n<p class=\"sub\">{}: {} · {}: {}"), esc(p.t("title_sweep")), esc(d["sweep"].get<std::string>()),
                 esc(p.t("sweep_base")), esc(d["scenario"].get<std::string>()), esc(p.t("design")), esc(p.t("design_" + design)));
  if (d["replications"].get<std::uint64_t>() > 0)
    fmt::format_to(out, " · {}: {}", esc(p.t("replications")), p.count(d["replications"].get<long long>()));
  o += "</p>\n</header>\n";
  o += "<section id=\"headline\">\n<h2>" + esc(p.t("headline")) + "</h2>\n<dl class=\"cards\">\n";
  for (const auto& [key, label] : {std::pair{"points", "points"}, {"ok", "points_ok"}, {"refused", "points_refused"}})
    fmt::format_to(out, FMT_COMPILE("<div><dt>{}</dt><dd id=\"h-{}\">{}</dd></div>\n"), esc(p.t(label)), key, p.count(d[key].get<long long>()));
  o += "</dl>\n";
  if (d["replications"].get<std::uint64_t>() > 0) o += "<p>" + esc(p.t("metrics_mc")) + "</p>\n";
  if (!d["rounding"].empty()) o += "<h3>" + esc(p.t("rounding")) + "</h3>\n" + list(d["rounding"]);
  o += "</section>\n";

  const json& metrics = d["metrics"];
  const json& parameters = d["parameters"];
  const auto metric_value = [&](const std::string& m, const std::string& v) { return m == "paradoxes" ? v : p.plain(v); };
  // A value as the page writes it: a number in its format; text (a method, true or false) as it is.
  const auto as_shown = [&](const std::string& v) { return is_decimal(v) ? p.plain(v) : v; };
  const auto where = [&](const json& at) {
    std::string t;
    for (const auto& [path, value] : at.items()) t += (t.empty() ? "" : " · ") + short_path(path) + " = " + as_shown(value.get<std::string>());
    return t;
  };
  // Best and worst.
  o += "<section id=\"best-worst\">\n<h2>" + esc(p.t("best_worst")) + "</h2>\n<p class=\"sub\">" + esc(p.t("best_worst_hint")) + "</p>\n";
  open_table(o, "id=\"t-best-worst\"", p.t("best_worst"), {{p.t("indicator")}, {p.t("best"), true}, {p.t("point")}, {p.t("worst"), true}, {p.t("point")}});
  for (const auto& m : metrics) {
    const std::string name = m.get<std::string>();
    if (!d["best_and_worst"].contains(name)) continue;
    const json& bw = d["best_and_worst"][name];
    fmt::format_to(out, FMT_COMPILE("<tr data-metric=\"{}\"><th scope=\"row\">{}</th>"), esc(name), esc(p.t("metric_" + name)));
    for (const char* side : {"best", "worst"}) {
      const json& x = bw[side];
      fmt::format_to(out, FMT_COMPILE("<td class=\"n\" data-col=\"{}\">{}</td><td>{} {}<br><span class=\"sub\">{}</span></td>"), side,
                     esc(metric_value(name, x["value"].get<std::string>())), esc(p.t("at_point")), x["point"].get<std::uint64_t>(), esc(where(x["parameters"])));
    }
    o += "</tr>\n";
  }
  close_table(o);
  o += "</section>\n";

  // What moves each metric.
  const bool grid = design == "grid";
  o += "<section id=\"sensitivity\">\n<h2>" + esc(p.t("what_moves")) + "</h2>\n<p class=\"sub\">" + esc(p.t(grid ? "sens_grid" : "sens_rank")) + "</p>\n";
  std::vector<Column> cols{{p.t("parameter")}};
  for (const auto& m : metrics) cols.push_back({p.t("metric_" + m.get<std::string>()), true, "data-col=\"" + esc(m.get<std::string>()) + "\""});
  open_table(o, "id=\"t-sensitivity\"", p.t("what_moves"), cols);
  const json& sens = d["sensitivity"];
  // Decimals by the metric's unit: money to the cent, an index to its 10^-6.
  const auto decimals = [](const std::string& m) { return m == "gini_eur_per_inhabitant" ? 6 : m == "max_min_ratio" ? 4 : 2; };
  for (const auto& par : parameters) {
    const std::string path = par.get<std::string>();
    bool any = false;  // a complement (1 minus a swept weight) has no effect of its own
    for (const auto& m : metrics) any = any || (sens.contains(m.get<std::string>()) && sens[m.get<std::string>()].contains(path));
    if (!any) continue;
    o += "<tr><th scope=\"row\" title=\"" + esc(path) + "\">" + esc(short_path(path)) + "</th>";
    for (const auto& m : metrics) {
      const std::string name = m.get<std::string>();
      const json* v = sens.contains(name) && sens[name].contains(path) ? &sens[name][path] : nullptr;
      o += v && v->is_number() ? num_td(esc(p.number(v->get<double>(), decimals(name))), fmt::format("{}", v->get<double>())) : "<td class=\"n\">–</td>";
    }
    o += "</tr>\n";
  }
  close_table(o);
  int chart = 0;
  for (const auto& m : metrics) {
    const std::string name = m.get<std::string>();
    if (!sens.contains(name)) continue;
    std::vector<std::pair<std::string, std::vector<double>>> rows;
    bool any = false;
    for (const auto& par : parameters)
      if (sens[name].contains(par.get<std::string>()) && sens[name][par.get<std::string>()].is_number()) {
        // A Gini in points of 100: its effects are hundredths, which the axis would show as 0.
        const double v = std::abs(sens[name][par.get<std::string>()].get<double>()) * (name == "gini_eur_per_inhabitant" ? 100 : 1);
        any = any || v > 0;
        rows.push_back({short_path(par.get<std::string>()), {v}});
      }
    if (!any) continue;
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second[0] > b.second[0]; });
    const std::string title = p.t("chart_sensitivity") + " " + p.quote(p.t("metric_" + name));
    o += "<h3>" + esc(title) + "</h3>\n" +
         bar_chart(p, fmt::format("c-sens-{}", ++chart), title, p.t("text_alt") + " " + p.quote(p.t("what_moves")) + ".",
                   p.t("effect") + (grid ? "" : " (|ρ|)") + (name == "gini_eur_per_inhabitant" ? " (Gini × 100)" : ""), {p.t("effect")}, rows);
  }
  o += "</section>\n";

  // The points.
  o += "<section id=\"points\">\n<h2>" + esc(p.t("all_points")) + "</h2>\n";
  const std::uint64_t shown = d["rows"].size(), all = d["points"].get<std::uint64_t>();
  if (shown < all)
    o += "<p class=\"sub\" id=\"rows-shown\">" + esc(fmt::format(fmt::runtime(p.t("points_shown")), p.count(static_cast<long long>(shown)), p.count(static_cast<long long>(all)))) + "</p>\n";
  std::vector<Column> pc{{p.t("point"), true, "data-col=\"point\""}};
  // A column of numbers aligns right and sorts as numbers; one of text (a method) does not.
  std::vector<bool> numeric;
  for (std::size_t k = 0; k < d["columns"].size(); ++k) {
    bool all = d["columns"][k] != "status" && d["columns"][k] != "message";
    for (const auto& r : d["rows"]) all = all && (r[k].get<std::string>().empty() || is_decimal(r[k].get<std::string>()));
    numeric.push_back(all);
  }
  for (std::size_t k = 0; k < d["columns"].size(); ++k) {
    const std::string name = d["columns"][k].get<std::string>();
    if (name == "point" || name == "message") continue;
    const bool metric = std::find(metrics.begin(), metrics.end(), d["columns"][k]) != metrics.end();
    pc.push_back({name == "status" ? p.t("status") : metric ? p.t("metric_" + name) : short_path(name), numeric[k],
                  "data-col=\"" + esc(name) + "\" title=\"" + esc(name) + "\""});
  }
  pc.push_back({p.t("message"), false, "data-col=\"message\""});
  open_table(o, "class=\"sortable\" id=\"t-points\"", p.t("all_points"), pc);
  const json& columns = d["columns"];
  for (const auto& r : d["rows"]) {
    o += "<tr>";
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const std::string name = columns[k].get<std::string>(), v = r[k].get<std::string>();
      if (name == "status") o += "<td>" + esc(p.t("status_" + v)) + "</td>";
      else if (name == "message") o += "<td class=\"sub\">" + esc(v) + "</td>";
      else if (v.empty()) o += "<td class=\"n\" data-v=\"\"></td>";
      else if (!numeric[k]) o += "<td>" + esc(v) + "</td>";
      else o += num_td(esc(name == "point" || name == "paradoxes" ? v : p.plain(v)), esc(v));
    }
    o += "</tr>\n";
  }
  close_table(o);
  o += "</section>\n";
}

// ---------------------------------------------------------------------------------------------
// The calibrate report.

/// Observed against fitted positions, one dot per observation with a fitted quota (coloured by
/// how it takes part in the fit), and the diagonal where the two agree.
std::string fit_chart(const Page& p, const std::string& id, const std::string& title, const std::string& desc, const json& observations) {
  const double size = 320, left = 60, top = 30, bottom = 50;
  const double width = left + size + 30, height = top + size + bottom;
  struct Dot {
    double observed, fitted;
    std::size_t colour;
    std::string label;
  };
  // Fitted against a budget, on shares, shown only: three colours of the Okabe–Ito palette.
  const auto colour_of = [](const std::string& t) -> std::size_t { return t == "budget" ? 3 : t == "shares" ? 0 : 5; };
  std::vector<Dot> dots;
  double max = 0;
  for (const auto& o : observations) {
    if (o["fitted"].is_null()) continue;
    const double ob = o["observed"].get<double>(), fi = o["fitted"].get<double>();
    max = std::max({max, ob, fi});
    dots.push_back({ob, fi, colour_of(o["treatment"].get<std::string>()),
                    fmt::format("{} {} {}: {} {}, {} {}", o["ags"].get<std::string>(), o["name"].get<std::string>(), o["year"].get<int>(),
                                p.t("fit_x"), p.number(ob, 2), p.t("fit_y"), p.number(fi, 2))});
  }
  const std::vector<double> tk = ticks(0, std::max(max, 1.0));
  const double hi = std::max(std::max(max, 1.0), tk.empty() ? 1.0 : tk.back());
  auto X = [&](double v) { return left + size * v / hi; };
  auto Y = [&](double v) { return top + size * (1 - v / hi); };
  std::string o;
  auto out = std::back_inserter(o);
  fmt::format_to(out, "<figure>\n<svg id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\">\n"
                      "<title id=\"{0}-t\">{3}</title>\n<desc id=\"{0}-d\">{4}</desc>\n",
                 id, width, height, esc(title), esc(desc));
  for (double v : tk)
    fmt::format_to(out, "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><line class=\"grid\" x1=\"{3}\" x2=\"{4}\" y1=\"{5:.1f}\" y2=\"{5:.1f}\"/>"
                        "<text x=\"{0:.1f}\" y=\"{6}\" text-anchor=\"middle\">{7}</text><text x=\"{8}\" y=\"{9:.1f}\" text-anchor=\"end\">{7}</text>\n",
                   X(v), top, top + size, left, left + size, Y(v), top + size + 14, esc(p.number(v, v == std::floor(v) ? 0 : 1)), left - 4, Y(v) + 4);
  fmt::format_to(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n", X(0), Y(0), X(hi), Y(hi));
  fmt::format_to(out, "<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/><line class=\"axis\" x1=\"{0}\" x2=\"{3}\" y1=\"{2}\" y2=\"{2}\"/>\n", left, top,
                 top + size, left + size);
  for (const Dot& d : dots)
    fmt::format_to(out, "<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"4.5\" fill=\"{}\" fill-opacity=\"0.85\" stroke=\"#fff\"><title>{}</title></circle>\n", X(d.observed),
                   Y(d.fitted), kPalette[d.colour], esc(d.label));
  fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", X(hi / 2), height - 12, esc(p.t("fit_x")));
  fmt::format_to(out, "<text transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n", Y(hi / 2), esc(p.t("fit_y")));
  fmt::format_to(out, "<text x=\"{}\" y=\"18\">{}</text>\n</svg>\n", left, esc(title));
  o += "<figcaption><div class=\"legend\">";
  for (const char* t : {"budget", "shares"})
    fmt::format_to(out, "<span style=\"--c:{}\">{}</span>", kPalette[colour_of(t)], esc(p.t(std::string("treatment_") + t)));
  fmt::format_to(out, "<span style=\"--c:{}\">{}</span><span style=\"--c:#999\">{}</span></div>{}</figcaption>\n</figure>\n", kPalette[colour_of("")],
                 esc(p.t("treatment_headcount")), esc(p.t("fit_diagonal")), esc(desc));
  return o;
}

/// `kimsim calibrate`: the key as fitted and how firmly the observations hold it, the fit per
/// observation (chart and table, each with its source), its quality in and out of sample, the
/// notes, and the variant to run next.
void calibrate_body(std::string& o, const Page& p, const json& d) {
  auto out = std::back_inserter(o);
  const json& fit = d["fit"];
  const json& loo = d["leave_one_out"];
  const std::string variant = d["variant"].get<std::string>();
  fmt::format_to(out, "<header>\n<h1>{}: {} – {} {}</h1>\n<p class=\"sub\">{}: {} · {}: {}</p>\n</header>\n", esc(p.t("title_calibrate")),
                 esc(d["scenario"].get<std::string>()), esc(p.t("baustein")), esc(d["baustein"].get<std::string>()), esc(d["baustein"].get<std::string>()),
                 esc(d["baustein_name"].get<std::string>()), esc(p.t("cal_from")), esc(d["observations_from"].get<std::string>()));
  o += "<nav aria-label=\"" + esc(p.t("contents")) + "\"><ol>";
  for (const auto& [anchor, label] : {std::pair{"headline", "headline"}, {"weights", "cal_weights"}, {"fit", "cal_fit"}, {"quality", "cal_quality"}, {"next", "cal_next"}})
    fmt::format_to(out, "<li><a href=\"#{}\">{}</a></li>", anchor, esc(p.t(label)));
  o += "</ol></nav>\n";

  // At a glance, with the caveat where the observations leave the key open.
  o += "<section id=\"headline\">\n<h2>" + esc(p.t("headline")) + "</h2>\n<dl class=\"cards\">\n";
  const auto card = [&](std::string_view label, const std::string& value, const char* id) {
    fmt::format_to(out, "<div><dt>{}</dt><dd id=\"{}\">{}</dd></div>\n", esc(label), id, esc(value));
  };
  card(p.t("cal_fitted_obs"), p.count(fit["observations"].get<long long>()) + " " + p.t("cal_of") + " " + p.count(static_cast<long long>(d["observations"].size())), "h-observations");
  card(p.t("cal_parameters"), p.count(fit["parameters"].get<long long>()), "h-parameters");
  card(p.t("cal_mae"), p.number(fit["mae"].get<double>(), 2) + " " + p.t("vza"), "h-mae");
  card(p.t("cal_loo_mae"), p.number(loo["mae"].get<double>(), 2) + " " + p.t("vza"), "h-loo-mae");
  card(p.t("cal_variant"), variant, "h-variant");
  o += "</dl>\n";
  for (const auto& n : d["notes"])
    if (n["id"] == "calibrate_loose_key")
      o += "<p class=\"flag\" id=\"caveat\">" + esc(note_text({n["id"].get<std::string>(), n["args"].get<std::vector<std::string>>()}, p.lang())) + "</p>\n";
  o += "</section>\n";

  // The weights: a table and their bands.
  const json& boot = d["bootstrap"];
  const bool resampled = boot["replications"].get<std::uint64_t>() > 0;
  o += "<section id=\"weights\">\n<h2>" + esc(p.t("cal_weights")) + "</h2>\n<p class=\"sub\">" +
       esc(resampled ? fmt::format(fmt::runtime(p.t("cal_weights_hint")), p.count(boot["replications"].get<long long>()), p.count(boot["seed"].get<long long>()))
                     : p.t("cal_no_bootstrap")) +
       "</p>\n";
  std::vector<Column> wcols = {{p.t("indicator")}, {p.t("weight"), true}, {p.t("cal_written"), true}};
  if (resampled) wcols.insert(wcols.end(), {{p.t("sd"), true}, {p.t("p05"), true}, {p.t("p95"), true}});
  wcols.push_back({p.t("at_bound")});
  open_table(o, "id=\"t-weights\"", p.t("cal_weights"), wcols);
  std::vector<std::pair<std::string, std::array<double, 3>>> bands;
  for (const auto& w : d["weights"]) {
    const double v = w["weight"].get<double>();
    fmt::format_to(out, "<tr data-indicator=\"{0}\"><th scope=\"row\">{0}</th>{1}{2}", esc(w["indicator"].get<std::string>()), num_cell(esc(p.number(v, 4))),
                   num_td(esc(p.plain(w["written"].get<std::string>())), esc(w["written"].get<std::string>())));
    if (resampled) {
      const json& b = w["bootstrap"];
      o += num_cell(esc(p.number(b["sd"].get<double>(), 4))) + num_cell(esc(p.number(b["p05"].get<double>(), 4))) + num_cell(esc(p.number(b["p95"].get<double>(), 4)));
      bands.push_back({w["indicator"].get<std::string>(), {b["p05"].get<double>(), v, b["p95"].get<double>()}});
    } else {
      bands.push_back({w["indicator"].get<std::string>(), {v, v, v}});
    }
    o += "<td>" + esc(p.t(w["at_bound_0"].get<bool>() ? "yes" : "no")) + "</td></tr>\n";
  }
  const json& base = d["base_vza"];
  {
    const bool fitted = base["fitted"].get<bool>();
    fmt::format_to(out, "<tr data-indicator=\"base\"><th scope=\"row\">{} ({})</th>{}{}", esc(p.t("cal_base")),
                   esc(p.t(fitted ? "cal_base_fitted" : "cal_base_fixed")), num_cell(esc(p.number(base["value"].get<double>(), 4))),
                   num_cell(esc(p.plain(base["written"].get<std::string>()))));
    if (resampled) {
      if (base.contains("bootstrap"))
        o += num_cell(esc(p.number(base["bootstrap"]["sd"].get<double>(), 4))) + num_cell(esc(p.number(base["bootstrap"]["p05"].get<double>(), 4))) +
             num_cell(esc(p.number(base["bootstrap"]["p95"].get<double>(), 4)));
      else o += "<td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td>";
    }
    o += "<td>" + (base.contains("at_bound_0") ? esc(p.t(base["at_bound_0"].get<bool>() ? "yes" : "no")) : std::string("–")) + "</td></tr>\n";
  }
  close_table(o);
  o += interval_chart(p, "c-weights", p.t("chart_weights"), p.t("text_alt") + " " + p.quote(p.t("cal_weights")) + ".", p.t("weight"), bands, false,
                      "cal_fitted_weight");
  o += "</section>\n";

  // The fit per observation: the chart, then the table (its text alternative), as calibrate.csv.
  o += "<section id=\"fit\">\n<h2>" + esc(p.t("cal_fit")) + "</h2>\n<p class=\"sub\">" + esc(p.t("cal_fit_hint")) + "</p>\n<p class=\"sub\">" +
       esc(p.t("cal_treatments")) + "</p>\n";
  o += fit_chart(p, "c-fit", p.t("chart_fit"), p.t("text_alt") + " " + p.quote(p.t("cal_fit")) + ".", d["observations"]);
  open_table(o, "class=\"sortable\" id=\"t-observations\"", p.t("cal_fit"),
             {{p.t("ags"), false, "data-col=\"ags\""}, {p.t("name"), false, "data-col=\"name\""}, {p.t("year"), true, "data-col=\"year\""},
              {p.t("kind"), false, "data-col=\"kind\""}, {p.t("observed"), true, "data-col=\"observed\""}, {p.t("fit_y"), true, "data-col=\"fitted\""},
              {p.t("cal_apportioned"), true, "data-col=\"apportioned\""}, {p.t("cal_error"), true, "data-col=\"error\""},
              {p.t("cal_loo"), true, "data-col=\"loo_prediction\""}, {p.t("cal_loo_error"), true, "data-col=\"loo_error\""},
              {p.t("treatment"), false, "data-col=\"treatment\""}, {p.t("source"), false, "data-col=\"source\""}});
  // Each number to the decimals of calibrate.csv, sorted by its plain value; empty where it has none.
  const auto cell = [&](const json& v, int decimals) {
    if (v.is_null()) return std::string("<td class=\"n\" data-v=\"\"></td>");
    const std::string plain = fmt::format("{:.{}f}", v.get<double>(), decimals);
    return num_td(esc(p.plain(plain)), plain);
  };
  for (const auto& ob : d["observations"]) {
    const std::string kind = ob["kind"].get<std::string>(), treatment = ob["treatment"].get<std::string>();
    fmt::format_to(out, "<tr><td>{}</td><th scope=\"row\">{}</th>{}<td data-v=\"{}\">{}</td>{}{}{}{}{}{}<td data-v=\"{}\">{}</td><td class=\"src\">{}</td></tr>\n",
                   esc(ob["ags"].get<std::string>()), esc(ob["name"].get<std::string>()), num_td(std::to_string(ob["year"].get<int>()), std::to_string(ob["year"].get<int>())),
                   esc(kind), esc(p.t("kind_" + kind)), cell(ob["observed"], 2), cell(ob["fitted"], 4), cell(ob["apportioned"], 1), cell(ob["error"], 4),
                   cell(ob["loo_prediction"], 4), cell(ob["loo_error"], 4), esc(treatment), esc(p.t("short_" + treatment)), esc(ob["source"].get<std::string>()));
  }
  close_table(o);
  o += "</section>\n";

  // Quality in and out of sample, the years.
  o += "<section id=\"quality\">\n<h2>" + esc(p.t("cal_quality")) + "</h2>\n";
  open_table(o, "id=\"t-quality\"", p.t("cal_quality"), {{""}, {p.t("cal_in_sample"), true}, {p.t("cal_leave_one_out"), true}});
  fmt::format_to(out, "<tr><th scope=\"row\">{}</th>{}{}</tr>\n", esc(p.t("cal_count")), num_cell(p.count(fit["observations"].get<long long>())),
                 num_cell(p.count(loo["predicted"].get<long long>())));
  for (const auto& [key, label] : {std::pair{"mae", "cal_mae"}, {"rmse", "cal_rmse"}, {"max_error", "cal_max_error"}})
    fmt::format_to(out, "<tr data-metric=\"{}\"><th scope=\"row\">{} (VZÄ)</th>{}{}</tr>\n", key, esc(p.t(label)), num_cell(esc(p.number(fit[key].get<double>(), 2))),
                   num_cell(esc(p.number(loo[key].get<double>(), 2))));
  close_table(o);
  open_table(o, "id=\"t-years\"", p.t("cal_years"),
             {{p.t("year")}, {p.t("treatment")}, {p.t("cal_budget_positions"), true}, {p.t("cal_by_key"), true}, {p.t("recipients"), true}});
  for (const auto& y : d["years"]) {
    const std::string treatment = y["treatment"].get<std::string>();
    fmt::format_to(out, "<tr><th scope=\"row\">{}</th><td>{}</td>{}{}{}</tr>\n", y["year"].get<int>(), esc(p.t("treatment_" + treatment)),
                   num_cell(y["positions"].is_null() ? "–" : esc(p.number(y["positions"].get<double>(), 1))),
                   num_cell(y["positions_by_key"].is_null() ? "–" : esc(p.number(y["positions_by_key"].get<double>(), 2))),
                   num_cell(p.count(y["recipients"].get<long long>())));
  }
  close_table(o);
  if (!d["notes"].empty()) o += "<h3>" + esc(p.t("cal_notes")) + "</h3>\n" + note_list(p, d["notes"]);
  o += "<p class=\"sub\">" + esc(p.t("cal_model")) + ": <code>" + esc(d["model"].get<std::string>()) + "</code></p>\n</section>\n";

  // Next: the variant.
  o += "<section id=\"next\">\n<h2>" + esc(p.t("cal_next")) + "</h2>\n<p>" + esc(fmt::format(fmt::runtime(p.t("cal_next_text")), variant)) +
       "</p>\n<pre><code>kimsim run " + esc(variant) + "</code></pre>\n</section>\n";
}
}  // namespace

std::optional<Lang> parse_lang(std::string_view text) {
  if (text == "de") return Lang::de;
  if (text == "en") return Lang::en;
  return std::nullopt;
}

std::string_view lang_code(Lang lang) { return lang == Lang::de ? "de" : "en"; }

std::string data_island(const json& data) {
  std::string o = dump_json(data);
  // Rarely any '<' (a name with one): escaped in place, not by copying the island char by char.
  for (std::size_t at = o.find('<'); at != std::string::npos; at = o.find('<', at + 6)) o.replace(at, 1, "\\u003c");
  return o;
}

RunReport run_report(const LoadedScenario& ls, const Allocation& a, Lang lang) {
  const Scenario& s = ls.scenario;
  const Regions& g = ls.regions;
  RunReport d;
  d.lang = lang;
  d.scenario = &s;
  for (const auto& t : a.totals) d.allocated += t.allocated, d.unallocated += t.unallocated, d.halves += t.halves;

  // What each Kreis passes on, per Baustein (the note of its row).
  std::map<std::pair<std::size_t, std::size_t>, Halves> passed;
  for (const auto& r : a.rows)
    if (r.passed_on_by) passed[{r.baustein, *r.passed_on_by}] += r.halves;

  const std::size_t nb = s.bausteine.size();
  d.bausteine.resize(nb);
  for (std::size_t b = 0; b < nb; ++b) d.bausteine[b].baustein = &s.bausteine[b], d.bausteine[b].totals = &a.totals[b];
  for (const auto& r : a.rows) {
    const Region& reg = g.list[r.region];
    RunReport::Row row;
    row.region = &reg;
    row.halves = r.halves;
    row.cents = r.cents;
    row.key_share = std::round(r.key_share * 1e9) / 1e9;
    if (reg.type == RegionType::gemeinde) row.kreis = &g.list[g.kreis_of(r.region)].name;
    if (r.passed_on_by) row.passed_on_by = &g.list[*r.passed_on_by].name;
    if (const auto it = passed.find({r.baustein, r.region}); it != passed.end() && !r.passed_on_by) {
      row.passes_on = it->second;
      for (const PassThrough& pt : s.bausteine[r.baustein].pass_through)
        if (pt.kreis == reg.ags && !pt.waived.empty()) {
          row.waived.emplace();
          for (const auto& w : pt.waived) {
            const auto wi = g.find(w);
            row.waived->push_back(wi ? &g.list[*wi].name : &w);
          }
        }
    }
    d.bausteine[r.baustein].rows.push_back(std::move(row));
  }

  // Kreis-level areas: everything paid to any region inside a Kreis or kreisfreie Stadt.
  const auto pop = g.indicator("population");
  // The indicators of a Steckbrief by name, as the island's object holds them.
  std::vector<std::size_t> by_name(g.indicator_names.size());
  std::iota(by_name.begin(), by_name.end(), std::size_t{0});
  std::stable_sort(by_name.begin(), by_name.end(), [&](std::size_t x, std::size_t y) { return g.indicator_names[x] < g.indicator_names[y]; });
  std::map<std::size_t, std::size_t> area_index;  // region index of the Kreis -> areas position
  for (std::size_t i = 0; i < g.list.size(); ++i)
    if (g.kreis_of(i) == i && g.list[i].type != RegionType::gemeinde) area_index.emplace(i, 0);
  // Per area and member region: per Baustein halves and cents (the Steckbrief), present if any row.
  std::vector<std::map<std::size_t, std::vector<std::optional<std::pair<Halves, Cents>>>>> members(area_index.size());
  for (auto& [region, k] : area_index) {
    k = d.areas.size();
    RunReport::Area& x = d.areas.emplace_back();
    x.region = &g.list[region];
    x.halves_by_baustein.assign(nb, 0);
    x.key_share.assign(nb, std::nullopt);
  }
  for (const auto& r : a.rows) {
    const auto it = area_index.find(g.kreis_of(r.region));
    if (it == area_index.end()) continue;
    RunReport::Area& x = d.areas[it->second];
    x.halves_by_baustein[r.baustein] += r.halves;
    x.cents += r.cents;
    auto& m = members[it->second][r.region];
    if (m.empty()) m.assign(nb, std::nullopt);
    auto& cell = m[r.baustein];
    cell = std::pair{(cell ? cell->first : 0) + r.halves, (cell ? cell->second : 0) + r.cents};
    if (r.region == it->first && !r.passed_on_by) x.key_share[r.baustein] = std::round(r.key_share * 1e9) / 1e9;
  }
  std::vector<std::pair<double, double>> pop_cents;
  double total_pop = 0;
  Cents total_cents = 0;
  for (const auto& [region, k] : area_index) {
    RunReport::Area& x = d.areas[k];
    x.halves = std::accumulate(x.halves_by_baustein.begin(), x.halves_by_baustein.end(), Halves{0});
    for (const std::size_t c : by_name)
      x.indicators.emplace_back(&g.indicator_names[c], g.indicators(static_cast<Eigen::Index>(region), static_cast<Eigen::Index>(c)));
    if (pop) {
      const double population = g.indicators(static_cast<Eigen::Index>(region), static_cast<Eigen::Index>(*pop));
      x.population = population;
      if (population > 0) {
        x.per_1000_cents = static_cast<Cents>(std::llround(static_cast<double>(x.cents) * 1000.0 / population));
        pop_cents.emplace_back(population, static_cast<double>(x.cents));
        total_pop += population, total_cents += x.cents;
      }
    }
    // The area's own row first, then its Gemeinden in region order.
    auto& own = members[k];
    if (const auto it = own.find(region); it != own.end()) x.members.push_back({&g.list[region], std::move(it->second)});
    for (auto& [m, cells] : own)
      if (m != region) x.members.push_back({&g.list[m], std::move(cells)});
  }
  if (total_pop > 0) {
    d.average_per_1000_cents = static_cast<Cents>(std::llround(static_cast<double>(total_cents) * 1000.0 / total_pop));
    d.lorenz = lorenz(std::move(pop_cents));
  }
  if (!s.observed.empty()) d.validation = validation_rows(ls, a);
  d.notes = run_notes(ls, a);
  d.scenario_sha256 = &ls.input_sha256.at(0);
  // A variant names the chain of scenarios it extends (the hashes of each are in the manifest).
  if (ls.chain > 1) d.extends.assign(ls.inputs.begin() + 1, ls.inputs.begin() + long(ls.chain));
  return d;
}

std::string data_island(const RunReport& d) {
  const Scenario& s = *d.scenario;
  std::string o;
  o.reserve(256 * 1024);
  JsonWriter j(o);
  j.open_object();  // each object's keys in byte order, as nlohmann writes them
  j.key("areas").open_array();
  for (const auto& a : d.areas) {
    j.open_object().key("ags").text(a.region->ags).key("cents").integer(a.cents).key("halves").integer(a.halves);
    j.key("halves_by_baustein").open_array();
    for (const Halves h : a.halves_by_baustein) j.integer(h);
    j.close_array().key("indicators").open_object();
    for (const auto& [name, v] : a.indicators) j.key(*name).number(v);
    j.close_object().key("key_share_by_baustein").open_array();
    for (const auto& k : a.key_share) k ? j.number(*k) : j.null();
    j.close_array().key("members").open_array();
    for (const auto& m : a.members) {
      j.open_object().key("ags").text(m.region->ags).key("by_baustein").open_array();
      for (const auto& cell : m.by_baustein)
        cell ? j.open_object().key("cents").integer(cell->second).key("halves").integer(cell->first).close_object() : j.null();
      j.close_array().key("name").text(m.region->name).close_object();
    }
    j.close_array().key("name").text(a.region->name);
    if (a.per_1000_cents) j.key("per_1000_cents").integer(*a.per_1000_cents);
    if (a.population) j.key("population").number(*a.population);
    j.key("type").text(region_type_key(a.region->type)).close_object();
  }
  j.close_array().key("assumptions").texts(s.assumptions);
  if (d.average_per_1000_cents) j.key("average_per_1000_cents").integer(*d.average_per_1000_cents);
  j.key("bausteine").open_array();
  for (const auto& b : d.bausteine) {
    const BausteinTotals& t = *b.totals;
    j.open_object().key("allocated_cents").integer(t.allocated).key("budget_cents").integer(t.budget).key("halves").integer(t.halves);
    j.key("id").text(b.baustein->id).key("name").text(b.baustein->name).key("recipients").integer(static_cast<std::int64_t>(t.recipients));
    j.key("rows").open_array();
    for (const auto& r : b.rows) {
      j.open_object().key("ags").text(r.region->ags).key("cents").integer(r.cents).key("halves").integer(r.halves).key("key_share").number(r.key_share);
      if (r.kreis) j.key("kreis").text(*r.kreis);
      j.key("name").text(r.region->name);
      if (r.passed_on_by) j.key("passed_on_by").text(*r.passed_on_by);
      if (r.passes_on) j.key("passes_on_halves").integer(*r.passes_on);
      j.key("type").text(region_type_key(r.region->type));
      if (r.waived) {
        j.key("waived").open_array();
        for (const std::string* w : *r.waived) j.text(*w);
        j.close_array();
      }
      j.close_object();
    }
    j.close_array().key("unallocated_cents").integer(t.unallocated);
    if (t.unallocated > 0) j.key("unallocated_reason").text(t.unallocated_reason);
    j.close_object();
  }
  j.close_array().key("headline").open_object().key("allocated_cents").integer(d.allocated).key("budget_cents").integer(s.budget);
  j.key("halves").integer(d.halves);
  if (s.published_positions_over) j.key("published_positions_over").number(*s.published_positions_over);
  j.key("unallocated_cents").integer(d.unallocated).close_object();
  j.key("kind").text("run").key("lang").text(lang_code(d.lang));
  if (d.lorenz) {
    j.key("lorenz").open_object().key("gini").number(d.lorenz->gini).key("points").open_array();
    for (const auto& [x, y] : d.lorenz->points) j.open_array().number(x).number(y).close_array();
    j.close_array().close_object();
  }
  j.key("notes").open_array();
  for (const Note& n : d.notes) j.open_object().key("args").texts(n.args).key("id").text(n.id).close_object();
  j.close_array().key("programme").text(s.programme).key("provenance").open_object();
  if (!d.extends.empty()) j.key("extends").texts(d.extends);
  j.key("kimsim_commit").text(kGitCommit).key("kimsim_version").text(kVersion).key("scenario_sha256").text(*d.scenario_sha256).close_object();
  j.key("scenario").text(s.name).key("sources").texts(s.sources);
  if (!d.validation.empty()) {
    j.key("validation").open_array();
    for (const ValidationRow& v : d.validation)
      j.open_object().key("ags").text(v.ags).key("baustein").text(v.baustein).key("model_positions").number(v.model_positions).key("name").text(*v.name)
          .key("observed_positions").number(v.observed_positions).close_object();
    j.close_array();
  }
  j.key("year").integer(s.year).close_object();
  return o;
}

json compare_report_data(const Comparison& c, const std::vector<ComparedRun>& runs, const Decomposition* parts, Lang lang,
                         const CompareSimulation* simulated) {
  const Regions& g = runs.front().loaded->regions;
  json d;
  d["kind"] = "compare";
  d["lang"] = lang_code(lang);
  d["scenario"] = c.names.front();
  d["scenarios"] = json::array();
  for (std::size_t k = 0; k < runs.size(); ++k) {
    Cents allocated = 0;
    Halves halves = 0;
    for (const auto& t : runs[k].allocation->totals) allocated += t.allocated, halves += t.halves;
    d["scenarios"].push_back({{"name", c.names[k]}, {"file", runs[k].loaded->path}, {"budget_cents", runs[k].loaded->scenario.budget},
                              {"allocated_cents", allocated}, {"halves", halves}});
  }
  // Per territory, all Bausteine together, per scenario (the winners and losers of compare.hpp).
  std::map<std::size_t, std::pair<std::vector<Cents>, std::vector<Halves>>> per;
  for (const CompareLine& l : c.territories) {
    auto& [cents, halves] = per[l.region];
    if (cents.empty()) cents.assign(c.names.size(), 0), halves.assign(c.names.size(), 0);
    for (std::size_t k = 0; k < c.names.size(); ++k) cents[k] += l.cents[k], halves[k] += l.halves[k];
  }
  d["variants"] = json::array();
  for (std::size_t v = 0; v < c.changes.size(); ++v) {
    const VariantChange& ch = c.changes[v];
    json changes = json::array();
    for (const auto& [region, ch2] : per)
      changes.push_back({{"ags", g.list[region].ags}, {"name", g.list[region].name}, {"base_cents", ch2.first[0]}, {"variant_cents", ch2.first[v + 1]},
                         {"delta_cents", ch2.first[v + 1] - ch2.first[0]}, {"delta_halves", ch2.second[v + 1] - ch2.second[0]}});
    d["variants"].push_back({{"name", c.names[v + 1]}, {"winners", ch.winners}, {"losers", ch.losers}, {"gained_cents", ch.gained},
                             {"lost_cents", ch.lost}, {"moved_half_cents", ch.moved_half_cents}, {"changes", changes}});
  }
  d["fairness"] = json::array();
  for (const auto& perscen : c.fairness) {
    json a = json::array();
    for (const Fairness& f : perscen) {
      auto opt = [](const std::optional<double>& x) { return x ? json(std::round(*x * 1e6) / 1e6) : json(nullptr); };
      json gini = nullptr;
      for (const auto& [indicator, value] : f.gini)
        if (indicator == "population") gini = opt(value);
      a.push_back({{"baustein", f.baustein}, {"gini_population", gini}, {"gallagher_key", opt(f.gallagher_key)}, {"loosemore_hanby_key", opt(f.loosemore_hanby_key)},
                   {"gallagher_quota", opt(f.gallagher_quota)}, {"loosemore_hanby_quota", opt(f.loosemore_hanby_quota)}, {"max_min_ratio", opt(f.max_min_ratio)},
                   {"held_at_minimum", f.held_at_minimum.size()}, {"held_at_maximum", f.held_at_maximum.size()}});
    }
    d["fairness"].push_back(a);
  }
  // The territory's change in one Baustein between two scenarios, and the Baustein's in all.
  auto delta = [&](std::size_t region, const std::string& b, std::size_t from, std::size_t to) {
    for (const CompareLine& l : c.territories)
      if (l.region == region && l.baustein == b) return l.halves[to] - l.halves[from];
    return Halves{0};
  };
  d["paradoxes"] = json::array();
  for (const Paradox& x : c.paradoxes) {
    json who = json::array();
    for (std::size_t r : x.recipients) who.push_back({{"ags", g.list[r].ags}, {"name", g.list[r].name}, {"delta_halves", delta(r, x.baustein, x.from, x.to)}});
    Halves total = 0;
    for (const CompareLine& l : c.territories)
      if (l.baustein == x.baustein) total += l.halves[x.to] - l.halves[x.from];
    Cents budget_delta = 0;
    for (const auto& b : runs[x.to].loaded->scenario.bausteine)
      if (b.id == x.baustein) budget_delta += b.budget;
    for (const auto& b : runs[x.from].loaded->scenario.bausteine)
      if (b.id == x.baustein) budget_delta -= b.budget;
    d["paradoxes"].push_back({{"kind", std::string(paradox_name(x.kind))}, {"from", x.from}, {"to", x.to}, {"baustein", x.baustein}, {"recipients", who},
                              {"total_delta_halves", total}, {"budget_delta_cents", budget_delta}, {"reason", x.reason}});
  }
  if (parts) {
    json lines = json::array();
    for (const auto& l : parts->lines)
      lines.push_back({{"ags", g.list[l.region].ags}, {"name", g.list[l.region].name}, {"baustein", l.baustein}, {"total_cents", l.total},
                       {"alone_cents", l.alone}, {"stacked_cents", l.stacked}});
    d["decomposition"] = {{"steps", std::vector<std::string>(c.names.begin() + 1, c.names.end())}, {"lines", lines}, {"interaction_cents", parts->interaction}};
  }
  // The ten largest movers per variant and year: a table a person reads, the rest in compare_mc.csv.
  if (simulated) d["monte_carlo"] = compare_simulation_report_json(*simulated, c.names, g, 10);
  const json m = manifest_json(*runs.front().loaded, "", "");
  d["provenance"] = {{"kimsim_version", kVersion}, {"kimsim_commit", kGitCommit}, {"scenario_sha256", m["scenario_sha256"]}};
  return d;
}

json simulation_report_data(const LoadedScenario& ls, const SimulationResult& r, const json& summary, Lang lang) {
  json d;
  d["kind"] = "simulate";
  d["lang"] = lang_code(lang);
  d["scenario"] = ls.scenario.name;
  d["replications"] = summary["replications"];
  d["seed"] = summary["seed"];
  d["years"] = json::array();
  // The statewide figures as summary.json states them (decimal strings), the budget in cents.
  for (std::size_t y = 0; y < r.years.size(); ++y) {
    json year = summary["years"][y];
    year.erase("budget_eur");
    year["budget_cents"] = r.budget[y];
    d["years"].push_back(std::move(year));
  }
  d["notes"] = notes_json(simulation_notes(ls, r));
  // Per recipient the first and the last year only: each year adds about 230 KB of tables and
  // charts on the baseline, so that ten years would pass the 2 MB a report may have. Every year
  // is in simulation.csv, and the page says so.
  json slots = simulation_slots_json(ls, r);
  if (r.years.size() > 2) {
    const int first = r.years.front(), last = r.years.back();
    json kept = json::array();
    for (auto& row : slots)
      if (const int y = row["year"].get<int>(); y == first || y == last) kept.push_back(std::move(row));
    slots = std::move(kept);
    d["csv_only_years"] = std::vector<int>(r.years.begin() + 1, r.years.end() - 1);
  }
  d["slots"] = std::move(slots);
  const json m = manifest_json(ls, "", "");
  d["provenance"] = {{"kimsim_version", kVersion}, {"kimsim_commit", kGitCommit}, {"scenario_sha256", m["scenario_sha256"]}};
  return d;
}

json sweep_report_data(const nlohmann::json& summary, std::string_view sweep_csv, const std::string& scenario,
                       const std::string& scenario_sha256, Lang lang) {
  json d;
  d["kind"] = "sweep";
  d["lang"] = lang_code(lang);
  d["scenario"] = scenario;
  d["sweep"] = summary["sweep"];
  d["design"] = summary["design"];
  d["replications"] = summary["replications"];
  d["points"] = summary["points"];
  d["ok"] = summary["ok"];
  d["refused"] = summary["refused"];
  d["rounding"] = summary["rounding"];
  d["best_and_worst"] = summary["best_and_worst"];
  json sens = summary["sensitivity"];
  sens.erase("method");
  d["sensitivity"] = std::move(sens);
  // The rows of sweep.csv as written (decimal strings), the first kSweepRowsShown of them: a
  // page stays under 2 MB; every point is in sweep.csv.
  const CsvTable t = parse_csv(sweep_csv, "sweep.csv");
  d["columns"] = json::array();
  for (const auto& c : t.header.cells) d["columns"].push_back(c.text);
  json metrics = json::array(), parameters = json::array();
  const std::size_t status = *t.column("status");
  for (std::size_t k = 1; k < status; ++k) parameters.push_back(t.header.cells[k].text);
  for (std::size_t k = status + 1; k + 1 < t.header.cells.size(); ++k) metrics.push_back(t.header.cells[k].text);
  d["parameters"] = std::move(parameters);
  d["metrics"] = std::move(metrics);
  d["rows"] = json::array();
  const std::size_t shown = sweep_rows_shown(t.header.cells.size());
  for (std::size_t i = 0; i < t.rows.size() && i < shown; ++i) {
    json row = json::array();
    for (std::size_t k = 0; k < t.header.cells.size(); ++k) row.push_back(t.cell(t.rows[i], k));
    d["rows"].push_back(std::move(row));
  }
  d["provenance"] = {{"kimsim_version", kVersion}, {"kimsim_commit", kGitCommit}, {"scenario_sha256", scenario_sha256}};
  return d;
}

json calibrate_report_data(const json& calibrate, const std::vector<Note>& notes, const std::string& baustein_name,
                           const std::string& scenario_sha256, Lang lang) {
  json d;
  d["kind"] = "calibrate";
  d["lang"] = lang_code(lang);
  for (const char* key : {"scenario", "baustein", "model", "observations_from", "weights", "base_vza", "years", "fit", "leave_one_out", "bootstrap", "variant"})
    d[key] = calibrate[key];
  d["baustein_name"] = baustein_name;
  // Per observation the numbers of calibrate.csv (the errors where it was fitted); the treatment
  // as its code, said in the page's language.
  d["observations"] = json::array();
  for (const auto& o : calibrate["observations"]) {
    json r;
    for (const char* key : {"ags", "name", "year", "kind", "observed", "treatment", "fitted", "apportioned", "loo_prediction", "source"}) r[key] = o[key];
    const std::string t = o["treatment"].get<std::string>();
    const bool fitted = t == "budget" || t == "shares";
    const double observed = o["observed"].get<double>();
    // To 12 significant digits, as calibrate.json's numbers: what the fit determines.
    const auto difference = [&](const json& v) {
      return fitted && v.is_number() ? json(std::strtod(fmt::format("{:.12g}", v.get<double>() - observed).c_str(), nullptr)) : json(nullptr);
    };
    r["error"] = difference(o["fitted"]);
    r["loo_error"] = difference(o["loo_prediction"]);
    d["observations"].push_back(std::move(r));
  }
  d["notes"] = notes_json(notes);
  d["provenance"] = {{"kimsim_version", kVersion}, {"kimsim_commit", kGitCommit}, {"scenario_sha256", scenario_sha256}};
  return d;
}

WhatIfFigures whatif_figures(const json& data) {
  const Page p(parse_lang(data.value("lang", "de")).value_or(Lang::de));
  WhatIfFigures f;
  if (!data["variants"].empty()) f.diverging_svg = variant_chart(p, data, 0);
  for (const auto& x : data["paradoxes"]) f.paradoxes.push_back(paradox_text(p, x, data["scenarios"]));
  return f;
}

std::string report_html(const json& data) {
  const Page p(parse_lang(data.value("lang", "de")).value_or(Lang::de));
  const std::string kind = data["kind"].get<std::string>();
  std::string o;
  o.reserve(1 << 20);
  head(o, p, std::string(p.t("title_" + kind)) + ": " + data.value(kind == "sweep" ? "sweep" : "scenario", std::string()),
       kind == "calibrate" ? kCalibrateStyle : "");
  o += "<main>\n";
  if (kind == "compare") compare_body(o, p, data);
  else if (kind == "simulate") simulate_body(o, p, data);
  else if (kind == "sweep") sweep_body(o, p, data);
  else if (kind == "calibrate") calibrate_body(o, p, data);
  o += "</main>\n";
  tail(o, p, data);
  return o;
}

std::string report_html(const RunReport& r) {
  const Page p(r.lang);
  std::string o;
  o.reserve(1 << 20);
  head(o, p, std::string(p.t("title_run")) + ": " + r.scenario->name);
  o += "<main>\n";
  run_body(o, p, r);
  o += "</main>\n";
  tail(o, p, kVersion, kGitCommit, *r.scenario_sha256, r.extends, data_island(r));
  return o;
}

}  // namespace kimsim::io
