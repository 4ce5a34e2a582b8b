// Min/max/NaN accumulation for page and chunk statistics, in the order the
// column's TYPE_ORDER defines (signed for INT64/DOUBLE, unsigned byte-wise for
// strings), and their encoding into on-disk bytes.
#pragma once

#include <cstdint>
#include <string>

#include "metadata.h"

namespace edgestream::parquet {

// Statistics of a string longer than this are omitted for that page/chunk:
// they would bloat every page header and the footer, and readers get no
// useful pruning from a multi-kilobyte bound. (Truncating would require
// is_*_exact=false plus an incremented max; not worth it for telemetry ids.)
inline constexpr std::size_t kMaxStatisticsValueBytes = 4096;

template <typename Traits>
class MinMax {
 public:
  using Stored = typename Traits::Stored;

  void update(Stored value) {
    if (Traits::is_nan(value)) {
      ++nan_count_;
      return;
    }
    if (!has_value_) {
      min_ = max_ = value;
      has_value_ = true;
      return;
    }
    if (Traits::less(value, min_)) min_ = value;
    if (Traits::less(max_, value)) max_ = value;
  }

  void merge(const MinMax& other) {
    nan_count_ += other.nan_count_;
    if (!other.has_value_) return;
    if (!has_value_) {
      min_ = other.min_;
      max_ = other.max_;
      has_value_ = true;
      return;
    }
    if (Traits::less(other.min_, min_)) min_ = other.min_;
    if (Traits::less(max_, other.max_)) max_ = other.max_;
  }

  void add_nans(std::int64_t count) { nan_count_ += count; }

  bool has_value() const { return has_value_; }
  Stored min() const { return min_; }
  Stored max() const { return max_; }
  std::int64_t nan_count() const { return nan_count_; }

  // All values are non-null (REQUIRED columns), so null_count is 0.
  EncodedStatistics encode() const {
    EncodedStatistics stats;
    stats.null_count = 0;
    if constexpr (Traits::kCountsNan) stats.nan_count = nan_count_;
    if (!has_value_) return stats;  // empty, or every value NaN: no min/max
    Stored min = min_;
    Stored max = max_;
    if constexpr (Traits::kCountsNan) {
      // The spec's rule for zeros under TYPE_ORDER: a zero min is written as
      // -0.0 and a zero max as +0.0, so the bounds hold whichever zero occurs.
      if (min == 0) min = -0.0;
      if (max == 0) max = +0.0;
    }
    std::string min_bytes = Traits::statistics_bytes(min);
    std::string max_bytes = Traits::statistics_bytes(max);
    if (min_bytes.size() > kMaxStatisticsValueBytes || max_bytes.size() > kMaxStatisticsValueBytes) {
      return stats;
    }
    stats.min_value = std::move(min_bytes);
    stats.max_value = std::move(max_bytes);
    return stats;
  }

 private:
  bool has_value_ = false;
  Stored min_{};
  Stored max_{};
  std::int64_t nan_count_ = 0;
};

}  // namespace edgestream::parquet
