// intake-server: the sync server. Flags: --db FILE (data/intake.db), --listen HOST:PORT
// (127.0.0.1:8080), --web DIR (web/), --idle-minutes N (30). Prints the URL and, on the first
// start of an empty database, the admin token (or takes it from INTAKE_ADMIN_TOKEN). SIGINT or
// SIGTERM stops it cleanly: in-flight requests finish, then the database closes.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include <pthread.h>

#include "server.h"

namespace {

int usage(const char* message) {
  if (message) std::fprintf(stderr, "intake-server: %s\n", message);
  std::fprintf(stderr,
               "usage: intake-server [--db data/intake.db] [--listen 127.0.0.1:8080] [--web web/]\n"
               "                     [--idle-minutes 30]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  intake::server::ServerOptions options;
  options.web_dir = "web/";
  std::string listen = "127.0.0.1:8080";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return usage(nullptr), 0;
    if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--db") options.db_path = value;
    else if (arg == "--listen") listen = value;
    else if (arg == "--web") options.web_dir = value;
    else if (arg == "--idle-minutes") {
      char* end = nullptr;
      long minutes = std::strtol(value.c_str(), &end, 10);
      if (*end || minutes < 1) return usage("--idle-minutes takes a whole number of minutes (1 or more)");
      options.idle_seconds = int64_t(minutes) * 60;
    } else {
      return usage(("unknown flag " + arg).c_str());
    }
  }
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return usage("--listen takes HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return usage("--listen port must be 1..65535");
  if (const char* token = std::getenv("INTAKE_ADMIN_TOKEN"); token && *token) options.admin_token = token;

  // Signals are taken by sigwait below, not by whichever thread happens to run.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    auto parent = std::filesystem::path(options.db_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    if (!options.web_dir.empty() && !std::filesystem::is_directory(options.web_dir)) {
      std::fprintf(stderr, "intake-server: no web app at %s; serving the API only\n", options.web_dir.c_str());
      options.web_dir.clear();
    }
    intake::server::Server server(options);
    server.start(port, host);
    std::printf("Intake is running at http://%s:%d/ (database %s)\n", host.c_str(), port,
                options.db_path.c_str());
    if (server.created_admin_token()) {
      if (options.admin_token)
        std::printf("Admin token taken from INTAKE_ADMIN_TOKEN.\n");
      else
        std::printf("Admin token (shown once, keep it): %s\n", server.created_admin_token()->c_str());
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&signals, &sig);
    std::printf("Stopping (%s)...\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    std::fflush(stdout);
    server.stop();
    std::printf("Stopped.\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "intake-server: %s\n", e.what());
    return 1;
  }
}
