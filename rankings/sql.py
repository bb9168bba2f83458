"""Two small SQL tools of the ranking computation, the same on PostgreSQL and SQLite.

``insert_select`` writes the rows a queryset computes with one
``INSERT … SELECT``, so that a campaign's thousands of results never travel
through Python; ``percent`` is ``indicators.scoring.percentage`` as an SQL
expression, exact on both databases (tests hold the two equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import connections, models
from django.db.models import BigIntegerField, DecimalField, ExpressionWrapper, Value
from django.db.models.functions import Cast, NullIf, Round

from .models import PERCENT


def scaled(expression, places: int):
    """``expression`` × 10^places as a whole number (bigint), rounded to the nearest.

    SQLite keeps decimals as binary floats (27.3 × 100 is 2729.999…), so the
    rounding is what makes the whole number exact there; on PostgreSQL's
    exact numerics it changes nothing. Compare two values this way, never as
    floats.
    """
    return Cast(Round(expression * Value(10**places)), output_field=BigIntegerField())


def percent(achieved, maximum, *, places: int):
    """achieved ÷ maximum × 100, rounded half up to ``places``; NULL when maximum is 0.

    Points have two decimals, so in hundredths they are whole numbers a and m,
    and the rounded percentage in units of 10^-places is

        round_half_up(100·a/m · 10^places) = ⌊(200·10^places·a + m) ÷ 2m⌋,

    a division of whole numbers that both databases do exactly (integer
    division truncates, which is the floor for these non-negative numbers).
    No float ever enters, which is what makes 1.005 round to 1.01 on SQLite.
    """
    a = scaled(achieved, 2)
    m = scaled(maximum, 2)
    steps = (a * Value(200 * 10**places) + m) / (NullIf(m, Value(0)) * Value(2))
    return ExpressionWrapper(
        steps * Value(Decimal(1).scaleb(-places)), output_field=DecimalField(**PERCENT)
    )


def insert_select(model: type[models.Model], rows: models.QuerySet, columns: Mapping[str, str]):
    """``INSERT INTO <model> (<columns>) SELECT …`` from ``rows``, in one statement.

    ``columns`` maps each field of ``model`` (attname, e.g. ``assessment_id``)
    to the name of a field or annotation of ``rows``. Returns the number of
    rows written.
    """
    names = list(columns.values())
    rows = rows.order_by().values(*names)
    # values() keeps the order it is given (Django ≥ 5.2 records it in
    # ``query.selected``); the INSERT's column list relies on that order.
    if list(rows.query.selected or ()) != names:
        raise RuntimeError(f"SELECT columns {list(rows.query.selected)} are not {names}")
    connection = connections[rows.db]
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    quote = connection.ops.quote_name
    targets = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({targets}) {sql}", params)
        return cursor.rowcount


def percent_sql(achieved: str, maximum: str, *, places: int) -> str:
    """``percent`` as SQL text, for the statements written by hand (same arithmetic).

    ``achieved`` and ``maximum`` are SQL expressions of points (two decimals);
    the result is NULL when the maximum is 0. ``tests/rankings`` holds it
    equal to ``percent`` and to ``indicators.scoring.percentage``.
    """
    places = int(places)
    a = f"CAST(ROUND(({achieved}) * 100) AS BIGINT)"
    m = f"CAST(ROUND(({maximum}) * 100) AS BIGINT)"
    unit = format(Decimal(1).scaleb(-places), "f")
    return f"((({a}) * {200 * 10**places} + ({m})) / (NULLIF({m}, 0) * 2)) * {unit}"
