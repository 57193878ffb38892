// One mechanism for code compiled once per instruction set: a list of named ways to compute the
// same thing, widest first, of which a caller takes the first this CPU supports, once. The kernel
// (the divisor methods' fast path) and the Monte Carlo (Philox's fill, the fairness sort) use it;
// the tests run every way this CPU has and compare their bits.
#pragma once

#include <span>

namespace kimsim {

/// One way to compute something, by an instruction set of its own; every way gives the same bits.
template <class Fn>
struct CpuPath {
  const char* name;
  Fn path;
  bool supported;  ///< by this CPU
};

/// The first of `paths` this CPU supports (any list of entries with a `supported` flag); the last
/// must run everywhere.
template <class Path>
const Path& first_supported(std::span<const Path> paths) {
  for (const Path& p : paths)
    if (p.supported) return p;
  return paths.back();
}

}  // namespace kimsim
