"""Huey jobs of the office app (djhuey imports each app's `tasks` module): reminders and
escalations of tasks (jobs_tasks.py) and of directives (jobs_directives.py)."""

from . import jobs_directives, jobs_tasks

__all__ = ["jobs_directives", "jobs_tasks"]
