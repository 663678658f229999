from django.urls import path

from chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/classes/<int:class_id>/chat/", ChatConsumer.as_asgi()),
]
