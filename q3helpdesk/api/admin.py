"""API clients in the admin: an administrator creates one per system, gives it its scopes,
reads its token once, and revokes it when the system goes."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.admin import CheckedInputAdminMixin

from .models import ApiClient, Scope
from .services import api_client_create, api_client_revoke


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("What the system may read; give it only what it needs."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "expires_on"]

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate() and self.instance.pk is None:
            raise ValidationError(_("The last valid day cannot be in the past."))
        return day


@admin.register(ApiClient)
class ApiClientAdmin(CheckedInputAdminMixin, admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "scope_list", "key_prefix", "active", "expires_on", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    readonly_fields = ["key_prefix", "last_used_at", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("scopes"))
    def scope_list(self, client: ApiClient) -> str:
        return ", ".join(client.scopes)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row says who could read what, and until when

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "name"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        client, token = api_client_create(
            name=form.cleaned_data["name"],
            scopes=list(form.cleaned_data["scopes"]),
            expires_on=form.cleaned_data.get("expires_on"),
            created_by=request.user,
        )
        obj.pk = client.pk
        obj.__dict__.update({k: v for k, v in client.__dict__.items() if k != "_state"})
        obj._state.adding = False
        request._api_token = token

    def response_add(self, request, obj, post_url_continue=None):
        token = getattr(request, "_api_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": obj,
            "token": token,
            "title": _("Token of %(system)s") % {"system": obj.name},
        }
        return TemplateResponse(request, "admin/api/apiclient/token.html", context)

    @admin.action(description=gettext_lazy("Revoke the selected clients' tokens"))
    def revoke(self, request, queryset) -> None:
        for client in queryset:
            api_client_revoke(client=client)
        self.message_user(
            request,
            _("%(count)s token(s) revoked: they are refused from now on.")
            % {"count": queryset.count()},
            messages.SUCCESS,
        )
