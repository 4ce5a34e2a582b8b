"""Round trip of edgestream's Parquet writer through two independent readers.

Each test generates rows in Python (seeded random), writes them with
parquet_write_tool (the C++ writer), then reads the file back with pyarrow and
with DuckDB and checks, against values computed here from the generated rows:
  - every value, bit for bit (doubles compared as IEEE bytes, so -0.0 and NaN
    count), timestamps as integer milliseconds;
  - the logical types each reader sees;
  - per row group statistics (min, max, null_count) as pyarrow reports them;
  - per page statistics, read from the page headers with a small Thrift
    compact reader in this file (no reader library exposes them);
  - row-group layout and encodings where a test is about them.
"""

import array
import json
import math
import os
import random
import struct
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

BIN_DIR = Path(os.environ.get("EDGESTREAM_BIN_DIR", "build/parquet/bin"))
TOOL = BIN_DIR / "parquet_write_tool"

# Statistics of strings longer than this are omitted by the writer
# (documented in docs/parquet.md; kMaxStatisticsValueBytes).
MAX_STATS_BYTES = 4096
# Documented default dictionary page limit (WriterOptions::dictionary_page_limit).
DEFAULT_DICTIONARY_LIMIT = 1 << 20

READINGS = [("DeviceId", "string"), ("Timestamp", "timestamp_ms"), ("Temperature", "double"),
            ("Humidity", "double"), ("Status", "string")]
AGGREGATES = [("Timestamp", "timestamp_ms"), ("Temperature", "double"), ("Count", "int64"),
              ("Min", "double"), ("Max", "double")]
DEVICE_AGGREGATES = [("DeviceId", "string"), ("Timestamp", "timestamp_ms"), ("Temperature", "double"),
                     ("Count", "int64"), ("Min", "double"), ("Max", "double")]
AGGREGATE_CORRECTIONS = [("Timestamp", "timestamp_ms"), ("TemperatureSum", "double"), ("Count", "int64"),
                         ("Min", "double"), ("Max", "double")]

ARROW_TYPES = {"string": pa.string(), "timestamp_ms": pa.timestamp("ms", tz="UTC"),
               "double": pa.float64(), "int64": pa.int64()}
DUCKDB_TYPES = {"string": "VARCHAR", "timestamp_ms": "TIMESTAMP WITH TIME ZONE",
                "double": "DOUBLE", "int64": "BIGINT"}

MIN_TS = -62135596800000    # 0001-01-01T00:00:00Z
MAX_TS = 253402300799999    # 9999-12-31T23:59:59.999Z
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

UNICODE_WORDS = ["", "a", "é", "naïve", "Ünïcödé", "日本語", "温度センサー", "😀", "🌡️🔥", "👩‍👩‍👧‍👦",
                 "mixed ascii and ✓", "Ω≈ç√∫", "\u0000nul", "tab\tnew\nline", "quote\"back\\slash",
                 "z", "zz", "\U0010FFFF", "\u07FF\u0800\uFFFF"]


# --------------------------------------------------------------------------
# Writing


def json_value(kind, value):
    if kind == "double" and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def write_file(tmp_path, columns, rows, name="out.parquet", codec="zstd", row_group_rows=None,
               page_bytes=None, dictionary_limit=None, plain_numbers=False, zstd_level=None):
    path = tmp_path / name
    spec = ",".join(f"{column}:{kind}" for column, kind in columns)
    kinds = [kind for _, kind in columns]
    lines = [json.dumps([json_value(k, v) for k, v in zip(kinds, row)], ensure_ascii=False, allow_nan=False)
             for row in rows]
    command = [str(TOOL), "-o", str(path), "--columns", spec, "--codec", codec, "--no-sync"]
    if row_group_rows is not None:
        command += ["--row-group-rows", str(row_group_rows)]
    if page_bytes is not None:
        command += ["--page-bytes", str(page_bytes)]
    if dictionary_limit is not None:
        command += ["--dictionary-limit", str(dictionary_limit)]
    if zstd_level is not None:
        command += ["--zstd-level", str(zstd_level)]
    if plain_numbers:
        command.append("--plain-numbers")
    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    result = subprocess.run(command, input=data, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    stats = json.loads(result.stdout)
    assert stats["rows"] == len(rows)
    assert stats["bytes"] == path.stat().st_size
    assert not Path(str(path) + ".inprogress").exists()
    return path


# --------------------------------------------------------------------------
# Checking


def double_bytes(values):
    return array.array("d", values).tobytes()


def assert_column_equal(kind, expected, actual, who, column):
    if kind == "double":
        # Bit-exact: catches -0.0 vs 0.0 and NaN that == would hide or trip on.
        if double_bytes(expected) != double_bytes(actual):
            for i, (e, a) in enumerate(zip(expected, actual)):
                if struct.pack("<d", e) != struct.pack("<d", a):
                    pytest.fail(f"{who}: column {column} row {i}: expected {e!r}, got {a!r}")
            pytest.fail(f"{who}: column {column}: length {len(actual)} != {len(expected)}")
    elif expected != actual:
        for i, (e, a) in enumerate(zip(expected, actual)):
            if e != a:
                pytest.fail(f"{who}: column {column} row {i}: expected {e!r:.200}, got {a!r:.200}")
        pytest.fail(f"{who}: column {column}: length {len(actual)} != {len(expected)}")


def expected_stats(kind, values):
    """(has_min_max, min, max) per the column order the writer declares."""
    if kind == "double":
        values = [v for v in values if not math.isnan(v)]
    if not values:
        return False, None, None
    if kind == "string":
        low = min(values, key=lambda s: s.encode("utf-8"))
        high = max(values, key=lambda s: s.encode("utf-8"))
        if len(low.encode()) > MAX_STATS_BYTES or len(high.encode()) > MAX_STATS_BYTES:
            return False, None, None
        return True, low, high
    return True, min(values), max(values)


def check_statistics(path, columns, rows, row_group_rows):
    metadata = pq.ParquetFile(path).metadata
    expected_groups = math.ceil(len(rows) / row_group_rows) if rows else 0
    assert metadata.num_row_groups == expected_groups
    assert metadata.num_rows == len(rows)
    for g in range(metadata.num_row_groups):
        group_rows = rows[g * row_group_rows:(g + 1) * row_group_rows]
        group = metadata.row_group(g)
        assert group.num_rows == len(group_rows)
        for c, (name, kind) in enumerate(columns):
            chunk = group.column(c)
            assert chunk.path_in_schema == name
            assert chunk.num_values == len(group_rows)
            assert chunk.is_stats_set, f"row group {g} column {name}: statistics not trusted by pyarrow"
            stats = chunk.statistics
            assert stats.has_null_count and stats.null_count == 0
            has, low, high = expected_stats(kind, [row[c] for row in group_rows])
            assert stats.has_min_max == has, f"row group {g} column {name}"
            if not has:
                continue
            if kind == "timestamp_ms":
                assert (stats.min_raw, stats.max_raw) == (low, high), f"row group {g} column {name}"
            else:
                assert (stats.min, stats.max) == (low, high), f"row group {g} column {name}"
            if kind == "double":
                # Spec rule for zero bounds: min written as -0.0, max as +0.0.
                if low == 0:
                    assert math.copysign(1, stats.min) < 0
                if high == 0:
                    assert math.copysign(1, stats.max) > 0


def check_with_pyarrow(path, columns, rows):
    table = pq.read_table(path)
    assert table.num_rows == len(rows)
    assert table.schema.names == [name for name, _ in columns]
    for c, (name, kind) in enumerate(columns):
        field = table.schema.field(name)
        assert field.type == ARROW_TYPES[kind], f"{name}: {field.type}"
        assert not field.nullable, f"{name} should be REQUIRED"
        column = table.column(name)
        if kind == "timestamp_ms":
            column = column.cast(pa.int64())
        assert_column_equal(kind, [row[c] for row in rows], column.to_pylist(), "pyarrow", name)
    schema = pq.ParquetFile(path).schema
    for c, (name, kind) in enumerate(columns):
        logical = schema.column(c).logical_type
        if kind == "string":
            assert logical.type == "STRING"
        elif kind == "timestamp_ms":
            assert logical.type == "TIMESTAMP"
            assert json.loads(logical.to_json()) == {"Type": "Timestamp", "isAdjustedToUTC": True,
                                                     "timeUnit": "milliseconds", "is_from_converted_type": False,
                                                     "force_set_converted_type": False}


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def check_with_duckdb(path, columns, rows):
    con = duckdb.connect()
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    assert [(d[0], d[1]) for d in described] == [(name, DUCKDB_TYPES[kind]) for name, kind in columns]
    select = ", ".join(f"epoch_ms({quote(name)})" if kind == "timestamp_ms" else quote(name)
                       for name, kind in columns)
    table = con.execute(f"SELECT {select} FROM read_parquet(?)", [str(path)]).to_arrow_table()
    assert table.num_rows == len(rows)
    for c, (name, kind) in enumerate(columns):
        assert_column_equal(kind, [row[c] for row in rows], table.column(c).to_pylist(), "duckdb", name)


# A minimal Thrift compact protocol reader, written from the protocol spec, to
# look at what neither pyarrow nor DuckDB exposes: the page headers.
def read_varint(data, pos):
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def unzigzag(n):
    return (n >> 1) ^ -(n & 1)


def read_compact_value(data, pos, ctype):
    if ctype in (1, 2):   # bool inside a list: one byte
        return data[pos] == 1, pos + 1
    if ctype == 3:
        return struct.unpack_from("b", data, pos)[0], pos + 1
    if ctype in (4, 5, 6):
        n, pos = read_varint(data, pos)
        return unzigzag(n), pos
    if ctype == 7:
        return struct.unpack_from("<d", data, pos)[0], pos + 8
    if ctype == 8:
        n, pos = read_varint(data, pos)
        return bytes(data[pos:pos + n]), pos + n
    if ctype in (9, 10):
        header = data[pos]
        pos += 1
        size, etype = header >> 4, header & 0x0F
        if size == 15:
            size, pos = read_varint(data, pos)
        items = []
        for _ in range(size):
            item, pos = read_compact_value(data, pos, etype)
            items.append(item)
        return items, pos
    if ctype == 12:
        return read_compact_struct(data, pos)
    raise AssertionError(f"unexpected compact type {ctype} at {pos}")


def read_compact_struct(data, pos):
    fields, last = {}, 0
    while True:
        header = data[pos]
        pos += 1
        if header == 0:
            return fields, pos
        ctype, delta = header & 0x0F, header >> 4
        if delta:
            field = last + delta
        else:
            n, pos = read_varint(data, pos)
            field = unzigzag(n)
        if ctype in (1, 2):
            fields[field] = ctype == 1
        else:
            fields[field], pos = read_compact_value(data, pos, ctype)
        last = field


def stats_bytes(kind, value):
    if kind == "string":
        return value.encode("utf-8")
    if kind == "double":
        return struct.pack("<d", value)
    return struct.pack("<q", value)


def check_page_headers(path, columns, rows, row_group_rows):
    """Walks every page of every chunk: headers parse, pages tile the chunk,
    value counts add up, and each data page's statistics match its rows."""
    data = path.read_bytes()
    metadata = pq.ParquetFile(path).metadata
    for g in range(metadata.num_row_groups):
        group_rows = rows[g * row_group_rows:(g + 1) * row_group_rows]
        for c, (name, kind) in enumerate(columns):
            chunk = metadata.row_group(g).column(c)
            start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
            end = start + chunk.total_compressed_size
            pos, first_row, seen_data_page = start, 0, False
            while pos < end:
                header_start = pos
                header, pos = read_compact_struct(data, pos)
                page_type, compressed_size = header[1], header[3]
                if page_type == 2:   # DICTIONARY_PAGE: first in the chunk, PLAIN
                    assert header_start == start and not seen_data_page
                    assert header[7][2] == 0
                else:
                    assert page_type == 0, f"unexpected page type {page_type}"
                    seen_data_page = True
                    page = header[5]
                    count = page[1]
                    values = [row[c] for row in group_rows[first_row:first_row + count]]
                    first_row += count
                    stats = page[5]
                    assert stats[3] == 0   # null_count always written
                    has, low, high = expected_stats(kind, values)
                    if has:
                        if kind == "double":
                            low = -0.0 if low == 0 else low
                            high = 0.0 if high == 0 else high
                        assert (stats.get(6), stats.get(5)) == (stats_bytes(kind, low), stats_bytes(kind, high)), \
                            f"row group {g} column {name} page at row {first_row - count}"
                    else:
                        assert 5 not in stats and 6 not in stats
                    if kind == "double":
                        assert stats[9] == sum(1 for v in values if math.isnan(v))
                pos += compressed_size
            assert pos == end, f"pages of row group {g} column {name} do not tile the chunk"
            assert first_row == len(group_rows)


def check_file(path, columns, rows, row_group_rows):
    check_with_pyarrow(path, columns, rows)
    check_with_duckdb(path, columns, rows)
    check_statistics(path, columns, rows, row_group_rows)
    check_page_headers(path, columns, rows, row_group_rows)


# --------------------------------------------------------------------------
# Data


def readings_rows(rng, n, devices=50):
    device_ids = [f"dev-{i:04d}-{rng.choice(UNICODE_WORDS)}" for i in range(devices)] + [""]
    statuses = ["ok", "warn", "error", "überhitzt 🔥", ""]
    base = 1_735_207_200_000
    return [(rng.choice(device_ids), base + i * 250 + rng.randrange(250),
             round(rng.uniform(-20, 45), 2), round(rng.uniform(0, 100), 1), rng.choice(statuses))
            for i in range(n)]


def random_value(rng, kind):
    if kind == "string":
        pick = rng.random()
        if pick < 0.5:
            return rng.choice(UNICODE_WORDS)
        return "".join(rng.choice(UNICODE_WORDS) for _ in range(rng.randrange(1, 6)))
    if kind == "timestamp_ms":
        return rng.choice([MIN_TS, MAX_TS, 0, -1, rng.randrange(MIN_TS, MAX_TS)])
    if kind == "double":
        return rng.choice([0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
                           1.7976931348623157e308, -1.7976931348623157e308, 1 / 3,
                           rng.uniform(-1e6, 1e6), rng.uniform(-1, 1)])
    return rng.choice([INT64_MIN, INT64_MAX, 0, -1, 1, rng.randrange(INT64_MIN, INT64_MAX)])


# --------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("codec", ["zstd", "snappy", "none"])
def test_readings_round_trip_with_every_codec(tmp_path, codec):
    rng = random.Random(1)
    rows = readings_rows(rng, 30_000)
    path = write_file(tmp_path, READINGS, rows, codec=codec, row_group_rows=7_000, page_bytes=8192)
    check_file(path, READINGS, rows, 7_000)
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(0)
    assert chunk.compression == {"zstd": "ZSTD", "snappy": "SNAPPY", "none": "UNCOMPRESSED"}[codec]
    assert chunk.has_dictionary_page and "RLE_DICTIONARY" in chunk.encodings


@pytest.mark.parametrize("schema", ["aggregates", "device_aggregates"])
@pytest.mark.parametrize("codec", ["zstd", "snappy", "none"])
def test_aggregate_schemas_round_trip(tmp_path, schema, codec):
    rng = random.Random(2)
    columns = AGGREGATES if schema == "aggregates" else DEVICE_AGGREGATES
    base = 1_735_207_200_000
    rows = []
    for i in range(5_000):
        low = round(rng.uniform(-20, 20), 2)
        high = round(low + rng.uniform(0, 10), 2)
        values = {"DeviceId": f"device-{rng.randrange(100)}", "Timestamp": base + 60_000 * i,
                  "Temperature": (low + high) / 2, "Count": rng.randrange(1, 600), "Min": low, "Max": high}
        rows.append(tuple(values[name] for name, _ in columns))
    path = write_file(tmp_path, columns, rows, codec=codec, row_group_rows=1_500)
    check_file(path, columns, rows, 1_500)


def test_built_in_schema_flag_matches_documented_columns(tmp_path):
    # The tool's --schema uses the C++ schema constants; the columns readers see
    # must be exactly the documented ones.
    for name, columns in [("readings", READINGS), ("aggregates", AGGREGATES),
                          ("device_aggregates", DEVICE_AGGREGATES),
                          ("aggregate_corrections", AGGREGATE_CORRECTIONS)]:
        path = tmp_path / f"{name}.parquet"
        result = subprocess.run([str(TOOL), "-o", str(path), "--schema", name, "--no-sync"], input=b"",
                                capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        schema = pq.read_schema(path)
        assert [(f.name, f.type) for f in schema] == [(n, ARROW_TYPES[k]) for n, k in columns]


def test_extreme_values(tmp_path):
    columns = [("s", "string"), ("t", "timestamp_ms"), ("d", "double"), ("i", "int64")]
    doubles = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
               1.7976931348623157e308, -1.7976931348623157e308, 1 / 3, -1e-300]
    timestamps = [MIN_TS, MAX_TS, 0, -1, 1, 1_735_207_200_123]
    ints = [INT64_MIN, INT64_MAX, 0, -1, 1, 1 << 62]
    rows = []
    for k in range(48):
        rows.append((UNICODE_WORDS[k % len(UNICODE_WORDS)], timestamps[k % len(timestamps)],
                     doubles[k % len(doubles)], ints[k % len(ints)]))
    path = write_file(tmp_path, columns, rows, row_group_rows=48)
    check_file(path, columns, rows, 48)


def test_zero_only_and_nan_only_row_groups(tmp_path):
    # Row group 0: only +0.0 (bounds must be written -0.0/+0.0);
    # row group 1: only NaN (no min/max at all); row group 2: only -0.0.
    columns = [("d", "double")]
    rows = [(0.0,)] * 10 + [(math.nan,)] * 10 + [(-0.0,)] * 10
    path = write_file(tmp_path, columns, rows, row_group_rows=10)
    check_file(path, columns, rows, 10)


def test_very_long_strings(tmp_path):
    rng = random.Random(3)
    columns = [("s", "string"), ("n", "int64")]
    sizes = [0, 1, 4095, 4096, 4097, 100_000, 1_500_000, 3_000_000, 10, 5000]
    rows = [("".join(rng.choice("ab日😀") for _ in range(size // 4)) + "x" * (size % 4), i)
            for i, size in enumerate(sizes)]
    # Small pages force values larger than a page; groups of 3 put long and
    # short values together so some bounds fit the statistics limit and some do not.
    path = write_file(tmp_path, columns, rows, row_group_rows=3, page_bytes=1024)
    check_file(path, columns, rows, 3)


def test_dictionary_over_the_limit_falls_back_to_plain(tmp_path):
    rng = random.Random(4)
    columns = [("distinct", "string"), ("repeated", "string")]
    # 60,000 distinct 25-byte strings, each twice: the dictionary would pay
    # off, but needs 60,000 * (4 + 25) bytes ~ 1.66 MiB, over the 1 MiB default.
    values = [f"{i:08d}-{rng.getrandbits(64):016x}" for i in range(60_000)]
    assert len(values) * (4 + len(values[0])) > DEFAULT_DICTIONARY_LIMIT
    rows = [(values[i % 60_000], f"status-{i % 7}") for i in range(120_000)]
    path = write_file(tmp_path, columns, rows, row_group_rows=120_000)
    check_file(path, columns, rows, 120_000)
    group = pq.ParquetFile(path).metadata.row_group(0)
    assert not group.column(0).has_dictionary_page
    assert group.column(0).encodings == ("PLAIN",)
    assert group.column(1).has_dictionary_page
    assert "RLE_DICTIONARY" in group.column(1).encodings


def test_dictionary_under_the_limit_is_kept(tmp_path):
    rng = random.Random(5)
    columns = [("s", "string")]
    # 30,000 distinct values, each twice: ~870 KB of dictionary, under 1 MiB.
    values = [f"{i:08d}-{rng.getrandbits(64):016x}" for i in range(30_000)]
    assert len(values) * (4 + len(values[0])) < DEFAULT_DICTIONARY_LIMIT
    rows = [(values[i % 30_000],) for i in range(60_000)]
    path = write_file(tmp_path, columns, rows, row_group_rows=60_000)
    check_file(path, columns, rows, 60_000)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).has_dictionary_page


def test_dictionary_larger_than_plain_is_dropped(tmp_path):
    # All-distinct strings fit the dictionary limit, but a dictionary holding
    # every value plus indices is larger than PLAIN: the chunk is written PLAIN.
    columns = [("s", "string")]
    rows = [(f"value-{i:06d}",) for i in range(10_000)]
    path = write_file(tmp_path, columns, rows, row_group_rows=10_000)
    check_file(path, columns, rows, 10_000)
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(0)
    assert not chunk.has_dictionary_page and chunk.encodings == ("PLAIN",)


def test_mostly_distinct_numbers_skip_the_dictionary(tmp_path):
    # Timestamps 1 ms apart are all distinct: PLAIN. A reading with a few
    # hundred distinct values repeats: dictionary.
    columns = [("t", "timestamp_ms"), ("d", "double"), ("n", "int64")]
    rows = [(1_735_207_200_000 + i, (i * 7919 % 500) / 10.0, i % 60) for i in range(40_000)]
    path = write_file(tmp_path, columns, rows, row_group_rows=40_000)
    check_file(path, columns, rows, 40_000)
    group = pq.ParquetFile(path).metadata.row_group(0)
    assert not group.column(0).has_dictionary_page
    assert group.column(1).has_dictionary_page
    assert group.column(2).has_dictionary_page


def test_fallback_midway_through_a_chunk_keeps_every_row(tmp_path):
    # Repeated values first (dictionary works), then distinct ones push the
    # dictionary past a small limit: the buffered part is rewritten PLAIN.
    columns = [("s", "string"), ("d", "double")]
    rows = [(f"r{i % 3}", float(i % 5)) for i in range(5_000)]
    rows += [(f"distinct-{i}", i * 0.5) for i in range(5_000)]
    path = write_file(tmp_path, columns, rows, row_group_rows=4_000, dictionary_limit=2048)
    check_file(path, columns, rows, 4_000)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.row_group(0).column(0).has_dictionary_page       # only 3 distinct values
    assert not metadata.row_group(1).column(0).has_dictionary_page   # fell back midway


def test_plain_numbers_option(tmp_path):
    rng = random.Random(6)
    rows = readings_rows(rng, 5_000)
    path = write_file(tmp_path, READINGS, rows, plain_numbers=True, row_group_rows=5_000)
    check_file(path, READINGS, rows, 5_000)
    group = pq.ParquetFile(path).metadata.row_group(0)
    for c in (1, 2, 3):
        assert group.column(c).encodings == ("PLAIN",)
        assert not group.column(c).has_dictionary_page


def test_empty_file(tmp_path):
    path = write_file(tmp_path, READINGS, [])
    check_file(path, READINGS, [], 1)


def test_million_rows_many_row_groups(tmp_path):
    rng = random.Random(7)
    rows = readings_rows(rng, 1_000_000, devices=500)
    path = write_file(tmp_path, READINGS, rows, row_group_rows=131_072)
    check_file(path, READINGS, rows, 131_072)


def test_random_schemas_and_options_round_trip(tmp_path):
    rng = random.Random(8)
    kinds = ["string", "timestamp_ms", "double", "int64"]
    suffixes = ["x", "é", "温度", "a b", 'q"uote']
    for trial in range(25):
        columns = [(f"c{i}_" + rng.choice(suffixes), rng.choice(kinds)) for i in range(rng.randrange(1, 9))]
        n = rng.randrange(0, 3_000)
        repeat_pool = {c: [random_value(rng, kind) for _ in range(rng.randrange(1, 20))]
                       for c, (_, kind) in enumerate(columns)}
        rows = [tuple(rng.choice(repeat_pool[c]) if rng.random() < 0.7 else random_value(rng, kind)
                      for c, (_, kind) in enumerate(columns)) for _ in range(n)]
        row_group_rows = rng.choice([1, 7, 100, 1000, 5000])
        path = write_file(tmp_path, columns, rows, name=f"trial{trial}.parquet",
                          codec=rng.choice(["zstd", "snappy", "none"]), row_group_rows=row_group_rows,
                          page_bytes=rng.choice([1, 64, 1000, 1 << 20]),
                          dictionary_limit=rng.choice([0, 100, 1 << 20]),
                          plain_numbers=rng.random() < 0.3, zstd_level=rng.choice([1, 3, 9]))
        check_file(path, columns, rows, row_group_rows)


# --- the footer reader (footer.h) on files another writer made ----------------------

@pytest.mark.parametrize("options", [
    dict(compression="snappy", row_group_size=1000),
    dict(compression="zstd", row_group_size=4096, data_page_version="2.0", write_statistics=True),
    dict(compression="none", use_dictionary=False, write_page_index=True),
    dict(compression="gzip", row_group_size=333, store_schema=True),
])
@pytest.mark.parametrize("rows", [0, 1, 9_999])
def test_footer_reader_counts_rows_of_files_pyarrow_writes(tmp_path, options, rows):
    rng = random.Random(rows)
    table = pa.table({
        "DeviceId": pa.array([f"device{rng.randrange(50):03d}" for _ in range(rows)]),
        "Value": pa.array([rng.random() if rng.random() > 0.1 else None for _ in range(rows)]),
        "Tags": pa.array([[rng.randrange(5)] * rng.randrange(3) for _ in range(rows)],
                         type=pa.list_(pa.int32())),
    }).replace_schema_metadata({"written-by": "pyarrow test", "long": "x" * 5000})
    path = tmp_path / "pyarrow.parquet"
    pq.write_table(table, path, **options)
    assert pq.ParquetFile(path).metadata.num_rows == rows
    result = subprocess.run([str(BIN_DIR / "parquet_footer_tool"), str(path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"num_rows={rows}"


def test_footer_reader_refuses_a_truncated_file(tmp_path):
    path = tmp_path / "cut.parquet"
    pq.write_table(pa.table({"a": list(range(100))}), path)
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    result = subprocess.run([str(BIN_DIR / "parquet_footer_tool"), str(path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1
    assert "PAR1" in result.stderr

