// Strict YAML, the part the scenario reader shares: yaml-cpp's own errors, located.
#pragma once

#include <yaml-cpp/exceptions.h>

#include <string>

namespace kimsim::io {

/// "file:line:column: not valid YAML: ..." from yaml-cpp's exception.
std::string not_valid_yaml(const std::string& file, const YAML::Exception& e);

}  // namespace kimsim::io
