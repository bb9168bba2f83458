"""Accounts: sign-in lockout (django-axes), password rules and the password change page,
session expiry (idle and absolute), and the password asked again before the leader's
confirmation and the organizer's publication."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from assessments.models import AssessmentState, AssessmentTransition, AuditEntry
from dti import middleware
from dti.auth import client_ip
from rankings.models import Publication
from tests.assessments.helpers import complete, fresh
from tests.conftest import PASSWORD
from tests.factories import UserFactory, force_state, open_campaign, unit_tree

LOGIN_URL = reverse("login")
HOME_URL = reverse("home")
WRONG = "Sai-mat-khau-2025"
S = AssessmentState


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Many passwords are checked here: a fast hasher (the rules do not depend on it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def en(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout -----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(en, make_user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    make_user("nguyen.van.an", password=PASSWORD)
    for attempt in range(1, 5):
        response = sign_in(en, "nguyen.van.an", WRONG)
        assert response.status_code == 200, attempt
        assert "The username or password is not correct" in response.content.decode()
    fifth = sign_in(en, "nguyen.van.an", WRONG)
    assert fifth.status_code == 429
    sixth = sign_in(en, "nguyen.van.an", PASSWORD)
    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert 'data-testid="locked-out"' in page
    assert "After 5 wrong passwords" in page
    assert "is locked for 30 minutes, even with the right password" in page
    assert not signed_in(en)


def test_the_lockout_page_is_vietnamese_by_default(client, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    for _attempt in range(5):
        sign_in(client, "nguyen.van.an", WRONG)
    page = sign_in(client, "nguyen.van.an", PASSWORD)
    assert page.status_code == 429
    assert '<html lang="vi">' in page.content.decode()


def test_the_lockout_is_per_username_and_address(en, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    make_user("tran.thi.binh", password=PASSWORD)
    for _attempt in range(5):
        sign_in(en, "nguyen.van.an", WRONG, address="10.0.0.1")
    assert sign_in(en, "nguyen.van.an", PASSWORD, address="10.0.0.1").status_code == 429
    # the same person from another office, and another person from the same one
    assert sign_in(en, "nguyen.van.an", PASSWORD, address="10.0.0.2").status_code == 302
    en.logout()
    assert sign_in(en, "tran.thi.binh", PASSWORD, address="10.0.0.1").status_code == 302


def test_a_successful_sign_in_clears_the_count(en, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    for _attempt in range(4):
        sign_in(en, "nguyen.van.an", WRONG)
    assert sign_in(en, "nguyen.van.an", PASSWORD).status_code == 302
    en.logout()
    for _attempt in range(4):
        assert sign_in(en, "nguyen.van.an", WRONG).status_code == 200
    assert sign_in(en, "nguyen.van.an", PASSWORD).status_code == 302


def test_the_administrator_unlocks_with_axes_reset(en, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    for _attempt in range(5):
        sign_in(en, "nguyen.van.an", WRONG)
    assert sign_in(en, "nguyen.van.an", PASSWORD).status_code == 429
    call_command("axes_reset")
    assert sign_in(en, "nguyen.van.an", PASSWORD).status_code == 302
    assert signed_in(en)


def test_the_test_clients_login_still_works(client, make_user):
    make_user("nguyen.van.an", password=PASSWORD)
    assert client.login(username="nguyen.van.an", password=PASSWORD)
    assert not client.login(username="nguyen.van.an", password=WRONG)


def test_the_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "172.18.0.5"  # no proxy trusted: the header is the client's
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # what our proxy saw, not what was claimed
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "172.18.0.5"  # fewer hops than proxies: not trusted


# --- password rules and the change page ----------------------------------------------------


def test_password_rules(settings):
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    user = get_user_model()(username="nguyen.van.an", full_name="Nguyễn Văn An")
    for weak in ("ngan-qua", "1234567890123", "password123", "nguyen.van.an1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password(PASSWORD, user)


@pytest.mark.parametrize("username", ["admin", "vhtt", "traxuan.canbo", "hd.chutich"])
def test_the_demo_password_passes_the_rules(username):
    validate_password("demo-dti-2024", get_user_model()(username=username))


def test_the_password_change_page(client, make_user):
    user = make_user("nguyen.van.an", password=PASSWORD)
    url = reverse("password_change")
    assert client.get(url)["Location"].startswith(LOGIN_URL)
    client.force_login(user)
    home = client.get(HOME_URL).content.decode()
    assert f'href="{url}" data-testid="password-change-link"' in home
    page = client.get(url).content.decode()
    assert "Mật khẩu cũ" in page
    assert "Mật khẩu của bạn phải chứa ít nhất 10 ký tự." in page  # the rules, in Vietnamese
    refused = client.post(
        url, {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"}
    )
    assert refused.status_code == 200
    errors = refused.content.decode()
    assert "Mật khẩu quá ngắn" in errors
    assert "Mật khẩu này hoàn toàn là số." in errors
    wrong_old = client.post(
        url, {"old_password": WRONG, "new_password1": "Mot-mat-khau-moi", "new_password2": "x"}
    )
    assert "Mật khẩu cũ không chính xác" in wrong_old.content.decode()
    done = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Mot-mat-khau-moi-2026",
            "new_password2": "Mot-mat-khau-moi-2026",
        },
    )
    assert done["Location"] == reverse("password_change_done")
    assert client.get(done["Location"]).status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password("Mot-mat-khau-moi-2026")


# --- session expiry ------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The session limits' clock, moved by hand (seconds)."""
    now = {"t": 1_800_000_000}
    monkeypatch.setattr(middleware, "now_seconds", lambda: now["t"])

    def advance(**delta):
        now["t"] += int(sum(v * {"minutes": 60, "hours": 3600}[k] for k, v in delta.items()))

    return advance


def test_a_session_ends_after_30_idle_minutes(en, make_user, clock, settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    en.force_login(make_user("nguyen.van.an"))
    assert en.get(HOME_URL).status_code == 200
    clock(minutes=29)
    assert en.get(HOME_URL).status_code == 200  # and this request counts as activity
    clock(minutes=29)
    assert en.get(HOME_URL).status_code == 200
    clock(minutes=31)
    expired = en.get(HOME_URL)
    assert expired.status_code == 302
    assert expired["Location"].startswith(LOGIN_URL)
    assert not signed_in(en)
    login = en.get(expired["Location"]).content.decode()
    assert "You were signed out after 30 minutes without activity." in login


def test_an_htmx_request_after_the_idle_time_is_sent_to_the_login_page(en, make_user, clock):
    en.force_login(make_user("nguyen.van.an"))
    clock(minutes=45)
    answer = en.get(HOME_URL, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://x/danh-gia/7/")
    assert answer.status_code == 204
    assert answer["HX-Redirect"] == f"{LOGIN_URL}?next=/danh-gia/7/"


def test_a_session_lasts_8_hours_however_active(en, make_user, clock, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    en.force_login(make_user("nguyen.van.an"))
    for _step in range(23):  # every 20 minutes for 7 h 40
        clock(minutes=20)
        assert en.get(HOME_URL).status_code == 200
    clock(minutes=20)
    assert en.get(HOME_URL).status_code == 302
    assert not signed_in(en)


def test_the_limits_come_from_the_environment():
    from tests.test_settings import run_in

    result = run_in(
        {"DEBUG": "1", "SESSION_IDLE_TIMEOUT": "600", "AXES_FAILURE_LIMIT": "3"},
        "import dti.settings as s; print(s.SESSION_IDLE_TIMEOUT, s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds())",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600", "3", "1800.0"]


# --- the password asked again before the two acts that cannot be undone ---------------------


@pytest.fixture
def submitted(db):
    """A commune's self-assessment, submitted; its leader's password is ``PASSWORD``."""
    tree = unit_tree()
    commune = tree["communes"][0]
    officer = UserFactory(unit=commune, roles=["unit_officer"])
    leader = UserFactory(unit=commune, roles=["unit_leader"])
    leader.set_password(PASSWORD)
    leader.save()
    campaign = open_campaign(organizer=UserFactory(unit=tree["district"], roles=["organizer"]))
    assessment = campaign.assessments.get(unit=commune)
    complete(assessment, officer)
    force_state(assessment, S.SELF_ASSESSED)
    return assessment, leader


def test_confirming_asks_for_the_leaders_password(en, submitted):
    assessment, leader = submitted
    url = reverse("assessments:assessment_review", args=[assessment.pk])
    en.force_login(leader)
    page = en.get(url).content.decode()
    assert 'name="password"' in page and 'autocomplete="current-password"' in page
    assert "Your password" in page
    before = AuditEntry.objects.count()
    for password in ("", WRONG):
        refused = en.post(url, {"action": "confirm", "password": password}, REMOTE_ADDR="10.0.0.9")
        assert refused.status_code == 400
        assert 'data-testid="reauth-error"' in refused.content.decode()
        assert fresh(assessment).state == S.SELF_ASSESSED
    wrong = refused.content.decode()
    assert "The password is not correct. Nothing was done" in wrong
    assert WRONG not in wrong  # never written back into the page
    assert not AssessmentTransition.objects.filter(assessment=assessment).exists()
    assert AuditEntry.objects.count() == before
    done = en.post(url, {"action": "confirm", "password": PASSWORD})
    assert done.status_code == 302
    assert fresh(assessment).state == S.CONFIRMED


def test_wrong_passwords_at_the_confirmation_count_toward_the_lockout(en, submitted):
    assessment, leader = submitted
    url = reverse("assessments:assessment_review", args=[assessment.pk])
    en.force_login(leader)
    for _attempt in range(4):
        assert en.post(url, {"action": "confirm", "password": WRONG}).status_code == 400
    assert en.post(url, {"action": "confirm", "password": WRONG}).status_code == 429
    locked = en.post(url, {"action": "confirm", "password": PASSWORD})
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    assert fresh(assessment).state == S.SELF_ASSESSED


@pytest.fixture
def appraised(db):
    from tests.rankings.helpers import build_world

    world = build_world()
    for assessment in world.assessments.values():
        force_state(assessment, S.APPRAISED_2)
    organizer = world.campaign.created_by
    organizer.set_password(PASSWORD)
    organizer.save()
    return world


DECISION = {
    "decision_number": "1234/QĐ-UBND",
    "decision_date": "25/11/2026",
    "signer_title": "KT. CHỦ TỊCH",
    "signer_name": "Nguyễn Văn An",
}


def test_publishing_asks_for_the_organizers_password_and_keeps_what_was_typed(en, appraised):
    url = reverse("rankings:campaign_publish", args=[appraised.campaign.pk])
    en.force_login(appraised.campaign.created_by)
    page = en.get(url).content.decode()
    assert 'name="password"' in page
    refused = en.post(url, {**DECISION, "password": WRONG})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert refused.context["form"].errors["password"] == [
        "The password is not correct. Nothing was done: type your password again."
    ]
    assert 'value="1234/QĐ-UBND"' in html and 'value="Nguyễn Văn An"' in html
    assert WRONG not in html
    assert not Publication.objects.exists()
    assert set(appraised.campaign.assessments.values_list("state", flat=True)) == {S.APPRAISED_2}
    missing = en.post(url, DECISION)
    assert missing.context["form"].errors["password"] == [
        "Type your password to confirm that it is you."
    ]
    done = en.post(url, {**DECISION, "password": PASSWORD})
    assert done.status_code == 302
    publication = Publication.objects.get()
    assert (publication.version, publication.decision_date) == (1, date(2026, 11, 25))
