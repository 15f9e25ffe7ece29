"""`legnext-studio generate / history / show / resume / export`: the window's jobs, store and
archive, for scripts.

    generate PROMPT... [--wait] [--json]   one diffusion job per prompt ({a, b} sets expanded), checked first
    history [--search TEXT] [--status S] [--limit N] [--json]
    show KEY_OR_JOB_ID [--json]
    resume [--json]                        watch every job that has not ended until it is archived
    export KEY_OR_JOB_ID DIR [--image N]... [--json]
                                           write a job's archived files into DIR with their
                                           prompt embedded (PNG text chunks, else a .json
                                           sidecar); prints each written path

`--offline` and `--base-url` work as for the window, the key comes from the keyring or
LEGNEXT_API_KEY. `--json` prints one object per line per job. Exit status: 0 when every job
ended completed, 1 when any failed or was refused, 2 for bad usage.

history, show and export read the store only (no Qt); generate and resume run the same
`JobsSession` as the window on a Qt core event loop. export exits 1 when the job is unknown, has
no archived file (or not the asked images), or DIR cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

COMMANDS = ("generate", "history", "show", "resume", "export")


def _parser(command: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"legnext-studio {command}")
    if command in ("generate", "resume"):
        p.add_argument("--offline", action="store_true", help="use the built-in offline sandbox")
        p.add_argument("--base-url", metavar="URL", help="send jobs to this Legnext-compatible server")
    if command == "generate":
        p.add_argument("prompts", nargs="+", metavar="PROMPT", help="one job per prompt (quote each)")
        p.add_argument("--wait", action="store_true",
                       help="wait until every job has ended and its files are archived")
    elif command == "history":
        p.add_argument("--search", metavar="TEXT", help="words of the prompt (prefixes match)")
        p.add_argument("--status", metavar="S", help="only jobs with this status, e.g. completed")
        p.add_argument("--limit", metavar="N", type=int, default=20, help="at most N jobs (default 20)")
    elif command == "show":
        p.add_argument("job", metavar="KEY_OR_JOB_ID")
    elif command == "export":
        p.add_argument("job", metavar="KEY_OR_JOB_ID")
        p.add_argument("dir", metavar="DIR", help="the folder to write into (made if missing)")
        p.add_argument("--image", metavar="N", type=int, action="append", dest="images",
                       help="only image (or video) N, counted from 1; repeat for more (default: all)")
        p.add_argument("--json", action="store_true", dest="as_json",
                       help="one JSON object per line per file: path, sidecar, job_id, image")
        return p
    p.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per line per job")
    return p


def job_json(record: Any, archive: Any) -> dict[str, Any]:
    """What `--json` prints for a job (the record, with absolute paths of its archived files)."""
    files = []
    if archive is not None:
        for output in record.outputs:
            if output.path:
                path = archive.absolute(output.path)
                if path.is_file():
                    files.append(str(path))
    return {
        "key": record.key,
        "job_id": record.job_id,
        "status": record.status.value,
        "task_type": record.task_type or record.op,
        "prompt": record.prompt,
        "model": record.model,
        "created_at": datetime.fromtimestamp(record.created_at).astimezone().isoformat(timespec="seconds"),
        "parent_job_id": record.parent_job_id,
        "parent_image_no": record.parent_index,
        "credits": record.credits,
        "seed": record.seed,
        "error": record.error,
        "may_have_run": record.may_have_run,
        "origin": record.origin.value,  # "external": found on the account, sent elsewhere
        "files": files,
    }


def _line(record: Any, archive: Any) -> str:
    when = datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M")
    ident = record.job_id or record.key
    status = record.status.value
    prompt = (record.prompt or record.task_type or record.op or "").replace("\n", " ")
    if len(prompt) > 60:
        prompt = prompt[:59] + "…"
    text = f"{when}  {status:<11} {record.op:<12} {ident}  {prompt}"
    if record.error:
        text += f"\n{'':18}{record.error}"
    return text


def _print(records: list[Any], archive: Any, as_json: bool) -> None:
    for record in records:
        if as_json:
            print(json.dumps(job_json(record, archive), ensure_ascii=False), flush=True)
        else:
            print(_line(record, archive), flush=True)
            if archive is not None:
                for path in job_json(record, archive)["files"]:
                    print(f"{'':18}{path}")


def _exit_code(records: list[Any]) -> int:
    return 0 if all(r.status.value == "completed" for r in records) else 1


def _store() -> tuple[Any, Any]:
    from studio import paths
    from studio.store.archive import Archive
    from studio.store.db import open_store

    store, message = open_store(paths.store_path())
    if message:
        print(f"legnext-studio: {message}", file=sys.stderr)
    return store, Archive(paths.archive_dir())


def checked_base_url(url: str, prog: str) -> str | None:
    """A --base-url as the client will use it (https:// added when no scheme is given), or None
    after printing why it is refused (plain http to another machine: the key would travel in
    clear)."""
    from studio.session.settings import BadServerUrl, normalise_base_url

    try:
        return normalise_base_url(url)
    except BadServerUrl as exc:
        print(f"{prog}: --base-url refused: {exc}", file=sys.stderr)
        return None


def main(command: str, argv: list[str]) -> int:
    from studio import logs

    logs.setup()  # the log file (platform log folder), redacted
    try:
        args = _parser(command).parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors (2) and --help (0)
        return int(exc.code or 0)
    if command in ("history", "show"):
        store, archive = _store()
        try:
            if command == "history":
                from studio.store.records import Status

                status = None
                if args.status:
                    status = Status.of(args.status)
                    if status.value != args.status.strip().lower():
                        names = ", ".join(s.value for s in Status)
                        print(f"legnext-studio history: unknown status {args.status!r}; one of: {names}",
                              file=sys.stderr)
                        return 2
                records = store.search(args.search, status=status, limit=max(1, args.limit))
                _print(records, archive, args.as_json)
                if not records and not args.as_json:
                    print("No jobs match." if (args.search or status) else "No jobs yet.", file=sys.stderr)
                return 0
            record = store.find(args.job)
            if record is None:
                print(f"legnext-studio show: no job {args.job!r} in the history", file=sys.stderr)
                return 1
            _print([record], archive, args.as_json)
            return _exit_code([record])
        finally:
            store.close()
    if command == "export":
        return _export(args)
    from studio.session.failures import insecure_http_warning
    from studio.session.settings import plain_http_allowed

    if plain_http_allowed():  # said at every start while the override is set
        print(f"legnext-studio {command}: warning: {insecure_http_warning()}", file=sys.stderr)
    if getattr(args, "base_url", None):
        args.base_url = checked_base_url(args.base_url, f"legnext-studio {command}")
        if args.base_url is None:
            return 2
    if command == "generate":
        sets = _check_prompts(args.prompts)
        if sets is None:
            return 1
        args.sets = sets
    return _run_jobs(command, args)


def _export(args: Any) -> int:
    """export: a job's archived files into DIR, each carrying its prompt (studio.store.exports)."""
    from pathlib import Path

    from studio.store.exports import archived_outputs, export_outputs

    name = "legnext-studio export"
    if args.images and any(n < 1 for n in args.images):
        print(f"{name}: --image counts from 1, not {min(args.images)}", file=sys.stderr)
        return 2
    store, archive = _store()
    try:
        record = store.find(args.job)
    finally:
        store.close()
    if record is None:
        print(f"{name}: no job {args.job!r} in the history", file=sys.stderr)
        return 1
    ident = record.job_id or record.key
    indexes = [n - 1 for n in dict.fromkeys(args.images)] if args.images else None
    found = archived_outputs(record, archive, indexes)
    archived = [i for i, path in found if path is not None]
    missing = [i for i, path in found if path is None]
    if indexes is not None:
        missing += [i for i in indexes if i not in {j for j, _ in found}]
    if not archived:
        what = (f"image {', '.join(str(i + 1) for i in sorted(set(missing)))} of " if indexes else "")
        print(f"{name}: {what}job {ident} has no archived file to export (never downloaded, or "
              "removed from the archive)", file=sys.stderr)
        return 1
    if indexes is not None and missing:
        numbers = ", ".join(str(i + 1) for i in sorted(set(missing)))
        print(f"{name}: job {ident} has no archived file for image {numbers}; nothing written",
              file=sys.stderr)
        return 1
    folder = Path(args.dir).expanduser()
    if folder.exists() and not folder.is_dir():
        print(f"{name}: {folder} is not a folder", file=sys.stderr)
        return 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = export_outputs(record, archive, folder, indexes)
    except OSError as exc:
        print(f"{name}: cannot write to {folder}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for item in written:
        if args.as_json:
            print(json.dumps({"path": str(item.path), "sidecar": str(item.sidecar) if item.sidecar else None,
                              "job_id": record.job_id, "key": record.key,
                              "image": None if item.index is None else item.index + 1},
                             ensure_ascii=False), flush=True)
        else:
            print(item.path, flush=True)
            if item.sidecar is not None:
                print(item.sidecar, flush=True)
    if missing:
        numbers = ", ".join(str(i + 1) for i in sorted(set(missing)))
        print(f"{name}: image {numbers} of job {ident} is not in the archive; skipped", file=sys.stderr)
    return 0


def _check_prompts(prompts: list[str]) -> list[list[str]] | None:
    """Lint each prompt as the window does ({a, b} sets expanded, the user's presets and default
    suffix written out): the prompts each one sends, or None (the reasons printed) if any is
    refused."""
    from studio.prompt import lint_set
    from studio.store.preset_file import load

    loaded = load()
    if loaded.message:
        print(f"legnext-studio generate: {loaded.message}", file=sys.stderr)
    refused = False
    sets: list[list[str]] = []
    for prompt in prompts:
        result = lint_set(prompt, presets=loaded.book)
        if not prompt.strip():
            print("legnext-studio generate: an empty prompt was given", file=sys.stderr)
            refused = True
        for diagnostic in result.errors:
            print(f"legnext-studio generate: {prompt!r}: {diagnostic.message}", file=sys.stderr)
            refused = True
        sets.append([p.text for p in result.prompts])
    return None if refused else sets


def _run_jobs(command: str, args: Any) -> int:
    """generate / resume: the window's session, on a Qt core loop (no widgets)."""
    import asyncio

    import qasync
    from PySide6.QtCore import QCoreApplication

    from studio.app import Studio

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    studio = Studio(offline=args.offline, base_url=args.base_url)
    studio.auto_resume = False  # resume picks its jobs below; generate leaves others alone
    jobs = studio.build_session()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def work() -> int:
        try:
            try:
                await asyncio.wait_for(studio.connect(), 60)
            except Exception as exc:
                detail = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
                print(f"legnext-studio {command}: could not connect: {detail}", file=sys.stderr)
                return 1
            if command == "resume":
                restored = {e.key for e in jobs.restore(recent=0)}
                jobs.resume_unfinished()
                jobs.send_waiting()  # never sent before the stop: resume sends them now
                entries = [e for e in jobs.entries() if e.key in restored]
            else:
                entries = []
                for texts in args.sets:  # a prompt with {a, b} sets sends them as one set
                    entries += (jobs.submit_set(texts) if len(texts) > 1
                                else [jobs.submit("diffusion", text=p, prompt=p) for p in texts])
            sandbox = studio.plan is not None and studio.plan.sandbox
            wait = command == "resume" or args.wait or sandbox
            if command == "generate" and sandbox and not args.wait:
                print("legnext-studio generate: the offline sandbox ends with this command, so it "
                      "waits for the jobs", file=sys.stderr)
            while entries and not all(_settled(e, wait) for e in entries):
                await asyncio.sleep(0.05)
            records = [e.record for e in entries]
            _print(records, studio.archive, args.as_json)
            if command == "generate" and not wait:
                return 1 if any(r.status.value in ("error", "failed", "unknown") for r in records) else 0
            return _exit_code(records)
        finally:
            await studio.aclose()

    try:
        with loop:
            return loop.run_until_complete(work())
    finally:
        asyncio.set_event_loop(None)


def _settled(entry: Any, wait: bool) -> bool:
    """Whether the command is done with this job: ended (and archived), or, without --wait,
    accepted by the server (its id is known)."""
    if entry.finished:
        return True
    return not wait and entry.job_id is not None


def console_main() -> int:  # pragma: no cover - thin wrapper
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in COMMANDS:
        print(f"usage: legnext-studio {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return main(command, sys.argv[2:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console_main())
