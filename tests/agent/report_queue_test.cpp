// The on-disk report queue: survives reopening, removes only acknowledged reports, never reuses
// an id, tolerates a torn last line.
#include "agent/report_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace nguon::agent {
namespace {

class ReportQueueTest : public ::testing::Test {
 protected:
  ReportQueueTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("nguon-queue-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "reports.log").string();
  }
  ~ReportQueueTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<DiskReportQueue> open() {
    auto q = DiskReportQueue::open(path_);
    EXPECT_TRUE(q) << q.error().message;
    return std::move(q.value());
  }
  static protocol::Event played(const std::string& slot) {
    protocol::Event e;
    e.type = protocol::EventType::kPlayed;
    e.ts = 1'790'000'000;
    e.slot = slot;
    return e;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ReportQueueTest, AppendAssignsIdsAndKeepsOrder) {
  auto q = open();
  auto e1 = played("s1");
  auto e2 = played("s2");
  auto r1 = q->append(e1);
  auto r2 = q->append(e2);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(e1.id, "1");
  EXPECT_EQ(e2.id, "2");
  auto decoded = protocol::decode_event(r2->json);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, e2);
  auto pending = q->pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, 1u);
  EXPECT_EQ(pending[1].id, 2u);
}

TEST_F(ReportQueueTest, SurvivesReopenAndRemovesOnlyAcknowledged) {
  {
    auto q = open();
    for (int i = 0; i < 5; ++i) {
      auto e = played("s" + std::to_string(i));
      ASSERT_TRUE(q->append(e));
    }
    q->remove(2);
    q->remove(4);
    q->remove(99);  // unknown: ignored
  }
  auto q = open();
  auto pending = q->pending();
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].id, 1u);
  EXPECT_EQ(pending[1].id, 3u);
  EXPECT_EQ(pending[2].id, 5u);
  // Ids never repeat, even after every report was acknowledged and the log compacted.
  for (auto id : {1u, 3u, 5u}) q->remove(id);
  q.reset();
  q = open();
  EXPECT_EQ(q->size(), 0u);
  auto e = played("next");
  ASSERT_TRUE(q->append(e));
  EXPECT_EQ(e.id, "6");
}

TEST_F(ReportQueueTest, TornLastLineIsIgnored) {
  {
    auto q = open();
    auto e = played("s1");
    ASSERT_TRUE(q->append(e));
  }
  {
    std::ofstream out(path_, std::ios::app);
    out << "E 2 {\"id\":\"2\",\"type\":\"pla";  // a crash mid-append
  }
  auto q = open();
  ASSERT_EQ(q->size(), 1u);
  auto e = played("s3");
  ASSERT_TRUE(q->append(e));
  q.reset();
  q = open();
  EXPECT_EQ(q->size(), 2u);
}

TEST_F(ReportQueueTest, CompactsAfterManyAcknowledgements) {
  auto q = open();
  for (int i = 0; i < 600; ++i) {
    auto e = played("s");
    auto r = q->append(e);
    ASSERT_TRUE(r);
    q->remove(r->id);
  }
  EXPECT_LT(std::filesystem::file_size(path_), 30'000u);  // 600 reports are ~60 kB
}

// The simulator restarts with fresh memory: its ids must still be new to the server.
TEST(MemoryReportQueue, ARestartedProcessStartsAboveAnyEarlierId) {
  protocol::Event e;
  e.type = protocol::EventType::kFault;
  MemoryReportQueue first(MemoryReportQueue::first_id_now());
  std::uint64_t last = 0;
  for (int i = 0; i < 1000; ++i) last = first.append(e)->id;
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // 1,000 reports take < 2 ms
  MemoryReportQueue restarted(MemoryReportQueue::first_id_now());
  EXPECT_GT(restarted.append(e)->id, last);
  EXPECT_GT(last, 1'700'000'000'000'000ULL);  // microseconds since 1970, not 1, 2, 3…
}

TEST(MemoryReportQueue, AssignsIdsAndRemoves) {
  MemoryReportQueue q;
  protocol::Event e;
  e.type = protocol::EventType::kFault;
  auto r = q.append(e);
  ASSERT_TRUE(r);
  EXPECT_EQ(e.id, "1");
  EXPECT_EQ(q.size(), 1u);
  q.remove(r->id);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace nguon::agent
