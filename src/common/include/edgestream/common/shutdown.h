// SIGTERM/SIGINT turn into a flag that main loops poll: components finish the
// batch in flight, flush, commit, and exit 0.
#pragma once

namespace edgestream {

void install_shutdown_handlers();
bool shutdown_requested();
void request_shutdown();

}  // namespace edgestream
