"""The household registry (建檔立卡): registration, members, assessments, lifecycle, help plans,
and entitlements as of any date (POLICY.md sections 2-3)."""
