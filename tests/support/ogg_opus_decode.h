// Test helper: how many 48 kHz samples libopusfile decodes from an Ogg Opus byte string (the
// proof that a stream framed or relayed by us is valid Ogg Opus). Link opusfile.
#pragma once

#include <opusfile.h>

#include <string>

namespace nguon::testing {

// -1 when libopusfile does not open it as Ogg Opus.
inline long decoded_opus_samples(const std::string& ogg) {
  int err = 0;
  OggOpusFile* f =
      op_open_memory(reinterpret_cast<const unsigned char*>(ogg.data()), ogg.size(), &err);
  if (f == nullptr) return -1;
  long total = 0;
  opus_int16 pcm[5760];
  for (int n; (n = op_read(f, pcm, 5760, nullptr)) != 0;) {
    if (n < 0) {  // corrupt data; libopusfile skips damaged pages and goes on
      if (n == OP_HOLE) continue;
      break;
    }
    total += n;
  }
  op_free(f);
  return total;
}

}  // namespace nguon::testing
