#include "edgestream/common/shutdown.h"

#include <atomic>
#include <csignal>

namespace edgestream {
namespace {
std::atomic<bool> g_shutdown{false};
static_assert(std::atomic<bool>::is_always_lock_free, "signal handler needs a lock-free flag");

extern "C" void on_shutdown_signal(int /*signal*/) { g_shutdown.store(true); }
}  // namespace

void install_shutdown_handlers() {
  struct sigaction action {};
  action.sa_handler = on_shutdown_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool shutdown_requested() { return g_shutdown.load(std::memory_order_relaxed); }
void request_shutdown() { g_shutdown.store(true); }

}  // namespace edgestream
