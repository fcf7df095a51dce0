"""Cloud Billing budget for the environment's project: threshold rules at the spec's percentages,
e-mail notification channels, and a CMEK-encrypted Pub/Sub topic every budget update is published to
(the hook for automation, as the SNS topic is on AWS)."""
from __future__ import annotations

from cdktf_cdktf_provider_google.billing_budget import BillingBudget
from cdktf_cdktf_provider_google.monitoring_notification_channel import MonitoringNotificationChannel
from cdktf_cdktf_provider_google.pubsub_topic import PubsubTopic
from cdktf_cdktf_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember
from constructs import Construct

from infra.constructs._policy import blocks
from infra.spec import BudgetSpec

# Cloud Billing publishes budget notifications as this Google-managed identity.
BUDGET_PUBLISHER = "serviceAccount:billing-budget-alert@system.gserviceaccount.com"


class BillingBudgetAlerts(Construct):
    """Props: name, project, project_number, billing_account, spec (BudgetSpec), kms_key_id (topic CMEK),
    labels, depends_on (the key grant to the Pub/Sub service agent)."""

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, project_number: str,
                 billing_account: str, spec: BudgetSpec, kms_key_id: str, labels: dict[str, str],
                 depends_on: list | None = None):
        super().__init__(scope, id)
        self.topic = PubsubTopic(self, "topic", name=f"{name}-budget", project=project, kms_key_name=kms_key_id,
                                 labels=labels, depends_on=depends_on)
        PubsubTopicIamMember(self, "publisher", project=project, topic=self.topic.name, role="roles/pubsub.publisher",
                             member=BUDGET_PUBLISHER)
        channels = [MonitoringNotificationChannel(self, f"email-{i}", project=project, type="email",
                                                  display_name=f"{name} budget: {email}",
                                                  labels={"email_address": email}, user_labels=labels)
                    for i, email in enumerate(spec.notification_emails)]
        self.budget = BillingBudget(
            self, "budget", billing_account=billing_account, display_name=name[:60],
            budget_filter={"projects": [f"projects/{project_number}"], "credit_types_treatment": "EXCLUDE_ALL_CREDITS"},
            amount={"specified_amount": {"currency_code": "USD", "units": str(int(spec.monthly_limit_usd))}},
            threshold_rules=blocks([{"threshold_percent": pct / 100.0, "spend_basis": "CURRENT_SPEND"}
                                    for pct in spec.alert_thresholds_percent]
                                   + [{"threshold_percent": 1.0, "spend_basis": "FORECASTED_SPEND"}]),
            all_updates_rule={"pubsub_topic": self.topic.id, "schema_version": "1.0",
                              "monitoring_notification_channels": [c.id for c in channels],
                              "disable_default_iam_recipients": False})
