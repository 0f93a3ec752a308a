"""The nested objects of Auth0's client bodies (NA-types `ClientJwtConfiguration`,
`ClientRefreshTokenConfiguration`, `ClientAddons`, ...), as strict models.

Bounds come from Auth0's Management API OpenAPI document. Objects Auth0 declares open
(`additionalProperties: true`, "Accepts any additional properties" in NA-types) keep unknown keys;
the others refuse them. Only types, enums and bounds are checked here: what selfauth can honour,
and what it does with a value, is decided in `settings.py` and `service.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from selfauth.domain.body_models import Closed, Open, optional
from selfauth.domain.clients.fields import AtLeastOneProperty, HttpsUriOrEmpty

SigningAlg = Literal["HS256", "RS256", "RS512", "PS256"]
CredentialAlg = Literal["RS256", "RS384", "PS256"]


# --- jwt_configuration, refresh_token --------------------------------------------------------


class JwtConfiguration(Open):
    lifetime_in_seconds: int = optional()
    secret_encoded: bool = optional()
    scopes: dict[str, Any] = optional()
    alg: SigningAlg = optional()


class RefreshTokenPolicy(Closed):
    audience: str = Field(min_length=1, max_length=600)
    scope: list[Annotated[str, Field(min_length=1, max_length=280)]]


class RefreshTokenConfiguration(Closed):
    rotation_type: Literal["rotating", "non-rotating"]
    expiration_type: Literal["expiring", "non-expiring"]
    leeway: int = optional(ge=0)
    token_lifetime: int = optional(ge=1, le=157_788_000)
    infinite_token_lifetime: bool = optional()
    idle_token_lifetime: int = optional(ge=1)
    infinite_idle_token_lifetime: bool = optional()
    policies: list[RefreshTokenPolicy] | None = optional(min_length=1)


# --- logout, session transfer ----------------------------------------------------------------

LogoutInitiator = Literal[
    "rp-logout",
    "idp-logout",
    "password-changed",
    "session-expired",
    "session-revoked",
    "account-deleted",
    "email-identifier-changed",
    "mfa-phone-unenrolled",
    "account-deactivated",
]


class LogoutInitiators(Open):
    mode: Literal["custom", "all"] = optional()
    selected_initiators: list[LogoutInitiator] = optional()


class LogoutSessionMetadata(Open):
    include: bool = optional()


class OidcLogout(Open):
    backchannel_logout_urls: list[HttpsUriOrEmpty] = optional()
    backchannel_logout_initiators: LogoutInitiators = optional()
    backchannel_logout_session_metadata: LogoutSessionMetadata | None = optional()


class SessionTransferDelegation(Closed):
    allow_delegated_access: bool = optional()
    enforce_device_binding: Literal["ip", "asn"] = optional()


class SessionTransfer(Closed):
    can_create_session_transfer_token: bool = optional()
    enforce_cascade_revocation: bool = optional()
    allowed_authentication_methods: list[Literal["cookie", "query"]] | None = optional()
    enforce_device_binding: Literal["ip", "asn", "none"] = optional()
    allow_refresh_token: bool = optional()
    enforce_online_refresh_tokens: bool = optional()
    delegation: SessionTransferDelegation | None = optional()


# --- mobile, native social login, FedCM ------------------------------------------------------


class MobileAndroid(Open):
    app_package_name: str = optional()
    sha256_cert_fingerprints: list[str] = optional(min_length=1)


class MobileIos(Open):
    team_id: str = optional()
    app_bundle_identifier: str = optional()


class Mobile(Open):
    android: MobileAndroid = optional()
    ios: MobileIos = optional()


class NativeSocialLoginProvider(AtLeastOneProperty):
    enabled: bool = optional()


class NativeSocialLogin(AtLeastOneProperty):
    apple: NativeSocialLoginProvider = optional()
    facebook: NativeSocialLoginProvider = optional()
    google: NativeSocialLoginProvider = optional()


class NativeSocialLoginPatch(Closed):
    apple: NativeSocialLoginProvider | None = optional()
    facebook: NativeSocialLoginProvider | None = optional()
    google: NativeSocialLoginProvider | None = optional()


class FedCmGoogle(Closed):
    is_enabled: bool = optional()


class FedCmLogin(Closed):
    google: FedCmGoogle = optional()


class FedCmLoginPatch(Closed):
    google: FedCmGoogle | None = optional()


# --- credentials (private_key_jwt, mTLS, JAR, Token Vault) -----------------------------------


class PublicKeyCredential(Closed):
    credential_type: Literal["public_key"]
    name: str = optional(max_length=128)
    pem: str
    alg: CredentialAlg = optional()
    parse_expiry_from_cert: bool = optional()
    expires_at: str = optional()
    kid: str = optional(pattern=r"^[0-9a-zA-Z_-]{10,64}$")


class CertificateSubjectDnCredential(Closed):
    credential_type: Literal["cert_subject_dn"]
    name: str = optional(max_length=128)
    subject_dn: str = optional(min_length=1, max_length=256)
    pem: str = optional(min_length=1, max_length=4096)


class X509CertificateCredential(Closed):
    credential_type: Literal["x509_cert"]
    name: str = optional(max_length=128)
    pem: str = Field(min_length=1, max_length=4096)


class CredentialId(Closed):
    id: str


class PrivateKeyJwtCreate(Closed):
    credentials: list[PublicKeyCredential]


class TlsClientAuthCreate(Closed):
    credentials: list[CertificateSubjectDnCredential]


class SelfSignedTlsClientAuthCreate(Closed):
    credentials: list[X509CertificateCredential]


class AuthenticationMethodsCreate(AtLeastOneProperty):
    private_key_jwt: PrivateKeyJwtCreate = optional()
    tls_client_auth: TlsClientAuthCreate = optional()
    self_signed_tls_client_auth: SelfSignedTlsClientAuthCreate = optional()


class CredentialIds(Closed):
    credentials: list[CredentialId]


class AuthenticationMethodsUpdate(Closed):
    private_key_jwt: CredentialIds = optional()
    tls_client_auth: CredentialIds = optional()
    self_signed_tls_client_auth: CredentialIds = optional()


class SignedRequestObjectCreate(Closed):
    required: bool = optional()
    credentials: list[PublicKeyCredential] = optional()


class SignedRequestObjectUpdate(Closed):
    required: bool = optional()
    credentials: list[CredentialId] = optional()


class TokenVaultGrant(Closed):
    connection: str
    scopes: list[str]


class TokenVaultAccessCreate(Closed):
    credentials: list[PublicKeyCredential]
    ip_allowlist: list[str] = optional()
    grants: list[TokenVaultGrant] = optional()


class TokenVaultAccessUpdate(Closed):
    credentials: list[CredentialId]
    ip_allowlist: list[str] = optional()
    grants: list[TokenVaultGrant] = optional()


# --- organizations, quotas, token exchange, express configuration ----------------------------


class DefaultOrganization(Closed):
    organization_id: str
    flows: list[Literal["client_credentials"]]


class TokenQuotaClientCredentials(AtLeastOneProperty):
    enforce: bool = optional()
    per_day: int = optional(ge=1, le=2_147_483_647)
    per_hour: int = optional(ge=1, le=2_147_483_647)


class TokenQuota(Closed):
    client_credentials: TokenQuotaClientCredentials


class TokenExchange(Closed):
    allow_any_profile_of_type: list[
        Literal["custom_authentication", "on_behalf_of_token_exchange"]
    ] = optional()


class IdentityAssertionGrant(Closed):
    active: bool


class LinkedClient(Closed):
    client_id: str


class ExpressConfiguration(Closed):
    initiate_login_uri_template: str
    user_attribute_profile_id: str
    connection_profile_id: str
    enable_client: bool
    enable_organization: bool
    linked_clients: list[LinkedClient] = optional()
    okta_oin_client_id: str
    admin_login_domain: str = Field(min_length=1)
    oin_submission_id: str = optional(min_length=1, max_length=200)


MyOrganizationStrategy = Literal[
    "pingfederate", "adfs", "waad", "google-apps", "okta", "oidc", "samlp"
]


class MyOrganizationConfiguration(Closed):
    connection_profile_id: str = optional()
    user_attribute_profile_id: str = optional()
    allowed_strategies: list[MyOrganizationStrategy]
    connection_deletion_behavior: Literal["allow", "allow_if_empty"]
    invitation_landing_client_id: str = optional()


class EncryptionKey(Open):
    pub: str = optional()
    cert: str = optional()
    subject: str = optional()
