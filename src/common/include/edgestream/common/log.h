// One line-oriented logger per component, writing to stderr (the container
// runtime collects it). Thread-safe: one write per line. Whatever a message
// holds (record text, broker answers), it stays one line of valid UTF-8:
// see escape_for_log.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace edgestream {

// `text` made safe for one log line: a backslash becomes "\\", newline, carriage
// return and tab become "\n", "\r", "\t", other control characters (C0, DEL,
// C1) and the line separators U+2028/U+2029 become "\xHH" or "\uHHHH", and
// every byte that is not part of valid UTF-8 becomes "\xHH". Record text in a
// message can thus neither forge a second log line nor corrupt the stream.
std::string escape_for_log(std::string_view text);

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  template <typename... Parts>
  void debug(const Parts&... parts) const { log(LogLevel::kDebug, parts...); }
  template <typename... Parts>
  void info(const Parts&... parts) const { log(LogLevel::kInfo, parts...); }
  template <typename... Parts>
  void warn(const Parts&... parts) const { log(LogLevel::kWarn, parts...); }
  template <typename... Parts>
  void error(const Parts&... parts) const { log(LogLevel::kError, parts...); }

  // Process-wide threshold; set once at start-up from EDGESTREAM_LOG_LEVEL.
  static void set_level(LogLevel level);
  static LogLevel level();
  static bool parse_level(std::string_view text, LogLevel& out);

 private:
  template <typename... Parts>
  void log(LogLevel level, const Parts&... parts) const {
    if (level < Logger::level()) return;
    std::ostringstream line;
    (line << ... << parts);
    write(level, line.str());
  }
  void write(LogLevel level, const std::string& text) const;

  std::string component_;
};

}  // namespace edgestream
