"""The admin of customers, contacts and modules."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import Contact, Customer, Licence, Module
from .mixins import CheckedInputAdminMixin, GuardedDeleteMixin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone"]


class LicenceInline(admin.TabularInline):
    """Licences are listed here and edited on their own page (modules, periods)."""

    model = Licence
    extra = 0
    fields = ["kind", "variant"]
    readonly_fields = ["kind", "variant"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def customer_records(customer: Customer) -> list[str]:
    """What the customer has besides its contacts (licences, cases, invoices, usages...),
    as the plural names of those records; empty for a customer entered by mistake."""
    found = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        assert isinstance(model, type)  # a reverse relation's model is a class, never "self"
        if model is Contact:
            continue
        if model._base_manager.filter(**{relation.field.name: customer}).exists():
            found.append(str(model._meta.verbose_name_plural))
    return found


@admin.register(Customer)
class CustomerAdmin(CheckedInputAdminMixin, GuardedDeleteMixin, SimpleHistoryAdmin):
    """Customers keep their history (who changed what). A customer with business records
    is never deleted: its history, cases and invoices must stay readable."""

    list_display = ["number", "name", "postcode", "city", "language", "phone", "email"]
    list_filter = ["language", "country"]
    search_fields = ["number", "name", "city", "email", "phone", "contacts__name"]
    inlines = [ContactInline, LicenceInline]
    fieldsets = [
        (None, {"fields": ["number", "name", "language"]}),
        (_("Address"), {"fields": ["street", "house_number", "postcode", "city", "country"]}),
        (_("Reach"), {"fields": ["email", "phone"]}),
    ]

    def delete_refusal(self, rows: list) -> str | None:
        for customer in rows:
            records = customer_records(customer)
            if records:
                return _(
                    "Customer %(customer)s cannot be deleted: it has %(records)s, which must"
                    " stay readable. Deactivate it instead: end its rental periods and"
                    " subscriptions, and it no longer gets support."
                ) % {"customer": customer, "records": ", ".join(records)}
        return None


@admin.register(Contact)
class ContactAdmin(CheckedInputAdminMixin, SimpleHistoryAdmin):
    """Contacts are edited with their customer; here to search them and see their history."""

    list_display = ["name", "customer", "role", "email", "phone"]
    search_fields = ["name", "email", "phone", "customer__number", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]


@admin.register(Module)
class ModuleAdmin(CheckedInputAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "is_main"]
    list_filter = ["is_main"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Whether a module is a main module decides past credit: fixed once it exists.
        return ["code", "is_main"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a module would silently change the licences (and their credit) that had it.
        return False
