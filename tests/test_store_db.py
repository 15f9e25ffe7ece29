"""The SQLite job store: schema and migrations, refusal of newer/damaged/locked files, every
search filter, and two stores sharing one file through WAL."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from studio.store import db as dbmod
from studio.store.db import (
    MIGRATIONS,
    CorruptStoreError,
    JobStore,
    LockedStoreError,
    NewerSchemaError,
    StoreError,
    fts_query,
    open_store,
)
from studio.store.records import JobRecord, Origin, Output, Status


def rec(**kw) -> JobRecord:
    kw.setdefault("op", "imagine")
    kw.setdefault("prompt", "a cat")
    return JobRecord(**kw)


@pytest.fixture
def store(tmp_path: Path):
    with JobStore.open(tmp_path / "jobs.db") as s:
        yield s


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keys(records) -> list[str]:
    return [r.key for r in records]


# ---- schema ------------------------------------------------------------------------------

def test_open_creates_parents_and_full_schema(tmp_path: Path):
    path = tmp_path / "a" / "b" / "jobs.db"
    JobStore.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
    assert {"jobs", "tags", "jobs_fts", "jobs_created", "jobs_model", "jobs_task_type",
            "jobs_status", "jobs_favourite", "jobs_parent", "jobs_has_files", "tags_tag",
            "jobs_fts_insert", "jobs_fts_update", "jobs_fts_delete"} <= names
    columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    assert {"key", "job_id", "op", "task_type", "model", "status", "prompt", "parent_job_id",
            "parent_index", "created_at", "updated_at", "ended_at", "favourite", "rating",
            "origin", "grp", "has_files", "data"} <= columns
    conn.close()


def test_migration_from_each_version_keeps_rows(tmp_path: Path):
    # A version-1 file (no FTS yet) with a row: opening brings it to the current schema and
    # indexes the existing row for search.
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.close()
    with JobStore.open(path) as s:
        s.put(rec(key="old", prompt="lighthouse at dusk"))
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER jobs_fts_insert")
    conn.execute("DROP TRIGGER jobs_fts_update")
    conn.execute("DROP TRIGGER jobs_fts_delete")
    conn.execute("DROP TABLE jobs_fts")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with JobStore.open(path) as s:
        assert keys(s.search("lighth")) == ["old"]


def test_memory_store_has_same_schema():
    with JobStore.memory() as s:
        s.put(rec(key="m", tags=["t"]))
        assert s.path is None
        assert keys(s.search("cat", tag="t")) == ["m"]


def test_no_fts5_falls_back_to_like(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(dbmod, "_has_fts5", lambda conn: False)
    with JobStore.open(tmp_path / "jobs.db") as s:
        assert not s._fts
        s.put(rec(key="a", prompt="100% red_fox"))
        s.put(rec(key="b", prompt="100 redxfox"))
        assert keys(s.search("red_")) == ["a"]  # LIKE wildcards in the input are literal
        assert keys(s.search('100% "(')) == []
        assert s.count("fox") == 2


# ---- refusing files ------------------------------------------------------------------------

def test_newer_schema_is_refused_and_untouched(tmp_path: Path):
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future(x)")
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    before = sha(path)
    with pytest.raises(NewerSchemaError) as info:
        JobStore.open(path)
    assert info.value.path == path
    assert "newer Legnext Studio" in str(info.value) and "999" in str(info.value)
    assert str(len(MIGRATIONS)) in str(info.value) and "untouched" in str(info.value)
    assert sha(path) == before
    assert not (tmp_path / "jobs.db-wal").exists()

    store, message = open_store(path)
    with store:
        assert store.path is None  # in memory
        assert message and "999" in message and "not be saved" in message
        store.put(rec(key="x"))
        assert store.get("x") is not None
    assert sha(path) == before


def test_garbage_file_is_corrupt(tmp_path: Path):
    path = tmp_path / "jobs.db"
    path.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(CorruptStoreError) as info:
        JobStore.open(path)
    assert isinstance(info.value, StoreError) and info.value.path == path
    assert str(path) in str(info.value)


def test_open_store_sets_damaged_file_aside(tmp_path: Path):
    path = tmp_path / "jobs.db"
    garbage = b"\x00garbage\xff" * 500
    path.write_bytes(garbage)
    (tmp_path / "jobs.db-wal").write_bytes(b"wal junk")
    store, message = open_store(path)
    with store:
        kept = [p for p in tmp_path.iterdir() if p.name.startswith("jobs.db.damaged-")]
        main = [p for p in kept if not p.name.endswith(("-wal", "-shm"))]
        assert len(main) == 1 and main[0].read_bytes() == garbage
        assert (tmp_path / (main[0].name + "-wal")).read_bytes() == b"wal junk"
        assert message and str(main[0]) in message and str(path) in message
        assert store.path == path
        store.put(rec(key="fresh"))
        assert store.get("fresh") is not None
        assert store.integrity_ok()


def test_locked_file(tmp_path: Path):
    path = tmp_path / "jobs.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t(x)")
    holder.execute("BEGIN EXCLUSIVE")  # rollback-journal mode: blocks even readers
    try:
        with pytest.raises(LockedStoreError) as info:
            JobStore.open(path, timeout=0.1)
        assert info.value.path == path and "in use" in str(info.value)
        store, message = open_store(path, timeout=0.1)
        with store:
            assert store.path is None and message and "not be saved" in message
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_open_store_ok(tmp_path: Path):
    store, message = open_store(tmp_path / "jobs.db")
    with store:
        assert message is None and store.path == tmp_path / "jobs.db"


# ---- records -------------------------------------------------------------------------------

def test_full_roundtrip(store: JobStore):
    r = JobRecord(
        op="imagine", key="k1", prompt="a red fox --ar 3:2", model="v7", status=Status.COMPLETED,
        job_id="job-1", task_type="diffusion", parent_job_id="job-0", parent_index=2,
        created_at=100.0, ended_at=160.5, credits=8, seed="1234", progress=100,
        may_have_run=True, error="boom", error_status=500,
        request={"text": "a red fox", "mask": {"__type__": "Mask", "value": {"areas": [[1, 2], [3, 4]]}},
                 "nested": {"a": [1, {"b": None}]}},
        server={"status": "completed", "output": {"image_urls": ["u1", "u2"]}},
        outputs=[Output("image", 0, url="u1", path="k1/0.png", thumb="k1/0.jpg"),
                 Output("image", 1, url="u2", error="404"),
                 Output("text", 2, text="a caption")],
        origin=Origin.EXTERNAL, group="g1", backend="sandbox", favourite=True, rating=4,
        tags=["fox", "red"], notes="keep this one")
    store.put(r)
    back = store.get("k1")
    assert back == r
    assert back.to_dict() == r.to_dict()
    assert store.find("job-1") == r and store.find("k1") == r
    assert store.find("nope") is None and store.get("nope") is None


def test_put_sets_updated_at_and_upserts(store: JobStore):
    r = rec(key="k", updated_at=1.0)
    store.put(r)
    assert r.updated_at > 1.0
    r.status, r.job_id, r.prompt = Status.PROCESSING, "j", "a dog"
    store.put(r)
    assert store.count() == 1
    assert store.get("k").status is Status.PROCESSING and store.find("j").key == "k"
    # The FTS index follows the update: the old prompt no longer matches.
    assert store.search("cat") == [] and keys(store.search("dog")) == ["k"]


def test_delete_removes_tags_and_text(store: JobStore):
    store.put(rec(key="a", tags=["x"]))
    store.put(rec(key="b", tags=["x"]))
    store.delete("a")
    assert store.get("a") is None
    assert keys(store.search("cat")) == ["b"] and keys(store.search(tag="x")) == ["b"]
    assert store._conn.execute("SELECT count(*) FROM tags WHERE key='a'").fetchone()[0] == 0
    store.delete("missing")  # no error


def test_duplicate_job_id_is_a_store_error(store: JobStore):
    store.put(rec(key="a", job_id="j"))
    with pytest.raises(StoreError):
        store.put(rec(key="b", job_id="j"))
    assert store.get("b") is None and store.count() == 1


def test_unfinished_oldest_first(store: JobStore):
    for key, status, t in [("c", Status.PENDING, 30), ("a", Status.WAITING, 10),
                           ("d", Status.COMPLETED, 5), ("b", Status.UNKNOWN, 20),
                           ("e", Status.DOWNLOADING, 40), ("f", Status.CANCELLED, 1),
                           ("g", Status.RATE_LIMITED, 15)]:
        store.put(rec(key=key, status=status, created_at=t))
    assert keys(store.unfinished()) == ["a", "g", "c", "e"]


def test_children(store: JobStore):
    store.put(rec(key="p", job_id="P", created_at=1))
    store.put(rec(key="u2", op="upscale", parent_job_id="P", parent_index=2, created_at=3))
    store.put(rec(key="u1", op="upscale", parent_job_id="P", parent_index=1, created_at=2))
    store.put(rec(key="o", op="upscale", parent_job_id="Q", created_at=4))
    assert keys(store.children("P")) == ["u1", "u2"]
    assert store.children("none") == []


def test_edits_update_json_and_columns(store: JobStore):
    store.put(rec(key="k", prompt="plain"))
    assert store.set_favourite("k", True).favourite
    store.set_tags("k", ["b", " a ", "", "b"])
    store.set_notes("k", "sunset palette")
    store.set_rating("k", 5)
    r = store.get("k")
    assert (r.favourite, r.tags, r.notes, r.rating) == (True, ["b", "a"], "sunset palette", 5)
    assert keys(store.search(favourite=True)) == ["k"]
    assert keys(store.search(tag="a")) == ["k"] and store.search(tag=" a ") == []
    assert keys(store.search("sunset")) == ["k"]  # notes are searchable
    store.set_notes("k", "")
    store.set_rating("k", None)
    store.set_tags("k", [])
    assert store.search("sunset") == [] and store.search(tag="a") == []
    assert store.get("k").rating is None
    assert store.set_favourite("missing", True) is None


# ---- search --------------------------------------------------------------------------------

def test_text_search_prefix_and_and(store: JobStore):
    store.put(rec(key="a", prompt="Lighthouse at dusk, oil painting", created_at=1))
    store.put(rec(key="b", prompt="lighthouse in fog", created_at=2))
    store.put(rec(key="c", prompt="a well-lit café", created_at=3))
    assert keys(store.search("light")) == ["b", "a"]
    assert keys(store.search("LIGHT dus")) == ["a"]
    assert keys(store.search("cafe")) == ["c"]  # unicode61 folds diacritics
    assert keys(store.search("well-lit")) == ["c"]
    assert store.search("lighthouse zebra") == []
    assert len(store.search("")) == 3 and len(store.search("   ")) == 3 and len(store.search(None)) == 3


@pytest.mark.parametrize("text", ['"', '""', '*', '-', '(', ')', 'a"b', '"light', 'light*',
                                  '-light', '(light', 'light)', 'NOT', 'AND OR', 'NEAR(a b)',
                                  'prompt:light', '^light', "'", '\\', '"*-(', 'light "'])
def test_odd_text_never_raises(store: JobStore, text: str):
    store.put(rec(key="a", prompt="lighthouse"))
    found = store.search(text)
    assert store.count(text) == len(found)
    if "light" in text and "prompt" not in text:  # "prompt:light" is the phrase "prompt light*"
        assert keys(found) == ["a"]


def test_fts_query_quotes_terms():
    assert fts_query('say "hi" (now)') == '"say"* AND """hi"""* AND "(now)"*'
    assert fts_query(' - * " ') is None and fts_query(None) is None


def _corpus(store: JobStore, n: int, seed: int = 7) -> list[JobRecord]:
    rnd = random.Random(seed)
    words = ["cat", "dog", "fox", "castle", "forest", "neon", "portrait", "ocean"]
    records = []
    conn = store._conn
    conn.execute("BEGIN")  # the bulk insert in one transaction (put() is one per record)
    for i in range(n):
        r = rec(key=f"k{i:05d}", job_id=f"j{i}",
                prompt=" ".join(rnd.sample(words, 3)),
                model=rnd.choice(["v6", "v7", "niji"]),
                task_type=rnd.choice(["diffusion", "upscale"]),
                status=rnd.choice([Status.COMPLETED, Status.FAILED, Status.PENDING]),
                created_at=1000.0 + i, favourite=rnd.random() < 0.1,
                tags=rnd.sample(["a", "b", "c"], rnd.randint(0, 2)),
                outputs=[Output("image", 0, path="x.png")] if rnd.random() < 0.5 else [])
        store._write(conn, r)
        records.append(r)
    conn.execute("COMMIT")
    return records


def test_filters_alone_and_combined_on_10000(store: JobStore):
    records = _corpus(store, 10_000)
    newest_first = sorted(records, key=lambda r: -r.created_at)

    def expect(pred):
        return [r.key for r in newest_first if pred(r)]

    cases = [
        ({}, lambda r: True),
        ({"text": "cas"}, lambda r: "castle" in r.prompt),
        ({"text": "cat fox"}, lambda r: "cat" in r.prompt.split() and "fox" in r.prompt.split()),
        ({"model": "niji"}, lambda r: r.model == "niji"),
        ({"task_type": "upscale"}, lambda r: r.task_type == "upscale"),
        ({"status": Status.FAILED}, lambda r: r.status is Status.FAILED),
        ({"status": "pending"}, lambda r: r.status is Status.PENDING),
        ({"status": [Status.FAILED, "pending"]}, lambda r: r.status in (Status.FAILED, Status.PENDING)),
        ({"status": []}, lambda r: False),
        ({"since": 5000.0}, lambda r: r.created_at >= 5000),
        ({"until": 1500.0}, lambda r: r.created_at < 1500),
        ({"since": 2000.0, "until": 2100.0}, lambda r: 2000 <= r.created_at < 2100),
        ({"favourite": True}, lambda r: r.favourite),
        ({"favourite": False}, lambda r: not r.favourite),
        ({"tag": "b"}, lambda r: "b" in r.tags),
        ({"has_files": True}, lambda r: any(o.path for o in r.outputs)),
        ({"has_files": False}, lambda r: not r.outputs),
        ({"text": "neon", "model": "v7", "status": Status.COMPLETED, "tag": "a", "has_files": True,
          "since": 3000.0},
         lambda r: "neon" in r.prompt and r.model == "v7" and r.status is Status.COMPLETED
         and "a" in r.tags and bool(r.outputs) and r.created_at >= 3000),
        ({"favourite": True, "task_type": "diffusion", "until": 8000.0},
         lambda r: r.favourite and r.task_type == "diffusion" and r.created_at < 8000),
    ]
    for filters, pred in cases:
        wanted = expect(pred)
        assert store.count(**filters) == len(wanted), filters
        got = store.search(**filters, limit=20_000)
        assert keys(got) == wanted, filters
        assert keys(store.search(**filters, limit=5, offset=3)) == wanted[3:8], filters
    assert len(store.search()) == 100  # the default limit


def test_search_uses_indexes(store: JobStore):
    _corpus(store, 200)
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)  # the statement search() really runs
    store.search(model="v7", limit=10)
    store._conn.set_trace_callback(None)
    sql = next(q for q in seen if q.lstrip().upper().startswith("SELECT"))
    plan = " ".join(str(row[-1]) for row in store._conn.execute("EXPLAIN QUERY PLAN " + sql))
    # The filter index also gives the order: the page is read off it with no sort of every
    # match (the one sort left is the outer one, over the page's rows).
    assert "COVERING INDEX jobs_model" in plan and plan.count("TEMP B-TREE") == 1, plan


def test_recent_prompts_distinct_newest_first(store: JobStore):
    for i, p in enumerate(["one", "two", "one", "three", None, "", "two"]):
        store.put(rec(key=f"k{i}", prompt=p, created_at=i))
    assert store.recent_prompts() == ["two", "three", "one"]
    assert store.recent_prompts(limit=2) == ["two", "three"]


def test_durations(store: JobStore):
    store.put(rec(key="a", op="imagine", model="v7", status=Status.COMPLETED, created_at=0, ended_at=30))
    store.put(rec(key="b", op="imagine", model="v7", status=Status.COMPLETED, created_at=10, ended_at=60))
    store.put(rec(key="c", op="imagine", model="v6", status=Status.COMPLETED, created_at=0, ended_at=5))
    store.put(rec(key="d", op="imagine", model="v7", status=Status.FAILED, created_at=0, ended_at=99))
    store.put(rec(key="e", op="upscale", model="v7", status=Status.COMPLETED, created_at=0, ended_at=7))
    store.put(rec(key="f", op="imagine", model="v7", status=Status.COMPLETED, created_at=0))
    assert store.durations("imagine", "v7") == [50.0, 30.0]
    assert store.durations("imagine", None) == [50.0, 30.0, 5.0]
    assert store.durations("imagine", "v7", limit=1) == [50.0]
    assert store.durations("vary", None) == []


# ---- sharing and integrity -------------------------------------------------------------------

def test_two_stores_on_one_file_see_each_other(tmp_path: Path):
    path = tmp_path / "jobs.db"
    with JobStore.open(path) as one, JobStore.open(path) as two:
        one.put(rec(key="from-one", prompt="harbour"))
        assert two.get("from-one").prompt == "harbour"
        assert keys(two.search("harb")) == ["from-one"]
        two.set_favourite("from-one", True)
        two.put(rec(key="from-two"))
        assert one.get("from-one").favourite and one.get("from-two") is not None
        assert one.count() == two.count() == 2


def test_threads_share_one_store(store: JobStore):
    def work(n: int) -> None:
        for i in range(50):
            store.put(rec(key=f"t{n}-{i}"))
            store.search("cat", limit=5)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 200


def test_integrity_ok_and_closed_store(tmp_path: Path):
    s = JobStore.open(tmp_path / "jobs.db")
    s.put(rec())
    assert s.integrity_ok()
    s.close()
    s.close()  # twice is fine
    assert not s.integrity_ok()
    with pytest.raises(StoreError):
        s.get("x")
