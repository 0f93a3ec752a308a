"""The shapes Auth0's Management API gives a connection's `options` (NA-types
`ConnectionPropertiesOptions`, `ConnectionOptionsAuth0`), as strict models.

They check types, enums and bounds only; the rules across keys (and what selfauth does with the
values) live in `model.py`. `options` itself is open on Auth0 (any other key is kept as sent), so
the top-level models allow extra keys; the nested objects Auth0 spells out refuse unknown ones.
Validated options are stored as the client sent them, never as these models dump them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from selfauth.domain.body_models import Closed, Open, optional

RootAttributesPolicy = Literal["on_each_login", "on_first_login", "never_on_login"]
SignupStatus = Literal["required", "optional", "inactive"]
CharacterType = Literal["uppercase", "lowercase", "number", "special"]
SigningAlg = Literal["ES256", "ES384", "PS256", "PS384", "RS256", "RS384", "RS512"]
UpstreamAlias = Literal[
    "acr_values",
    "audience",
    "client_id",
    "display",
    "id_token_hint",
    "login_hint",
    "max_age",
    "prompt",
    "resource",
    "response_mode",
    "response_type",
    "ui_locales",
]


# --- options.validation (legacy username bounds) ----------------------------------------------


class UsernameBounds(Closed):
    min: int = Field(ge=1)
    max: int = Field(le=128)


class ValidationOptions(Closed):
    username: UsernameBounds | None = optional()


# --- options.attributes (flexible identifiers) -----------------------------------------------


class EmailIdentifier(Closed):
    active: bool = optional()
    default_method: Literal["password", "email_otp"] = optional()


class PhoneIdentifier(Closed):
    active: bool = optional()
    default_method: Literal["password", "phone_otp"] = optional()


class UsernameIdentifier(Closed):
    active: bool = optional()


class SignupVerification(Closed):
    active: bool = optional()


class SignupVerified(Closed):
    status: SignupStatus = optional()
    verification: SignupVerification = optional()


class SignupStatusOnly(Closed):
    status: SignupStatus = optional()


class EmailAttribute(Closed):
    identifier: EmailIdentifier = optional()
    unique: bool = optional()
    profile_required: bool = optional()
    verification_method: Literal["link", "otp"] = optional()
    signup: SignupVerified = optional()


class PhoneAttribute(Closed):
    identifier: PhoneIdentifier = optional()
    profile_required: bool = optional()
    signup: SignupVerified = optional()


class UsernameAllowedTypes(Closed):
    email: bool = optional()
    phone_number: bool = optional()


class UsernameValidation(Closed):
    min_length: float = optional(ge=1, le=128)
    max_length: float = optional(ge=1, le=128)
    allowed_types: UsernameAllowedTypes = optional()


class UsernameAttribute(Closed):
    identifier: UsernameIdentifier = optional()
    profile_required: bool = optional()
    signup: SignupStatusOnly = optional()
    validation: UsernameValidation = optional()


class Attributes(Closed):
    email: EmailAttribute = optional()
    phone_number: PhoneAttribute = optional()
    username: UsernameAttribute = optional()


# --- options.authentication_methods and passkeys ---------------------------------------------


class Enabled(Closed):
    enabled: bool = optional()


class PasswordMethod(Closed):
    enabled: bool = optional()
    api_behavior: Literal["required", "optional"] = optional()
    signup_behavior: Literal["allow", "block"] = optional()


class AuthenticationMethods(Closed):
    password: PasswordMethod = optional()
    passkey: Enabled = optional()
    email_otp: Enabled = optional()
    phone_otp: Enabled = optional()


class PasskeyOptions(Closed):
    challenge_ui: Literal["both", "autofill", "button"] = optional()
    progressive_enrollment_enabled: bool = optional()
    local_enrollment_enabled: bool = optional()


# --- legacy password options -----------------------------------------------------------------


class ComplexityOptions(Closed):
    min_length: int = optional(ge=1, le=128)


class HistoryOptions(Closed):
    enable: bool
    size: int = optional(ge=0, le=24)


class NoPersonalInfoOptions(Closed):
    enable: bool


class DictionaryOptions(Closed):
    enable: bool
    dictionary: list[str] = optional()


# --- options.password_options (the flexible password policy) ---------------------------------


class PasswordComplexity(Closed):
    min_length: int = optional(ge=1, le=72)
    character_types: list[CharacterType] = optional()
    character_type_rule: Literal["all", "three_of_four"] = optional()
    identical_characters: Literal["allow", "block"] = optional()
    sequential_characters: Literal["allow", "block"] = optional()
    max_length_exceeded: Literal["truncate", "error"] = optional()


class PasswordDictionary(Closed):
    active: bool = optional()
    custom: list[str] = optional()
    default: Literal["en_10k", "en_100k"] = optional()


class PasswordHistory(Closed):
    active: bool = optional()
    size: int = optional(ge=1, le=24)


class PasswordProfileData(Closed):
    active: bool = optional()
    blocked_fields: list[str] = optional()


class PasswordOptions(Closed):
    complexity: PasswordComplexity = optional()
    dictionary: PasswordDictionary = optional()
    history: PasswordHistory = optional()
    profile_data: PasswordProfileData = optional()


# --- upstream and enterprise settings --------------------------------------------------------


class UpstreamParam(Closed):
    alias: UpstreamAlias = optional()
    value: str = optional()


class GatewayAuthentication(Open):
    method: str
    audience: str
    secret: str
    subject: str = optional()
    secret_base64_encoded: bool = optional()


class AssertionDecryption(Closed):
    algorithm_profile: Literal["v2026-1"]
    algorithm_exceptions: list[str] = optional()


class Active(Closed):
    active: bool = optional()


class CustomScripts(Open):
    login: str = optional(min_length=1)
    get_user: str = optional(min_length=1)
    delete: str = optional(min_length=1)
    change_password: str = optional(min_length=1)
    verify: str = optional(min_length=1)
    create: str = optional(min_length=1)
    change_username: str = optional(min_length=1)
    change_email: str = optional(min_length=1)
    change_phone_number: str = optional(min_length=1)


class ConnectionOptions(Open):
    """Keys Auth0 types for every strategy's options (NA-req `ConnectionPropertiesOptions`)."""

    validation: ValidationOptions | None = optional()
    non_persistent_attrs: list[str] | None = optional()
    precedence: list[Literal["email", "phone_number", "username"]] = optional(min_length=3)
    attributes: Attributes = optional()
    enable_script_context: bool = optional()
    enabledDatabaseCustomization: bool = optional()
    import_mode: bool = optional()
    configuration: dict[str, str | None] | None = optional()
    customScripts: CustomScripts = optional()
    authentication_methods: AuthenticationMethods | None = optional()
    passkey_options: PasskeyOptions | None = optional()
    passwordPolicy: Literal["none", "low", "fair", "good", "excellent"] | None = optional()
    password_complexity_options: ComplexityOptions | None = optional()
    password_history: HistoryOptions | None = optional()
    password_no_personal_info: NoPersonalInfoOptions | None = optional()
    password_dictionary: DictionaryOptions | None = optional()
    api_enable_users: bool = optional()
    api_enable_groups: bool = optional()
    basic_profile: bool = optional()
    ext_admin: bool = optional()
    ext_is_suspended: bool = optional()
    ext_agreed_terms: bool = optional()
    ext_groups: bool = optional()
    ext_assigned_plans: bool = optional()
    ext_profile: bool = optional()
    disable_self_service_change_password: bool = optional()
    upstream_params: dict[str, UpstreamParam | None] | None = optional()
    set_user_root_attributes: RootAttributesPolicy = optional()
    gateway_authentication: GatewayAuthentication | None = optional()
    federated_connections_access_tokens: Active | None = optional()
    password_options: PasswordOptions = optional()
    assertion_decryption_settings: AssertionDecryption = optional()
    id_token_signed_response_algs: list[SigningAlg] | None = optional()
    dpop_signing_alg: Literal["ES256", "ES384", "ES512", "Ed25519"] = optional()
    token_endpoint_auth_method: Literal["client_secret_post", "private_key_jwt"] | None = optional()
    token_endpoint_auth_signing_alg: SigningAlg | None = optional()
    token_endpoint_jwtca_aud_format: Literal["issuer", "token_endpoint"] = optional()
    id_token_session_expiry_supported: bool = optional()
    discovery_url: str | None = optional()
    oidc_metadata: dict[str, Any] | None = optional()


class Mfa(Closed):
    active: bool = optional()
    return_enroll_settings: bool = optional()


class DatabaseOptions(ConnectionOptions):
    """The further keys of a database connection's options (NA-types `ConnectionOptionsAuth0`)."""

    brute_force_protection: bool = optional()
    disable_signup: bool = optional()
    requires_username: bool = optional()
    realm_fallback: bool = optional()
    mfa: Mfa = optional()


class DatabaseOptionsBody(BaseModel):
    """Wraps a database connection's options so errors name `options.<key>`."""

    options: DatabaseOptions
