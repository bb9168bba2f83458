"""Tokens: made on the account page or by a command, shown once, stored hashed, revocable;
a wrong, revoked or deactivated one is a 401 with a JSON message; sessions do not count."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import ApiToken
from tests.api.conftest import api, token_for
from tests.factories import UserFactory

CAMPAIGNS = "/api/v1/provider/campaigns"


def test_a_valid_token_acts_as_its_person_and_notes_when_it_was_used(world):
    token = token_for(world.people.viettel)
    stored = ApiToken.objects.get()
    assert stored.last_used_at is None
    response = api(token).get(CAMPAIGNS)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [world.campaign.pk]
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Send your API token in the header Authorization: Bearer <token>."),
        ("Token abc", "Send your API token in the header Authorization: Bearer <token>."),
        ("Bearer ", "Send your API token in the header Authorization: Bearer <token>."),
        ("Bearer dti_not-a-real-token", "This API token is not valid."),
    ],
)
def test_a_missing_or_wrong_token_is_401_with_a_message(world, client, header, message):
    token_for(world.people.viettel)
    client.cookies["django_language"] = "en"
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get(CAMPAIGNS, **extra)
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_stops_working_at_once(world):
    token = token_for(world.people.viettel)
    assert api(token).get(CAMPAIGNS).status_code == 200
    services.token_revoke(user=world.people.viettel, token=ApiToken.objects.get())
    response = api(token).get(CAMPAIGNS)
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "This API token was revoked."},
    )


def test_the_token_of_a_deactivated_account_is_refused(world):
    token = token_for(world.people.viettel)
    type(world.people.viettel).objects.filter(pk=world.people.viettel.pk).update(is_active=False)
    response = api(token).get(CAMPAIGNS)
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "The account of this API token is deactivated."},
    )


def test_a_signed_in_session_does_not_authenticate_the_api(world, client):
    client.force_login(world.people.viettel)
    client.cookies["django_language"] = "en"
    assert client.get(CAMPAIGNS).status_code == 401
    assert client.get("/tai-khoan/api/").status_code == 200  # the page itself is for sessions


def test_refusals_are_in_vietnamese_without_a_language_cookie(world):
    response = api("dti_not-a-real-token", language=None).get(CAMPAIGNS)
    assert response.status_code == 401
    assert response["Content-Language"] == "vi"


def test_only_the_hash_and_a_prefix_are_stored(world):
    token, raw = services.token_create(user=world.people.viettel, name="  Hệ thống viễn thông ")
    token.refresh_from_db()
    assert raw.startswith("dti_") and len(raw) == 47
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert (token.prefix, token.name) == (raw[:12], "Hệ thống viễn thông")
    stored = [str(getattr(token, field.attname)) for field in ApiToken._meta.concrete_fields]
    assert not [value for value in stored if raw in value]


def test_a_person_has_at_most_twenty_active_tokens(world):
    for number in range(20):
        token_for(world.people.viettel, name=f"Hệ thống {number}")
    with pytest.raises(ValidationError) as refused:
        token_for(world.people.viettel, name="Hệ thống 21")
    assert refused.value.messages == [
        "Bạn đang có 20 mã truy cập còn hiệu lực: hãy thu hồi trước một mã không còn dùng."
    ]
    services.token_revoke(user=world.people.viettel, token=ApiToken.objects.first())
    token_for(world.people.viettel, name="Hệ thống 21")
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 20


# --- the page --------------------------------------------------------------------------------


def test_the_page_creates_a_token_shows_it_once_and_lists_it(world, client):
    client.force_login(world.people.viettel)
    client.cookies["django_language"] = "en"
    url = reverse("api:token_list")
    response = client.post(url, {"name": "Hệ thống báo cáo Viettel"})
    assert (response.status_code, response["Location"]) == (302, url)
    response = client.get(url)
    raw = response.context["raw_token"]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (
        world.people.viettel,
        "Hệ thống báo cáo Viettel",
        raw[:12],
    )
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    again = client.get(url)  # shown once
    assert raw not in again.content.decode()
    assert again.context["raw_token"] is None
    assert "api_new_token" not in client.session  # nor kept anywhere once shown
    assert token.prefix in again.content.decode()
    assert api(raw).get(CAMPAIGNS).status_code == 200


def test_the_page_refuses_a_token_without_a_name(world, client):
    client.force_login(world.people.viettel)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("api:token_list"), {"name": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert not ApiToken.objects.exists()


def test_a_person_revokes_their_own_token_from_the_page(world, client):
    raw = token_for(world.people.viettel)
    token = ApiToken.objects.get()
    client.force_login(world.people.viettel)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("api:token_revoke", kwargs={"pk": token.pk}), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The token “Hệ thống thử” is revoked: it no longer works."
    ]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api(raw).get(CAMPAIGNS).status_code == 401
    # twice: said, nothing changes
    revoked_at = token.revoked_at
    response = client.post(reverse("api:token_revoke", kwargs={"pk": token.pk}), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["This token was revoked already."]
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_nobody_else_sees_or_revokes_a_persons_token(world, client):
    raw = token_for(world.people.viettel)
    token = ApiToken.objects.get()
    for other in (world.people.statistics, UserFactory(is_superuser=True, is_staff=True)):
        client.force_login(other)
        assert token.prefix not in client.get(reverse("api:token_list")).content.decode()
        response = client.post(reverse("api:token_revoke", kwargs={"pk": token.pk}))
        assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api(raw).get(CAMPAIGNS).status_code == 200


def test_the_password_page_links_to_the_token_page(world, client):
    client.force_login(world.people.viettel)
    page = client.get(reverse("password_change")).content.decode()
    assert f'href="{reverse("api:token_list")}"' in page


# --- the command -----------------------------------------------------------------------------


def test_the_command_prints_a_working_token(world):
    out, err = StringIO(), StringIO()
    call_command(
        "api_token_create",
        username=world.people.statistics.username,
        name="Hệ thống thống kê",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (
        world.people.statistics,
        "Hệ thống thống kê",
        raw[:12],
    )
    assert api(raw).get(CAMPAIGNS).status_code == 200


def test_the_command_refuses_an_unknown_or_deactivated_account(world):
    with pytest.raises(CommandError, match="No account with the username 'khong-co'"):
        call_command("api_token_create", username="khong-co", name="X")
    person = world.people.statistics
    type(person).objects.filter(pk=person.pk).update(is_active=False)
    with pytest.raises(CommandError, match="is deactivated"):
        call_command("api_token_create", username=person.username, name="X")
    assert not ApiToken.objects.exists()


def test_last_use_is_written_at_most_once_a_minute(world):
    token = token_for(world.people.viettel)
    client = api(token)
    client.get(CAMPAIGNS)
    first = ApiToken.objects.get().last_used_at
    client.get(CAMPAIGNS)
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(CAMPAIGNS)
    assert ApiToken.objects.get().last_used_at > first
