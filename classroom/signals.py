"""Signals the apps above classroom answer, so that classroom never imports them (the
layers run chat -> classroom)."""

from django.dispatch import Signal

# Sent by `selectors.student_export` with `student=`: each receiver returns a
# `selectors.StudentDataPart`, what its app holds about the student (chat: the teacher's
# comments on their attempts and the messages they wrote).
student_data_requested = Signal()
