// The HTTP edge of `kimsim serve` (Boost.Beast): bytes in and out, the safety checks of a local
// server (the Host header, body size, per-request deadlines, no CORS), and the stop on SIGINT or
// SIGTERM. What a request means is decided by io::WhatIf alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "io/whatif.hpp"

namespace kimsim::io {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;  ///< 0: a free port, printed in the URL
  int threads = 4;
  int deadline_seconds = 10;  ///< per request: reading it, answering it, writing the answer
};

/// Serves `api` (and the page at /) until SIGINT or SIGTERM. `started` gets the URL once the
/// socket listens (the port chosen where 0 was asked for). Throws InputError where the address
/// cannot be bound.
void serve(const WhatIf& api, const ServerOptions& options, const std::function<void(const std::string& url)>& started);

}  // namespace kimsim::io
