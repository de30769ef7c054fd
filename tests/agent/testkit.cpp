// nguon-agent-testkit: makes what the agent's manual and load tests need without a server.
//   keygen KEYFILE                     a signing key (JSON: kid, public_key, secret_key base64)
//   bundles KEYFILE N HOST PORT URL    N bundles (JSON array on stdout), devices d000…0001…,
//                                      areas VN, 38, 14797, one password "pw-<device>"
//   play KEYFILE TOPIC SEQ ORDER PRIORITY [SHA BYTES DURATION_MS]
//                                      a sealed play order for TOPIC (stdout), valid 10 minutes
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "adapters/crypto/sodium_crypto.h"
#include "agent/files.h"
#include "core/bulletins.h"
#include "core/protocol.h"

namespace {

using namespace nguon;

int usage() {
  std::fprintf(stderr,
               "usage: nguon-agent-testkit keygen KEYFILE\n"
               "       nguon-agent-testkit bundles KEYFILE N HOST PORT MEDIA_URL\n"
               "       nguon-agent-testkit play KEYFILE TOPIC SEQ ORDER PRIORITY "
               "[SHA BYTES DURATION_MS]\n");
  return 2;
}

std::optional<protocol::SigningKey> load_key(const std::string& path) {
  auto text = agent::read_file(path);
  if (!text) return std::nullopt;
  auto o = boost::json::parse(*text).as_object();
  auto pub = protocol::base64_decode(o["public_key"].as_string());
  auto sec = protocol::base64_decode(o["secret_key"].as_string());
  if (!pub || !sec) return std::nullopt;
  return protocol::SigningKey{std::string(o["kid"].as_string()), *pub, *sec};
}

std::string device_id(long n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "d%016lx", n);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  SodiumCrypto crypto(Argon2Profile::kMin);
  std::string cmd = argv[1];
  if (cmd == "keygen") {
    auto pair = crypto.signing_keypair();
    boost::json::object o{{"kid", protocol::key_id(crypto, pair.public_key)},
                          {"public_key", protocol::base64_encode(pair.public_key)},
                          {"secret_key", protocol::base64_encode(pair.secret_key)}};
    return agent::write_file_atomic(argv[2], boost::json::serialize(o)) ? 0 : 1;
  }
  auto key = load_key(argv[2]);
  if (!key) {
    std::fprintf(stderr, "cannot read key %s\n", argv[2]);
    return 1;
  }
  if (cmd == "bundles" && argc == 7) {
    long n = std::stol(argv[3]);
    std::string out = "[";
    for (long i = 1; i <= n; ++i) {
      protocol::Bundle b;
      b.device = device_id(i);
      b.broker_host = argv[4];
      b.broker_port = std::stoi(argv[5]);
      b.password = "pw-" + b.device;
      b.media_base_url = argv[6];
      b.areas = {"VN", "38", "14797"};
      b.keys = {{key->kid, key->public_key}};
      if (i > 1) out += ",\n";
      out += protocol::encode_bundle(b);
    }
    out += "]\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (cmd == "play" && (argc == 7 || argc == 10)) {
    protocol::PlayOrder order;
    order.order = argv[5];
    auto priority = bulletins::parse_priority(argv[6]);
    if (!priority) return usage();
    order.priority = *priority;
    if (argc == 10) {
      protocol::PlayItem item;
      item.sha256 = argv[7];
      item.bytes = std::stoll(argv[8]);
      item.duration_ms = std::stoll(argv[9]);
      order.items.push_back(item);
    }
    protocol::Message m;
    m.seq = std::stoll(argv[4]);
    m.iat = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
    m.exp = m.iat + protocol::kOrderLifetimeSeconds;
    m.to = std::string(protocol::address_of(argv[3]));
    m.data = order;
    std::cout << protocol::seal(crypto, *key, m) << "\n";
    return 0;
  }
  return usage();
}
