from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hwr_site import ops

urlpatterns = [
    # The API first: resolving walks this list, and every include tried on the way costs time.
    path("api/v1/", include("recognition.api_urls")),
    path("api/v1/", include("classroom.api_urls")),
    path("api/v1/", include("chat.api_urls")),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="prometheus-django-metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("recognition.urls")),
    path("", include("classroom.urls")),
    path("", include("chat.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The API answers a path it does not know in its own JSON error shape; pages as usual.
handler404 = "hwr_site.api_errors.not_found"
