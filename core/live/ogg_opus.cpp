#include "core/live/ogg_opus.h"

#include <array>

namespace nguon::live {

namespace {

constexpr std::array<int, 32> kFrameSamples = {
    480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880,  // SILK NB, MB, WB
    480, 960, 480,  960,                                               // Hybrid SWB, FB
    120, 240, 480,  960,  120, 240, 480,  960,  120, 240, 480,  960,  120, 240, 480, 960};  // CELT

constexpr int kMaxPacketSamples = 5760;  // 120 ms at 48 kHz

std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t r = i << 24;
    for (int bit = 0; bit < 8; ++bit) r = (r & 0x80000000U) ? (r << 1) ^ 0x04c11db7U : r << 1;
    table[i] = r;
  }
  return table;
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::string opus_head(const OpusStreamInfo& info) {
  std::string head = "OpusHead";
  head += static_cast<char>(1);  // version
  head += static_cast<char>(info.channels);
  put_le(head, info.pre_skip, 2);
  put_le(head, info.input_rate, 4);
  put_le(head, 0, 2);            // output gain
  head += static_cast<char>(0);  // mapping family 0: mono or stereo
  return head;
}

std::string opus_tags(const OpusStreamInfo& info) {
  std::string tags = "OpusTags";
  put_le(tags, info.vendor.size(), 4);
  tags += info.vendor;
  const std::string title = "TITLE=" + info.title;
  put_le(tags, info.title.empty() ? 0 : 1, 4);
  if (!info.title.empty()) {
    put_le(tags, title.size(), 4);
    tags += title;
  }
  return tags;
}

}  // namespace

int opus_packet_samples(std::string_view packet) {
  if (packet.empty() || packet.size() > kMaxOpusPacket) return 0;
  const auto toc = static_cast<unsigned char>(packet[0]);
  const int frame = kFrameSamples[toc >> 3];
  int frames = 1;
  switch (toc & 3) {
    case 0:
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (packet.size() < 2) return 0;
      frames = static_cast<unsigned char>(packet[1]) & 0x3f;
      break;
  }
  const int samples = frames * frame;
  return frames == 0 || samples > kMaxPacketSamples ? 0 : samples;
}

std::uint32_t ogg_crc(std::string_view page) {
  static const std::array<std::uint32_t, 256> table = make_crc_table();
  std::uint32_t crc = 0;
  for (char c : page)
    crc = (crc << 8) ^ table[((crc >> 24) & 0xff) ^ static_cast<unsigned char>(c)];
  return crc;
}

OggOpusWriter::OggOpusWriter(std::uint32_t serial, const OpusStreamInfo& info) : serial_(serial) {
  headers_ = page(0x02, 0, opus_head(info));  // beginning of stream
  headers_ += page(0x00, 0, opus_tags(info));
}

Result<std::string> OggOpusWriter::page_for(std::string_view packet) {
  const int samples = opus_packet_samples(packet);
  if (samples == 0) {
    return Error{ErrorKind::kInvalid, "invalid_field", "not an Opus packet (RFC 6716)"};
  }
  granule_ += samples;
  return page(0x00, granule_, packet);
}

std::string OggOpusWriter::end_page() { return page(0x04, granule_, {}); }

std::string OggOpusWriter::page(std::uint8_t flags, std::int64_t granule, std::string_view packet) {
  std::string out = "OggS";
  out += static_cast<char>(0);  // version
  out += static_cast<char>(flags);
  put_le(out, static_cast<std::uint64_t>(granule), 8);
  put_le(out, serial_, 4);
  put_le(out, sequence_++, 4);
  put_le(out, 0, 4);  // checksum, filled below
  // Lacing: 255 for each full segment, then the remainder (0 when the size is a multiple of
  // 255, so the packet ends on this page). Packets here are at most kMaxOpusPacket bytes, far
  // below one page's 255 segments. No packet (the end page): no segment at all.
  if (packet.empty()) {
    out += static_cast<char>(0);
  } else {
    out += static_cast<char>(packet.size() / 255 + 1);
    out.append(packet.size() / 255, static_cast<char>(255));
    out += static_cast<char>(packet.size() % 255);
    out += packet;
  }
  const std::uint32_t crc = ogg_crc(out);
  for (int i = 0; i < 4; ++i) out[22 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

}  // namespace nguon::live
