from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from supervision import figure_cache, plan_progress
        from tasklist.exporters.cells import provide_progress

        figure_cache.connect()
        provide_progress(plan_progress.load_progress)
