// SHA-256 (FIPS 180-4) of bytes, for the provenance in every manifest.
#pragma once

#include <string>
#include <string_view>

namespace kimsim::io {

/// Lower-case hex digest of the bytes. (Inputs are hashed as they are read, by their reader: the
/// digest is of the bytes that were parsed.)
std::string sha256(std::string_view bytes);
/// The same without the CPU's SHA extensions, which sha256() uses where it has them (for tests).
std::string sha256_portable(std::string_view bytes);

}  // namespace kimsim::io
