// The what-if API of `kimsim serve`, without the network: a request (method, target, body) in,
// a status and a JSON body out. The HTTP edge (io/server.hpp) only carries bytes to and from it,
// so that everything the API decides can be tested without a socket.
//
// Each base scenario of the served folder is loaded and compiled into a Plan once per year (its
// own, or one of its `years:` a request names), on first use, and then shared read-only by every
// request; a request's patch becomes per-evaluation inputs
// (io/patch.hpp, the same compiler `kimsim sweep` uses) evaluated into the request's own
// buffers. Concurrent requests are therefore safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kimsim::io {

struct ApiResponse {
  int status = 200;
  std::string body;  ///< JSON (the page: HTML)
  std::string content_type = "application/json";
};

/// The method a resource of the server takes ("GET" or "POST"), "" for none: what handle()
/// accepts and what a 405 names in its Allow header (the HTTP edge answers HEAD where GET is
/// taken, and names both).
std::string_view allowed_method(std::string_view path);

/// Limits of a request body: bytes, and nesting of JSON arrays and objects.
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr int kMaxJsonDepth = 8;

/// The page of GET / (io/page.cpp): HTML and script, calling the API above.
std::string_view whatif_page();

class WhatIf {
 public:
  /// Serves the scenarios (*.yaml) directly in `folder`, by name (the file name without .yaml).
  explicit WhatIf(std::filesystem::path folder);
  ~WhatIf();

  /// GET /api/scenarios, POST /api/evaluate, /api/explain, /api/variant, /api/report,
  /// /api/reopen; errors as
  /// {path, message, hint} with 400, 404, 405, 413 or 422.
  ApiResponse handle(std::string_view method, std::string_view target, std::string_view body) const;

  struct Base;  // a loaded and compiled scenario (whatif.cpp)

 private:
  /// A base of one scenario and year, built once (by the first request that needs it; the others
  /// wait for it) and then only read.
  struct Entry {
    std::once_flag once;
    std::shared_ptr<const Base> base;
  };
  std::filesystem::path folder_;
  mutable std::mutex mutex_;  // guards bases_ alone: a Base is immutable once built
  mutable std::map<std::string, std::shared_ptr<Entry>> bases_;  ///< by "name" (its own year) and "name@year"
  /// The scenario `name` of the folder, its dated values settled for `year` (default: its own
  /// year); a year outside its `years:` is refused, located at body.year.
  std::shared_ptr<const Base> base(const std::string& name, std::optional<int> year = std::nullopt) const;
  /// POST /api/reopen: the saved variant `name` of the folder's variants/ as its base and patch.
  std::string reopen(const std::string& name) const;
};

}  // namespace kimsim::io
