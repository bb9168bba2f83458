"""Forms of the unit's pages: one indicator's answer, general information, evidence.

The forms only turn what people type into the raw inputs of the scoring
engine (``indicators.scoring``); scoring and every rule stay in the engine
and the services. Numbers are accepted as people write them: ``12,5`` as
well as ``12.5``, and ``1.000`` (Vietnamese thousands) as one thousand.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from dti.auth import ReauthenticationForm
from indicators import scoring

NUMBER_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}


def normalize_number(text: str) -> str:
    """``"1.234,5"``, ``"1,234.5"``, ``"12,5"``, ``"12.5"`` → ``"1234.5"`` / ``"12.5"``.

    Both separators present: the last one is the decimal mark. One separator
    repeated: it groups thousands. A single separator is the decimal mark,
    except the active language's thousands separator followed by exactly three
    digits (``1.000`` in Vietnamese is one thousand).
    """
    text = re.sub(r"[\s\u00a0\u202f]", "", str(text))
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        return text.replace(grouping, "").replace(decimal_mark, ".")
    for mark in (",", "."):
        if text.count(mark) > 1:
            return text.replace(mark, "")
        if text.count(mark) == 1:
            thousands = formats.get_format("THOUSAND_SEPARATOR")
            if mark == thousands and re.fullmatch(r"-?\d{1,3}[.,]\d{3}", text):
                return text.replace(mark, "")
            return text.replace(mark, ".")
    return text


def format_number(value) -> str:
    """A stored figure as the active language writes it, without grouping (``12,5``)."""
    if value in (None, ""):
        return ""
    text = str(value)
    try:
        Decimal(text)
    except InvalidOperation:
        return text
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))


class NumberInput(forms.TextInput):
    """A text box for figures: a phone shows its number pad, and a comma is accepted."""

    def __init__(self, attrs=None):
        super().__init__({**NUMBER_ATTRS, **(attrs or {})})

    def format_value(self, value):
        return format_number(value) or None


class FlexibleDecimalField(forms.CharField):
    """A figure typed as ``12,5`` or ``12.5``; cleans to the engine's text (``"12.5"``)."""

    widget = NumberInput

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        normalized = normalize_number(value)
        try:
            number = Decimal(normalized)
        except InvalidOperation:
            raise ValidationError(
                _("“%(value)s” is not a number."), params={"value": value}, code="invalid"
            ) from None
        if not number.is_finite():
            raise ValidationError(
                _("“%(value)s” is not a number."), params={"value": value}, code="invalid"
            )
        return normalized


def _points_label(label: str, points) -> str:
    from indicators.templatetags.indicators_tags import number

    return f"{label} ({_('%(points)s points') % {'points': number(points)}})"


class ResponseForm(forms.Form):
    """One indicator's answer: the fields its scoring method needs, a note, the version.

    ``inputs()`` gives the engine's raw inputs, or None when nothing is
    entered (the answer is cleared). A ratio term taken from the general
    information has no field: the engine reads it from the assessment.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    confirm_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, indicator, prefix=None, provided_note=False, **kwargs):
        self.indicator = indicator
        super().__init__(*args, prefix=prefix, **kwargs)
        if provided_note:
            # An agency provided this figure: changing it needs a reason (the service says
            # when), which the council reads beside both values.
            self.fields["provided_change_note"] = forms.CharField(
                label=_("Reason for changing the provided figure"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
        method, rule = indicator.method, indicator.rule or {}
        fields = {}
        if method in (scoring.MANUAL, scoring.TIERS, scoring.COUNT):
            label = {
                scoring.MANUAL: _("Score"),
                scoring.TIERS: _("Value"),
                scoring.COUNT: _("Count"),
            }[method]
            fields["value"] = FlexibleDecimalField(label=label, required=False)
        elif method == scoring.YES_NO:
            fields["value"] = forms.ChoiceField(
                label=_("Answer"),
                required=False,
                choices=[("yes", _("Yes")), ("no", _("No"))],
                widget=forms.RadioSelect,
            )
        elif method == scoring.LEVELS:
            fields["option"] = forms.ChoiceField(
                label=_("Level reached"),
                required=False,
                choices=[
                    (o["key"], _points_label(o.get("label") or o["key"], o["points"]))
                    for o in rule.get("options", [])
                ],
                widget=forms.RadioSelect,
            )
        elif method == scoring.CHECKLIST:
            fields["checked"] = forms.MultipleChoiceField(
                label=_("Parts met"),
                required=False,
                choices=[
                    (p["key"], _points_label(p.get("label") or p["key"], p["points"]))
                    for p in rule.get("parts", [])
                ],
                widget=forms.CheckboxSelectMultiple,
            )
        elif method == scoring.RATIO:
            for term in ("a", "b"):
                spec = rule.get(term) or {}
                if not spec.get("field"):
                    fields[term] = FlexibleDecimalField(
                        label=spec.get("label") or term, required=False
                    )
        for name, field in fields.items():
            self.fields[name] = field
        self.input_names = list(fields)
        self.order_fields([*self.input_names, "note"])

    @staticmethod
    def initial_from(response) -> dict:
        inputs = response.inputs or {}
        initial = {
            "expected_version": response.version,
            "note": response.note,
            "provided_change_note": response.provided_change_note,
        }
        method = response.indicator.method
        if method == scoring.YES_NO and isinstance(inputs.get("value"), bool):
            initial["value"] = "yes" if inputs["value"] else "no"
        elif method == scoring.CHECKLIST:
            initial["checked"] = list(inputs.get("checked") or [])
        else:
            initial.update({k: v for k, v in inputs.items() if k in ("value", "option", "a", "b")})
        return initial

    def inputs(self) -> dict | None:
        """The engine's raw inputs from the cleaned data; None when nothing is entered."""
        data = self.cleaned_data
        method = self.indicator.method
        if method == scoring.YES_NO:
            value = data.get("value")
            return {"value": value == "yes"} if value else None
        if method == scoring.LEVELS:
            return {"option": data["option"]} if data.get("option") else None
        if method == scoring.CHECKLIST:
            checked = data.get("checked") or []
            return {"checked": list(checked)} if checked else None
        values = {name: data.get(name) for name in self.input_names if data.get(name) != ""}
        if self.indicator.method == scoring.RATIO:
            rule = self.indicator.rule or {}
            uses_general_info = all((rule.get(t) or {}).get("field") for t in ("a", "b"))
            if not values and not uses_general_info:
                return None
            # An answer that only takes general information is scored from it.
            return values
        return values or None


NOTE_PREFIX = "change_note__"


class GeneralInfoForm(forms.Form):
    """The set's general information fields (population, officials ...), by code.

    A field an agency provided (``provided_codes``) has a second one,
    ``change_note__<code>``: why the unit changed the agency's figure.
    """

    def __init__(self, *args, fields, provided_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = [field.code for field in fields]
        for field in fields:
            if field.kind == field.Kind.NUMBER:
                self.fields[field.code] = FlexibleDecimalField(label=field.name, required=False)
            else:
                self.fields[field.code] = forms.CharField(
                    label=field.name,
                    required=False,
                    max_length=500,
                    widget=forms.TextInput(attrs={"class": "form-control"}),
                )
            if field.code in provided_codes:
                self.fields[NOTE_PREFIX + field.code] = forms.CharField(
                    label=_("Reason for changing the provided figure"),
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                )

    def values(self, posted) -> dict:
        """The figures sent (only the keys posted: a missing key changes nothing)."""
        return {code: self.cleaned_data[code] for code in self.codes if code in posted}

    def change_notes(self, posted) -> dict:
        """``{code: note}`` of the provided fields whose note box was sent."""
        return {
            code: self.cleaned_data[NOTE_PREFIX + code]
            for code in self.codes
            if NOTE_PREFIX + code in self.fields and NOTE_PREFIX + code in posted
        }

    def note_field(self, code: str):
        name = NOTE_PREFIX + code
        return self[name] if name in self.fields else None


class EvidenceFileForm(forms.Form):
    # An empty file passes here so that the service says so (“The file is empty.”).
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png"}
        ),
    )


class CitationForm(forms.Form):
    number = forms.CharField(
        label=_("Document number"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "12/QĐ-UBND"}),
    )
    # Dates as the offices write them (dd/mm/yyyy) in every interface language.
    date = forms.DateField(
        label=_("Document date"),
        required=False,
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"class": "form-control"}, format="%d/%m/%Y"),
    )
    issuer = forms.CharField(
        label=_("Issued by"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class LinkForm(forms.Form):
    url = forms.CharField(
        label=_("Web address"),
        max_length=2000,
        required=False,
        widget=forms.URLInput(attrs={"class": "form-control", "placeholder": "https://"}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class ConfirmForm(ReauthenticationForm):
    """The leader's confirmation: nothing to fill in but their own password, asked again."""
