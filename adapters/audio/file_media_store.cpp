#include "adapters/audio/file_media_store.h"

#include <algorithm>
#include <vector>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace nguon {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
  std::string message = "media store: " + what + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    return {ErrorKind::kUnavailable, "storage_full", std::move(message)};
  }
  return internal(std::move(message));
}

bool is_media_id(const std::string& id) {
  if (id.size() != crypto_hash_sha256_BYTES * 2) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// "audio/ogg; codecs=opus" -> "audio/ogg"
std::string media_type_of(std::string_view content_type) {
  const std::size_t semi = content_type.find(';');
  std::string_view type = content_type.substr(0, semi);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) {
    type.remove_suffix(1);
  }
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) {
    type.remove_prefix(1);
  }
  std::string lower(type);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// fsync of a directory makes a rename or a new entry in it durable.
Status sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync directory", dir, err);
  return {};
}

bool regular_file_of_size(const std::filesystem::path& path, std::size_t size) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<std::size_t>(st.st_size) == size;
}

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

FileMediaStore::FileMediaStore(std::filesystem::path root) : root_(std::move(root)) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(root_, ec);
  if (!ec) root_ = absolute.lexically_normal();
}

std::filesystem::path FileMediaStore::file_path(const std::string& sha256) const {
  return root_ / sha256.substr(0, 2) / sha256;
}

Result<MediaInfo> FileMediaStore::put(std::string_view bytes, std::string_view content_type) {
  const std::string type = media_type_of(content_type);
  static const std::vector<std::string> kAccepted = {"audio/ogg", "audio/opus", "image/png",
                                                     "image/jpeg", "image/webp"};
  if (std::find(kAccepted.begin(), kAccepted.end(), type) == kAccepted.end()) {
    return invalid("unsupported_media_type",
                   "the media store holds Ogg Opus audio and PNG, JPEG or WebP images, not '" +
                       std::string(content_type) + "'");
  }
  if (bytes.empty()) return invalid("empty_media", "no bytes to store");

  MediaInfo info;
  info.sha256 = sha256_hex(bytes);
  info.bytes = static_cast<std::int64_t>(bytes.size());
  info.content_type = type == "audio/opus" ? "audio/ogg" : type;
  const std::filesystem::path final_path = file_path(info.sha256);
  // Same name, same size: the same content (a SHA-256 collision is not a practical concern).
  // A size mismatch can only come from outside tampering; the rename below repairs it.
  if (regular_file_of_size(final_path, bytes.size())) return info;

  const std::filesystem::path dir = final_path.parent_path();
  std::error_code ec;
  const bool root_created = std::filesystem::create_directories(root_, ec);
  if (ec) return io_error("create directory", root_, ec.value());
  const bool dir_created = std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("create directory", dir, ec.value());
  if (root_created && root_.has_parent_path()) NGUON_TRY(sync_directory(root_.parent_path()));
  if (dir_created) NGUON_TRY(sync_directory(root_));

  std::string tmp_name = (dir / (".tmp-" + info.sha256.substr(0, 16) + "-XXXXXX")).string();
  std::vector<char> tmpl(tmp_name.begin(), tmp_name.end());
  tmpl.push_back('\0');
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return io_error("create temporary file in", dir, errno);
  const std::filesystem::path tmp_path(tmpl.data());
  auto fail = [&](Error error) -> Result<MediaInfo> {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return error;
  };
  // mkostemp creates 0600; media is served by whatever reads the directory, so make it 0644.
  if (::fchmod(fd, 0644) != 0) return fail(io_error("chmod", tmp_path, errno));
  if (auto st = write_all(fd, bytes, tmp_path); !st) return fail(st.error());
  if (::fsync(fd) != 0) return fail(io_error("fsync", tmp_path, errno));
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return io_error("close", tmp_path, err);
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return io_error("rename to", final_path, err);
  }
  NGUON_TRY(sync_directory(dir));
  return info;
}

Result<std::string> FileMediaStore::path_of(const std::string& sha256) {
  if (!is_media_id(sha256)) return not_found("no media with that id");
  const std::filesystem::path path = file_path(sha256);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return not_found("no media with that id");
  }
  return path.string();
}

Result<std::string> FileMediaStore::read(const std::string& sha256) {
  auto path = path_of(sha256);
  if (!path) return path.error();
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found("no media with that id");
    return io_error("open", *path, errno);
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return io_error("read", *path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace nguon
