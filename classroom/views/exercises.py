"""Exercises and the practice canvas (strokes and submits go over the websocket)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from classroom import access, selectors, services
from classroom.formation import models_to_trace
from classroom.forms import (
    ExerciseForm,
)
from classroom.models import Exercise
from classroom.views.pages import (
    decided,
    managed_classroom,
    managed_exercise,
    student_of,
    user_of,
    viewed_exercise,
)


@login_required
def exercise_list(request: HttpRequest) -> HttpResponse:
    student = student_of(request)
    return render(
        request,
        "classroom/exercise_list.html",
        {"exercises": selectors.student_exercises(student=student)},
    )


@login_required
def exercise_create(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = managed_classroom(request, pk)
    form = ExerciseForm(request.POST or None, instance=Exercise(classroom=classroom))
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.exercise_create(
                classroom=classroom, fields=form.fields_for_service()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Exercise “{exercise}” added.")
            if exercise.kind == Exercise.Kind.OWN_NAME:
                _warn_about_names(request, exercise)
            return redirect(classroom)
    return render(
        request,
        "classroom/exercise_form.html",
        {"form": form, "classroom": classroom, "creating": True},
    )


def _warn_about_names(request: HttpRequest, exercise: Exercise) -> None:
    """Names with characters that cannot be practised: the teacher is told which."""
    rows = [r for r in selectors.exercise_roster(exercise=exercise) if r.name and r.name.skipped]
    unusable = [str(r.student) for r in rows if r.name and not r.name.usable]
    partial = [f"{r.student} ({r.name.skipped})" for r in rows if r.name and r.name.usable]
    if partial:
        messages.warning(
            request,
            "Only the letters A-Z, a-z are practised; these names have others, left out: "
            + ", ".join(partial)
            + ".",
        )
    if unusable:
        messages.warning(
            request,
            "These students' names have no letters that can be practised, so they have "
            "nothing to write here: " + ", ".join(unusable) + ".",
        )


@login_required
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = viewed_exercise(request, pk)
    user = user_of(request)
    if access.is_teacher_view(user=user, classroom=exercise.classroom):
        return render(
            request,
            "classroom/exercise_detail_teacher.html",
            {
                "exercise": exercise,
                "classroom": exercise.classroom,
                "can_manage": access.can_manage_classroom(user=user, classroom=exercise.classroom),
                "roster": selectors.exercise_roster(exercise=exercise),
            },
        )
    progress = selectors.progress_for(exercises=[exercise], students=[user])
    return render(
        request,
        "classroom/exercise_detail_student.html",
        {
            "exercise": exercise,
            "classroom": exercise.classroom,
            "progress": progress[(exercise.pk, user.pk)],
        },
    )


@login_required
def exercise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = managed_exercise(request, pk)
    form = ExerciseForm(request.POST or None, instance=exercise)
    if request.method == "POST" and form.is_valid():
        try:
            services.exercise_update(exercise=exercise, fields=form.fields_for_service())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Exercise saved.")
            return redirect("exercise_detail", pk=exercise.pk)
    return render(
        request,
        "classroom/exercise_form.html",
        {"form": form, "classroom": exercise.classroom, "exercise": exercise},
    )


@require_POST
@login_required
def exercise_archive(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = managed_exercise(request, pk)
    archived = request.POST.get("archived", "1") != "0"
    services.exercise_set_archived(exercise=exercise, archived=archived)
    messages.success(request, "Exercise archived." if archived else "Exercise restored.")
    return redirect(exercise.classroom)


@login_required
def practice(request: HttpRequest, exercise_id: int) -> HttpResponse:
    """The practice canvas for one exercise; strokes and submits go over the websocket."""
    user = user_of(request)
    exercise = decided(access.exercise_to_practise, request, pk=exercise_id)
    again = request.GET.get("again") == "1"  # "Another round"
    word = None
    if exercise.is_words:
        words = exercise.words_for(user)
        plan = selectors.word_plan(student=user, exercise=exercise)
        total = len(words) * exercise.repetitions
        place = selectors.word_next(student=user, exercise=exercise, again=again and not plan)
        word = place.as_dict() if place else None
        targets = list(place.word[place.index :]) if place else []
        letters = "".join(dict.fromkeys("".join(words)))
        progress = {"done": total - len(plan), "total": total, "unit": "words"}
    else:
        words = []
        plan = selectors.practice_plan(student=user, exercise=exercise)
        targets = plan or exercise.targets(seed=user.pk)
        letters = exercise.characters
        progress = {"done": exercise.total_writes - len(plan), "total": exercise.total_writes}
    again = again and not plan
    ws_url = f"/ws/practice/{exercise.pk}/" + ("?again=1" if again else "")
    config = {
        "mode": "practice",
        "ws_url": ws_url,
        "targets": targets,
        "word": word,
        "show_tracing": exercise.show_tracing,
        "models": models_to_trace(letters),
        "speak": exercise.classroom.spoken_prompts,
        # The exercise card's count: correct writes, each character (or word written in
        # full) up to its repetitions.
        "progress": progress,
    }
    no_name = exercise.kind == exercise.Kind.OWN_NAME and not words
    return render(
        request,
        "classroom/practice.html",
        {
            "exercise": exercise,
            "config": config,
            "mode": "practice",
            "ws_url": ws_url,
            "targets": config["targets"],
            "word": word,
            "show_tracing": exercise.show_tracing,
            "done": not plan,
            "no_name": no_name,
            "again": again,
            "next_exercise": selectors.next_exercise_of(student=user, exercise=exercise)
            if not plan
            else None,
        },
    )
