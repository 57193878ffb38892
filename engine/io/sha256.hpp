// SHA-256 (FIPS 180-4) of files and strings, for the provenance in every manifest.
#pragma once

#include <string>
#include <string_view>

namespace kimsim::io {

/// Lower-case hex digest of the bytes.
std::string sha256(std::string_view bytes);
/// Digest of a file's contents; throws InputError if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace kimsim::io
