"""Fleet aggregates stay complete when an instance dies: two instances with
default settings under continuous current-time traffic; the one that does not
merge is killed with -9 and restarted. Every minute's aggregate must equal the
reference model's (processor_harness), with nothing finalised early, no
correction and no reading lost or doubled."""
import math
import random
import threading
import time

from conftest import wait_until
from processor_harness import topics  # noqa: F401 (pytest fixture)
from processor_harness import (PARTITIONS, Expected, Output, ProcessorProcess, assert_output_exact,
                               committed_everything, flush_records, from_ms, make_dataset, now_ms, produce,
                               read_to_end, reading, to_ms)

# Readings per second over all partitions: enough that every partition
# progresses at every commit, little enough for the shared test machine.
RATE_PER_SECOND = 120
DEVICES = 30


class Traffic(threading.Thread):
    """Devices sending readings stamped with the current time, in order per
    partition (device index mod PARTITIONS), until stopped."""

    def __init__(self, bootstrap, topic):
        super().__init__(daemon=True)
        self.bootstrap, self.topic = bootstrap, topic
        self.sent = []
        self.stopped = threading.Event()
        self.error = None

    def run(self):
        rng = random.Random(31)
        try:
            while not self.stopped.is_set():
                batch = []
                for _ in range(RATE_PER_SECOND // 10):
                    device = rng.randrange(DEVICES)
                    batch.append((device % PARTITIONS,
                                  reading(f"device{device:03d}", now_ms(), round(rng.uniform(40, 99.9), 2),
                                          round(rng.uniform(0, 100), 1))))
                produce(self.bootstrap, self.topic, batch)
                self.sent.extend(batch)
                self.stopped.wait(0.1)  # pacing of the traffic, not synchronisation
        except Exception as error:  # reported by the test, not lost in the thread
            self.error = error

    def stop(self):
        self.stopped.set()
        self.join(60)
        assert self.error is None, f"traffic failed: {self.error}"


def assignments(topics):
    """client.id -> set of (topic, partition) the group coordinator assigned."""
    description = topics.admin.describe_consumer_groups([topics.group])[topics.group].result(30)
    return {member.client_id: {(tp.topic, tp.partition) for tp in member.assignment.topic_partitions}
            for member in description.members}


def full_log(process):
    with open(process.log_path, "rb") as handle:
        return handle.read().decode(errors="replace")


def test_sigkill_of_the_instance_that_does_not_merge_keeps_every_aggregate_complete(
        bin_dir, stack_env, topics, tmp_path):
    traffic = Traffic(topics.bootstrap, topics.raw)
    traffic.start()
    # Default window, lateness, idle timeout (30 s), partition wait, commit interval.
    instances = {name: ProcessorProcess(bin_dir, topics, name, str(tmp_path), idle_timeout_s=30,
                                        commit_interval_ms=200)
                 for name in ("failover-a", "failover-b")}
    instances["failover-a"].start()
    wait_until(lambda: "merging partial aggregates" in full_log(instances["failover-a"]), 60,
               "the first instance to take the partials topic")
    instances["failover-b"].start()

    def both_assigned():
        current = assignments(topics)
        return len(current) == 2 and all(
            any(topic == topics.raw for topic, _ in parts) for parts in current.values())
    wait_until(both_assigned, 120, "both instances to own raw-data partitions")
    wait_until(lambda: Output(read_to_end(topics.bootstrap, topics.processed)).aggregates, 150,
               "a first fleet aggregate from the two instances")
    current = assignments(topics)
    merger = [client for client, parts in current.items() if (topics.partials, 0) in parts]
    assert len(merger) == 1, current
    victim = next(name for name in instances if f"edgestream-processor-{name}" != merger[0])
    victim_partitions = sorted(p for t, p in current[f"edgestream-processor-{victim}"] if t == topics.raw)
    assert victim_partitions, current

    # Kill 40-50 s into a minute: the dead member's partitions then move
    # (session timeout, 45 s) only after that minute has ended everywhere
    # else, so the minute is complete only if the merger waits for them. (A
    # merger that calls them idle after 30 s of wall time finalises it early.)
    wait_until(lambda: 40 <= now_ms() // 1000 % 60 < 50, 70, "40 s into a minute")
    killed_at = time.monotonic()
    instances[victim].kill9()
    # The same --instance-id: its transactional id fences the dead incarnation
    # and aborts the transaction it left open, so readers do not stall.
    instances[victim] = ProcessorProcess(bin_dir, topics, victim, str(tmp_path), idle_timeout_s=30,
                                         commit_interval_ms=200).start()
    # The dead member's partitions move after the session timeout (45 s);
    # traffic runs on through that and two more minute boundaries (a
    # duration of the scenario, not a wait for a condition).
    time.sleep(max(0.0, 150 - (time.monotonic() - killed_at)))
    traffic.stop()
    last = max(to_ms(record["timestamp"]) for _, record in traffic.sent)
    records = traffic.sent + flush_records(last + 70_000)  # closes the last traffic minute
    produce(topics.bootstrap, topics.raw, flush_records(last + 70_000))
    expected = Expected(records)
    assert expected.late == 0 and len(expected.aggregates) >= 4, len(expected.aggregates)

    def done():
        for process in instances.values():
            assert process.alive(), "processor died:\n" + process.tail()
        if not committed_everything(topics.bootstrap, topics.group, topics.raw):
            return False
        output = Output(read_to_end(topics.bootstrap, topics.processed))
        return set(output.aggregates) >= set(expected.aggregates)
    wait_until(done, 240, "every minute's fleet aggregate")
    for process in instances.values():
        process.stop()

    output = Output(read_to_end(topics.bootstrap, topics.processed))
    assert_output_exact(output, expected)
    logs = "".join(full_log(process) for process in instances.values())
    assert "finalised without a partition" not in logs
    assert "arrived after the minute was final" not in logs



def test_minute_finalised_without_a_stalled_partition_is_counted_and_corrected(
        bin_dir, stack_env, topics, tmp_path):
    # The bounded wait: an instance stays dead longer than the maximum
    # partition wait (10 s here). Its minutes are published without it, and
    # when its partitions come back their share follows as
    # aggregate_correction records: aggregate + corrections = the reference.
    start_ms = to_ms("2024-12-26T10:00:00Z")
    first = make_dataset(seed=41, records=3000, start_ms=start_ms, span_ms=3 * 60_000)
    second = make_dataset(seed=42, records=3000, start_ms=start_ms + 3 * 60_000, span_ms=3 * 60_000)
    second += flush_records(start_ms + 30 * 60_000)
    expected = Expected(first + second)
    wait = ("--max-partition-wait-seconds", "10")
    instances = {name: ProcessorProcess(bin_dir, topics, name, str(tmp_path), extra=wait)
                 for name in ("stall-a", "stall-b")}
    instances["stall-a"].start()
    wait_until(lambda: "merging partial aggregates" in full_log(instances["stall-a"]), 60,
               "the first instance to take the partials topic")
    instances["stall-b"].start()
    wait_until(lambda: len(assignments(topics)) == 2 and all(assignments(topics).values()), 120,
               "both instances to own partitions")
    produce(topics.bootstrap, topics.raw, first)
    wait_until(lambda: committed_everything(topics.bootstrap, topics.group, topics.raw), 120,
               "the first half to be committed")

    current = assignments(topics)
    merger = next(client for client, parts in current.items() if (topics.partials, 0) in parts)
    victim = next(name for name in instances if f"edgestream-processor-{name}" != merger)
    survivor = next(name for name in instances if name != victim)
    assert any(t == topics.raw for t, _ in current[f"edgestream-processor-{victim}"]), current
    instances[victim].kill9()
    produce(topics.bootstrap, topics.raw, second)
    wait_until(lambda: "finalised without a partition" in full_log(instances[survivor]), 120,
               "the merger to stop waiting for the dead instance's partitions")

    instances[victim] = ProcessorProcess(bin_dir, topics, victim, str(tmp_path), extra=wait).start()

    def complete():
        for process in instances.values():
            assert process.alive(), "processor died:\n" + process.tail()
        if not committed_everything(topics.bootstrap, topics.group, topics.raw):
            return False
        output = Output(read_to_end(topics.bootstrap, topics.processed))
        return set(output.aggregates) >= set(expected.aggregates) and output.corrections
    wait_until(complete, 240, "the returning partitions' share as corrections")
    for process in instances.values():
        process.stop()

    output = Output(read_to_end(topics.bootstrap, topics.processed))
    assert set(output.aggregates) == set(expected.aggregates)
    assert set(output.corrections) <= set(expected.aggregates)
    incomplete = 0
    for start, values in expected.aggregates.items():
        assert len(output.aggregates[start]) == 1, f"{from_ms(start)} published twice"
        aggregate = output.aggregates[start][0]
        corrections = output.corrections.get(start, [])
        incomplete += bool(corrections)
        count = aggregate["count"] + sum(c["count"] for c in corrections)
        total = aggregate["temperature_avg"] * aggregate["count"] + sum(c["temperature_sum"] for c in corrections)
        assert count == len(values), f"{from_ms(start)}: {count} readings, {len(values)} expected"
        assert math.isclose(total, sum(values), rel_tol=1e-9), from_ms(start)
        assert min([aggregate["temperature_min"]] + [c["temperature_min"] for c in corrections]) == min(values)
        assert max([aggregate["temperature_max"]] + [c["temperature_max"] for c in corrections]) == max(values)
    assert incomplete >= 1  # the scenario did force a minute
    assert output.readings == expected.readings
