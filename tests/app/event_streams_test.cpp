// EventStreams (app/event_streams.h): server-sent events of changing documents, driven by
// check_now() (a zero period starts no thread, so the test decides when checks happen).
#include "app/event_streams.h"

#include <gtest/gtest.h>

#include <map>

namespace nguon::app {
namespace {

class EventStreamsTest : public ::testing::Test {
 protected:
  EventStreamsTest()
      : streams_(
            "board",
            [this](const std::string& key) -> std::optional<std::string> {
              ++renders_[key];
              auto it = docs_.find(key);
              if (it == docs_.end()) return std::nullopt;
              return it->second;
            },
            2, std::chrono::milliseconds(0)) {}

  static std::string drain(http::BodyStream& s) {
    std::string out;
    EXPECT_TRUE(s.read(out));
    return out;
  }

  std::map<std::string, std::string> docs_{{"o1", R"({"n":1})"}, {"o2", R"({"n":2})"}};
  std::map<std::string, int> renders_;
  EventStreams streams_;
};

TEST_F(EventStreamsTest, ASubscriberGetsTheDocumentAtOnceThenOnlyItsChanges) {
  auto s = streams_.subscribe("o1");
  ASSERT_NE(s, nullptr);
  int wakes = 0;
  s->set_waker([&wakes] { ++wakes; });
  EXPECT_EQ(wakes, 1);  // something was already queued
  EXPECT_EQ(drain(*s), "retry: 2000\n\nevent: board\ndata: {\"n\":1}\n\n");
  streams_.check_now();
  EXPECT_EQ(drain(*s), "");  // unchanged: nothing sent
  docs_["o1"] = R"({"n":3})";
  streams_.check_now();
  EXPECT_EQ(drain(*s), "event: board\ndata: {\"n\":3}\n\n");
  EXPECT_EQ(wakes, 2);
  docs_.erase("o1");  // unreadable for now: the subscriber keeps what it has
  streams_.check_now();
  EXPECT_EQ(drain(*s), "");
}

TEST_F(EventStreamsTest, EachDocumentIsRenderedOncePerCheckAndSubscribersAreBounded) {
  auto a = streams_.subscribe("o2");
  auto b = streams_.subscribe("o2");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(streams_.subscribe("o1"), nullptr);  // at most 2
  renders_.clear();
  streams_.check_now();
  EXPECT_EQ(renders_["o2"], 1);
  EXPECT_EQ(streams_.subscribers(), 2U);
  a->close();  // the client left: its place is free again, nothing more is queued for it
  EXPECT_EQ(streams_.subscribers(), 1U);
  EXPECT_NE(streams_.subscribe("o1"), nullptr);
  std::string out;
  EXPECT_TRUE(a->read(out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace nguon::app
