// Helpers for tests that drive real processes and real sockets: a minimal HTTP/1.1 client and
// child processes whose output is read line by line.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nguon::testing {

struct Reply {
  int status = 0;  // -1: no HTTP answer (body holds the error)
  std::string body;
  std::string set_cookie;
  std::string content_type;
  std::string content_range;
};

// Sends raw bytes on a new loopback connection and parses one HTTP response.
Reply raw_exchange(std::uint16_t port, const std::string& bytes);

// One request with `Connection: close`; cookie is the nguon_session value.
Reply request(std::uint16_t port, const std::string& method, const std::string& target,
              const std::string& body = "", const std::string& cookie = "",
              const std::string& csrf = "", const std::string& extra_headers = "",
              const std::string& type = "application/json");

// A console session (cookie and CSRF token) on a server at 127.0.0.1:port.
struct ConsoleSession {
  std::uint16_t port = 0;
  std::string cookie;
  std::string csrf;
  Reply get(const std::string& target) const { return request(port, "GET", target, "", cookie); }
  Reply post(const std::string& target, const std::string& body) const {
    return request(port, "POST", target, body, cookie, csrf);
  }
};

// Logs in as `user`. A generated password must be changed first: it is changed (to
// `password` + "-doi-moi") and written back to `password`. nullopt with `error` on failure.
std::optional<ConsoleSession> login_console(std::uint16_t port, const std::string& user,
                                            std::string& password, std::string* error);

struct Proc {
  pid_t pid = -1;
  int out_fd = -1;  // stdout and stderr of the child
};

// Starts argv[0] (a path) with stdout+stderr on a pipe.
Proc spawn(const std::vector<std::string>& argv);
// The next line of output ("" at end of file).
std::string read_line(int fd);
// Exit status, or minus the signal number.
int wait_exit(pid_t pid);
// Runs to completion; returns everything it printed.
std::string run_to_end(const std::vector<std::string>& argv, int* code);

}  // namespace nguon::testing
