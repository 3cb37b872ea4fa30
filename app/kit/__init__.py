"""HTTP plumbing shared by every module: pagination, ETags, idempotency, base schemas."""
