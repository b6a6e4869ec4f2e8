"""Local fake CRM servers speaking the vendors' documented payloads, limits and errors."""
