"""The broker's read limit for bench/archiver/catchup.py: a consumer that
only consumes (read_committed, librdkafka's default prefetch) and commits
the offset after each batch it received, doing nothing with the records.

Usage: consume_commit.py BOOTSTRAP TOPIC GROUP
"""
import os
import signal
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

running = True


def stop(*_):
    global running
    running = False


def main():
    bootstrap, topic, group = sys.argv[1:4]
    signal.signal(signal.SIGTERM, stop)
    env = read_stack_env(REPO)
    consumer = Consumer({**client_config(env, "archiver", bootstrap=bootstrap), "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed", "enable.partition.eof": True})
    consumer.subscribe([topic])
    while running:
        ends = {}
        for message in consumer.consume(10000, timeout=0.2):
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    ends[message.partition()] = message.offset()
                continue
            ends[message.partition()] = message.offset() + 1
        if ends:
            consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in ends.items()], asynchronous=True)
    consumer.close()


if __name__ == "__main__":
    main()
