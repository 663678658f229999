from django.urls import path

from recognition import views

urlpatterns = [
    path("draw/", views.draw, name="draw"),
]
