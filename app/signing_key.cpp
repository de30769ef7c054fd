#include "app/signing_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace nguon::app {
namespace {

constexpr std::string_view kHeader = "nguon-ed25519-v1";

Error key_error(const std::string& path, const std::string& why) {
  return invalid("invalid_config", "devices.signing_key_file " + path + ": " + why);
}

Result<protocol::SigningKey> parse_key(const std::string& path, const std::string& text,
                                       Crypto& crypto) {
  std::istringstream in(text);
  std::string header, secret_b64;
  std::getline(in, header);
  std::getline(in, secret_b64);
  if (header != kHeader) return key_error(path, "not a Nguồn signing key");
  auto secret = protocol::base64_decode(secret_b64);
  if (!secret || secret->size() != 64) return key_error(path, "the key is damaged");
  // libsodium's 64-byte secret key ends with the public key.
  std::string pub = secret->substr(32);
  const std::string probe = "nguon signing key self-test";
  if (!crypto.verify_detached(pub, probe, crypto.sign_detached(*secret, probe))) {
    return key_error(path, "the key does not verify");
  }
  return protocol::SigningKey{protocol::key_id(crypto, pub), pub, *secret};
}

Status create_key(const std::string& path, Crypto& crypto) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  auto kp = crypto.signing_keypair();
  const std::string text =
      std::string(kHeader) + "\n" + protocol::base64_encode(kp.secret_key) + "\n";
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return key_error(path, "cannot be created");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  // link() fails if another instance created the file first: then theirs is the key.
  if (!written || (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST)) {
    ::unlink(tmp.c_str());
    return key_error(path, "cannot be written");
  }
  ::unlink(tmp.c_str());
  return {};
}

}  // namespace

Result<protocol::SigningKey> load_or_create_signing_key(const std::string& path, Crypto& crypto) {
  if (!std::filesystem::exists(path)) NGUON_TRY(create_key(path, crypto));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return key_error(path, "must be readable by its owner only (chmod 600)");
  }
  std::ifstream in(path);
  if (!in) return key_error(path, "cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return parse_key(path, text.str(), crypto);
}

}  // namespace nguon::app
