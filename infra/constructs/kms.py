"""Customer-managed KMS keys, one per purpose, with rotation and least-privilege service grants."""
from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from infra.constructs._policy import document


class PlatformKey(Construct):
    """A rotating CMK with a key policy that lets the account administer it and named services use it.

    Props:
      alias: `alias/<alias>` is created for it.
      account_id / partition / region: for ARNs in the key policy.
      service_principals: AWS services that encrypt with the key directly (e.g. `sns.amazonaws.com`).
      logs: allow CloudWatch Logs in this region to encrypt log groups of this account.
      autoscaling_ebs: allow the Auto Scaling service-linked role to use the key for encrypted EBS
        root volumes (without this grant, EKS managed nodes with a CMK root volume never launch).
    """

    def __init__(self, scope: Construct, id: str, *, alias: str, description: str, account_id: str,
                 partition: str, region: str, service_principals: tuple[str, ...] = (), logs: bool = False,
                 autoscaling_ebs: bool = False, deletion_window_days: int = 30):
        super().__init__(scope, id)
        root = f"arn:{partition}:iam::{account_id}:root"
        statements = [{
            "Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": root},
            "Action": "kms:*", "Resource": "*",
        }]
        use = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        if service_principals:
            statements.append({
                "Sid": "ServicesUse", "Effect": "Allow", "Principal": {"Service": list(service_principals)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            })
        if logs:
            statements.append({
                "Sid": "CloudWatchLogsUse", "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"}, "Action": use, "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                          f"arn:{partition}:logs:{region}:{account_id}:*"}},
            })
        if autoscaling_ebs:
            asg_role = (f"arn:{partition}:iam::{account_id}:role/aws-service-role/"
                        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
            statements.append({"Sid": "AutoScalingEbsUse", "Effect": "Allow", "Principal": {"AWS": asg_role},
                               "Action": use, "Resource": "*"})
            statements.append({"Sid": "AutoScalingEbsGrants", "Effect": "Allow", "Principal": {"AWS": asg_role},
                               "Action": "kms:CreateGrant", "Resource": "*",
                               "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
        self.key = KmsKey(self, "key", description=description, enable_key_rotation=True,
                          deletion_window_in_days=deletion_window_days, policy=document(*statements))
        KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn
