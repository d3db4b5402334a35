"""Agencies through django-import-export in the admin: bulk, matched on (jurisdiction, name)."""

from import_export import fields, resources

from agencies.models import Agency
from core.signals import BulkImportSendsDataChanged


class AgencyResource(BulkImportSendsDataChanged, resources.ModelResource):
    jurisdiction = fields.Field(attribute="jurisdiction", column_name="所属地区")
    name = fields.Field(attribute="name", column_name="单位名称")
    full_name = fields.Field(attribute="full_name", column_name="全称")
    kind = fields.Field(attribute="kind", column_name="类别")
    contact_emails = fields.Field(attribute="contact_emails", column_name="联系邮箱")

    class Meta:
        model = Agency
        fields = ("jurisdiction", "name", "full_name", "kind", "contact_emails")
        import_id_fields = ("jurisdiction", "name")
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        clean_model_instances = True
