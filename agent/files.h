// Small file helpers of the agent's state directory. Errors carry the code "disk_full" when the
// device ran out of space (ENOSPC, EDQUOT), "io_error" otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::agent {

// Error for the errno of a failed file operation on `path`.
Error file_error(const std::string& what, const std::string& path, int err);
bool is_disk_full(const Error& e);

// Replaces `path` atomically: writes `<path>.tmp`, fsyncs it, renames it over `path`, and
// fsyncs the directory. A crash leaves either the old or the new content.
Status write_file_atomic(const std::string& path, std::string_view content);
// The whole file; nullopt when it does not exist or cannot be read.
std::optional<std::string> read_file(const std::string& path);
// Creates `dir` and its parents.
Status make_dirs(const std::string& dir);
// Bytes available to this process on the file system of `path`; nullopt when unknown.
std::optional<std::int64_t> free_bytes(const std::string& path);

}  // namespace nguon::agent
