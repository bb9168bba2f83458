"""What a provider's figure looks like to people: its value in words, and what it asks for.

A figure is an indicator's raw inputs (``{"a": "300"}`` for a ratio whose
whole is a general-information field) or one general-information field's
value (``{"value": "1520"}``), as ``providers.services`` stores them. The
provider's pages and its sheet show them the same way: a ratio as
``a = 300``, a yes/no as ``Có``, a level or checklist part by its label,
numbers in the active language's format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from indicators import scoring
from indicators.models import GeneralInfoField, natural_key
from indicators.templatetags.indicators_tags import number_exact

from .models import ProviderAssignment


def _number(value) -> str:
    try:
        return number_exact(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return "" if value is None else str(value)


def figure_code(assignment: ProviderAssignment) -> str:
    """``3.2`` for an indicator, ``@tong_so_ho_gia_dinh`` for a general-information field
    (the ``@`` the indicator sets' ratio rules use for the unit's general information)."""
    if assignment.indicator_id:
        return assignment.indicator.code
    return f"@{assignment.info_field.code}"


def figure_name(assignment: ProviderAssignment) -> str:
    return assignment.indicator.name if assignment.indicator_id else assignment.info_field.name


def figure_order(assignments) -> list[ProviderAssignment]:
    """General-information fields first (ratios read them), then indicators by code."""
    return sorted(
        assignments,
        key=lambda a: (
            (1, natural_key(a.indicator.code))
            if a.indicator_id
            else (0, (a.info_field.order, a.info_field.code))
        ),
    )


def value_text(assignment: ProviderAssignment, value: Mapping | None) -> str:
    """The figure sent, in words: ``a = 300``, ``Có``, ``1.520``, a level's label."""
    value = value or {}
    if not assignment.indicator_id:
        if assignment.info_field.kind == GeneralInfoField.Kind.NUMBER:
            return _number(value.get("value"))
        return str(value.get("value") or "")
    indicator = assignment.indicator
    rule, method = indicator.rule or {}, indicator.method
    if method == scoring.RATIO:
        return "; ".join(f"{term} = {_number(value[term])}" for term in ("a", "b") if term in value)
    if method == scoring.YES_NO:
        return _("Yes") if value.get("value") is True else _("No")
    if method == scoring.LEVELS:
        labels = {str(o["key"]): o.get("label") or o["key"] for o in rule.get("options", [])}
        return labels.get(str(value.get("option")), str(value.get("option") or ""))
    if method == scoring.CHECKLIST:
        labels = {str(p["key"]): p.get("label") or p["key"] for p in rule.get("parts", [])}
        checked = value.get("checked") or []
        return "; ".join(labels.get(str(k), str(k)) for k in checked) or _("none of the parts")
    unit = (rule.get("unit") or "").strip() if method in (scoring.TIERS, scoring.COUNT) else ""
    return f"{_number(value.get('value'))} {unit}".strip()


@dataclass(frozen=True)
class Input:
    """One input a figure asks for: ``a``, ``b`` or ``value``, with its label and kind."""

    name: str  # a, b, value
    label: str
    kind: str  # number, text, yes_no, level, checklist
    choices: tuple[tuple[str, str], ...] = ()


def inputs_of(assignment: ProviderAssignment) -> list[Input]:
    """What the provider types for this figure, by the indicator's method or the field's kind.

    A ratio asks for its terms that are not general-information fields (those
    come from the unit's general information); every other method for one value.
    """
    if not assignment.indicator_id:
        field = assignment.info_field
        kind = "number" if field.kind == GeneralInfoField.Kind.NUMBER else "text"
        return [Input("value", field.name, kind)]
    indicator = assignment.indicator
    rule, method = indicator.rule or {}, indicator.method
    if method == scoring.RATIO:
        return [
            Input(term, (rule.get(term) or {}).get("label") or term, "number")
            for term in ("a", "b")
            if not (rule.get(term) or {}).get("field")
        ]
    if method == scoring.YES_NO:
        return [Input("value", _("Answer"), "yes_no", (("yes", _("Yes")), ("no", _("No"))))]
    if method == scoring.LEVELS:
        options = tuple(
            (str(o["key"]), o.get("label") or str(o["key"])) for o in rule.get("options", [])
        )
        return [Input("value", _("Level reached"), "level", options)]
    if method == scoring.CHECKLIST:
        parts = tuple(
            (str(p["key"]), p.get("label") or str(p["key"])) for p in rule.get("parts", [])
        )
        return [Input("value", _("Parts met"), "checklist", parts)]
    label = {
        scoring.MANUAL: _("Score"),
        scoring.TIERS: _("Value"),
        scoring.COUNT: _("Count"),
    }.get(method, _("Value"))
    unit = (rule.get("unit") or "").strip()
    return [Input("value", f"{label} ({unit})" if unit else label, "number")]
