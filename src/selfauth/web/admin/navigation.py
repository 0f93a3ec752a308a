"""The dashboard's navigation, in order (the sections' modules are listed in __init__.py;
this module imports none of them, since every page imports it through page.py)."""

from __future__ import annotations

# (label, address, the address prefix that marks the entry as the current one)
NAVIGATION = (
    ("Overview", "/admin/", "/admin/$"),
    ("Users", "/admin/users", "/admin/users"),
    ("Applications", "/admin/applications", "/admin/applications"),
    ("APIs", "/admin/apis", "/admin/apis"),
    ("Connections", "/admin/connections", "/admin/connections"),
    ("Rules", "/admin/rules", "/admin/rules"),
    ("Actions", "/admin/actions", "/admin/actions"),
    ("Emails", "/admin/emails", "/admin/emails"),
    ("Jobs", "/admin/jobs", "/admin/jobs"),
    ("Activity", "/admin/activity", "/admin/activity"),
)
