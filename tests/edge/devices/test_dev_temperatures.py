"""The cold chain: readings through a real pty into SQLite, alarms on an injected clock."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from devices.sim.probe import SimProbe
from devices.status import DeviceStatus
from edge.domain import audit, outbox, temperatures
from edge.domain.errors import DomainError
from edge.domain.temperatures import Fridge
from edge.services.probes import ProbeService, ProbeWriter
from tests.conftest import NOW

MILK = Fridge("F1", "奶柜", "chilled", 4.0, grace_s=300, silent_s=120)
FREEZER = Fridge("Z1", "冷冻柜", "frozen", -18.0, grace_s=300, silent_s=120)


def at(seconds: float):
    return NOW + timedelta(seconds=seconds)


@pytest.fixture
def fridges(store):
    temperatures.configure_fridges(store, [MILK, FREEZER], now=NOW)
    return store


def _read(store, rid: str, probe: str, celsius: float, seconds: float) -> bool:
    return temperatures.record_reading(store, rid, probe, celsius, at(seconds), now=at(seconds))


def test_readings_are_stored_once_by_id(fridges):
    assert _read(fridges, "r1", "F1", 3.2, 0) is True
    assert _read(fridges, "r1", "F1", 3.2, 0) is False  # re-sent: same fact
    assert fridges.db.execute("SELECT COUNT(*) FROM temperature_readings").fetchone()[0] == 1
    events = [e for e in outbox.events(fridges.db) if e["type"] == "temperature.reading"]
    assert [e["payload"]["reading_id"] for e in events] == ["r1"]


def test_out_of_range_beyond_grace_raises_an_alarm(fridges):
    _read(fridges, "a", "F1", 3.0, 0)
    _read(fridges, "b", "F1", 5.5, 10)       # excursion starts
    _read(fridges, "c", "F1", 6.5, 200)      # within the grace: no alarm yet
    assert temperatures.active_alarms(fridges.db) == []
    _read(fridges, "d", "F1", 6.0, 311)      # 301 s out of range: alarm
    [alarm] = temperatures.active_alarms(fridges.db)
    assert (alarm.kind, alarm.probe_id, alarm.peak_c, alarm.limit_c) == ("out_of_range", "F1", 6.5, 4.0)
    assert alarm.started_at == at(10).isoformat(timespec="milliseconds")
    assert [a["action"] for a in audit.for_entity(fridges.db, f"alarm:{alarm.id}")] == ["alarm.raised"]
    assert "alarm.raised" in [e["type"] for e in outbox.events(fridges.db)]
    _read(fridges, "e", "F1", 3.5, 400)      # back in range: cleared, still shown until acknowledged
    [still] = temperatures.active_alarms(fridges.db)
    assert still.cleared_at is not None


def test_short_excursion_is_kept_but_not_raised(fridges):
    _read(fridges, "a", "F1", 5.0, 0)
    _read(fridges, "b", "F1", 3.0, 120)      # door closed in time
    assert temperatures.active_alarms(fridges.db) == []
    [exc] = temperatures.alarms_between(fridges.db, at(-60), at(600), "F1")
    assert exc.raised_at is None and exc.cleared_at is not None


def test_grace_passes_by_the_clock_when_no_more_readings_come(fridges):
    _read(fridges, "a", "Z1", -12.0, 0)

    def raised(seconds: float) -> list[str]:
        ids = temperatures.evaluate(fridges, now=at(seconds), watching_since=at(0))
        return [temperatures.get_alarm(fridges.db, i).kind for i in ids]

    assert "out_of_range" not in raised(299)  # (both probes are silent by now: other test)
    assert raised(301) == ["out_of_range"]


def test_acknowledge_needs_a_manager_and_is_audited(fridges):
    _read(fridges, "a", "F1", 8.0, 0)
    _read(fridges, "b", "F1", 8.0, 400)
    [alarm] = temperatures.active_alarms(fridges.db)
    with pytest.raises(DomainError) as clerk:
        temperatures.acknowledge_alarm(fridges, alarm.id, "c01", "1111", "moved goods", now=at(500))
    assert clerk.value.code == "auth.not_manager"
    with pytest.raises(DomainError) as wrong_pin:
        temperatures.acknowledge_alarm(fridges, alarm.id, "m01", "0000", "moved goods", now=at(500))
    assert wrong_pin.value.code == "auth.failed"
    with pytest.raises(DomainError) as no_note:
        temperatures.acknowledge_alarm(fridges, alarm.id, "m01", "9999", "  ", now=at(500))
    assert no_note.value.code == "dev.temp.no_note"
    done = temperatures.acknowledge_alarm(fridges, alarm.id, "m01", "9999",
                                          "门没关好，商品已移到 2 号柜", now=at(500))
    assert (done.acknowledged_by, done.note) == ("m01", "门没关好，商品已移到 2 号柜")
    assert temperatures.active_alarms(fridges.db) == []
    actions = [(a["actor"], a["action"]) for a in audit.for_entity(fridges.db, f"alarm:{alarm.id}")]
    assert ("c01", "alarm.ack_refused") in actions and ("m01", "alarm.acknowledged") in actions
    assert "alarm.acknowledged" in [e["type"] for e in outbox.events(fridges.db)]
    with pytest.raises(DomainError) as twice:
        temperatures.acknowledge_alarm(fridges, alarm.id, "m01", "9999", "again", now=at(600))
    assert twice.value.code == "dev.temp.already_acknowledged"


def test_silent_probe_is_an_alarm_and_a_reading_clears_it(fridges):
    _read(fridges, "a", "F1", 3.0, 0)
    _read(fridges, "b", "Z1", -19.0, 0)
    assert temperatures.evaluate(fridges, now=at(100), watching_since=at(0)) == []
    raised = temperatures.evaluate(fridges, now=at(121), watching_since=at(0))
    assert {temperatures.get_alarm(fridges.db, i).kind for i in raised} == {"silent"}
    assert len(raised) == 2
    assert temperatures.evaluate(fridges, now=at(200), watching_since=at(0)) == []  # once
    _read(fridges, "c", "F1", 3.1, 210)
    states = {s.fridge.probe_id: s for s in temperatures.fridge_states(fridges.db)}
    assert states["F1"].state == "alarm"  # cleared but not yet acknowledged
    [f1] = [a for a in temperatures.active_alarms(fridges.db) if a.probe_id == "F1"]
    assert f1.cleared_at is not None


def test_app_downtime_is_not_called_silence(fridges):
    _read(fridges, "a", "F1", 3.0, 0)
    assert temperatures.evaluate(fridges, now=at(3600), watching_since=at(3590)) == []


def test_temperature_record_for_a_period(fridges):
    for i, c in enumerate([3.0, 3.5, 9.0, 9.5, 3.0]):
        _read(fridges, f"r{i}", "F1", c, i * 200)
    _read(fridges, "other", "Z1", -19.0, 100)
    rec = temperatures.temperature_record(fridges.db, "F1", at(0), at(24 * 3600))
    assert [c for _, c in rec.readings] == [3.0, 3.5, 9.0, 9.5, 3.0]
    assert (rec.min_c, rec.max_c) == (3.0, 9.5)
    [alarm] = rec.alarms
    assert alarm.raised_at is None  # out at 400 s and 600 s, back in range at 800 s: never raised
    with pytest.raises(DomainError):
        temperatures.temperature_record(fridges.db, "nope", at(0), at(1))


def _port(url: str, silent_after_s: float = 120.0):
    probe = lambda pid, name, zone, max_c: SimpleNamespace(  # noqa: E731
        probe_id=pid, fridge=name, zone=zone, max_c=max_c, grace_s=300.0, slave=None, register=0)
    return SimpleNamespace(url=url, protocol="ascii", baud=9600, poll_s=5.0,
                           silent_after_s=silent_after_s,
                           probes=[probe("F1", "奶柜", "chilled", 4.0), probe("Z1", "冷冻柜", "frozen", -18.0)])


def test_probe_readings_through_a_pty_into_the_store(store, wait_for):
    sim = SimProbe({"F1": 3.0, "Z1": -19.0}, noise_c=0.0)
    service = ProbeService(store.data_dir, [_port(sim.port)], evaluate_s=3600)
    service.start()
    try:
        wait_for(lambda: service.writer.ports[sim.port].state == "online")
        wait_for(lambda: temperatures.list_fridges(store.db))
        for _ in range(3):
            sim.emit()
        sim.send_garbage(b"\x00\xffnoise\r\n")
        sim.send_raw(b"T,F1,abc,9\r\n")
        sim.send_raw(b"T,F1,3.0,10*00\r\n")  # wrong checksum
        count = lambda: store.db.execute("SELECT COUNT(*) FROM temperature_readings").fetchone()[0]  # noqa: E731
        wait_for(lambda: count() == 6)
        errors = wait_for(lambda: (e := temperatures.line_error_counts(store.db)) and sum(e.values()) == 3 and e)
        reasons = {reason for (_, reason) in errors}
        assert len(reasons) == 3 and {"bad_number", "bad_checksum"} <= reasons  # + not_ascii
        service.writer.put("status", DeviceStatus("Z1", "silent", "probe_silent"))
        wait_for(lambda: temperatures.active_alarms(store.db))
        [alarm] = temperatures.active_alarms(store.db)
        assert (alarm.probe_id, alarm.kind) == ("Z1", "silent")
    finally:
        service.stop()
    rows = store.db.execute("SELECT probe_id, celsius FROM temperature_readings ORDER BY at").fetchall()
    assert sorted({r[0] for r in rows}) == ["F1", "Z1"] and (("F1", 3.0) in rows)


def test_the_same_probe_line_twice_is_stored_once(store, wait_for):
    """A probe (or a flaky RS-485 repeater) resending its line is one reading, not two."""
    sim = SimProbe({"F1": 3.0, "Z1": -19.0}, noise_c=0.0)
    service = ProbeService(store.data_dir, [_port(sim.port)], evaluate_s=3600)
    service.start()
    count = lambda: store.db.execute("SELECT COUNT(*) FROM temperature_readings").fetchone()[0]  # noqa: E731
    try:
        wait_for(lambda: service.writer.ports[sim.port].state == "online")
        sim.send_raw(b"T,F1,3.10,41\r\n")
        sim.send_raw(b"T,F1,3.10,41\r\n")  # the same line again
        sim.send_raw(b"T,F1,3.20,42\r\n")  # lines arrive in order: this one comes after
        wait_for(lambda: count() >= 2)
        sim.send_raw(b"T,F1,3.30,0\r\n")   # the probe restarted: its counter went back
        wait_for(lambda: count() >= 3)  # only after the restart's line: the repeat was not kept
    finally:
        service.stop()
    rows = store.db.execute("SELECT seq FROM temperature_readings ORDER BY received_at, seq").fetchall()
    assert sorted(r[0] for r in rows) == [0, 41, 42]
    assert count() == 3


def test_writer_survives_a_reading_for_an_unknown_probe(store, wait_for):
    writer = ProbeWriter(store.data_dir, [MILK], evaluate_s=3600)
    writer.start()
    try:
        from devices.probes import Reading

        writer.put("reading", Reading("X9", 5.0, 1))
        writer.put("reading", Reading("F1", 3.0, 1))
        wait_for(lambda: store.db.execute("SELECT COUNT(*) FROM temperature_readings").fetchone()[0] == 2)
    finally:
        writer.stop()


def test_cold_chain_events_match_the_sync_protocol(fridges):
    from sync.protocol import EVENT_PAYLOADS, parse_payload

    _read(fridges, "a", "F1", 9.0, 0)
    _read(fridges, "b", "F1", 9.0, 400)
    temperatures.evaluate(fridges, now=at(1000), watching_since=at(0))  # both probes silent
    for alarm in temperatures.active_alarms(fridges.db):
        temperatures.acknowledge_alarm(fridges, alarm.id, "m01", "9999", "checked", now=at(1100))
    events = outbox.events(fridges.db)
    kinds = {e["type"] for e in events}
    assert {"temperature.reading", "alarm.raised", "alarm.acknowledged"} <= kinds
    assert kinds <= set(EVENT_PAYLOADS)  # nothing HQ would refuse as an unknown type
    for event in events:
        parse_payload(event["type"], event["payload"], EVENT_PAYLOADS)
    raised = [e["payload"] for e in events if e["type"] == "alarm.raised"]
    assert len({p["alarm_id"] for p in raised}) == 3 and all(len(p["alarm_id"]) == 32 for p in raised)


def test_modbus_probes_from_config_feed_the_store(store, wait_for):
    from devices.config import parse_devices_config
    from devices.sim.modbus_slave import SimModbusSlave

    with SimModbusSlave({1: 3.5, 2: -19.0}) as slave:
        cfg = parse_devices_config({"probes": [{
            "url": slave.port, "protocol": "modbus", "poll_s": 0.05,
            "probes": [{"probe_id": "F1", "fridge": "奶柜", "zone": "chilled", "slave": 1},
                       {"probe_id": "Z1", "fridge": "冷冻柜", "zone": "frozen", "slave": 2}]}]})
        service = ProbeService(store.data_dir, cfg.probes, evaluate_s=3600).start()
        try:
            wait_for(lambda: {s.fridge.probe_id: s.last_c for s in temperatures.fridge_states(store.db)}
                     == {"F1": 3.5, "Z1": -19.0})
        finally:
            service.stop()
    assert {(f.probe_id, f.max_c) for f in temperatures.list_fridges(store.db)} == {("F1", 4.0), ("Z1", -18.0)}


def test_temps_record_cli_gives_an_auditor_every_reading(store, capsys):
    """`store-edge temps record`: text, csv and json; an unknown fridge or a bad date says so."""
    import json as _json
    from datetime import datetime, timedelta, timezone

    from edge.cli import main
    from edge.domain import temperatures as temps

    temps.configure_fridges(store, [temps.Fridge("F1", "奶柜 Dairy", "chilled", 4.0)])
    start = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    for i, celsius in enumerate((3.1, 3.4, 2.9)):
        temps.record_reading(store, f"r{i}", "F1", celsius, start + timedelta(minutes=i))
    args = ["--data-dir", str(store.data_dir), "--lang", "en", "temps", "record", "F1",
            "--from", "2026-11-01T00:00+00:00", "--to", "2026-11-02T00:00+00:00"]
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "3 readings" in out and "low 2.9" in out and "high 3.4" in out
    assert main(args + ["--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "2026-11-01T08:00:00.000+00:00,3.1", "2026-11-01T08:01:00.000+00:00,3.4",
        "2026-11-01T08:02:00.000+00:00,2.9"]
    assert main(args + ["--format", "json"]) == 0
    assert len(_json.loads(capsys.readouterr().out)["readings"]) == 3
    assert main(args[:6] + ["F9", "--from", "2026-11-01"]) == 1
    assert main(args[:7] + ["--from", "last week"]) == 2


def test_status_bar_alarm_words_follow_the_fridge_back_to_normal(fridges):
    """Issue 9 #8: the status bar kept saying "奶柜 6.5°C" after the fridge recovered."""
    from edge.ui.devices_link import _alarm_summary

    _read(fridges, "a", "F1", 3.0, 0)
    _read(fridges, "b", "F1", 6.5, 10)
    _read(fridges, "c", "F1", 6.0, 320)
    count, words = _alarm_summary(fridges, "en")
    assert count == 1 and "6.5" in words and "back to normal" not in words
    _read(fridges, "d", "F1", 3.5, 400)  # recovered; the alarm waits for a manager
    count, words = _alarm_summary(fridges, "en")
    assert count == 1 and "back to normal" in words and "peak 6.5" in words
    count, words = _alarm_summary(fridges, "zh-CN")
    assert "已恢复" in words
