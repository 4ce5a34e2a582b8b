#include "edgestream/contract/aggregate.h"

#include <algorithm>

namespace edgestream::contract {

void Aggregate::add(double temperature) {
  ++count;
  sum += temperature;
  min = std::min(min, temperature);
  max = std::max(max, temperature);
}

void Aggregate::merge(const Aggregate& other) {
  count += other.count;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
}

}  // namespace edgestream::contract
