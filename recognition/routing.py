from django.urls import path

from recognition.consumers import RecognizeConsumer

websocket_urlpatterns = [
    path("ws/recognize/", RecognizeConsumer.as_asgi()),
]
