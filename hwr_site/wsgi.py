import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
application = get_wsgi_application()

from hwr_site.startup import check_debug, freeze_startup_heap, import_views  # noqa: E402

check_debug()
import_views()
freeze_startup_heap()
