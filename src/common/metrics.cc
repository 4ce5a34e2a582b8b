#include "edgestream/common/metrics.h"

#include <exception>

namespace edgestream {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& bind_address) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->registry_ = std::make_shared<prometheus::Registry>();
  if (bind_address.empty()) return server;
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(bind_address);
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInvalidConfig,
                 "cannot serve /metrics on '" + bind_address + "': " + e.what() +
                     "; choose a free port with --metrics-address");
  }
  server->exposer_->RegisterCollectable(server->registry_);
  return server;
}

int MetricsServer::port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

const std::vector<double>& latency_buckets_seconds() {
  static const std::vector<double> buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                           0.5,   1,      2.5,   5,    10,    30,   60,  300};
  return buckets;
}

}  // namespace edgestream
