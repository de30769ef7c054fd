#include "agent/relay_hook.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace nguon::agent {

void ExecRelayHook::set(bool on) {
  std::string arg = on ? "on" : "off";
  char* argv[] = {command_.data(), arg.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, command_.c_str(), nullptr, nullptr, argv, environ);
  if (rc != 0) {
    log_.error("relay command failed to start",
               {{"command", command_}, {"error", std::strerror(rc)}});
    return;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    log_.error("relay command failed", {{"command", command_}, {"state", arg}});
  }
}

}  // namespace nguon::agent
