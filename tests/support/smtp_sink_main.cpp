// nguon-smtp-sink: the tests' SMTP server (tests/support/smtp_sink.h) as a program, for the
// demo and manual tests.
//   nguon-smtp-sink [--port N] [--maildir DIR]
// Listens on 127.0.0.1:N (0, the default: an ephemeral port), prints "listening <port>" on
// stdout once ready, writes each message received to DIR/<n>.eml (n = 1, 2, ...; written to a
// temporary name, then renamed) and runs until SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/support/smtp_sink.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int /*signal*/) { g_stop = 1; }

int usage() {
  std::cerr << "usage: nguon-smtp-sink [--port N] [--maildir DIR]\n";
  return 2;
}

bool write_message(const std::filesystem::path& dir, size_t n, const std::string& data) {
  const auto tmp = dir / ("." + std::to_string(n) + ".eml.tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir / (std::to_string(n) + ".eml"), ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string maildir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--port") {
      try {
        port = std::stoi(argv[++i]);
      } catch (const std::exception&) {
        return usage();
      }
      if (port < 0 || port > 65535) return usage();
    } else if (arg == "--maildir") {
      maildir = argv[++i];
    } else {
      return usage();
    }
  }
  if (!maildir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(maildir, ec);
    if (ec) {
      std::cerr << "nguon-smtp-sink: cannot create " << maildir << ": " << ec.message() << "\n";
      return 1;
    }
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  try {
    nguon::testing::SmtpSink sink(port);
    std::cout << "listening " << sink.port() << std::endl;  // NOLINT(performance-avoid-endl)
    size_t written = 0;
    auto write_new = [&] {
      const auto messages = sink.messages();
      for (; written < messages.size(); ++written) {
        if (maildir.empty()) continue;
        if (!write_message(maildir, written + 1, messages[written].data)) {
          std::cerr << "nguon-smtp-sink: cannot write message " << written + 1 << "\n";
        }
      }
    };
    while (g_stop == 0) {
      if (sink.wait_for(written + 1, std::chrono::milliseconds(200))) write_new();
    }
    sink.stop();
    write_new();
  } catch (const std::exception& e) {
    std::cerr << "nguon-smtp-sink: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
