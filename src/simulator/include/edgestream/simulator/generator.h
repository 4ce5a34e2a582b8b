// Simulated IoT devices: each device's temperature follows a mean-reverting
// random walk, humidity drifts within 0–100, and a configurable share of
// readings carry a non-OK status or a temperature above 100 °C so that the
// processor's filter has real work.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "edgestream/common/timestamp.h"
#include "edgestream/contract/reading.h"

namespace edgestream::simulator {

struct GeneratorConfig {
  int32_t devices = 100;
  double bad_status_share = 0.01;   // readings with status != "OK"
  double over_limit_share = 0.005;  // readings with temperature > 100 °C
  uint64_t seed = 0;                // 0: seed from the OS
};

// One generated reading, in the data contract's shape; its device_id views
// the generator's storage (valid until the generator is destroyed).
using Telemetry = contract::Reading;

// Not thread-safe: one per producing thread.
class TelemetryGenerator {
 public:
  explicit TelemetryGenerator(const GeneratorConfig& config);

  // The next reading, devices in round-robin order so every device reports at
  // the same rate (rate / devices per second each).
  Telemetry next(EventTime now);

  int32_t device_count() const { return static_cast<int32_t>(devices_.size()); }

 private:
  struct Device {
    std::string id;
    double baseline = 0;     // the temperature the walk reverts to
    double temperature = 0;
    double humidity = 0;
  };

  std::vector<Device> devices_;
  size_t next_device_ = 0;
  double bad_status_share_;
  double over_limit_share_;
  std::mt19937_64 random_;
  std::normal_distribution<double> step_{0.0, 0.15};
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
};

// Device identifiers: "device000" … zero-padded to the width of the largest
// index, so they sort in device order.
std::string device_id(int32_t index, int32_t device_count);

}  // namespace edgestream::simulator
