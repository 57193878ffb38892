// Reading the metadata comments ("# method: ...") of the published result files.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace kimsim::test {

inline std::vector<std::string> published_files() {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(KIMSIM_TEST_DATA "/published"))
    if (e.path().extension() == ".csv") v.push_back(e.path().string());
  std::sort(v.begin(), v.end());
  return v;
}

/// The first value of each "# key: value" comment line.
inline std::map<std::string, std::string> read_meta(const std::string& path) {
  std::map<std::string, std::string> meta;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    meta.emplace(line.substr(2, colon - 2), value);
  }
  return meta;
}

}  // namespace kimsim::test
