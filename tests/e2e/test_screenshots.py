"""Running the tests never rewrites the tracked screenshots: they go to a temporary folder unless
`make screenshots` asks for docs/screenshots."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class FakePage:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def screenshot(self, *, path: str, full_page: bool) -> None:
        self.paths.append(path)
        Path(path).write_bytes(b"png")


@pytest.fixture
def screenshots_enabled(monkeypatch):
    monkeypatch.setenv("HELPDESK_SCREENSHOTS", "1")


def test_screenshots_go_to_a_temporary_folder(
    screenshots_enabled, screenshot, screenshots_dir, monkeypatch
):
    page = FakePage()

    screenshot(page, "en-console")

    (written,) = page.paths
    assert Path(written) == screenshots_dir / "en-console.png"
    assert DOCS not in Path(written).parents
    assert Path(written).read_bytes() == b"png"


def test_the_readme_shows_the_screenshots_of_both_languages_on_desktop_and_phone():
    readme = (DOCS.parents[1] / "README.md").read_text()
    shown = set(re.findall(r"docs/screenshots/([\w-]+\.png)", readme))
    for page in ("portal", "new-request", "console", "ticket-agent", "ticket-requester"):
        for prefix in ("en", "es", "en-phone", "es-phone"):
            assert f"{prefix}-{page}.png" in shown
    assert not {name for name in shown if not (DOCS / name).exists()}  # none missing
