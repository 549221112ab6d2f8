"""Secret providers (environment now; encrypted file and AWS Secrets Manager/KMS later).

May import ``config`` only. Secret values never reach logs, errors or API responses.
"""
