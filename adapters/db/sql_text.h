// SQL text shared by the store backends (adapters/db/sqlite, adapters/db/postgres): the
// parameter lists and column assignments both build, with each dialect's parameter marker
// ('?' for SQLite, '$' for PostgreSQL). Values are always bound, never written into the text.
#pragma once

#include <string>
#include <string_view>

namespace nguon::sql_text {

// Calls fn(name) for each name of a ", "-separated column list.
template <typename F>
void for_each_column(std::string_view columns, F fn) {
  size_t start = 0;
  while (start < columns.size()) {
    size_t comma = columns.find(", ", start);
    if (comma == std::string_view::npos) comma = columns.size();
    fn(columns.substr(start, comma - start));
    start = comma + 2;
  }
}

// "<m>first, <m>first+1, …": n numbered parameters.
inline std::string placeholders(char marker, int first, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += marker;
    out += std::to_string(first + static_cast<int>(i));
  }
  return out;
}

// "a = <m>first, b = <m>first+1, …" for a ", "-separated column list.
inline std::string assignments(char marker, std::string_view columns, int first) {
  std::string out;
  int n = first;
  for_each_column(columns, [&](std::string_view c) {
    if (!out.empty()) out += ", ";
    out.append(c).append(" = ").append(1, marker).append(std::to_string(n++));
  });
  return out;
}

// "a = excluded.a, …": an upsert's update of every column of the list (both dialects).
inline std::string excluded_assignments(std::string_view columns) {
  std::string out;
  for_each_column(columns, [&](std::string_view c) {
    if (!out.empty()) out += ", ";
    out.append(c).append(" = excluded.").append(c);
  });
  return out;
}

}  // namespace nguon::sql_text
