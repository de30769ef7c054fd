// The `--sink` option of the agent: "file:DIR", "null" or "alsa[:device]".
#pragma once

#include <memory>
#include <string>

#include "core/agent/ports.h"
#include "core/ports.h"
#include "core/result.h"

namespace nguon::agent {

// Builds the sink. "alsa" probes the device first, so a machine without sound hardware gets a
// clear error at start. "file:DIR" creates DIR.
Result<std::unique_ptr<AudioSink>> make_sink(const std::string& spec, const Clock& clock);

}  // namespace nguon::agent
