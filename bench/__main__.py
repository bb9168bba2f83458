"""``python -m bench`` (``make bench``): every benchmark, its JSON, and a table of targets.

    python -m bench                 # 3,321 and 10,000 communes × 80 indicators, all benchmarks
    python -m bench --scales 300    # a quick run
    python -m bench --skip-load     # no load test
    python -m bench --load-paces rush   # the deadline rush only, not the stress run
    python -m bench --fresh         # drop the benchmark database first

Needs PostgreSQL and Redis on loopback (``bench/env.py``); exits non-zero if
they are missing or if a target is missed, after printing everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import env

PASSWORD = "bench-dti-2024"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "commit": commit,
        "load_average_at_start": os.getloadavg()[0],
    }


def write(name: str, payload: dict) -> None:
    env.RESULTS.mkdir(parents=True, exist_ok=True)
    (env.RESULTS / f"{name}.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def vacuum() -> None:
    """VACUUM ANALYZE the benchmark database before the pages are measured.

    The recomputations just replaced hundreds of thousands of rows; autovacuum
    would clean and analyse them on a production server, but it is off on these
    machines (``SHOW autovacuum``), and the dead rows slowed the rankings' counts.
    """
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"vacuum analyze: {time.perf_counter() - began:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--scales", default="3321,10000", help="communes per campaign, comma-separated"
    )
    parser.add_argument("--indicators", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--load-seconds", type=int, default=120)
    parser.add_argument("--load-users", type=int, default=100)
    parser.add_argument(
        "--load-paces",
        default="rush,stress",
        help="load tests to run, comma-separated: rush (a pause of 3-10 s between an "
        "officer's actions; the targets) and stress (0.5-2 s; reported only)",
    )
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",") if s]
    paces = [p for p in args.load_paces.split(",") if p]
    if unknown := set(paces) - {"rush", "stress"}:
        parser.error(f"unknown load paces: {', '.join(sorted(unknown))}")

    env.configure()
    env.ensure_database(fresh=args.fresh)
    import django

    django.setup()
    from django.core.management import call_command

    from dti import generator

    from . import load, pages, recompute

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    info = machine()
    rows: list[tuple[str, str, str, bool | None]] = []  # figure, value, target, met

    generated = {}
    for units in scales:
        began = time.perf_counter()
        result = generator.generate(
            units=units,
            indicators=args.indicators,
            seed=args.seed,
            open_units=max(args.load_users, 100),
            password=PASSWORD,
        )
        took = time.perf_counter() - began
        generated[units] = result
        write(
            f"generate-{units}",
            {
                "started": started,
                "machine": info,
                "created": result.created,
                "seconds": round(took, 1),
                "counts": result.counts,
            },
        )
        verb = "generated" if result.created else "found"
        print(f"{units} communes: {verb} in {took:.1f} s — {result.counts}", flush=True)

    for units, result in generated.items():
        figures = recompute.run(result.campaign)
        write(f"recompute-{units}", {"started": started, "machine": info, **figures})
        rows.append(
            (
                f"recompute, {units} units (median of 3)",
                f"{figures['recompute_median']:.2f} s",
                "≤ 10 s" if units >= 10000 else "—",
                figures["recompute_median"] <= 10 if units >= 10000 else None,
            )
        )
        rows.append(
            (
                f"recompute ÷ one-query baseline ({figures['baseline_median']:.2f} s)",
                f"{figures['ratio']:.2f}×",
                "≤ 2×",
                figures["ratio"] <= 2,
            )
        )
        print(f"recompute {units}: {figures}", flush=True)

    vacuum()
    for units, result in generated.items():
        measured = pages.run(result, repeat=args.repeat)
        write(f"pages-{units}", {"started": started, "machine": info, "pages": measured})
        for page in measured:
            rows.append(
                (
                    f"{page['page']}, {units} units: queries",
                    str(page["queries"]),
                    f"≤ {pages.QUERY_TARGET}",
                    page["queries"] <= pages.QUERY_TARGET,
                )
            )
            rows.append(
                (
                    f"{page['page']}, {units} units: p95",
                    f"{page['p95_ms']:.0f} ms",
                    f"< {pages.P95_TARGET_MS} ms",
                    page["p95_ms"] < pages.P95_TARGET_MS,
                )
            )
        print(f"pages {units}: {json.dumps(measured, ensure_ascii=False)}", flush=True)

    for pace in [] if args.skip_load else paces:
        largest = generated[max(generated)]
        figures = load.run(
            largest,
            password=PASSWORD,
            users=args.load_users,
            seconds=args.load_seconds,
            pace=pace,
        )
        write(
            "load" if pace == "rush" else f"load-{pace}",
            {"started": started, "machine": info, "campaign_units": max(generated), **figures},
        )
        low, high = load.PACES[pace]
        name = f"load ({pace}: a pause of {low:g}–{high:g} s)"
        # The targets are the rush's; the stress run only shows where the server saturates.
        judged = pace == "rush"
        rows.append(
            (
                f"{name}: requests / errors",
                f"{figures['requests']} / {figures['errors']}",
                "0 errors",
                figures["errors"] == 0,
            )
        )
        rows.append(
            (
                f"{name}: lost saves / uploads",
                f"{figures['lost_saves']} of {figures['acknowledged_saves']} / "
                f"{figures['lost_uploads']} of {figures['acknowledged_uploads']}",
                "0 lost",
                figures["lost_saves"] == 0 and figures["lost_uploads"] == 0,
            )
        )
        for action, numbers in figures["actions"].items():
            timed_target = judged and action == "save"
            target = f"< {load.P95_SAVE_TARGET_MS} ms" if timed_target else "—"
            met = numbers["p95_ms"] < load.P95_SAVE_TARGET_MS if timed_target else None
            rows.append(
                (
                    f"{name}: {action} p50/p95/p99 ({numbers['requests']} requests)",
                    f"{numbers['p50_ms']:.0f}/{numbers['p95_ms']:.0f}/{numbers['p99_ms']:.0f} ms",
                    target,
                    met,
                )
            )
        print(f"load {pace}: {json.dumps(figures, ensure_ascii=False)}", flush=True)

    table = render_table(rows, info, started)
    (env.RESULTS / "summary.md").write_text(table, encoding="utf-8")
    print()
    print(table)
    missed = [row for row in rows if row[3] is False]
    return 1 if missed else 0


def render_table(rows, info, started) -> str:
    lines = [
        f"Run {started} on {info['cpu']} ({info['cores']} cores, {info['memory_gib']} GiB), "
        f"commit {info['commit']}, load average at start {info['load_average_at_start']:.2f}",
        "",
        "| figure | measured | target | status |",
        "|---|---|---|---|",
    ]
    for figure, value, target, met in rows:
        status = "—" if met is None else ("met" if met else "MISSED")
        lines.append(f"| {figure} | {value} | {target} | {status} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
