"""All models, imported so that Base.metadata knows every table (Alembic compares against it)."""

from app.models import (  # noqa: F401 - imported for their tables
    attachments,
    change_requests,
    dci,
    dibao,
    households,
    imports,
    insurance,
    keys,
    pairings,
    policy_lines,
    proposals,
    replication,
    timelines,
    villages,
    webhooks,
)
from app.models.accounts import Client, LoginFailure, RefreshToken, User
from app.models.base import Base
from app.models.oversight import AuditLog, Event, IdempotentRequest
from app.models.regions import Area, AreaTown, Region

__all__ = [
    "Area", "AreaTown", "AuditLog", "Base", "Client", "Event", "IdempotentRequest",
    "LoginFailure", "RefreshToken", "Region", "User",
]
