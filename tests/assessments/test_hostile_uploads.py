"""Hostile evidence uploads, posted through the unit's page as a browser would.

What the content check refuses (``assessments.uploads``): executables under any
name, polyglots (an image or a PDF that also carries web-page code or server
code), PDFs with active content in the clear, zip bombs and macro documents,
files over the limit and empty ones. Whatever is refused leaves no row and no
file; whatever is accepted is served with its own type, ``nosniff``, and as an
attachment unless it is a PDF or an image. Names are only ever displayed.
"""

import io
import random
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import services, uploads
from assessments.models import Evidence, Response

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" * 20 + b"%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100
XSS = '<script>alert("dti")</script>'


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def officer(client, world, private_root):
    client.force_login(world.people.officer)
    return world.people.officer


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def response_of(world, code="1.1") -> Response:
    return Response.objects.get(assessment=world.assessment, indicator__code=code)


def post_file(client, world, name, content, code="1.1"):
    response = response_of(world, code)
    answer = client.post(
        reverse("assessments:evidence_add", args=[world.assessment.pk, response.indicator_id]),
        {"kind": "file", "file": SimpleUploadedFile(name, content)},
        **HTMX,
    )
    assert answer.status_code == 200  # a refusal is a message on the card, never an error page
    return answer.content.decode()


def office(folder="word", extra=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


# --- renamed executables, polyglots, active content -------------------------------------

REFUSED = {
    "a Windows executable named .pdf": (
        "quyet-dinh.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + b"\x00" * 200,
        "This kind of file is not accepted.",
    ),
    "a Linux executable named .jpg": (
        "anh.jpg",
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200,
        "This kind of file is not accepted.",
    ),
    "a shell script named .docx": (
        "bao-cao.docx",
        b"#!/bin/sh\nrm -rf /\n",
        "This kind of file is not accepted.",
    ),
    "a web page named .png": (
        "anh.png",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "This kind of file is not accepted.",
    ),
    "a PDF header followed by a web page": (
        "bao-cao.pdf",
        b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>",
        "also holds web-page code or a script",
    ),
    "a JPEG with a PHP tail": (
        "anh-chup.jpg",
        JPEG + b"<?php system($_GET['c']); ?>",
        "also holds web-page code or a script",
    ),
    "a PNG with an SVG script": (
        "so-do.png",
        PNG + b'<svg onload="alert(1)"/>',
        "also holds web-page code or a script",
    ),
    "a PDF with a JavaScript action": (
        "ke-hoach.pdf",
        PDF + b"9 0 obj << /S /JavaScript /JS (app.alert('x')) >> endobj\n",
        "The PDF contains a script",
    ),
    "a PDF with a hex-escaped JavaScript name": (
        "ke-hoach.pdf",
        PDF + b"9 0 obj << /S /J#61va#53cript /J#53 (app.alert('x')) >> endobj\n",
        "The PDF contains a script",
    ),
    "a PDF that launches a program": (
        "ke-hoach.pdf",
        PDF + b"9 0 obj << /Type /Action /S /Launch /F (cmd.exe) >> endobj\n",
        "The PDF contains a script",
    ),
    "a macro document": (
        "bao-cao.docx",
        office(extra=[("word/vbaProject.bin", b"\x00" * 10)]),
        "This kind of file is not accepted.",
    ),
}


@pytest.mark.parametrize(("name", "content", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_dangerous_files_are_refused_and_leave_nothing(
    client, world, officer, private_root, name, content, message
):
    html = post_file(client, world, name, content)
    assert 'data-testid="evidence-errors"' in html
    assert message in html
    assert Evidence.objects.count() == 0
    assert stored_files(private_root) == []


def test_markers_inside_pdf_streams_and_image_data_are_not_taken_for_code(
    client, world, officer, private_root
):
    # Compressed streams and image data are random bytes: “/JS (” may occur there by
    # chance, and must not refuse a real document.
    noise = random.Random(7).randbytes(300_000)
    assert not uploads.MARKUP.search(noise)
    pdf = (
        PDF
        + b"5 0 obj << /Length 320000 /Filter /FlateDecode >>\nstream\n"
        + noise
        + b"/JS (x) /Launch "
        + noise[:1000]
        + b"\nendstream\nendobj\n%%EOF\n"
    )
    jpeg = JPEG[:-2] + noise + b"\xff\xd9"
    post_file(client, world, "bien-ban.pdf", pdf)
    post_file(client, world, "anh.jpg", jpeg)
    assert sorted(Evidence.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
    ]


def test_a_marker_split_across_two_chunks_is_still_found(world, private_root):
    class TinyChunks(SimpleUploadedFile):
        def chunks(self, chunk_size=None):
            yield from super().chunks(chunk_size=5)

    with pytest.raises(Exception) as excinfo:
        services.evidence_add_file(
            response=response_of(world),
            user=world.people.officer,
            uploaded_file=TinyChunks("a.pdf", PDF + b"<< /S /JavaScript >>"),
        )
    assert excinfo.value.code == "active_content"
    with pytest.raises(Exception) as excinfo:
        services.evidence_add_file(
            response=response_of(world),
            user=world.people.officer,
            uploaded_file=TinyChunks("a.jpg", JPEG + b"<script>x</script>"),
        )
    assert excinfo.value.code == "polyglot"


# --- archives: never unpacked on the server ----------------------------------------------


def test_a_zip_bomb_is_refused_from_its_table_of_contents(
    client, world, officer, private_root, settings
):
    settings.EVIDENCE_MAX_BYTES = 100_000  # unpacked at most 50 × this: 5 MB
    bomb = office(extra=[("word/media/zeros.bin", b"\x00" * 6_000_000)])
    assert len(bomb) < 100_000
    html = post_file(client, world, "bao-cao.docx", bomb)
    assert "refused as a possible zip bomb" in html
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []


def test_an_archive_of_too_many_entries_is_refused(
    client, world, officer, private_root, monkeypatch
):
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_ENTRIES", 50)
    many = office(extra=[(f"word/media/{n}.txt", b"x") for n in range(60)])
    html = post_file(client, world, "bao-cao.docx", many)
    assert "refused as a possible zip bomb" in html
    assert Evidence.objects.count() == 0


def test_nothing_is_ever_unpacked(client, world, officer, private_root, monkeypatch):
    workbook = office("xl")

    def unpacking(*args, **kwargs):
        raise AssertionError("an evidence archive was unpacked on the server")

    monkeypatch.setattr(zipfile.ZipFile, "open", unpacking)
    monkeypatch.setattr(zipfile.ZipFile, "read", unpacking)
    monkeypatch.setattr(zipfile.ZipFile, "extract", unpacking)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", unpacking)
    post_file(client, world, "so-lieu.xlsx", workbook)
    evidence = Evidence.objects.get()
    download = client.get(reverse("assessments:evidence_download", args=[evidence.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == workbook


# --- size, emptiness ----------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_with_the_limit_and_nothing_is_kept(
    client, world, officer, private_root, settings
):
    settings.EVIDENCE_MAX_BYTES = 2048
    html = post_file(client, world, "lon.pdf", PDF + b"0" * 4096)
    assert "The file is larger than the limit of 2.0\xa0KB." in html
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []


def test_an_empty_file_is_refused_as_empty(client, world, officer, private_root):
    html = post_file(client, world, "rong.pdf", b"")
    assert "The file is empty." in html
    assert Evidence.objects.count() == 0 and stored_files(private_root) == []


# --- names --------------------------------------------------------------------------------

NAMES = {
    "a path": ("../../etc/passwd", "passwd.pdf"),
    "a Windows path": ("..\\..\\Windows\\win.ini.pdf", "win.ini.pdf"),
    "a right-to-left override": ("hoa-don\u202efdp.exe", "hoa-donfdp.exe.pdf"),
    "markup": (f"{XSS}.pdf", "script>.pdf"),
    "markup without a slash": (
        "<img src=x onerror=alert(1)>.pdf",
        "<img src=x onerror=alert(1)>.pdf",
    ),
    "control characters": ("bao\x07cao\x1b[31m.pdf", "baocao[31m.pdf"),
}


@pytest.mark.parametrize(("name", "shown"), NAMES.values(), ids=NAMES.keys())
def test_a_hostile_name_is_only_displayed_and_escaped(
    client, world, officer, private_root, name, shown
):
    html = post_file(client, world, name, PDF)
    evidence = Evidence.objects.get()
    assert evidence.original_name == shown
    assert Path(evidence.file.path).resolve().is_relative_to(private_root.resolve())
    assert Path(evidence.file.name).name.endswith(".pdf") and shown not in evidence.file.name
    # Escaped on the card and on the page, never markup.
    page = client.get(reverse("assessments:assessment_detail", args=[world.assessment.pk]))
    for content in (html, page.content.decode()):
        assert "<img src=x" not in content and XSS not in content
    download = client.get(reverse("assessments:evidence_download", args=[evidence.pk]))
    disposition = download["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition and "\u202e" not in disposition
    assert disposition in (
        f'inline; filename="{shown}"',
        "inline; filename*=utf-8''" + quote(shown),
    )


def test_a_nul_byte_in_the_name_does_not_reach_the_storage(world, private_root):
    evidence = services.evidence_add_file(
        response=response_of(world),
        user=world.people.officer,
        uploaded_file=SimpleUploadedFile("bao\x00cao.pdf", PDF),
    )
    assert evidence.original_name == "baocao.pdf"
    assert "\x00" not in evidence.file.name


def test_a_300_character_name_through_the_page(client, world, officer, private_root):
    name = "Biên bản " + "rất dài " * 40 + ".pdf"
    assert len(name) > 300
    post_file(client, world, name, PDF)
    evidence = Evidence.objects.get()
    assert len(evidence.original_name) <= 255 and evidence.original_name.endswith(".pdf")


def test_two_files_of_the_same_name_are_two_files(client, world, officer, private_root):
    post_file(client, world, "bien-ban.pdf", PDF)
    other = PDF.replace(b"%%EOF", b"% khac\n%%EOF")
    post_file(client, world, "bien-ban.pdf", other)
    post_file(client, world, "bien-ban.pdf", PDF)  # the same bytes again: stored once
    rows = list(Evidence.objects.order_by("pk"))
    assert [e.original_name for e in rows] == ["bien-ban.pdf", "bien-ban.pdf"]
    assert len({e.file.name for e in rows}) == 2 and len(stored_files(private_root)) == 2
    for evidence, content in zip(rows, (PDF, other), strict=True):
        download = client.get(reverse("assessments:evidence_download", args=[evidence.pk]))
        assert b"".join(download.streaming_content) == content


# --- serving: its own type, never sniffed, attachment unless a PDF or an image ------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "inline"),
    [
        ("qd.pdf", PDF, "application/pdf", True),
        ("anh.jpg", JPEG, "image/jpeg", True),
        ("anh.png", PNG, "image/png", True),
        (
            "bao-cao.docx",
            office(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            False,
        ),
        (
            "bang.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            "application/vnd.ms-excel",
            False,
        ),
    ],
)
def test_downloads_carry_their_detected_type_and_nosniff(
    client, world, officer, private_root, name, content, content_type, inline
):
    post_file(client, world, name, content)
    evidence = Evidence.objects.get()
    download = client.get(reverse("assessments:evidence_download", args=[evidence.pk]))
    assert download["Content-Type"] == content_type
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("inline;" if inline else "attachment;")
    assert download["Cache-Control"] == "private, no-store"


def test_a_stored_type_never_comes_from_the_browser(client, world, officer, private_root):
    response = response_of(world)
    client.post(
        reverse("assessments:evidence_add", args=[world.assessment.pk, response.indicator_id]),
        {
            "kind": "file",
            "file": SimpleUploadedFile("qd.pdf", PDF, content_type="text/html"),
        },
        **HTMX,
    )
    assert Evidence.objects.get().content_type == "application/pdf"


def test_the_fast_scans_find_exactly_what_the_patterns_find():
    # has_markup and next_pdf_token jump between candidate bytes instead of letting the
    # pattern test every byte; they must agree with MARKUP and PDF_TOKEN everywhere.
    rng = random.Random(11)
    pieces = [
        b"<", b"<script ", b"<SCRIPT>", b"<svg/", b"javascript:", b"JavaScript:",
        b"/JavaScript ", b"/J#61vaScript/", b"/JS(", b"/Launch ", b"/JSx", b">>stream\n",
        b">> stream\r\n", b">>>\nstream\n", b"endstream", b"<?php ", b"<!doctype  html>",
        b"x", b"/", b">", b"\n",
    ]  # fmt: skip
    agreed = 0
    for _ in range(3000):
        buffer = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert uploads.has_markup(buffer) == bool(uploads.MARKUP.search(buffer)), buffer
        for at in range(len(buffer) + 1):
            slow = uploads.PDF_TOKEN.search(buffer, at)
            fast = uploads.next_pdf_token(buffer, at)
            assert (fast and (fast.span(), fast.lastgroup)) == (
                slow and (slow.span(), slow.lastgroup)
            ), (buffer, at)
            agreed += 1
    assert agreed > 20_000
