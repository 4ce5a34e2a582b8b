// DictionaryBuilder: assigns each distinct value an index in first-seen order
// and keeps the dictionary page body (the PLAIN encoding of the entries) as it
// grows, so finishing a chunk needs no extra pass.
//
// Open addressing with linear probing over a power-of-two table kept at most
// half full; each slot holds entry index + 1 (0 = empty). Identity is
// Traits::same (bitwise for doubles).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgestream::parquet {

template <typename Traits>
class DictionaryBuilder {
 public:
  using Stored = typename Traits::Stored;

  // page_limit: the dictionary page body may not exceed this many bytes.
  explicit DictionaryBuilder(std::size_t page_limit) : page_limit_(page_limit) { slots_.assign(kInitialSlots, 0); }

  // Index of value, inserting it if new; nullopt when inserting it would make
  // the dictionary page exceed the limit (the dictionary is left unchanged).
  std::optional<std::uint32_t> find_or_insert(Stored value) {
    const std::uint64_t hash = Traits::hash(value);
    std::size_t slot = static_cast<std::size_t>(hash) & (slots_.size() - 1);
    while (std::uint32_t occupant = slots_[slot]) {
      const std::uint32_t index = occupant - 1;
      if (hashes_[index] == hash && Traits::same(at(index), value)) return index;
      slot = (slot + 1) & (slots_.size() - 1);
    }
    if (page_.size() + Traits::plain_size(value) > page_limit_) return std::nullopt;
    const auto index = static_cast<std::uint32_t>(offsets_.size());
    offsets_.push_back(page_.size());
    hashes_.push_back(hash);
    Traits::append_plain(page_, value);
    slots_[slot] = index + 1;
    if (offsets_.size() * 2 > slots_.size()) grow();
    return index;
  }

  std::uint32_t size() const { return static_cast<std::uint32_t>(offsets_.size()); }
  bool empty() const { return offsets_.empty(); }

  // Entry `index`. A string_view stays valid until the next insertion.
  Stored at(std::uint32_t index) const {
    const char* p = page_.data() + offsets_[index];
    return Traits::read_plain(p);
  }

  // The dictionary page body: PLAIN encoding of the entries in index order.
  const std::string& page() const { return page_; }

  // Forgets every entry (keeps allocations for the next chunk).
  void clear() {
    page_.clear();
    offsets_.clear();
    hashes_.clear();
    std::fill(slots_.begin(), slots_.end(), 0);
  }

 private:
  static constexpr std::size_t kInitialSlots = 1024;

  void grow() {
    std::vector<std::uint32_t> slots(slots_.size() * 2, 0);
    const std::size_t mask = slots.size() - 1;
    for (std::uint32_t index = 0; index < offsets_.size(); ++index) {
      std::size_t slot = static_cast<std::size_t>(hashes_[index]) & mask;
      while (slots[slot] != 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    slots_ = std::move(slots);
  }

  std::size_t page_limit_;
  std::string page_;
  std::vector<std::size_t> offsets_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> slots_;
};

}  // namespace edgestream::parquet
