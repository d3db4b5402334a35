"""Signals a lower layer sends so that a higher one can react without importing it (docs/architecture.md).

``data_changed``: rows that the dashboards' figures read were written by a path that sends no
post_save / post_delete (the importer's COPY and bulk updates, the admin's bulk imports). Sent
inside the transaction that wrote them; a receiver that acts on it defers its work to the commit
(supervision/figure_cache.py, connected in SupervisionConfig.ready, bumps the figures' version).
"""

from __future__ import annotations

from django.dispatch import Signal

data_changed = Signal()


class BulkImportSendsDataChanged:
    """For django-import-export resources with ``use_bulk``: their bulk writes send no post_save, so
    the import says itself that the data changed (a receiver deferring to the commit drops it on rollback)."""

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        data_changed.send(sender=type(self))
