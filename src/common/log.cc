#include "edgestream/common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>

#include "edgestream/common/timestamp.h"

namespace edgestream {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}
}  // namespace

void Logger::set_level(LogLevel level) { g_level.store(level); }
LogLevel Logger::level() { return g_level.load(std::memory_order_relaxed); }

bool Logger::parse_level(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::kDebug;
  else if (text == "info") out = LogLevel::kInfo;
  else if (text == "warn") out = LogLevel::kWarn;
  else if (text == "error") out = LogLevel::kError;
  else return false;
  return true;
}

void Logger::write(LogLevel level, const std::string& text) const {
  auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  std::string line;
  line.reserve(text.size() + 64);
  append_rfc3339(line, now);
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += component_;
  line += ": ";
  line += text;
  line += '\n';
  // One fwrite per line keeps lines whole when threads log concurrently.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace edgestream
