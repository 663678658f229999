"""The classroom app's domain error, apart from its services so that every module of the
app (`services`, `cards`) can raise it without importing the others."""

from hwr_site.errors import DomainError


class ClassroomError(DomainError):
    """Something the domain forbids; `code` is stable, `message` is for people."""
