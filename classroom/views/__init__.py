"""Pages of the classroom app, by concern: parse, call one service or selector, answer.

`accounts` (home, sign-up), `sign_in` (a class's sign-in page, login cards), `classes`,
`exercises` (and the practice canvas), `dashboards` (figures, CSV, a student's work,
replays, verdicts, a student's own progress). How pages answer the access rules: `pages`.
"""

from classroom.views.accounts import home, signup, teacher_invitation_revoke, teacher_invitations
from classroom.views.classes import (
    class_archive,
    class_create,
    class_detail,
    class_edit,
    class_join,
    class_leave,
    class_list,
    class_regenerate_code,
    class_remove_student,
)
from classroom.views.dashboards import (
    attempt_detail,
    attempt_verdict,
    class_attempts_csv,
    class_dashboard,
    class_student,
    class_training_use,
    my_progress,
)
from classroom.views.exercises import (
    exercise_archive,
    exercise_create,
    exercise_detail,
    exercise_edit,
    exercise_list,
    practice,
)
from classroom.views.sign_in import (
    class_sign_in,
    class_sign_in_cards,
    class_sign_in_renew,
    class_sign_in_student,
)
from classroom.views.students import (
    class_student_card,
    class_student_data,
    class_student_delete,
    class_student_export,
    class_student_password,
    class_student_unlock,
    class_students_add,
    my_data,
    my_data_export,
)

__all__ = [
    "attempt_detail",
    "attempt_verdict",
    "class_archive",
    "class_attempts_csv",
    "class_create",
    "class_dashboard",
    "class_detail",
    "class_edit",
    "class_join",
    "class_leave",
    "class_list",
    "class_regenerate_code",
    "class_remove_student",
    "class_sign_in",
    "class_sign_in_cards",
    "class_sign_in_renew",
    "class_sign_in_student",
    "class_student",
    "class_student_card",
    "class_student_data",
    "class_student_delete",
    "class_student_export",
    "class_student_password",
    "class_student_unlock",
    "class_students_add",
    "class_training_use",
    "exercise_archive",
    "exercise_create",
    "exercise_detail",
    "exercise_edit",
    "exercise_list",
    "home",
    "my_data",
    "my_data_export",
    "my_progress",
    "practice",
    "signup",
    "teacher_invitation_revoke",
    "teacher_invitations",
]  # fmt: skip
