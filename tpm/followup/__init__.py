"""Follow-up of disappointed customers: alert rules, cases, their notifications and the retention of contact data."""
