"""A store the size of a long-used studio: 100,000 jobs with realistic prompts, models,
lineage, favourites and tags, each with a thumbnail file on disk in the archive layout. Made
once and kept under LEGNEXT_BENCH_CACHE (default /tmp/legnext-bench) for later runs."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

VERSION = 1
SUBJECTS = ("lighthouse", "castle", "dragon", "samurai", "fox", "city street", "portrait of a sailor",
            "forest", "astronaut cat", "desert ruins", "mountain lake", "robot", "garden", "temple",
            "ship", "owl", "market", "train station", "waterfall", "library")
LOOKS = ("foggy", "neon", "golden hour", "moody", "watercolor", "oil painting", "cinematic", "minimalist",
         "isometric", "ukiyo-e", "volumetric light", "misty", "rainy", "vintage photo", "low poly")
EXTRAS = ("at dawn", "at night", "in the snow", "under cherry blossoms", "by the sea", "in a storm",
          "— עיר עתיקה", "🐉✨", "مدينة قديمة", "with warm windows", "from above", "close-up")
FLAGS = ("--ar 16:9", "--ar 3:2", "--ar 2:3 --s 250", "--v 7", "--v 8 --hd", "--niji 6", "--s 400 --chaos 10",
         "", "--ar 1:1 --q 2", "--v 6.1")
MODELS = ("7", "8", "8.1", "6.1", "niji 6", "6")
CHILD_OPS = (("upscale", 0.5), ("variation", 0.3), ("pan", 0.1), ("inpaint", 0.1))


def cache_dir() -> Path:
    return Path(os.environ.get("LEGNEXT_BENCH_CACHE", "/tmp/legnext-bench"))


def make_history(n: int = 100_000, seed: int = 0) -> tuple[Path, Path]:
    """(store path, archive folder) of a made-up history of `n` jobs, reused when present."""
    from PIL import Image

    from studio.store.db import JobStore
    from studio.store.records import JobRecord, Output, Status

    root = cache_dir() / f"history-{n}-v{VERSION}"
    store_path, archive = root / "jobs.db", root / "archive"
    if (root / "done").exists():
        return store_path, archive
    shutil.rmtree(root, ignore_errors=True)
    archive.mkdir(parents=True)
    rng = random.Random(seed)
    # A few hundred distinct thumbnails; every job gets its own hard link to one of them.
    sources = []
    for i in range(300):
        image = Image.new("RGB", (256, rng.choice((144, 171, 256, 384))), tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(5):
            x, y, r = rng.randrange(256), rng.randrange(256), rng.randrange(20, 90)
            image.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + r, y + r))
        path = root / f"src-{i}.webp"
        image.save(path, quality=70)
        sources.append(path)
    start = time.time() - 120 * 86400
    store = JobStore.open(store_path)
    made: list[JobRecord] = []
    with store._transaction() as conn:
        for i in range(n):
            created = start + i * (120 * 86400 / n)  # stored oldest first, as a studio does
            parent = made[rng.randrange(max(1, len(made) - 200), len(made))] if made and rng.random() < 0.25 else None
            key = f"{i:08x}{rng.getrandbits(96):024x}"
            folder = archive / key[:2] / key
            folder.mkdir(parents=True, exist_ok=True)
            thumb = folder / "thumb-0.webp"
            try:
                os.link(sources[i % len(sources)], thumb)
            except OSError:
                shutil.copyfile(sources[i % len(sources)], thumb)
            rel = f"{key[:2]}/{key}"
            outputs = [Output(kind="image", index=k, url=f"https://cdn.example/{key}/{k}.png",
                              path=f"{rel}/image-{k}.png", thumb=f"{rel}/thumb-0.webp") for k in range(4)]
            if parent is not None:
                op = rng.choices([o for o, _w in CHILD_OPS], [w for _o, w in CHILD_OPS])[0]
                record = JobRecord(op=op, key=key, model=parent.model, status=Status.COMPLETED,
                                   job_id=f"job-{i}", task_type=op, parent_job_id=parent.job_id,
                                   parent_index=rng.randrange(4), created_at=created, ended_at=created + 40,
                                   outputs=outputs[:1] if op == "upscale" else outputs)
            else:
                words = [rng.choice(LOOKS), rng.choice(SUBJECTS), rng.choice(EXTRAS)]
                if rng.random() < 0.05:
                    words += [rng.choice(LOOKS) for _ in range(rng.randrange(20, 120))]  # the long ones
                prompt = " ".join(words + [rng.choice(FLAGS)]).strip()
                failed = rng.random() < 0.03
                record = JobRecord(op="diffusion", key=key, prompt=prompt, model=rng.choice(MODELS),
                                   status=Status.FAILED if failed else Status.COMPLETED, job_id=f"job-{i}",
                                   task_type="diffusion", created_at=created, ended_at=created + 60,
                                   outputs=[] if failed else outputs, error="Server failed" if failed else None)
            record.favourite = rng.random() < 0.03
            if rng.random() < 0.1:
                record.tags = rng.sample(["client A", "client B", "moodboard", "print", "wip", "portfolio"], 2)
            record.updated_at = created
            store._write(conn, record)
            made.append(record)
    store.close()
    (root / "done").write_text("ok")
    return store_path, archive
