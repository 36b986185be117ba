"""What one snapshot exports to the repository (the mirror), and how far the repository is from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from bqx_ops.docs_sync.artifacts import artifact_files
from bqx_ops.docs_sync.changes import MODELS, artifact_deletions, changed_files
from bqx_ops.docs_sync.models import latest_models, models_page
from bqx_ops.docs_sync.paths import README
from bqx_ops.docs_sync.readme import status_section
from bqx_ops.docs_sync.snapshot import Snapshot
from bqx_ops.docs_sync.status import readme_status


@dataclass(frozen=True)
class Mirror:
    """The snapshot-shaped part of the repository: artifact pages, models.md, README status."""

    files: dict[str, str]
    status: str

    def changes(self, tree: Mapping[str, str]) -> tuple[dict[str, str | None], bool]:
        """(files to write or delete, whether the README status section changes) against ``tree``
        (the repository's docs/ and README.md)."""
        desired: dict[str, str | None] = dict(self.files)
        desired.update(artifact_deletions(tree, set(self.files)))
        return changed_files(tree, desired), status_section(tree.get(README)) != self.status.strip("\n")

    def drift(self, tree: Mapping[str, str]) -> list[str]:
        """Paths that differ (README.md meaning its status section), sorted."""
        changes, readme_differs = self.changes(tree)
        return sorted(changes) + ([README] if readme_differs else [])


def mirror(snapshot: Snapshot, jobs: dict[str, dict] | None, dashboard=None) -> Mirror:
    """``dashboard``: the plan update shown in the README status, as the sync published it."""
    files = {path: page for path, (_, page) in artifact_files(snapshot).items()}
    files[MODELS] = models_page(latest_models(snapshot, jobs), snapshot.day)
    return Mirror(files, readme_status(snapshot, dashboard))
