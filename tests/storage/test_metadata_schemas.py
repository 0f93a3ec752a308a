"""SqlMetadataSchemaRepository on every database: a PUT replaces the row, each change bumps
the `metadata_schemas` change version, and a connection's schemas go with it (the tenant's
and other connections' stay)."""

from __future__ import annotations

from selfauth.domain.metadata_schemas.service import StoredSchema
from selfauth.domain.metadata_schemas.validator import TENANT
from selfauth.storage.changes import SqlChangeVersions
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.metadata_schemas import SqlMetadataSchemaRepository
from tests.support.storage import now, stored_connection


async def test_put_replaces_and_every_change_is_announced(database: Database) -> None:
    repo, versions = SqlMetadataSchemaRepository(database), SqlChangeVersions(database)
    before = (await versions.read()).get("metadata_schemas", 0)
    await repo.put(StoredSchema(TENANT, "user_metadata", {"type": "object"}, now()))
    await repo.put(StoredSchema(TENANT, "user_metadata", {"required": ["a"]}, now()))
    found = [s for s in await repo.all() if s.target == TENANT]
    assert [(s.field, s.schema) for s in found] == [("user_metadata", {"required": ["a"]})]
    assert await repo.delete(TENANT, "user_metadata") is True
    assert await repo.delete(TENANT, "user_metadata") is False  # not announced: nothing moved
    assert (await versions.read())["metadata_schemas"] == before + 3


async def test_a_connections_schemas_are_deleted_with_it(database: Database) -> None:
    repo = SqlMetadataSchemaRepository(database)
    gone, kept = await stored_connection(database), await stored_connection(database)
    for target in (gone.id, kept.id):
        for field in ("user_metadata", "app_metadata"):
            await repo.put(StoredSchema(target, field, {"type": "object"}, now()))
    assert await SqlConnectionRepository(database).delete(gone.id)
    targets = {s.target for s in await repo.all()}
    assert gone.id not in targets and kept.id in targets
