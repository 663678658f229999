from django.urls import path

from classroom.consumers import ClassLiveConsumer, PracticeConsumer

websocket_urlpatterns = [
    path("ws/practice/<int:exercise_id>/", PracticeConsumer.as_asgi()),
    path("ws/classes/<int:class_id>/live/", ClassLiveConsumer.as_asgi()),
]
