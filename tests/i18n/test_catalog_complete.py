"""Every translatable string of the product has its Spanish translation in the committed catalog.

Translations are added by hand (`makemessages` rewrites the whole file, so changes append their
entries instead): this runs `makemessages` on a copy of the source tree and fails on any message
it finds that the catalog leaves untranslated or marks fuzzy. The tracked catalog is never
touched.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What holds no product string, or is not source at all.
SKIPPED = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.mo", "var", "staticfiles", "tests", "bench", "docs", "deploy"
)

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext")


def _entries(po: Path, *flags: str) -> list[str]:
    """The msgids msgattrib selects with these flags (not the header)."""
    out = subprocess.run(  # noqa: S603 (our arguments)
        ["msgattrib", "--no-obsolete", "--no-wrap", *flags, str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line[len("msgid ") :] for line in out.splitlines() if line.startswith("msgid ")][1:]


def test_every_message_of_the_source_is_translated_into_spanish(tmp_path):
    tree = tmp_path / "src"
    shutil.copytree(ROOT, tree, ignore=SKIPPED)
    for domain in ("django", "djangojs"):
        subprocess.run(  # noqa: S603 (our arguments)
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "--locale=es",
                f"--domain={domain}",
                "--ignore=static/vendor/*",
                "--verbosity=0",
            ],
            cwd=tree,
            check=True,
            capture_output=True,
        )
    catalog = tree / "locale" / "es" / "LC_MESSAGES" / "django.po"
    assert _entries(catalog, "--untranslated") == []
    assert _entries(catalog, "--only-fuzzy") == []
    scripts = catalog.with_name("djangojs.po")
    if scripts.exists():
        assert _entries(scripts, "--untranslated") == []
        assert _entries(scripts, "--only-fuzzy") == []
