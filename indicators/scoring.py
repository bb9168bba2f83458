"""The scoring engine: one pure function from (method, rule, raw inputs) to a score.

Every score in the product comes from ``compute_score``: the self-assessment
page (live, as the user types), imports, appraisals and the ranking jobs. It
touches no database and keeps no state, so the same inputs always give the
same ``Decimal``.

Rules and inputs are plain JSON-able dicts (points are written as strings so
that ``Decimal`` keeps them exact):

=========  ==============================================  ==========================
method     rule                                            inputs
=========  ==============================================  ==========================
manual     {}                                              {"value": "12.5"}
yes_no     {}                                              {"value": true}
levels     {"options": [{"key", "label", "points"}, ...]}  {"option": "a"}
tiers      {"tiers": [{"min", "points"}, ...], "unit"}     {"value": "4"}
ratio      {"a": {"label", "field"}, "b": {...},           {"a": "3", "b": "4"}
            "if_b_zero": "full" | "zero"}
count      {"points_per_item": "5", "unit"}                {"value": "3"}
checklist  {"parts": [{"key", "label", "points"}, ...]}    {"checked": ["a", "b"]}
=========  ==============================================  ==========================

A ratio term with a ``field`` takes its value from the unit's general
information (population, officials, ...) instead of the inputs, so a figure
shared by several indicators is typed once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MANUAL = "manual"
YES_NO = "yes_no"
LEVELS = "levels"
TIERS = "tiers"
RATIO = "ratio"
COUNT = "count"
CHECKLIST = "checklist"

METHOD_CHOICES = [
    (MANUAL, gettext_lazy("Manual score")),
    (YES_NO, gettext_lazy("Yes / no")),
    (LEVELS, gettext_lazy("Levels (one option)")),
    (TIERS, gettext_lazy("Tiers by threshold")),
    (RATIO, gettext_lazy("Ratio a/b")),
    (COUNT, gettext_lazy("Count × points per item")),
    (CHECKLIST, gettext_lazy("Checklist of parts")),
]
METHODS = frozenset(code for code, _label in METHOD_CHOICES)

IF_B_ZERO_CHOICES = ("full", "zero")

SCORE_PLACES = Decimal("0.01")
MAX_DIGITS = 15  # integer digits accepted in any figure
FORBIDDEN_IN_TEXT = re.compile(r"[|\r\n]")


class ScoringError(ValidationError):
    """A rule or an input that cannot give a score; messages are for users."""


def to_decimal(value: Any, *, what: str) -> Decimal:
    """Parse a number written by a person, a form or a spreadsheet.

    Booleans, NaN and infinities are refused: they are never a real figure.
    """
    if isinstance(value, bool) or value is None or value == "":
        raise ScoringError(_("%(what)s: a number is required.") % {"what": what})
    if isinstance(value, float):
        value = repr(value)  # floats come from spreadsheets; repr is the shortest exact text
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ScoringError(
            _("%(what)s: “%(value)s” is not a number.") % {"what": what, "value": value}
        ) from None
    if not number.is_finite():
        raise ScoringError(
            _("%(what)s: “%(value)s” is not a number.") % {"what": what, "value": value}
        )
    if number.adjusted() >= MAX_DIGITS:
        # No real figure (population, documents, meetings) is this large; refusing it
        # also keeps Decimal arithmetic far from overflow.
        raise ScoringError(_("%(what)s: the number is too large.") % {"what": what})
    if number and number.adjusted() < -MAX_DIGITS:
        # “1e-999999” is no figure either, and a ratio divided by it overflows.
        raise ScoringError(_("%(what)s: the number has too many decimal places.") % {"what": what})
    return number


def _non_negative(value: Any, *, what: str) -> Decimal:
    number = to_decimal(value, what=what)
    if number < 0:
        raise ScoringError(_("%(what)s cannot be negative.") % {"what": what})
    return number


def _keyed_items(rule: Mapping, name: str, errors: list[str]) -> list[Mapping]:
    items = rule.get(name)
    if not isinstance(items, list) or not items:
        errors.append(_("The rule needs at least one entry in “%(name)s”.") % {"name": name})
        return []
    keys = [item.get("key") if isinstance(item, Mapping) else None for item in items]
    if any(not isinstance(key, str) or not key.strip() for key in keys):
        errors.append(_("Every entry of “%(name)s” needs a key.") % {"name": name})
    texts = keys + [item.get("label") for item in items if isinstance(item, Mapping)]
    if any(isinstance(text, str) and FORBIDDEN_IN_TEXT.search(text) for text in texts):
        # A rule is written in one spreadsheet cell, where “|” separates entries.
        errors.append(_("Keys and labels cannot contain “|” or line breaks."))
    elif len(set(keys)) != len(keys):
        errors.append(_("The keys of “%(name)s” must be different.") % {"name": name})
    return [item for item in items if isinstance(item, Mapping)]


def validate_rule(method: str, rule: Mapping | None, max_points: Any) -> None:
    """Raise ``ScoringError`` listing every problem of a rule; return quietly if sound."""
    errors: list[str] = []
    try:
        maximum = _non_negative(max_points, what=_("Max points"))
    except ScoringError as exc:
        raise ScoringError(exc.messages) from None
    if method not in METHODS:
        raise ScoringError(_("Unknown scoring method “%(method)s”.") % {"method": method})
    rule = rule or {}
    if not isinstance(rule, Mapping):
        raise ScoringError(_("The scoring rule must be a table of settings."))

    def points_of(item: Mapping, what: str) -> Decimal | None:
        try:
            points = _non_negative(item.get("points"), what=what)
        except ScoringError as exc:
            errors.extend(exc.messages)
            return None
        if points > maximum:
            errors.append(
                _("%(what)s: %(points)s points is more than the maximum %(max)s.")
                % {"what": what, "points": points, "max": maximum}
            )
        return points

    if method == LEVELS:
        for item in _keyed_items(rule, "options", errors):
            points_of(item, _("Option “%(key)s”") % {"key": item.get("key")})
    elif method == CHECKLIST:
        for item in _keyed_items(rule, "parts", errors):
            points_of(item, _("Part “%(key)s”") % {"key": item.get("key")})
    elif method == TIERS:
        tiers = rule.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            errors.append(_("The rule needs at least one tier."))
        else:
            parsed = []
            for item in tiers:
                if not isinstance(item, Mapping):
                    errors.append(_("Every tier needs a threshold and points."))
                    continue
                try:
                    threshold = _non_negative(item.get("min"), what=_("Tier threshold"))
                except ScoringError as exc:
                    errors.extend(exc.messages)
                    continue
                points = points_of(item, _("Tier from %(min)s") % {"min": threshold})
                if points is not None:
                    parsed.append((threshold, points))
            thresholds = [threshold for threshold, _points in parsed]
            if len(set(thresholds)) != len(thresholds):
                errors.append(_("Two tiers have the same threshold."))
            ordered = sorted(parsed)
            if any(b[1] < a[1] for a, b in zip(ordered, ordered[1:], strict=False)):
                # A higher threshold worth fewer points would let a better result score less.
                errors.append(_("A higher tier cannot be worth fewer points than a lower one."))
    elif method == RATIO:
        for term in ("a", "b"):
            spec = rule.get(term)
            if not isinstance(spec, Mapping) or not (spec.get("label") or spec.get("field")):
                errors.append(_("The ratio needs a description of “%(term)s”.") % {"term": term})
            elif any(
                isinstance(spec.get(key), str) and FORBIDDEN_IN_TEXT.search(spec[key])
                for key in ("label", "field")
            ):
                errors.append(_("Keys and labels cannot contain “|” or line breaks."))
        if rule.get("if_b_zero") not in IF_B_ZERO_CHOICES:
            errors.append(_("The ratio must state its score when b = 0 (“full” or “zero”)."))
    elif method == COUNT:
        try:
            per_item = _non_negative(rule.get("points_per_item"), what=_("Points per item"))
        except ScoringError as exc:
            errors.extend(exc.messages)
        else:
            if per_item == 0:
                errors.append(_("Points per item must be more than 0."))
    if errors:
        raise ScoringError(errors)


def _term_value(rule: Mapping, term: str, inputs: Mapping, general_info: Mapping) -> Decimal:
    spec = rule.get(term) or {}
    field = spec.get("field")
    label = spec.get("label") or term
    if field:
        if general_info.get(field) in (None, ""):
            raise ScoringError(
                _("General information “%(field)s” has not been entered yet.") % {"field": field}
            )
        return _non_negative(general_info[field], what=label)
    return _non_negative(inputs.get(term), what=label)


class PartExceedsWhole(ScoringError):
    """A ratio's part (a) typed larger than its whole (b)."""


def check_ratio_part(*, rule: Mapping | None, inputs: Mapping | None, general_info=None) -> None:
    """Refuse a ratio whose numerator exceeds its denominator.

    Every ratio of the sets is a share of a whole (officials trained of all
    officials, households connected of all households), so a > b is a typing
    mistake, not a score above 100 % (and with b = 0 there is nothing to
    count, so a must be 0 too). ``compute_score`` caps a/b at 1 as the method
    states; the services call this first, so that the mistake is shown
    instead of silently scored as the maximum (``Indicator.score``). Terms
    that cannot be read are left to ``compute_score`` to refuse.
    """
    if not isinstance(rule or {}, Mapping) or not isinstance(inputs or {}, Mapping):
        return
    rule = rule or {}
    try:
        a = _term_value(rule, "a", inputs or {}, general_info or {})
        b = _term_value(rule, "b", inputs or {}, general_info or {})
    except (ScoringError, AttributeError, TypeError):
        return  # compute_score says what is wrong with them
    if a > b:  # with b = 0 too: nothing to count, so the part must be 0
        a_spec, b_spec = rule.get("a") or {}, rule.get("b") or {}
        a_label = a_spec.get("label") or a_spec.get("field") or "a"
        b_label = b_spec.get("label") or b_spec.get("field") or "b"
        raise PartExceedsWhole(
            _(
                "“%(a_label)s” (%(a)s) cannot be more than “%(b_label)s” (%(b)s): the part "
                "cannot exceed the whole. Check both figures."
            )
            % {"a_label": a_label, "a": _plain(a), "b_label": b_label, "b": _plain(b)},
            code="part_exceeds_whole",
        )


def _plain(number: Decimal) -> str:
    """A figure as typed: no exponent, no trailing zeros after the decimal mark."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def compute_score(
    *,
    method: str,
    rule: Mapping | None,
    max_points: Any,
    inputs: Mapping | None,
    general_info: Mapping | None = None,
) -> Decimal:
    """The score of one indicator, a ``Decimal`` in [0, max_points] with two places.

    Raises ``ScoringError`` (a ``ValidationError`` with Vietnamese messages)
    for an unsound rule or an input that cannot be scored; it never guesses.
    """
    validate_rule(method, rule, max_points)
    rule = rule or {}
    inputs = inputs or {}
    if not isinstance(inputs, Mapping):
        raise ScoringError(_("The answer is not in the expected form."))
    general_info = general_info or {}
    maximum = to_decimal(max_points, what=_("Max points"))

    if method == MANUAL:
        score = _non_negative(inputs.get("value"), what=_("Score"))
        if score > maximum:
            raise ScoringError(
                _("The score %(score)s is more than the maximum %(max)s.")
                % {"score": score, "max": maximum}
            )
    elif method == YES_NO:
        value = inputs.get("value")
        if not isinstance(value, bool):
            raise ScoringError(_("Choose yes or no."))
        score = maximum if value else Decimal(0)
    elif method == LEVELS:
        option = inputs.get("option")
        points = {item["key"]: item["points"] for item in rule["options"]}
        if not isinstance(option, str) or option not in points:
            raise ScoringError(_("Choose one of the listed options."))
        score = to_decimal(points[option], what=_("Points"))
    elif method == TIERS:
        value = _non_negative(inputs.get("value"), what=_("Value"))
        reached = [
            to_decimal(item["points"], what=_("Points"))
            for item in rule["tiers"]
            if value >= to_decimal(item["min"], what=_("Threshold"))
        ]
        score = max(reached, default=Decimal(0))
    elif method == RATIO:
        a = _term_value(rule, "a", inputs, general_info)
        b = _term_value(rule, "b", inputs, general_info)
        if b == 0:
            score = maximum if rule["if_b_zero"] == "full" else Decimal(0)
        else:
            score = min(a / b, Decimal(1)) * maximum
    elif method == COUNT:
        count = _non_negative(inputs.get("value"), what=_("Count"))
        if count != count.to_integral_value():
            raise ScoringError(_("A count must be a whole number."))
        score = min(count * to_decimal(rule["points_per_item"], what=_("Points")), maximum)
    elif method == CHECKLIST:
        checked = inputs.get("checked")
        if not isinstance(checked, list | tuple):
            raise ScoringError(_("Tick the parts that are met."))
        parts = {item["key"]: item["points"] for item in rule["parts"]}
        unknown = [key for key in checked if not isinstance(key, str) or key not in parts]
        if unknown:
            raise ScoringError(_("Unknown part “%(key)s”.") % {"key": unknown[0]})
        total = sum((to_decimal(parts[key], what=_("Points")) for key in set(checked)), Decimal(0))
        score = min(total, maximum)
    else:  # pragma: no cover - validate_rule refuses unknown methods
        raise ScoringError(_("Unknown scoring method “%(method)s”.") % {"method": method})

    return score.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def percentage(achieved: Decimal, maximum: Decimal, places: int = 2) -> Decimal | None:
    """achieved ÷ maximum × 100, rounded half up; None where there is nothing to score."""
    if not maximum:
        return None
    exponent = Decimal(1).scaleb(-places)
    return (achieved * 100 / maximum).quantize(exponent, rounding=ROUND_HALF_UP)


def dti_value(
    *, achieved: Decimal, bonus: Decimal, maximum: Decimal, bonus_rule: str, places: int = 2
) -> Decimal | None:
    """The DTI value of a unit: its points with the bonus as the set's rule says, ÷ maximum.

    The rules (``indicators.models.BonusRule``): "add_capped" adds the bonus and
    caps the value at 100 %; "add_uncapped" adds it; "separate" leaves it out.
    The rankings compute the same in SQL (``rankings.services._with_bonus``); a
    test holds the two together.
    """
    if bonus_rule == "add_capped":
        points = min(achieved + bonus, maximum)
    elif bonus_rule == "add_uncapped":
        points = achieved + bonus
    elif bonus_rule == "separate":
        points = achieved
    else:
        raise ValueError(f"Unknown bonus rule {bonus_rule!r}")
    return percentage(points, maximum, places)
