"""import and export jobs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 04:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=True),
        sa.Column("connection_name", sa.String(length=128), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("upsert", sa.Boolean(), nullable=False),
        sa.Column("send_completion_email", sa.Boolean(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=True),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("fields", Json, nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("progress_total", sa.BigInteger(), nullable=False),
        sa.Column("progress_done", sa.BigInteger(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("status_details", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_status"), "jobs", ["status"])
    op.create_table(
        "job_errors",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("user", Json, nullable=False),
        sa.Column("errors", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_errors_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "row_index", name=op.f("pk_job_errors")),
    )
    # Imported hashes (argon2, pbkdf2, salted digests) can be longer than bcrypt's 60
    # characters. SQLite does not enforce VARCHAR lengths, so only PostgreSQL needs this.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("users", "password_hash", type_=sa.Text(), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "users", "password_hash", type_=sa.String(length=128), existing_nullable=True
        )
    op.drop_table("job_errors")
    op.drop_index(op.f("ix_jobs_status"), table_name="jobs")
    op.drop_table("jobs")
