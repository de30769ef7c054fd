#include "core/agent/replay_guard.h"

#include <gtest/gtest.h>

namespace nguon::agent {
namespace {

constexpr UnixTime kNow = 1'790'000'000;

protocol::Message msg(protocol::Payload data, std::int64_t seq, UnixTime exp = kNow + 600) {
  protocol::Message m;
  m.seq = seq;
  m.iat = kNow;
  m.exp = exp;
  m.to = "d/d0123456789abcdef/cmd";
  m.data = std::move(data);
  return m;
}

using V = ReplayGuard::Verdict;

TEST(ReplayGuard, RefusesAnOrderSeqAlreadyAccepted) {
  ReplayGuard g;
  EXPECT_EQ(g.admit(msg(protocol::PlayOrder{}, 5), kNow), V::kAccept);
  EXPECT_EQ(g.admit(msg(protocol::PlayOrder{}, 5), kNow + 1), V::kReplayed);
  EXPECT_EQ(g.admit(msg(protocol::StopOrder{}, 5), kNow + 1), V::kReplayed);
  // Orders are not ordered among themselves: an older seq not yet seen is fine.
  EXPECT_EQ(g.admit(msg(protocol::PlayOrder{}, 4), kNow + 1), V::kAccept);
}

TEST(ReplayGuard, ForgetsOrdersOnlyAfterTheirExpiry) {
  ReplayGuard g;
  EXPECT_EQ(g.admit(msg(protocol::PlayOrder{}, 5, kNow + 600), kNow), V::kAccept);
  EXPECT_EQ(g.admit(msg(protocol::PlayOrder{}, 6, kNow + 2000), kNow + 599), V::kAccept);
  EXPECT_EQ(g.remembered_orders(), 2u);
  EXPECT_EQ(g.admit(msg(protocol::PlayOrder{}, 7, kNow + 2000), kNow + 600), V::kAccept);
  EXPECT_EQ(g.remembered_orders(), 2u);  // 5 expired and was forgotten
}

TEST(ReplayGuard, DesiredStatesOnlyMoveForward) {
  ReplayGuard g;
  EXPECT_EQ(g.admit(msg(protocol::Manifest{}, 10), kNow), V::kAccept);
  EXPECT_EQ(g.manifest_seq(), 10);
  EXPECT_EQ(g.admit(msg(protocol::Manifest{}, 10), kNow), V::kDuplicate);
  EXPECT_EQ(g.admit(msg(protocol::Manifest{}, 9), kNow), V::kReplayed);
  EXPECT_EQ(g.admit(msg(protocol::Manifest{}, 12), kNow), V::kAccept);
  // Settings have their own sequence in force.
  EXPECT_EQ(g.admit(msg(protocol::Settings{}, 11), kNow), V::kAccept);
  EXPECT_EQ(g.admit(msg(protocol::Settings{}, 11), kNow), V::kDuplicate);
  EXPECT_EQ(g.admit(msg(protocol::Settings{}, 3), kNow), V::kReplayed);
  EXPECT_EQ(g.settings_seq(), 11);
}

TEST(ReplayGuard, SurvivesSerialization) {
  ReplayGuard g;
  ASSERT_EQ(g.admit(msg(protocol::Manifest{}, 10), kNow), V::kAccept);
  ASSERT_EQ(g.admit(msg(protocol::Settings{}, 11), kNow), V::kAccept);
  ASSERT_EQ(g.admit(msg(protocol::PlayOrder{}, 12), kNow), V::kAccept);
  auto restored = ReplayGuard::parse(g.serialize());
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(restored->serialize(), g.serialize());
  EXPECT_EQ(restored->admit(msg(protocol::PlayOrder{}, 12), kNow), V::kReplayed);
  EXPECT_EQ(restored->admit(msg(protocol::Manifest{}, 10), kNow), V::kDuplicate);
  EXPECT_EQ(restored->admit(msg(protocol::Settings{}, 2), kNow), V::kReplayed);
}

TEST(ReplayGuard, RefusesUnreadableText) {
  EXPECT_FALSE(ReplayGuard::parse("manifest x\n"));
  EXPECT_FALSE(ReplayGuard::parse("seen 1\n"));
  EXPECT_FALSE(ReplayGuard::parse("bogus 1 2\n"));
  EXPECT_TRUE(ReplayGuard::parse(""));
}

}  // namespace
}  // namespace nguon::agent
