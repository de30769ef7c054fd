// The PostgreSQL schema as forward-only migrations (private to this adapter).
#pragma once

#include <vector>

namespace nguon::postgres {

struct Migration {
  int version;
  const char* sql;  // one or more statements, run as one transaction
};

// Ascending by version. Never edit a released migration: append the next version.
const std::vector<Migration>& migrations();

}  // namespace nguon::postgres
