"""The processor's physical limit on this broker: a transactional
pass-through that consumes raw-data records and produces the same bytes
(key and value unchanged) to the output topic, with the consumed offsets
committed inside each transaction (every 0.2 s, as python_processor.py
does). No parsing, no filtering, no aggregation: what exactly-once
consume → produce costs by itself. Used only by bench/pipeline/processor_e2e.py.

Usage: passthrough.py BOOTSTRAP INPUT OUTPUT GROUP
"""
import os
import signal
import sys
import time

from confluent_kafka import Consumer, Producer

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
    consumer = Consumer({**kafka, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    producer = Producer({**kafka, "transactional.id": group + "-passthrough",
                         "linger.ms": 5, "compression.type": "lz4"})
    producer.init_transactions()
    consumer.subscribe([source])
    producer.begin_transaction()
    last_commit = time.monotonic()
    while running:
        for message in consumer.consume(5000, timeout=0.1):
            if message.error():
                continue
            while True:
                try:
                    producer.produce(sink, message.value(), key=message.key())
                    break
                except BufferError:
                    producer.poll(0.01)
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
