#include "edgestream/archiver/batch_sequencer.h"

namespace edgestream::archiver {

void BatchSequencer::enqueue(std::int32_t partition, BatchId id) {
  lanes_[partition].waiting.push_back(id);
}

std::vector<BatchSequencer::Dispatch> BatchSequencer::take_dispatchable() {
  std::vector<Dispatch> ready;
  for (auto& [partition, lane] : lanes_) {
    if (lane.in_flight || lane.waiting.empty()) continue;
    lane.in_flight = InFlight{lane.waiting.front(), Stage::kUploading};
    lane.waiting.pop_front();
    ready.push_back(Dispatch{partition, lane.in_flight->id});
  }
  return ready;
}

bool BatchSequencer::uploaded(std::int32_t partition, BatchId id) {
  auto it = lanes_.find(partition);
  if (it == lanes_.end() || !it->second.in_flight || it->second.in_flight->id != id ||
      it->second.in_flight->stage != Stage::kUploading) {
    return false;
  }
  it->second.in_flight->stage = Stage::kAwaitingCommit;
  return true;
}

bool BatchSequencer::committed(std::int32_t partition, BatchId id) {
  auto it = lanes_.find(partition);
  if (it == lanes_.end() || !it->second.in_flight || it->second.in_flight->id != id ||
      it->second.in_flight->stage != Stage::kAwaitingCommit) {
    return false;
  }
  it->second.in_flight.reset();
  if (it->second.waiting.empty()) lanes_.erase(it);
  return true;
}

std::vector<BatchId> BatchSequencer::drop(std::int32_t partition) {
  std::vector<BatchId> dropped;
  auto it = lanes_.find(partition);
  if (it == lanes_.end()) return dropped;
  if (it->second.in_flight) dropped.push_back(it->second.in_flight->id);
  dropped.insert(dropped.end(), it->second.waiting.begin(), it->second.waiting.end());
  lanes_.erase(it);
  return dropped;
}

std::optional<BatchSequencer::InFlight> BatchSequencer::in_flight(std::int32_t partition) const {
  auto it = lanes_.find(partition);
  if (it == lanes_.end()) return std::nullopt;
  return it->second.in_flight;
}

std::size_t BatchSequencer::waiting(std::int32_t partition) const {
  auto it = lanes_.find(partition);
  return it == lanes_.end() ? 0 : it->second.waiting.size();
}

bool BatchSequencer::idle(std::int32_t partition) const {
  auto it = lanes_.find(partition);
  return it == lanes_.end() || (!it->second.in_flight && it->second.waiting.empty());
}

std::vector<BatchSequencer::Dispatch> BatchSequencer::awaiting_commit() const {
  std::vector<Dispatch> out;
  for (const auto& [partition, lane] : lanes_) {
    if (lane.in_flight && lane.in_flight->stage == Stage::kAwaitingCommit) {
      out.push_back(Dispatch{partition, lane.in_flight->id});
    }
  }
  return out;
}

}  // namespace edgestream::archiver
