"""The bodies of `POST /clients` and `PATCH /clients/{id}` (NA-req `CreateClientRequestContent`,
`UpdateClientRequestContent`): every property Auth0 defines, with its type, enum, nullability
and Auth0's bounds.

A body is validated here and then used as the client sent it (never as these models dump it), so
open objects keep their unknown keys exactly. Whether selfauth can honour a valid value is
`settings.py`'s question.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from selfauth.domain.body_models import Closed, optional
from selfauth.domain.clients.addons import Addons
from selfauth.domain.clients.fields import AbsoluteUriOrEmpty, HttpsUriOrEmpty, Url
from selfauth.domain.clients.nested import (
    AuthenticationMethodsCreate,
    AuthenticationMethodsUpdate,
    DefaultOrganization,
    EncryptionKey,
    ExpressConfiguration,
    FedCmLogin,
    FedCmLoginPatch,
    IdentityAssertionGrant,
    JwtConfiguration,
    Mobile,
    MyOrganizationConfiguration,
    NativeSocialLogin,
    NativeSocialLoginPatch,
    OidcLogout,
    RefreshTokenConfiguration,
    SessionTransfer,
    SignedRequestObjectCreate,
    SignedRequestObjectUpdate,
    TokenExchange,
    TokenQuota,
    TokenVaultAccessCreate,
    TokenVaultAccessUpdate,
)

AppType = Literal[
    "native",
    "spa",
    "regular_web",
    "non_interactive",
    "resource_server",
    "express_configuration",
    "b2b_integration",
    "rms",
    "box",
    "cloudbees",
    "concur",
    "dropbox",
    "mscrm",
    "echosign",
    "egnyte",
    "newrelic",
    "office365",
    "salesforce",
    "sentry",
    "sharepoint",
    "slack",
    "springcm",
    "zendesk",
    "zoom",
    "sso_integration",
    "oag",
]
AuthMethod = Literal["none", "client_secret_post", "client_secret_basic"]
# Every grant type Auth0 lets a client hold; selfauth answers the ones it has no flow for
# with unsupported_grant_type at /oauth/token.
GrantType = Literal[
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:openid:params:grant-type:ciba",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
]
OrganizationUsage = Literal["deny", "allow", "require"]
OrganizationRequireBehavior = Literal["no_prompt", "pre_login_prompt", "post_login_prompt"]
OrganizationDiscovery = Literal["email", "organization_name"]
ComplianceLevel = Literal[
    "none", "fapi1_adv_pkj_par", "fapi1_adv_mtls_par", "fapi2_sp_pkj_mtls", "fapi2_sp_mtls_mtls"
]
NotificationChannel = Literal["guardian-push", "email"]

NAME_PATTERN = r"^[^<>]+$"  # Auth0: at least one character, no `<` or `>`
NAME_MAX = 200  # selfauth's column; Auth0 documents no maximum
URL_LIST_MAX = 100  # selfauth's bound on each URL list
UrlList = list[str]
NonEmptyStrings = list[Annotated[str, Field(min_length=1)]]


class _ClientFields(Closed):
    """The properties both bodies share with the same type."""

    description: str = optional(max_length=140)
    logo_uri: AbsoluteUriOrEmpty = optional()
    callbacks: UrlList = optional(max_length=URL_LIST_MAX)
    oidc_logout: OidcLogout = optional()
    oidc_backchannel_logout: OidcLogout = optional()
    session_transfer: SessionTransfer | None = optional()
    allowed_origins: UrlList = optional(max_length=URL_LIST_MAX)
    web_origins: UrlList = optional(max_length=URL_LIST_MAX)
    client_aliases: NonEmptyStrings = optional()
    allowed_clients: NonEmptyStrings = optional()
    allowed_logout_urls: UrlList = optional(max_length=URL_LIST_MAX)
    grant_types: list[GrantType] = optional()
    is_token_endpoint_ip_header_trusted: bool = optional()
    app_type: AppType = optional()
    is_first_party: bool = optional()
    oidc_conformant: bool = optional()
    jwt_configuration: JwtConfiguration = optional()
    encryption_key: EncryptionKey | None = optional()
    sso: bool = optional()
    cross_origin_authentication: bool = optional()
    sso_disabled: bool = optional()
    custom_login_page_on: bool = optional()
    addons: Addons = optional()
    client_metadata: dict[str, str | None] = optional()
    mobile: Mobile = optional()
    initiate_login_uri: HttpsUriOrEmpty = optional()
    refresh_token: RefreshTokenConfiguration | None = optional()
    default_organization: DefaultOrganization | None = optional()
    require_pushed_authorization_requests: bool = optional()
    require_proof_of_possession: bool = optional()
    compliance_level: ComplianceLevel | None = optional()
    par_request_expiry: int | None = optional(ge=10, le=600)
    third_party_security_mode: Literal["strict", "permissive"] = optional()
    redirection_policy: Literal["allow_always", "open_redirect_protection"] = optional()


class CreateClient(_ClientFields):
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=NAME_PATTERN)
    token_endpoint_auth_method: AuthMethod = optional()
    cross_origin_loc: Url = optional()
    custom_login_page: str = optional(min_length=1)
    custom_login_page_preview: str = optional(min_length=1)
    form_template: str = optional(min_length=1)
    native_social_login: NativeSocialLogin = optional()
    fedcm_login: FedCmLogin = optional()
    organization_usage: OrganizationUsage = optional()
    organization_require_behavior: OrganizationRequireBehavior = optional()
    organization_discovery_methods: list[OrganizationDiscovery] = optional(min_length=1)
    client_authentication_methods: AuthenticationMethodsCreate = optional()
    signed_request_object: SignedRequestObjectCreate = optional()
    token_vault_privileged_access: TokenVaultAccessCreate = optional()
    skip_non_verifiable_callback_uri_confirmation_prompt: bool = optional()
    token_exchange: TokenExchange = optional()
    token_quota: TokenQuota = optional()
    resource_server_identifier: str = optional(min_length=1, max_length=600)
    identity_assertion_authorization_grant: IdentityAssertionGrant = optional()
    express_configuration: ExpressConfiguration = optional()
    my_organization_configuration: MyOrganizationConfiguration = optional()
    async_approval_notification_channels: list[NotificationChannel] = optional(min_length=1)


class UpdateClient(_ClientFields):
    name: str = optional(min_length=1, max_length=NAME_MAX, pattern=NAME_PATTERN)
    client_secret: str = optional(min_length=1)
    token_endpoint_auth_method: AuthMethod | None = optional()
    cross_origin_loc: Url | None = optional()
    custom_login_page: str = optional()
    custom_login_page_preview: str = optional()
    form_template: str = optional()
    native_social_login: NativeSocialLoginPatch | None = optional()
    fedcm_login: FedCmLoginPatch | None = optional()
    organization_usage: OrganizationUsage | None = optional()
    organization_require_behavior: OrganizationRequireBehavior | None = optional()
    organization_discovery_methods: list[OrganizationDiscovery] | None = optional(min_length=1)
    client_authentication_methods: AuthenticationMethodsUpdate | None = optional()
    signed_request_object: SignedRequestObjectUpdate = optional()
    token_vault_privileged_access: TokenVaultAccessUpdate = optional()
    skip_non_verifiable_callback_uri_confirmation_prompt: bool | None = optional()
    token_exchange: TokenExchange | None = optional()
    token_quota: TokenQuota | None = optional()
    identity_assertion_authorization_grant: IdentityAssertionGrant | None = optional()
    express_configuration: ExpressConfiguration | None = optional()
    my_organization_configuration: MyOrganizationConfiguration | None = optional()
    async_approval_notification_channels: list[NotificationChannel] | None = optional(min_length=1)
