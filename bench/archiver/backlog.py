"""What the archiver benchmarks (bench.py, catchup.py) share: a
processed-data-like topic filled with readings, the archiver process's
memory as the kernel counts it, and an S3 client for the stack's server."""
import datetime
import random

from confluent_kafka import Producer

PARTITIONS = 3


def fill(kafka, topic, readings, start, span_ms, seed=1):
    """`readings` readings of 1,000 devices (device d on partition d % 3),
    evenly over `span_ms` milliseconds of event time from `start` (a whole
    second, UTC), through an idempotent producer with `kafka`'s settings."""
    rng = random.Random(seed)
    producer = Producer({**kafka, "enable.idempotence": True, "linger.ms": 20, "batch.size": 1_000_000,
                         "compression.type": "lz4"})
    for i in range(readings):
        device = i % 1000
        ms = i * span_ms // readings
        stamp = start + datetime.timedelta(milliseconds=ms)
        value = (f'{{"type":"reading","device_id":"device{device:04d}",'
                 f'"timestamp":"{stamp:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z",'
                 f'"temperature":{rng.randrange(-200, 999) / 10},"humidity":{rng.randrange(0, 1000) / 10},'
                 f'"status":"OK"}}')
        while True:
            try:
                producer.produce(topic, value.encode(), key=f"device{device:04d}".encode(),
                                 partition=device % PARTITIONS)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        raise SystemExit("filling the topic failed: records not acknowledged")


def proc_status_bytes(pid, field):
    """VmHWM (peak) or VmRSS (now) of a live process, in bytes."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def s3_client(env):
    """boto3 on the stack's S3 server (var/edgestream.env as a dict)."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"],
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
