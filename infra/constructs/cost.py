"""Cost controls: a monthly AWS Budget with SNS notifications, idle-GPU alarms, and a breach action that
scales every GPU node group to zero."""
from __future__ import annotations

import json
from pathlib import Path

from cdktf import AssetType, TerraformAsset, TerraformProvider
from cdktf_cdktf_provider_aws.budgets_budget import BudgetsBudget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from infra.constructs._policy import assume_role_policy, blocks, statement
from infra.constructs.iam import Role
from infra.spec import BudgetSpec

BREACH_HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambdas" / "scale_to_zero"
IDLE_GPU_UTILIZATION_PERCENT = 5
IDLE_GPU_MINUTES = 30


class AlertTopic(Construct):
    """A KMS-encrypted SNS topic that AWS Budgets and CloudWatch alarms may publish to."""

    def __init__(self, scope: Construct, id: str, *, name: str, kms_key_arn: str, account_id: str,
                 emails: list[str] = ()):
        super().__init__(scope, id)
        self.topic = SnsTopic(self, "topic", name=name, kms_master_key_id=kms_key_arn)
        SnsTopicPolicy(self, "policy", arn=self.topic.arn, policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "BudgetsAndAlarmsPublish", "Effect": "Allow",
                           "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]},
                           "Action": "SNS:Publish", "Resource": self.topic.arn,
                           "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}]}))
        for index, email in enumerate(emails):
            SnsTopicSubscription(self, f"email-{index}", topic_arn=self.topic.arn, protocol="email", endpoint=email)

    @property
    def arn(self) -> str:
        return self.topic.arn


class CostControls(Construct):
    """Props:
      name, spec (BudgetSpec), environment (for the budget's cost filter on the Environment tag),
      alerts_key_arn (SNS encryption), account_id / partition / region,
      gpu_node_groups: [(node group resource, pool name)] watched by idle alarms and scaled by the breach action,
      cluster_name, permissions_boundary_arn, budget_provider (a provider without default tags where the
      target can't tag budgets), breach_lambda / budget_notifications (capabilities of the target).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, spec: BudgetSpec, environment: str,
                 alerts_key_arn: str, account_id: str, partition: str, region: str, gpu_node_groups: list,
                 cluster_name: str, permissions_boundary_arn: str | None,
                 budget_provider: TerraformProvider | None = None, breach_lambda: bool = True,
                 budget_notifications: bool = True):
        super().__init__(scope, id)
        alerts = AlertTopic(self, "alerts", name=f"{name}-cost-alerts", kms_key_arn=alerts_key_arn,
                            account_id=account_id, emails=spec.notification_emails)
        self.alert_topic_arn = alerts.arn
        topics = [alerts.arn] + ([spec.sns_topic_arn] if spec.sns_topic_arn else [])

        breach_topic_arn = None
        if spec.scale_gpu_pools_to_zero_on_breach and gpu_node_groups and breach_lambda:
            breach = AlertTopic(self, "breach", name=f"{name}-budget-breach", kms_key_arn=alerts_key_arn,
                                account_id=account_id)
            breach_topic_arn = breach.arn
            self._scale_to_zero_action(name, breach.arn, gpu_node_groups, cluster_name, partition, region,
                                       account_id, permissions_boundary_arn)

        notifications = []
        for threshold in sorted(spec.alert_thresholds_percent):
            subscribers = list(topics)
            if breach_topic_arn and threshold >= 100:
                subscribers.append(breach_topic_arn)
            notifications.append({"comparison_operator": "GREATER_THAN", "threshold": threshold,
                                  "threshold_type": "PERCENTAGE", "notification_type": "ACTUAL",
                                  "subscriber_sns_topic_arns": subscribers})
        # Forecast warning: hear about the breach before the money is spent.
        notifications.append({"comparison_operator": "GREATER_THAN", "threshold": 100,
                              "threshold_type": "PERCENTAGE", "notification_type": "FORECASTED",
                              "subscriber_sns_topic_arns": list(topics)})
        self.budget = BudgetsBudget(
            self, "budget", name=f"{name}-monthly", budget_type="COST", limit_amount=f"{spec.monthly_limit_usd:.2f}",
            limit_unit="USD", time_unit="MONTHLY",
            cost_filter=blocks([{"name": "TagKeyValue", "values": [f"user:Environment${environment}"]}]),
            notification=blocks(notifications) if budget_notifications else None, provider=budget_provider)

        for node_group, pool_name in gpu_node_groups:
            asg = node_group.resources.get(0).autoscaling_groups.get(0).name
            CloudwatchMetricAlarm(
                self, f"idle-{node_group.node.scope.node.id}", alarm_name=f"{name}-{node_group.node.scope.node.id}-gpu-idle",
                alarm_description=(f"GPUs of pool {pool_name} averaged < {IDLE_GPU_UTILIZATION_PERCENT}% utilization "
                                   f"for {IDLE_GPU_MINUTES} min while nodes are running: paying for idle GPUs. "
                                   "Runbook: docs/runbooks/gpu-idle-while-pool-has-nodes.md"),
                namespace="CWAgent", metric_name="nvidia_smi_utilization_gpu",
                dimensions={"AutoScalingGroupName": asg}, statistic="Average", period=300,
                evaluation_periods=IDLE_GPU_MINUTES // 5, threshold=IDLE_GPU_UTILIZATION_PERCENT,
                comparison_operator="LessThanThreshold", treat_missing_data="notBreaching",
                alarm_actions=[alerts.arn], ok_actions=[alerts.arn])

    def _scale_to_zero_action(self, name: str, topic_arn: str, gpu_node_groups: list, cluster_name: str,
                              partition: str, region: str, account_id: str, boundary: str | None) -> None:
        function_name = f"{name}-scale-gpu-to-zero"
        log_group = CloudwatchLogGroup(self, "breach-logs", name=f"/aws/lambda/{function_name}", retention_in_days=90)
        role = Role(self, "breach-role", name=f"{name}-breach-action", partition=partition,
                    assume_role_policy_json=assume_role_policy("lambda.amazonaws.com"),
                    permissions_boundary_arn=boundary, description="Budget breach: scale GPU pools to zero")
        role.add_statements(
            "scale-gpu-node-groups",
            statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group.arn}:*"]),
            statement("ScaleGpuNodeGroups", ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"],
                      [ng.arn for ng, _ in gpu_node_groups]),
        )
        asset = TerraformAsset(self, "breach-code", path=str(BREACH_HANDLER_DIR), type=AssetType.ARCHIVE)
        function = LambdaFunction(
            self, "breach-fn", function_name=function_name, role=role.arn, runtime="python3.12",
            handler="handler.handler", filename=asset.path, source_code_hash=asset.asset_hash, timeout=60,
            reserved_concurrent_executions=1,
            environment={"variables": {"CLUSTER_NAME": cluster_name,
                                       "NODEGROUPS": json.dumps([ng.node_group_name for ng, _ in gpu_node_groups])}},
            depends_on=[log_group, *role.node.children])
        LambdaPermission(self, "breach-invoke", statement_id="AllowBudgetBreachTopic", action="lambda:InvokeFunction",
                         function_name=function.function_name, principal="sns.amazonaws.com", source_arn=topic_arn)
        SnsTopicSubscription(self, "breach-subscription", topic_arn=topic_arn, protocol="lambda",
                             endpoint=function.arn)
