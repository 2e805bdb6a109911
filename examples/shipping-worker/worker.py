"""The shipping worker: consumes `reservation.created` events from RabbitMQ,
stores one shipment per reservation in SQLite, and announces it on the
`shipping` exchange as `shipment.queued` — and, for the tracking service,
on NATS as `tracking.shipment.<reservation_id>`, and in the Redis cache as
`shipment:<reservation_id>` (a hash, kept for a day); couriers' devices
get a pickup notice on MQTT (`pickups/<sku>`, QoS 1). A reservation it has already
shipped is announced as `shipment.skipped` instead (the consumer is
idempotent: RabbitMQ delivers at least once). A message that is not a
reservation is rejected and changes nothing.

Several consumers share the queue, each on a thread and a connection of
its own, so deliveries of one event are handled at the same time. With
SHIPPING_RACY=1 the worker is the racy variant: it looks for the
shipment, then stores it — two deliveries handled at once both find
none, and both announce `shipment.queued`.

Settings come from the environment: AMQP_URL, NATS_URL, REDIS_URL, MQTT_URL,
DATABASE_URL (sqlite://PATH), PORT (GET /health answers there once every
consumer consumes), CONSUMERS (default 4), SHIPPING_RACY.
"""

import json
import logging
import os
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncio

import nats
import paho.mqtt.client as mqtt
import pika
import redis
from urllib.parse import urlparse

RESERVATIONS = "reservations"
SHIPPING = "shipping"
QUEUE = "shipping-worker"
CONSUMERS = int(os.environ.get("CONSUMERS", "4"))
RACY = os.environ.get("SHIPPING_RACY") == "1"

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("shipping-worker")


def database():
    url = os.environ["DATABASE_URL"]
    path = url.split("://", 1)[1] if "://" in url else url
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


def ship(db, event):
    """Stores the shipment; whether it is new."""
    if RACY:
        # Check, then act: the window between is the race.
        shipped = db.execute(
            "SELECT 1 FROM shipments WHERE reservation_id = ?", (event["reservation_id"],)
        ).fetchone()
        time.sleep(0.05)
        if shipped:
            return False
        db.execute(
            "INSERT OR IGNORE INTO shipments (reservation_id, sku, quantity, status) "
            "VALUES (?, ?, ?, 'queued')",
            (event["reservation_id"], event["sku"], event["quantity"]),
        )
        return True
    # One statement decides: the row is new, or it was there.
    cursor = db.execute(
        "INSERT INTO shipments (reservation_id, sku, quantity, status) VALUES (?, ?, ?, 'queued') "
        "ON CONFLICT (reservation_id) DO NOTHING",
        (event["reservation_id"], event["sku"], event["quantity"]),
    )
    return cursor.rowcount == 1


def reservation(body):
    """The event, or None when it is not a reservation."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if not isinstance(event.get("reservation_id"), int) or not isinstance(event.get("sku"), str):
        return None
    if not isinstance(event.get("quantity"), int) or event["quantity"] < 1:
        return None
    return event


class Tracking:
    """What the tracking service reads: a NATS announcement and a cache
    entry, written once a shipment is new. One per consumer thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.nats = self.loop.run_until_complete(nats.connect(os.environ["NATS_URL"]))
        self.cache = redis.Redis.from_url(os.environ["REDIS_URL"])
        url = urlparse(os.environ["MQTT_URL"])
        self.couriers = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.couriers.connect(url.hostname, url.port or 1883)
        self.couriers.loop_start()

    def shipped(self, event):
        reservation_id = event["reservation_id"]
        body = json.dumps({"reservation_id": reservation_id, "sku": event["sku"],
                           "quantity": event["quantity"]}).encode()
        self.loop.run_until_complete(
            self.nats.publish(f"tracking.shipment.{reservation_id}", body,
                              headers={"Shipment-Status": "queued"}))
        self.loop.run_until_complete(self.nats.flush())
        key = f"shipment:{reservation_id}"
        self.cache.hset(key, mapping={"sku": event["sku"], "quantity": event["quantity"],
                                      "status": "queued"})
        self.cache.expire(key, 86400)
        pickup = self.couriers.publish(
            f"pickups/{event['sku']}",
            json.dumps({"reservation_id": reservation_id, "quantity": event["quantity"]}),
            qos=1,
        )
        pickup.wait_for_publish(timeout=5)


def consume(consuming):
    db = database()
    tracking = Tracking()
    connection = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))
    channel = connection.channel()
    channel.exchange_declare(RESERVATIONS, exchange_type="topic", durable=True)
    channel.exchange_declare(SHIPPING, exchange_type="topic", durable=True)
    channel.queue_declare(QUEUE, durable=True)
    channel.queue_bind(QUEUE, RESERVATIONS, routing_key="reservation.created")
    channel.basic_qos(prefetch_count=1)

    def on_message(ch, method, properties, body):
        event = reservation(body)
        if event is None:
            log.warning("rejected a message that is not a reservation: %r", body[:200])
            ch.basic_reject(method.delivery_tag, requeue=False)
            return
        new = ship(db, event)
        if new:
            tracking.shipped(event)
        key = "shipment.queued" if new else "shipment.skipped"
        ch.basic_publish(
            SHIPPING,
            key,
            json.dumps({"reservation_id": event["reservation_id"], "sku": event["sku"],
                        "quantity": event["quantity"], "status": "queued"}),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
        ch.basic_ack(method.delivery_tag)
        log.info("%s reservation %s", key, event["reservation_id"])

    channel.basic_consume(QUEUE, on_message)
    consuming.release()
    channel.start_consuming()


class Health(BaseHTTPRequestHandler):
    ready = threading.Event()

    def do_GET(self):
        up = self.path == "/health" and Health.ready.is_set()
        self.send_response(200 if up else 503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"status": "ok" if up else "starting"}).encode())

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    consuming = threading.Semaphore(0)
    consumers = [threading.Thread(target=consume, args=(consuming,)) for _ in range(CONSUMERS)]
    for consumer in consumers:
        consumer.start()
    for _ in consumers:
        consuming.acquire()
    Health.ready.set()
    log.info("%d consumers on %s%s", CONSUMERS, QUEUE, " (racy)" if RACY else "")
    for consumer in consumers:
        consumer.join()


if __name__ == "__main__":
    main()
