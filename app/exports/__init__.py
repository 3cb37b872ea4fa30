"""Exports of the registry in the import format (CSV with BOM, XLSX in constant memory)."""
