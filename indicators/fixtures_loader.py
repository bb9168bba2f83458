"""Load an indicator set from the JSON shape of ``fixtures/indicator_sets/`` (see its README).

``load_indicator_set`` checks the whole document first (every rule through
``scoring.validate_rule``, every reference between its parts, the optional
per-pillar ``check`` of component count and maximum) and then creates the
set, its groups, pillars, indicators, sub-indices, general-information fields
and bands in one transaction. A set that is already present (same name, year
and tier) is returned as it is: loading twice changes nothing.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import scoring
from .models import (
    Band,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SubIndex,
    Tier,
)

FORMAT = "dti-indicator-set/1"
FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures" / "indicator_sets"

INDICATOR_TEXT_FIELDS = ("guidance", "evidence_required", "data_source", "verifier", "source_note")


def fixture_paths() -> list[Path]:
    """The committed indicator-set fixtures, in a stable order."""
    return sorted(FIXTURES_DIR.glob("*.json"))


def read_fixture(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def existing_indicator_set(data: dict) -> IndicatorSet | None:
    """The set this document describes, if it has been loaded already."""
    info = data.get("set") or {}
    return IndicatorSet.objects.filter(
        name=info.get("name"), year=info.get("year"), tier=info.get("tier")
    ).first()


def _decimal(value: Any, what: str, errors: list[str]) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(_("%(what)s: “%(value)s” is not a number.") % {"what": what, "value": value})
        return None
    if not number.is_finite():
        errors.append(_("%(what)s: “%(value)s” is not a number.") % {"what": what, "value": value})
        return None
    if number < 0:
        errors.append(_("%(what)s cannot be negative.") % {"what": what})
        return None
    return number


def _check(data: dict) -> list[str]:
    """Every problem of the document, as messages for the person who wrote it."""
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(_("Unknown fixture format “%(format)s”.") % {"format": data.get("format")})
        return errors
    info = data.get("set") or {}
    if not info.get("name"):
        errors.append(_("The set needs a name."))
    if info.get("tier") not in Tier.values:
        errors.append(_("Unknown tier “%(tier)s”.") % {"tier": info.get("tier")})
    if not isinstance(info.get("year"), int):
        errors.append(_("The set needs a year."))
    if info.get("decision_date"):
        try:
            datetime.date.fromisoformat(info["decision_date"])
        except (TypeError, ValueError):
            errors.append(
                _("The decision date “%(date)s” is not a date (YYYY-MM-DD).")
                % {"date": info["decision_date"]}
            )

    fields = {f.get("code"): f for f in data.get("general_info_fields", [])}
    if len(fields) != len(data.get("general_info_fields", [])):
        errors.append(_("Two general information fields have the same code."))
    number_fields = {code for code, f in fields.items() if f.get("kind", "number") == "number"}

    group_codes, pillar_codes, indicator_codes = set(), {}, set()
    for group in data.get("groups", []):
        if group.get("code") in group_codes:
            errors.append(_("Two groups have the code “%(code)s”.") % {"code": group.get("code")})
        group_codes.add(group.get("code"))
        for pillar in group.get("pillars", []):
            p_code = pillar.get("code")
            if not p_code or p_code in pillar_codes:
                errors.append(_("Two pillars have the code “%(code)s”.") % {"code": p_code})
            pillar_codes[p_code] = pillar
            counted, total = 0, Decimal(0)
            for row in pillar.get("indicators", []):
                code = row.get("code")
                if not code or code in indicator_codes:
                    errors.append(_("Two indicators have the code “%(code)s”.") % {"code": code})
                indicator_codes.add(code)
                if not row.get("name"):
                    errors.append(_("Indicator %(code)s has no name.") % {"code": code})
                maximum = _decimal(
                    row.get("max_points"), _("Indicator %(code)s") % {"code": code}, errors
                )
                try:
                    scoring.validate_rule(row.get("method"), row.get("rule"), row.get("max_points"))
                except scoring.ScoringError as exc:
                    errors.extend(
                        _("Indicator %(code)s: %(message)s") % {"code": code, "message": message}
                        for message in exc.messages
                    )
                for term in ("a", "b"):
                    spec = (row.get("rule") or {}).get(term)
                    field = spec.get("field") if isinstance(spec, dict) else None
                    if field and field not in number_fields:
                        errors.append(
                            _(
                                "Indicator %(code)s uses the general information field "
                                "“%(field)s”, which the set does not define as a number."
                            )
                            % {"code": code, "field": field}
                        )
                if maximum is not None and not row.get("is_bonus", False):
                    counted += 1
                    total += maximum
            expected = pillar.get("check")
            if expected:
                if expected.get("component_count") != counted:
                    errors.append(
                        _("Pillar %(code)s has %(found)s indicators instead of %(expected)s.")
                        % {
                            "code": p_code,
                            "found": counted,
                            "expected": expected["component_count"],
                        }
                    )
                if Decimal(str(expected.get("max_points"))) != total:
                    errors.append(
                        _("Pillar %(code)s adds up to %(found)s points instead of %(expected)s.")
                        % {"code": p_code, "found": total, "expected": expected["max_points"]}
                    )

    sub_codes = set()
    for sub_index in data.get("sub_indices", []):
        code = sub_index.get("code")
        if code in sub_codes:
            errors.append(_("Two sub-indices have the code “%(code)s”.") % {"code": code})
        sub_codes.add(code)
        for p_code in sub_index.get("pillars", []):
            pillar = pillar_codes.get(p_code)
            if pillar is None:
                errors.append(
                    _("Sub-index %(sub)s names an unknown pillar “%(pillar)s”.")
                    % {"sub": code, "pillar": p_code}
                )
            elif not pillar.get("scored", True):
                errors.append(
                    _("Sub-index %(sub)s names pillar %(pillar)s, which is not scored.")
                    % {"sub": code, "pillar": p_code}
                )

    thresholds = [str(b.get("min_percent")) for b in data.get("bands", [])]
    for band in data.get("bands", []):
        _decimal(band.get("min_percent"), band.get("name") or "?", errors)
    if len(set(thresholds)) != len(thresholds):
        errors.append(_("Two bands have the same threshold."))
    return errors


@transaction.atomic
def load_indicator_set(data: dict) -> IndicatorSet:
    """Create the set the document describes, or return it unchanged if it exists."""
    errors = _check(data)
    if errors:
        raise ValidationError(errors)
    present = existing_indicator_set(data)
    if present is not None:
        return present

    info = data["set"]
    decision_date = info.get("decision_date")
    indicator_set = IndicatorSet.objects.create(
        name=info["name"],
        tier=info["tier"],
        year=info["year"],
        decision_number=info.get("decision_number") or "",
        decision_date=datetime.date.fromisoformat(decision_date) if decision_date else None,
        issuer=info.get("issuer") or "",
        source_note=info.get("source_note") or "",
        bonus_rule=info.get("bonus_rule") or IndicatorSet._meta.get_field("bonus_rule").default,
        decimal_places=info.get("decimal_places", 2),
    )
    for order, field in enumerate(data.get("general_info_fields", [])):
        GeneralInfoField.objects.create(
            indicator_set=indicator_set,
            code=field["code"],
            name=field["name"],
            kind=field.get("kind", GeneralInfoField.Kind.NUMBER),
            order=order,
        )

    pillars: dict[str, Pillar] = {}
    pillar_order = 0
    for group_order, group_data in enumerate(data.get("groups", [])):
        group = IndicatorGroup.objects.create(
            indicator_set=indicator_set,
            code=group_data["code"],
            name=group_data["name"],
            order=group_order,
        )
        for pillar_data in group_data.get("pillars", []):
            pillar = Pillar.objects.create(
                indicator_set=indicator_set,
                group=group,
                code=pillar_data["code"],
                name=pillar_data["name"],
                scored=pillar_data.get("scored", True),
                order=pillar_order,
            )
            pillar_order += 1
            pillars[pillar.code] = pillar
            for order, row in enumerate(pillar_data.get("indicators", [])):
                # save() runs clean(): the rule and the code are checked once more.
                Indicator.objects.create(
                    pillar=pillar,
                    code=row["code"],
                    name=row["name"],
                    max_points=Decimal(str(row["max_points"])),
                    method=row["method"],
                    rule=row.get("rule") or {},
                    evidence_mandatory=bool(row.get("evidence_mandatory", False)),
                    is_bonus=bool(row.get("is_bonus", False)),
                    is_illustrative=bool(row.get("is_illustrative", False)),
                    order=order,
                    **{name: row.get(name) or "" for name in INDICATOR_TEXT_FIELDS},
                )

    for order, sub_data in enumerate(data.get("sub_indices", [])):
        sub_index = SubIndex.objects.create(
            indicator_set=indicator_set, code=sub_data["code"], name=sub_data["name"], order=order
        )
        sub_index.pillars.set([pillars[code] for code in sub_data.get("pillars", [])])

    for band in data.get("bands", []):
        Band.objects.create(
            indicator_set=indicator_set,
            name=band["name"],
            min_percent=Decimal(str(band["min_percent"])),
            is_illustrative=bool(band.get("is_illustrative", False)),
        )
    return indicator_set
