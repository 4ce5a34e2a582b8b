#include "edgestream/audit/reconcile.h"

#include <algorithm>
#include <utility>

#include "edgestream/common/json_text.h"

namespace edgestream::audit {
namespace {

std::string range_text(std::int64_t first, std::int64_t end) {
  return "[" + std::to_string(first) + "," + std::to_string(end) + ")";
}

struct Placed {
  const FoundObject* object;
  std::int64_t first;
  std::int64_t end;
};

void note_offset(std::vector<std::int64_t>& list, std::int64_t offset) {
  if (list.size() < kListedOffsets) list.push_back(offset);
}

StreamReport reconcile_stream(const StreamKey& stream, const std::vector<std::int64_t>& offsets,
                              const std::vector<const FoundObject*>& objects) {
  StreamReport report;
  report.stream = stream;
  report.expected = static_cast<std::int64_t>(offsets.size());
  report.objects = static_cast<std::int64_t>(objects.size());

  std::vector<Placed> placed;
  for (const FoundObject* object : objects) {
    if (object->rows) report.found_rows += *object->rows;
    if (!object->read_error.empty()) {
      report.problems.push_back(object->key + ": " + object->read_error);
    }
    if (!object->first_offset || !object->end_offset) {
      report.problems.push_back(object->key +
                                ": no offset range in its metadata (written before write-once "
                                "objects, or by hand); its records cannot be placed");
      continue;
    }
    if (*object->end_offset <= *object->first_offset) {
      report.problems.push_back(object->key + ": empty or inverted offset range " +
                                range_text(*object->first_offset, *object->end_offset));
      continue;
    }
    if (*object->first_offset != object->identity.first_offset) {
      report.problems.push_back(object->key + ": key says first offset " +
                                std::to_string(object->identity.first_offset) + ", metadata says " +
                                std::to_string(*object->first_offset));
    }
    placed.push_back({object, *object->first_offset, *object->end_offset});
  }
  std::sort(placed.begin(), placed.end(),
            [](const Placed& a, const Placed& b) { return std::pair(a.first, a.end) < std::pair(b.first, b.end); });

  // Overlapping ranges: sorted by start, a range overlaps every earlier one
  // that ends after its start.
  for (std::size_t i = 0; i < placed.size(); ++i) {
    for (std::size_t j = i + 1; j < placed.size() && placed[j].first < placed[i].end; ++j) {
      report.overlaps.push_back(placed[i].object->key + " " + range_text(placed[i].first, placed[i].end) +
                                " overlaps " + placed[j].object->key + " " +
                                range_text(placed[j].first, placed[j].end));
    }
  }

  // Each object's rows against the expected records of its range.
  for (const Placed& p : placed) {
    const auto low = std::lower_bound(offsets.begin(), offsets.end(), p.first);
    const auto high = std::lower_bound(low, offsets.end(), p.end);
    const std::int64_t in_range = high - low;
    if (!p.object->rows) continue;  // read_error already reported
    const std::int64_t rows = *p.object->rows;
    if (rows == in_range) continue;
    report.problems.push_back(p.object->key + " " + range_text(p.first, p.end) + ": " +
                              std::to_string(rows) + " rows, but " + std::to_string(in_range) +
                              " records of its stream have offsets in that range");
    if (rows < in_range) report.missing += in_range - rows;
    if (rows > in_range) report.duplicated += rows - in_range;
  }

  // Coverage of each expected offset: a sweep over range starts and ends.
  std::vector<std::pair<std::int64_t, int>> events;  // (offset, +1 start / -1 end)
  events.reserve(placed.size() * 2);
  for (const Placed& p : placed) {
    events.emplace_back(p.first, +1);
    events.emplace_back(p.end, -1);
  }
  std::sort(events.begin(), events.end());
  std::size_t next_event = 0;
  int covering = 0;
  for (const std::int64_t offset : offsets) {
    while (next_event < events.size() && events[next_event].first <= offset) {
      covering += events[next_event].second;
      ++next_event;
    }
    if (covering == 0) {
      ++report.missing;
      note_offset(report.first_missing_offsets, offset);
    } else if (covering > 1) {
      report.duplicated += covering - 1;
      note_offset(report.first_duplicated_offsets, offset);
    }
  }
  return report;
}

}  // namespace

bool AuditReport::exact() const {
  if (!strays.empty() || !unverifiable.empty()) return false;
  return std::all_of(streams.begin(), streams.end(), [](const StreamReport& s) { return s.exact(); });
}

AuditReport reconcile(const ExpectedOffsets& expected, const std::vector<FoundObject>& objects,
                      std::vector<StrayObject> strays, EventTime from, EventTime to) {
  std::map<StreamKey, std::vector<const FoundObject*>> by_stream;
  for (const FoundObject& object : objects) {
    const StreamKey key{object.identity.kind, object.identity.partition, object.identity.period_start};
    if (key.period_start < from || key.period_start >= to) continue;
    by_stream[key].push_back(&object);
  }
  static const std::vector<std::int64_t> kNone;
  static const std::vector<const FoundObject*> kNoObjects;
  std::map<StreamKey, bool> streams;
  for (const auto& [key, offsets] : expected) {
    if (key.period_start >= from && key.period_start < to) streams[key] = true;
  }
  for (const auto& [key, list] : by_stream) streams[key] = true;

  AuditReport report;
  for (const auto& [key, unused] : streams) {
    const auto e = expected.find(key);
    const auto o = by_stream.find(key);
    report.streams.push_back(reconcile_stream(key, e == expected.end() ? kNone : e->second,
                                              o == by_stream.end() ? kNoObjects : o->second));
  }
  // Period, then partition, then kind: the order an operator reads an hour in.
  std::sort(report.streams.begin(), report.streams.end(), [](const StreamReport& a, const StreamReport& b) {
    return std::tuple(a.stream.period_start, a.stream.partition, a.stream.kind) <
           std::tuple(b.stream.period_start, b.stream.partition, b.stream.kind);
  });
  std::sort(strays.begin(), strays.end(), [](const StrayObject& a, const StrayObject& b) { return a.key < b.key; });
  report.strays = std::move(strays);
  return report;
}

namespace {

std::string offsets_text(const std::vector<std::int64_t>& offsets, std::int64_t total) {
  std::string out;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(offsets[i]);
  }
  if (total > static_cast<std::int64_t>(offsets.size()) && !offsets.empty()) out += ",…";
  return out.empty() ? "-" : out;
}

std::string pad(std::string text, std::size_t width, bool right = false) {
  if (text.size() >= width) return text;
  return right ? std::string(width - text.size(), ' ') + text : text + std::string(width - text.size(), ' ');
}

void append_offsets_json(std::string& out, const std::vector<std::int64_t>& offsets) {
  out += "[";
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    if (i > 0) out += ",";
    append_json_int(out, offsets[i]);
  }
  out += "]";
}

void append_strings_json(std::string& out, const std::vector<std::string>& texts) {
  out += "[";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i > 0) out += ",";
    append_json_string(out, texts[i]);
  }
  out += "]";
}

}  // namespace

std::string format_table(const AuditReport& report) {
  std::string out;
  out += pad("period", 21) + " " + pad("partition", 9, true) + " " + pad("kind", 21) + " " +
         pad("expected", 9, true) + " " + pad("found", 9, true) + " " + pad("objects", 7, true) + " " +
         pad("missing", 8, true) + " " + pad("duplicated", 10, true) + " " + pad("overlaps", 8, true) +
         "  first missing offsets\n";
  for (const StreamReport& s : report.streams) {
    out += pad(format_rfc3339(s.stream.period_start), 21) + " " + pad(std::to_string(s.stream.partition), 9, true) +
           " " + pad(archiver::object_kind_name(s.stream.kind), 21) + " " + pad(std::to_string(s.expected), 9, true) +
           " " + pad(std::to_string(s.found_rows), 9, true) + " " + pad(std::to_string(s.objects), 7, true) + " " +
           pad(std::to_string(s.missing), 8, true) + " " + pad(std::to_string(s.duplicated), 10, true) + " " +
           pad(std::to_string(s.overlaps.size()), 8, true) + "  " +
           offsets_text(s.first_missing_offsets, s.missing) + (s.exact() ? "" : "  NOT EXACT") + "\n";
  }
  for (const StreamReport& s : report.streams) {
    const std::string where = format_rfc3339(s.stream.period_start) + " partition " +
                              std::to_string(s.stream.partition) + " " +
                              archiver::object_kind_name(s.stream.kind) + ": ";
    if (!s.first_duplicated_offsets.empty()) {
      out += where + "duplicated offsets " + offsets_text(s.first_duplicated_offsets, s.duplicated) + "\n";
    }
    for (const std::string& overlap : s.overlaps) out += where + overlap + "\n";
    for (const std::string& problem : s.problems) out += where + problem + "\n";
  }
  for (const StrayObject& stray : report.strays) out += "outside the layout: " + stray.key + ": " + stray.reason + "\n";
  for (const std::string& text : report.unverifiable) out += "unverifiable: " + text + "\n";
  out += report.exact() ? "EXACT: every expected record is in exactly one object\n" : "NOT EXACT\n";
  return out;
}

std::string format_json(const AuditReport& report) {
  std::string out = "{\"exact\":";
  out += report.exact() ? "true" : "false";
  out += ",\"streams\":[";
  for (std::size_t i = 0; i < report.streams.size(); ++i) {
    const StreamReport& s = report.streams[i];
    if (i > 0) out += ",";
    out += "{\"period_start\":";
    append_json_string(out, format_rfc3339(s.stream.period_start));
    out += ",\"partition\":";
    append_json_int(out, s.stream.partition);
    out += ",\"kind\":";
    append_json_string(out, archiver::object_kind_name(s.stream.kind));
    out += ",\"expected\":";
    append_json_int(out, s.expected);
    out += ",\"found_rows\":";
    append_json_int(out, s.found_rows);
    out += ",\"objects\":";
    append_json_int(out, s.objects);
    out += ",\"missing\":";
    append_json_int(out, s.missing);
    out += ",\"first_missing_offsets\":";
    append_offsets_json(out, s.first_missing_offsets);
    out += ",\"duplicated\":";
    append_json_int(out, s.duplicated);
    out += ",\"first_duplicated_offsets\":";
    append_offsets_json(out, s.first_duplicated_offsets);
    out += ",\"overlaps\":";
    append_strings_json(out, s.overlaps);
    out += ",\"problems\":";
    append_strings_json(out, s.problems);
    out += ",\"exact\":";
    out += s.exact() ? "true" : "false";
    out += "}";
  }
  out += "],\"outside_layout\":[";
  for (std::size_t i = 0; i < report.strays.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"key\":";
    append_json_string(out, report.strays[i].key);
    out += ",\"reason\":";
    append_json_string(out, report.strays[i].reason);
    out += "}";
  }
  out += "],\"unverifiable\":";
  append_strings_json(out, report.unverifiable);
  out += "}\n";
  return out;
}

}  // namespace edgestream::audit
