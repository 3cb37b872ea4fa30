"""Users, machine clients, refresh-token families and failed logins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, uuid_pk


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    extra_scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # D6: an officer's own ID number, kept encrypted with a keyed hash for matching.
    id_number_hash: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    helper_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(default=1)
    # Bumped whenever what a token says about the user changes (activity, role, region, scopes,
    # helper): a token carrying an older `ver` is refused on its next request.
    token_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = created_at()


class Client(Base):
    __tablename__ = "api_client"

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at()


class RefreshToken(Base):
    __tablename__ = "refresh_token"

    id: Mapped[uuid.UUID] = uuid_pk()
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The scopes granted when the family began (RFC 6749 6: a refresh may narrow, never widen).
    scope: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()


class LoginFailure(Base):
    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_address_at", "username", "address", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    # The client address the attempt came from ("" when unknown).
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    at: Mapped[datetime]
