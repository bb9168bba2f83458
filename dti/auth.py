"""Signing in safely: the lockout backend and asking for the password again.

``LoginAttemptsBackend`` is django-axes' check, first in
``AUTHENTICATION_BACKENDS``: after ``AXES_FAILURE_LIMIT`` wrong passwords for
one username from one address, that pair is refused for
``AXES_COOLOFF_MINUTES`` whatever it types, and the lockout page
(``registration/locked_out.html``) is shown. A successful sign-in clears the
count; ``manage.py axes_reset`` clears every lockout at once.

``ReauthenticationForm`` is mixed into the forms of the two acts that cannot be
undone, the leader's confirmation and the organizer's publication: the person
types their own password again. It is checked through ``authenticate`` with
the request, so a locked-out person is refused and a wrong password counts
toward the lockout as a wrong sign-in does.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext as django_ngettext


class LoginAttemptsBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every sign-in that comes with a request.

    Every sign-in through the site passes its request (the login form, the
    password asked again). A call without one cannot come from a browser: the
    test client's ``login`` and code that checks credentials itself; it is left
    to the next backends, as Django would without axes, instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def password_is_correct(request, password: str) -> bool:
    """Whether ``password`` is the signed-in person's own; a wrong one counts as a failed sign-in.

    Refused (False) while the person is locked out, even with the right
    password: django-axes then marks the request and its middleware shows the
    lockout page instead of the form.
    """
    user = request.user
    if not (password and user.is_authenticated and user.is_active):
        return False
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


class ReauthenticationForm(forms.Form):
    """A form that asks for the person's password before an act that cannot be undone.

    Give it the request: ``MyForm(request.POST, request=request)``. The
    password is never shown again (nor kept); every other field keeps what was
    typed when the password is wrong.
    """

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={
                "class": "form-control",
                "autocomplete": "current-password",
                "data-testid": "reauth-password",
            }
        ),
        help_text=_("Type your password again: this step cannot be undone."),
        error_messages={"required": _("Type your password to confirm that it is you.")},
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if self.request is None or not password_is_correct(self.request, password):
            raise ValidationError(
                _("The password is not correct. Nothing was done: type your password again."),
                code="wrong_password",
            )
        return ""  # checked; never passed on


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (django-axes' ``AXES_LOCKOUT_CALLABLE``): 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )


def client_ip(request) -> str | None:
    """The client's address for the lockout (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` proxies stand in front: then
    the address the farthest of them saw, which it appended to X-Forwarded-For.
    Entries before it are the client's own words and are never trusted.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule, with its refusal in Vietnamese.

    Django 5.2 changed this message's msgid (``%d`` for ``%(min_length)d``) and
    its Vietnamese catalogue still has only the earlier one, so the refusal came
    out in English. This asks for the earlier msgid, which Django's catalogue
    translates. (Called through an alias so that makemessages leaves it to
    Django's catalogue rather than copying it, untranslated, into ours.)
    """

    def get_error_message(self):
        return django_ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
