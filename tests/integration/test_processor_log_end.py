"""The merger's once-a-second refresh of the input partitions' log-end offsets
must not hold the processing loop, on the real local broker.

It used to ask over the consumer's own connection, where the broker answers
one request at a time: each of its ListOffsets requests waited behind the
consumer's long-poll fetch (fetch.wait.max.ms, 500 ms, whenever there is
nothing new to fetch), so a refresh of three partitions held the loop for
about a second while records waited in the queue. Its duration is exposed as
edgestream_processor_log_end_refresh_seconds."""
import socket
import urllib.request

from conftest import wait_until
from processor_harness import topics  # noqa: F401 (pytest fixture)
from processor_harness import (Expected, ProcessorProcess, flush_records, make_dataset, produce, to_ms,
                               wait_for_completion)

START_MS = to_ms("2024-12-26T10:00:00Z")
# A round trip to the local broker takes milliseconds even on a loaded
# sanitizer build; waiting behind a long-poll fetch takes a good part of
# fetch.wait.max.ms (500 ms) per request, three requests per refresh.
MAX_MEAN_REFRESH_SECONDS = 0.25
REFRESHES_OBSERVED = 8


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def refresh_totals(port):
    """(count, sum) of edgestream_processor_log_end_refresh_seconds."""
    values = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return (values.get("edgestream_processor_log_end_refresh_seconds_count", 0.0),
            values.get("edgestream_processor_log_end_refresh_seconds_sum", 0.0))


def test_log_end_refresh_does_not_wait_behind_the_consumers_fetch(bin_dir, topics, tmp_path):  # noqa: F811
    records = make_dataset(seed=31, records=600, start_ms=START_MS, span_ms=3 * 60_000) + \
        flush_records(START_MS + 30 * 60_000)
    expected = Expected([(p, r) for p, r in records if isinstance(r, dict)])
    produce(topics.bootstrap, topics.raw, records)

    port = free_port()
    processor = ProcessorProcess(bin_dir, topics, "log-end-1", str(tmp_path),
                                 metrics_address=f"127.0.0.1:{port}").start()
    wait_for_completion(topics, expected, [processor], timeout=120)
    # Caught up: the consumer's fetches now long-poll for new records, the
    # case in which a query on its connection waited longest.
    baseline = refresh_totals(port)
    wait_until(lambda: refresh_totals(port)[0] >= baseline[0] + REFRESHES_OBSERVED, 60,
               f"{REFRESHES_OBSERVED} log-end refreshes", retry_on=(OSError,))
    count, total = refresh_totals(port)
    mean = (total - baseline[1]) / (count - baseline[0])
    assert processor.alive(), processor.tail()
    processor.stop()
    assert mean < MAX_MEAN_REFRESH_SECONDS, (
        f"a log-end refresh held the processing loop {mean:.3f} s on average over {count - baseline[0]:.0f} "
        f"refreshes (limit {MAX_MEAN_REFRESH_SECONDS} s): the queries wait behind other requests")
