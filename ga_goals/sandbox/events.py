"""The sandbox's events: one DuckDB file per property, in the GA4 BigQuery export schema.

Layout::

    state_dir/events/<property id>.duckdb   an ga_goals.events.EventStore: the ``events`` table
                                            (export columns + ``_row_hash``) and
                                            ``sandbox_events_log``, one row per load or
                                            generation (what, when, which dates)

One file per property keeps every query of the Data API on one property's table (no
``property_id`` column to forget) and lets ``ga-goals sandbox load --property N`` replace one
property's events without touching another's.

**Default traffic.** A property whose file has never been loaded or generated gets, on the first
Data API call, the deterministic shop traffic of :func:`ga_goals.events.generate`: 8 weeks ending
yesterday in the property's time zone, 5,000 users, seed = the property id (so the example shop
plan shows meaningful funnels out of the box). Generating takes 5 to 7 s on an idle machine
(measured: 5.2 s and 7.5 s for 81,560 events, most of it DuckDB inserting the rows) and up to 15 s
on a loaded one, so the result is also kept in a cache folder (``$GA_GOALS_EVENTS_CACHE``, default
``$XDG_CACHE_HOME/ga-goals/events``; ``off`` disables it) keyed by dates, users, seed and the
generator's source: another state folder (every test's) copies the 10 MB file instead of
generating again. The cache keeps one file per (seed, users), the newest: a new day's traffic
replaces the day before's (:func:`_prune_cache`). Default traffic that has gone stale (its last
day is before yesterday) is replaced by fresh default traffic on the next call of a new day, so
the first report of a day waits for one generation. Loaded or explicitly generated events are
never replaced behind the user's back, so they do not move with the calendar: a report over a
later period finds no events (:func:`coverage_warnings` says so).
(The generator writes ``event_date`` as the UTC date of each event; the sandbox does not shift
it to the property's time zone.)

**Processes.** DuckDB lets one process open a database file. The server opens a property's file
on its first Data API call and keeps it open until it stops; ``ga-goals sandbox load`` and
``generate`` build the new file next to the old one (a copy, loaded whole or not at all) and
move it into place, and refuse with a clear message while a server (another process, or this
one) has it open. ``ga-goals sandbox status`` only reads (read-only, no generation).

This module imports neither grpc nor (until a method needs it) DuckDB.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ga_goals.errors import GaGoalsError
from ga_goals.reports.periods import today_in  # one "today" for reports and the sandbox

if TYPE_CHECKING:
    from ga_goals.events import EventStore, GenerationResult, LoadResult
    from ga_goals.model import EnhancedMeasurement

#: Default traffic: weeks ending yesterday, users.
DEFAULT_WEEKS = 8
DEFAULT_USERS = 5000
#: Environment variable naming the cache folder of generated traffic ("off" disables it).
CACHE_ENV = "GA_GOALS_EVENTS_CACHE"
#: Cached files older than this many days are removed when a new one is written (whatever their
#: seed); of one seed and user count only the newest is kept anyway.
CACHE_DAYS = 3

LOG_TABLE = "sandbox_events_log"
_LOG_DDL = (
    f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (logged_at TIMESTAMP, origin VARCHAR, detail VARCHAR, "
    "start_date DATE, end_date DATE, users BIGINT, seed BIGINT, rows_read BIGINT, rows_inserted BIGINT)"
)
#: ``origin`` values of the log.
DEFAULT, GENERATED, LOADED, REPLACED = "default", "generate", "load", "replace"

_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
_PARQUET_SUFFIXES = (".parquet", ".pq")


class EventsInUse(GaGoalsError):
    """The events file of a property is open in another process (or in a server of this one)."""


@dataclass(frozen=True)
class EventSummary:
    """What a property's events file holds (for ``sandbox status``)."""

    events: int
    users: int
    first: date | None
    last: date | None
    dates: int
    origin: str | None  # the latest log entry's origin ("default", "generate", "load"), None if none

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "users": self.users,
            "first_date": self.first.isoformat() if self.first else None,
            "last_date": self.last.isoformat() if self.last else None,
            "dates": self.dates,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class FileLoad:
    """One file of a load: its rows, the new ones, the ones already stored (or repeated)."""

    path: str
    read: int
    inserted: int

    @property
    def duplicates(self) -> int:
        return self.read - self.inserted


def default_range(time_zone: str, today: date | None = None, weeks: int = DEFAULT_WEEKS) -> tuple[date, date]:
    """``weeks`` weeks ending yesterday in ``time_zone`` (an IANA name)."""
    end = (today or today_in(time_zone)) - timedelta(days=1)
    return end - timedelta(days=7 * weeks - 1), end


def default_seed(property_id: str) -> int:
    return int(property_id)


def cache_dir() -> Path | None:
    """The cache folder of generated traffic, or None when disabled."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit is not None:
        if explicit.strip().lower() in ("", "0", "off", "no", "false"):
            return None
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ga-goals" / "events"


def _generator_fingerprint() -> str:
    """Changes whenever the generated rows could change: the generator's and schema's source, DuckDB."""
    import duckdb

    from ga_goals.events import generator, schema
    from ga_goals.model import enhanced_measurement

    digest = hashlib.sha256(duckdb.__version__.encode())
    for module in (generator, schema, enhanced_measurement):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:12]


def file_kind(path: str | os.PathLike[str]) -> str:
    """``jsonl`` or ``parquet`` from a file name (``.gz`` allowed on JSON lines)."""
    name = str(path).lower()
    name = name.removesuffix(".gz")
    if name.endswith(_JSON_SUFFIXES):
        return "jsonl"
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    raise GaGoalsError(
        f"{path}: unknown file type; use JSON lines (.jsonl, .ndjson, .json, optionally .gz) or Parquet (.parquet) "
        "exported from the GA4 BigQuery export"
    )


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text or "in use" in text)


#: DuckDB names the holder of a lock: ``Conflicting lock is held in /usr/bin/python3 (PID 123)``.
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def _in_use(path: Path, detail: str = "") -> EventsInUse:
    """The sandbox folder of ``path`` (``state_dir/events/N.duckdb``) is held by another process:
    which one when DuckDB says, and what to do."""
    folder = path.parent.parent if path.parent.name == "events" else path.parent
    holder = _HOLDER.search(detail)
    if holder:
        who = f"another process (PID {holder['pid']}, {Path(holder['program']).name})"
    else:
        who = detail.strip() or "another process"
    # One message that also crosses gRPC (a sandbox server sends it as its error's text).
    return EventsInUse(
        f"the sandbox folder {folder} is in use by {who}: DuckDB lets one process open its events "
        f"({path.name}). If it is `ga-goals sandbox serve`, use its address with --sandbox-address "
        "HOST:PORT instead of --sandbox-dir; otherwise stop it, or wait for it to finish, and re-run."
    )


def _open_store(path: Path, *, read_only: bool = False) -> EventStore:
    import duckdb

    from ga_goals.events import EventStore

    try:
        store = EventStore(path, read_only=read_only)
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            raise _in_use(path, str(exc)) from None
        raise GaGoalsError(f"cannot open the sandbox events database {path}: {exc}") from exc
    if not read_only:
        store.connection.execute(_LOG_DDL)
    return store


def _log(store: EventStore, origin: str, detail: str = "", **values: Any) -> None:
    columns = ["logged_at", "origin", "detail", *values]
    placeholders = ", ".join("?" for _ in columns)
    store.connection.execute(
        f"INSERT INTO {LOG_TABLE} ({', '.join(columns)}) VALUES ({placeholders})",
        [datetime.now(timezone.utc).replace(tzinfo=None), origin, detail, *values.values()],
    )


def _default_detail(key: str) -> str:
    """The log's ``detail`` of default traffic generated under settings that change it by ``key``."""
    return "default shop traffic" + (f" ({key})" if key else "")


def _last_detail(store: EventStore) -> str:
    row = store.connection.execute(f"SELECT detail FROM {LOG_TABLE} ORDER BY logged_at DESC LIMIT 1").fetchone()
    return str(row[0]) if row else ""


def _log_rows(store: EventStore) -> list[tuple[str, date | None, date | None]]:
    """(origin, start, end) of every log entry, oldest first ([] when the table does not exist)."""
    con = store.connection
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [LOG_TABLE]
    ).fetchone()
    if not exists or not exists[0]:
        return []
    return [tuple(r) for r in con.execute(f"SELECT origin, start_date, end_date FROM {LOG_TABLE} ORDER BY logged_at").fetchall()]


class _RWLock:
    """Many readers or one writer (writers wait for readers to finish; new readers wait for writers)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class _Open:
    """One property's open events file in a server."""

    def __init__(self) -> None:
        self.lock = _RWLock()
        self.store: EventStore | None = None
        #: The day (property time zone) the default traffic was last checked, and what the stream's
        #: enhanced measurement settings changed in the traffic then (``traffic_key``).
        self.checked: tuple[date, str] | None = None


#: Paths of events files open in this process (servers), so a load in the same process refuses too.
_OPEN_PATHS: set[str] = set()
_OPEN_LOCK = threading.Lock()


class SandboxEvents:
    """The events of every sandbox property in ``state_dir/events``.

    A server calls :meth:`reading` per request (it opens the file once, generating the default
    traffic when needed) and :meth:`close` when it stops; the CLI calls :meth:`load`,
    :meth:`generate` and :meth:`summary`.
    """

    def __init__(self, state_dir: Path | str, *, default_users: int = DEFAULT_USERS, default_weeks: int = DEFAULT_WEEKS) -> None:
        self.state_dir = Path(state_dir)
        self.dir = self.state_dir / "events"
        self.default_users = default_users
        self.default_weeks = default_weeks
        self._open: dict[str, _Open] = {}
        self._lock = threading.Lock()
        #: Seconds the last default generation (or cache copy) took, and whether it came from the cache.
        self.last_default: tuple[float, bool] | None = None

    def __repr__(self) -> str:
        return f"SandboxEvents({str(self.dir)!r})"

    def path(self, property_id: str) -> Path:
        from ga_goals.sandbox.store import check_property_id

        return self.dir / f"{check_property_id(property_id)}.duckdb"

    def exists(self, property_id: str) -> bool:
        return self.path(property_id).is_file()

    # -- the server side -----------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self, property_id: str, time_zone: str = "UTC") -> Iterator[Any]:
        """A DuckDB cursor on the property's events for this thread, default traffic ensured."""
        from ga_goals.events.generator import traffic_key

        with self._lock:
            entry = self._open.setdefault(property_id, _Open())
        settings = self.stream_settings(property_id)
        mark = (today_in(time_zone), traffic_key(settings))
        if entry.store is None or entry.checked != mark:
            with entry.lock.write():
                if entry.store is None or entry.checked != mark:
                    self._prepare(property_id, entry, time_zone, mark, settings)
        with entry.lock.read():
            assert entry.store is not None
            cursor = entry.store.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    def stream_settings(self, property_id: str) -> EnhancedMeasurement:
        """The enhanced measurement settings the property's traffic comes in under (its first web
        stream's, as the sandbox's Admin API holds them)."""
        from ga_goals.sandbox.admin_enhanced_measurement import property_settings
        from ga_goals.sandbox.store import SandboxStore

        return property_settings(SandboxStore(self.state_dir).load(property_id))

    def _prepare(
        self, property_id: str, entry: _Open, time_zone: str, mark: tuple[date, str], settings: EnhancedMeasurement
    ) -> None:
        """Open the file; give a property without events the default traffic, refresh stale default
        traffic: of an earlier day, or generated under other enhanced measurement settings."""
        today, key = mark
        path = self.path(property_id)
        if entry.store is None:
            entry.store = self._register(_open_store(path))
        log = _log_rows(entry.store)
        if not log and entry.store.count():
            # Events put there some other way (an EventStore of one's own): never replace them.
            _log(entry.store, LOADED, "events found in the file")
            log = _log_rows(entry.store)
        start, end = default_range(time_zone, today, self.default_weeks)
        only_default = bool(log) and all(origin == DEFAULT for origin, _s, _e in log)
        stale = only_default and (log[-1][2] != end or _last_detail(entry.store) != _default_detail(key))
        if not log or stale:
            self._close_entry(entry)
            began = time.perf_counter()
            cached = self._write_default(path, property_id, start, end, settings)
            self.last_default = (time.perf_counter() - began, cached)
            entry.store = self._register(_open_store(path))
        entry.checked = mark

    def _register(self, store: EventStore) -> EventStore:
        with _OPEN_LOCK:
            _OPEN_PATHS.add(os.path.abspath(store.path))
        return store

    def _close_entry(self, entry: _Open) -> None:
        if entry.store is not None:
            with _OPEN_LOCK:
                _OPEN_PATHS.discard(os.path.abspath(entry.store.path))
            entry.store.close()
            entry.store = None

    def close(self) -> None:
        """Close every open file (the server stops)."""
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
        for entry in entries:
            with entry.lock.write():
                self._close_entry(entry)

    def _write_default(
        self, path: Path, property_id: str, start: date, end: date, settings: EnhancedMeasurement | None = None
    ) -> bool:
        """Put the default traffic at ``path`` (from the cache when possible); True if it came from the cache.

        ``settings``: the enhanced measurement settings it is generated under (default: the
        property's, :meth:`stream_settings`)."""
        from ga_goals.events.generator import traffic_key

        if settings is None:
            settings = self.stream_settings(property_id)
        users, seed = self.default_users, default_seed(property_id)
        key = traffic_key(settings)
        folder = cache_dir()
        cached: Path | None = None
        if folder is not None:
            # Traffic under other enhanced measurement settings is other traffic, cached apart.
            variant = f"em{hashlib.sha256(key.encode()).hexdigest()[:8]}" if key else ""
            cached = folder / _cache_name(start, end, users, seed, _generator_fingerprint(), variant)
            if cached.is_file():
                with contextlib.suppress(FileNotFoundError):  # pruned by another process meanwhile: generate
                    _copy_into_place(cached, path)
                    return True
        tmp = _temp_beside(path)
        try:
            from ga_goals.events import generate

            with _open_store(tmp) as store:
                result = generate(store, start, end, users=users, seed=seed, enhanced_measurement=settings)
                _log(store, DEFAULT, _default_detail(key), start_date=start, end_date=end, users=users, seed=seed,
                     rows_read=result.events, rows_inserted=result.inserted)
            if cached is not None:
                with contextlib.suppress(OSError):
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    _copy_into_place(tmp, cached)
                    _prune_cache(cached.parent, keep=cached)
            _remove_wal(path)
            os.replace(tmp, path)
        finally:
            _remove_database(tmp)
        return False

    # -- the CLI side ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _staged(self, property_id: str, replace: bool) -> Iterator[EventStore]:
        """A copy of the property's file to change; moved into place when the block succeeds."""
        path = self.path(property_id)
        with _OPEN_LOCK:
            if os.path.abspath(path) in _OPEN_PATHS:
                raise _in_use(path, "a sandbox server in this process")
        self.dir.mkdir(parents=True, exist_ok=True)
        if path.exists():
            # Opening takes DuckDB's lock (so a server elsewhere is detected) and folds any WAL in.
            _open_store(path).close()
        tmp = _temp_beside(path)
        try:
            if path.exists() and not replace:
                shutil.copyfile(path, tmp)
            with _open_store(tmp) as store:
                yield store
            _remove_wal(path)
            os.replace(tmp, path)
        finally:
            _remove_database(tmp)

    def load(self, property_id: str, files: Sequence[str | os.PathLike[str]], *, replace: bool = False) -> list[FileLoad]:
        """Load export files (JSON lines or Parquet) into a property: all of them or none."""
        kinds = [(str(f), file_kind(f)) for f in files]
        for name, _kind in kinds:
            if not any(ch in name for ch in "*?[") and not Path(name).is_file():
                raise GaGoalsError(f"{name}: no such file")
        out: list[FileLoad] = []
        with self._staged(property_id, replace) as store:
            if replace:
                _log(store, REPLACED, "events replaced")
            for name, kind in kinds:
                result: LoadResult = store.load_jsonl(name) if kind == "jsonl" else store.load_parquet(name)
                out.append(FileLoad(name, result.read, result.inserted))
                _log(store, LOADED, os.path.basename(name), rows_read=result.read, rows_inserted=result.inserted)
        return out

    def generate(
        self,
        property_id: str,
        start: date,
        end: date,
        *,
        users: int = DEFAULT_USERS,
        seed: int | None = None,
        replace: bool = False,
    ) -> GenerationResult:
        """Add (or with ``replace``, put instead) generated shop traffic to a property, as its web
        stream's enhanced measurement settings let GA4 collect it."""
        from ga_goals.events import generate

        seed = default_seed(property_id) if seed is None else seed
        settings = self.stream_settings(property_id)
        with self._staged(property_id, replace) as store:
            result = generate(store, start, end, users=users, seed=seed, enhanced_measurement=settings)
            _log(store, GENERATED, "ga-goals sandbox generate", start_date=start, end_date=end, users=users, seed=seed,
                 rows_read=result.events, rows_inserted=result.inserted)
        return result

    def export(
        self,
        property_id: str,
        state: dict[str, Any] | None,
        folder: str | os.PathLike[str],
        *,
        time_zone: str = "UTC",
        start: date | None = None,
        end: date | None = None,
    ) -> list[Path]:
        """Write the property's events as GA4's BigQuery export would hold them: one Parquet file per
        day, ``events_YYYYMMDD.parquet``, with the export's columns (``_row_hash`` left out) and the
        events the property's event create rules create (GA4 exports those too). Returns the files.
        """
        from ga_goals.events.schema import COLUMNS
        from ga_goals.sandbox.reporting import events_source

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        relation = events_source(state)
        columns = ", ".join(COLUMNS)
        written = []
        with self.reading(property_id, time_zone) as con:
            days = [
                row[0]
                for row in con.execute(
                    f"SELECT DISTINCT event_date FROM {relation} AS t WHERE event_date BETWEEN ? AND ? ORDER BY 1",
                    [(start or date.min).strftime("%Y%m%d"), (end or date.max).strftime("%Y%m%d")],
                ).fetchall()
            ]
            for day in days:
                path = out / f"events_{day}.parquet"
                target = str(path).replace("'", "''")
                con.execute(
                    f"COPY (SELECT {columns} FROM {relation} AS t WHERE event_date = '{day}' "
                    f"ORDER BY user_pseudo_id, event_timestamp) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
                )
                written.append(path)
        return written

    def remove(self, property_id: str | None = None) -> list[str]:
        """Delete one property's events file (or every one); the ids whose file existed.

        Refuses (:class:`EventsInUse`) while a server holds a file.
        """
        if property_id is not None:
            paths = [self.path(property_id)]
        else:
            paths = sorted(self.dir.glob("*.duckdb")) if self.dir.is_dir() else []
        removed = []
        for path in paths:
            if not path.is_file():
                continue
            with _OPEN_LOCK:
                if os.path.abspath(path) in _OPEN_PATHS:
                    raise _in_use(path, "a sandbox server in this process")
            _open_store(path, read_only=True).close()  # DuckDB's lock: is another process using it?
            _remove_database(path)
            removed.append(path.stem)
        return removed

    def summary(self, property_id: str) -> EventSummary | None:
        """Counts and dates of a property's events without changing anything; None when it has no file.

        Raises :class:`EventsInUse` when another process holds the file.
        """
        path = self.path(property_id)
        if not path.is_file():
            return None
        with _OPEN_LOCK:
            open_here = os.path.abspath(path) in _OPEN_PATHS
        if open_here:
            raise _in_use(path, "a sandbox server in this process")
        with _open_store(path, read_only=True) as store:
            con = store.connection
            row = con.execute(
                "SELECT count(*), count(DISTINCT user_pseudo_id), min(event_date), max(event_date), "
                "count(DISTINCT event_date) FROM events"
            ).fetchone()
            log = _log_rows(store)
        assert row is not None
        events, users, low, high, dates = row
        return EventSummary(
            events=int(events),
            users=int(users),
            first=_parse_day(low),
            last=_parse_day(high),
            dates=int(dates),
            origin=log[-1][0] if log else None,
        )


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.duckdb")


def _remove_database(path: Path) -> None:
    for candidate in (path, Path(str(path) + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


def _remove_wal(path: Path) -> None:
    """A write-ahead log left beside a database file belongs to the old file: drop it before replacing the file."""
    with contextlib.suppress(FileNotFoundError):
        Path(str(path) + ".wal").unlink()


def _copy_into_place(source: Path, target: Path) -> None:
    """Copy a closed database file to ``target`` atomically (a temporary file, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(target)
    try:
        shutil.copyfile(source, tmp)
        _remove_wal(target)
        os.replace(tmp, target)
    finally:
        _remove_database(tmp)


def _cache_name(start: date, end: date, users: int, seed: int, fingerprint: str, variant: str = "") -> str:
    """``variant``: ``em<hash>`` for traffic under enhanced measurement settings that change it."""
    return f"shop-{start:%Y%m%d}-{end:%Y%m%d}-u{users}-s{seed}{f'-{variant}' if variant else ''}-{fingerprint}.duckdb"


_CACHE_NAME = re.compile(r"shop-\d{8}-\d{8}-(u\d+-s-?\d+(?:-em[0-9a-f]+)?)-\w+\.duckdb")


def _prune_cache(folder: Path, keep: Path) -> None:
    """After writing ``keep``: remove the other files of its seed, user count and enhanced
    measurement variant (older days, an older generator), and any file not written for
    :data:`CACHE_DAYS` days."""
    limit = time.time() - CACHE_DAYS * 86400
    same = _CACHE_NAME.fullmatch(keep.name)
    for old in folder.glob("shop-*.duckdb"):
        if old == keep:
            continue
        other = _CACHE_NAME.fullmatch(old.name)
        with contextlib.suppress(OSError):
            if (same and other and other.group(1) == same.group(1)) or old.stat().st_mtime < limit:
                old.unlink()


def coverage_warnings(
    property_id: str, first: date | None, last: date | None, spans: Sequence[tuple[str, date, date]]
) -> list[str]:
    """What to tell a report's reader when its periods (``(what, start, end)``, e.g. the current
    and the comparison period) reach outside the days the sandbox property has events for.

    Events loaded or generated with explicit dates stay on those dates while the calendar moves
    on; a report over a later period then shows zeros, and its alerts compare zeros with real
    numbers (or real numbers with zeros) and fire for nothing.
    """
    if first is None or last is None:
        return [f"sandbox property {property_id} has no events: every number of the report is zero"]
    out = []
    for what, start, end in spans:
        if start >= first and end <= last:
            continue
        overlap = start <= last and end >= first
        out.append(
            f"the {what} period {start} .. {end} is {'partly ' if overlap else ''}outside the events of sandbox "
            f"property {property_id} ({first} .. {last}): loaded or generated events stay on their dates, so "
            f"the report shows {'fewer events than there would be' if overlap else 'zeros'} there and its "
            f"alerts may fire for nothing; report on --start {first} --end {last}, or give the property "
            f"traffic ending yesterday: ga-goals sandbox generate --replace"
        )
    return out


__all__ = [
    "DEFAULT_USERS",
    "DEFAULT_WEEKS",
    "EventSummary",
    "EventsInUse",
    "FileLoad",
    "SandboxEvents",
    "coverage_warnings",
    "default_range",
    "file_kind",
    "today_in",
]
