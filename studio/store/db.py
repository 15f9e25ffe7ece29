"""The job store: one SQLite file holding every `JobRecord` the studio has made or found.

Stdlib `sqlite3` only, no Qt. Each row keeps the whole record as JSON in `data` (the source of
truth, so a new record field needs no migration); the other columns copy what filters and
sorting need, so a search over a large history runs on indexes rather than parsing JSON.

The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[i]` brings version i to i+1.
A file written by a newer studio is refused before anything touches it (see `NewerSchemaError`).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studio.store.query import JobQuery
from studio.store.records import JobRecord, Status

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 5.0  # seconds another process may hold the file before we give up

MIGRATIONS: list[str] = [
    # 0 -> 1: the jobs and their tags.
    """
    CREATE TABLE jobs (
        key TEXT PRIMARY KEY,
        job_id TEXT UNIQUE,
        op TEXT NOT NULL,
        task_type TEXT,
        model TEXT,
        status TEXT NOT NULL,
        prompt TEXT,
        notes TEXT NOT NULL DEFAULT '',
        parent_job_id TEXT,
        parent_index INTEGER,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        ended_at REAL,
        favourite INTEGER NOT NULL DEFAULT 0,
        rating INTEGER,
        origin TEXT,
        grp TEXT,
        has_files INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
    );
    -- Each filter index ends in created_at so a filtered page comes newest first straight
    -- off the index, with no sort of every match.
    CREATE INDEX jobs_created ON jobs(created_at);
    CREATE INDEX jobs_model ON jobs(model, created_at);
    CREATE INDEX jobs_task_type ON jobs(task_type, created_at);
    CREATE INDEX jobs_status ON jobs(status, created_at);
    CREATE INDEX jobs_favourite ON jobs(favourite, created_at);
    CREATE INDEX jobs_parent ON jobs(parent_job_id);
    CREATE INDEX jobs_has_files ON jobs(has_files, created_at);
    CREATE INDEX jobs_op_model ON jobs(op, model);
    CREATE TABLE tags (
        key TEXT NOT NULL REFERENCES jobs(key) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (key, tag)
    ) WITHOUT ROWID;
    CREATE INDEX tags_tag ON tags(tag);
    """,
    # 1 -> 2: full-text search over prompt and notes. A plain FTS5 table whose rowid is the
    # jobs rowid (an upsert keeps a row's rowid), kept right by triggers so no write path can
    # forget it. Replaced by a no-op where this SQLite has no FTS5 (search then uses LIKE).
    """
    CREATE VIRTUAL TABLE jobs_fts USING fts5(prompt, notes);
    INSERT INTO jobs_fts(rowid, prompt, notes) SELECT rowid, coalesce(prompt, ''), notes FROM jobs;
    CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO jobs_fts(rowid, prompt, notes) VALUES (new.rowid, coalesce(new.prompt, ''), new.notes);
    END;
    CREATE TRIGGER jobs_fts_update AFTER UPDATE OF prompt, notes ON jobs BEGIN
        DELETE FROM jobs_fts WHERE rowid = old.rowid;
        INSERT INTO jobs_fts(rowid, prompt, notes) VALUES (new.rowid, coalesce(new.prompt, ''), new.notes);
    END;
    CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
        DELETE FROM jobs_fts WHERE rowid = old.rowid;
    END;
    """,
    # 2 -> 3: the history browser filters by operation (newest first off the index).
    """
    CREATE INDEX IF NOT EXISTS jobs_op ON jobs(op, created_at);
    """,
    # 3 -> 4: prefix indexes for search as you type: "f", "fo", "fog" are each one index
    # lookup instead of a walk over every term that starts so (a 1-letter search over 100,000
    # prompts: 40 ms instead of 170 ms).
    """
    DROP TABLE jobs_fts;
    CREATE VIRTUAL TABLE jobs_fts USING fts5(prompt, notes, prefix='1 2 3');
    INSERT INTO jobs_fts(rowid, prompt, notes) SELECT rowid, coalesce(prompt, ''), notes FROM jobs;
    """,
    # 4 -> 5: text results (describe's and shorten's prompts) are a column of their own, so
    # search finds a job by what it answered. Earlier runs kept them only in the server's
    # JSON: they are read from there.
    """
    ALTER TABLE jobs ADD COLUMN texts TEXT NOT NULL DEFAULT '';
    UPDATE jobs SET texts = coalesce((SELECT group_concat(p.value, char(10))
                                      FROM json_each(jobs.data, '$.server.output.prompts') AS p), '')
    WHERE op IN ('describe', 'shorten') AND json_valid(data);
    """,
    # 5 -> 6: search over prompt, notes and text results (the same prefix indexes).
    """
    DROP TRIGGER IF EXISTS jobs_fts_insert;
    DROP TRIGGER IF EXISTS jobs_fts_update;
    DROP TRIGGER IF EXISTS jobs_fts_delete;
    DROP TABLE IF EXISTS jobs_fts;
    CREATE VIRTUAL TABLE jobs_fts USING fts5(prompt, notes, texts, prefix='1 2 3');
    INSERT INTO jobs_fts(rowid, prompt, notes, texts) SELECT rowid, coalesce(prompt, ''), notes, texts FROM jobs;
    CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO jobs_fts(rowid, prompt, notes, texts)
        VALUES (new.rowid, coalesce(new.prompt, ''), new.notes, new.texts);
    END;
    CREATE TRIGGER jobs_fts_update AFTER UPDATE OF prompt, notes, texts ON jobs BEGIN
        DELETE FROM jobs_fts WHERE rowid = old.rowid;
        INSERT INTO jobs_fts(rowid, prompt, notes, texts)
        VALUES (new.rowid, coalesce(new.prompt, ''), new.notes, new.texts);
    END;
    CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
        DELETE FROM jobs_fts WHERE rowid = old.rowid;
    END;
    """,
    # 6 -> 7: the jobs of one set ({a, b} permutations sent together), shown and sent again
    # from the history.
    """
    CREATE INDEX IF NOT EXISTS jobs_grp ON jobs(grp, created_at);
    """,
]
_FTS_MIGRATIONS = (1, 3, 5)

_ENDED_VALUES = tuple(s.value for s in Status if s.ended)

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CORRUPT, _SQLITE_NOTADB = 5, 6, 11, 26


class StoreError(Exception):
    """The job store cannot be used. `str()` is a sentence for the user; `.path` the file."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class NewerSchemaError(StoreError):
    pass


class CorruptStoreError(StoreError):
    pass


class LockedStoreError(StoreError):
    pass


def _code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _translate(error: sqlite3.Error, path: Path | None, timeout: float = BUSY_TIMEOUT) -> StoreError:
    """A sqlite3 error as the StoreError the studio can explain."""
    code, text = _code(error), str(error).lower()
    where = str(path) if path else "the in-memory job store"
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in text or "busy" in text:
        return LockedStoreError(
            f"The job store {where} is in use by another program (it stayed locked for "
            f"{timeout:g} s). Close the other Legnext Studio and try again.", path)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "not a database" in text or "malformed" in text:
        return CorruptStoreError(f"The job store {where} is damaged ({error}).", path)
    if isinstance(error, sqlite3.IntegrityError):
        return StoreError(f"The job store {where} refused a record: {error}.", path)
    return StoreError(f"The job store {where} failed: {error}.", path)


def _has_fts5(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5(x)")
        conn.execute("DROP TABLE temp._fts5_probe")
        return True
    except sqlite3.OperationalError:
        return False


_WORD = re.compile(r"[^\W_]")  # a character FTS5's unicode61 tokenizer keeps


def fts_query(text: str | None) -> str | None:
    """User text as a safe FTS5 query: each word a quoted prefix term, all AND-ed. Words with
    nothing the tokenizer keeps ("-", "(", '"') are dropped: as phrases they match nothing."""
    terms = ['"' + w.replace('"', '""') + '"*' for w in (text or "").split() if _WORD.search(w)]
    return " AND ".join(terms) or None


def _values(value: Any) -> list[str]:
    """A filter argument (one value or a collection) as a list of column values."""
    if value is None:
        return []
    if isinstance(value, (str, Status)):
        value = [value]
    return [v.value if isinstance(v, Status) else str(v) for v in value]


class JobStore:
    """The studio's jobs in one SQLite file. Thread-safe: every public method holds a lock,
    because the one connection is shared by the UI thread and worker threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.Lock()
        self._fts = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'jobs_fts'").fetchone() is not None

    # ---- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, timeout: float = BUSY_TIMEOUT) -> JobStore:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size:
            cls._check_version(path, timeout)
        conn = None
        try:
            conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
            cls._setup(conn, timeout, wal=True)
            cls._migrate(conn, path)
            return cls(conn, path)
        except sqlite3.Error as error:
            if conn is not None:
                conn.close()
            raise _translate(error, path, timeout) from error
        except StoreError:
            if conn is not None:
                conn.close()
            raise

    @classmethod
    def memory(cls) -> JobStore:
        """A store with the same schema that lives only as long as this process."""
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        cls._setup(conn, BUSY_TIMEOUT, wal=False)
        cls._migrate(conn, None)
        return cls(conn, None)

    @staticmethod
    def _check_version(path: Path, timeout: float) -> None:
        # Read-only first: even setting WAL mode rewrites the header, and a newer studio's
        # file must be left exactly as it was.
        try:
            ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
            try:
                version = ro.execute("PRAGMA user_version").fetchone()[0]
            finally:
                ro.close()
        except sqlite3.Error as error:
            raise _translate(error, path, timeout) from error
        if version > len(MIGRATIONS):
            raise NewerSchemaError(
                f"The job store {path} was written by a newer Legnext Studio (schema {version}, "
                f"this version knows {len(MIGRATIONS)}); it is left untouched.", path)

    @staticmethod
    def _setup(conn: sqlite3.Connection, timeout: float, *, wal: bool) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if wal:
            # WAL lets another studio (or the CLI) read while this one writes; NORMAL sync is
            # safe in WAL mode (a crash may lose the last commits, never corrupt) and fast.
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")

    @staticmethod
    def _migrate(conn: sqlite3.Connection, path: Path | None) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == len(MIGRATIONS):
            return
        fts = _has_fts5(conn)
        # All steps in one IMMEDIATE transaction (in the script itself: executescript commits
        # any transaction it is handed), re-reading the version under the write lock in case
        # another process migrated in between.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise NewerSchemaError(
                    f"The job store {path} was written by a newer Legnext Studio (schema "
                    f"{version}, this version knows {len(MIGRATIONS)}); it is left untouched.", path)
            for index in range(version, len(MIGRATIONS)):
                if index in _FTS_MIGRATIONS and not fts:
                    log.warning("this SQLite has no FTS5: job search falls back to LIKE")
                    continue
                if index == _FTS_MIGRATIONS[1] and not conn.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'jobs_fts'").fetchone():
                    # Written by a SQLite without FTS5: the search table and its triggers first.
                    for statement in _statements(MIGRATIONS[_FTS_MIGRATIONS[0]]):
                        conn.execute(statement)
                for statement in _statements(MIGRATIONS[index]):
                    if not _column_exists(conn, statement):
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute("PRAGMA optimize")
                except sqlite3.Error:
                    pass
                self._conn.close()
                self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise StoreError("The job store is closed.", self.path)
            try:
                yield self._conn
            except sqlite3.Error as error:
                raise _translate(error, self.path) from error

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._locked() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _write(conn: sqlite3.Connection, record: JobRecord) -> None:
        data = json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))
        row = (
            record.key, record.job_id, record.op, record.task_type, record.model,
            record.status.value, record.prompt, record.notes or "", record.parent_job_id,
            record.parent_index, record.created_at, record.updated_at, record.ended_at,
            int(bool(record.favourite)), record.rating, record.origin.value, record.group,
            int(any(o.path for o in record.outputs)), record.texts(), data,
        )
        conn.execute(_UPSERT, row)
        conn.execute("DELETE FROM tags WHERE key = ?", (record.key,))
        conn.executemany("INSERT OR IGNORE INTO tags(key, tag) VALUES (?, ?)",
                         [(record.key, t) for t in record.tags])

    @staticmethod
    def _load(rows: Iterable[tuple[str]]) -> list[JobRecord]:
        records = []
        for (data,) in rows:
            try:
                records.append(JobRecord.from_dict(json.loads(data)))
            except (ValueError, TypeError) as error:
                # One unreadable row must not hide the rest of the history.
                log.warning("skipping an unreadable job row: %s", error)
        return records

    # ---- records -----------------------------------------------------------------------------

    def put(self, record: JobRecord) -> None:
        """Insert or replace `record` (and its tags) in one transaction."""
        record.updated_at = time.time()
        with self._transaction() as conn:
            self._write(conn, record)

    def get(self, key: str) -> JobRecord | None:
        with self._locked() as conn:
            found = self._load(conn.execute("SELECT data FROM jobs WHERE key = ?", (key,)))
        return found[0] if found else None

    def find(self, key_or_job_id: str) -> JobRecord | None:
        with self._locked() as conn:
            found = self._load(conn.execute(
                "SELECT data FROM jobs WHERE key = ?1 OR job_id = ?1 ORDER BY key = ?1 DESC LIMIT 1",
                (key_or_job_id,)))
        return found[0] if found else None

    def delete(self, key: str) -> None:
        with self._transaction() as conn:  # tags go by ON DELETE CASCADE, FTS by trigger
            conn.execute("DELETE FROM jobs WHERE key = ?", (key,))

    def unfinished(self) -> list[JobRecord]:
        """Records whose status has not ended, oldest first: the jobs to watch again."""
        marks = ",".join("?" * len(_ENDED_VALUES))
        with self._locked() as conn:
            return self._load(conn.execute(
                f"SELECT data FROM jobs WHERE status NOT IN ({marks}) ORDER BY created_at, rowid",
                _ENDED_VALUES))

    def sending(self, within: float = 300.0) -> set[str]:
        """The operations of requests being sent right now, by any process on this store (a
        row is written before its POST leaves; it gets its job id when the answer comes).
        Rows older than `within` seconds are a crashed run's, not a request in flight."""
        with self._locked() as conn:
            return {op for (op,) in conn.execute(
                "SELECT DISTINCT op FROM jobs WHERE job_id IS NULL AND status = ? AND created_at > ?",
                (Status.SUBMITTING.value, time.time() - within))}

    def children(self, job_id: str) -> list[JobRecord]:
        """Jobs made from one of `job_id`'s outputs (upscales, variations...), oldest first."""
        with self._locked() as conn:
            return self._load(conn.execute(
                "SELECT data FROM jobs WHERE parent_job_id = ? ORDER BY created_at, rowid", (job_id,)))

    # ---- edits the user makes ----------------------------------------------------------------

    def _edit(self, key: str, **changes: Any) -> JobRecord | None:
        with self._transaction() as conn:
            found = self._load(conn.execute("SELECT data FROM jobs WHERE key = ?", (key,)))
            if not found:
                return None
            record = found[0]
            for name, value in changes.items():
                setattr(record, name, value)
            record.updated_at = time.time()
            self._write(conn, record)
            return record

    def set_favourite(self, key: str, favourite: bool) -> JobRecord | None:
        return self._edit(key, favourite=bool(favourite))

    def set_tags(self, key: str, tags: Iterable[str]) -> JobRecord | None:
        clean = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
        return self._edit(key, tags=clean)

    def set_notes(self, key: str, notes: str) -> JobRecord | None:
        return self._edit(key, notes=notes or "")

    def set_rating(self, key: str, rating: int | None) -> JobRecord | None:
        return self._edit(key, rating=None if rating is None else int(rating))

    # ---- search ------------------------------------------------------------------------------

    def _where(self, q: JobQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if q.text and q.text.strip():
            if self._fts:
                query = fts_query(q.text)
                if query:
                    clauses.append("rowid IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?)")
                    args.append(query)
            else:
                for word in q.text.split():
                    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
                    clauses.append("(prompt LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\' OR texts LIKE ? ESCAPE '\\')")
                    args += [pattern, pattern, pattern]
        for column, value in (("model", q.model), ("op", q.op), ("task_type", q.task_type), ("grp", q.group)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        statuses = _values(q.status)
        if q.status is not None:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})" if statuses else "0")
            args += statuses
        if q.since is not None:
            clauses.append("created_at >= ?")
            args.append(q.since)
        if q.until is not None:
            clauses.append("created_at < ?")
            args.append(q.until)
        for column, flag in (("favourite", q.favourite), ("has_files", q.has_files)):
            if flag is not None:
                clauses.append(f"{column} = ?")
                args.append(int(bool(flag)))
        if q.tag is not None:
            clauses.append("key IN (SELECT key FROM tags WHERE tag = ?)")
            args.append(q.tag)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def search(self, text: str | None = None, *, limit: int = 100, offset: int = 0,
               **filters: Any) -> list[JobRecord]:
        """Records matching every given filter (the fields of `JobQuery`), newest first."""
        where, args = self._where(JobQuery(text, **filters))
        # Pick the page on (rowid, created_at) alone, then read `data` for those rows only:
        # sorting thousands of matches with their JSON attached is several times slower.
        with self._locked() as conn:
            return self._load(conn.execute(
                f"SELECT j.data FROM (SELECT rowid AS id, created_at AS t FROM jobs{where} "
                "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?) AS page "
                "JOIN jobs AS j ON j.rowid = page.id ORDER BY page.t DESC, page.id DESC",
                [*args, int(limit), int(offset)]))

    def count(self, text: str | JobQuery | None = None, **filters: Any) -> int:
        query = text if isinstance(text, JobQuery) else JobQuery(text, **filters)
        where, args = self._where(query)
        with self._locked() as conn:
            return conn.execute(f"SELECT count(*) FROM jobs{where}", args).fetchone()[0]

    # ---- the history browser -------------------------------------------------------------
    # The browser lists rows in the order they reached the store, newest first (rowid order:
    # a record's row is made before its POST leaves, so this is submit order). Sorting by
    # rowid keeps a search over 100,000 jobs on the FTS index alone; created_at would need
    # every match's row read and sorted.

    def history_ids(self, query: JobQuery, *, after: int = 0) -> list[int]:
        """The row ids of every matching job, newest first: the browser's whole list, cheap
        enough to hold (8 bytes a job) and read a page of at a time with `history_rows`.
        `after`: only rows newer than this row id (the jobs added since a list was read)."""
        where, args = self._where(query)
        if query.set_fields() == ["text"] and self._fts and fts_query(query.text):
            # Text alone: straight off the search index, no join with the jobs table.
            sql, args = ("SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ? AND rowid > ? ORDER BY rowid DESC",
                         [fts_query(query.text), int(after)])
        else:
            where = f"{where} AND rowid > ?" if where else " WHERE rowid > ?"
            sql = f"SELECT rowid FROM jobs{where} ORDER BY rowid DESC"
            args = [*args, int(after)]
        with self._locked() as conn:
            return [rowid for (rowid,) in conn.execute(sql, args)]

    def history_rows(self, ids: Iterable[int]) -> dict[int, JobRecord]:
        """The records of these row ids (those that still exist), by row id."""
        wanted = list(ids)
        found: dict[int, JobRecord] = {}
        with self._locked() as conn:
            for start in range(0, len(wanted), 500):  # well under SQLite's variable limit
                part = wanted[start:start + 500]
                rows = conn.execute(f"SELECT rowid, data FROM jobs WHERE rowid IN ({','.join('?' * len(part))})",
                                    part).fetchall()
                for rowid, data in rows:
                    loaded = self._load([(data,)])
                    if loaded:
                        found[rowid] = loaded[0]
        return found

    def row_id(self, key: str) -> int | None:
        with self._locked() as conn:
            row = conn.execute("SELECT rowid FROM jobs WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def values(self, column: str) -> list[str]:
        """The distinct values a filter column holds (models, operations), for the filter menus."""
        if column not in ("model", "op", "task_type", "status"):
            raise ValueError(f"not a filter column: {column}")
        with self._locked() as conn:
            return [v for (v,) in conn.execute(
                f"SELECT DISTINCT {column} FROM jobs WHERE {column} IS NOT NULL ORDER BY {column}")]

    def tags_used(self, limit: int = 5000) -> list[tuple[str, int]]:
        """Tags with how many jobs carry each, most used first."""
        with self._locked() as conn:
            return [(t, n) for t, n in conn.execute(
                "SELECT tag, count(*) AS n FROM tags GROUP BY tag ORDER BY n DESC, tag LIMIT ?", (int(limit),))]

    def take_out(self, keys: Iterable[str]) -> list[tuple[int, JobRecord]]:
        """Delete these jobs and return them with their row ids, so `put_back` can restore
        them exactly where they were (the undo of a delete)."""
        taken: list[tuple[int, JobRecord]] = []
        with self._transaction() as conn:
            for key in keys:
                row = conn.execute("SELECT rowid, data FROM jobs WHERE key = ?", (key,)).fetchone()
                if row is None:
                    continue
                loaded = self._load([(row[1],)])
                if loaded:
                    taken.append((row[0], loaded[0]))
                conn.execute("DELETE FROM jobs WHERE key = ?", (key,))
        return taken

    def put_back(self, taken: Iterable[tuple[int, JobRecord]]) -> None:
        """Restore jobs `take_out` removed, under their old row ids (their place in the list)."""
        with self._transaction() as conn:
            for rowid, record in taken:
                if conn.execute("SELECT 1 FROM jobs WHERE rowid = ?", (rowid,)).fetchone():
                    self._write(conn, record)  # the id was reused meanwhile: back at the top
                    continue
                conn.execute("INSERT INTO jobs(rowid, key, op, status, created_at, updated_at, data) "
                             "VALUES (?, ?, ?, ?, ?, ?, '{}')",
                             (rowid, record.key, record.op, record.status.value, record.created_at,
                              record.updated_at))
                self._write(conn, record)

    def recent_prompts(self, limit: int = 50) -> list[str]:
        """Distinct prompts, newest first. Walks the created_at index and stops once `limit`
        are found, rather than grouping the whole table."""
        seen: dict[str, None] = {}
        with self._locked() as conn:
            cursor = conn.execute(
                "SELECT prompt FROM jobs WHERE prompt IS NOT NULL AND prompt != '' "
                "ORDER BY created_at DESC, rowid DESC")
            while len(seen) < limit and (rows := cursor.fetchmany(256)):
                for (prompt,) in rows:
                    seen.setdefault(prompt, None)
                    if len(seen) >= limit:
                        break
            cursor.close()
        return list(seen)

    def durations(self, op: str, model: str | None = None, limit: int = 50) -> list[float]:
        """How long completed `op` jobs (of `model`, or any) took, newest first: for estimates."""
        sql = ("SELECT ended_at - created_at FROM jobs WHERE op = ? AND status = ? "
               "AND ended_at IS NOT NULL")
        args: list[Any] = [op, Status.COMPLETED.value]
        if model is not None:
            sql += " AND model = ?"
            args.append(model)
        with self._locked() as conn:
            rows = conn.execute(sql + " ORDER BY ended_at DESC LIMIT ?", [*args, int(limit)])
            return [float(d) for (d,) in rows]

    def integrity_ok(self) -> bool:
        try:
            with self._locked() as conn:
                return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except StoreError:
            return False


_COLUMNS = ("key, job_id, op, task_type, model, status, prompt, notes, parent_job_id, parent_index, "
            "created_at, updated_at, ended_at, favourite, rating, origin, grp, has_files, texts, data")
_UPSERT = (
    f"INSERT INTO jobs({_COLUMNS}) VALUES ({','.join('?' * len(_COLUMNS.split(',')))}) "
    "ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (c.strip() for c in _COLUMNS.split(",")) if c != "key")
)


_ADD_COLUMN = re.compile(r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)


def _column_exists(conn: sqlite3.Connection, statement: str) -> bool:
    """Whether `statement` adds a column the table already has (a file whose version was
    set back by hand, or a step half-done by an older studio): SQLite has no IF NOT EXISTS."""
    match = _ADD_COLUMN.match(statement)
    if match is None:
        return False
    table, column = match.groups()
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def _statements(script: str) -> Iterator[str]:
    """A migration script split into whole statements (trigger bodies hold semicolons)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


# ---- start-up ----------------------------------------------------------------------------------

def _set_aside(path: Path) -> Path:
    """Rename a damaged store (and its WAL/SHM, so the set still opens together) beside itself."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():  # two failures in the same second: never overwrite a kept copy
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target


def open_store(path: Path, *, timeout: float = BUSY_TIMEOUT) -> tuple[JobStore, str | None]:
    """The store for start-up, never failing: a damaged file is kept aside and a fresh one
    made; a newer or locked one is left alone and this run's jobs live in memory. The message
    (None when all went well) says what happened, for the user."""
    path = Path(path)
    try:
        return JobStore.open(path, timeout=timeout), None
    except CorruptStoreError as error:
        try:
            kept = _set_aside(path)
            return JobStore.open(path, timeout=timeout), (
                f"{error} It was kept as {kept}; a new, empty job store was started at {path}.")
        except (OSError, StoreError) as again:
            return JobStore.memory(), (
                f"{error} It could not be set aside ({again}); the jobs of this run are kept "
                "in memory only and will not be saved.")
    except StoreError as error:  # NewerSchemaError, LockedStoreError, any other
        return JobStore.memory(), f"{error} The jobs of this run will not be saved."
