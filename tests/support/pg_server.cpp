#include "tests/support/pg_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nguon::testing {
namespace {

namespace fs = std::filesystem;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;

bool running_as_root() { return geteuid() == 0; }

bool is_plain_path(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '.' || c == '_' || c == '-';
  });
}

bool has_initdb(const std::string& dir) { return ::access((dir + "/initdb").c_str(), X_OK) == 0; }

// The directory holding initdb and pg_ctl, with a trailing '/', or "" to rely on PATH.
std::string find_bindir() {
  if (const char* env = std::getenv("NGUON_PG_BINDIR"); env != nullptr && *env != '\0') {
    return std::string(env) + "/";
  }
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r"); p != nullptr) {
    char buf[4096] = {};
    std::string out;
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (!out.empty() && has_initdb(out)) return out + "/";
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (has_initdb(entry.path().string() + "/bin")) candidates.push_back(entry.path() / "bin");
  }
  if (!candidates.empty()) {
    // Newest major version first ("9.6" < "15" compared numerically).
    std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
      return std::atof(a.parent_path().filename().c_str()) <
             std::atof(b.parent_path().filename().c_str());
    });
    return candidates.back().string() + "/";
  }
  return "";
}

// A loopback TCP port that was free a moment ago (the kernel's pick for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Runs `argv` (as the postgres OS user when we are root) in `cwd` with stdout and stderr
// appended to `log_path`. Returns the exit status, or -1 when it did not exit normally.
int run(std::vector<std::string> argv, const std::string& cwd, const std::string& log_path) {
  if (running_as_root()) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail_of(const std::string& path, size_t max_bytes = 4000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

bool is_identifier(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

PgServer::PgServer() {
  bindir_ = find_bindir();
  std::string base = fs::temp_directory_path().string();
  if (!is_plain_path(base)) base = "/tmp";  // the path goes through pg_ctl's shell unquoted
  std::string pattern = base + "/nguon-pg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed under " + base);
  }
  dir_ = pattern;
  data_ = dir_ + "/data";
  try {
    if (running_as_root()) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) {
        throw std::runtime_error("running as root but there is no 'postgres' OS user");
      }
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error("cannot chown " + dir_ + " to postgres");
      }
    }
    const std::string init_log = dir_ + "/initdb.log";
    const int rc = run({bindir_ + "initdb", "-D", data_, "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale=C", "--no-sync"},
                       dir_, init_log);
    if (rc != 0) {
      throw std::runtime_error("initdb failed (exit " + std::to_string(rc) + "):\n" +
                               tail_of(init_log));
    }
    start();
  } catch (...) {
    stop();
    throw;
  }
}

PgServer::~PgServer() { stop(); }

void PgServer::start() {
  const std::string server_log = dir_ + "/server.log";
  const std::string ctl_log = dir_ + "/pg_ctl.log";
  // The port may be taken between free_port() and the server's bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                " -k " + dir_ +
                                " -c fsync=off -c synchronous_commit=off"
                                " -c full_page_writes=off -c max_connections=200";
    const int rc = run({bindir_ + "pg_ctl", "-D", data_, "-l", server_log, "-w", "-t", "60", "-o",
                        options, "start"},
                       dir_, ctl_log);
    if (rc != 0) continue;
    running_ = true;
    conninfo_ = conninfo_for("postgres");
    for (int i = 0; i < 200; ++i) {
      if (PQping(conninfo_.c_str()) == PQPING_OK) {
        ConnPtr c(PQconnectdb(conninfo_.c_str()));
        if (c && PQstatus(c.get()) == CONNECTION_OK) {
          server_version_ = PQserverVersion(c.get());
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    break;
  }
  throw std::runtime_error("PostgreSQL did not start. pg_ctl:\n" + tail_of(ctl_log) +
                           "\nserver log:\n" + tail_of(server_log));
}

void PgServer::stop() noexcept {
  try {
    if (running_) {
      const std::string ctl_log = dir_ + "/pg_ctl.log";
      if (run({bindir_ + "pg_ctl", "-D", data_, "-m", "fast", "-w", "-t", "30", "stop"}, dir_,
              ctl_log) != 0) {
        (void)run({bindir_ + "pg_ctl", "-D", data_, "-m", "immediate", "-w", "stop"}, dir_,
                  ctl_log);
      }
      running_ = false;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  } catch (...) {
    // A destructor path: leaving a temporary directory behind is the worst outcome.
  }
}

std::string PgServer::conninfo_for(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname +
         " connect_timeout=10";
}

void PgServer::admin_sql(const std::string& sql) const {
  ConnPtr c(PQconnectdb(conninfo_.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("cannot connect to the test server: ") +
                             (c ? PQerrorMessage(c.get()) : "out of memory"));
  }
  PGresult* r = PQexec(c.get(), sql.c_str());
  const bool ok = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) throw std::runtime_error(sql + ": " + PQerrorMessage(c.get()));
}

PgServer::Database PgServer::create_database(std::string name) {
  if (name.empty()) name = "t_" + std::to_string(next_db_.fetch_add(1));
  if (!is_identifier(name)) throw std::runtime_error("bad database name: " + name);
  // FILE_COPY (PostgreSQL 15+) is faster than the default WAL_LOG for a tiny template.
  admin_sql("CREATE DATABASE " + name + (server_version_ >= 150000 ? " STRATEGY = FILE_COPY" : ""));
  return {name, conninfo_for(name)};
}

void PgServer::drop_database(const std::string& name) noexcept {
  if (!is_identifier(name)) return;
  try {
    admin_sql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  } catch (...) {
    // Best effort: the whole cluster is deleted at the end anyway.
  }
}

}  // namespace nguon::testing
