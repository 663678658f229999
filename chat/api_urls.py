from django.urls import path

from chat import api

urlpatterns = [
    path(
        "attempts/<int:pk>/comments", api.AttemptCommentsApi.as_view(), name="api-attempt-comments"
    ),
]
