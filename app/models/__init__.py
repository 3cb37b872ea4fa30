"""All models, imported so that Base.metadata knows every table."""

from app.models import dibao  # noqa: F401
from app.models import households, policy_lines  # noqa: F401
from app.models import insurance  # noqa: F401
from app.models import pairings, villages  # noqa: F401
from app.models import webhooks  # noqa: F401
from app.models.accounts import Client, LoginFailure, RefreshToken, User
from app.models.base import Base
from app.models.imports import ImportJob, ImportRowError  # noqa: F401
from app.models.oversight import AuditLog, Event, IdempotentRequest
from app.models.regions import Area, AreaTown, Region

__all__ = [
    "Area", "AreaTown", "AuditLog", "Base", "Client", "Event", "IdempotentRequest",
    "LoginFailure", "RefreshToken", "Region", "User",
]
