"""Forms of the providers' pages: naming a provider, typing one figure, uploading a sheet.

The forms only read what was typed; whether the figure is the agency's to
send, for that unit, and what it is worth is ``services.figures_provide``'s
business, and its refusals are shown as they come.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from assessments.forms import FlexibleDecimalField, NumberInput
from indicators.models import natural_key

from . import display, sheets
from .models import ProviderAssignment

SELECT = {"class": "form-select"}


class AssignmentForm(forms.Form):
    """Name an agency as the provider of one indicator or one general-information field."""

    agency = forms.ChoiceField(label=_("Agency"), widget=forms.Select(attrs=SELECT))
    figure = forms.ChoiceField(
        label=_("Indicator or general information"), widget=forms.Select(attrs=SELECT)
    )
    units = forms.MultipleChoiceField(
        label=_("Units covered"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Leave empty when the agency provides the figure for every unit."),
    )

    def __init__(self, *args, agencies, indicators, fields, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {str(a.pk): a for a in agencies}
        self.indicators = {f"i{i.pk}": i for i in indicators}
        self.info_fields = {f"f{f.pk}": f for f in fields}
        self.units = {str(u.pk): u for u in units}
        self.fields["agency"].choices = [("", "—")] + [
            (key, agency.name) for key, agency in self.agencies.items()
        ]
        by_code = sorted(
            self.indicators.items(),
            key=lambda item: (item[1].pillar.order, natural_key(item[1].code)),
        )
        self.fields["figure"].choices = [
            ("", "—"),
            (
                _("General information"),
                [(key, f"@{field.code} — {field.name}") for key, field in self.info_fields.items()],
            ),
            (
                _("Indicators"),
                [(key, f"{indicator.code} — {indicator.name}") for key, indicator in by_code],
            ),
        ]
        self.fields["units"].choices = [(key, unit.name) for key, unit in self.units.items()]

    def cleaned(self) -> dict:
        """The service's arguments: agency, indicator or info_field, units."""
        data = self.cleaned_data
        key = data["figure"]
        return {
            "agency": self.agencies[data["agency"]],
            "indicator": self.indicators.get(key),
            "info_field": self.info_fields.get(key),
            "units": [self.units[pk] for pk in data["units"]],
        }


class FigureForm(forms.Form):
    """One figure typed in the provider's page: the inputs its indicator's method takes,
    or the general-information field's value (``display.inputs_of``)."""

    def __init__(self, *args, assignment: ProviderAssignment, row_id: str, **kwargs):
        kwargs.setdefault("auto_id", f"{row_id}-%s")
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        self.inputs = display.inputs_of(assignment)
        for spec in self.inputs:
            self.fields[spec.name] = self._field(spec)

    @staticmethod
    def _field(spec: display.Input) -> forms.Field:
        small = {"class": "form-control form-control-sm"}
        if spec.kind == "number":
            return FlexibleDecimalField(label=spec.label, widget=NumberInput(attrs=small))
        if spec.kind == "text":
            return forms.CharField(
                label=spec.label, max_length=500, widget=forms.TextInput(attrs=small)
            )
        if spec.kind == "yes_no":
            return forms.ChoiceField(
                label=spec.label, choices=spec.choices, widget=forms.RadioSelect
            )
        if spec.kind == "level":
            return forms.ChoiceField(
                label=spec.label,
                choices=[("", "—"), *spec.choices],
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        return forms.MultipleChoiceField(
            label=spec.label,
            required=False,
            choices=spec.choices,
            widget=forms.CheckboxSelectMultiple,
        )

    @staticmethod
    def initial_from(assignment: ProviderAssignment, value) -> dict:
        """The form's values from a figure already sent (to change it in place)."""
        value = value or {}
        if not assignment.indicator_id:
            return {"value": value.get("value")}
        method = assignment.indicator.method
        if method == "ratio":
            return {term: value[term] for term in ("a", "b") if term in value}
        if method == "yes_no" and isinstance(value.get("value"), bool):
            return {"value": "yes" if value["value"] else "no"}
        if method == "levels":
            return {"value": value.get("option")}
        if method == "checklist":
            return {"value": list(value.get("checked") or [])}
        return {"value": value.get("value")}

    def figure_value(self):
        """The figure as ``services.FigureRow.value`` takes it.

        Numbers go as ``Decimal``: the field has already read them in the
        page's language (``12,5``), and text would be read a second time.
        """
        data = self.cleaned_data
        values = {}
        for spec in self.inputs:
            value = data.get(spec.name)
            if spec.kind == "number" and value not in (None, ""):
                value = Decimal(value)
            elif spec.kind == "yes_no":
                value = value == "yes"
            values[spec.name] = value
        if self.assignment.indicator_id and self.assignment.indicator.method == "ratio":
            return values
        return values["value"]


class SheetForm(forms.Form):
    file = forms.FileField(label=_("Filled-in sheet (.xlsx or .csv)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > sheets.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.")
                % {"limit": filesizeformat(sheets.MAX_BYTES)}
            )
        return upload
