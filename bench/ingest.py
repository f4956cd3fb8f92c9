"""Ingest throughput end to end into PostgreSQL, HTTP batches and MQTT, beside raw baselines (issue #3).

Run::

    .venv/bin/python bench/ingest.py                      # default 300,000 readings per path
    .venv/bin/python bench/ingest.py --readings 50000     # smaller

What it does, in one run and one fresh PostgreSQL database (created on the server of
``SANDAN_BENCH_PG_URL``, default the local one, migrated with ``prepare_database`` and dropped
after):

* one company with a site and ``--points`` (default 100) 15-minute kWh meters; a second company
  with as many identical meters for the raw baseline; a device account of the first company with
  a bearer token;
* **HTTP**: the app (``sandan.app:create_app``) on uvicorn with ``--workers`` processes on a free
  port; ``--clients`` threads POST pre-built JSON bodies of ``--batch`` readings (default 5,000:
  every meter x 50 quarter hours) to ``/api/v1/ingest`` with the device token.  Timed from the
  first request sent to the last answer (after a warm-up of each worker); a request answered 5xx
  is sent again, as a gateway does (the store is idempotent), and the resends are reported;
* **MQTT**, ``--mqtt json sparkplug`` (default both, each on its own time range): a private
  Mosquitto on a free port, ``--subscribers`` (default 4) ``sandan ingest mqtt`` processes in one
  ``$share`` group; the bench publishes messages of ``--message`` readings (default 1,000) at
  QoS 1 — JSON on ``sandan/v1/<company>/<source>/readings``, or Sparkplug B NDATA of ``--nodes``
  edge nodes (default 4) naming metrics by alias, after NBIRTHs (null values, no readings) that
  are published and recorded before timing — and polls ``count(*)`` until every reading is in.
  Timed from the first publish to the count reaching the number sent (a wait that sees nothing
  move for 30 s ends and reports the loss);
* baselines, measured in the same run on the same machine:
  - **raw COPY**: the same rows (same timestamps and values, the baseline company's meters)
    written straight into ``readings`` with binary ``COPY`` in the path's batches (``--batch``
    rows for HTTP, ``--message`` rows for MQTT), one transaction each (bench/store.py's fastest
    client call; no parsing, no validation, no rollups);
  - **raw MQTT**: the same payloads published at QoS 1 through the same broker to a topic no
    ingest subscriber listens to, received by ``--subscribers`` plain paho clients in a ``$share``
    group that only count them (no parsing, no database).

Zero loss is checked for each path: the rows stored for the path's meters and time range must
equal the readings sent.  The goal is >= 100,000 readings/s into PostgreSQL through HTTP and MQTT
on this 2-core machine; the exit status is non-zero if a path misses it or loses anything.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgtemp import fresh_database  # bench/pgtemp.py, beside this script
from sandan.bootstrap import create_user_with_role, install_hooks, prepare_database
from sandan.core.auth.models import Role
from sandan.core.auth.policy import Principal
from sandan.core.auth.service import create_token
from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import AssetLevel, Carrier, Complex, PointKind, SizeClass
from sandan.core.timeutil import to_epoch_s
from sandan.db import Database
from sandan.ingest.mqtt.topics import readings_topic
from sandan.ingest.sparkplug import codec
from sandan.timeseries import partitions
from store import pg_binary_copy

PG_ADMIN_URL = os.environ.get("SANDAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
GOAL = 100_000.0
RETRIES = 3
STEP_S = 900
T0 = to_epoch_s(pd.Timestamp("2025-01-01T00:00:00+09:00").to_pydatetime())
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {port} within {timeout:g} s")


@dataclass
class Layout:
    company_id: int
    codes: list[str]
    points: np.ndarray  # ids of the ingest meters, in the order of codes
    raw_points: np.ndarray  # the baseline company's meters
    token: str


def build(db: Database, n_points: int) -> Layout:
    with db.session(principal=Principal.system("bench")) as s:
        complex_ = s.query(Complex).order_by(Complex.id).first()
        assert complex_ is not None, "prepare_database loads the reference complexes"
        ids: list[list[int]] = []
        companies: list[int] = []
        codes = [f"m{i}.kwh" for i in range(n_points)]
        for n, name in ((1, "수집벤치기업"), (2, "기준선기업")):
            company = service.create_company(s, schemas.CompanyCreate(
                complex_id=complex_.id, name=name, brn=make_brn(f"{800 + n:03d}81{n:04d}"), ksic_code="24111",
                size_class=SizeClass.sme))
            site = service.create_site(s, schemas.SiteCreate(company_id=company.id, name=f"본사 {n}"))
            area = service.create_asset(s, schemas.AssetCreate(site_id=site.id, level=AssetLevel.area, name="1동"))
            ids.append([service.create_point(s, schemas.PointCreate(
                site_id=site.id, asset_id=area.id, code=code, name=f"전력량 {i + 1}", quantity="active_energy",
                unit="kWh", carrier=Carrier.electricity, kind=PointKind.interval)).id for i, code in enumerate(codes)])
            companies.append(company.id)
        user = create_user_with_role(s, "bench-device@sandan.test", "bench-device", None, Role.device,
                                     company_id=companies[0])
        _, token = create_token(s, user, "bench")
    return Layout(companies[0], codes, np.array(ids[0]), np.array(ids[1]), token)


@dataclass
class Path_:
    """One path's readings: ``intervals`` quarter hours from ``first`` of every meter, in chunks."""
    name: str
    first: int
    intervals: int

    def span(self) -> tuple[int, int]:
        return T0 + self.first * STEP_S, T0 + (self.first + self.intervals) * STEP_S

    def chunks(self, n_points: int, per_chunk: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(meter index, ts, value) per chunk of ``per_chunk`` readings (whole quarter hours of all meters)."""
        rng = np.random.default_rng(seed)
        k = max(1, per_chunk // n_points)
        out = []
        for q in range(self.first, self.first + self.intervals, k):
            kk = min(k, self.first + self.intervals - q)
            ts = np.repeat(T0 + (q + np.arange(kk, dtype=np.int64)) * STEP_S, n_points)
            meter = np.tile(np.arange(n_points), kk)
            value = np.round(rng.uniform(5.0, 15.0, size=len(ts)), 3)
            out.append((meter, ts, value))
        return out


def json_body(layout: Layout, chunk: tuple[np.ndarray, np.ndarray, np.ndarray], source_ref: str) -> bytes:
    meter, ts, value = chunk
    codes = layout.codes
    return json.dumps({"source_ref": source_ref, "readings": [
        {"point": codes[m], "ts": int(t), "value": float(v), "unit": "kWh"}
        for m, t, v in zip(meter.tolist(), ts.tolist(), value.tolist(), strict=True)]}).encode()


def count(db: Database, points: np.ndarray, span: tuple[int, int]) -> int:
    ids = ", ".join(str(int(p)) for p in points)
    with db.session(principal=Principal.system("bench")) as s:
        return int(s.execute(text(f"SELECT count(*) FROM readings WHERE point_id IN ({ids}) "
                                  "AND ts >= :lo AND ts < :hi"), {"lo": span[0], "hi": span[1]}).scalar_one())


def raw_copy(db: Database, layout: Layout, chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    """The same rows into the baseline company's meters with binary COPY, a transaction per chunk."""
    frames = [pd.DataFrame({"point_id": layout.raw_points[m], "ts": ts, "value": v,
                            "quality": np.zeros(len(ts), dtype=np.int64)}) for m, ts, v in chunks]
    t = time.perf_counter()
    for frame in frames:
        with db.session(principal=Principal.system("bench")) as s:
            cursor = s.connection().connection.cursor()
            with cursor.copy("COPY readings (point_id, ts, value, quality) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(pg_binary_copy(frame))
    return time.perf_counter() - t


# --- HTTP -----------------------------------------------------------------------------------------

def run_http(url: str, layout: Layout, bodies: list[bytes], args: argparse.Namespace, folder: Path) -> float:
    port = free_port()
    env = {**os.environ, "SANDAN_DATABASE_URL": url, "SANDAN_INGEST_RATE_PER_MINUTE": "1000000"}
    log = (folder / "uvicorn.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "sandan.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                               "--log-level", "warning", "--no-access-log"], stdout=log, stderr=subprocess.STDOUT,
                              env=env, start_new_session=True)
    try:
        wait_port(port, 60, "uvicorn")
        endpoint = f"http://127.0.0.1:{port}/api/v1/ingest"
        headers = {"authorization": f"Bearer {layout.token}", "content-type": "application/json"}

        def post(body: bytes) -> dict[str, int]:
            request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=300) as response:
                summary: dict[str, int] = json.loads(response.read())["summary"]
                return summary

        # warm every worker (imports, caches, connection pools) outside the timing, a day before T0
        for w in range(4 * args.workers):
            post(json.dumps({"source_ref": "bench-warm", "readings": [
                {"point": code, "ts": T0 - 86_400 + w * STEP_S, "value": 1.0, "unit": "kWh"}
                for code in layout.codes]}).encode())
        pending = list(bodies)
        lock = threading.Lock()
        bad: list[str] = []
        resent: list[str] = []

        def client() -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    body = pending.pop(0)
                for attempt in range(RETRIES + 1):
                    try:
                        summary = post(body)
                    except urllib.error.HTTPError as error:
                        # what a gateway does with a 5xx: send the batch again (the store is idempotent)
                        if error.code >= 500 and attempt < RETRIES:
                            resent.append(error.read().decode(errors="replace")[:200])
                            continue
                        bad.append(f"HTTP {error.code}: {error.read()[:300]!r}")
                        break
                    if summary.get("stored", 0) + summary.get("duplicate", 0) != summary.get("received"):
                        bad.append(f"not all stored: {summary}")
                    break

        t = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t
        if resent:
            print(f"http: {len(resent)} requests answered 5xx and were sent again (as a gateway does), "
                  f"e.g. {resent[0]}")
        if bad:
            print(f"http: {len(bad)} requests failed, e.g. {bad[0][:300]}")
        return elapsed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log.close()


# --- MQTT -----------------------------------------------------------------------------------------

class Broker:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
                          f"max_inflight_messages 0\npersistence false\nuser {getpass.getuser()}\n")
        self.log = (folder / "mosquitto.log").open("wb")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, 10, "mosquitto")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


def publisher(port: int, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    return client


def birth_metrics(db: Database) -> int:
    with db.session(principal=Principal.system("bench")) as s:
        return int(s.execute(text("SELECT count(*) FROM sparkplug_metrics WHERE alias IS NOT NULL")).scalar_one())


def sparkplug_messages(layout: Layout, chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                       nodes: int) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """NBIRTHs of ``nodes`` edge nodes (every meter as a metric with an alias, null values: no
    readings) and NDATA messages, one per chunk, round robin over the nodes, metrics by alias."""
    c = layout.company_id
    births = [(f"spBv1.0/{c}/NBIRTH/bench-{k}", codec.encode(
        [{"name": "bdSeq", "datatype": codec.INT64, "value": 0}]
        + [{"name": code, "alias": j + 1, "datatype": codec.DOUBLE, "value": None}
           for j, code in enumerate(layout.codes)], seq=0)) for k in range(nodes)]
    data = []
    for i, (meter, ts, value) in enumerate(chunks):
        k, seq = i % nodes, (i // nodes + 1) % 256
        data.append((f"spBv1.0/{c}/NDATA/bench-{k}", codec.encode(
            [{"alias": m + 1, "timestamp": t * 1000, "value": v}
             for m, t, v in zip(meter.tolist(), ts.tolist(), value.tolist(), strict=True)], seq=seq)))
    return births, data


def publish_all(client: mqtt.Client, topic: str, bodies: list[bytes]) -> None:
    infos = [client.publish(topic, body, qos=1) for body in bodies]
    for info in infos:
        info.wait_for_publish(300)


def run_raw_mqtt(broker: Broker, bodies: list[bytes], subscribers: int) -> float:
    """Publish→receive through the broker, received by plain paho clients that only count messages."""
    received = [0]
    lock = threading.Lock()
    done = threading.Event()
    total = len(bodies)
    topic = f"bench/raw/{uuid.uuid4().hex[:6]}"

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            received[0] += 1
            if received[0] >= total:
                done.set()

    clients = []
    ready = threading.Barrier(subscribers + 1)
    for i in range(subscribers):
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{i}", protocol=mqtt.MQTTv5)
        c.on_message = on_message
        c.on_subscribe = lambda *_a: ready.wait(10)
        c.connect("127.0.0.1", broker.port, keepalive=60)
        c.subscribe(f"$share/raw/{topic}", qos=1)
        c.loop_start()
        clients.append(c)
    ready.wait(10)
    pub = publisher(broker.port, "raw-pub")
    t = time.perf_counter()
    publish_all(pub, topic, bodies)
    if not done.wait(300):
        raise SystemExit(f"raw MQTT: {received[0]:,} of {total:,} messages received")
    elapsed = time.perf_counter() - t
    for c in [pub, *clients]:
        c.disconnect()
        c.loop_stop()
    return elapsed


def run_mqtt(url: str, db: Database, layout: Layout, broker: Broker, messages: list[tuple[str, bytes]], n: int,
             span: tuple[int, int], args: argparse.Namespace, folder: Path,
             births: list[tuple[str, bytes]] | None = None) -> float:
    """Start the subscribers, publish ``births`` (untimed, waited for), then time ``messages`` until
    ``n`` readings are stored (or nothing moved for 30 s)."""
    env = {**os.environ, "SANDAN_DATABASE_URL": url}
    group = f"bench{uuid.uuid4().hex[:6]}"
    subs = []
    logs = []
    for i in range(args.subscribers):
        log_path = folder / f"subscriber-{i}.log"
        logs.append(log_path)
        with log_path.open("wb") as out:
            subs.append(subprocess.Popen(
                [sys.executable, "-c", "from sandan.cli import app; app()", "ingest", "mqtt", "--url",
                 f"mqtt://127.0.0.1:{broker.port}", "--client-id", f"{group}-{i}", "--shared-group", group,
                 "--sparkplug" if births else "--no-sparkplug", "--session-expiry", "300"],
                stdout=out, stderr=subprocess.STDOUT, env=env))
    try:
        deadline = time.monotonic() + 60
        while not all("subscribed to" in p.read_text(errors="replace") for p in logs):
            if time.monotonic() > deadline:
                raise SystemExit("the subscribers did not subscribe within 60 s")
            time.sleep(0.1)
        pub = publisher(broker.port, f"{group}-pub")
        if births:
            for topic, body in births:
                pub.publish(topic, body, qos=1).wait_for_publish(60)
            expected = len(births) * len(layout.codes)
            deadline = time.monotonic() + 60
            while birth_metrics(db) < expected:
                if time.monotonic() > deadline:
                    raise SystemExit("the Sparkplug births were not recorded within 60 s")
                time.sleep(0.1)
        t = time.perf_counter()
        infos = [pub.publish(topic, body, qos=1) for topic, body in messages]
        for info in infos:
            info.wait_for_publish(300)
        stored, last, moved = 0, -1, time.monotonic()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and time.monotonic() - moved < 30:
            stored = count(db, layout.points, span)
            if stored >= n:
                break
            if stored != last:
                last, moved = stored, time.monotonic()
            time.sleep(0.1)
        elapsed = time.perf_counter() - t
        pub.disconnect()
        pub.loop_stop()
        if stored < n:
            print(f"mqtt: only {stored:,} of {n:,} stored when the wait ended")
        return elapsed
    finally:
        for p in subs:
            p.terminate()
        for p in subs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


# --- the run --------------------------------------------------------------------------------------

def run(url: str, args: argparse.Namespace) -> bool:
    install_hooks()
    t = time.perf_counter()
    prepare_database(url)
    db = Database(url)
    layout = build(db, args.points)
    intervals = max(1, args.readings // args.points)
    n = intervals * args.points
    http_path = Path_("http", 0, intervals)
    mqtt_paths = [Path_(mode, (i + 1) * (intervals + 96), intervals) for i, mode in enumerate(args.mqtt)]
    with db.session(principal=Principal.system("bench")) as s:
        partitions.ensure(s, T0 - 86_400, T0 + (len(mqtt_paths) + 2) * (intervals + 96) * STEP_S)
    http_chunks = http_path.chunks(args.points, args.batch, seed=1)
    http_bodies = [json_body(layout, c, "bench-http") for c in http_chunks]
    topic = readings_topic(layout.company_id, "bench")
    mqtt_messages: dict[str, tuple[list[tuple[str, bytes]], list[tuple[str, bytes]] | None]] = {}
    for i, path in enumerate(mqtt_paths):
        chunks = path.chunks(args.points, args.message, seed=2 + i)
        if path.name == "json":
            mqtt_messages[path.name] = ([(topic, json_body(layout, c, "bench-mqtt")) for c in chunks], None)
        else:
            births, data = sparkplug_messages(layout, chunks, args.nodes)
            mqtt_messages[path.name] = (data, births)
    n_messages = len(http_path.chunks(args.points, args.message, seed=0))
    print(f"postgres: {args.points} meters x {intervals:,} quarter hours = {n:,} readings per path; "
          f"HTTP {len(http_bodies)} requests of {args.batch:,} ({args.clients} clients, {args.workers} uvicorn "
          f"workers); MQTT {'/'.join(args.mqtt)} {n_messages} messages of {args.message:,} "
          f"({args.subscribers} subscribers); "
          f"set-up {time.perf_counter() - t:.1f} s; {os.cpu_count()} CPUs", flush=True)
    ok = True
    mark = {True: "ok", False: "MISSED"}
    with tempfile.TemporaryDirectory(prefix="sandan-bench-ingest-") as tmp:
        folder = Path(tempfile.mkdtemp(prefix="sandan-bench-ingest-")) if args.keep else Path(tmp)
        # (a) HTTP, and its COPY baseline of the same rows
        copy_http_s = raw_copy(db, layout, http_path.chunks(args.points, args.batch, seed=1))
        http_s = run_http(url, layout, http_bodies, args, folder)
        stored = count(db, layout.points, http_path.span())
        raw_rate, rate = n / copy_http_s, n / http_s
        lossless = stored == n
        good = lossless and rate >= GOAL
        ok = ok and good
        print(f"http: {rate:,.0f} readings/s end to end ({n:,} in {http_s:.1f} s) vs raw COPY {raw_rate:,.0f}/s = "
              f"{rate / raw_rate:.2f}x of raw; stored {stored:,} of {n:,} sent "
              f"({'zero loss' if lossless else 'LOSS'}); goal {GOAL:,.0f}/s {mark[good]}", flush=True)
        # (b) MQTT (JSON, Sparkplug B), its COPY baseline and the raw broker baseline
        for i, path in enumerate(mqtt_paths):
            messages, births = mqtt_messages[path.name]
            sub_folder = folder / path.name
            sub_folder.mkdir()
            broker = Broker(sub_folder / "mosquitto")
            try:
                copy_s = raw_copy(db, layout, path.chunks(args.points, args.message, seed=2 + i))
                raw_mqtt_s = run_raw_mqtt(broker, [body for _, body in messages], args.subscribers)
                mqtt_s = run_mqtt(url, db, layout, broker, messages, n, path.span(), args, sub_folder, births)
            finally:
                broker.stop()
            stored = count(db, layout.points, path.span())
            raw_rate, broker_rate, rate = n / copy_s, n / raw_mqtt_s, n / mqtt_s
            lossless = stored == n
            good = lossless and rate >= GOAL
            ok = ok and good
            kind = "JSON" if path.name == "json" else f"Sparkplug B NDATA, {args.nodes} edge nodes"
            print(f"mqtt {path.name}: {rate:,.0f} readings/s end to end ({n:,} in {mqtt_s:.1f} s, {kind}, "
                  f"{args.subscribers} subscribers) vs raw COPY {raw_rate:,.0f}/s = {rate / raw_rate:.2f}x, vs raw "
                  f"broker publish->receive {broker_rate:,.0f}/s = {rate / broker_rate:.2f}x; stored {stored:,} of "
                  f"{n:,} sent ({'zero loss' if lossless else 'LOSS'}); goal {GOAL:,.0f}/s {mark[good]}", flush=True)
        if not ok:
            for log in sorted(folder.glob("**/*.log")):
                errors = [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line]
                if errors:
                    print(f"{log.name}: {len(errors)} error lines, first: {errors[0][:300]}")
        if args.keep:
            print(f"logs kept in {folder}")
    db.engine.dispose()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--readings", type=int, default=300_000, help="readings per path (default 300,000)")
    parser.add_argument("--points", type=int, default=100, help="meters (default 100)")
    parser.add_argument("--batch", type=int, default=5_000, help="readings per HTTP request (default 5,000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--message", type=int, default=1_000, help="readings per MQTT message (default 1,000)")
    parser.add_argument("--mqtt", nargs="+", choices=["json", "sparkplug"], default=["json", "sparkplug"],
                        help="MQTT payloads to run (default both)")
    parser.add_argument("--nodes", type=int, default=4, help="Sparkplug edge nodes (default 4)")
    parser.add_argument("--subscribers", type=int, default=4, help="subscriber processes (default 4)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds to wait for the MQTT readings")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep the uvicorn, broker and subscriber logs")
    args = parser.parse_args(argv)
    if args.readings < args.points:
        parser.error("--readings must be at least --points")
    with fresh_database(args.pg_admin_url) as url:
        ok = run(url, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
