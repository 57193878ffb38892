// The region loader: the Kreise and Gemeinden files and the indicator files a scenario names,
// into Regions, every value with the data file, line and column that set it (DataPlaces).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/csv.hpp"
#include "kimsim/model.hpp"

namespace kimsim::io {

/// A data file as the scenario names it.
struct DataFile {
  std::string path;     // relative to the working directory
  std::string written;  // as the scenario writes it, for messages that must not depend on the checkout
  std::string entry;    // its place in the scenario ("data.kreise"), for hints
  CsvFormat format;
  int year = 0;         // the year its data describe (`year:`); 0 where the scenario does not say
};

/// The scenario's `data:` block.
struct DataSpec {
  DataFile kreise, gemeinden;
  struct Indicator {
    DataFile file;
    std::string key;
    std::vector<std::pair<std::string, std::string>> columns;  // indicator name, CSV column
    std::string split_by;     // Kreis-level values split to Gemeinden by this indicator
    std::string split_where;  // where the scenario says so
    bool missing_zero = false;  // `missing: zero`: a region without a row counts as 0 (and is noted)
    std::string where;          // "file:line:column: data.indicators[i]"
    std::string row_sources;    // the column with each row's source: rows marked [A] are noted
  };
  std::vector<Indicator> indicators;
};

/// The files read, in order, with the SHA-256 of the bytes that were parsed (for the manifest).
struct InputFiles {
  std::vector<std::string> paths, sha256;
};

/// Data files parsed once for several scenarios read in one process (a base and its variants,
/// `kimsim compare`). A file is the same where its canonical path, device, inode, size and
/// modification time and the format it is read in are: then its parsed table and SHA-256 are
/// reused, also where two scenarios spell its path differently (`data/x.csv`,
/// `variants/../data/x.csv`; messages about its cells then name it as the first one did). A file
/// that failed to parse is not kept: each scenario reports it. The tables stay in memory as long
/// as the cache does, so only a command that loads several scenarios keeps one.
class DataCache {
 public:
  DataCache() = default;
  DataCache(const DataCache&) = delete;
  DataCache& operator=(const DataCache&) = delete;
  /// Files read and parsed through the cache, and files it gave again without reading them.
  std::size_t parses() const { return parses_; }
  std::size_t hits() const { return hits_; }

  struct Entry {
    std::string key;  ///< canonical path, identity, format
    std::shared_ptr<const CsvTable> table;
    std::string sha256;
  };

 private:
  friend struct DataCacheAccess;
  std::vector<Entry> entries_;
  std::size_t parses_ = 0, hits_ = 0;
};

/// Reads the regions and their indicators. Throws LocatedError (or InputError) at the first
/// problem; appends every file read to `inputs`. With a cache, files it holds are not read again.
Regions load_regions(const DataSpec& spec, InputFiles& inputs, DataCache* cache = nullptr);

/// "; did you mean 05978? ..." where an AGS that lost its leading zero (written as a number in
/// YAML or saved by a spreadsheet) names a region; "" otherwise.
std::string ags_hint(const Regions& r, const std::string& ags, bool in_csv);

/// A Gemeinde's status as the Gemeinden file writes it, and the flags it gives.
struct GemeindeStatus {
  std::string text;
  std::vector<std::string> flags;
};
/// Every status the loader knows (an unknown one is an error at its cell).
const std::vector<GemeindeStatus>& gemeinde_statuses();

}  // namespace kimsim::io
