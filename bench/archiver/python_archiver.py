"""The archiver's job written plainly as a peer would in Python
(confluent-kafka + pyarrow + boto3): one Parquet object per partition and
event hour, uploaded with put_object, the partition's offset committed
after the upload returns. Used only as a baseline by
bench/archiver/catchup.py; it handles readings only and has none of the
archiver's guarantees on restarts (no write-once keys, no adoption, no spool).

A partition's open hour is written and uploaded when a reading of a later
hour arrives (the benchmark's data is in event-time order) and when the
partition reaches its end (enable.partition.eof), so a backlog ends without
waiting for a quiet period.

Usage: python_archiver.py BOOTSTRAP TOPIC GROUP PREFIX
"""
import datetime
import io
import json
import os
import signal
import sys

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.config import Config
from confluent_kafka import Consumer, KafkaError, TopicPartition

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

SCHEMA = pa.schema([("DeviceId", pa.string()), ("Timestamp", pa.timestamp("ms", tz="UTC")),
                    ("Temperature", pa.float64()), ("Humidity", pa.float64()), ("Status", pa.string())])
running = True


def stop(*_):
    global running
    running = False


class OpenHour:
    def __init__(self, hour, first_offset):
        self.hour = hour
        self.first_offset = first_offset
        self.columns = ([], [], [], [], [])


def main():
    bootstrap, topic, group, prefix = sys.argv[1:5]
    signal.signal(signal.SIGTERM, stop)
    env = read_stack_env(REPO)
    consumer = Consumer({**client_config(env, "archiver", bootstrap=bootstrap), "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed", "enable.partition.eof": True})
    s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"],
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    bucket = env["S3_BUCKET"]
    open_hours = {}  # partition -> OpenHour

    def flush(partition, end_offset):
        current = open_hours.pop(partition, None)
        if current is None or not current.columns[0]:
            return
        table = pa.table(list(current.columns), schema=SCHEMA)
        body = io.BytesIO()
        pq.write_table(table, body, compression="zstd")
        hour = datetime.datetime.fromtimestamp(current.hour * 3600, datetime.timezone.utc)
        key = f"{prefix}{hour:%Y/%m/%d/%H}/readings-p{partition}-{current.first_offset}.parquet"
        s3.put_object(Bucket=bucket, Key=key, Body=body.getvalue())
        consumer.commit(offsets=[TopicPartition(topic, partition, end_offset)], asynchronous=False)

    consumer.subscribe([topic])
    while running:
        for message in consumer.consume(10000, timeout=0.2):
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    flush(message.partition(), message.offset())
                continue
            record = json.loads(message.value())
            stamp = datetime.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
            millis = int(stamp.timestamp() * 1000)
            hour = millis // 3_600_000
            partition = message.partition()
            current = open_hours.get(partition)
            if current is not None and current.hour != hour:
                flush(partition, message.offset())
                current = None
            if current is None:
                current = open_hours[partition] = OpenHour(hour, message.offset())
            device, times, temperatures, humidities, statuses = current.columns
            device.append(record["device_id"])
            times.append(millis)
            temperatures.append(float(record["temperature"]))
            humidities.append(float(record["humidity"]))
            statuses.append(record["status"])
    consumer.close()


if __name__ == "__main__":
    main()
