"""Scoring rules as one line of text, for a spreadsheet cell or a form field.

``rule_to_text`` writes the rule dict of ``scoring`` (see its docstring) as
text a person can read and edit; ``rule_from_text`` reads it back. For every
rule in canonical form (points as plain decimal strings, every option and
part with a key, a label and points) ``rule_from_text(m, rule_to_text(m, r))
== r``. The text is checked for syntax only: whether the rule can score
(points within the maximum, tiers rising ...) is ``scoring.validate_rule``'s
job, because only it knows the indicator's maximum.

Numbers take ``,`` or ``.`` as the decimal separator (Vietnamese writes
``7,5``) and never a thousands separator; they are stored with ``.`` and
written back with ``,``. A trailing word ``điểm`` after points is ignored.

=========  =================================================================
method     text
=========  =================================================================
manual     empty
yes_no     empty
tiers      ``4 → 20; 3 → 15; 2 → 10; 1 → 5`` — threshold → points, separated
           by ``;`` or line breaks; ``>=4: 20``, ``≥4: 20``, ``4 = 20`` and
           ``4 -> 20`` are read too. An optional ``đơn vị: cuộc họp`` entry
           names the unit counted.
levels     ``a: Bí thư/Chủ tịch = 20 | b: Phó Bí thư/Phó Chủ tịch = 10 |
           c: Không có = 0`` — key: label = points, separated by ``|`` or line
           breaks (labels contain ``;`` and ``/``). The label ends at the last
           ``=``.
checklist  as levels, one entry per part.
count      ``5`` or ``5 điểm/mục`` — points per item, optionally per a named
           unit (``mục``, ``cuộc họp`` ...).
ratio      ``a: Số cuộc họp do Bí thư chủ trì | b: @population Tổng số dân |
           b=0: zero`` — a term written ``@code`` takes its value from the
           general-information field with that code, optionally followed by
           a label; ``b=0`` is ``full`` (or ``tối đa``) or ``zero`` (or ``0``).
=========  =================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from . import scoring
from .scoring import ScoringError

_NUMBER = r"-?\d+(?:[.,]\d+)?"
_POINTS_WORD = r"(?:\s*điểm)?"
_TIER = re.compile(
    rf"^(?:>=|≥)?\s*(?P<min>{_NUMBER})\s*(?:→|->|=>|=|:)\s*(?P<points>{_NUMBER}){_POINTS_WORD}$",
    re.IGNORECASE,
)
_TIER_UNIT = re.compile(r"^(?:đơn vị|unit)\s*:\s*(?P<unit>.+)$", re.IGNORECASE)
# Greedy label: the points follow the last "=", so a label may itself contain "=" or ":".
_KEYED = re.compile(
    rf"^(?P<key>[^:]+):(?P<label>.*)=\s*(?P<points>{_NUMBER}){_POINTS_WORD}$",
    re.IGNORECASE,
)
_COUNT = re.compile(
    rf"^(?P<points>{_NUMBER}){_POINTS_WORD}(?:\s*/\s*(?P<unit>.+))?$", re.IGNORECASE
)
_FIELD_TERM = re.compile(r"^@(?P<field>[-a-zA-Z0-9_]+)(?:\s+(?P<label>.*))?$")
_IF_B_ZERO = {"full": "full", "tối đa": "full", "zero": "zero", "0": "zero"}
_IF_B_ZERO_TEXT = {"full": "tối đa", "zero": "0"}

EXAMPLES = {
    scoring.TIERS: "4 → 20; 3 → 15; 2 → 10; 1 → 5",
    scoring.LEVELS: "a: Bí thư/Chủ tịch = 20 | b: Phó Bí thư/Phó Chủ tịch = 10 | c: Không có = 0",
    scoring.CHECKLIST: "a: Dự đủ các phiên họp của tỉnh = 10 | b: Chủ trì các cuộc họp = 10",
    scoring.COUNT: "5 điểm/mục",
    scoring.RATIO: "a: Số cuộc họp do Bí thư chủ trì | b: @tong_so_nguoi_dan Tổng số dân | b=0: 0",
}


def _number_text(value) -> str:
    # format(..., "f") spells out exponents ("1E+1" → "10") and keeps the digits written.
    return format(Decimal(str(value)), "f").replace(".", ",")


def _number(text: str) -> str:
    return text.strip().replace(",", ".")


def _entries(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(f"[{separators}\r\n]", text) if part.strip()]


def _unreadable(method: str, part: str) -> str:
    return _("Cannot read “%(part)s”; write it like this: %(example)s") % {
        "part": part,
        "example": EXAMPLES[method],
    }


def rule_to_text(method: str, rule: Mapping | None) -> str:
    """The one-line text of a rule (the module docstring shows the syntax)."""
    rule = rule or {}
    if method in (scoring.LEVELS, scoring.CHECKLIST):
        items = rule.get("options" if method == scoring.LEVELS else "parts") or []
        return " | ".join(
            f"{item['key']}: {item.get('label', '')} = {_number_text(item['points'])}"
            for item in items
        )
    if method == scoring.TIERS:
        parts = [
            f"{_number_text(t['min'])} → {_number_text(t['points'])}"
            for t in rule.get("tiers") or []
        ]
        if rule.get("unit"):
            parts.append(f"đơn vị: {rule['unit']}")
        return "; ".join(parts)
    if method == scoring.COUNT:
        points = _number_text(rule["points_per_item"]) if "points_per_item" in rule else ""
        return f"{points} điểm/{rule['unit']}" if rule.get("unit") else points
    if method == scoring.RATIO:
        parts = []
        for term in ("a", "b"):
            spec = rule.get(term)
            if spec:
                words = [f"@{spec['field']}"] if spec.get("field") else []
                words += [spec["label"]] if spec.get("label") else []
                parts.append(f"{term}: {' '.join(words)}")
        if rule.get("if_b_zero"):
            # Written the Vietnamese way; the reader also takes "full"/"zero".
            parts.append(f"b=0: {_IF_B_ZERO_TEXT[rule['if_b_zero']]}")
        return " | ".join(parts)
    return ""


def rule_from_text(method: str, text: str) -> dict:
    """Read a rule written as ``rule_to_text`` writes it; raise ``ScoringError`` if unreadable."""
    if method not in scoring.METHODS:
        raise ScoringError(_("Unknown scoring method “%(method)s”.") % {"method": method})
    text = (text or "").strip()
    if method in (scoring.MANUAL, scoring.YES_NO):
        if text:
            raise ScoringError(_("This scoring method takes no rule; leave the rule empty."))
        return {}
    if not text:
        raise ScoringError(
            _("This scoring method needs a rule, for example: %(example)s")
            % {"example": EXAMPLES[method]}
        )
    errors: list[str] = []
    if method in (scoring.LEVELS, scoring.CHECKLIST):
        rule = {"options" if method == scoring.LEVELS else "parts": _keyed(method, text, errors)}
    elif method == scoring.TIERS:
        rule = _tiers(text, errors)
    elif method == scoring.COUNT:
        rule = _count(text, errors)
    else:
        rule = _ratio(text, errors)
    if errors:
        raise ScoringError(errors)
    return rule


def _keyed(method: str, text: str, errors: list[str]) -> list[dict]:
    items = []
    for part in _entries(text, "|"):
        match = _KEYED.match(part)
        if not match or not match["key"].strip():
            errors.append(_unreadable(method, part))
            continue
        items.append(
            {
                "key": match["key"].strip(),
                "label": match["label"].strip(),
                "points": _number(match["points"]),
            }
        )
    return items


def _tiers(text: str, errors: list[str]) -> dict:
    rule: dict = {"tiers": []}
    for part in _entries(text, ";"):
        if unit := _TIER_UNIT.match(part):
            rule["unit"] = unit["unit"].strip()
        elif tier := _TIER.match(part):
            rule["tiers"].append({"min": _number(tier["min"]), "points": _number(tier["points"])})
        else:
            errors.append(_unreadable(scoring.TIERS, part))
    return rule


def _count(text: str, errors: list[str]) -> dict:
    match = _COUNT.match(text)
    if not match:
        errors.append(_unreadable(scoring.COUNT, text))
        return {}
    rule = {"points_per_item": _number(match["points"])}
    if match["unit"]:
        rule["unit"] = match["unit"].strip()
    return rule


def _ratio(text: str, errors: list[str]) -> dict:
    rule: dict = {}
    for part in _entries(text, "|"):
        key, colon, value = part.partition(":")
        key = re.sub(r"\s+", "", key).lower()
        value = value.strip()
        if not colon or key not in ("a", "b", "b=0"):
            errors.append(_unreadable(scoring.RATIO, part))
        elif key in rule or (key == "b=0" and "if_b_zero" in rule):
            errors.append(_("“%(term)s” is given twice.") % {"term": key})
        elif key == "b=0":
            if value.lower() not in _IF_B_ZERO:
                errors.append(
                    _("After “b=0:” write “tối đa” (the maximum) or “0”, not “%(value)s”.")
                    % {"value": value}
                )
            else:
                rule["if_b_zero"] = _IF_B_ZERO[value.lower()]
        elif field := _FIELD_TERM.match(value):
            rule[key] = {"field": field["field"]}
            if field["label"] and field["label"].strip():
                rule[key]["label"] = field["label"].strip()
        elif value.startswith("@"):
            errors.append(
                _("“%(value)s” is not a general-information code (letters, digits, - and _).")
                % {"value": value}
            )
        else:
            rule[key] = {"label": value}
    return rule
