"""Domain errors that services raise and the API and views turn into clear messages."""


class DomainError(Exception):
    """Bad input or a request the rules refuse: 400 in the API, a form error in the UI."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """The ticket changed under the caller (someone else acted first): 409."""

    status_code = 409
