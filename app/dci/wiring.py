"""What the DCI module plugs into the app: its error bodies under /dci/, the registry's signing
key in /.well-known/jwks.json, and its channel in the webhooks outbox."""

from __future__ import annotations

from fastapi import FastAPI

from app.dci import errors, outbox
from app.dci.signatures import load_or_create_key, registry_jwk
from app.webhooks.service import CHANNELS


def install(app: FastAPI) -> None:
    settings = app.state.settings
    key = load_or_create_key(settings)  # created at start-up, not on the first callback
    errors.install(app)
    providers = getattr(app.state, "jwks_providers", None)
    if providers is None:
        providers = app.state.jwks_providers = []
    providers.append(lambda: [registry_jwk(key)])
    CHANNELS[outbox.KIND] = outbox.deliver
