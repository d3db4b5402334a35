"""The audit trail: one row per state change (who, when, what, the fields before and after).

Above tasklist and agencies (an event names the task and the agency whose work changed), below
importers and supervision, which record through :func:`audit.trail.record`. Account events
(logins, lockouts, accounts the office creates) are sent by accounts as a signal and written here
(audit/accounts.py), so accounts stays below.
"""
