// RFC 4180 CSV reading for bulk imports: fields separated by commas, records by CRLF or LF,
// fields optionally quoted with '"' (a doubled quote inside stands for one; quoted fields may
// hold commas and line breaks). A UTF-8 byte order mark at the start is skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nguon::csv {

using Record = std::vector<std::string>;

// Every record, the header included. Blank lines are skipped. Errors: invalid("invalid_csv")
// naming the line, for a quote inside an unquoted field, text after a closing quote, or an
// unterminated quoted field; invalid("too_many_rows") past `max_records`.
Result<std::vector<Record>> parse(std::string_view text, size_t max_records);

}  // namespace nguon::csv
