// The notes kimsim itself writes into a result: how an indicator was derived, how a tie was
// decided, what a simulation's quantiles mean. Each is a fixed sentence with its values, keyed by
// an id; the sentences stand in one table (engine/model/notes.cpp) in English and German, so that
// summary.json and the terminal say them in English and report.html in the page's language.
// What a scenario's author wrote (assumptions, sources) is no note and stays as written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kimsim {

/// The language of a text for people (report.html; the CSV and JSON stay machine-readable).
enum class Lang : std::uint8_t { de, en };

struct Note {
  std::string id;                 ///< a key of the table, e.g. "indicator_split"
  std::vector<std::string> args;  ///< the values its sentence names, in order
  friend bool operator==(const Note&, const Note&) = default;
};

/// The note's sentence in `lang`. An id the table does not know is shown as it is written, so
/// that a note made of a sentence alone still reads.
std::string note_text(const Note& note, Lang lang = Lang::en);

/// The ids of the table, in its order (the tests check that both languages fill in the same values).
std::vector<std::string_view> note_ids();

}  // namespace kimsim
