// CAP 1.2 dateTime values: "YYYY-MM-DDThh:mm:ss±hh:mm" (the zone is required; "Z" is not
// allowed, UTC is written "-00:00" or "+00:00").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"

namespace nguon::cap {

// Unix time of a CAP dateTime, or nullopt when it is not in CAP's form, not a real date, or of a
// year outside 1900..9000.
std::optional<UnixTime> parse_cap_time(std::string_view text);

// The CAP dateTime of `t` at the given offset east of UTC, in minutes (Vietnam: +420, the
// default), e.g. "2026-10-05T14:30:00+07:00".
std::string format_cap_time(UnixTime t, int offset_minutes = 420);

}  // namespace nguon::cap
