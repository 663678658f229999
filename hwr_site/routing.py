"""Websocket routes of every app."""

from chat.routing import websocket_urlpatterns as chat_routes
from classroom.routing import websocket_urlpatterns as classroom_routes
from recognition.routing import websocket_urlpatterns as recognition_routes

websocket_urlpatterns = [*recognition_routes, *classroom_routes, *chat_routes]
