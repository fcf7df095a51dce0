"""Running terraform on a synthesized stack: provider mirror discovery, init/validate/plan/apply/destroy.

Providers come from a local filesystem mirror when one exists (`TF_PLUGIN_DIR`, or one of the usual
plugin locations) and from the registry otherwise. We write our own CLI config file so terraform never
depends on the user's ~/.terraformrc.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# Where terraform looks for implied local mirrors (CLI config docs, "Implied Local Mirror Directories"),
# plus /opt/tf-plugins, where CI images commonly bake providers.
USUAL_PLUGIN_DIRS = (
    "~/.terraform.d/plugins", "~/.local/share/terraform/plugins", "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins", "/opt/tf-plugins",
)
PLAN_NO_CHANGES, PLAN_ERROR, PLAN_HAS_CHANGES = 0, 1, 2


class TerraformError(RuntimeError):
    """terraform is missing or a command failed; the message says which and shows its last output lines."""


def find_plugin_mirror() -> Path | None:
    explicit = os.environ.get("TF_PLUGIN_DIR")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise TerraformError(f"TF_PLUGIN_DIR={explicit} is not a directory; unset it or point it at a "
                                 "provider mirror (registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...)")
        return path
    for candidate in USUAL_PLUGIN_DIRS:
        path = Path(candidate).expanduser()
        if (path / "registry.terraform.io").is_dir():
            return path
    return None


def mirror_versions(mirror: Path, provider: str = "hashicorp/aws") -> list[str]:
    base = mirror / "registry.terraform.io" / provider
    return sorted(p.name for p in base.iterdir()) if base.is_dir() else []


def cli_config(mirror: Path | None) -> str:
    if mirror is None:
        return "# no local provider mirror found: providers come from the registry\n"
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
    )


@dataclass
class Terraform:
    """terraform bound to one stack directory (cdktf.out/stacks/<stack>)."""

    workdir: Path
    variables: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        if shutil.which("terraform") is None:
            raise TerraformError("terraform is not on PATH; install terraform ≥ 1.5 (https://developer.hashicorp.com/"
                                 "terraform/install) and run again")
        if not (self.workdir / "cdk.tf.json").is_file():
            raise TerraformError(f"{self.workdir}/cdk.tf.json does not exist; run `make synth` first")
        self.mirror = find_plugin_mirror()
        config = self.workdir / ".trainyard.tfrc"
        config.write_text(cli_config(self.mirror))
        self.env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config.resolve()), "TF_IN_AUTOMATION": "1",
                    "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}

    def _var_args(self) -> list[str]:
        return [f"-var={k}={v}" for k, v in self.variables.items()]

    def run(self, *args: str, ok_codes: tuple[int, ...] = (0,), timeout_s: float = 900) -> subprocess.CompletedProcess:
        """Run one terraform command; its output streams to `log` as it happens (tail it to watch)."""
        cmd = ["terraform", f"-chdir={self.workdir}", *args]
        log = self.log or (self.workdir / ".trainyard-terraform.log")
        with log.open("a") as fh:
            fh.write(f"$ {' '.join(cmd)}\n")
            fh.flush()
            start = fh.tell()
            try:
                proc = subprocess.run(cmd, env=self.env, stdout=fh, stderr=subprocess.STDOUT, text=True,
                                      timeout=timeout_s)
            except subprocess.TimeoutExpired:
                raise TerraformError(f"`terraform {args[0]}` in {self.workdir} did not finish in {timeout_s:.0f}s; "
                                     f"see {log}") from None
        with log.open() as fh:
            fh.seek(start)
            output = fh.read()
        if proc.returncode not in ok_codes:
            tail = "\n".join(output.strip().splitlines()[-25:])
            raise TerraformError(f"`terraform {args[0]}` in {self.workdir} exited {proc.returncode}:\n{tail}")
        return subprocess.CompletedProcess(cmd, proc.returncode, output, "")

    def init(self) -> None:
        self.run("init", "-input=false", "-no-color", "-upgrade=false")

    def validate(self) -> None:
        self.run("validate", "-no-color")

    def apply(self, parallelism: int = 10) -> None:
        self.run("apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}",
                 *self._var_args())

    def plan_changes(self) -> tuple[int, str]:
        """(PLAN_NO_CHANGES | PLAN_HAS_CHANGES, plan text) via -detailed-exitcode."""
        proc = self.run("plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false",
                        *self._var_args(), ok_codes=(PLAN_NO_CHANGES, PLAN_HAS_CHANGES))
        return proc.returncode, proc.stdout

    def destroy(self, parallelism: int = 10) -> None:
        self.run("destroy", "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}",
                 *self._var_args())

    def state_remove(self, address: str) -> None:
        self.run("state", "rm", "-no-color", address)

    def state_attribute(self, address: str, attribute: str) -> str | None:
        import json

        proc = self.run("show", "-json", "-no-color")
        for resource in json.loads(proc.stdout or "{}").get("values", {}).get("root_module", {}).get("resources", []):
            if resource["address"] == address:
                return resource["values"].get(attribute)
        return None

    def state_resources(self) -> list[str]:
        proc = self.run("state", "list", ok_codes=(0, 1))
        return [line for line in proc.stdout.splitlines() if line.strip()]
