"""The Django admin for cases: canned replies (edited by administrators) and the incoming
e-mails (read only: a message is kept as received; the desk files it from the inbox)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from billing.admin import ReadOnlyMixin
from customers.admin import CheckedInputAdminMixin

from .models import CannedReply, Case, EmailAttachment, InboundEmail


@admin.register(Case)
class CaseAdmin(CheckedInputAdminMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    """Cases are worked on the desk's pages; the admin shows them and who changed what
    (status, assignee, verified software error...)."""

    list_display = ["__str__", "customer", "status", "assignee", "support_plus", "created_at"]
    list_filter = ["status", "kind", "channel", "support_plus"]
    search_fields = ["subject", "customer__number", "customer__name"]
    date_hierarchy = "created_at"
    list_select_related = ["customer", "assignee"]


@admin.register(CannedReply)
class CannedReplyAdmin(CheckedInputAdminMixin, admin.ModelAdmin):
    list_display = ["title", "language", "active"]
    list_filter = ["language", "active"]
    search_fields = ["title", "body"]
    fields = ["title", "language", "body", "active"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["body"].help_text = _(
            "{customer} is replaced by the customer's name, {contact} by the contact's,"
            " {credit} by the current support credit (R10)."
        )
        return form


class AttachmentInline(admin.TabularInline):
    model = EmailAttachment
    fk_name = "inbound"
    fields = readonly_fields = ("filename", "content_type", "size")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(CheckedInputAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "status", "from_address", "subject", "case", "automatic"]
    list_filter = ["status", "automatic"]
    search_fields = ["from_address", "from_name", "subject", "message_id"]
    date_hierarchy = "received_at"
    list_select_related = ["case"]
    inlines = [AttachmentInline]
    fields = readonly_fields = (
        "status",
        "case",
        "customer",
        "contact",
        "from_name",
        "from_address",
        "to",
        "subject",
        "sent_at",
        "received_at",
        "message_id",
        "in_reply_to",
        "references",
        "automatic",
        "note",
        "text",
        "original",
        "size",
        "assigned_by",
    )

    @admin.display(description=_("raw message"))
    def original(self, obj: InboundEmail) -> str:
        # Through the desk's download view (a download, never inline), not MEDIA_URL.
        return format_html(
            '<a href="{}">{}</a>', reverse("inbound_raw", args=[obj.pk]), _("Download (.eml)")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
