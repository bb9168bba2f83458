"""Site-wide pages: sign-in and the signed-in home page."""

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from assessments import permissions, selectors
from assessments.models import Assessment, Role
from providers import selectors as provider_selectors


class LoginForm(AuthenticationForm):
    """Django's sign-in form with a plainer error and fields that work on a phone."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username or password is not correct. Check them and try again: "
            "capital and small letters count."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username, password = self.fields["username"], self.fields["password"]
        username.label = _("Username")
        password.label = _("Password")
        username.widget.attrs.update(
            {
                "class": "form-control form-control-lg",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        )
        password.widget.attrs.update({"class": "form-control form-control-lg"})
        if self.is_bound and self.errors:
            for field in (username, password):
                field.widget.attrs["aria-describedby"] = "login-error"


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm


class PasswordForm(PasswordChangeForm):
    """Django's form (current password, then the new one twice, checked by
    AUTH_PASSWORD_VALIDATORS), with fields that work on a phone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-lg"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Any signed-in person changes their own password; the session stays signed in."""

    form_class = PasswordForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs):
        return super().get_context_data(password_rules=password_validators_help_texts(), **kwargs)


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_complete.html"


# The kind is part of a unit's official name (Xã Trà Bùi, Thị trấn Trà Xuân) in
# every interface language, so it is not translated.
UNIT_NAME_PREFIX = {
    "tinh": "Tỉnh",
    "thanh_pho_tw": "Thành phố",
    "huyen": "Huyện",
    "quan": "Quận",
    "thi_xa": "Thị xã",
    "thanh_pho": "Thành phố",
    "xa": "Xã",
    "phuong": "Phường",
    "thi_tran": "Thị trấn",
    "dac_khu": "Đặc khu",
}


def official_unit_name(unit) -> str:
    """``Thị trấn Trà Xuân`` for a unit stored as ``Trà Xuân``; a full name is kept as it is."""
    if unit is None:
        return ""
    prefix = UNIT_NAME_PREFIX.get(unit.kind, "")
    if not prefix or unit.name.casefold().startswith(prefix.casefold()):
        return unit.name
    return f"{prefix} {unit.name}"


def user_roles(user) -> list:
    """The user's product roles (Role members) in their fixed order; one query, cached."""
    if not user.is_authenticated:
        return []
    codes = user.role_codes()
    return [role for role in Role if role in codes]


@login_required
def home(request):
    """Greets the user and shows their roles, unit or agency, and what to do next."""
    profile = (
        get_user_model()
        .objects.select_related("unit__parent", "agency__unit")
        .get(pk=request.user.pk)
    )
    roles = user_roles(request.user)
    role_codes = {role.value for role in roles}
    profile._role_codes = request.user.role_codes()  # already read: no second query
    home_unit = profile.unit or (profile.agency.unit if profile.agency else None)
    return render(
        request,
        "home.html",
        {
            "profile": profile,
            "roles": roles,
            "role_codes": role_codes,
            "unit_name": official_unit_name(profile.unit),
            "unit_parent_name": official_unit_name(profile.unit.parent if profile.unit else None),
            "agency_unit_name": official_unit_name(profile.agency.unit if profile.agency else None),
            "can_admin": request.user.is_active and request.user.is_staff,
            **_organizer_cards(profile, role_codes, home_unit),
            **_unit_cards(profile, role_codes, home_unit),
            **_provider_card(profile, role_codes),
            **_data_request_card(profile, role_codes),
        },
    )


def _provider_card(profile, role_codes) -> dict:
    """The campaigns where a data provider's agency owes figures, with what is missing."""
    if Role.DATA_PROVIDER not in role_codes or profile.agency_id is None:
        return {}
    campaigns = provider_selectors.provider_campaigns(agency_id=profile.agency_id)
    return {"provider_campaigns": campaigns[:5], "provider_campaigns_more": len(campaigns) > 5}


def _data_request_card(profile, role_codes) -> dict:
    """A data provider's requests to answer, by box (one query)."""
    if Role.DATA_PROVIDER not in role_codes or profile.agency_id is None:
        return {}
    return {"data_request_counts": provider_selectors.inbox_counts(user=profile)}


def _organizer_cards(profile, role_codes, home_unit) -> dict:
    """The organizer's campaigns with their progress (one query), and may they open one."""
    if Role.ORGANIZER not in role_codes or home_unit is None:
        return {}
    campaigns = selectors.campaigns_visible_to(profile).filter(organizing_unit=home_unit)
    return {
        "organizer_campaigns": list(campaigns[:10]),
        "can_create_campaign": permissions.can_create_campaign(profile, home_unit),
    }


def _unit_cards(profile, role_codes, home_unit) -> dict:
    """The unit's assessments in campaigns not yet published (one query), with the actions."""
    if not role_codes & {Role.UNIT_OFFICER, Role.UNIT_LEADER} or home_unit is None:
        return {}
    rows = []
    for item in selectors.unit_assessments(unit_id=home_unit.pk):
        # The permission rules ask only for the unit: no query per row.
        assessment = Assessment(pk=item.assessment_id, unit_id=home_unit.pk)
        rows.append(
            {
                "item": item,
                "can_fill_in": permissions.is_unit_officer_of(profile, assessment)
                or permissions.is_department_officer_of(profile, assessment),
                "can_review": permissions.is_unit_leader_of(profile, assessment),
            }
        )
    return {"unit_assessments": rows, "assessed_unit_name": official_unit_name(home_unit)}
