"""A4 evidence: attachments stored encrypted under their SHA-256, typed by their content."""
