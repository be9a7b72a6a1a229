"""What every ``kgsynth`` command shares: the workspace the main options name, and running a
library function as a job row of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from kgsynth.errors import JobError
from kgsynth.progress import progress_bar
from kgsynth.workspace import Workspace, open_workspace


@dataclass
class CliState:
    workspace_path: str | None = None
    store: str | None = None
    engine: str | None = None
    ray_address: str | None = None
    debug: bool = False
    _ws: Workspace | None = field(default=None, repr=False)

    def workspace(self, create: bool = False) -> Workspace:
        """The workspace; only a writing command that may start a project passes `create`."""
        if self._ws is None:
            self._ws = open_workspace(
                self.workspace_path, self.store, self.engine, self.ray_address, create=create
            )
            if self._ws.created:
                toml = self._ws.path / "kgsynth.toml"
                click.echo(f"created a new workspace {self._ws.path} (settings: {toml})", err=True)
        return self._ws

    def run_job(self, kind: str, params: dict, label: str, create: bool = False) -> dict:
        """Run job `kind` here as a catalog job row, with a progress bar; its result dict."""
        from kgsynth import jobs

        ws = self.workspace(create=create)
        params = {k: v for k, v in params.items() if v is not None}
        job = jobs.run_inline(ws, kind, params, on_progress=progress_bar(label), reraise=True)
        if job.state.value != "succeeded":
            raise JobError(
                f"job {job.id} {job.state.value}" + (f": {job.error}" if job.error else "")
            )
        return job.result | {"job_id": job.id}


pass_state = click.make_pass_decorator(CliState)
