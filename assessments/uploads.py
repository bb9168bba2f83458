"""Checking an evidence upload: size, type from the content, SHA-256, display name.

The file is read in chunks (never whole into memory): each chunk feeds the
hash and the size count, and the first bytes decide the type. A name can lie,
so the type comes from the content (magic bytes, and for Office Open XML the
zip's table of contents); a name whose extension names another known type is
refused as well, so that a download never opens in the wrong program.

What is refused besides (docs/security.md):

* executables and anything else that is none of the accepted types, whatever
  its name (an ``MZ``/``ELF`` header named ``.pdf``);
* polyglots: a PDF, PNG or JPEG (the types a browser shows inline) that also
  carries web-page markup or server code (``<script``, ``<html``, ``<?php`` …),
  made to be run if it were ever served as something else;
* a PDF with active content written in the clear, outside its streams
  (``/JavaScript``, ``/JS``, ``/Launch``, hex-escaped names included): evidence
  is read, never run. Content hidden in compressed object streams is not seen
  here; the browsers' PDF viewers run scripts away from this site's pages;
* archives (.docx, .xlsx) with macros, with more than ``MAX_ARCHIVE_ENTRIES``
  entries, or declaring more than ``ARCHIVE_RATIO`` × the size limit once
  unpacked (a zip bomb). Nothing on the server ever unpacks an evidence
  archive: only its table of contents is read.

The download (``views.evidence_download``) sends the type found here, never
the browser's guess (``nosniff``), and everything but PDF, PNG and JPEG as an
attachment.
"""

from __future__ import annotations

import hashlib
import re
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
MAX_ARCHIVE_ENTRIES = 10_000
ARCHIVE_RATIO = 50  # an archive may unpack to at most this many times the upload limit
INLINE_TYPES = frozenset({"pdf", "png", "jpg"})  # the types a browser may show by itself

# Web-page markup or server code inside an image or a PDF: a polyglot. Case-insensitive.
MARKUP = re.compile(
    rb"<(?:script|html|body|iframe|object|embed|svg|\?php|!doctype\s+html)[\s>/]|javascript:",
    re.IGNORECASE,
)


def _pdf_name(word: str) -> bytes:
    """A PDF name as a pattern: each character as itself or as its ``#xx`` escape."""
    parts = []
    for character in word:
        escaped = "".join(f"[{c.lower()}{c.upper()}]" for c in f"{ord(character):02x}")
        parts.append(b"(?:" + re.escape(character.encode()) + b"|#" + escaped.encode() + b")")
    return b"/" + b"".join(parts)


# A PDF's active content written in the clear (outside its streams): a name
# that ends at a delimiter. Stream data (images, compressed text) is skipped,
# where such bytes occur by chance.
PDF_TOKEN = re.compile(
    rb"(?P<stream>>>\s*stream(?:\r\n|\n))|(?P<active>(?:"
    + b"|".join(_pdf_name(word) for word in ("JavaScript", "JS", "Launch"))
    + rb")(?=[\s/<>\[\](){}%]))"
)
PDF_ENDSTREAM = re.compile(rb"endstream")
# Every match of MARKUP starts at a "<" or is "javascript:", and every match of
# PDF_TOKEN at a "/" or a ">>": the scans jump from one such byte to the next with
# bytes.find (C speed) and try the pattern there, instead of letting the pattern
# engine test every byte of a 5 MB upload (about 80 ms a megabyte of text).
MARKUP_TAG = re.compile(
    rb"<(?:script|html|body|iframe|object|embed|svg|\?php|!doctype\s+html)[\s>/]"
)


def has_markup(buffer: bytes) -> bool:
    """``MARKUP.search(buffer)``, faster: on the lower-cased bytes, "<" by "<"."""
    lowered = buffer.lower()  # ASCII only, as IGNORECASE is for bytes
    if b"javascript:" in lowered:
        return True
    at = lowered.find(b"<")
    while at != -1:
        if MARKUP_TAG.match(lowered, at):
            return True
        at = lowered.find(b"<", at + 1)
    return False


def next_pdf_token(buffer: bytes, at: int) -> re.Match | None:
    """``PDF_TOKEN.search(buffer, at)``, faster: tried only at each "/" and ">>"."""
    slash, angle = buffer.find(b"/", at), buffer.find(b">>", at)
    while slash != -1 or angle != -1:
        here = slash if angle == -1 or (slash != -1 and slash < angle) else angle
        found = PDF_TOKEN.match(buffer, here)
        if found:
            return found
        if here == slash:
            slash = buffer.find(b"/", here + 1)
        if here == angle:
            angle = buffer.find(b">>", here + 1)
    return None


OVERLAP = 64  # bytes of the previous chunk searched again, so no marker hides across chunks


class _ContentScan:
    """Fed the chunks in order: is there markup anywhere, active content in a PDF?"""

    def __init__(self):
        self.markup = False
        self.pdf_active = False
        self._pdf: bool | None = None  # unknown until the first chunk
        self._tail = b""
        self._seen = 0  # bytes fed so far
        self._resume = 0  # where the PDF reading goes on, counted from the first byte
        self._in_stream = False

    def feed(self, chunk: bytes) -> None:
        if self._pdf is None:
            self._pdf = chunk.startswith(b"%PDF-")
        buffer = self._tail + chunk
        base = self._seen - len(self._tail)  # the position of buffer[0] in the file
        if not self.markup and has_markup(buffer):
            self.markup = True
        if self._pdf and not self.pdf_active:
            self._read_pdf(buffer, base)
        self._seen += len(chunk)
        self._tail = buffer[-OVERLAP:]

    def _read_pdf(self, buffer: bytes, base: int) -> None:
        at = max(self._resume - base, 0)
        while True:
            if self._in_stream:
                found = PDF_ENDSTREAM.search(buffer, at)
                if found is None:
                    break
                self._in_stream, at = False, found.end()
                continue
            found = next_pdf_token(buffer, at)
            if found is None:
                break
            if found.group("active"):
                self.pdf_active = True
                return
            self._in_stream, at = True, found.end()
        # What is left unread may be the start of a keyword: read it again with the next chunk.
        self._resume = base + max(at, len(buffer) - OVERLAP)


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


def _office_open_xml_type(upload, max_bytes: int) -> str | None:
    """docx or xlsx from the zip's table of contents; nothing is ever unpacked."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return None
    finally:
        upload.seek(0)
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ARCHIVE_ENTRIES or unpacked > ARCHIVE_RATIO * max_bytes:
        raise ValidationError(
            gettext(
                "The document unpacks to far more than its size (%(size)s): it is refused "
                "as a possible zip bomb. Save it again from Word or Excel and attach it."
            )
            % {"size": filesizeformat(unpacked)},
            code="archive",
        )
    names = [entry.filename for entry in entries]
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


def sniff(head: bytes, upload, name_extension: str, max_bytes: int) -> str | None:
    """The type code of the content, or None when it is none of the known types."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(PNG_MAGIC):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        return _office_open_xml_type(upload, max_bytes)
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
    scan = _ContentScan()
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        digest.update(chunk)
        scan.feed(chunk)
    upload.seek(0)
    if size == 0:
        raise ValidationError(gettext("The file is empty."), code="empty")

    name_extension = _extension(name)
    type_code = sniff(head, upload, name_extension, max_bytes)
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
    if type_code in INLINE_TYPES and scan.markup:
        raise ValidationError(
            gettext(
                "The file is a %(type)s but also holds web-page code or a script; it is refused. "
                "Save or scan the document again and attach the new file."
            )
            % {"type": TYPES[type_code][2]},
            code="polyglot",
        )
    if type_code == "pdf" and scan.pdf_active:
        raise ValidationError(
            gettext(
                "The PDF contains a script or a command that opens another program; it is "
                "refused. Print it again to PDF (Print → Save as PDF) and attach the new file."
            ),
            code="active_content",
        )
    content_type, extensions, _label = TYPES[type_code]
    if name_extension not in extensions:
        # “hoa-don.exe”, “hoa\u202edpf.exe” or no extension: whoever downloads it gets
        # a name that opens the file as what it is (“hoa-don.exe.pdf”).
        name = display_name(f"{name}.{extensions[0]}")
    return CheckedUpload(
        type_code=type_code,
        content_type=content_type,
        extension=extensions[0],
        size=size,
        sha256=digest.hexdigest(),
        display_name=name,
    )
