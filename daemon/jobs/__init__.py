"""Background jobs declared as data, and the supervisor that runs them (core: no feature imports)."""

from daemon.jobs.job import Job
from daemon.jobs.metrics import JobMetrics
from daemon.jobs.supervisor import Supervisor

__all__ = ["Job", "JobMetrics", "Supervisor"]
