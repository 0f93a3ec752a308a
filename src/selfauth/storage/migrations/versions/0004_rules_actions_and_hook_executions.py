"""rules, rules configs, actions, action versions and trigger bindings

Hook executions come in 0007.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 04:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_rules_name")),
    )
    op.create_index(op.f("ix_rules_stage_enabled_order"), "rules", ["stage", "enabled", "order"])
    op.create_table(
        "rules_configs",
        sa.Column("key", sa.String(length=127), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rules_configs")),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("supported_triggers", Json, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("runtime", sa.String(length=16), nullable=False),
        sa.Column("secrets", Json, nullable=False),
        sa.Column("deployed_version_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        sa.UniqueConstraint("name", name=op.f("uq_actions_name")),
    )
    op.create_table(
        "action_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("action_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("runtime", sa.String(length=16), nullable=False),
        sa.Column("supported_triggers", Json, nullable=False),
        sa.Column("secrets", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_versions_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_versions")),
        sa.UniqueConstraint(
            "action_id", "number", name=op.f("uq_action_versions_action_id_number")
        ),
    )
    op.create_table(
        "trigger_bindings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trigger_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_trigger_bindings_action_id_actions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_bindings")),
        sa.UniqueConstraint(
            "trigger_id", "position", name=op.f("uq_trigger_bindings_trigger_id_position")
        ),
    )
    op.create_index(op.f("ix_trigger_bindings_action_id"), "trigger_bindings", ["action_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_trigger_bindings_action_id"), table_name="trigger_bindings")
    op.drop_table("trigger_bindings")
    op.drop_table("action_versions")
    op.drop_table("actions")
    op.drop_table("rules_configs")
    op.drop_index(op.f("ix_rules_stage_enabled_order"), table_name="rules")
    op.drop_table("rules")
