#include "adapters/crypto/sodium_crypto.h"

#include <sodium.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace nguon {
namespace {

std::string to_hex(const unsigned char* data, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

}  // namespace

SodiumCrypto::SodiumCrypto(Argon2Profile profile) {
  if (sodium_init() < 0) std::abort();
  switch (profile) {
    case Argon2Profile::kMin:
      ops_ = crypto_pwhash_OPSLIMIT_MIN;
      mem_ = crypto_pwhash_MEMLIMIT_MIN;
      break;
    case Argon2Profile::kInteractive:
      ops_ = crypto_pwhash_OPSLIMIT_INTERACTIVE;
      mem_ = crypto_pwhash_MEMLIMIT_INTERACTIVE;
      break;
    case Argon2Profile::kModerate:
      ops_ = crypto_pwhash_OPSLIMIT_MODERATE;
      mem_ = crypto_pwhash_MEMLIMIT_MODERATE;
      break;
  }
}

std::string SodiumCrypto::random_hex(size_t n) {
  std::vector<unsigned char> buf(n);
  randombytes_buf(buf.data(), n);
  return to_hex(buf.data(), n);
}

std::string SodiumCrypto::random_password(size_t length) {
  // No 0/O, 1/l/I: people read these passwords aloud and retype them.
  static constexpr std::string_view kAlphabet =
      "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    out.push_back(kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))]);
  }
  return out;
}

std::string SodiumCrypto::sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(digest, sizeof digest);
}

std::string SodiumCrypto::hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops_, mem_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return out;
}

bool SodiumCrypto::verify_password(std::string_view encoded_hash, std::string_view password) {
  const std::string hash(encoded_hash);  // needs NUL termination
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Crypto::SigningKeypair SodiumCrypto::signing_keypair() {
  SigningKeypair kp;
  kp.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  kp.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(kp.public_key.data()),
                      reinterpret_cast<unsigned char*>(kp.secret_key.data()));
  return kp;
}

std::string SodiumCrypto::sign_detached(std::string_view secret_key, std::string_view message) {
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    throw std::invalid_argument("ed25519: secret key must be 64 bytes");
  }
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return sig;
}

bool SodiumCrypto::verify_detached(std::string_view public_key, std::string_view message,
                                   std::string_view signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace nguon
