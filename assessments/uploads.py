"""Checking an evidence upload: size, type from the content, SHA-256, display name.

The file is read in chunks (never whole into memory): each chunk feeds the
hash and the size count, and the first bytes decide the type. A name can lie,
so the type comes from the content (magic bytes, and for Office Open XML the
zip's table of contents); a name whose extension names another known type is
refused as well, so that a download never opens in the wrong program.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEAD_BYTES = 8

# type code (as in settings.EVIDENCE_ALLOWED_TYPES): (content type, extensions, label)
TYPES = {
    "pdf": ("application/pdf", ("pdf",), "PDF"),
    "png": ("image/png", ("png",), "PNG"),
    "jpg": ("image/jpeg", ("jpg", "jpeg"), "JPEG"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
        "Word (.docx)",
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("xlsx",),
        "Excel (.xlsx)",
    ),
    "doc": ("application/msword", ("doc",), "Word 97–2003 (.doc)"),
    "xls": ("application/vnd.ms-excel", ("xls",), "Excel 97–2003 (.xls)"),
}
TYPE_OF_EXTENSION = {ext: code for code, (_ct, exts, _label) in TYPES.items() for ext in exts}


@dataclass(frozen=True)
class CheckedUpload:
    type_code: str
    content_type: str
    extension: str
    size: int
    sha256: str
    display_name: str


def display_name(name: str | None, fallback: str = "file") -> str:
    """The name shown to people: last path part, no control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        name = fallback
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        keep_extension = dot and stem and len(ext) <= 10
        name = stem[: 254 - len(ext)] + "." + ext if keep_extension else name[:255]
    return name


def _extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def _office_open_xml_type(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        # Macro-enabled documents are refused: evidence never needs code.
        return None
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return None


def sniff(head: bytes, upload, name_extension: str) -> str | None:
    """The type code of the content, or None when it is none of the known types."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(PNG_MAGIC):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        return _office_open_xml_type(upload)
    if head.startswith(OLE2_MAGIC):
        # An OLE2 container holds .doc and .xls alike; which of the two the name says.
        return name_extension if name_extension in {"doc", "xls"} else None
    return None


def _allowed_labels(allowed: list[str]) -> str:
    return ", ".join(TYPES[code][2] for code in allowed if code in TYPES)


def check_upload(upload, *, max_bytes: int, allowed_types: list[str]) -> CheckedUpload:
    """Read ``upload`` once in chunks; raise ``ValidationError`` unless it is acceptable."""
    name = display_name(getattr(upload, "name", ""), fallback=gettext("attachment"))
    too_large = ValidationError(
        gettext("The file is larger than the limit of %(limit)s.")
        % {"limit": filesizeformat(max_bytes)},
        code="too_large",
    )
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise too_large

    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)
    if size == 0:
        raise ValidationError(gettext("The file is empty."), code="empty")

    name_extension = _extension(name)
    type_code = sniff(head, upload, name_extension)
    allowed = [code.lower() for code in allowed_types]
    if type_code is None or type_code not in allowed:
        raise ValidationError(
            gettext("This kind of file is not accepted. Accepted: %(types)s.")
            % {"types": _allowed_labels(allowed)},
            code="type",
        )
    named_type = TYPE_OF_EXTENSION.get(name_extension)
    if named_type is not None and named_type != type_code:
        raise ValidationError(
            gettext("The file's content (%(content)s) does not match its name “%(name)s”.")
            % {"content": TYPES[type_code][2], "name": name},
            code="mismatch",
        )
    content_type, extensions, _label = TYPES[type_code]
    return CheckedUpload(
        type_code=type_code,
        content_type=content_type,
        extension=extensions[0],
        size=size,
        sha256=digest.hexdigest(),
        display_name=name,
    )
