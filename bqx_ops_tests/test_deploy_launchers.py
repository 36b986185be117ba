"""The scale-out launchers: deploy/ecs/dagster.yaml loads and launches a cadence run as an ECS
task on moto's ECS; deploy/k8s/values.yaml's run launcher loads as the Helm chart renders it."""

import json
import shutil
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml

from bqx_ops_tests.postgres_db import scratch_database, url

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def pg_url(monkeypatch):
    with scratch_database("bqx_ops_test_launch") as name:
        monkeypatch.setenv("BQX_OPS_PG_URL", url(name))
        yield url(name)


def _instance(config: dict | Path, home: Path) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    if isinstance(config, Path):
        shutil.copy(config, home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return dg.DagsterInstance.from_config(str(home))


def _tolerate_task_level_memory(monkeypatch):
    """moto 5.2.5 adds up container-level memory even for Fargate, where ECS accepts memory set on
    the task only (as EcsRunLauncher registers it): count a missing container memory as 0."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def tolerant(task_definition):
        for container in task_definition.container_definitions:
            container.setdefault("memory", 0)
        return original(task_definition)

    monkeypatch.setattr(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", staticmethod(tolerant))


def test_ecs_run_launcher_starts_a_cadence_run_as_a_fargate_task(moto_server, pg_url, tmp_path, monkeypatch):
    from dagster._core.test_utils import in_process_test_workspace
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    from bqx_ops.definitions import build_defs

    _tolerate_task_level_memory(monkeypatch)
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="bqx-ops")
    config = yaml.safe_load((REPO / "deploy" / "ecs" / "dagster.yaml").read_text())
    production = {"BQX_OPS_MODE": "local", "BQX_OPS_DATA_DIR": str(tmp_path / "data"),
                  "BQX_OPS_WAREHOUSE": "ducklake", "BQX_OPS_LAKE_CATALOG": "dbname=bqx_lake host=db",
                  "BQX_OPS_LAKE_DATA_PATH": "s3://bqx-ops-lake/data/"}
    for name in config["run_launcher"]["config"]["env_vars"]:  # the daemon's environment in production
        monkeypatch.setenv(name, production.get(name, f"value-of-{name}"))
    monkeypatch.setenv("BQX_OPS_COMPUTE_LOG_BUCKET", "bqx-ops-logs")
    # The operator's one edit: their subnets and security group (here, moto's, in a VPC with DNS
    # hostnames, as Fargate needs).
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="bqx-ops-runs", Description="runs", VpcId=vpc)["GroupId"]
    network = config["run_launcher"]["config"]["run_task_kwargs"]["networkConfiguration"]["awsvpcConfiguration"]
    network.update(subnets=[subnet], securityGroups=[group])

    with _instance(config, tmp_path / "home") as instance:
        assert type(instance.run_launcher).__name__ == "EcsRunLauncher"
        origin = LoadableTargetOrigin(module_name="bqx_ops.definitions", working_directory=str(REPO))
        with in_process_test_workspace(instance, origin, container_image="bqx-ops:test") as workspace:
            (location_name,) = workspace.get_code_location_entries()
            (repo,) = workspace.get_code_location(location_name).get_repositories().values()
            remote_job = repo.get_full_job("outbox_delivery_job")
            run = instance.create_run_for_job(
                job_def=build_defs().resolve_job_def("outbox_delivery_job"),
                remote_job_origin=remote_job.get_remote_origin(),
                job_code_origin=remote_job.get_python_origin(),
            )
            instance.launch_run(run.run_id, workspace)
        tags = instance.get_run_by_id(run.run_id).tags

    (task,) = ecs.describe_tasks(cluster="bqx-ops", tasks=ecs.list_tasks(cluster="bqx-ops")["taskArns"])["tasks"]
    assert task["launchType"] == "FARGATE" and tags["ecs/task_arn"] == task["taskArn"]
    (override,) = task["overrides"]["containerOverrides"]
    assert override["name"] == "run"
    command = override["command"]
    assert command[:3] == ["dagster", "api", "execute_run"]
    assert json.loads(command[3])["__class__"] == "ExecuteRunArgs" and run.run_id in command[3]
    # The task definition the launcher registered: this image, the secrets by reference, the settings.
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert container["name"] == "run" and container["image"] == "bqx-ops:test"
    assert definition["requiresCompatibilities"] == ["FARGATE"] and definition["networkMode"] == "awsvpc"
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["BQX_OPS_WAREHOUSE"] == "ducklake" and environment["DAGSTER_RUN_JOB_NAME"] == "outbox_delivery_job"
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert set(secrets) == {"BQX_OPS_PG_URL", "AIRTABLE_API_KEY", "GITHUB_TOKEN", "SLACK_BOT_TOKEN"}
    assert all(v.startswith("arn:aws:secretsmanager:") for v in secrets.values())


def _rendered_k8s_run_launcher(values: dict, kubeconfig: Path) -> dict:
    """The ``run_launcher`` block the chart's dagsterYaml.runLauncher.k8s template renders from
    these values (out of a cluster, so a kubeconfig file instead of the in-cluster config)."""
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": {
        "load_incluster_config": False, "kubeconfig_file": str(kubeconfig),
        "job_namespace": launcher["jobNamespace"], "image_pull_policy": launcher["imagePullPolicy"],
        "service_account_name": "bqx-ops-dagster", "dagster_home": "/opt/dagster/dagster_home",
        "instance_config_map": "bqx-ops-dagster-instance", "postgres_password_secret": "dagster-postgresql-secret",
        "env_config_maps": [m["name"] for m in launcher["envConfigMaps"]],
        "env_secrets": [s["name"] for s in launcher["envSecrets"]],
    }}


def test_the_helm_values_configure_a_k8s_run_launcher_that_loads(pg_url, tmp_path):
    values = yaml.safe_load((REPO / "deploy" / "k8s" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert values["dagsterDaemon"]["runMonitoring"]["enabled"] and values["dagsterDaemon"]["runRetries"]["enabled"]
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "test", "user": {"token": "test"}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
    }))
    production = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    monitoring, retries, pools = (values["dagsterDaemon"]["runMonitoring"], values["dagsterDaemon"]["runRetries"],
                                  values["concurrency"]["pools"])
    config = {  # the chart's configmap-instance.yaml, for the parts these values set
        "storage": production["storage"], "telemetry": values["telemetry"],
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator",
                            "config": {"dequeue_interval_seconds": values["dagsterDaemon"]["runCoordinator"][
                                "config"]["queuedRunCoordinator"]["dequeueIntervalSeconds"]}},
        "run_monitoring": {"enabled": True, "start_timeout_seconds": monitoring["startTimeoutSeconds"],
                           "cancel_timeout_seconds": monitoring["cancelTimeoutSeconds"],
                           "max_resume_run_attempts": monitoring["maxResumeRunAttempts"],
                           "poll_interval_seconds": monitoring["pollIntervalSeconds"],
                           "free_slots_after_run_end_seconds": monitoring["freeSlotsAfterRunEndSeconds"]},
        "run_retries": {"enabled": retries["enabled"], "max_retries": retries["maxRetries"]},
        "concurrency": {"pools": {"default_limit": pools["defaultLimit"], "granularity": pools["granularity"]},
                        "runs": {"max_concurrent_runs": values["concurrency"]["runs"]["maxConcurrentRuns"]}},
        "run_launcher": _rendered_k8s_run_launcher(values, kubeconfig),
    }
    with _instance(config, tmp_path / "home") as instance:
        assert instance.run_monitoring_enabled and instance.run_monitoring_settings[
            "free_slots_after_run_end_seconds"] == 60
        assert instance.run_retries_max_retries == 2
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        launcher = instance.run_launcher
        assert type(launcher).__name__ == "K8sRunLauncher"
        assert launcher.job_namespace == "bqx-ops"
        assert launcher.env_config_maps[-1] == "bqx-ops-config" and launcher.env_secrets == ["bqx-ops-secrets"]
