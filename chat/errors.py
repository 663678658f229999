"""The chat domain's error, shared by its services."""

from hwr_site.errors import DomainError


class ChatError(DomainError):
    """Something the room forbids; `code` is stable, `message` is for people. Sockets answer
    it with an error frame, the API with its error shape (403 for `not_allowed`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=403 if code == "not_allowed" else 400)
