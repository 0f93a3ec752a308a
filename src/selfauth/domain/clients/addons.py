"""A client's `addons` (NA-types `ClientAddons`): Auth0's add-on names, each an object.

`addons` itself is closed (an unknown add-on name is refused); each add-on is open, as Auth0
declares them, with the fields NA-types spells out checked for type and Auth0's bounds. selfauth
runs none of the add-ons (SAML, WS-Federation and the third-party token add-ons): they are stored
and answered as given.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from selfauth.domain.body_models import Closed, Open, optional

AnyObject = dict[str, Any]


class Aws(Open):
    principal: str = optional()
    role: str = optional()
    lifetime_in_seconds: int = optional(ge=900, le=43_200)


class AzureBlob(Open):
    accountName: str = optional(pattern=r"^[a-z0-9]{3,24}$")
    storageAccessKey: str = optional(pattern=r"^[A-Za-z0-9+/]{86}==$")
    containerName: str = optional(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    blobName: str = optional(min_length=1, max_length=1024)
    expiration: int = optional(ge=0)
    signedIdentifier: str = optional()
    blob_read: bool = optional()
    blob_write: bool = optional()
    blob_delete: bool = optional()
    container_read: bool = optional()
    container_write: bool = optional()
    container_delete: bool = optional()
    container_list: bool = optional()


class AzureServiceBus(Open):
    namespace: str = optional()
    sasKeyName: str = optional()
    sasKey: str = optional()
    entityPath: str = optional()
    expiration: int = optional()


class UrlAddon(Open):
    """rms and mscrm."""

    url: str


class Slack(Open):
    team: str


class Sentry(Open):
    org_slug: str = optional()
    base_url: str = optional()


class DomainAddon(Open):
    """echosign and egnyte."""

    domain: str = optional()


class Firebase(Open):
    secret: str = optional()
    private_key_id: str = optional()
    private_key: str = optional()
    client_email: str = optional()
    lifetime_in_seconds: int = optional()


class AccountAddon(Open):
    """newrelic and zoom."""

    account: str = optional()


class Office365(Open):
    domain: str = optional()
    connection: str = optional()


class Salesforce(Open):
    entity_id: str = optional()


class SalesforceApi(Open):
    """salesforce_api and salesforce_sandbox_api."""

    clientid: str = optional()
    principal: str = optional()
    communityName: str = optional()
    community_url_section: str = optional()


class Saml(Open):
    mappings: AnyObject = optional()
    audience: str = optional()
    recipient: str = optional()
    createUpnClaim: bool = optional()
    mapUnknownClaimsAsIs: bool = optional()
    passthroughClaimsWithNoMapping: bool = optional()
    mapIdentities: bool = optional()
    signatureAlgorithm: str = optional()
    digestAlgorithm: str = optional()
    issuer: str = optional()
    destination: str = optional()
    lifetimeInSeconds: int = optional()
    signResponse: bool = optional()
    nameIdentifierFormat: str = optional()
    nameIdentifierProbes: list[Annotated[str, Field(min_length=1)]] = optional()
    authnContextClassRef: str = optional()


class Layer(Open):
    providerId: str
    keyId: str
    privateKey: str
    principal: str = optional()
    expiration: int = optional(ge=0)


class SapApi(Open):
    clientid: str = optional()
    usernameAttribute: str = optional()
    tokenEndpointUrl: str = optional()
    scope: str = optional()
    servicePassword: str = optional()
    nameIdentifierFormat: str = optional()


class SharePoint(Open):
    url: str = optional()
    external_url: list[str] | str = optional()


class SpringCm(Open):
    acsurl: str = optional()


class Wams(Open):
    masterkey: str = optional()


class Zendesk(Open):
    accountName: str = optional()


class SsoIntegration(Open):
    name: str = optional()
    version: str = optional()


class Oag(Closed):
    """Auth0 declares no fields and no others: only `{}` (or null)."""


class Addons(Closed):
    aws: Aws = optional()
    azure_blob: AzureBlob = optional()
    azure_sb: AzureServiceBus = optional()
    rms: UrlAddon = optional()
    mscrm: UrlAddon = optional()
    slack: Slack = optional()
    sentry: Sentry = optional()
    box: AnyObject = optional()
    cloudbees: AnyObject = optional()
    concur: AnyObject = optional()
    dropbox: AnyObject = optional()
    echosign: DomainAddon = optional()
    egnyte: DomainAddon = optional()
    firebase: Firebase = optional()
    newrelic: AccountAddon = optional()
    office365: Office365 = optional()
    salesforce: Salesforce = optional()
    salesforce_api: SalesforceApi = optional()
    salesforce_sandbox_api: SalesforceApi = optional()
    samlp: Saml = optional()
    layer: Layer = optional()
    sap_api: SapApi = optional()
    sharepoint: SharePoint = optional()
    springcm: SpringCm = optional()
    wams: Wams = optional()
    wsfed: AnyObject = optional()
    zendesk: Zendesk = optional()
    zoom: AccountAddon = optional()
    sso_integration: SsoIntegration = optional()
    oag: Oag | None = optional()
