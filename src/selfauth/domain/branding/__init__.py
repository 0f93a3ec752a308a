"""Branding, the prompts' custom text and the Universal Login page template: Auth0's
`/api/v2/branding`, `/api/v2/branding/templates/universal-login` and
`/api/v2/prompts/{prompt}/custom-text/{language}` (docs/management-api.md)."""
