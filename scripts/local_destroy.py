"""Destroying the local stack in the emulator.

One emulator gap needs handling here rather than in the stacks: after `DeleteFileSystem`, the AWS
provider's FSx waiter (30 s delay, then polling) never issues its next request against moto and hangs
until its 60-minute timeout. So the local target deletes its FSx file systems through the FSx API itself,
drops them from the state, and lets terraform destroy everything else. Real AWS targets never come here.
"""
from __future__ import annotations

import boto3

from infra.terraform import Terraform


def destroy_local_stack(tf: Terraform, endpoint_url: str, region: str) -> list[str]:
    """terraform destroy against the emulator; returns the FSx ids deleted out of band."""
    fsx = boto3.client("fsx", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="test",
                       aws_secret_access_key="test")
    deleted = []
    for address in tf.state_resources():
        if address.split(".")[0] == "aws_fsx_lustre_file_system" or ".aws_fsx_lustre_file_system." in address:
            file_system_id = tf.state_attribute(address, "id")
            tf.state_remove(address)
            if file_system_id:
                fsx.delete_file_system(FileSystemId=file_system_id)
                deleted.append(file_system_id)
    tf.destroy()
    return deleted
