// The file and null sinks: exact bytes appended per play, stream requests logged (the relay
// itself: stream_test.cpp), playing time simulated on the injected clock. And the exec relay
// hook.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapters/sink/file_sink.h"
#include "adapters/sink/timed_sink.h"
#include "agent/files.h"
#include "agent/relay_hook.h"
#include "tests/agent/agent_fakes.h"

namespace nguon::agent {
namespace {

using testing::ManualClock;

class SinkTest : public ::testing::Test {
 protected:
  SinkTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("nguon-sink-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~SinkTest() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  ManualClock clock_;
};

TEST_F(SinkTest, FileSinkAppendsTheExactBytesOfEachPlay) {
  std::string media("OggS\0\x01\x02 binary", 15);
  std::string path = (dir_ / "cached").string();
  std::ofstream(path, std::ios::binary) << media;
  sink::FileSink sink(dir_.string(), clock_);
  protocol::PlayItem item = testing::media("abc", 2500);
  ASSERT_TRUE(sink.start(item, path, 70));
  EXPECT_FALSE(sink.finished());
  clock_.advance(2);
  EXPECT_FALSE(sink.finished());  // 2.5 s rounds up to 3
  clock_.advance(1);
  EXPECT_TRUE(sink.finished());
  ASSERT_TRUE(sink.start(item, path, 70));
  EXPECT_EQ(read_file((dir_ / "abc.played").string()), media + media);
  EXPECT_EQ(sink.volume(), 70);
}

TEST_F(SinkTest, FileSinkLogsStreamRequests) {
  sink::FileSink sink(dir_.string(), clock_);
  protocol::PlayItem stream = testing::stream("http://127.0.0.1:9/vov1.ogg", 900);
  ASSERT_TRUE(sink.start(stream, "", 50));
  EXPECT_EQ(read_file((dir_ / "streams.log").string()),
            std::to_string(clock_.now()) + " http://127.0.0.1:9/vov1.ogg 900\n");
  EXPECT_EQ(sink::FileSink::stream_file_name(stream.url), "stream-http___127.0.0.1_9_vov1.ogg.bin");
  ASSERT_TRUE(sink.stream_progress());  // the file sink fetches relays (stream_test.cpp)
  clock_.advance(899);
  EXPECT_FALSE(sink.finished());
  clock_.advance(1);
  EXPECT_TRUE(sink.finished());
}

TEST_F(SinkTest, FileSinkFailsCleanlyOnAMissingFile) {
  sink::FileSink sink(dir_.string(), clock_);
  Status st = sink.start(testing::media("abc"), (dir_ / "absent").string(), 70);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "sink_error");
  EXPECT_TRUE(sink.finished());
}

TEST_F(SinkTest, NullSinkCountsAndFinishesAtOnceWhenTheDurationIsUnknown) {
  sink::NullSink sink(clock_);
  ASSERT_TRUE(sink.start(testing::media("abc", 0), "/x", 70));
  EXPECT_TRUE(sink.finished());
  ASSERT_TRUE(sink.start(testing::media("abc", 1000), "/x", 70));
  EXPECT_FALSE(sink.finished());
  sink.stop();
  EXPECT_TRUE(sink.finished());
  EXPECT_EQ(sink.starts(), 2);
}

TEST_F(SinkTest, ExecRelayHookRunsTheCommandWithOnAndOff) {
  std::string script = (dir_ / "relay.sh").string();
  std::string out = (dir_ / "relay.out").string();
  std::ofstream(script) << "#!/bin/sh\necho \"$1\" >> " << out << "\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  Logger log(LogLevel::kOff);
  ExecRelayHook relay(script, log);
  relay.set(true);
  relay.set(false);
  EXPECT_EQ(read_file(out), "on\noff\n");
  ExecRelayHook missing((dir_ / "absent").string(), log);
  missing.set(true);  // logged, never a crash
}

}  // namespace
}  // namespace nguon::agent
