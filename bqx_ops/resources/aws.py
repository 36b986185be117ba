"""AWS clients (SNS, CloudWatch Logs, SageMaker, Cost Explorer) from one boto3 configuration.

The fields are dagster-aws's ``ResourceWithBoto3Configuration``'s; they are declared here so that
loading the code location imports neither dagster-aws nor boto3 (boto3 is imported where a
client is made).
"""

import dagster as dg
from pydantic import Field as PField


class AwsClients(dg.ConfigurableResource):
    """boto3 clients from one configuration; ``endpoint_url`` points them at moto in tests."""

    region_name: str | None = PField(default=None, description="AWS region (boto3's chain when None).")
    max_attempts: int = PField(default=5, description="botocore retries (standard mode).")
    profile_name: str | None = PField(default=None, description="Profile of the shared credentials file.")
    use_ssl: bool = PField(default=True, description="Whether to use SSL.")
    endpoint_url: str | None = PField(default=None, description="Endpoint override (moto, LocalStack).")
    verify: bool | None = PField(default=True, description="Verify SSL certificates.")
    aws_access_key_id: str | None = PField(default=None, description="Access key (boto3's chain when None).")
    aws_secret_access_key: str | None = PField(default=None, description="Secret key (dg.EnvVar only).")
    aws_session_token: str | None = PField(default=None, description="Session token (dg.EnvVar only).")
    sns_topic_arn: str | None = PField(default=None, description="Topic of operational alerts.")

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            profile_name=self.profile_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            region_name=self.region_name,
        )
        return session.client(
            service,
            endpoint_url=self.endpoint_url,
            use_ssl=self.use_ssl,
            verify=self.verify,
            config=Config(retries={"max_attempts": self.max_attempts, "mode": "standard"}),
        )
