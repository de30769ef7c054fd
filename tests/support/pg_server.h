// A throwaway PostgreSQL cluster for tests: initdb into a temporary directory, start it on a
// free loopback port with trust authentication and fsync off, and on destruction stop it and
// delete everything. Nothing outside the temporary directory is touched.
//
// Binaries: $NGUON_PG_BINDIR, else `pg_config --bindir`, else the newest
// /usr/lib/postgresql/<n>/bin, else PATH. When running as root, the server runs as the
// `postgres` OS user (PostgreSQL refuses root) through runuser.
#pragma once

#include <atomic>
#include <string>

namespace nguon::testing {

class PgServer {
 public:
  struct Database {
    std::string name;
    std::string conninfo;
  };

  // Starts the server and waits until it accepts connections; throws std::runtime_error (with
  // the end of the server log) when it cannot.
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  // libpq conninfo of the maintenance database "postgres" as superuser "postgres".
  const std::string& conninfo() const { return conninfo_; }
  std::string conninfo_for(const std::string& dbname) const;

  // Creates an empty database. `name` must match [a-z0-9_]+; empty picks a fresh "t_<n>".
  // Thread-safe. Throws std::runtime_error on failure.
  Database create_database(std::string name = "");
  // Drops a database, closing any connection still open to it. Thread-safe; never throws.
  void drop_database(const std::string& name) noexcept;

 private:
  void start();
  void stop() noexcept;
  void admin_sql(const std::string& sql) const;

  std::string bindir_;  // with a trailing '/', or empty to search PATH
  std::string dir_;     // the temporary root; data/, the socket and the logs live inside
  std::string data_;
  int port_ = 0;
  int server_version_ = 0;  // PQserverVersion, e.g. 150018
  bool running_ = false;
  std::string conninfo_;
  std::atomic<int> next_db_{0};
};

}  // namespace nguon::testing
