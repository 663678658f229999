"""Session engine: Django's database sessions, with short ones for shared devices.

A session marked with `SHORT_SESSION_KEY` (students': `classroom.sessions`) lasts
`SCHOOL_DAY_SECONDS` on the server whatever its cookie says; every other one lasts
`SESSION_COOKIE_AGE`. The database row's expiry is what HTTP and websockets both check.
"""

from django.conf import settings
from django.contrib.sessions.backends import db

SHORT_SESSION_KEY = "_short_session"


class SessionStore(db.SessionStore):
    def get_session_cookie_age(self) -> int:
        if self.get(SHORT_SESSION_KEY):
            return int(settings.SCHOOL_DAY_SECONDS)
        return int(settings.SESSION_COOKIE_AGE)
