"""Static files on the event loop, ahead of Django: ServeStatic's ASGI wrapper, configured
from the settings as its Django middleware would be (which cannot run in the synchronous
WSGI chain the HTTP path uses). Without collectstatic (`make run`, tests) the files come
straight from the finders' folders; with it (`STATIC_MANIFEST`), from `STATIC_ROOT`."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from servestatic import ServeStaticASGI


def with_static_files(app: Any) -> ServeStaticASGI:
    """`app` with `STATIC_URL` answered first."""
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    served = ServeStaticASGI(
        app,
        autorefresh=settings.DEBUG,
        max_age=0 if settings.DEBUG else 60,
        add_headers_function=settings.SERVESTATIC_ADD_HEADERS_FUNCTION,
    )
    if settings.SERVESTATIC_USE_FINDERS:
        # The project's folder and the apps' (admin, Swagger UI); no file is in two of them.
        for finder in finders.get_finders():
            for storage in getattr(finder, "storages", {}).values():
                extra = getattr(storage, "prefix", None) or ""
                served.add_files(storage.location, prefix=prefix + extra)
    else:
        served.add_files(str(settings.STATIC_ROOT), prefix=prefix)
    return served
