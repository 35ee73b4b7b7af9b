"""What we believe about an uploaded file: its type from its first bytes, never from the client.

Images, PDFs and Office/zip files must start with their format's magic bytes; text files are
stored as text/plain; anything else as application/octet-stream. Every download is served as an
attachment with nosniff, so even a file we misjudge is never rendered inline by the browser.
"""

import re
import unicodedata
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from helpdesk.errors import DomainError

# extension -> (magic prefixes that content must start with, the type we store)
BINARY_TYPES: dict[str, tuple[tuple[bytes, ...], str]] = {
    "png": ((b"\x89PNG\r\n\x1a\n",), "image/png"),
    "jpg": ((b"\xff\xd8\xff",), "image/jpeg"),
    "jpeg": ((b"\xff\xd8\xff",), "image/jpeg"),
    "gif": ((b"GIF87a", b"GIF89a"), "image/gif"),
    "pdf": ((b"%PDF-",), "application/pdf"),
    "zip": ((b"PK\x03\x04", b"PK\x05\x06"), "application/zip"),
    "docx": (
        (b"PK\x03\x04",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (
        (b"PK\x03\x04",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}
TEXT_TYPES = {"txt": "text/plain", "log": "text/plain", "csv": "text/csv", "json": "text/plain"}
STORED_TYPES = frozenset(
    {content_type for _magic, content_type in BINARY_TYPES.values()} | set(TEXT_TYPES.values())
)
_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_filename(name: str, *, default: str = "file") -> str:
    """A display/download name without paths, control characters or shell/HTML metacharacters."""
    name = PurePath(name.replace("\\", "/")).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[-200:] or default


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff_content_type(upload: UploadedFile) -> str:
    """The type we store for the upload; DomainError if its bytes contradict its extension."""
    name = safe_filename(upload.name or "")
    extension = _extension(name)
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    if extension in BINARY_TYPES:
        magics, content_type = BINARY_TYPES[extension]
        if not head.startswith(magics):
            raise DomainError(
                _("“%(name)s” is not a valid .%(ext)s file.") % {"name": name, "ext": extension},
                field="files",
            )
        return content_type
    if extension in TEXT_TYPES:
        return TEXT_TYPES[extension]
    return "application/octet-stream"
