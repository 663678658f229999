from axes.decorators import axes_dispatch
from django.contrib.auth import views as auth_views
from django.urls import include, path

from classroom import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    # A locked-out address or account is answered before the form runs: no password hashed,
    # no failure recorded (a flood of refused logins stays cheap); the rest of the account
    # pages are Django's.
    path("accounts/login/", axes_dispatch(auth_views.LoginView.as_view()), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("classes/", views.class_list, name="class_list"),
    path("classes/new/", views.class_create, name="class_create"),
    path("classes/join/", views.class_join, name="class_join"),
    path("classes/<int:pk>/", views.class_detail, name="class_detail"),
    path("classes/<int:pk>/edit/", views.class_edit, name="class_edit"),
    path("classes/<int:pk>/archive/", views.class_archive, name="class_archive"),
    path("classes/<int:pk>/code/", views.class_regenerate_code, name="class_regenerate_code"),
    path("classes/<int:pk>/leave/", views.class_leave, name="class_leave"),
    path(
        "classes/<int:pk>/students/<int:student_id>/remove/",
        views.class_remove_student,
        name="class_remove_student",
    ),
    path("classes/<int:pk>/dashboard/", views.class_dashboard, name="class_dashboard"),
    path("classes/<int:pk>/attempts.csv", views.class_attempts_csv, name="class_attempts_csv"),
    path("classes/<int:pk>/training-use/", views.class_training_use, name="class_training_use"),
    path("classes/<int:pk>/students/<int:student_id>/", views.class_student, name="class_student"),
    path("classes/<int:pk>/students/add/", views.class_students_add, name="class_students_add"),
    path(
        "classes/<int:pk>/students/<int:student_id>/password/",
        views.class_student_password,
        name="class_student_password",
    ),
    path(
        "classes/<int:pk>/students/<int:student_id>/export.json",
        views.class_student_export,
        name="class_student_export",
    ),
    path(
        "classes/<int:pk>/students/<int:student_id>/data/",
        views.class_student_data,
        name="class_student_data",
    ),
    path(
        "classes/<int:pk>/students/<int:student_id>/delete/",
        views.class_student_delete,
        name="class_student_delete",
    ),
    path(
        "classes/<int:pk>/students/<int:student_id>/unlock/",
        views.class_student_unlock,
        name="class_student_unlock",
    ),
    path(
        "classes/<int:pk>/students/<int:student_id>/card/",
        views.class_student_card,
        name="class_student_card",
    ),
    path("classes/<int:pk>/login-cards/", views.class_sign_in_cards, name="class_sign_in_cards"),
    path(
        "classes/<int:pk>/login-cards/renew/", views.class_sign_in_renew, name="class_sign_in_renew"
    ),
    # A class's own sign-in page, by its unguessable token (classroom.cards).
    path("classes/<slug:token>/sign-in/", views.class_sign_in, name="class_sign_in"),
    path(
        "classes/<slug:token>/sign-in/<int:student_id>/",
        views.class_sign_in_student,
        name="class_sign_in_student",
    ),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt_detail"),
    path("attempts/<int:pk>/verdict/", views.attempt_verdict, name="attempt_verdict"),
    path("progress/", views.my_progress, name="my_progress"),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data.json", views.my_data_export, name="my_data_export"),
    path("teachers/invitations/", views.teacher_invitations, name="teacher_invitations"),
    path(
        "teachers/invitations/<int:pk>/revoke/",
        views.teacher_invitation_revoke,
        name="teacher_invitation_revoke",
    ),
    path("classes/<int:pk>/exercises/new/", views.exercise_create, name="exercise_create"),
    path("exercises/", views.exercise_list, name="exercise_list"),
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise_detail"),
    path("exercises/<int:pk>/edit/", views.exercise_edit, name="exercise_edit"),
    path("exercises/<int:pk>/archive/", views.exercise_archive, name="exercise_archive"),
    path("practice/<int:exercise_id>/", views.practice, name="practice"),
]
