"""Text fields with HTML and script, through every page, e-mail and PDF.

One campaign is built through the services with markup in everything people
type or name: units, agencies, people, the set, its pillars and indicators,
the campaign, notes, evidence citations and file names, the leader's reason,
appraisal comments, explanations and the publication's decision and signer.
At three moments (self-assessment open, explanation, published) every page
reachable by links from the home page is fetched as each role and as the
public: none contains the markup as markup, and the escaped text is there.
E-mails are plain text only; the PDFs render the markup as text and fetch
nothing but the shipped fonts.

Per-app hostile tests: tests/assessments/test_hostile_uploads.py,
tests/assessments/test_hostile_responses.py, tests/indicators/test_hostile_import.py,
tests/councils/test_hostile_assignment_sheet.py, tests/rankings/test_hostile_documents.py.
"""

import io
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import AdministrativeUnit, PhaseKind
from councils import reminders as council_reminders
from rankings import documents
from tests import campaign_flow
from tests.campaign_flow import (
    appraise_round_one,
    appraise_round_two_and_publish,
    explain,
    self_assess,
)
from tests.factories import set_window

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src="file:///etc/passwd" onerror=alert(2)>'
PAYLOAD = SCRIPT + IMAGE
RAW = [SCRIPT, "<img src=", 'onerror=alert(2)>"']  # none may reach a page as markup
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def evil(text: str) -> str:
    return f"{text} {PAYLOAD}"


def build_world():
    return campaign_flow.build_world(evil, markup=" " + PAYLOAD)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


# --- the crawl ------------------------------------------------------------------------------

LINK = re.compile(r'(?:href|hx-get|action)="([^"]+)"')
SKIPPED = ("/admin/", "/static/", "/i18n/", "/dang-xuat/", "/doi-mat-khau/")


def crawl(client: Client, start: list[str], limit: int = 400) -> dict[str, str]:
    """Every same-site page reachable by GET from ``start``: {url: html}."""
    pages: dict[str, str] = {}
    queue, seen = list(start), set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url.startswith(SKIPPED):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        pages[url] = html
        for link in LINK.findall(html):
            parts = urlsplit(unescape(link))
            if parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return pages


def assert_escaped_everywhere(pages: dict[str, str]) -> int:
    shown = 0
    for url, html in pages.items():
        for raw in RAW:
            assert raw not in html, f"{raw!r} as markup on {url}"
        shown += ESCAPED in html
    return shown


def crawl_as(world, users, start) -> dict[str, str]:
    everything = {}
    for user in users:
        client = Client()
        client.cookies["django_language"] = "en"
        if user is not None:
            client.force_login(user)
        pages = crawl(client, start)
        everything.update({f"{user}: {url}": html for url, html in pages.items()})
    return everything


def unit_pages(world) -> list[str]:
    return [
        "/",
        f"/danh-gia/{world.assessment.pk}/",
        f"/danh-gia/{world.assessment.pk}/xac-nhan/",
        f"/dot-danh-gia/{world.campaign.pk}/",
        f"/hoi-dong/{world.campaign.pk}/",
        f"/tham-dinh/{world.campaign.pk}/",
        f"/giai-trinh/{world.assessment.pk}/",
        f"/ket-qua-tham-dinh/{world.assessment.pk}/",
        f"/dot-danh-gia/{world.campaign.pk}/xep-hang/",
        "/ket-qua/",
        f"/ket-qua/{world.campaign.pk}/",
    ]


@pytest.mark.django_db
def test_markup_typed_anywhere_is_escaped_on_every_page(private_storage, mailoutbox):
    world = build_world()
    people = world.people
    everyone = [
        people.officer,
        people.leader,
        people.organizer,
        people.chair,
        people.member,
        None,
    ]
    self_assess(world)
    seen = crawl_as(world, everyone, unit_pages(world))
    appraise_round_one(world)
    explain(world)
    seen |= crawl_as(world, everyone, unit_pages(world))
    appraise_round_two_and_publish(world)
    seen |= crawl_as(world, everyone, unit_pages(world))

    shown = assert_escaped_everywhere(seen)
    assert shown > 30, "the hostile text should be on many pages, escaped"
    urls = {key.split(": ", 1)[1] for key in seen}
    # The crawl reached the pages where people read what others typed.
    for expected in (
        f"/danh-gia/{world.assessment.pk}/",
        f"/danh-gia/{world.assessment.pk}/xac-nhan/",
        f"/tham-dinh/{world.campaign.pk}/",
        f"/giai-trinh/{world.assessment.pk}/",
        f"/ket-qua/{world.campaign.pk}/",
        f"/dot-danh-gia/{world.campaign.pk}/xep-hang/",
    ):
        assert expected in urls, expected
    assert any("/lich-su/" in url for url in urls)  # a response's history
    assert len(urls) > 25


# --- e-mail: plain text only, no header injection -------------------------------------------


@pytest.mark.django_db
def test_reminders_and_notices_are_plain_text_with_the_names_as_typed(
    private_storage, mailoutbox, django_capture_on_commit_callbacks
):
    world = build_world()
    set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, "open")  # closes in two days
    with django_capture_on_commit_callbacks(execute=True):
        assert assessment_services.reminders_send() == 2
    self_assess(world)
    appraise_round_one(world)
    set_window(world.campaign, PhaseKind.EXPLANATION, "open")
    for assessment in (world.assessment, world.other):
        assessment_services.assessment_open_explanation(
            assessment=assessment, user=world.people.organizer
        )
    with django_capture_on_commit_callbacks(execute=True):
        council_reminders.council_reminders_send()
    assert len(mailoutbox) >= 3
    for message in mailoutbox:
        assert not getattr(message, "alternatives", None), "no HTML part"
        assert message.content_subtype == "plain"
        assert message.message().get_content_type() == "text/plain"
        assert "\n" not in message.subject
    assert any(PAYLOAD in message.body for message in mailoutbox)  # plain text: as typed


@pytest.mark.django_db
def test_a_name_cannot_inject_a_mail_header(mailoutbox, django_capture_on_commit_callbacks):
    world = build_world()
    AdministrativeUnit.objects.filter(pk=world.a.pk).update(
        name="Xã A\r\nBcc: everyone@example.com"
    )
    set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, "open")
    with django_capture_on_commit_callbacks(execute=True):
        assert assessment_services.reminders_send() == 2
    assert mailoutbox  # the other unit's reminder, at least
    for message in mailoutbox:
        assert "everyone@example.com" not in message.message().as_string().split("\n\n", 1)[0]
        assert "everyone@example.com" not in message.recipients()


# --- PDF: the markup is text, nothing but the fonts is fetched --------------------------------


@pytest.mark.django_db
def test_the_pdfs_render_markup_as_text_and_fetch_only_the_fonts(
    private_storage, mailoutbox, monkeypatch, client
):
    fetched = []
    original = documents.ShippedFontsFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(documents.ShippedFontsFetcher, "fetch", spy)
    world = build_world()
    self_assess(world)
    appraise_round_one(world)
    explain(world)
    appraise_round_two_and_publish(world)
    pk = world.campaign.pk
    appendix = client.get(f"/ket-qua/{pk}/phu-luc.pdf")
    scorecard = client.get(f"/ket-qua/{pk}/don-vi/{world.assessment.pk}.pdf")
    for response in (appendix, scorecard):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        content = b"".join(response.streaming_content) if response.streaming else response.content
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        assert "<script>alert(1)</script>" in text.replace("\n", "")  # written out, as text
    assert fetched, "the fonts are fetched"
    assert all(
        url.startswith(documents.FONT_DIR.as_uri() + "/") and url.endswith(".ttf")
        for url in fetched
    ), fetched
    assert not any("passwd" in url for url in fetched)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///etc/passwd.ttf",
        f"{documents.FONT_DIR.as_uri()}/../../../../etc/passwd",
        f"{documents.FONT_DIR.as_uri()}/%2e%2e/%2e%2e/settings.py",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/font.ttf",
        "ftp://example.com/x.ttf",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_the_documents_refuse_every_url_but_the_shipped_fonts(url):
    with pytest.raises(ValueError):
        documents.ShippedFontsFetcher().fetch(url)


def test_an_image_in_a_name_would_ask_for_nothing_but_the_fonts(monkeypatch):
    """Even markup handed to the renderer as HTML fetches nothing but the fonts."""
    fetched = []
    original = documents.ShippedFontsFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(documents.ShippedFontsFetcher, "fetch", spy)
    html = (
        '<html><body><p style="font-family: DTI DejaVu Sans">x</p>'
        '<img src="file:///etc/passwd"><img src="http://example.com/x.png">'
        '<link rel="stylesheet" href="file:///etc/passwd"></body></html>'
    )
    content = documents.render_pdf(html)
    assert content.startswith(b"%PDF")
    refused = [url for url in fetched if "passwd" in url or "example.com" in url]
    assert refused  # asked, and refused by the fetcher: nothing of them is in the PDF
    assert b"root:" not in content
