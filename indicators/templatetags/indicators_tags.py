"""Template helpers for indicator sets: numbers as people write them, rules in words."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from indicators import scoring

register = template.Library()


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise InvalidOperation
    return Decimal(str(value).strip())


@register.filter
def number(value) -> str:
    """A figure in the active language's format: ``20``, ``2,50``, ``1.000`` in Vietnamese."""
    try:
        return str(floatformat(_decimal(value), "-2g"))
    except (InvalidOperation, ValueError, TypeError):
        return "" if value is None else str(value)


@register.filter
def percent(value, places=2) -> str:
    """A percentage with the set's decimal places: ``85,50 %``."""
    try:
        return str(floatformat(_decimal(value), f"{int(places)}g")) + "\u00a0%"
    except (InvalidOperation, ValueError, TypeError):
        return ""


def _points(value) -> str:
    amount = _decimal(value)
    if amount == 1:
        return _("%(points)s point") % {"points": number(amount)}
    return _("%(points)s points") % {"points": number(amount)}


def _term(spec: Mapping, names: Mapping[str, str]) -> str:
    label = (spec.get("label") or "").strip()
    field = spec.get("field")
    if not field:
        return label
    field_name = names.get(field, field)
    source = _("taken from the general information “%(field)s”") % {"field": field_name}
    return f"{label} ({source})" if label else field_name + f" ({source})"


def _tiers(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    tiers = sorted(rule["tiers"], key=lambda tier: _decimal(tier["min"]), reverse=True)
    steps = [f"≥ {number(tier['min'])} → {_points(tier['points'])}" for tier in tiers]
    lowest = _decimal(tiers[-1]["min"])
    if lowest > 0:
        steps.append(_("below %(min)s → 0 points") % {"min": number(lowest)})
    unit = (rule.get("unit") or "").strip()
    if unit:
        return _("By count (%(unit)s): %(steps)s") % {"unit": unit, "steps": "; ".join(steps)}
    return _("By count: %(steps)s") % {"steps": "; ".join(steps)}


def _ratio(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    full = rule["if_b_zero"] == "full"
    zero = _("if b = 0: full points") if full else _("if b = 0: 0 points")
    return _(
        "Ratio a/b × max points (at most the max points); a = %(a)s; b = %(b)s; %(if_zero)s"
    ) % {"a": _term(rule["a"], names), "b": _term(rule["b"], names), "if_zero": zero}


def _choices(items, maximum: Decimal) -> str:
    return "; ".join(
        f"{item['label'] or item['key']} → {_points(item['points'])}" for item in items
    )


def _levels(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    return _("Choose one level: %(options)s") % {"options": _choices(rule["options"], maximum)}


def _checklist(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    parts = rule["parts"]
    text = _("Sum of the parts met: %(parts)s") % {"parts": _choices(parts, maximum)}
    if sum((_decimal(part["points"]) for part in parts), Decimal(0)) > maximum:
        text += "; " + _("at most %(max)s") % {"max": _points(maximum)}
    return text


def _yes_no(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    return _("Yes → the max points (%(max)s); No → 0 points") % {"max": _points(maximum)}


def _count(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    values = {"per_item": _points(rule["points_per_item"]), "max": _points(maximum)}
    unit = (rule.get("unit") or "").strip()
    if unit:
        return _("Count (%(unit)s) × %(per_item)s, at most %(max)s") % {**values, "unit": unit}
    return _("Count × %(per_item)s, at most %(max)s") % values


def _manual(rule: Mapping, maximum: Decimal, names: Mapping) -> str:
    return _("Score entered directly, from 0 to the max points (%(max)s)") % {
        "max": _points(maximum)
    }


_DESCRIBERS = {
    scoring.TIERS: _tiers,
    scoring.RATIO: _ratio,
    scoring.LEVELS: _levels,
    scoring.CHECKLIST: _checklist,
    scoring.YES_NO: _yes_no,
    scoring.COUNT: _count,
    scoring.MANUAL: _manual,
}


def describe_rule(indicator, general_info_names: Mapping[str, str] | None = None) -> str:
    """How an indicator is scored, in plain words of the active language.

    ``general_info_names`` maps general-information codes to their names, so a
    ratio can say where its denominator comes from. A rule that cannot be read
    falls back to the method's name rather than breaking a public page.
    """
    describer = _DESCRIBERS.get(indicator.method)
    if describer is not None:
        try:
            return describer(
                indicator.rule or {}, _decimal(indicator.max_points), general_info_names or {}
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, InvalidOperation):
            pass
    return str(dict(scoring.METHOD_CHOICES).get(indicator.method, indicator.method))


@register.simple_tag(takes_context=True, name="describe_rule")
def describe_rule_tag(context, indicator) -> str:
    return describe_rule(indicator, context.get("general_info_names"))


@register.simple_tag
def rounding_example(places) -> str:
    """``85,445 → 85,45`` for two places: one case where rounding half up shows."""
    places = int(places)
    value = Decimal("85." + "4" * places + "5")
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{number_exact(value)} → {number_exact(rounded)}"


def number_exact(value: Decimal) -> str:
    """Every decimal digit of ``value``, in the active language's format."""
    places = max(0, -value.as_tuple().exponent)
    return str(floatformat(value, f"{places}g"))
