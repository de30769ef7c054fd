// Result<T>: the one error type of the project (after leveldb's Status).
// An Error carries a machine code ("invalid_field"), a human message in English, and a kind that
// the HTTP edge maps to a status. Core functions never throw for expected failures.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace nguon {

enum class ErrorKind {
  kInvalid,          // malformed or unacceptable input (400/422)
  kUnauthenticated,  // no valid session or token (401)
  kForbidden,        // authenticated but not allowed (403)
  kNotFound,         // absent, or hidden from this caller (404)
  kConflict,         // would violate uniqueness or a state rule (409)
  kTooLarge,         // over a size limit (413)
  kThrottled,        // too many attempts (429)
  kUnavailable,      // dependency down or shutting down (503)
  kInternal,         // a bug or an unexpected backend failure (500)
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;
  std::string message;
};

inline Error invalid(std::string code, std::string message) {
  return {ErrorKind::kInvalid, std::move(code), std::move(message)};
}
inline Error not_found(std::string message) {
  return {ErrorKind::kNotFound, "not_found", std::move(message)};
}
inline Error forbidden(std::string message) {
  return {ErrorKind::kForbidden, "forbidden", std::move(message)};
}
inline Error conflict(std::string code, std::string message) {
  return {ErrorKind::kConflict, std::move(code), std::move(message)};
}
inline Error internal(std::string message) {
  return {ErrorKind::kInternal, "internal", std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace nguon

// Propagates the error of a Result-returning expression.
#define NGUON_TRY(expr)                                       \
  do {                                                        \
    auto nguon_try_result_ = (expr);                          \
    if (!nguon_try_result_) return nguon_try_result_.error(); \
  } while (0)

// `NGUON_TRY_ASSIGN(auto x, f());` declares or assigns `x` from a Result, returning its error
// from the enclosing function when it failed.
#define NGUON_CONCAT_INNER_(a, b) a##b
#define NGUON_CONCAT_(a, b) NGUON_CONCAT_INNER_(a, b)
#define NGUON_TRY_ASSIGN(lhs, expr) \
  NGUON_TRY_ASSIGN_IMPL_(NGUON_CONCAT_(nguon_try_value_, __LINE__), lhs, expr)
#define NGUON_TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp) return tmp.error();                \
  lhs = std::move(tmp).value()
