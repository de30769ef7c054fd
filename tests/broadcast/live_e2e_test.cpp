// Live broadcast end to end (issue 6): Mosquitto, nguon-server and nguon-agent processes with
// file sinks. A commune station operator goes live over the real WebSocket with real Opus
// packets (libopus); the agent of that commune relays the server's Ogg mount and its file sink
// holds a stream libopusfile decodes, while the agent of another commune hears nothing; the
// province's live preempts the commune's (whose microphone connection is closed); an
// emergency alert preempts the live on the device; stopping ends the mount.
#include <opus/opus.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cmath>

#include "adapters/sink/file_sink.h"
#include "tests/broadcast/e2e_fixture.h"
#include "tests/support/ogg_opus_decode.h"

namespace nguon::e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = beast::websocket;

// The console's microphone: real Opus packets (20 ms, 48 kHz mono) over the WebSocket.
class Microphone {
 public:
  Microphone(std::uint16_t port, const std::string& target, const std::string& cookie) : ws_(ioc_) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).connect(ep);
    ws_.set_option(bws::stream_base::decorator([cookie](bws::request_type& r) {
      r.set(beast::http::field::cookie, "nguon_session=" + cookie);
    }));
    ws_.handshake("127.0.0.1:" + std::to_string(port), target, ec_);
    int err = 0;
    enc_ = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    ws_.binary(true);
  }
  ~Microphone() { opus_encoder_destroy(enc_); }
  bool connected() const { return !ec_; }
  // Speaks for `packets` × 20 ms in real time; false once the server closed the connection.
  bool speak(int packets) {
    std::vector<opus_int16> pcm(960);
    unsigned char buf[1500];
    for (int p = 0; p < packets; ++p) {
      for (int i = 0; i < 960; ++i) {
        pcm[i] = static_cast<opus_int16>(6000 * std::sin(2 * M_PI * 330 * (n_ + i) / 48000.0));
      }
      n_ += 960;
      const int len = opus_encode(enc_, pcm.data(), 960, buf, sizeof buf);
      ws_.write(asio::buffer(buf, static_cast<std::size_t>(len)), ec_);
      if (ec_) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  // Waits for the server to close the connection; its close code (0 if it did not).
  int closed_by_server() {
    beast::flat_buffer b;
    ws_.read(b, ec_);
    return ec_ == bws::error::closed ? ws_.reason().code : 0;
  }
  void close() { ws_.close(bws::close_code::normal, ec_); }

 private:
  asio::io_context ioc_;
  bws::stream<asio::ip::tcp::socket> ws_;
  beast::error_code ec_;
  OpusEncoder* enc_ = nullptr;
  long n_ = 0;
};

class LiveEndToEnd : public BroadcastEndToEnd {
 protected:
  json::object start(const Session& who, const std::string& areas) {
    Reply r = who.post("/api/v1/live", R"({"areas":[)" + areas + R"(],"title":"Thông báo"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? json::parse(r.body).as_object() : json::object{};
  }
  json::object session(const Session& who, const json::object& s) {
    Reply r = who.get("/api/v1/live/" + std::string(s.at("id").as_string()));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).as_object();
  }
  // What the device's file sink recorded of the session's mount.
  std::string relayed(const std::string& device, const json::object& s) {
    const std::string url(s.at("stream_url").as_string());
    return read_file(dir_ / device / "sink" / sink::FileSink::stream_file_name(url));
  }
};

TEST_F(LiveEndToEnd, ACommuneOperatorsMicrophonePlaysOnThatCommunesSpeakersOnly) {
  const std::string a = add_agent("14797", "SN-A");
  const std::string b = add_agent("16597", "SN-B");
  for (const auto& id : {a, b}) ASSERT_TRUE(eventually([&] { return online(id); }, 20s));
  Session op = user_with_role("phatthanh.xa", "14797", "station_operator");

  // Someone else's commune, and a malformed body: refused, nothing ordered.
  EXPECT_EQ(op.post("/api/v1/live", R"({"areas":["16597"]})").status, 403);
  EXPECT_EQ(op.post("/api/v1/live", R"({"areas":"14797"})").status, 422);
  EXPECT_EQ(op.get("/api/v1/live/nope/audio").status, 426);  // not a WebSocket

  const json::object live = start(op, R"("14797")");
  EXPECT_EQ(live.at("level").as_string(), "commune");
  EXPECT_EQ(live.at("devices").as_int64(), 1);
  const std::string audio(live.at("audio_url").as_string());
  // A wrong token is refused before the handshake completes.
  Microphone forged(port_, audio.substr(0, audio.size() - 4) + "0000", op.cookie);
  EXPECT_FALSE(forged.connected());
  Microphone mic(port_, audio, op.cookie);
  ASSERT_TRUE(mic.connected());
  Microphone again(port_, audio, op.cookie);  // the token is used up
  EXPECT_FALSE(again.connected());

  ASSERT_TRUE(mic.speak(150));  // 3 s
  EXPECT_EQ(session(op, live).at("state").as_string(), "on_air");
  EXPECT_EQ(session(op, live).at("packets").as_int64(), 150);
  ASSERT_TRUE(
      eventually([&] { return testing::decoded_opus_samples(relayed(a, live)) > 48000; }, 10s))
      << "the agent did not relay the live stream: " << outputs();
  EXPECT_TRUE(eventually([&] { return has_play(a, "playing"); }, 10s));
  EXPECT_FALSE(
      fs::exists(dir_ / b / "sink" /
                 sink::FileSink::stream_file_name(std::string(live.at("stream_url").as_string()))));
  Reply board = op.get("/api/v1/live/" + std::string(live.at("id").as_string()) + "/devices");
  ASSERT_EQ(board.status, 200);
  EXPECT_EQ(json::parse(board.body).at("counts").at("playing").as_int64(), 1) << board.body;

  // The console closes the microphone: ended as stopped, the agent stops, the mount is gone.
  mic.close();
  ASSERT_TRUE(eventually([&] { return session(op, live).at("state").as_string() == "ended"; }, 5s));
  EXPECT_EQ(session(op, live).at("end_reason").as_string(), "stopped");
  EXPECT_TRUE(eventually([&] { return has_play(a, "played") || has_play(a, "interrupted"); }, 15s))
      << json::serialize(plays_of(a));
  const std::string url(live.at("stream_url").as_string());
  EXPECT_EQ(request(port_, "GET", url.substr(url.find("/live/"))).status, 404);
}

TEST_F(LiveEndToEnd, TheProvincePreemptsTheCommuneAndAnEmergencyPreemptsBoth) {
  const std::string a = add_agent("14797", "SN-A");
  ASSERT_TRUE(eventually([&] { return online(a); }, 20s));
  Session commune = user_with_role("phatthanh.xa", "14797", "station_operator");
  Session province = user_with_role("phatthanh.tinh", "38", "station_operator");

  const json::object mine = start(commune, R"("14797")");
  Microphone mic(port_, std::string(mine.at("audio_url").as_string()), commune.cookie);
  ASSERT_TRUE(mic.connected());
  ASSERT_TRUE(mic.speak(50));
  // The commune cannot go over itself; the province goes over the commune.
  Reply twice = commune.post("/api/v1/live", R"({"areas":["14797"]})");
  EXPECT_EQ(twice.status, 409) << twice.body;
  const json::object theirs = start(province, R"("38")");
  EXPECT_EQ(theirs.at("level").as_string(), "province");
  EXPECT_EQ(mic.closed_by_server(), 1000);  // the commune's microphone is told
  EXPECT_EQ(session(commune, mine).at("end_reason").as_string(), "preempted");
  Reply under = commune.post("/api/v1/live", R"({"areas":["14797"]})");
  EXPECT_EQ(under.status, 409) << under.body;

  Microphone loud(port_, std::string(theirs.at("audio_url").as_string()), province.cookie);
  ASSERT_TRUE(loud.connected());
  ASSERT_TRUE(loud.speak(100));
  ASSERT_TRUE(
      eventually([&] { return testing::decoded_opus_samples(relayed(a, theirs)) > 0; }, 10s))
      << outputs();

  // An emergency from the console interrupts the live on the device.
  Reply issued = admin_.post("/api/v1/alerts", R"({"owner_unit":"38","category":"Met",)"
                                               R"("event":"Lũ quét","headline":"Lũ quét",)"
                                               R"("instruction":"Di chuyển lên vùng cao.",)"
                                               R"("areas":["14797"]})");
  ASSERT_EQ(issued.status, 201) << issued.body;
  std::thread keep_talking([&loud] { loud.speak(150); });
  EXPECT_TRUE(eventually([&] { return has_play_with_reason(a, "interrupted", "preempted"); }, 30s))
      << json::serialize(plays_of(a));
  keep_talking.join();
  Reply stop =
      province.post("/api/v1/live/" + std::string(theirs.at("id").as_string()) + "/stop", "{}");
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(json::parse(stop.body).at("end_reason").as_string(), "stopped");
  EXPECT_EQ(loud.closed_by_server(), 1000);
}

}  // namespace
}  // namespace nguon::e2e
