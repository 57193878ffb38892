// The one way kimsim reads an input file (scenario, data CSV, apportion CSV): only regular files,
// at most a limit of bytes counted as they are read, and failures with the system's reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kimsim::io {

/// The bytes of the file at `path`. Throws LocatedError naming the file for anything that is not
/// a regular file (a directory, a FIFO, a device such as /dev/zero: reading one would hang or
/// never end), for a file that cannot be opened (with the system's reason: "No such file or
/// directory", "Permission denied", "Too many levels of symbolic links"), and for one with more
/// than `limit` bytes. The limit is counted on the bytes read, not on the size the file system
/// reports, which a file growing while it is read (or a special file) does not keep to.
/// `limit_reason` completes the message, e.g. "for a data file".
std::string read_input(const std::string& path, std::uintmax_t limit, const std::string& limit_reason);

/// Why read_input() could not read `path` as a regular file ("cannot open the file: No such file
/// or directory", "is a directory, not a regular file"); "" when it can. Nothing is read.
std::string input_problem(const std::string& path);

/// The file `name` (relative, or absolute) names when written in a file of folder `folder`, as
/// the operating system reads it: `folder/name` without `.` and `..` where that names the same
/// file (paths stay short in messages and manifests), and as it is where it does not -- `..` after
/// a symbolic link leads to the parent of the link's target, not back to where the text was.
std::string path_in(const std::string& folder, const std::string& name);

/// Whether two paths name the same place: the same text, or the same once each is resolved as far
/// as it exists (symbolic links, `.` and `..`); false where either cannot be resolved.
bool same_place(const std::string& a, const std::string& b);

/// "a directory", "a FIFO (named pipe)", "a symbolic link": what a file of this st_mode is, for
/// messages about a file in the way (the reader's and the writer's).
std::string kind_of(unsigned mode);

/// What a text without any visible character is, for "the file holds no ...": "the file is empty"
/// or, e.g., "the file holds only 3 carriage returns (CR, 0x0D), no text"; "" for any other text.
std::string blank_file(std::string_view text);

}  // namespace kimsim::io
