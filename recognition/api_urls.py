from django.urls import path

from recognition.api import RecognizeApi

urlpatterns = [
    path("recognize", RecognizeApi.as_view(), name="api-recognize"),
]
