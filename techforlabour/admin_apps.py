"""
Django's admin app, set up to use the site in techforlabour.admin_site.

It lives apart from that site because INSTALLED_APPS imports this module
before any model can be loaded, and the site imports models.
"""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "techforlabour.admin_site.AdminSite"
