"""Mutations of service jobs, one module each."""

from __future__ import annotations

import strawberry

from app.graphql.service_jobs.mutations.actions import (
    cancel_service_job,
    finish_service_job,
    hold_service_job,
    obsolete_service_job,
    open_service_job,
    start_service_job,
)
from app.graphql.service_jobs.mutations.assigned_users import replace_service_job_assigned_users
from app.graphql.service_jobs.mutations.create_service_job import create_service_job
from app.graphql.service_jobs.mutations.target_time import add_service_job_target_time


@strawberry.type
class ServiceJobMutation:
    create_service_job = strawberry.mutation(
        resolver=create_service_job,
        description="Create a service job from a custom service with an ACTIVE connection in "
        "the facility; in a new tree, or beneath a link of an existing one.",
    )
    start_service_job = strawberry.mutation(
        resolver=start_service_job, description="OPEN or WAITING_FOR_INPUT → IN_PROGRESS."
    )
    hold_service_job = strawberry.mutation(
        resolver=hold_service_job, description="IN_PROGRESS → WAITING_FOR_INPUT."
    )
    open_service_job = strawberry.mutation(
        resolver=open_service_job, description="IN_PROGRESS or WAITING_FOR_INPUT → OPEN."
    )
    finish_service_job = strawberry.mutation(
        resolver=finish_service_job,
        description="IN_PROGRESS or WAITING_FOR_INPUT → FINISHED; every mandatory question "
        "must be answered. May open the job that depends on it.",
    )
    cancel_service_job = strawberry.mutation(
        resolver=cancel_service_job,
        description="Any non-final status → CANCELLED, with every job depending on it, in one "
        "transaction.",
    )
    obsolete_service_job = strawberry.mutation(
        resolver=obsolete_service_job,
        description="Any non-final status → OBSOLETE; does not cascade; may open the job that "
        "depends on it.",
    )
    replace_service_job_assigned_users = strawberry.mutation(
        resolver=replace_service_job_assigned_users,
        description="Replace the users assigned to a job (≤ 10).",
    )
    add_service_job_target_time = strawberry.mutation(
        resolver=add_service_job_target_time,
        description="Give a job a new target time; the old ones stay in targetTimes.",
    )
