"""Background work of the customers app, run by the django-tasks worker: ERP imports."""

from __future__ import annotations

from django_tasks import task

from .models import ErpImport
from .services import erp_import_run as run


@task()
def erp_import_run(import_id: int, apply: bool) -> str:
    """Background: the dry run of an uploaded ERP file, or (confirmed) its import."""
    upload = ErpImport.objects.filter(pk=import_id).first()
    if upload is None:
        return "missing"
    return run(upload=upload, apply=apply).status
