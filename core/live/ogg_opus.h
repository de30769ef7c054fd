// Ogg Opus framing (RFC 7845) of a live stream: the two header pages, then one page per Opus
// packet so a listener's latency is one packet. Pure computation; the packets come from the
// console's encoder (WebCodecs) and are checked here only as far as framing needs (RFC 6716 §3:
// the table-of-contents byte and frame count give the packet's duration).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::live {

// The packet's duration in 48 kHz samples, or 0 when it is no valid Opus packet (empty, bad
// frame count, longer than 120 ms).
int opus_packet_samples(std::string_view packet);

// Largest packet accepted: 120 ms of the highest bitrate (RFC 6716 §3.4, R5).
inline constexpr std::size_t kMaxOpusPacket = 6 * 1275 + 7;

// The CRC of an Ogg page (polynomial 0x04c11db7, no reflection, initial 0), computed with the
// page's checksum field zeroed.
std::uint32_t ogg_crc(std::string_view page);

struct OpusStreamInfo {
  int channels = 1;                  // 1 or 2
  std::uint32_t input_rate = 48000;  // informational (OpusHead)
  std::uint16_t pre_skip = 312;      // libopus' look-ahead at 48 kHz
  std::string vendor = "nguon";
  std::string title;  // OpusTags TITLE=, when not empty
};

class OggOpusWriter {
 public:
  OggOpusWriter(std::uint32_t serial, const OpusStreamInfo& info);
  // The OpusHead page (beginning of stream) and the OpusTags page: what every listener gets
  // first, whenever it joins.
  const std::string& header_pages() const { return headers_; }
  // One page carrying `packet`; invalid_field for a packet that is no Opus packet.
  Result<std::string> page_for(std::string_view packet);
  // The last page (end of stream, no packet).
  std::string end_page();
  // Samples written so far (48 kHz), the granule position of the last page.
  std::int64_t granule() const { return granule_; }

 private:
  std::string page(std::uint8_t flags, std::int64_t granule, std::string_view packet);

  std::uint32_t serial_;
  std::uint32_t sequence_ = 0;
  std::int64_t granule_ = 0;
  std::string headers_;
};

}  // namespace nguon::live
