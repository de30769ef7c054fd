// Recording fakes of the broadcast ports and a ready DeviceService over a TempStore, shared by
// the service and API tests of the broadcast capability.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/devices/device_service.h"
#include "core/units.h"
#include "tests/support/fakes.h"

namespace nguon::testing {

class RecordingBus final : public DeviceBus {
 public:
  struct Published {
    std::string topic;
    std::string payload;
    bool retain = false;
  };
  Status publish(const std::string& topic, std::string_view payload, bool retain) override {
    std::lock_guard lock(mu_);
    if (fail) return Error{ErrorKind::kUnavailable, "unavailable", "broker down"};
    sent.push_back({topic, std::string(payload), retain});
    return {};
  }
  bool fail = false;
  std::vector<Published> sent;

 private:
  std::mutex mu_;
};

class RecordingBroker final : public BrokerAccounts {
 public:
  struct Account {
    std::string password;
    std::vector<std::string> areas;
  };
  Status upsert_device(const std::string& device_id, const std::string& password,
                       const std::vector<std::string>& areas) override {
    if (fail) return Error{ErrorKind::kUnavailable, "unavailable", "broker down"};
    accounts[device_id] = {password, areas};
    return {};
  }
  Status remove_device(const std::string& device_id) override {
    if (fail) return Error{ErrorKind::kUnavailable, "unavailable", "broker down"};
    accounts.erase(device_id);
    removed.push_back(device_id);
    return {};
  }
  bool fail = false;
  std::map<std::string, Account> accounts;
  std::vector<std::string> removed;
};

// Media by SHA-256: bytes in memory, and a copy in `dir` for serving by path.
class MemoryMedia final : public MediaStore {
 public:
  MemoryMedia(Crypto& crypto, std::string dir) : crypto_(crypto), dir_(std::move(dir)) {}
  Result<MediaInfo> put(std::string_view bytes, std::string_view content_type) override {
    const std::string sha = crypto_.sha256_hex(bytes);
    files_[sha] = std::string(bytes);
    std::ofstream(dir_ + "/" + sha, std::ios::binary) << bytes;
    return MediaInfo{sha, static_cast<std::int64_t>(bytes.size()), std::string(content_type)};
  }
  Result<std::string> path_of(const std::string& sha256) override {
    if (files_.count(sha256) == 0) return not_found("no such media");
    return dir_ + "/" + sha256;
  }
  Result<std::string> read(const std::string& sha256) override {
    auto it = files_.find(sha256);
    if (it == files_.end()) return not_found("no such media");
    return it->second;
  }

 private:
  Crypto& crypto_;
  std::string dir_;
  std::map<std::string, std::string> files_;
};

inline access::Principal principal(const std::string& name, Role role, const std::string& unit_code,
                                   const std::string& unit_path) {
  access::Principal p;
  p.username = name;
  p.unit_code = unit_code;
  p.grants = {{role, unit_code, unit_path}};
  return p;
}

// A DeviceService over a fresh TempStore (units VN → 38 → 14797, 16597 with villages 16597-001
// and 16597-002; 01 → 00004), with recording fakes and a fresh signing key.
struct DeviceWorld {
  DeviceWorld() : crypto(Argon2Profile::kMin), media(crypto, db.dir()) {
    Status seeded = db.store().write([](Tx& tx) -> Status {
      auto commune = tx.find_unit("16597");
      if (!commune) return commune.error();
      for (const char* code : {"16597-001", "16597-002"}) {
        NGUON_TRY(tx.insert_unit(units::make_unit(code, &*commune.value(), UnitLevel::kVillage,
                                                  "thôn", std::string("Thôn ") + code)));
      }
      return {};
    });
    if (!seeded) throw std::runtime_error(seeded.error().message);
    auto pair = crypto.signing_keypair();
    key = {protocol::key_id(crypto, pair.public_key), pair.public_key, pair.secret_key};
    service = std::make_unique<DeviceService>(
        db.store(), clock, crypto, bus, broker, key,
        ProvisioningTarget{"mqtt.nguon.test", 8883, true, "https://nguon.test/api/v1/device-media"},
        &media);
  }

  std::vector<protocol::PinnedKey> pinned() const { return {{key.kid, key.public_key}}; }

  // A loudspeaker cluster in `commune` (at lat, lon when given), registered by `who`; its id,
  // or "" (with a test failure) when registration fails.
  std::string add_cluster(const access::Principal& who, const std::string& serial,
                          const std::string& commune, std::optional<double> lat = std::nullopt,
                          std::optional<double> lon = std::nullopt) {
    DeviceDraft d;
    d.name = "Cụm loa " + serial;
    d.serial = serial;
    d.vendor = "Hanet";
    d.model = "IP-4G";
    d.commune_code = commune;
    d.lat = lat;
    d.lon = lon;
    d.horns = 4;
    d.watts = 100;
    auto r = service->register_device(who, d, {"tester", "127.0.0.1"});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : "";
  }

  // Every message published so far, opened as a device would (pinned key, signature, expiry).
  std::vector<std::pair<std::string, protocol::Message>> opened_messages() {
    std::vector<std::pair<std::string, protocol::Message>> out;
    for (const auto& m : bus.sent) {
      auto opened = protocol::open(crypto, pinned(), m.topic, m.payload, clock.now());
      EXPECT_TRUE(opened.ok()) << m.topic;
      if (opened) out.emplace_back(m.topic, opened.value());
    }
    return out;
  }

  TempStore db;
  ManualClock clock;
  SodiumCrypto crypto;
  RecordingBus bus;
  RecordingBroker broker;
  MemoryMedia media;
  protocol::SigningKey key;
  std::unique_ptr<DeviceService> service;
};

}  // namespace nguon::testing
