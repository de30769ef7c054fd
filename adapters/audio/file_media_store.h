// A content-addressed media store on the local file system.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/speech.h"

namespace nguon {

// Files live at <root>/<aa>/<sha256>, where aa is the first two hex digits of the SHA-256 of
// the bytes (256 directories keep each one small). The store holds broadcast audio and board
// images: put() accepts "audio/ogg", "audio/opus" (reported as "audio/ogg"), "image/png",
// "image/jpeg" and "image/webp" (parameters such as "; codecs=opus" are ignored). The type is
// not kept: readers sniff it from the bytes (core/images.h).
//
// put() writes a temporary file (".tmp-*", never a valid id) in the destination directory,
// fsyncs it, renames it over the final name and fsyncs the directory: a crash leaves either
// the whole file or none (at worst an orphaned temporary file). Putting bytes whose file
// already exists with the same size writes nothing. Concurrent puts, from threads or processes,
// are safe: each writes its own temporary file and renames identical content.
//
// path_of() and read() accept only 64 lower-case hex digits, so no id can name a path outside the
// root; anything else, or an absent file, is not_found.
class FileMediaStore final : public MediaStore {
 public:
  // The root is created on the first put if it does not exist. Relative roots are made
  // absolute against the working directory at construction.
  explicit FileMediaStore(std::filesystem::path root);

  // Errors: invalid("unsupported_media_type"), invalid("empty_media"), kUnavailable
  // "storage_full" (ENOSPC/EDQUOT), internal for other I/O failures.
  Result<MediaInfo> put(std::string_view bytes, std::string_view content_type) override;
  Result<std::string> path_of(const std::string& sha256) override;
  // Same id rules as path_of; internal on a read error.
  Result<std::string> read(const std::string& sha256) override;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path file_path(const std::string& sha256) const;

  std::filesystem::path root_;
};

}  // namespace nguon
