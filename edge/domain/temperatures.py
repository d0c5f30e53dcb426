"""The cold chain: fridges, the temperature record, and alarms a manager must acknowledge.

Readings are facts with ids: stored insert-only, a reading seen twice (re-sent, replayed) is
stored once, and each new one is an outbox event for HQ. Alarms:

* out of range: the first reading beyond the fridge's limit opens an *excursion*
  (``started_at``); if it is still out ``grace_s`` later the alarm is *raised* (audited,
  outbox ``alarm.raised``). A reading back in range clears it (``cleared_at``, audited; the
  sync protocol has no event for it yet). A short excursion that never outlasted the grace is
  kept, cleared and never raised: day-end counts it.
* silent: no reading from a probe for ``silent_s`` (unplugged, broken, port gone) is an alarm
  at once (the silence already was the grace). The next reading clears it.

A raised alarm is shown until a manager acknowledges it (PIN, note; audited, outbox
``alarm.acknowledged``), even if it has cleared: someone must look at the goods.
Readings are not audited one by one: the reading row is its own trace (probe, time, value).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

import edge.device_text  # noqa: F401  (registers dev.* strings)
from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, outbox
from edge.domain.errors import DomainError
from edge.store import Store

DEFAULT_MAX_C = {"chilled": 4.0, "frozen": -18.0}
DEFAULT_GRACE_S = 300
DEFAULT_SILENT_S = 120


@dataclass(frozen=True)
class Fridge:
    probe_id: str
    name: str
    zone: str  # chilled | frozen
    max_c: float
    min_c: float | None = None
    grace_s: int = DEFAULT_GRACE_S
    silent_s: int = DEFAULT_SILENT_S

    def out_of_range(self, celsius: float) -> float | None:
        """The limit broken by ``celsius``, or None when it is in range."""
        if celsius > self.max_c:
            return self.max_c
        if self.min_c is not None and celsius < self.min_c:
            return self.min_c
        return None


@dataclass(frozen=True)
class Alarm:
    id: int
    uid: str  # the alarm's id for HQ: unique across stores and rebuilt databases
    probe_id: str
    kind: str  # out_of_range | silent
    started_at: str
    peak_c: float | None
    limit_c: float | None
    raised_at: str | None
    cleared_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    note: str | None

    @property
    def active(self) -> bool:
        """Shown on every screen: raised and not yet acknowledged."""
        return self.raised_at is not None and self.acknowledged_at is None


@dataclass(frozen=True)
class FridgeState:
    fridge: Fridge
    last_c: float | None
    last_at: str | None
    alarms: list[Alarm]

    @property
    def state(self) -> str:
        """ok | out (beyond its limit now) | silent | alarm (raised, unacknowledged) | none."""
        if any(a.active for a in self.alarms):
            return "alarm"
        if any(a.kind == "silent" and a.cleared_at is None for a in self.alarms):
            return "silent"
        if self.last_c is None:
            return "none"
        return "out" if self.fridge.out_of_range(self.last_c) is not None else "ok"


@dataclass(frozen=True)
class TemperatureRecord:
    """What an auditor asks for: every reading of a fridge over a period, and its excursions."""

    fridge: Fridge
    start: datetime
    end: datetime
    readings: list[tuple[str, float]]
    alarms: list[Alarm]

    @property
    def min_c(self) -> float | None:
        return min((c for _, c in self.readings), default=None)

    @property
    def max_c(self) -> float | None:
        return max((c for _, c in self.readings), default=None)

    @property
    def mean_c(self) -> float | None:
        return sum(c for _, c in self.readings) / len(self.readings) if self.readings else None


# ---------------------------------------------------------------- fridges

def configure_fridges(store: Store, fridges: list[Fridge], *, actor: str = "config",
                      now: datetime | None = None) -> list[str]:
    """Make the fridges table match the configuration; changed ones are audited.

    Fridges no longer configured are deactivated, never deleted: their record stays.
    """
    now = now or utcnow()
    changed = []
    with write_tx(store.db):
        current = {f.probe_id: f for f in list_fridges(store.db, active_only=False)}
        active = {r[0]: r[1] for r in store.db.execute("SELECT probe_id, active FROM fridges")}
        for f in fridges:
            _check_fridge(f)
            if current.get(f.probe_id) == f and active.get(f.probe_id):
                continue
            store.db.execute(
                "INSERT OR REPLACE INTO fridges (probe_id, name, zone, min_c, max_c, grace_s,"
                " silent_s, active, updated_at) VALUES (?,?,?,?,?,?,?,1,?)",
                [f.probe_id, f.name, f.zone, f.min_c, f.max_c, f.grace_s, f.silent_s, iso(now)])
            audit.record(store.db, actor=actor, action="fridge.configured",
                         entity=f"probe:{f.probe_id}", at=now, detail=vars(f))
            changed.append(f.probe_id)
        gone = set(active) - {f.probe_id for f in fridges}
        for probe_id in sorted(gone):
            if active[probe_id]:
                store.db.execute("UPDATE fridges SET active = 0, updated_at = ? WHERE probe_id = ?",
                                 [iso(now), probe_id])
                audit.record(store.db, actor=actor, action="fridge.removed",
                             entity=f"probe:{probe_id}", at=now)
                changed.append(probe_id)
    return changed


def _check_fridge(f: Fridge) -> None:
    if f.zone not in DEFAULT_MAX_C:
        raise DomainError("dev.temp.bad_fridge", why=f"zone {f.zone}")
    if f.min_c is not None and f.min_c >= f.max_c:
        raise DomainError("dev.temp.bad_fridge", why=f"min {f.min_c} >= max {f.max_c}")
    if f.grace_s < 0 or f.silent_s <= 0:
        raise DomainError("dev.temp.bad_fridge", why="grace/silent")


_FRIDGE_COLS = "probe_id, name, zone, max_c, min_c, grace_s, silent_s"


def list_fridges(db: Database, *, active_only: bool = True) -> list[Fridge]:
    where = "WHERE active" if active_only else ""
    return [Fridge(*r) for r in db.execute(
        f"SELECT {_FRIDGE_COLS} FROM fridges {where} ORDER BY zone, probe_id")]


def get_fridge(db: Database, probe_id: str) -> Fridge | None:
    row = db.execute(f"SELECT {_FRIDGE_COLS} FROM fridges WHERE probe_id = ?", [probe_id]).fetchone()
    return Fridge(*row) if row else None


# ---------------------------------------------------------------- readings

def record_reading(store: Store, reading_id: str, probe_id: str, celsius: float, at: datetime,
                   *, seq: int | None = None, now: datetime | None = None) -> bool:
    """Store one reading (once per id) and evaluate the probe's alarms; True if it was new."""
    now = now or utcnow()
    db = store.db
    with write_tx(db):
        cur = db.execute(
            "INSERT OR IGNORE INTO temperature_readings (reading_id, probe_id, celsius, seq, at,"
            " received_at) VALUES (?,?,?,?,?,?)",
            [reading_id, probe_id, float(celsius), seq, iso(at), iso(now)])
        if cur.rowcount != 1:
            return False
        outbox.append(db, type="temperature.reading", entity=f"probe:{probe_id}", at=now,
                      payload={"reading_id": reading_id, "probe_id": probe_id,
                               "celsius": float(celsius), "seq": seq, "at": iso(at)})
        fridge = get_fridge(db, probe_id)
        if fridge is not None:
            _clear_silent(db, probe_id, at)
            _evaluate_reading(db, fridge, float(celsius), at)
    return True


def _evaluate_reading(db: Database, fridge: Fridge, celsius: float, at: datetime) -> None:
    limit = fridge.out_of_range(celsius)
    alarm = _open_alarm(db, fridge.probe_id, "out_of_range")
    if limit is None:
        if alarm is not None:
            _clear(db, alarm, at)
        return
    if alarm is None:
        db.execute("INSERT INTO probe_alarms (uid, probe_id, kind, started_at, peak_c, limit_c)"
                   " VALUES (?, ?, 'out_of_range', ?, ?, ?)",
                   [uuid.uuid4().hex, fridge.probe_id, iso(at), celsius, limit])
        alarm = _open_alarm(db, fridge.probe_id, "out_of_range")
        assert alarm is not None
    elif _worse(celsius, alarm):
        db.execute("UPDATE probe_alarms SET peak_c = ? WHERE id = ?", [celsius, alarm.id])
    _raise_if_due(db, fridge, alarm, at)


def _worse(celsius: float, alarm: Alarm) -> bool:
    if alarm.peak_c is None or alarm.limit_c is None:
        return True
    too_warm = alarm.peak_c > alarm.limit_c
    return celsius > alarm.peak_c if too_warm else celsius < alarm.peak_c


def _raise_if_due(db: Database, fridge: Fridge, alarm: Alarm, now: datetime) -> bool:
    if alarm.raised_at is not None:
        return False
    if now - parse_iso(alarm.started_at) < timedelta(seconds=fridge.grace_s):
        return False
    _raise(db, alarm, now)
    return True


def _raise(db: Database, alarm: Alarm, now: datetime) -> None:
    db.execute("UPDATE probe_alarms SET raised_at = ? WHERE id = ?", [iso(now), alarm.id])
    detail = {"alarm_id": alarm.uid, "probe_id": alarm.probe_id, "kind": alarm.kind,
              "started_at": alarm.started_at, "celsius": alarm.peak_c,
              "limit_celsius": alarm.limit_c}
    audit.record(db, actor="system", action="alarm.raised", entity=f"alarm:{alarm.id}", at=now,
                 detail=detail)
    outbox.append(db, type="alarm.raised", entity=f"alarm:{alarm.uid}", at=now,
                  payload={**detail, "at": iso(now)})


def _clear(db: Database, alarm: Alarm, at: datetime) -> None:
    db.execute("UPDATE probe_alarms SET cleared_at = ? WHERE id = ?", [iso(at), alarm.id])
    action = "alarm.cleared" if alarm.raised_at else "temperature.excursion"
    detail = {"alarm_id": alarm.uid, "probe_id": alarm.probe_id, "kind": alarm.kind,
              "started_at": alarm.started_at, "peak_c": alarm.peak_c, "cleared_at": iso(at)}
    # audit only: the sync protocol has no "cleared" event yet (HQ sees it in the readings)
    audit.record(db, actor="system", action=action, entity=f"alarm:{alarm.id}", at=at, detail=detail)


def _clear_silent(db: Database, probe_id: str, at: datetime) -> None:
    alarm = _open_alarm(db, probe_id, "silent")
    if alarm is not None:
        _clear(db, alarm, at)


# ---------------------------------------------------------------- periodic checks

def evaluate(store: Store, *, now: datetime | None = None,
             watching_since: datetime | None = None) -> list[int]:
    """Raise what is due by the clock alone: excursions past their grace, silent probes.

    ``watching_since`` is when the readers started: a probe is not called silent for the
    time the app itself was not running. Returns the ids of alarms raised.
    """
    now = now or utcnow()
    raised: list[int] = []
    if not _anything_due(store.db, now, watching_since):
        return raised  # the usual case: no write lock taken every few seconds
    with write_tx(store.db):
        for fridge in list_fridges(store.db):
            alarm = _open_alarm(store.db, fridge.probe_id, "out_of_range")
            if alarm is not None and _raise_if_due(store.db, fridge, alarm, now):
                raised.append(alarm.id)
            silent = _silent_since(store.db, fridge, now, watching_since)
            if silent is not None:
                raised.append(_raise_silent(store.db, fridge.probe_id, silent, now, "no_readings"))
    return raised


def _anything_due(db: Database, now: datetime, watching_since: datetime | None) -> bool:
    """Read-only pre-check of ``evaluate`` (re-checked under the write lock)."""
    for fridge in list_fridges(db):
        alarm = _open_alarm(db, fridge.probe_id, "out_of_range")
        if alarm is not None and alarm.raised_at is None and \
                now - parse_iso(alarm.started_at) >= timedelta(seconds=fridge.grace_s):
            return True
        if _silent_since(db, fridge, now, watching_since) is not None:
            return True
    return False


def _silent_since(db: Database, fridge: Fridge, now: datetime,
                  watching_since: datetime | None) -> datetime | None:
    if _open_alarm(db, fridge.probe_id, "silent") is not None:
        return None
    row = db.execute("SELECT MAX(at) FROM temperature_readings WHERE probe_id = ?",
                     [fridge.probe_id]).fetchone()
    candidates = [parse_iso(row[0])] if row[0] else []
    if watching_since is not None:
        candidates.append(watching_since)
    if not candidates:
        return None
    last = max(candidates)
    return last if now - last > timedelta(seconds=fridge.silent_s) else None


def report_silent(store: Store, probe_id: str, *, reason: str = "probe_silent",
                  now: datetime | None = None) -> int | None:
    """A reader says a probe went silent or its port is gone: raise a silent alarm (once)."""
    now = now or utcnow()
    with write_tx(store.db):
        if get_fridge(store.db, probe_id) is None or _open_alarm(store.db, probe_id, "silent"):
            return None
        row = store.db.execute("SELECT MAX(at) FROM temperature_readings WHERE probe_id = ?",
                               [probe_id]).fetchone()
        since = parse_iso(row[0]) if row[0] else now
        return _raise_silent(store.db, probe_id, since, now, reason)


def _raise_silent(db: Database, probe_id: str, since: datetime, now: datetime, reason: str) -> int:
    cur = db.execute("INSERT INTO probe_alarms (uid, probe_id, kind, started_at)"
                     " VALUES (?, ?, 'silent', ?)", [uuid.uuid4().hex, probe_id, iso(since)])
    alarm = _alarm_by_id(db, cur.lastrowid)
    assert alarm is not None
    _raise(db, alarm, now)
    audit.record(db, actor="system", action="probe.silent", entity=f"probe:{probe_id}", at=now,
                 detail={"reason": reason, "alarm_id": alarm.id})
    return alarm.id


# ---------------------------------------------------------------- acknowledging

def acknowledge_alarm(store: Store, alarm_id: int, manager_id: str, pin: str, note: str, *,
                      now: datetime | None = None) -> Alarm:
    """A manager confirms they saw the alarm and says what was done; a clerk is refused."""
    now = now or utcnow()
    note = (note or "").strip()
    if not note:
        raise DomainError("dev.temp.no_note")
    try:
        manager = clerks.authenticate_manager(store.db, manager_id, pin, now=now)
    except DomainError as exc:
        with write_tx(store.db):
            audit.record(store.db, actor=manager_id.strip() or "?", action="alarm.ack_refused",
                         entity=f"alarm:{alarm_id}", at=now, detail={"error": exc.code})
        raise
    with write_tx(store.db):
        alarm = _alarm_by_id(store.db, alarm_id)
        if alarm is None or alarm.raised_at is None:
            raise DomainError("dev.temp.unknown_alarm", alarm_id=alarm_id)
        if alarm.acknowledged_at is not None:
            raise DomainError("dev.temp.already_acknowledged", alarm_id=alarm_id,
                              by=alarm.acknowledged_by)
        store.db.execute("UPDATE probe_alarms SET acknowledged_by = ?, acknowledged_at = ?,"
                         " note = ? WHERE id = ?", [manager.clerk_id, iso(now), note, alarm_id])
        detail = {"alarm_id": alarm.uid, "probe_id": alarm.probe_id, "kind": alarm.kind,
                  "note": note}
        audit.record(store.db, actor=manager.clerk_id, action="alarm.acknowledged",
                     entity=f"alarm:{alarm_id}", at=now, detail=detail)
        outbox.append(store.db, type="alarm.acknowledged", entity=f"alarm:{alarm.uid}", at=now,
                      payload={**detail, "by": manager.clerk_id, "at": iso(now)})
    result = _alarm_by_id(store.db, alarm_id)
    assert result is not None
    return result


# ---------------------------------------------------------------- queries

_ALARM_COLS = ("id, uid, probe_id, kind, started_at, peak_c, limit_c, raised_at, cleared_at,"
               " acknowledged_by, acknowledged_at, note")


def _alarm_by_id(db: Database, alarm_id: int) -> Alarm | None:
    row = db.execute(f"SELECT {_ALARM_COLS} FROM probe_alarms WHERE id = ?", [alarm_id]).fetchone()
    return Alarm(*row) if row else None


def _open_alarm(db: Database, probe_id: str, kind: str) -> Alarm | None:
    row = db.execute(f"SELECT {_ALARM_COLS} FROM probe_alarms WHERE probe_id = ? AND kind = ?"
                     " AND cleared_at IS NULL ORDER BY id DESC LIMIT 1", [probe_id, kind]).fetchone()
    return Alarm(*row) if row else None


def get_alarm(db: Database, alarm_id: int) -> Alarm | None:
    return _alarm_by_id(db, alarm_id)


def active_alarms(db: Database) -> list[Alarm]:
    """Raised and not acknowledged, oldest first: the banner on every screen."""
    return [Alarm(*r) for r in db.execute(
        f"SELECT {_ALARM_COLS} FROM probe_alarms WHERE raised_at IS NOT NULL"
        " AND acknowledged_at IS NULL ORDER BY raised_at, id")]


def alarms_between(db: Database, start: datetime, end: datetime,
                   probe_id: str | None = None) -> list[Alarm]:
    """Alarms and excursions overlapping a period (day end, audits)."""
    sql = (f"SELECT {_ALARM_COLS} FROM probe_alarms WHERE started_at < ?"
           " AND (cleared_at IS NULL OR cleared_at >= ?)")
    params: list = [iso(end), iso(start)]
    if probe_id is not None:
        sql += " AND probe_id = ?"
        params.append(probe_id)
    return [Alarm(*r) for r in db.execute(sql + " ORDER BY started_at, id", params)]


def last_reading(db: Database, probe_id: str) -> tuple[float, str] | None:
    row = db.execute("SELECT celsius, at FROM temperature_readings WHERE probe_id = ?"
                     " ORDER BY at DESC LIMIT 1", [probe_id]).fetchone()
    return (row[0], row[1]) if row else None


def fridge_states(db: Database) -> list[FridgeState]:
    """Every active fridge with its last reading and its open or unacknowledged alarms."""
    result = []
    for fridge in list_fridges(db):
        last = last_reading(db, fridge.probe_id)
        alarms = [Alarm(*r) for r in db.execute(
            f"SELECT {_ALARM_COLS} FROM probe_alarms WHERE probe_id = ? AND (cleared_at IS NULL"
            " OR (raised_at IS NOT NULL AND acknowledged_at IS NULL)) ORDER BY id",
            [fridge.probe_id])]
        result.append(FridgeState(fridge, last[0] if last else None, last[1] if last else None,
                                  alarms))
    return result


def temperature_record(db: Database, probe_id: str, start: datetime,
                       end: datetime) -> TemperatureRecord:
    """Every reading of one fridge in [start, end), with the alarms of that period."""
    fridge = get_fridge(db, probe_id)
    if fridge is None:
        known = ", ".join(f.probe_id for f in list_fridges(db, active_only=False)) or "—"
        raise DomainError("dev.temp.unknown_fridge", probe_id=probe_id, known=known)
    readings = [(r[0], r[1]) for r in db.execute(
        "SELECT at, celsius FROM temperature_readings WHERE probe_id = ? AND at >= ? AND at < ?"
        " ORDER BY at", [probe_id, iso(start), iso(end)])]
    return TemperatureRecord(fridge, start, end, readings,
                             alarms_between(db, start, end, probe_id))


# ---------------------------------------------------------------- malformed lines

def count_line_error(store: Store, port: str, reason: str, raw: bytes = b"", *,
                     now: datetime | None = None) -> None:
    """Count a malformed probe line per port and reason (a diagnostic counter, not a fact)."""
    now = now or utcnow()
    with write_tx(store.db):
        store.db.execute(
            "INSERT INTO probe_line_errors (port, reason, count, last_at, last_raw)"
            " VALUES (?, ?, 1, ?, ?) ON CONFLICT (port, reason) DO UPDATE SET"
            " count = count + 1, last_at = excluded.last_at, last_raw = excluded.last_raw",
            [port, reason, iso(now), raw[:96].decode("ascii", "backslashreplace")])


def line_error_counts(db: Database) -> dict[tuple[str, str], int]:
    return {(r[0], r[1]): r[2] for r in db.execute(
        "SELECT port, reason, count FROM probe_line_errors ORDER BY port, reason")}
