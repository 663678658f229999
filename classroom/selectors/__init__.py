"""Reads of the classroom app, by concern; who may see what is `classroom.access`.

`classes` (classes, exercises, students), `progress` (progress, rosters, a student's own
figures), `practice` (what to write next), `attempts` (filtered attempts and shared helpers),
`dashboard` (a class's figures), `training` (verified attempts for retraining). Callers use
`classroom.selectors.<name>`; the names are re-exported here.
"""

from classroom.selectors.attempts import (
    ATTEMPT_RESULTS,
    AttemptFilters,
    BadPeriod,
    class_attempts,
    period_from_query,
    student_attempts,
    student_characters,
)
from classroom.selectors.classes import (
    all_classes,
    classroom_exercises,
    classroom_students,
    student_classes,
    student_in_classroom,
    teacher_classes,
)
from classroom.selectors.dashboard import (
    CharacterCell,
    ClassDashboard,
    CompletionCell,
    Confusion,
    LiveStudent,
    StudentRow,
    TimelinePoint,
    Totals,
    class_dashboard_figures,
    class_live_now,
    confusion_attempts,
)
from classroom.selectors.practice import practice_charset, practice_next_target, practice_plan
from classroom.selectors.progress import (
    CharacterProgress,
    ExerciseWithProgress,
    Progress,
    RosterRow,
    StudentProgress,
    class_roster,
    exercise_roster,
    progress_for,
    student_exercises,
    student_progress,
)
from classroom.selectors.training import verified_training_attempts, verified_training_count

__all__ = [
    "ATTEMPT_RESULTS",
    "AttemptFilters",
    "BadPeriod",
    "CharacterCell",
    "CharacterProgress",
    "ClassDashboard",
    "CompletionCell",
    "Confusion",
    "ExerciseWithProgress",
    "LiveStudent",
    "Progress",
    "RosterRow",
    "StudentProgress",
    "StudentRow",
    "TimelinePoint",
    "Totals",
    "all_classes",
    "class_attempts",
    "class_dashboard_figures",
    "class_live_now",
    "class_roster",
    "classroom_exercises",
    "classroom_students",
    "confusion_attempts",
    "exercise_roster",
    "period_from_query",
    "practice_charset",
    "practice_next_target",
    "practice_plan",
    "progress_for",
    "student_attempts",
    "student_characters",
    "student_classes",
    "student_exercises",
    "student_in_classroom",
    "student_progress",
    "teacher_classes",
    "verified_training_attempts",
    "verified_training_count",
]  # fmt: skip
