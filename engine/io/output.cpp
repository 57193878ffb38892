#include "io/output.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kimsim::io {

namespace fs = std::filesystem;

void write_atomically(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  const fs::path target = fs::absolute(dir).lexically_normal();
  const std::string suffix = "." + std::to_string(::getpid());
  const fs::path tmp = target.string() + ".partial" + suffix;
  const fs::path old = target.string() + ".previous" + suffix;
  std::error_code ec;
  try {
    fs::create_directories(target.parent_path());
    fs::remove_all(tmp);
    fs::create_directory(tmp);
    for (const auto& [name, content] : files) {
      std::ofstream out(tmp / name, std::ios::binary);
      out << content;
      out.flush();
      if (!out) throw Error("cannot write " + (tmp / name).string());
    }
    if (fs::exists(target)) fs::rename(target, old);
    fs::rename(tmp, target);
    fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    if (!fs::exists(target) && fs::exists(old)) fs::rename(old, target, ec);  // put the old one back
    throw Error("cannot write the results to " + target.string() + ": " + e.code().message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

std::string format_euros(Cents c) {
  const bool negative = c < 0;
  const unsigned long long v = negative ? 0ULL - static_cast<unsigned long long>(c) : static_cast<unsigned long long>(c);
  std::string cents = std::to_string(v % 100);
  return (negative ? "-" : "") + std::to_string(v / 100) + "." + (cents.size() < 2 ? "0" : "") + cents;
}

std::string format_positions(Halves h) {
  return std::to_string(h / 2) + (h % 2 ? ".5" : ".0");
}

}  // namespace kimsim::io
