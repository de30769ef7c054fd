// Relays (stream items) end to end in the runtime with the file sink: a loopback HTTP thread
// serves a generated Ogg Opus stream, trickled; the agent writes exactly the bytes it received,
// reconnects after a drop, reports `failed` with the source's reason (HTTP status, no answer,
// not audio) and switches the amplifier off, resumes when the source recovers, and yields to an
// emergency order. The runtime's clock is manual; the fetch uses short timeouts.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sndfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <numbers>
#include <thread>
#include <vector>

#include "adapters/audio/audio_pipeline.h"
#include "adapters/crypto/sodium_crypto.h"
#include "adapters/sink/file_sink.h"
#include "adapters/sink/relay_decoder.h"
#include "agent/files.h"
#include "agent/runtime.h"
#include "tests/agent/agent_fakes.h"

namespace nguon::agent {
namespace {

using namespace std::chrono_literals;
using testing::ManualClock;

const std::string kDevice = "d0123456789abcdef";

// A radio station on loopback: one scripted reply per connection (the last one repeats).
class StreamServer {
 public:
  struct Reply {
    enum Kind { kAudio, kStatus, kSilent } kind = kAudio;
    std::string body;
    size_t cut = std::string::npos;  // kAudio: close after this many bytes; else loop (live)
    int status = 200;                // kStatus
  };
  static Reply audio(std::string body, size_t cut = std::string::npos) {
    return {Reply::kAudio, std::move(body), cut, 200};
  }
  static Reply status(int code, std::string body = "") {
    return {Reply::kStatus, std::move(body), std::string::npos, code};
  }
  static Reply silent() { return {Reply::kSilent, "", std::string::npos, 0}; }

  StreamServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~StreamServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    for (auto& t : handlers_) t.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void script(std::vector<Reply> replies) {
    std::lock_guard lock(mu_);
    script_ = std::move(replies);
    next_ = 0;
  }
  int connections() const { return connections_; }
  int open() const { return open_; }
  // Every audio byte sent (recorded just before it is sent), over all connections.
  std::string sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      Reply reply;
      {
        std::lock_guard lock(mu_);
        reply = script_.empty() ? status(503) : script_[std::min(next_, script_.size() - 1)];
        ++next_;
      }
      ++connections_;
      ++open_;
      handlers_.emplace_back([this, c, reply] {
        handle(c, reply);
        ::close(c);
        --open_;
      });
    }
  }

  // Waits until the client closes or the server stops.
  void hold(int c) {
    char buf[256];
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0 && ::recv(c, buf, sizeof buf, 0) <= 0) return;
    }
  }

  void handle(int c, const Reply& reply) {
    std::string req;
    char buf[1024];
    while (req.find("\r\n\r\n") == std::string::npos && !stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    if (reply.kind == Reply::kSilent) return hold(c);
    if (reply.kind == Reply::kStatus) {
      send_all(c, "HTTP/1.1 " + std::to_string(reply.status) +
                      " Status\r\nContent-Type: text/html\r\nContent-Length: " +
                      std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" +
                      reply.body);
      return hold(c);
    }
    if (!send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: audio/ogg\r\nConnection: close\r\n\r\n"))
      return;
    // Trickled, 1 KiB every 5 ms; a live stream (no cut) loops its body until the client
    // hangs up.
    std::string body = reply.body.substr(0, reply.cut);
    bool live = reply.cut == std::string::npos;
    do {
      for (size_t off = 0; off < body.size() && !stop_; off += 1024) {
        std::string chunk = body.substr(off, 1024);
        {
          std::lock_guard lock(mu_);
          sent_ += chunk;  // before sending: the client may write it down at once
        }
        if (!send_all(c, chunk)) return;
        std::this_thread::sleep_for(5ms);
      }
    } while (live && !stop_);
  }

  static bool send_all(int c, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(c, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> open_{0};
  mutable std::mutex mu_;
  std::vector<Reply> script_;
  size_t next_ = 0;
  std::string sent_;
  std::thread acceptor_;
  std::vector<std::thread> handlers_;  // joined at the end (each ends with its connection)
};

// 4 s of a 440 Hz tone as the broadcast pipeline encodes it (Ogg Opus, about 12 kB).
const std::string& generated_ogg_opus() {
  static const std::string bytes = [] {
    PcmAudio pcm;
    pcm.sample_rate = 48000;
    pcm.channels = 1;
    for (int i = 0; i < 4 * 48000; ++i) {
      pcm.samples.push_back(
          0.3f * static_cast<float>(std::sin(2 * std::numbers::pi * 440.0 * i / 48000.0)));
    }
    auto encoded = SndfileOpusPipeline().encode_broadcast(pcm);
    return encoded ? encoded->bytes : std::string();
  }();
  return bytes;
}

class FakeTransport final : public Transport {
 public:
  Status subscribe(const std::string&, int) override { return {}; }
  Result<int> publish(const std::string& topic, std::string_view payload, int, bool) override {
    if (topic.ends_with("/events")) events.emplace_back(payload);
    return ++mid;
  }
  bool connected() const override { return true; }
  std::vector<std::string> events;
  int mid = 0;
};

class RecordingRelay final : public RelayHook {
 public:
  void set(bool on) override { calls.push_back(on); }
  std::vector<bool> calls;
};

class StreamTest : public ::testing::Test {
 protected:
  StreamTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("nguon-stream-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "out");
    std::filesystem::create_directories(dir_ / "media");  // the cache's, made before this body
    auto pair = crypto_.signing_keypair();
    key_ = {protocol::key_id(crypto_, pair.public_key), pair.public_key, pair.secret_key};
    protocol::Bundle b;
    b.device = kDevice;
    b.password = "pw";
    b.media_base_url = "http://127.0.0.1:9/media";
    b.areas = {"VN"};
    b.keys = {{key_.kid, key_.public_key}};
    RuntimeOptions o;
    o.state_dir = (dir_ / "state").string();
    (void)make_dirs(o.state_dir);
    runtime_ = std::make_unique<Runtime>(b, o, clock_, crypto_, sink_, cache_,
                                         std::make_unique<MemoryReportQueue>(), relay_, log_);
    runtime_->attach(&transport_);
  }
  ~StreamTest() override {
    runtime_.reset();
    std::filesystem::remove_all(dir_);
  }

  static sink::StreamOptions fast() {
    sink::StreamOptions o;
    o.connect_timeout = 500ms;
    o.stall_timeout = 1s;
    o.backoff_initial = 20ms;
    o.backoff_max = 100ms;
    return o;
  }
  void send(protocol::DeviceLeaf leaf, protocol::Payload data, UnixTime lifetime) {
    std::string topic = protocol::device_topic(kDevice, leaf);
    protocol::Message m;
    m.seq = ++seq_;
    m.iat = clock_.now();
    m.exp = clock_.now() + lifetime;
    m.to = std::string(protocol::address_of(topic));
    m.data = std::move(data);
    runtime_->on_message(topic, protocol::seal(crypto_, key_, m));
  }
  // One slot from now holding `items`.
  void schedule(std::vector<protocol::PlayItem> items, UnixTime length = 600) {
    protocol::Slot slot;
    slot.id = "relay@1";
    slot.start = clock_.now();
    slot.end = clock_.now() + length;
    slot.items = std::move(items);
    protocol::Manifest m;
    m.slots = {slot};
    send(protocol::DeviceLeaf::kManifest, m, 86400);
  }
  // Ticks the runtime (real time passing, manual clock still) until `done` or 5 s.
  bool tick_until(const std::function<bool()>& done) {
    for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(5ms)) {
      runtime_->tick();
      if (done()) return true;
    }
    return false;
  }
  std::string relayed(const std::string& url) const {
    return read_file((dir_ / "out" / sink::FileSink::stream_file_name(url)).string()).value_or("");
  }
  // "type:reason" of every event published.
  std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (const auto& json : transport_.events) {
      auto e = protocol::decode_event(json);
      if (!e) continue;
      std::string s(protocol::event_type_name(e->type));
      if (e->reason) s += ":" + *e->reason;
      out.push_back(s);
    }
    return out;
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  SodiumCrypto crypto_{Argon2Profile::kMin};
  protocol::SigningKey key_;
  sink::FileSink sink_{(dir_ / "out").string(), clock_, fast()};
  MediaCache cache_{(dir_ / "media").string(), crypto_, 1};
  RecordingRelay relay_;
  Logger log_{LogLevel::kOff};
  FakeTransport transport_;
  std::unique_ptr<Runtime> runtime_;
  std::int64_t seq_ = 0;
  StreamServer server_;
};

using Strings = std::vector<std::string>;

TEST_F(StreamTest, RelaysExactlyTheBytesServedAndReportsPlayedAtTheEnd) {
  const std::string& ogg = generated_ogg_opus();
  ASSERT_GT(ogg.size(), 4000u);
  server_.script({StreamServer::audio(ogg)});
  std::string url = server_.url("/vov1.ogg");
  schedule({testing::stream(url, 30)});
  ASSERT_TRUE(tick_until([&] { return relayed(url).size() >= ogg.size(); }));
  for (int s = 0; s < 30; ++s) {  // 30 s of relay, audio arriving all along
    std::this_thread::sleep_for(15ms);
    clock_.advance(1);
    runtime_->tick();
  }
  EXPECT_EQ(events(), Strings({"playing", "played:relayed_s:30"}));
  EXPECT_TRUE(tick_until([&] { return server_.open() == 0; }));  // the fetch ended
  std::string file = relayed(url);
  EXPECT_TRUE(file.starts_with(ogg + ogg));
  EXPECT_TRUE(server_.sent().starts_with(file));  // exactly what was served, in order
  EXPECT_TRUE(relay_.calls.empty());              // the amplifier was never touched
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(relayed(url).size(), file.size());  // nothing after the end
}

TEST_F(StreamTest, ReconnectsAfterADropAndContinues) {
  const std::string& ogg = generated_ogg_opus();
  server_.script({StreamServer::audio(ogg, ogg.size() / 2), StreamServer::audio(ogg)});
  std::string url = server_.url("/vov1.ogg");
  schedule({testing::stream(url, 30)});
  std::string expected = ogg.substr(0, ogg.size() / 2) + ogg;
  ASSERT_TRUE(tick_until([&] { return relayed(url).size() >= expected.size(); }));
  std::string file = relayed(url);  // read first: the relay goes on
  EXPECT_TRUE(file.starts_with(expected));
  EXPECT_TRUE(server_.sent().starts_with(file));
  EXPECT_EQ(server_.connections(), 2);
  clock_.advance(1);
  runtime_->tick();
  EXPECT_EQ(events(), Strings({"playing"}));  // no failure: back within the silence window
}

TEST_F(StreamTest, HttpErrorIsReportedFailedAndNothingMorePlays) {
  server_.script({StreamServer::status(404)});
  std::string url = server_.url("/gone.ogg");
  schedule({testing::stream(url, 60)});
  ASSERT_TRUE(tick_until([&] { return server_.connections() >= 3; }));  // it keeps retrying
  clock_.advance(kStreamSilence);
  runtime_->tick();
  EXPECT_EQ(events(), Strings({"playing", "failed:stream_http_404"}));
  EXPECT_EQ(relay_.calls, std::vector<bool>({false}));  // silent: amplifier off
  clock_.advance(60);
  runtime_->tick();
  EXPECT_EQ(events(), Strings({"playing", "failed:stream_http_404"}));
  EXPECT_EQ(relay_.calls, std::vector<bool>({false, true}));
  EXPECT_EQ(relayed(url), "");
  EXPECT_FALSE(runtime_->playing());
}

TEST_F(StreamTest, SourceThatNeverAnswersIsUnreachableAndRecoveryResumes) {
  server_.script({StreamServer::silent()});
  std::string url = server_.url("/vov1.ogg");
  schedule({testing::stream(url, 60)});
  ASSERT_TRUE(
      tick_until([&] { return sink_.stream_progress().value_or(StreamProgress{}).error != ""; }));
  EXPECT_EQ(sink_.stream_progress()->error, "stream_unreachable");
  clock_.advance(kStreamSilence);
  runtime_->tick();
  EXPECT_EQ(events(), Strings({"playing", "failed:stream_unreachable"}));
  // The station comes back before the end: the relay resumes.
  const std::string& ogg = generated_ogg_opus();
  server_.script({StreamServer::audio(ogg)});
  ASSERT_TRUE(tick_until([&] { return relayed(url).size() >= ogg.size(); }));
  EXPECT_EQ(events(), Strings({"playing", "failed:stream_unreachable", "playing:stream_resumed"}));
  EXPECT_EQ(relay_.calls, std::vector<bool>({false, true}));
  EXPECT_TRUE(relayed(url).starts_with(ogg));
}

TEST_F(StreamTest, SomethingOtherThanAudioIsAFormatFailure) {
  server_.script({StreamServer::status(200, "<html>maintenance</html>")});
  std::string url = server_.url("/vov1.ogg");
  schedule({testing::stream(url, 60)});
  ASSERT_TRUE(
      tick_until([&] { return sink_.stream_progress().value_or(StreamProgress{}).error != ""; }));
  clock_.advance(kStreamSilence);
  runtime_->tick();
  EXPECT_EQ(events(), Strings({"playing", "failed:stream_format"}));
  EXPECT_EQ(relayed(url), "");
}

TEST_F(StreamTest, EmergencyOrderPreemptsARelay) {
  const std::string& ogg = generated_ogg_opus();
  server_.script({StreamServer::audio(ogg)});
  std::string url = server_.url("/vov1.ogg");
  schedule({testing::stream(url, 300)});
  ASSERT_TRUE(tick_until([&] { return relayed(url).size() >= ogg.size(); }));
  // The emergency bulletin is already cached.
  std::string sha = crypto_.sha256_hex(ogg);
  ASSERT_TRUE(write_file_atomic((dir_ / "media" / sha).string(), ogg));
  protocol::PlayItem bulletin = testing::media(sha, 4000);
  bulletin.bytes = static_cast<std::int64_t>(ogg.size());
  protocol::PlayOrder order;
  order.order = "o1";
  order.priority = Priority::kEmergency;
  order.items = {bulletin};
  clock_.advance(5);
  send(protocol::DeviceLeaf::kCmd, order, protocol::kOrderLifetimeSeconds);
  EXPECT_EQ(events(), Strings({"playing", "interrupted:preempted", "playing"}));
  EXPECT_EQ(read_file((dir_ / "out" / (sha + ".played")).string()), ogg);
  EXPECT_TRUE(tick_until([&] { return server_.open() == 0; }));  // the relay hung up
  size_t relayed_bytes = relayed(url).size();
  clock_.advance(4);
  runtime_->tick();
  // The relay is live: it comes back for the rest of its time.
  EXPECT_EQ(events(),
            Strings({"playing", "interrupted:preempted", "playing", "played", "playing"}));
  EXPECT_TRUE(runtime_->playing());
  EXPECT_TRUE(tick_until([&] { return relayed(url).size() > relayed_bytes; }));  // reconnected
}

// The ALSA sink's decoding, without a sound card: each connection is decoded on its own, a
// dropped one ends its decoder, and what is not Opus is `stream_format`.
TEST(RelayDecoderTest, DecodesEachConnectionAndRefusesWhatIsNotOpus) {
  const std::string& ogg = generated_ogg_opus();
  sink::RelayDecoder decoder;
  std::atomic<std::int64_t> played{0};
  std::thread playback([&] {
    decoder.run([&](std::int16_t*, size_t frames) {
      played += static_cast<std::int64_t>(frames);
      return true;
    });
  });
  auto connection = [&](const std::string& bytes) {
    decoder.begin(sink::StreamFormat::kOgg);
    for (size_t off = 0; off < bytes.size(); off += 1000) {
      std::string chunk = bytes.substr(off, 1000);
      ASSERT_TRUE(decoder.data(chunk.data(), chunk.size()));
    }
    decoder.end();
  };
  auto wait_for = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
  };
  connection(ogg.substr(0, ogg.size() / 2));  // dropped halfway
  connection(ogg);
  // 4 s of audio at 48 kHz, plus what the first half held (about 1 s).
  EXPECT_TRUE(wait_for([&] { return played >= 4 * 48000 + 24000; })) << played;
  EXPECT_EQ(decoder.error(), "");
  std::string vorbis = "OggS" + std::string(200, '\x01');  // Ogg, but not Opus
  connection(vorbis);
  EXPECT_TRUE(wait_for([&] { return decoder.error() == "stream_format"; }));
  connection(ogg);  // a good connection again
  EXPECT_TRUE(wait_for([&] { return played >= 8 * 48000 + 24000; })) << played;
  EXPECT_TRUE(wait_for([&] { return decoder.error().empty(); }));
  EXPECT_EQ(decoder.frames(), played.load());
  decoder.close();
  playback.join();
  EXPECT_FALSE(decoder.data("x", 1));  // closed: the fetch stops
}

// `seconds` of a 440 Hz tone as Ogg Vorbis at `rate` Hz with `channels` channels (libsndfile).
std::string generated_ogg_vorbis(int rate, int channels, int seconds) {
  const std::string path = ::testing::TempDir() + "/relay-vorbis-" + std::to_string(rate) + ".ogg";
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) return {};
  std::vector<float> frames(static_cast<size_t>(rate) * channels * seconds);
  for (size_t i = 0; i < frames.size(); ++i) {
    const double t = static_cast<double>(i / static_cast<size_t>(channels)) / rate;
    frames[i] = 0.3f * static_cast<float>(std::sin(2 * std::numbers::pi * 440.0 * t));
  }
  sf_writef_float(f, frames.data(), static_cast<sf_count_t>(frames.size() / channels));
  sf_close(f);
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Ogg Vorbis relays (Icecast stations often send it) at 44.1 kHz mono and 48 kHz stereo come
// out as 48 kHz stereo of the same length.
TEST(RelayDecoderTest, DecodesOggVorbisAtAnyRateToFortyEightKilohertz) {
  sink::RelayDecoder decoder;
  std::atomic<std::int64_t> played{0};
  std::atomic<int> loudest{0};
  std::thread playback([&] {
    decoder.run([&](std::int16_t* samples, size_t frames) {
      for (size_t i = 0; i < 2 * frames; ++i)
        loudest = std::max<int>(loudest, std::abs(samples[i]));
      played += static_cast<std::int64_t>(frames);
      return true;
    });
  });
  auto wait_for = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
  };
  for (const auto& [rate, channels] : {std::pair{44100, 1}, std::pair{48000, 2}}) {
    const std::string ogg = generated_ogg_vorbis(rate, channels, 2);
    ASSERT_GT(ogg.size(), 1000u);
    const std::int64_t before = played;
    decoder.begin(sink::StreamFormat::kOgg);
    for (size_t off = 0; off < ogg.size(); off += 700) {
      std::string chunk = ogg.substr(off, 700);
      ASSERT_TRUE(decoder.data(chunk.data(), chunk.size()));
    }
    decoder.end();
    // 2 s at 48 kHz (the encoder's padding aside).
    EXPECT_TRUE(wait_for([&] { return played - before >= 2 * 48000 - 960; }))
        << rate << ": " << played - before;
    std::this_thread::sleep_for(50ms);
    EXPECT_LE(played - before, 2 * 48000 + 960) << rate;
    EXPECT_EQ(decoder.error(), "") << rate;
  }
  EXPECT_GT(loudest, 6000);  // 0.3 of full scale: real audio, not silence
  decoder.close();
  playback.join();
}

TEST(StereoResamplerTest, InterpolatesAcrossBlocksAtTheRightRate) {
  sink::StereoResampler r;
  r.reset(24000, 1);  // half the rate: twice the frames
  std::vector<std::int16_t> in(300);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int16_t>(10 * i);
  std::vector<std::int16_t> out;
  r.push(in.data(), 100, out);  // three blocks: the position carries over
  r.push(in.data() + 100, 100, out);
  r.push(in.data() + 200, 100, out);
  ASSERT_NEAR(static_cast<double>(out.size()) / 2, 600, 2);
  for (size_t i = 0; i + 1 < out.size() / 2; ++i) {
    EXPECT_EQ(out[2 * i], out[2 * i + 1]);             // mono to both channels
    EXPECT_EQ(out[2 * (i + 1)] - out[2 * i], 5) << i;  // a ramp stays a ramp, halfway steps
  }
}

}  // namespace
}  // namespace nguon::agent
