"""The dashboard's sections, in the navigation's order: each is a module with a `router`."""

from __future__ import annotations

from selfauth.web.admin import (
    actions,
    activity,
    apis,
    applications,
    connections,
    emails,
    jobs,
    rules,
    users,
)

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

SECTION_MODULES = (users, applications, apis, connections, rules, actions, emails, jobs, activity)
