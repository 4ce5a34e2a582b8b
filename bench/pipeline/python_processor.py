"""The processor's job written as a plain Python consumer (confluent-kafka +
json), the option the original design considered: validate, filter
(status == "OK", temperature <= 100), publish readings, fleet average per
minute, all in Kafka transactions with offsets committed inside them.
Used only as the benchmark's baseline (bench/pipeline/processor_e2e.py).

Usage: python_processor.py BOOTSTRAP INPUT OUTPUT GROUP
"""
import datetime
import json
import math
import os
import signal
import sys
import time

from confluent_kafka import Consumer, Producer

# TLS + SASL as the processor's principal, from var/edgestream.env.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

running = True


def stop(*_):
    global running
    running = False


def main():
    bootstrap, source, sink, group = sys.argv[1:5]
    signal.signal(signal.SIGTERM, stop)
    kafka = client_config(read_stack_env(REPO), "processor",
                          bootstrap=bootstrap)
    consumer = Consumer({**kafka, "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed"})
    producer = Producer({**kafka, "transactional.id": group + "-py",
                         "linger.ms": 5, "compression.type": "lz4"})
    producer.init_transactions()
    consumer.subscribe([source])
    windows = {}
    producer.begin_transaction()
    last_commit = time.monotonic()
    while running:
        for message in consumer.consume(5000, timeout=0.1):
            if message.error():
                continue
            try:
                record = json.loads(message.value())
                ts = datetime.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
                temperature = float(record["temperature"])
                humidity = float(record["humidity"])
                if not (math.isfinite(temperature) and 0 <= humidity <= 100):
                    raise ValueError("out of range")
            except (ValueError, KeyError, TypeError):
                producer.produce(source + "-dlq", message.value())
                continue
            if record["status"] != "OK" or temperature > 100:
                continue
            out = {"type": "reading", **record}
            producer.produce(sink, json.dumps(out).encode(), key=message.key())
            minute = int(ts.timestamp()) // 60
            count, total = windows.get(minute, (0, 0.0))
            windows[minute] = (count + 1, total + temperature)
            # A minute is final once readings two minutes later arrive.
            for closed in [m for m in windows if m < minute - 1]:
                count, total = windows.pop(closed)
                aggregate = {"type": "aggregate", "window_start": closed * 60,
                             "temperature_avg": total / count, "count": count}
                producer.produce(sink, json.dumps(aggregate).encode())
        if time.monotonic() - last_commit >= 0.2:
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                 consumer.consumer_group_metadata())
            producer.commit_transaction()
            producer.begin_transaction()
            last_commit = time.monotonic()
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                         consumer.consumer_group_metadata())
    producer.commit_transaction()
    consumer.close()


if __name__ == "__main__":
    main()
