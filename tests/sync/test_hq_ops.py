"""Operator endpoints on a real HQ: /healthz (process, database, schema) and /metrics
(Prometheus text, parsed with prometheus_client's own parser after real pushes, pulls and
orders; operators only; several processes summed in multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sync import protocol as p
from sync.hq import registry
from sync.hq.db import open_database
from sync.hq.schema import STEPS, migrate
from tests.support.tcp_proxy import TcpProxy

TOKEN = "op-metrics-token"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from the exposition text."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _scrape(server) -> dict[tuple[str, tuple], float]:
    r = server.client.get("/metrics", headers=OPERATOR)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return _samples(r.text)


def test_healthz_ok_then_503_when_the_schema_is_behind(make_hq_server):
    server = make_hq_server()
    r = server.client.get("/healthz")
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok"
    assert body["database"]["ok"] and body["schema"] == {"version": len(STEPS), "expected": len(STEPS),
                                                         "current": True}
    assert server.client.get(p.HEALTH_PATH).status_code == 200  # the old health route stays

    with server.db.tx() as tx:  # e.g. restored from an older backup under a running HQ
        tx.run("DELETE FROM schema_version WHERE version = ?", (len(STEPS),))
    r = server.client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
    assert r.json()["schema"]["current"] is False and r.json()["database"]["ok"] is True


@pytest.mark.postgres
def test_healthz_503_while_the_database_hangs_and_200_when_back(hq_pg_url, hq_clock):
    from conftest import HQServer

    proxy = TcpProxy(("127.0.0.1", 5432))
    url = hq_pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert url != hq_pg_url
    server = HQServer(url, hq_clock, sweep_interval=None).start()
    try:
        assert server.client.get("/healthz").status_code == 200
        proxy.hang()
        r = server.client.get("/healthz")
        assert r.status_code == 503 and r.json()["database"]["ok"] is False
        assert "no answer within" in r.json()["database"]["error"]
        proxy.heal()
        assert server.client.get("/healthz").status_code == 200
    finally:
        proxy.heal()
        server.stop()
        proxy.close()


def test_metrics_are_for_operators_only(make_hq_server):
    server = make_hq_server(metrics_token=TOKEN)
    store = server.add_store("S1")
    assert server.client.get("/metrics").status_code == 401
    assert server.client.get("/metrics", headers=store.headers).status_code == 401
    assert server.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert server.client.get("/metrics", headers=OPERATOR).status_code == 200
    off = make_hq_server()  # no token configured: /metrics is off
    r = off.client.get("/metrics", headers=store.headers)
    assert r.status_code == 404 and "--metrics-token" in r.json()["message"]


def test_metrics_after_real_pushes_pulls_and_orders(make_hq_server, hq_clock):
    server = make_hq_server(metrics_token=TOKEN, silent_after_minutes=15)
    server.add_product("A1")
    s1, s2 = server.add_store("S1"), server.add_store("S2")
    hq_clock.advance(hours=-1)
    server.add_store("S3")  # registered an hour ago, never heard from: silent
    hq_clock.advance(hours=1)
    channel = server.add_channel("live")

    s1.send("allotment.granted", {"sku": "A1", "qty": 5})
    s2.pull_all()
    first = channel.place("S1", [("A1", 2)], paid=True).json()["order_no"]
    second = channel.place("S1", [("A1", 1)]).json()["order_no"]
    assert channel.pay(second).status_code == 200
    assert channel.cancel(first).status_code == 200
    s1.send("order.handed_over", {"order_no": first, "clerk_id": "c7", "at": "2020-01-01T00:00:00+00:00",
                                  "verify_ms": 400})  # handed over offline before the cancel: a conflict
    late = s1.event("stock.moved", {"move_id": "m1", "sku": "A1", "lot": "L1", "qty": 1, "kind": "receipt"})
    late["store_clock"] = (hq_clock() - timedelta(seconds=30)).isoformat()  # written 30 s before it arrived
    assert s1.push([late]).status_code == 200
    assert server.client.get(f"/v1/orders/{first}x/pay").status_code in (404, 405)
    assert server.client.get("/no/such/path/123").status_code == 404

    m = _scrape(server)
    req = "hq_http_requests_total"
    assert m[(req, (("endpoint", "/v1/orders"), ("method", "POST"), ("status", "201")))] == 2
    assert m[(req, (("endpoint", "/v1/orders/{order_no}/pay"), ("method", "POST"), ("status", "200")))] == 1
    assert m[(req, (("endpoint", "/v1/sync/push"), ("method", "POST"), ("status", "200")))] == 3
    assert m[(req, (("endpoint", "<unmatched>"), ("method", "GET"), ("status", "404")))] == 1
    assert m[("hq_http_request_duration_seconds_count", (("endpoint", "/v1/sync/push"), ("method", "POST")))] == 3
    assert not any("S1-" in str(key) for key in m)  # route templates, never raw order numbers

    contact = "hq_store_last_contact_timestamp_seconds"
    assert (contact, (("store_id", "S1"),)) in m and (contact, (("store_id", "S2"),)) in m
    assert (contact, (("store_id", "S3"),)) not in m
    assert m[("hq_stores_silent", (("after_minutes", "15"),))] == 1
    assert m[("hq_stores", ())] == 3
    assert 29 <= m[("hq_store_push_lag_seconds", (("store_id", "S1"),))] <= 31
    assert ("hq_store_push_lag_seconds", (("store_id", "S2"),)) not in m  # S2 never pushed
    with server.db.tx(snapshot=True) as tx:
        pending = tx.scalar("SELECT COUNT(*) FROM notifications WHERE status = 'pending'")
    assert pending >= 3 and m[("hq_notification_outbox_depth", (("status", "pending"),))] == pending
    assert m[("hq_conflicts_open", (("kind", "handover_after_cancel"),))] == 1
    assert m[("hq_conflicts_open_total", ())] == 1
    assert m[("hq_database_up", ())] == 1 and m[("hq_schema_version", ())] == len(STEPS)

    registry.revoke_store(server.db, "S3", hq_clock())  # cut off on purpose: not "silent"
    assert _scrape(server)[("hq_stores_silent", (("after_minutes", "15"),))] == 0


def _serve(db_url: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sync.hq.cli", "hq", "serve", "--db", db_url, "--port", "0",
                             "--sweep-interval", "0", "--metrics-token", TOKEN],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert found, line
    url = found.group(0)
    deadline = time.monotonic() + 30
    while True:  # the port is bound before uvicorn listens on it
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return proc, url
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def test_two_hq_processes_report_summed_request_counts(tmp_path):
    """prometheus_client multiprocess mode: PROMETHEUS_MULTIPROC_DIR shared by two HQs."""
    db_url = f"sqlite:///{tmp_path}/hq.db"
    db = open_database(db_url)
    migrate(db)
    token = registry.add_store(db, "S1", datetime.now(timezone.utc))
    db.close()
    (tmp_path / "prom").mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "PYTHONPATH": str(ROOT)}
    procs = [_serve(db_url, env) for _ in range(2)]
    try:
        for (_, url), pulls in zip(procs, (3, 2)):
            for _ in range(pulls):
                assert httpx.get(f"{url}/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        for _, url in procs:
            m = _samples(httpx.get(f"{url}/metrics", headers=OPERATOR).text)
            assert m[("hq_http_requests_total", (("endpoint", "/v1/sync/pull"), ("method", "GET"),
                                                 ("status", "200")))] == 5
            assert m[("hq_stores", ())] == 1
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(timeout=20)
