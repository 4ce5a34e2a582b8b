// The /metrics endpoint every component exposes. A component's metrics holder
// registers its families on registry() before serving starts.
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "edgestream/common/status.h"

namespace edgestream {

class MetricsServer {
 public:
  // Binds to "host:port" (e.g. "0.0.0.0:9464"); an empty address disables
  // serving while keeping the registry usable (tests, benchmarks).
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& bind_address);

  prometheus::Registry& registry() { return *registry_; }
  // The port actually bound (useful with port 0); 0 when disabled.
  int port() const;

 private:
  MetricsServer() = default;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// Bucket boundaries in seconds shared by every latency histogram, from 1 ms to
// 5 min: edge delivery latency spans sub-millisecond broker acks up to
// minutes of link outage.
const std::vector<double>& latency_buckets_seconds();

}  // namespace edgestream
