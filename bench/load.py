"""Deadline-rush load test: 100 officers saving answers and uploading files for two minutes.

The server is gunicorn with several workers on 127.0.0.1, against the
benchmark's PostgreSQL and Redis. The officers are threads in a few client
processes (each its own session, as a browser): they log in, open their
unit's page over a ramp-up of 90 s (logins are not in the measured window,
each costs a password hash), then, from the same moment for all and until the
time is up, after a pause (``PACES``: 3–10 s for the rush, 0.5–2 s for the
stress run), save an answer (70 %), upload a 1–5 MB PDF (15 %) or open their
page again (15 %). Saves and uploads send ``HX-Request`` as the page does.
Every request's latency and status is kept; afterwards every save the
server acknowledged (200 with "saved") must be the answer stored, and every
acknowledged upload must have its row, with the same SHA-256, and its file
on disk with those bytes. The load stops by itself; the server is stopped
at the end, whatever happens.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .env import ROOT, WORK
from .pages import percentile

HOST, PORT = "127.0.0.1", 8765
BASE = f"http://{HOST}:{PORT}"
P95_SAVE_TARGET_MS = 300
VALUE_METHODS = ("tiers", "count")
SAVED = "✓"
# The logins (a password hash each, PBKDF2 at 1,000,000 rounds: about 0.5 s of CPU)
# spread over this, before the window, ending 15 s before it: 100 of them take half a
# minute of both cores, and at 45 s they were still queueing when the window opened.
RAMP_UP_SECONDS = 90
# Seconds an officer pauses between two actions. "rush": a person filling indicators
# in the last days (read the rule, find the figure, type it, leave the field: one
# autosave), about 15 requests a second from 100 officers; the targets apply to it.
# "stress": 4 times faster than anyone types, about 60 requests a second offered
# to 2 cores, to show where the server saturates; reported without a target.
PACES = {"rush": (3.0, 10.0), "stress": (0.5, 2.0)}


@dataclass
class Officer:
    username: str
    password: str
    assessment_id: int
    # indicator id → its response id, for indicators answered with one number
    indicators: dict[int, int]
    versions: dict[int, int]


@dataclass
class Outcome:
    samples: list[tuple[str, float, int, bool]] = field(default_factory=list)
    saves: dict[str, str] = field(default_factory=dict)  # "response id" → last acked value
    uploads: list[tuple[int, str]] = field(default_factory=list)  # (response id, sha256)


def officers_of(generated, password: str) -> list[Officer]:
    from assessments.models import Response

    result = []
    for person in generated.officers:
        rows = Response.objects.filter(
            assessment__campaign=generated.campaign,
            assessment__unit=person.unit,
            indicator__method__in=VALUE_METHODS,
            indicator__is_bonus=False,
        ).values_list("assessment_id", "indicator_id", "pk", "version")
        rows = list(rows)
        result.append(
            Officer(
                username=person.username,
                password=password,
                assessment_id=rows[0][0],
                indicators={indicator: pk for _, indicator, pk, _ in rows},
                versions={indicator: version for _, indicator, _, version in rows},
            )
        )
    return result


# --- one officer -------------------------------------------------------------------------


class Session:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, method: str, path: str, data: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if method == "POST":
            headers.setdefault("X-CSRFToken", self.csrf())
            headers.setdefault("Referer", BASE + path)
        req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except OSError as exc:
            return 0, str(exc)

    def form(self, path: str, fields: dict[str, str], *, htmx: bool = False):
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if htmx:  # as the page's autosave sends it
            headers["HX-Request"] = "true"
        return self.request("POST", path, body, headers)

    def multipart(self, path: str, fields: dict[str, str], name: str, filename: str, data: bytes):
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "HX-Request": "true"},
        )


def a_pdf(rng: random.Random) -> bytes:
    """A PDF of 1–5 MB whose body is hex text: nothing in it looks like active content."""
    size = rng.randint(1, 5) * 1024 * 1024
    body = rng.randbytes(size // 2).hex().encode()
    return b"%PDF-1.4\n%" + body[: size - 20] + b"\n%%EOF\n"


def simulate(
    officer: Officer,
    start: float,
    until: float,
    seed: int,
    outcome: Outcome,
    lock,
    pause: tuple[float, float] = PACES["rush"],
) -> None:
    rng = random.Random(seed)
    session = Session()
    page = f"/danh-gia/{officer.assessment_id}/"
    # People arrive over the ramp-up, not in one second: each logs in at its own moment,
    # and every officer starts working when the measured window opens.
    time.sleep(max(0.0, rng.uniform(0, start - time.monotonic() - 15)))

    def timed(call):
        started = time.perf_counter()
        status, body = call()
        elapsed = (time.perf_counter() - started) * 1000
        return status, body, elapsed

    status, _body, ms = timed(lambda: session.request("GET", "/dang-nhap/"))
    status, body, ms = timed(
        lambda: session.form(
            "/dang-nhap/",
            {
                "username": officer.username,
                "password": officer.password,
                "csrfmiddlewaretoken": session.csrf(),
            },
        ),
    )
    samples = [("login", ms, status, status == 200 and "dang-xuat" in body)]
    status, body, ms = timed(lambda: session.request("GET", page))
    samples.append(("first page", ms, status, status == 200))
    time.sleep(max(0.0, start - time.monotonic()))
    saves, uploads = {}, []
    indicator_ids = sorted(officer.indicators)
    while time.monotonic() < until:
        time.sleep(rng.uniform(*pause))
        if time.monotonic() >= until:
            break
        draw = rng.random()
        indicator = rng.choice(indicator_ids)
        response_id = officer.indicators[indicator]
        if draw < 0.70:
            value = str(rng.randint(0, 12))
            fields = {
                "expected_version": str(officer.versions[indicator]),
                "value": value,
                "note": f"Lưu lúc {time.time():.3f}",
                "csrfmiddlewaretoken": session.csrf(),
            }
            path = f"{page}chi-so/{indicator}/"
            status, body, ms = timed(lambda p=path, f=fields: session.form(p, f, htmx=True))
            ok = status == 200 and SAVED in body and 'data-testid="conflict"' not in body
            if ok:
                saves[str(response_id)] = value
                found = re.search(r'name="expected_version" value="(\d+)"', body)
                if found:
                    officer.versions[indicator] = int(found.group(1))
            samples.append(("save", ms, status, ok))
        elif draw < 0.85:
            data = a_pdf(rng)
            path = f"{page}chi-so/{indicator}/tai-lieu/"
            fields = {"kind": "file", "csrfmiddlewaretoken": session.csrf()}
            status, body, ms = timed(
                lambda p=path, f=fields, d=data: session.multipart(p, f, "file", "bien-ban.pdf", d),
            )
            ok = status == 200 and 'data-testid="evidence-errors"' not in body
            if ok:
                uploads.append((response_id, hashlib.sha256(data).hexdigest()))
            samples.append(("upload", ms, status, ok))
        else:
            status, body, ms = timed(lambda: session.request("GET", page))
            samples.append(("page", ms, status, status == 200))
    with lock:
        outcome.samples.extend(samples)
        outcome.saves.update(saves)
        outcome.uploads.extend(uploads)


def _client_process(
    officers: list[Officer],
    start_wall: float,
    until_wall: float,
    seed: int,
    out_path: str,
    pause: tuple[float, float],
):
    outcome, lock = Outcome(), threading.Lock()
    start = time.monotonic() + (start_wall - time.time())
    until = time.monotonic() + (until_wall - time.time())
    threads = [
        threading.Thread(
            target=simulate,
            args=(officer, start, until, seed * 1000 + i, outcome, lock, pause),
            daemon=True,
        )
        for i, officer in enumerate(officers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, until - time.monotonic()) + 120)
    Path(out_path).write_text(
        json.dumps({"samples": outcome.samples, "saves": outcome.saves, "uploads": outcome.uploads})
    )


# --- the server ---------------------------------------------------------------------------


def start_server(workers: int) -> subprocess.Popen:
    log = open(WORK / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "dti.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {WORK / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(BASE + "/dang-nhap/", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- the run and the checks ----------------------------------------------------------------


def verify(generated, saves: dict[str, str], uploads: list[tuple[int, str]]) -> dict:
    """Every acknowledged write is stored: answers as the last acknowledged, files byte for byte."""
    from assessments.models import Evidence, Response

    stored = {
        str(pk): inputs
        for pk, inputs in Response.objects.filter(pk__in=[int(k) for k in saves]).values_list(
            "pk", "inputs"
        )
    }
    lost_saves = [pk for pk, value in saves.items() if (stored.get(pk) or {}).get("value") != value]
    evidence = {
        (row.response_id, row.sha256): row
        for row in Evidence.objects.filter(
            response__assessment__campaign=generated.campaign, kind="file"
        )
    }
    storage = Evidence._meta.get_field("file").storage
    lost_uploads = []
    for response_id, digest in uploads:
        row = evidence.get((response_id, digest))
        if row is None or not storage.exists(row.file.name):
            lost_uploads.append((response_id, digest))
            continue
        with storage.open(row.file.name, "rb") as handle:
            on_disk = hashlib.sha256()
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                on_disk.update(chunk)
        if on_disk.hexdigest() != digest:
            lost_uploads.append((response_id, digest))
    rows_without_files = [row.pk for row in evidence.values() if not storage.exists(row.file.name)]
    return {
        "acknowledged_saves": len(saves),
        "lost_saves": len(lost_saves),
        "acknowledged_uploads": len(uploads),
        "lost_uploads": len(lost_uploads),
        "evidence_rows_without_file": len(rows_without_files),
    }


def run(
    generated,
    *,
    password: str,
    users: int = 100,
    seconds: int = 120,
    workers: int = 5,
    processes: int = 4,
    pace: str = "rush",
) -> dict:
    officers = officers_of(generated, password)[:users]
    if len(officers) < users:
        raise RuntimeError(f"The campaign has {len(officers)} officers, not {users}.")
    server = start_server(workers)
    try:
        start_wall = time.time() + RAMP_UP_SECONDS
        until_wall = start_wall + seconds
        outs = [WORK / f"load-{n}.json" for n in range(processes)]
        context = multiprocessing.get_context("spawn")
        children = [
            context.Process(
                target=_client_process,
                args=(
                    officers[n::processes],
                    start_wall,
                    until_wall,
                    n + 1,
                    str(outs[n]),
                    PACES[pace],
                ),
            )
            for n in range(processes)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(timeout=RAMP_UP_SECONDS + seconds + 300)
            if child.is_alive():
                child.terminate()
    finally:
        stop_server(server)
    samples, saves, uploads = [], {}, []
    for path in outs:
        data = json.loads(path.read_text())
        samples += data["samples"]
        saves.update(data["saves"])
        uploads += [tuple(item) for item in data["uploads"]]
    actions = {}
    for action in ("login", "first page", "page", "save", "upload"):
        rows = [s for s in samples if s[0] == action]
        if not rows:
            continue
        times = [s[1] for s in rows]
        actions[action] = {
            "requests": len(rows),
            "errors": sum(1 for s in rows if not s[3]),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
        }
    return {
        "pace": pace,
        "pause_seconds": list(PACES[pace]),
        "users": users,
        "seconds": seconds,
        "gunicorn_workers": workers,
        "client_processes": processes,
        "requests": len(samples),
        "errors": sum(1 for s in samples if not s[3]),
        "actions": actions,
        **verify(generated, saves, uploads),
    }
