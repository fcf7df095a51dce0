"""`trainyard preflight --env ENV` — ask the cloud whether the spec can be provisioned, before apply.

AWS (boto3): every GPU pool's instance type is offered in each of its AZs; the "Running On-Demand P
instances" vCPU quota covers the P pools at max size; every capacity reservation the spec names
exists, in the pool's AZ, for the pool's type. GCP (google-cloud-container / google-cloud-compute):
the spec's Kubernetes version is in its release channel's valid versions for the region; each GPU
machine type exists in each chosen zone; the region's GPU quota covers the pools at max size.

Every problem is reported at once, each with the field it concerns and the fix.
Exit codes: 0 no problems; 2 bad input (unknown environment, invalid spec, bad flag);
3 problems found (including an API that could not be read: the check did not pass).
"""
from __future__ import annotations

import argparse
import sys

from infra.preflight.problems import Problem

EXIT_OK, EXIT_BAD_INPUT, EXIT_PROBLEMS = 0, 2, 3
__all__ = ["Problem", "register", "run_preflight"]


def run_preflight(spec, *, aws_endpoint_url: str | None = None) -> list[Problem]:
    """Live checks for one spec, dispatched on its cloud (imports only that cloud's client library)."""
    if spec.cloud.value == "gcp":
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        from infra.preflight.gcp import LiveGcpApi, check_gcp

        try:
            google.auth.default()
        except DefaultCredentialsError:  # one clear line instead of the same failure per API call
            return [Problem("gcp.project", "no Google credentials found, so nothing could be checked",
                            "run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS")]
        return check_gcp(spec, LiveGcpApi())
    from infra.preflight.aws import Boto3AwsApi, check_aws

    return check_aws(spec, Boto3AwsApi(spec.region, endpoint_url=aws_endpoint_url))


def _run(args: argparse.Namespace) -> int:
    from infra.cli import UsageError, env_spec_path
    from infra.spec import load

    spec = load(env_spec_path(args.env))  # SpecError → exit 2 in infra.cli
    if spec.emulated and not args.endpoint_url:
        raise UsageError(f"--env {args.env}: an emulated environment needs --endpoint-url (the moto server)")
    problems = run_preflight(spec, aws_endpoint_url=args.endpoint_url)
    for problem in problems:
        print(problem, file=sys.stderr)
    where = spec.gcp.project if spec.gcp else spec.region
    print(f"preflight {spec.name} ({spec.cloud.value}, {where}): "
          + (f"{len(problems)} problem(s)" if problems else "ok"))
    return EXIT_PROBLEMS if problems else EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preflight", help="check offerings, quotas, versions and reservations against the live cloud "
        "(exit 3 on problems)", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, metavar="ENV",
                        help="environment name (stacks/environments/ENV.yaml) or a spec file path")
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS only: an emulator endpoint (the local moto server)")
    parser.set_defaults(func=_run)
