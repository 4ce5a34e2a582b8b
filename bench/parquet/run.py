#!/usr/bin/env python3
"""Side-by-side benchmark: edgestream's Parquet writer vs pyarrow, same rows.

Usage (builds nothing; point it at a release build's bin directory):
    var/venv/bin/python bench/parquet/run.py --bin-dir build/release/bin

Both writers get the readings schema, the same 1,000,000 rows (a pure function
of the row index, mirrored from parquet_bench.cc), zstd at the same level and
the same row-group size. Runs alternate between the writers. Data generation is outside the timed region on both
sides; each side's time covers encoding, compression and writing the file
(no fsync on either). Reported: median rows/s over --runs runs, by wall-clock
and by process CPU time (steadier when other work shares the machine),
bytes/row of the file, and the ratios. Two configurations are compared:
  default: both writers' defaults (dictionary on every column, falling back
           to PLAIN for columns with too many distinct values);
  plain-numbers: dictionary for the string columns only.
Before reporting, the script reads edgestream's file back with pyarrow and
checks it holds exactly the rows pyarrow wrote.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MASK = (1 << 64) - 1
BASE_MILLIS = 1_735_207_200_000
DEVICES = 500
STATUSES = ["ok", "warn", "error"]


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def readings_table(rows):
    device, ts, temperature, humidity, status = [], [], [], [], []
    device_ids = [f"device-{d:04d}" for d in range(DEVICES)]
    for i in range(rows):
        x = splitmix64(i)
        device.append(device_ids[x % DEVICES])
        ts.append(BASE_MILLIS + i * 3)
        temperature.append(((x >> 16) % 6001 - 1000) / 100.0)
        humidity.append(((x >> 32) % 1001) / 10.0)
        s = (x >> 48) % 100
        status.append(STATUSES[0 if s < 90 else (1 if s < 98 else 2)])
    return pa.table({
        "DeviceId": pa.array(device, pa.string()),
        "Timestamp": pa.array(ts, pa.timestamp("ms", tz="UTC")),
        "Temperature": pa.array(temperature, pa.float64()),
        "Humidity": pa.array(humidity, pa.float64()),
        "Status": pa.array(status, pa.string()),
    })


def run_edgestream(bin_dir, out, args, plain_numbers):
    """One timed write with edgestream's writer: (wall s, CPU s, bytes)."""
    command = [str(bin_dir / "parquet_bench"), "--rows", str(args.rows), "--runs", "1",
               "-o", str(out), "--row-group-rows", str(args.row_group_rows),
               "--zstd-level", str(args.zstd_level)]
    if plain_numbers:
        command.append("--plain-numbers")
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    return report["seconds"][0], report["cpu_seconds"][0], report["bytes"]


def run_pyarrow(table, out, args, plain_numbers):
    """One timed pq.write_table: (wall s, CPU s, bytes)."""
    use_dictionary = ["DeviceId", "Status"] if plain_numbers else True
    start, cpu_start = time.perf_counter(), time.process_time()
    pq.write_table(table, out, compression="zstd", compression_level=args.zstd_level,
                   row_group_size=args.row_group_rows, use_dictionary=use_dictionary)
    return time.perf_counter() - start, time.process_time() - cpu_start, out.stat().st_size


def check_same_rows(ours, theirs, expected):
    a = pq.read_table(ours)
    b = pq.read_table(theirs)
    for name in expected.schema.names:
        if not a.column(name).combine_chunks().equals(expected.column(name).combine_chunks()):
            sys.exit(f"edgestream's file differs from the generated rows in column {name}")
        if not b.column(name).combine_chunks().equals(expected.column(name).combine_chunks()):
            sys.exit(f"pyarrow's file differs from the generated rows in column {name}")
    groups = (pq.ParquetFile(ours).metadata.num_row_groups, pq.ParquetFile(theirs).metadata.num_row_groups)
    if groups[0] != groups[1]:
        sys.exit(f"row-group counts differ: edgestream {groups[0]}, pyarrow {groups[1]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", type=Path, required=True, help="bin directory of a release build")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--row-group-rows", type=int, default=262_144)
    parser.add_argument("--zstd-level", type=int, default=3)
    args = parser.parse_args()

    table = readings_table(args.rows)
    print(f"readings, {args.rows:,} rows, zstd level {args.zstd_level}, row groups of {args.row_group_rows:,} "
          f"rows, median of {args.runs} runs; pyarrow {pa.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for config, plain_numbers in [("default", False), ("plain-numbers", True)]:
            ours_file, theirs_file = tmp / f"edgestream-{config}.parquet", tmp / f"pyarrow-{config}.parquet"
            ours, theirs = [], []
            # Interleave the two writers so that load from other processes
            # on the machine hits both alike.
            for _ in range(args.runs):
                ours.append(run_edgestream(args.bin_dir, ours_file, args, plain_numbers))
                theirs.append(run_pyarrow(table, theirs_file, args, plain_numbers))
            check_same_rows(ours_file, theirs_file, table)
            print(f"\n[{config}]")
            print(f"  {'writer':<12}{'rows/s wall':>14}{'rows/s CPU':>14}{'bytes':>12}{'bytes/row':>11}")
            rates = {}
            for name, results in [("edgestream", ours), ("pyarrow", theirs)]:
                wall = args.rows / statistics.median(r[0] for r in results)
                cpu = args.rows / statistics.median(r[1] for r in results)
                size = results[-1][2]
                rates[name] = (wall, cpu, size)
                print(f"  {name:<12}{wall:>14,.0f}{cpu:>14,.0f}{size:>12,}{size / args.rows:>11.3f}")
            (ow, oc, ob), (tw, tc, tb) = rates["edgestream"], rates["pyarrow"]
            print(f"  edgestream/pyarrow: speed x{ow / tw:.2f} wall, x{oc / tc:.2f} CPU; size x{ob / tb:.3f}")

if __name__ == "__main__":
    main()
