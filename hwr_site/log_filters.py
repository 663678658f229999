"""Logging filters named in `settings.LOGGING`."""

import logging


class ClientErrorsShort(logging.Filter):
    """Drop the traceback of a request that ended in a 4xx: a refused or missing page is the
    client's doing, and Django logs PermissionDenied and Http404 with their exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
