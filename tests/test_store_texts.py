"""Text results (describe's prompts, shorten's suggestions) are outputs of their own in the store:
kept in order, searched with the prompts and notes (FTS5, or LIKE without it), and a store from
before they were (schema 4, their words only in the server's JSON) is migrated so they are found."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from studio.store import db as dbmod
from studio.store.db import MIGRATIONS, JobStore
from studio.store.records import JobRecord, Output, Status

PROMPTS = ["a copper teapot on velvet --ar 1:1", "steam rising from a kettle, still life",
           "brass kitchenware, soft window light", "a shelf of antique teapots --ar 3:2"]


def describe_record(key: str = "d1") -> JobRecord:
    return JobRecord(op="describe", key=key, status=Status.COMPLETED, request={"img_url": "https://e.com/t.png"},
                     outputs=[Output(kind="text", index=i, text=t) for i, t in enumerate(PROMPTS)])


def test_text_outputs_round_trip_in_order(tmp_path: Path):
    with JobStore.open(tmp_path / "jobs.db") as store:
        store.put(describe_record())
        back = store.get("d1")
    assert back.text_outputs() == PROMPTS
    assert back.texts() == "\n".join(PROMPTS)


def test_text_results_are_searched_with_prompts_and_notes(tmp_path: Path):
    with JobStore.open(tmp_path / "jobs.db") as store:
        store.put(describe_record())
        store.put(JobRecord(op="diffusion", key="g1", prompt="a teapot in the snow"))
        assert [r.key for r in store.search("kettle")] == ["d1"]
        assert {r.key for r in store.search("teapot")} == {"d1", "g1"}
        assert store.count("brass kitch") == 1
        row = store.row_id("d1")
        assert store.history_ids(dbmod.JobQuery("antique")) == [row]  # the browser's text-only path


def test_without_fts5_text_results_are_searched_by_like(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(dbmod, "_has_fts5", lambda conn: False)
    with JobStore.open(tmp_path / "jobs.db") as store:
        store.put(describe_record())
        assert [r.key for r in store.search("velvet")] == ["d1"]


def test_a_schema_4_store_is_migrated_and_its_describe_answers_found(tmp_path: Path):
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:4]:
        conn.executescript(script)
    # A describe job of an earlier studio: its prompts only in the server's JSON.
    old = JobRecord(op="describe", key="old", status=Status.COMPLETED,
                    server={"task_type": "describe", "output": {"prompts": PROMPTS}})
    data = json.dumps(old.to_dict())
    conn.execute("INSERT INTO jobs(key, op, status, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?)",
                 ("old", "describe", "completed", old.created_at, old.updated_at, data))
    conn.execute("INSERT INTO jobs(key, op, status, created_at, updated_at, data) VALUES ('bad', 'describe', "
                 "'completed', 1, 1, 'not json')")  # an unreadable row does not stop the migration
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with JobStore.open(path) as store:
        assert [r.key for r in store.search("velvet")] == ["old"]
        assert store.get("old").text_outputs() == PROMPTS  # read from the server's JSON
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()
