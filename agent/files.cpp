#include "agent/files.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace nguon::agent {

Error file_error(const std::string& what, const std::string& path, int err) {
  bool full = err == ENOSPC || err == EDQUOT;
  return {ErrorKind::kUnavailable, full ? "disk_full" : "io_error",
          what + " " + path + ": " + std::strerror(err)};
}

bool is_disk_full(const Error& e) { return e.code == "disk_full"; }

namespace {

Status write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return file_error("write", path, errno);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

void fsync_dir_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return file_error("open", tmp, errno);
  Status st = write_all(fd, content, tmp);
  if (st && ::fsync(fd) != 0) st = file_error("fsync", tmp, errno);
  ::close(fd);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = file_error("rename", tmp, errno);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  fsync_dir_of(path);
  return {};
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return content;
}

Status make_dirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return file_error("mkdir", dir, ec.value());
  return {};
}

std::optional<std::int64_t> free_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
}

}  // namespace nguon::agent
