"""File output of the migration: documentation file names and atomic writes."""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from pathlib import Path

__all__ = ["doc_file_name", "write_atomically"]

# Keeps each documentation file name well under the 255-byte limit of common file systems.
_MAX_SLUG_LENGTH = 60
_MAX_ID_LENGTH = 64
_UNSAFE = re.compile(r"[^a-z0-9]+")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9-]+")


def slugify(name: str) -> str:
    """Return a lowercase ASCII slug of a name, or ``data-product`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:_MAX_SLUG_LENGTH].rstrip("-")
    return slug or "data-product"


def doc_file_name(line: int, name: str, product_id: str) -> str:
    """Return ``<line>-<slug of name>-<id>.md``, safe to use as one path component.

    The line number makes names unique within a catalogue, because each line creates one
    data product. The id is filtered too, although the server is expected to send only
    letters, digits and hyphens.
    """
    safe_id = _UNSAFE_ID.sub("-", product_id)[:_MAX_ID_LENGTH].strip("-") or "no-id"
    return f"{line}-{slugify(name)}-{safe_id}.md"


def write_atomically(path: Path, text: str) -> None:
    """Write text to a temporary file beside ``path``, then rename it over ``path``.

    A reader sees either the old file or the complete new one, never a partial write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Opened with "x" rather than tempfile.mkstemp so the file gets the umask's permissions
    # instead of 0600.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
