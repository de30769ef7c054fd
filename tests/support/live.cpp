#include "tests/support/live.h"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace nguon::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

Reply raw_exchange(std::uint16_t port, const std::string& bytes) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  beast::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {-1, ec.message()};
  // The server may answer (413) and close before reading everything: the answer still counts.
  asio::write(s, asio::buffer(bytes), ec);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(256 << 20);
  bhttp::read(s, buf, parser, ec);
  if (ec) return {-1, ec.message()};
  const auto& res = parser.get();
  return {static_cast<int>(res.result_int()), res.body(),
          std::string(res[bhttp::field::set_cookie]), std::string(res[bhttp::field::content_type]),
          std::string(res[bhttp::field::content_range])};
}

Reply request(std::uint16_t port, const std::string& method, const std::string& target,
              const std::string& body, const std::string& cookie, const std::string& csrf,
              const std::string& extra_headers, const std::string& type) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  req += extra_headers;
  if (!body.empty()) req += "Content-Type: " + type + "\r\n";
  if (!cookie.empty()) req += "Cookie: nguon_session=" + cookie + "\r\n";
  if (!csrf.empty()) req += "X-CSRF-Token: " + csrf + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return raw_exchange(port, req);
}

namespace {

// The value of the nguon_session cookie in a Set-Cookie header.
std::string session_cookie(const std::string& set_cookie) {
  const auto eq = set_cookie.find('=');
  const auto semi = set_cookie.find(';');
  if (eq == std::string::npos) return "";
  return set_cookie.substr(eq + 1, semi == std::string::npos ? semi : semi - eq - 1);
}

// The string value of "csrf_token" in a login answer (no JSON library here).
std::string csrf_of(const std::string& body) {
  const std::string key = "\"csrf_token\":\"";
  const auto at = body.find(key);
  if (at == std::string::npos) return "";
  const auto from = at + key.size();
  return body.substr(from, body.find('"', from) - from);
}

}  // namespace

std::optional<ConsoleSession> login_console(std::uint16_t port, const std::string& user,
                                            std::string& password, std::string* error) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Reply r = request(port, "POST", "/api/v1/auth/login",
                      "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}");
    if (r.status != 200) {
      if (error) *error = "login " + user + ": " + std::to_string(r.status) + " " + r.body;
      return std::nullopt;
    }
    ConsoleSession s{port, session_cookie(r.set_cookie), csrf_of(r.body)};
    if (s.get("/api/v1/units/38").status != 403) return s;
    const std::string next = password + "-doi-moi";
    Reply changed = s.post("/api/v1/auth/password", "{\"current_password\":\"" + password +
                                                        "\",\"new_password\":\"" + next + "\"}");
    if (changed.status != 204) {
      if (error) *error = "password change " + user + ": " + changed.body;
      return std::nullopt;
    }
    password = next;
  }
  if (error) *error = "login " + user + ": still asked to change the password";
  return std::nullopt;
}

Proc spawn(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  Proc p;
  p.pid = fork();
  if (p.pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  p.out_fd = fds[0];
  return p;
}

std::string read_line(int fd) {
  std::string line;
  char ch = 0;
  while (read(fd, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  return line;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string run_to_end(const std::vector<std::string>& argv, int* code) {
  Proc p = spawn(argv);
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(p.out_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(p.out_fd);
  *code = wait_exit(p.pid);
  return out;
}

}  // namespace nguon::testing
