from django.contrib.admin.apps import AdminConfig


class ResolutionFlowAdminConfig(AdminConfig):
    """Django admin, replaced by a site that account admins can use (see resolutionflow.admin)."""

    default_site = "resolutionflow.admin.ResolutionFlowAdminSite"
