// DictionaryBuilder: assigns each distinct value an index in first-seen order
// and keeps the dictionary page body (the PLAIN encoding of the entries) as it
// grows, so finishing a chunk needs no extra pass.
//
// Open addressing with linear probing over a power-of-two table kept at most
// half full. A slot packs the top 32 bits of the value's hash with entry
// index + 1 (0 = empty): probing compares hashes without touching the entries,
// the slot position is the top bits of that same hash fragment, so growing
// never rehashes values. Identity is Traits::same (bitwise for doubles).
#pragma once

#include <algorithm>
#include <bit>
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
  explicit DictionaryBuilder(std::size_t page_limit) : page_limit_(page_limit) { resize_table(kInitialBits); }

  // Index of value, inserting it if new; nullopt when inserting it would make
  // the dictionary page exceed the limit (the dictionary is left unchanged).
  std::optional<std::uint32_t> find_or_insert(Stored value) {
    const auto fragment = static_cast<std::uint32_t>(Traits::hash(value) >> 32);
    std::size_t slot = fragment >> shift_;
    while (const std::uint64_t occupant = slots_[slot]) {
      if (static_cast<std::uint32_t>(occupant >> 32) == fragment) {
        const auto index = static_cast<std::uint32_t>(occupant) - 1;
        if (Traits::same(at(index), value)) return index;
      }
      slot = (slot + 1) & mask_;
    }
    if (page_.size() + Traits::plain_size(value) > page_limit_) return std::nullopt;
    const auto index = static_cast<std::uint32_t>(offsets_.size());
    offsets_.push_back(page_.size());
    Traits::append_plain(page_, value);
    slots_[slot] = (std::uint64_t{fragment} << 32) | (index + 1);
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
    std::fill(slots_.begin(), slots_.end(), 0);
  }

 private:
  static constexpr int kInitialBits = 10;  // 1024 slots

  void resize_table(int bits) {
    bits_ = bits;
    shift_ = 32 - bits;
    mask_ = (std::size_t{1} << bits) - 1;
    slots_.assign(std::size_t{1} << bits, 0);
  }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    resize_table(bits_ + 1);
    for (std::uint64_t occupant : old) {
      if (occupant == 0) continue;
      std::size_t slot = static_cast<std::uint32_t>(occupant >> 32) >> shift_;
      while (slots_[slot] != 0) slot = (slot + 1) & mask_;
      slots_[slot] = occupant;
    }
  }

  std::size_t page_limit_;
  std::string page_;
  std::vector<std::size_t> offsets_;
  std::vector<std::uint64_t> slots_;
  int bits_ = 0;
  int shift_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace edgestream::parquet
