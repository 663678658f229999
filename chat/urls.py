from django.urls import path

from chat import views

urlpatterns = [
    path("classes/<int:pk>/chat/", views.room, name="chat_room"),
    path("classes/<int:pk>/discord/", views.class_discord, name="class_discord"),
    path("classes/<int:pk>/discord/links/", views.class_discord_link, name="class_discord_link"),
    path("attempts/<int:pk>/comments/", views.attempt_comment, name="attempt_comment"),
    path("discord/interactions", views.discord_interactions, name="discord_interactions"),
]
