"""Running the tests never rewrites the tracked screenshots: they go to a temporary folder unless
`make screenshots` asks for docs/screenshots."""

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
