"""Store tokens expire, can be rotated and revoked (``store-edge hq rotate-token`` /
``revoke-store``), on SQLite and PostgreSQL; the old token stops working at once."""

from __future__ import annotations

import httpx
import pytest

from sync.hq import registry
from sync.hq.cli import main


def _push(server, token: str) -> httpx.Response:
    return server.client.post("/v1/sync/push", json={"events": []}, headers={"Authorization": f"Bearer {token}"})


def test_rotate_and_revoke_from_the_command_line(hq_server, capsys):
    store = hq_server.add_store("S001")
    assert _push(hq_server, store.token).status_code == 200
    assert main(["hq", "rotate-token", "S001", "--db", hq_server.db_url]) == 0
    new = capsys.readouterr().out.strip()
    assert new.startswith("st_") and new != store.token
    assert _push(hq_server, store.token).status_code == 401  # the old one stops working
    assert _push(hq_server, new).status_code == 200

    assert main(["hq", "revoke-store", "S001", "--db", hq_server.db_url]) == 0
    assert "revoked" in capsys.readouterr().out
    r = _push(hq_server, new)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert main(["hq", "stores", "--db", hq_server.db_url]) == 0
    assert "S001" in (listing := capsys.readouterr().out) and "revoked" in listing

    assert main(["hq", "rotate-token", "S001", "--db", hq_server.db_url, "--token-days", "0"]) == 0
    again = capsys.readouterr().out.strip()
    assert _push(hq_server, again).status_code == 200  # a new token lets it back in
    assert main(["hq", "stores", "--db", hq_server.db_url]) == 0
    assert "token expires never" in capsys.readouterr().out
    assert main(["hq", "rotate-token", "S404", "--db", hq_server.db_url]) == 1
    assert "unknown_store" in capsys.readouterr().err


def test_tokens_expire(hq_server, hq_clock, capsys):
    token = registry.add_store(hq_server.db, "S001", hq_clock(), token_days=30)
    assert _push(hq_server, token).status_code == 200
    assert main(["hq", "stores", "--db", hq_server.db_url]) == 0
    assert "token expires 20" in capsys.readouterr().out
    hq_clock.advance(days=31)
    r = _push(hq_server, token)
    assert r.status_code == 401 and r.json()["error"] == "token_expired"
    assert "rotate-token" in r.json()["message"]
    assert hq_server.client.get("/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    fresh = registry.rotate_store_token(hq_server.db, "S001", hq_clock(), token_days=30)
    assert _push(hq_server, fresh).status_code == 200


def test_a_store_token_defaults_to_a_year(hq_server, hq_clock):
    registry.add_store(hq_server.db, "S001", hq_clock())
    [row] = registry.list_stores(hq_server.db)
    assert row[5] is not None and row[6] is None
    with pytest.raises(Exception):
        registry.add_store(hq_server.db, "S002", hq_clock(), token_days=-1)
