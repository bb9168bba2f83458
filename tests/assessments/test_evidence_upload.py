"""Evidence: files checked by content and stored privately, citations, links, removal."""

import hashlib
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments import selectors, services
from assessments.models import AssessmentState, Evidence, PhaseKind, Response
from tests.factories import force_state, set_window

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


def office(folder: str, *, macros: bool = False, content_types: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if content_types:
            archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
        if macros:
            archive.writestr(f"{folder}/vbaProject.bin", b"\x00" * 10)
    return buffer.getvalue()


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def response(world, private_root):
    return Response.objects.get(assessment=world.assessment, indicator__code="1.1")


def upload(response, world, name, content, user=None):
    return services.evidence_add_file(
        response=response,
        user=user or world.people.officer,
        uploaded_file=SimpleUploadedFile(name, content),
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_pdf_is_stored_privately_under_a_generated_name(world, response, private_root):
    evidence = upload(response, world, "Quyết định 12-QĐ.pdf", PDF)

    path = Path(evidence.file.path).resolve()
    assert path.is_relative_to(private_root.resolve())
    assert path.read_bytes() == PDF
    campaign, assessment = world.campaign.pk, world.assessment.pk
    assert evidence.file.name.startswith(f"evidence/{campaign}/{assessment}/")
    assert evidence.file.name.endswith(".pdf")
    assert "Quy" not in evidence.file.name
    assert (
        evidence.kind,
        evidence.phase,
        evidence.original_name,
        evidence.size,
        evidence.sha256,
        evidence.content_type,
        evidence.uploaded_by,
    ) == (
        "file",
        "self",
        "Quyết định 12-QĐ.pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
        "application/pdf",
        world.people.officer,
    )
    assert stored_files(private_root) == [path]


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("anh-chup.png", PNG, "image/png"),
        ("anh.JPEG", JPEG, "image/jpeg"),
        (
            "bao-cao.docx",
            office("word"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "so-lieu.xlsx",
            office("xl"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("cong-van.doc", OLE2, "application/msword"),
        ("bang-tinh.xls", OLE2, "application/vnd.ms-excel"),
        ("khong-duoi", PDF, "application/pdf"),
    ],
)
def test_accepted_types_are_read_from_the_content(world, response, name, content, content_type):
    assert upload(response, world, name, content).content_type == content_type


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("bao-cao.pdf", EXE, "type"),  # a renamed executable
        ("bao-cao.exe", EXE, "type"),
        ("bao-cao.docx", office("word", content_types=False), "type"),  # a plain zip
        ("bao-cao.docx", office("word", macros=True), "type"),  # macros
        ("bao-cao.zip", office("ppt"), "type"),
        ("trang.html", b"<html><script>alert(1)</script></html>", "type"),
        ("anh.pdf", PNG, "mismatch"),
        ("bao-cao.pdf", OLE2, "type"),  # an OLE2 container that the name does not place
        ("rong.pdf", b"", "empty"),
    ],
)
def test_refused_files_leave_nothing_behind(world, response, private_root, name, content, code):
    with pytest.raises(ValidationError) as excinfo:
        upload(response, world, name, content)
    assert excinfo.value.code == code
    assert Evidence.objects.count() == 0
    assert stored_files(private_root) == []


def test_the_accepted_types_are_a_setting(world, response, settings):
    settings.EVIDENCE_ALLOWED_TYPES = ["pdf"]
    with pytest.raises(ValidationError) as excinfo:
        upload(response, world, "anh.png", PNG)
    assert excinfo.value.messages == ["This kind of file is not accepted. Accepted: PDF."]
    assert upload(response, world, "qd.pdf", PDF).content_type == "application/pdf"


def test_the_size_limit_is_a_setting(world, response, settings, private_root):
    settings.EVIDENCE_MAX_BYTES = len(PDF) - 1
    with pytest.raises(ValidationError) as excinfo:
        upload(response, world, "lon.pdf", PDF)
    assert excinfo.value.code == "too_large"
    settings.EVIDENCE_MAX_BYTES = len(PDF)
    upload(response, world, "vua.pdf", PDF)
    assert Evidence.objects.count() == 1


class ChunksOnly(File):
    """A file that fails if anyone reads it whole; its size is unknown up front."""

    def __init__(self, content: bytes, name: str):
        super().__init__(io.BytesIO(content), name=name)
        self.reads = []

    def read(self, size=-1):
        assert size is not None and 0 < size <= 64 * 1024, f"read({size}) of a whole file"
        self.reads.append(size)
        return self.file.read(size)

    @property
    def size(self):
        return None


def test_a_file_is_read_in_chunks_and_the_limit_holds_without_a_declared_size(
    world, response, settings, private_root
):
    big = b"%PDF-1.4\n" + b"x" * (300 * 1024)
    settings.EVIDENCE_MAX_BYTES = 200 * 1024
    with pytest.raises(ValidationError):
        services.evidence_add_file(
            response=response, user=world.people.officer, uploaded_file=ChunksOnly(big, "a.pdf")
        )
    settings.EVIDENCE_MAX_BYTES = 400 * 1024
    source = ChunksOnly(big, "a.pdf")
    evidence = services.evidence_add_file(
        response=response, user=world.people.officer, uploaded_file=source
    )
    assert len(source.reads) > 4
    assert Path(evidence.file.path).read_bytes() == big
    assert evidence.sha256 == hashlib.sha256(big).hexdigest()


@pytest.mark.parametrize(
    "make",
    [
        lambda: SimpleUploadedFile("../../etc/passwd", PDF),
        lambda: File(io.BytesIO(PDF), name="../../etc/passwd"),
        lambda: File(io.BytesIO(PDF), name="..\\..\\windows\\system32\\evil.pdf"),
    ],
    ids=["uploaded", "file", "backslashes"],
)
def test_a_path_as_a_name_is_only_displayed(world, response, private_root, make):
    evidence = services.evidence_add_file(
        response=response, user=world.people.officer, uploaded_file=make()
    )
    assert evidence.original_name in {"passwd.pdf", "evil.pdf"}
    assert ".." not in evidence.file.name
    assert Path(evidence.file.path).resolve().is_relative_to(private_root.resolve())
    assert [p.resolve() for p in stored_files(private_root)] == [Path(evidence.file.path).resolve()]


def test_a_300_character_unicode_name_is_kept_for_display(world, response, private_root):
    name = "Báo cáo kết quả chuyển đổi số của Ủy ban nhân dân xã " * 6
    name = name[:296] + ".pdf"
    assert len(name) == 300

    evidence = upload(response, world, name, PDF)

    assert len(evidence.original_name) <= 255
    assert evidence.original_name.startswith("Báo cáo kết quả chuyển đổi số")
    assert evidence.original_name.endswith(".pdf")
    assert Evidence.objects.get().original_name == evidence.original_name
    assert len(Path(evidence.file.name).name) == 36  # 32 hex digits and “.pdf”
    assert Path(evidence.file.path).resolve().is_relative_to(private_root.resolve())


def test_the_same_file_twice_is_stored_once(world, response, private_root):
    first = upload(response, world, "qd.pdf", PDF)
    second = upload(response, world, "ban-sao-qd.pdf", PDF)
    assert second.pk == first.pk
    assert Evidence.objects.count() == 1
    assert len(stored_files(private_root)) == 1

    other = Response.objects.get(assessment=world.assessment, indicator__code="1.2")
    upload(other, world, "qd.pdf", PDF)  # another response keeps its own copy
    assert Evidence.objects.count() == 2


# --- who and when -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "other_officer", "organizer", "council_member"])
def test_only_the_units_officers_attach_evidence(world, response, private_root, role):
    with pytest.raises(PermissionDenied):
        upload(response, world, "qd.pdf", PDF, user=getattr(world.people, role))
    assert stored_files(private_root) == []


def test_evidence_is_locked_with_the_self_assessment(world, response, private_root):
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    with pytest.raises(ValidationError):
        upload(response, world, "qd.pdf", PDF)
    force_state(world.assessment, AssessmentState.OPEN)
    set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, "closed")
    with pytest.raises(ValidationError):
        upload(response, world, "qd.pdf", PDF)
    assert stored_files(private_root) == []


def test_explanation_evidence_during_the_explanation(world, response):
    force_state(world.assessment, AssessmentState.EXPLANATION)
    set_window(world.campaign, PhaseKind.EXPLANATION, "open")
    evidence = services.evidence_add_link(
        response=response, user=world.people.officer, url="https://xa-a.gov.vn/bao-cao"
    )
    assert evidence.phase == "explanation"
    set_window(world.campaign, PhaseKind.EXPLANATION, "closed")
    with pytest.raises(ValidationError):
        services.evidence_remove(evidence=evidence, user=world.people.officer)


# --- citations, links, removal -------------------------------------------------------


def test_a_citation_of_an_official_document(world, response):
    evidence = services.evidence_add_citation(
        response=response,
        user=world.people.officer,
        number=" 12/QĐ-UBND ",
        date=date(2024, 3, 1),
        issuer="UBND xã A",
        summary="Kế hoạch chuyển đổi số năm 2024",
    )
    assert (
        evidence.kind,
        evidence.citation_number,
        evidence.citation_date,
        evidence.citation_issuer,
        evidence.citation_summary,
    ) == (
        "citation",
        "12/QĐ-UBND",
        date(2024, 3, 1),
        "UBND xã A",
        "Kế hoạch chuyển đổi số năm 2024",
    )
    assert str(evidence) == "12/QĐ-UBND – UBND xã A"


def test_a_citation_needs_number_date_and_issuer(world, response):
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_add_citation(
            response=response, user=world.people.officer, number="", date=None, issuer=" "
        )
    assert excinfo.value.messages == [
        "Enter the document's number.",
        "Enter who issued the document.",
        "Enter the document's date.",
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_add_citation(
            response=response,
            user=world.people.officer,
            number="1",
            date=timezone.localdate() + timedelta(days=1),
            issuer="UBND",
        )
    assert excinfo.value.messages == ["The document's date cannot be in the future."]
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", True),
        ("http://xa-a.gov.vn", True),
        ("javascript:alert(1)", False),
        ("ftp://xa-a.gov.vn/tai-lieu.pdf", False),
        ("file:///etc/passwd", False),
        ("xa-a.gov.vn", False),
        ("https://x.vn/" + "a" * 2000, False),
    ],
)
def test_links_are_http_or_https(world, response, url, ok):
    if ok:
        assert services.evidence_add_link(response=response, user=world.people.officer, url=url)
    else:
        with pytest.raises(ValidationError):
            services.evidence_add_link(response=response, user=world.people.officer, url=url)
        assert Evidence.objects.count() == 0


def test_removed_evidence_stays_in_the_history_and_on_disk(world, response, private_root):
    officer = world.people.officer
    evidence = upload(response, world, "qd.pdf", PDF)
    path = Path(evidence.file.path)

    services.evidence_remove(evidence=evidence, user=officer)

    assert Evidence.objects.count() == 0
    assert path.exists()
    entries = [
        (e.what, e.before, e.after, e.by) for e in selectors.response_history(response=response)
    ]
    assert entries == [("evidence", None, "qd.pdf", officer), ("evidence", "qd.pdf", None, officer)]


def test_only_the_units_officers_remove_evidence(world, response):
    evidence = services.evidence_add_link(
        response=response, user=world.people.officer, url="https://xa-a.gov.vn"
    )
    with pytest.raises(PermissionDenied):
        services.evidence_remove(evidence=evidence, user=world.people.leader)
    assert Evidence.objects.count() == 1
