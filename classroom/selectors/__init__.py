"""Reads of the classroom app, by concern; who may see what is `classroom.access`.

`classes` (classes, exercises, students), `progress` (progress, rosters, a student's own
figures), `practice` (what to write next), `attempts` (filtered attempts and shared helpers),
`dashboard` (a class's figures), `training` (verified attempts for retraining), `students`
(one student's lockout and data export), `sign_in` (a class's sign-in page and its login
cards), `accounts` (teacher invitations). Callers use
`classroom.selectors.<name>`; the names are re-exported here.
"""

from classroom.selectors.accounts import invitation_by_code, invitations_sent
from classroom.selectors.attempts import (
    ATTEMPT_RESULTS,
    FILTER_DATES,
    FILTER_YEAR_PATTERN,
    AttemptFilters,
    BadPeriod,
    class_attempts,
    next_attempt_to_check,
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
from classroom.selectors.needs_help import NeedsHelp, class_needs_help
from classroom.selectors.practice import (
    WordPlace,
    practice_charset,
    practice_next_target,
    practice_plan,
    word_next,
    word_plan,
)
from classroom.selectors.progress import (
    CharacterProgress,
    ExerciseWithProgress,
    Progress,
    RosterRow,
    StudentProgress,
    class_roster,
    completed_words,
    exercise_roster,
    next_exercise_of,
    progress_for,
    student_exercises,
    student_progress,
)
from classroom.selectors.sign_in import (
    SignInName,
    class_card_kinds,
    sign_in_card,
    sign_in_classroom,
    sign_in_names,
)
from classroom.selectors.students import (
    StudentDataPart,
    student_export,
    student_has_other_teachers,
    student_locked_out,
)
from classroom.selectors.training import (
    TrainingVerifier,
    training_verifiers,
    verified_training_attempts,
    verified_training_count,
)

__all__ = [
    "ATTEMPT_RESULTS",
    "FILTER_DATES",
    "FILTER_YEAR_PATTERN",
    "AttemptFilters",
    "BadPeriod",
    "CharacterCell",
    "CharacterProgress",
    "ClassDashboard",
    "CompletionCell",
    "Confusion",
    "ExerciseWithProgress",
    "LiveStudent",
    "NeedsHelp",
    "Progress",
    "RosterRow",
    "SignInName",
    "StudentDataPart",
    "StudentProgress",
    "StudentRow",
    "TimelinePoint",
    "Totals",
    "TrainingVerifier",
    "WordPlace",
    "all_classes",
    "class_attempts",
    "class_card_kinds",
    "class_dashboard_figures",
    "class_live_now",
    "class_needs_help",
    "class_roster",
    "classroom_exercises",
    "classroom_students",
    "completed_words",
    "confusion_attempts",
    "exercise_roster",
    "invitation_by_code",
    "invitations_sent",
    "next_attempt_to_check",
    "next_exercise_of",
    "period_from_query",
    "practice_charset",
    "practice_next_target",
    "practice_plan",
    "progress_for",
    "sign_in_card",
    "sign_in_classroom",
    "sign_in_names",
    "student_attempts",
    "student_characters",
    "student_classes",
    "student_exercises",
    "student_export",
    "student_has_other_teachers",
    "student_in_classroom",
    "student_locked_out",
    "student_progress",
    "teacher_classes",
    "training_verifiers",
    "verified_training_attempts",
    "verified_training_count",
    "word_next",
    "word_plan",
]  # fmt: skip
