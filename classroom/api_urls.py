from django.urls import path

from classroom import api

urlpatterns = [
    path("attempts", api.MyAttemptsApi.as_view(), name="api-my-attempts"),
    path("attempts/<int:pk>", api.MyAttemptApi.as_view(), name="api-my-attempt"),
    path("exercises", api.MyExercisesApi.as_view(), name="api-my-exercises"),
    path("attempts/<int:pk>/verdict", api.AttemptVerdictApi.as_view(), name="api-attempt-verdict"),
    path("classes/<int:pk>/dashboard", api.ClassDashboardApi.as_view(), name="api-class-dashboard"),
]
