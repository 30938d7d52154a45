"""Campaigns run by a bureau over its districts: quotas, counting from the records, the dashboard and the report."""
