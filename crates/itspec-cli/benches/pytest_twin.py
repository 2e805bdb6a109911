"""The bench's eight shop cases hand-written in pytest, the way a team
would: the shop and a payment-gateway stub started once per session,
SQLite rows inserted by fixtures and deleted after, a snapshot compare for
"database unchanged", and races fired from threads released by one
threading.Barrier over connections opened beforehand. Run by
crates/itspec-cli/benches/pytest.rs; it must reach the same verdicts as
itspec on the same shop."""

import http.server
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

DB = os.environ["BENCH_DB"]
SHOP = os.environ["BENCH_SHOP"]
STOCK_UPDATE = os.environ.get("BENCH_STOCK_UPDATE", "atomic")
TABLES = ["inventory", "reservations", "customers", "sessions"]


class Gateway(http.server.BaseHTTPRequestHandler):
    calls = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Gateway.calls.append((self.path, json.loads(body or b"{}")))
        answer = json.dumps({"id": "ch_1", "status": "succeeded"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def payments():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def shop(payments):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PORT=str(port), DATABASE_URL=f"sqlite:///{DB}",
               PAYMENTS_URL=payments, SHOP_STOCK_UPDATE=STOCK_UPDATE)
    process = subprocess.Popen([SHOP], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "the shop did not come up"
        time.sleep(0.01)
    yield base
    process.terminate()
    process.wait()


def clear(connection):
    connection.execute("DELETE FROM reservations")
    connection.execute("DELETE FROM inventory")
    connection.commit()


@pytest.fixture
def db(shop):
    connection = sqlite3.connect(DB, timeout=10)
    Gateway.calls.clear()
    yield connection
    clear(connection)
    connection.close()


def snapshot(connection):
    return {t: sorted(connection.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}


def add_sku(connection, sku, stock, price_cents=250):
    connection.execute("INSERT INTO inventory (sku, stock, price_cents) VALUES (?, ?, ?)",
                       (sku, stock, price_cents))
    connection.commit()


def stock(connection, sku):
    return connection.execute("SELECT stock FROM inventory WHERE sku = ?", (sku,)).fetchone()[0]


def reservations(connection, sku):
    return connection.execute("SELECT COUNT(*) FROM reservations WHERE sku = ?", (sku,)).fetchone()[0]


def race(base, bodies):
    """Fires the requests at once: a connection each, opened first."""
    sessions = [requests.Session() for _ in bodies]
    for session in sessions:
        session.get(f"{base}/health")
    barrier = threading.Barrier(len(bodies))
    statuses = [None] * len(bodies)

    def fire(i):
        barrier.wait()
        statuses[i] = sessions[i].post(f"{base}/reservations", json=bodies[i]).status_code

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for session in sessions:
        session.close()
    return statuses


def test_put_a_sku(shop, db):
    response = requests.put(f"{shop}/inventory/SKU-NEW", json={"stock": 5, "price_cents": 250})
    assert response.status_code == 200
    assert response.json()["stock"] == 5
    assert stock(db, "SKU-NEW") == 5


def test_read_a_sku(shop, db):
    add_sku(db, "SKU-1", 5)
    before = snapshot(db)
    response = requests.get(f"{shop}/inventory/SKU-1")
    assert response.status_code == 200
    assert response.json()["stock"] == 5
    assert snapshot(db) == before


def test_an_unknown_sku(shop, db):
    before = snapshot(db)
    assert requests.get(f"{shop}/inventory/NOPE").status_code == 404
    assert snapshot(db) == before


def test_a_non_positive_quantity(shop, db):
    add_sku(db, "SKU-1", 5)
    before = snapshot(db)
    response = requests.post(f"{shop}/reservations", json={"sku": "SKU-1", "quantity": 0})
    assert response.status_code == 422
    assert snapshot(db) == before
    assert Gateway.calls == []


def test_reserve(shop, db):
    add_sku(db, "SKU-1", 5)
    response = requests.post(f"{shop}/reservations", json={"sku": "SKU-1", "quantity": 2})
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"
    assert stock(db, "SKU-1") == 3
    assert reservations(db, "SKU-1") == 1
    assert len(Gateway.calls) == 1


def test_more_than_in_stock(shop, db):
    add_sku(db, "SKU-1", 5)
    before = snapshot(db)
    response = requests.post(f"{shop}/reservations", json={"sku": "SKU-1", "quantity": 6})
    assert response.status_code == 409
    assert snapshot(db) == before


def test_six_race_for_the_last_unit(shop, db):
    for _ in range(10):
        add_sku(db, "SKU-LAST", 1)
        statuses = race(shop, [{"sku": "SKU-LAST", "quantity": 1}] * 6)
        assert statuses.count(201) == 1
        assert statuses.count(409) == 5
        assert stock(db, "SKU-LAST") == 0
        assert reservations(db, "SKU-LAST") == 1
        clear(db)


def test_six_reserve_six_units(shop, db):
    for _ in range(10):
        add_sku(db, "SKU-SIX", 6)
        statuses = race(shop, [{"sku": "SKU-SIX", "quantity": 1}] * 6)
        assert statuses.count(201) == 6
        assert stock(db, "SKU-SIX") == 0
        assert reservations(db, "SKU-SIX") == 6
        clear(db)
