"""Vietnamese first: every message has a Vietnamese translation, compiled and in use.

CI runs ``makemessages`` before the suite (see .ci/run), so a new string that
nobody translated shows up here as an empty msgstr and fails the run.
"""

from pathlib import Path

from django.conf import settings
from django.utils import translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr[...] and flags."""
    entries, current, key = [], {"flags": ""}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if "msgid" in current:
                entries.append(current)
            current, key = {"flags": ""}, None
        elif line.startswith("#,"):
            current["flags"] += line[2:]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += _unquote(line)
        else:
            key, _sep, rest = line.partition(" ")
            current[key] = _unquote(rest)
    return entries


def _unquote(text: str) -> str:
    return (
        bytes(text.strip()[1:-1], "utf-8")
        .decode("unicode_escape")
        .encode("latin-1")
        .decode("utf-8")
    )


def test_every_message_has_a_vietnamese_translation():
    entries = [e for e in po_entries(PO_FILE) if e["msgid"]]
    assert len(entries) > 100
    untranslated = [
        e["msgid"]
        for e in entries
        if "fuzzy" in e["flags"] or not all(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_po_file():
    checked = 0
    with translation.override("vi"):
        for entry in po_entries(PO_FILE):
            if not entry["msgid"] or "msgid_plural" in entry or "msgctxt" in entry:
                continue
            assert translation.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]
            checked += 1
    assert checked > 100
