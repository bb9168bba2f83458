"""The forms of the organizer's rankings pages: they only turn posted text into arguments.

Whether a publication may happen (decision filled in, a reason for a
correction, every unit appraised) is ``services.campaign_publish``'s to say:
its refusals are shown on the form unchanged, so the form checks formats only,
and the organizer's password, asked again (``dti.auth.ReauthenticationForm``).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dti.auth import ReauthenticationForm

DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


def _attrs(testid: str, **extra) -> dict:
    return {"class": "form-control", "data-testid": testid, **extra}


class PublishForm(ReauthenticationForm):
    """The decision that publishes the rankings: number, date, who signs it and as what.

    Publishing cannot be undone (a correction is a new version), so the organizer
    types their password again (``password``, checked with the ``request`` given).
    """

    decision_number = forms.CharField(
        label=_("Decision number"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs=_attrs(
                "publish-decision-number",
                placeholder=_("e.g. 1234/QĐ-UBND"),
                autocomplete="off",
                **{"aria-required": "true"},
            )
        ),
    )
    decision_date = forms.DateField(
        label=_("Decision date"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs=_attrs(
                "publish-decision-date",
                placeholder=_("dd/mm/yyyy"),
                inputmode="numeric",
                autocomplete="off",
                **{"aria-required": "true"},
            ),
        ),
    )
    signer_title = forms.CharField(
        label=_("Signed as"),
        max_length=200,
        required=False,
        help_text=_("As on the decision, one line each, e.g. “KT. CHỦ TỊCH” and “PHÓ CHỦ TỊCH”."),
        widget=forms.Textarea(
            attrs=_attrs(
                "publish-signer-title",
                rows=2,
                placeholder="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
                **{"aria-required": "true"},
            )
        ),
    )
    signer_name = forms.CharField(
        label=_("Signed by"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs=_attrs(
                "publish-signer-name",
                placeholder=_("Full name of the signer"),
                autocomplete="off",
                **{"aria-required": "true"},
            )
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        required=False,
        help_text=_("Shown with the corrected results on the public page."),
        widget=forms.Textarea(attrs=_attrs("publish-reason", rows=3)),
    )

    def _lines(self, name: str) -> str:
        """Line breaks as typed in any browser (\r\n), kept as \n; blank edges trimmed."""
        text = self.cleaned_data.get(name) or ""
        return "\n".join(line.strip() for line in text.splitlines()).strip()

    def clean_signer_title(self) -> str:
        return self._lines("signer_title")

    def clean_reason(self) -> str:
        return self._lines("reason")

    def __init__(self, *args, correction: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.correction = correction
        if correction:
            self.fields["reason"].widget.attrs["aria-required"] = "true"
        else:
            # A first publication has no reason to give: the field is not offered.
            del self.fields["reason"]
