from django.urls import path

from classroom.consumers import PracticeConsumer

websocket_urlpatterns = [
    path("ws/practice/<int:exercise_id>/", PracticeConsumer.as_asgi()),
]
