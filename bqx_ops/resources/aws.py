"""AWS clients (SNS, CloudWatch Logs, SageMaker, Cost Explorer) configured by dagster-aws."""

import boto3
from botocore.config import Config
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field as PField


class AwsClients(ResourceWithBoto3Configuration):
    """boto3 clients from one configuration; ``endpoint_url`` points them at moto in tests."""

    sns_topic_arn: str | None = PField(default=None, description="Topic of operational alerts.")

    def client(self, service: str):
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
