"""Secret providers (environment now; encrypted file and AWS Secrets Manager/KMS later).

May import ``config`` only. Secret values never reach logs, errors or API responses.
"""

from imb_bot.secrets.providers import (
    EnvSecretsProvider,
    ExchangeCredentials,
    SecretsError,
    SecretsProvider,
    StaticSecretsProvider,
)
from imb_bot.secrets.redaction import register_with_log_redaction

__all__ = [
    "EnvSecretsProvider",
    "ExchangeCredentials",
    "SecretsError",
    "SecretsProvider",
    "StaticSecretsProvider",
    "register_with_log_redaction",
]
