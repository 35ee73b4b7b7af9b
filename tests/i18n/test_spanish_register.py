"""The Spanish UI and emails speak to people as usted ("su ticket", "Elija"). The merge notices
(to requesters: "Se ha añadido a tu ticket… No tienes que hacer nada"), the mention email,
the notification settings, the saved views and the bulk/merge form errors said tú."""

import re
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/es/LC_MESSAGES/django.po"
# The pronouns at the start of a sentence too ("Tus notificaciones", "Te han mencionado" got
# through), and the past and imperatives of the "changed since you opened it" notice.
TU = re.compile(
    r"\b(tú|tu|tus|tuyo|tuya|te|tienes|puedes|quieres|necesitas|escribiste|abriste|Elige"
    r"|Indica|fusiona|Cámbialo|Lee|vuelve a (?:empezar|elegir|enviar|leer)\w*|Ves|lideras)\b"
    r"|\b(?i:tú|tu|tus|te)\b"
)


def translations() -> list[str]:
    """Each msgstr of the catalogue, its continued lines joined."""
    found: list[str] = []
    current: list[str] | None = None
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            current = [line.split(" ", 1)[1].strip('"')]
            found.append("")
        elif line.startswith('"') and current is not None:
            current.append(line.strip('"'))
        else:
            current = None
        if current is not None:
            found[-1] = "".join(current)
    return found


def test_every_spanish_string_says_usted():
    strings = translations()
    assert len(strings) > 1000
    assert [text for text in strings if TU.search(text)] == []


@pytest.mark.parametrize(
    "line",
    [
        "Indica el número",
        "Ya tienes una vista",
        "a tu ticket",
        "Tus notificaciones",
        "Te han mencionado",
        "desde que lo abriste",
        "vuelve a elegirlos",
        "Ves los niveles de los grupos que lideras:",
    ],
)
def test_the_check_sees_tu(line):
    assert TU.search(line)
