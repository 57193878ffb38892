#include "kimsim/notes.hpp"

#include <fmt/args.h>
#include <fmt/format.h>

namespace kimsim {

namespace {

struct Sentence {
  const char* id;
  const char* en;  ///< fmt replacement fields {0}, {1}, ... for the note's values
  const char* de;
};

// Every note kimsim writes, in both languages. The English ones are those of summary.json.
constexpr Sentence kSentences[] = {
    // Regions (engine/io/region_loader.cpp): 0 indicator, 1 region (AGS and name), 2 data file.
    {"indicator_missing_zero", "indicator '{0}': no row for {1} in {2}; counted as 0 (missing: zero)",
     "Kennzahl „{0}“: keine Zeile für {1} in {2}; als 0 gezählt (missing: zero)"},
    // 0 indicator, 1 data file, 2 the indicator it is split by.
    {"indicator_split", "indicator '{0}' is given per Kreis ({1}); Gemeinde values are split from it by {2} (an estimate)",
     "Kennzahl „{0}“ liegt je Kreis vor ({1}); die Werte der Gemeinden sind daraus nach {2} aufgeteilt (eine Schätzung)"},
    // 0 data file, 1 number of rows, 2 the file's column of row sources, 3 the rows (AGS and name).
    {"indicator_rows_assumed", "{0}: {1} rows hold values marked [A] (assumed; see their column '{2}'): {3}",
     "{0}: {1} Zeilen enthalten mit [A] markierte Werte (angenommen; siehe ihre Spalte „{2}“): {3}"},
    // Data of another year than the scenario's (engine/io/scenario.cpp): 0 data file, 1 its year, 2 the scenario's.
    {"data_year_kreise", "the Kreise' population and area ({0}): data of {1}, used for {2}",
     "Bevölkerung und Fläche der Kreise ({0}): Daten von {1}, verwendet für {2}"},
    {"data_year_gemeinden", "the Gemeinden's population and area ({0}): data of {1}, used for {2}",
     "Bevölkerung und Fläche der Gemeinden ({0}): Daten von {1}, verwendet für {2}"},
    // 0 the indicator's names, 1 data file, 2 its year, 3 the scenario's.
    {"data_year_indicator", "the indicator {0} ({1}): data of {2}, used for {3}",
     "Kennzahl {0} ({1}): Daten von {2}, verwendet für {3}"},
    {"data_year_indicators", "the indicators {0} ({1}): data of {2}, used for {3}",
     "Kennzahlen {0} ({1}): Daten von {2}, verwendet für {3}"},
    // A pass-through dropped for the year (engine/model/allocate.cpp): 0 Baustein, 1 Kreis (AGS
    // and name), 2 the year, 3 the Gemeinden (AGS and name).
    {"pass_through_excluded",
     "{0}: Kreis {1} is no recipient in {2} (recipients.exclude_from), so its pass-through to {3} does not apply",
     "{0}: Kreis {1} ist {2} kein Empfänger (recipients.exclude_from), daher entfällt seine Weiterleitung an {3}"},
    // Allocation (AllocationRule::tie_note): 0 Baustein.
    {"tie_units", "{0}: a tie for the last units was decided by the tie policy",
     "{0}: Ein Gleichstand um die letzten Einheiten wurde nach der Gleichstandsregel entschieden"},
    {"tie_cents", "{0}: equal claims to the last cents went to the earlier AGS",
     "{0}: Gleiche Ansprüche auf die letzten Cent gingen an den Empfänger mit dem kleineren AGS"},
    // Simulation (engine/io/sim_report.cpp).
    {"sim_quantiles_exact",
     "quantiles of positions and euros per recipient are exact (nearest rank); statewide spending quantiles are floors to 1,000 EUR",
     "Die Quantile der Stellen und Euro je Empfänger sind exakt (nächster Rang); die landesweiten Ausgabenquantile sind auf 1.000 EUR abgerundet."},
    // 0 slots binned, 1 the distinct amounts counted exactly.
    {"sim_quantiles_binned",
     "quantiles of positions are exact (nearest rank); of euros, exact except in {0} slots with more than {1} distinct amounts, "
     "where they are the smallest value of a 0.01 % wide bin; statewide spending quantiles are floors to 1,000 EUR",
     "Die Quantile der Stellen sind exakt (nächster Rang), die der Euro ebenfalls, außer in {0} Fällen mit mehr als {1} "
     "verschiedenen Beträgen: Dort sind sie der kleinste Wert eines 0,01 % breiten Intervalls. Die landesweiten "
     "Ausgabenquantile sind auf 1.000 EUR abgerundet."},
    {"sim_spent",
     "spent: money that flows out after the start month and the months until a position is filled; unspent: the rest of the budget",
     "Ausgegeben: Mittel, die nach dem Startmonat und den Monaten bis zur Besetzung einer Stelle abfließen; nicht ausgegeben: der Rest des Budgets."},
    {"sim_cofinancing", "co-financing: actual personnel cost above the flat amount per VZÄ, for the months filled",
     "Kofinanzierung: tatsächliche Personalkosten über der Pauschale je VZÄ, für die besetzten Monate."},
    {"sim_fairness",
     "fairness (Gini, max/min ratio of euros per inhabitant): over the Kreise and kreisfreie Städte with their Gemeinden whose "
     "Kreis or kreisfreie Stadt applied and received money in the replication; averaged over the replications in which "
     "some did",
     "Verteilungsgerechtigkeit (Gini, Max/Min der Euro je Einwohner): über die Kreise und kreisfreien Städte mit ihren "
     "Gemeinden, deren Kreis bzw. kreisfreie Stadt in der Replikation Mittel beantragt und erhalten hat; gemittelt über "
     "die Replikationen, in denen das auf mindestens einen zutraf."},
    // Calibration (engine/cli/calibrate_cmd.cpp).
    {"calibrate_bounds", "the quotas are fitted without the bounds min_vza/max_vza; the apportioned positions respect them",
     "Die Quoten sind ohne die Grenzen min_vza/max_vza angepasst; die zugeteilten Stellen halten sie ein."},
    // 0 the base fitted (VZÄ, 4 decimals), 1 as written, 2 the rule's unit.
    {"calibrate_base", "base fitted {0} VZÄ, written {1} VZÄ (rounded to the rule's unit of {2} VZÄ)",
     "Sockel angepasst: {0} VZÄ, geschrieben: {1} VZÄ (gerundet auf die Einheit der Regel von {2} VZÄ)"},
    // 0 the rounds.
    {"calibrate_not_converged", "the alternation between key and scales stopped after {0} rounds without settling",
     "Der Wechsel zwischen Schlüssel und Skalen endete nach {0} Runden, ohne sich einzupendeln: Die Anpassung ist unsicher."},
    // 0 the year, 1 its positions by key fitted (VZÄ, 2 decimals).
    {"calibrate_scale", "{0}: positions by key fitted as {1} VZÄ (the year's budget is not given by year)",
     "{0}: Stellen nach Schlüssel als {1} VZÄ angepasst (das Budget des Jahres ist nicht nach Jahren angegeben)"},
    // 0 the indicator.
    {"calibrate_at_bound", "the weight of '{0}' sits at its bound 0",
     "Das Gewicht von „{0}“ liegt an seiner Grenze 0: Die Beobachtungen sprechen gegen diese Kennzahl im Schlüssel."},
    // 0 the weights with their bootstrap 5-95 % intervals ("population 0.00-0.68, schutzsuchende 0.32-1.00").
    {"calibrate_loose_key",
     "the observations pin the key only loosely (bootstrap 5-95 %: {0}): the fitted key is an assumption, not a measurement; "
     "more observations would narrow it",
     "Die Beobachtungen legen den Schlüssel nur schwach fest (Bootstrap 5–95 %: {0}): Der angepasste Schlüssel ist eine "
     "Annahme, keine Messung; weitere Beobachtungen würden ihn eingrenzen."},
};

}  // namespace

std::string note_text(const Note& note, Lang lang) {
  for (const Sentence& s : kSentences) {
    if (note.id != s.id) continue;
    fmt::dynamic_format_arg_store<fmt::format_context> args;
    for (const auto& a : note.args) args.push_back(a);
    return fmt::vformat(lang == Lang::de ? s.de : s.en, args);
  }
  return note.id;
}

std::vector<std::string_view> note_ids() {
  std::vector<std::string_view> ids;
  for (const Sentence& s : kSentences) ids.emplace_back(s.id);
  return ids;
}

}  // namespace kimsim
