// The media cache: only complete, verified files are ever returned; corrupt and half downloads
// are discarded and retried; concurrent requests share one download.
#include "agent/media_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "adapters/crypto/sodium_crypto.h"
#include "tests/agent/test_http_server.h"

namespace nguon::agent {
namespace {

using testing::TestHttpServer;

class MediaCacheTest : public ::testing::Test {
 protected:
  MediaCacheTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("nguon-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    content_ = std::string(40'000, 'x') + "OggS tail";
    sha_ = crypto_.sha256_hex(content_);
    item_.sha256 = sha_;
    item_.bytes = static_cast<std::int64_t>(content_.size());
    source_ = {server_.url("/media"), "d0123456789abcdef", "pw"};
    server_.require_basic(protocol::base64_encode("d0123456789abcdef:pw"));
  }
  ~MediaCacheTest() override { std::filesystem::remove_all(dir_); }

  // Fetches and waits for the result.
  Status fetch_and_wait(MediaCache& cache) {
    std::promise<Status> done;
    auto result = done.get_future();
    cache.fetch(item_, source_, [&](const std::string&, const Status& st) { done.set_value(st); });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return internal("timeout");
    }
    return result.get();
  }
  bool part_file_left() const {
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().extension() == ".part") return true;
    }
    return false;
  }

  SodiumCrypto crypto_{Argon2Profile::kMin};
  TestHttpServer server_;
  std::filesystem::path dir_;
  std::string content_;
  std::string sha_;
  protocol::PlayItem item_;
  MediaSource source_;
};

TEST_F(MediaCacheTest, DownloadsVerifiesAndServesTheFile) {
  server_.set("/media/" + sha_, {content_});
  MediaCache cache(dir_.string(), crypto_);
  EXPECT_FALSE(cache.path_of(item_));
  ASSERT_TRUE(fetch_and_wait(cache));
  auto path = cache.path_of(item_);
  ASSERT_TRUE(path);
  std::ifstream in(*path, std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(stored, content_);
  EXPECT_FALSE(part_file_left());
}

TEST_F(MediaCacheTest, CorruptDownloadIsNeverServed) {
  std::string corrupt = content_;
  corrupt[100] = 'y';
  server_.set("/media/" + sha_, {corrupt});
  MediaCache cache(dir_.string(), crypto_);
  Status st = fetch_and_wait(cache);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "media_corrupt");
  EXPECT_FALSE(cache.path_of(item_));
  EXPECT_FALSE(std::filesystem::exists(dir_ / sha_));
  EXPECT_FALSE(part_file_left());
}

TEST_F(MediaCacheTest, HalfDownloadIsNeverServed) {
  server_.set("/media/" + sha_, {content_, 1000});
  MediaCache cache(dir_.string(), crypto_);
  Status st = fetch_and_wait(cache);
  ASSERT_FALSE(st);
  EXPECT_FALSE(cache.path_of(item_));
  EXPECT_FALSE(std::filesystem::exists(dir_ / sha_));
  EXPECT_FALSE(part_file_left());
}

TEST_F(MediaCacheTest, WrongCredentialsFail) {
  server_.set("/media/" + sha_, {content_});
  server_.require_basic(protocol::base64_encode("someone:else"));
  MediaCache cache(dir_.string(), crypto_);
  Status st = fetch_and_wait(cache);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "download_failed");
}

TEST_F(MediaCacheTest, CorruptFileLeftOnDiskIsDeletedNotServed) {
  std::filesystem::create_directories(dir_);
  {
    std::ofstream out(dir_ / sha_, std::ios::binary);
    out << std::string(content_.size(), 'z');  // right size, wrong content
  }
  MediaCache cache(dir_.string(), crypto_);
  EXPECT_FALSE(cache.path_of(item_));
  EXPECT_FALSE(std::filesystem::exists(dir_ / sha_));
}

TEST_F(MediaCacheTest, FailedDownloadIsRetriedAfterABackoffAndThenServed) {
  server_.set("/media/" + sha_, {content_, 10});
  MediaCache cache(dir_.string(), crypto_);
  ASSERT_FALSE(fetch_and_wait(cache));
  // Within the backoff nothing is requested again.
  int before = server_.requests();
  cache.fetch(item_, source_);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(server_.requests(), before);
  EXPECT_FALSE(cache.path_of(item_));
}

TEST_F(MediaCacheTest, ConcurrentRequestsShareOneDownload) {
  server_.set("/media/" + sha_, {content_});
  MediaCache cache(dir_.string(), crypto_, 4);
  std::vector<std::promise<bool>> done(20);
  for (auto& d : done) {
    cache.fetch(item_, source_,
                [&d](const std::string&, const Status& st) { d.set_value(st.ok()); });
  }
  for (auto& d : done) {
    auto f = d.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(f.get());
  }
  EXPECT_EQ(server_.requests(), 1);
  EXPECT_EQ(cache.downloads_completed(), 1);
}

TEST_F(MediaCacheTest, PruneKeepsWhatIsNeeded) {
  server_.set("/media/" + sha_, {content_});
  MediaCache cache(dir_.string(), crypto_);
  ASSERT_TRUE(fetch_and_wait(cache));
  EXPECT_EQ(cache.prune({sha_}), 0u);
  EXPECT_TRUE(cache.path_of(item_));
  EXPECT_EQ(cache.prune({}), 1u);
  EXPECT_FALSE(cache.path_of(item_));
}

}  // namespace
}  // namespace nguon::agent
