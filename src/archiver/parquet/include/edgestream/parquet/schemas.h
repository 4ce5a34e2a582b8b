// The four schemas of the files the archiver writes. Column names are part of
// the archive's public contract (queries in Athena/DuckDB use them): change
// them only with a migration note in docs/parquet.md.
#pragma once

#include "edgestream/parquet/schema.h"

namespace edgestream::parquet {

// Per-minute aggregates over all devices:
//   Timestamp (timestamp ms UTC, window start), Temperature (double, average),
//   Count (int64), Min (double), Max (double).
const Schema& aggregates_schema();

// Raw readings: DeviceId (string), Timestamp (timestamp ms UTC),
//   Temperature (double), Humidity (double), Status (string).
const Schema& readings_schema();

// Per-minute aggregates per device: DeviceId (string), Timestamp, Temperature
//   (average), Count (int64), Min (double), Max (double).
const Schema& device_aggregates_schema();

// Corrections to published per-minute aggregates (aggregate_correction
// records: one input partition's late share of a minute): Timestamp
//   (timestamp ms UTC, window start), TemperatureSum (double, the sum, not an
//   average, so that it adds to the aggregate), Count (int64), Min (double),
//   Max (double).
const Schema& aggregate_corrections_schema();

}  // namespace edgestream::parquet
