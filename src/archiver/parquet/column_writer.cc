#include "column_writer.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include "dictionary.h"
#include "rle_hybrid.h"
#include "statistics.h"
#include "value_traits.h"

namespace edgestream::parquet {

void ChunkSink::begin_chunk() {
  uncompressed_ = 0;
  compressed_total_ = 0;
  data_page_offset_ = -1;
  dictionary_page_offset_ = -1;
  counts_.clear();
}

Status ChunkSink::write_dictionary_page(std::string_view body, std::int32_t num_values) {
  return write_page(body, PageType::kDictionaryPage, Encoding::kPlain, nullptr, num_values);
}

Status ChunkSink::write_data_page(std::string_view body, const DataPageHeaderInfo& info) {
  return write_page(body, PageType::kDataPage, info.encoding, &info, 0);
}

Status ChunkSink::write_page(std::string_view body, PageType type, Encoding encoding,
                             const DataPageHeaderInfo* data_info, std::int32_t dictionary_values) {
  Result<std::string_view> compressed = compressor_.compress(body, compressed_);
  if (!compressed.ok()) return compressed.error();
  // Page sizes are i32 in the format; FileWriter bounds values and pages so
  // that a page stays far below 2 GiB.
  const auto uncompressed_size = static_cast<std::int32_t>(body.size());
  const auto compressed_size = static_cast<std::int32_t>(compressed.value().size());
  header_.clear();
  if (type == PageType::kDictionaryPage) {
    serialize_dictionary_page_header(uncompressed_size, compressed_size, dictionary_values, header_);
    dictionary_page_offset_ = file_.offset();
  } else {
    serialize_data_page_header(uncompressed_size, compressed_size, *data_info, header_);
    if (data_page_offset_ < 0) data_page_offset_ = file_.offset();
  }
  if (Status s = file_.append(header_); !s.ok()) return s;
  if (Status s = file_.append(compressed.value()); !s.ok()) return s;
  uncompressed_ += static_cast<std::int64_t>(header_.size() + body.size());
  compressed_total_ += static_cast<std::int64_t>(header_.size() + compressed.value().size());
  auto count = std::find_if(counts_.begin(), counts_.end(), [&](const PageEncodingCount& c) {
    return c.page_type == type && c.encoding == encoding;
  });
  if (count == counts_.end()) {
    counts_.push_back({type, encoding, 1});
  } else {
    ++count->count;
  }
  return Status::success();
}

void ChunkSink::end_chunk(ColumnChunkMeta& meta) const {
  meta.codec = codec_;
  meta.total_uncompressed_size = uncompressed_;
  meta.total_compressed_size = compressed_total_;
  meta.data_page_offset = data_page_offset_;
  if (dictionary_page_offset_ >= 0) meta.dictionary_page_offset = dictionary_page_offset_;
  meta.encoding_stats = counts_;
  meta.encodings.clear();
  for (const PageEncodingCount& count : counts_) {
    if (std::find(meta.encodings.begin(), meta.encodings.end(), count.encoding) == meta.encodings.end()) {
      meta.encodings.push_back(count.encoding);
    }
  }
}

namespace {

template <typename Traits>
class TypedColumnWriter final : public ColumnWriter {
 public:
  using Stored = typename Traits::Stored;

  TypedColumnWriter(std::string name, const WriterOptions& options, bool use_dictionary)
      : name_(std::move(name)),
        page_bytes_(options.page_bytes),
        use_dictionary_(use_dictionary),
        dictionary_(options.dictionary_page_limit) {}

  void prepare() override {
    indices_.clear();
    plain_.clear();
    plain_count_ = 0;
    plain_equivalent_bytes_ = 0;
    dictionary_.clear();
    dictionary_active_ = use_dictionary_;
  }

  void write(const Value& value) override {
    const Stored stored = Traits::from_value(value);
    if (dictionary_active_) {
      // Telemetry often repeats the previous value (a status, a device
      // sending a burst): reuse its index without hashing.
      if (!indices_.empty() && Traits::same(last_value_, stored)) {
        indices_.push_back(indices_.back());
        plain_equivalent_bytes_ += Traits::plain_size(stored);
        return;
      }
      if (std::optional<std::uint32_t> index = dictionary_.find_or_insert(stored)) {
        last_value_ = dictionary_.at(*index);
        indices_.push_back(*index);
        plain_equivalent_bytes_ += Traits::plain_size(stored);
        if constexpr (Traits::kPhysical != PhysicalType::kByteArray) {
          if (indices_.size() == kProbeValues && dictionary_.size() > kProbeValues / 2) fall_back_to_plain();
        }
        return;
      }
      fall_back_to_plain();
    }
    Traits::append_plain(plain_, stored);
    ++plain_count_;
  }

  Result<ColumnChunkMeta> finalize(ChunkSink& sink) override {
    // Keep the dictionary only if it makes the chunk smaller than PLAIN
    // (before compression): values that barely repeat cost more as a
    // dictionary plus indices.
    if (dictionary_active_) {
      const int bit_width = std::max(1, bit_width_for(dictionary_.size() - 1));
      const std::size_t encoded =
          dictionary_.page().size() + indices_.size() * static_cast<std::size_t>(bit_width) / 8;
      if (encoded >= plain_equivalent_bytes_) fall_back_to_plain();
    }
    sink.begin_chunk();
    MinMax<Traits> chunk_stats;
    const Status written =
        dictionary_active_ ? write_dictionary_pages(sink, chunk_stats) : write_plain_pages(sink, chunk_stats);
    if (!written.ok()) return written.error().with_context("column '" + name_ + "'");
    ColumnChunkMeta meta;
    meta.type = Traits::kPhysical;
    meta.name = name_;
    meta.num_values = static_cast<std::int64_t>(dictionary_active_ ? indices_.size() : plain_count_);
    meta.statistics = chunk_stats.encode();
    sink.end_chunk(meta);
    return meta;
  }

  std::size_t buffered_bytes() const override {
    return indices_.size() * sizeof(std::uint32_t) + plain_.size() + dictionary_.page().size();
  }

 private:
  // The dictionary outgrew its limit: rewrite what is buffered as PLAIN and
  // write the rest of this chunk PLAIN too (one encoding per chunk keeps
  // finalize simple; the next row group tries the dictionary again).
  void fall_back_to_plain() {
    plain_.reserve(plain_equivalent_bytes_);
    for (std::uint32_t index : indices_) Traits::append_plain(plain_, dictionary_.at(index));
    plain_count_ = indices_.size();
    indices_.clear();
    dictionary_.clear();
    dictionary_active_ = false;
  }

  Status write_dictionary_pages(ChunkSink& sink, MinMax<Traits>& chunk_stats) {
    const std::uint32_t entries = dictionary_.size();
    if (Status s = sink.write_dictionary_page(dictionary_.page(), static_cast<std::int32_t>(entries)); !s.ok()) {
      return s;
    }
    // Rank the entries once so page statistics are integer min/max over the
    // page's indices instead of value comparisons per row. NaNs get no rank.
    constexpr std::uint32_t kNoRank = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::uint32_t> order;
    order.reserve(entries);
    for (std::uint32_t i = 0; i < entries; ++i) {
      if (!Traits::is_nan(dictionary_.at(i))) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
      return Traits::less(dictionary_.at(a), dictionary_.at(b));
    });
    rank_.assign(entries, kNoRank);
    for (std::uint32_t r = 0; r < order.size(); ++r) rank_[order[r]] = r;

    // A dictionary of one entry still needs a non-zero width for readers
    // that do not special-case width 0.
    const int bit_width = std::max(1, bit_width_for(entries - 1));
    const std::size_t per_page =
        std::max<std::size_t>(1, page_bytes_ * 8 / static_cast<std::size_t>(bit_width));
    std::span<const std::uint32_t> all(indices_);
    for (std::size_t start = 0; start < all.size(); start += per_page) {
      std::span<const std::uint32_t> page = all.subspan(start, std::min(per_page, all.size() - start));
      std::uint32_t min_rank = kNoRank;
      std::uint32_t max_rank = 0;
      std::int64_t nans = 0;
      for (std::uint32_t index : page) {
        const std::uint32_t r = rank_[index];
        if (r == kNoRank) {
          ++nans;
          continue;
        }
        min_rank = std::min(min_rank, r);
        max_rank = std::max(max_rank, r);
      }
      MinMax<Traits> page_stats;
      if (min_rank != kNoRank) {
        page_stats.update(dictionary_.at(order[min_rank]));
        page_stats.update(dictionary_.at(order[max_rank]));
      }
      page_stats.add_nans(nans);
      page_buffer_.clear();
      page_buffer_.push_back(static_cast<char>(bit_width));
      RleHybridEncoder::encode(page, bit_width, page_buffer_);
      DataPageHeaderInfo info;
      info.num_values = static_cast<std::int32_t>(page.size());
      info.encoding = Encoding::kRleDictionary;
      info.statistics = page_stats.encode();
      if (Status s = sink.write_data_page(page_buffer_, info); !s.ok()) return s;
      chunk_stats.merge(page_stats);
    }
    return Status::success();
  }

  Status write_plain_pages(ChunkSink& sink, MinMax<Traits>& chunk_stats) {
    const char* p = plain_.data();
    const char* const end = plain_.data() + plain_.size();
    while (p < end) {
      const char* const page_start = p;
      MinMax<Traits> page_stats;
      std::int32_t count = 0;
      // A page ends once it reaches page_bytes_ (a single value larger than
      // that gets a page of its own).
      while (p < end && static_cast<std::size_t>(p - page_start) < page_bytes_) {
        page_stats.update(Traits::read_plain(p));
        ++count;
      }
      DataPageHeaderInfo info;
      info.num_values = count;
      info.encoding = Encoding::kPlain;
      info.statistics = page_stats.encode();
      const std::string_view body(page_start, static_cast<std::size_t>(p - page_start));
      if (Status s = sink.write_data_page(body, info); !s.ok()) return s;
      chunk_stats.merge(page_stats);
    }
    return Status::success();
  }

  // Numeric columns whose first kProbeValues values of a chunk are more than
  // half distinct (timestamps, noisy measurements) switch to PLAIN right away:
  // their dictionary would overflow or fail the size check at finalize, and
  // hashing every value until then costs a fifth of the write time. Strings
  // are exempt: an id column with thousands of devices looks distinct early
  // yet repeats heavily over a row group.
  static constexpr std::size_t kProbeValues = 16384;

  const std::string name_;
  const std::size_t page_bytes_;
  const bool use_dictionary_;
  bool dictionary_active_ = false;
  DictionaryBuilder<Traits> dictionary_;
  std::vector<std::uint32_t> indices_;  // dictionary-encoded values of this chunk
  std::string plain_;                   // PLAIN-encoded values of this chunk
  std::size_t plain_count_ = 0;
  std::size_t plain_equivalent_bytes_ = 0;  // PLAIN size of the dictionary-encoded values
  // The most recent dictionary-encoded value (for strings, a view into the
  // dictionary; refreshed after every insertion, which may move it).
  Stored last_value_{};
  // Scratch reused across chunks.
  std::vector<std::uint32_t> rank_;
  std::string page_buffer_;
};

}  // namespace

std::unique_ptr<ColumnWriter> make_column_writer(const Column& column, const WriterOptions& options) {
  const bool numbers = options.dictionary_for_numbers;
  switch (column.type) {
    case ColumnType::kString: return std::make_unique<TypedColumnWriter<StringTraits>>(column.name, options, true);
    case ColumnType::kTimestampMillis:
      return std::make_unique<TypedColumnWriter<TimestampTraits>>(column.name, options, numbers);
    case ColumnType::kDouble:
      return std::make_unique<TypedColumnWriter<DoubleTraits>>(column.name, options, numbers);
    case ColumnType::kInt64:
      return std::make_unique<TypedColumnWriter<Int64Traits>>(column.name, options, numbers);
  }
  return nullptr;
}

}  // namespace edgestream::parquet
