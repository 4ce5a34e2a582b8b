#include "edgestream/simulator/generator.h"

#include <algorithm>
#include <cmath>

namespace edgestream::simulator {
namespace {
// A few non-OK states a real gateway reports; the processor drops them all.
constexpr std::string_view kBadStatuses[] = {"ERROR", "WARN", "MAINTENANCE"};
// Strength of the pull back to the device's baseline per step, so walks stay
// in a plausible band (around ±5 °C) instead of drifting without bound.
constexpr double kReversion = 0.02;

// Sensors report with 0.1 precision; rounding also keeps messages short.
double round_to_tenth(double value) { return std::round(value * 10.0) / 10.0; }
}  // namespace

std::string device_id(int32_t index, int32_t device_count) {
  std::string digits = std::to_string(index);
  size_t width = std::max<size_t>(3, std::to_string(std::max(device_count - 1, 0)).size());
  std::string id = "device";
  id.append(width > digits.size() ? width - digits.size() : 0, '0');
  id += digits;
  return id;
}

TelemetryGenerator::TelemetryGenerator(const GeneratorConfig& config)
    : bad_status_share_(config.bad_status_share),
      over_limit_share_(config.over_limit_share),
      random_(config.seed != 0 ? config.seed : std::random_device{}()) {
  std::uniform_real_distribution<double> baseline(55.0, 85.0);
  std::uniform_real_distribution<double> humidity(30.0, 70.0);
  devices_.reserve(static_cast<size_t>(std::max(config.devices, 1)));
  for (int32_t i = 0; i < std::max(config.devices, 1); ++i) {
    Device device;
    device.id = device_id(i, config.devices);
    device.baseline = baseline(random_);
    device.temperature = device.baseline;
    device.humidity = humidity(random_);
    devices_.push_back(std::move(device));
  }
}

Telemetry TelemetryGenerator::next(EventTime now) {
  Device& device = devices_[next_device_];
  next_device_ = (next_device_ + 1) % devices_.size();

  device.temperature += step_(random_) - kReversion * (device.temperature - device.baseline);
  device.humidity = std::clamp(device.humidity + step_(random_), 0.0, 100.0);

  Telemetry telemetry;
  telemetry.device_id = device.id;
  telemetry.timestamp = std::chrono::floor<std::chrono::seconds>(now);
  telemetry.temperature = round_to_tenth(device.temperature);
  telemetry.humidity = round_to_tenth(device.humidity);
  telemetry.status = "OK";

  double draw = unit_(random_);
  if (draw < bad_status_share_) {
    telemetry.status = kBadStatuses[random_() % std::size(kBadStatuses)];
  } else if (draw < bad_status_share_ + over_limit_share_) {
    // An overheating sensor: clearly above the limit, never exactly 100.
    telemetry.temperature = round_to_tenth(100.1 + 20.0 * unit_(random_));
  }
  return telemetry;
}

}  // namespace edgestream::simulator
