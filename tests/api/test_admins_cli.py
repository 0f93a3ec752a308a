"""`selfauth admins add|remove|list` as an operator runs it, on the running server's database
(both backends): the role is granted to the users with the email, made with --create, taken
away, and listed; the running server sees a grant at once (the dashboard's sign-in checks it
on every request: tests/browser/test_dashboard_signin.py)."""

from __future__ import annotations

from tests.support.admin import selfauth_cli
from tests.support.api import Api, unique_email
from tests.support.server import RunningServer


def test_add_needs_a_user_or_create(server: RunningServer) -> None:
    email = unique_email("nobody")
    done = selfauth_cli(server, "admins", "add", email)
    assert done.returncode == 1
    assert f"No user has the email {email}" in done.stderr


def test_add_with_create_makes_the_user_and_prints_its_password_once(
    server: RunningServer, api: Api
) -> None:
    email = unique_email("first-admin")
    made = selfauth_cli(server, "admins", "add", email, "--create")
    assert made.returncode == 0, made.stderr
    assert "is now an administrator" in made.stdout
    assert "shown once" in made.stdout
    users = api.get("/api/v2/users-by-email", email=email).json()
    assert len(users) == 1 and users[0]["email_verified"] is True
    again = selfauth_cli(server, "admins", "add", email, "--create")
    assert "was already an administrator" in again.stdout
    assert "shown once" not in again.stdout
    assert email in selfauth_cli(server, "admins", "list").stdout


def test_remove_takes_the_role_away(server: RunningServer, api: Api) -> None:
    email = api.create_user(email=unique_email("admin"))["email"]
    assert selfauth_cli(server, "admins", "add", email).returncode == 0
    removed = selfauth_cli(server, "admins", "remove", email)
    assert "is no longer an administrator" in removed.stdout
    assert email not in selfauth_cli(server, "admins", "list").stdout
    assert "was not an administrator" in selfauth_cli(server, "admins", "remove", email).stdout
