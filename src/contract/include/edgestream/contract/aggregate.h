// The summary of the temperatures of one window that every aggregate record
// and every partial carries: count, sum, min and max. Merging is associative
// and commutative, so partials can be combined in any order.
#pragma once

#include <cstdint>
#include <limits>

#include "edgestream/common/timestamp.h"

namespace edgestream::contract {

struct Aggregate {
  EventTime window_start;
  std::int64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void add(double temperature);
  void merge(const Aggregate& other);
  double average() const { return count == 0 ? 0 : sum / static_cast<double>(count); }
};

}  // namespace edgestream::contract
