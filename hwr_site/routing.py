"""Websocket routes of every app."""

from recognition.routing import websocket_urlpatterns as recognition_routes

websocket_urlpatterns = [*recognition_routes]
