"""``manage.py generate_campaign``: a campaign at national scale for the benchmarks.

    manage.py generate_campaign --units 10000 --indicators 80 --seed 1

Reproducible from ``--seed``; a second run with the same scale and seed finds
the campaign and changes nothing. See ``dti.generator`` for what it builds.
Meant for a benchmark database (``make bench`` uses ``dti_bench``), never for
production: the accounts it creates share one password.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dti import generator


class Command(BaseCommand):
    help = "Generate a benchmark campaign: N communes × M indicators with scores at every stage."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=3321)
        parser.add_argument("--indicators", type=int, default=80)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--open-units", type=int, default=100)
        parser.add_argument("--password", default="bench-dti-2024")

    def handle(self, *args, **options):
        if options["units"] < 1 or options["indicators"] < 1:
            raise CommandError("--units and --indicators must be positive.")
        started = time.perf_counter()
        try:
            result = generator.generate(
                units=options["units"],
                indicators=options["indicators"],
                seed=options["seed"],
                open_units=options["open_units"],
                password=options["password"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        took = time.perf_counter() - started
        verb = "Generated" if result.created else "Found (unchanged)"
        counts = ", ".join(f"{name} {value}" for name, value in result.counts.items())
        self.stdout.write(
            f"{verb} campaign {result.campaign.pk} “{result.campaign.name}”: {counts} "
            f"in {took:.1f} s. Organizer: {result.organizer.username}."
        )
