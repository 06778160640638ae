"""The OpenAPI schema names the scope each operation needs (in its description and as
``x-scope``), so that an administrator sees which scopes a system must be given."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema


class ScopedAutoSchema(AutoSchema):
    def get_description(self) -> str:
        description = super().get_description()
        scope = getattr(self.view, "required_scope", "")
        if not scope:
            return description
        return f"{description}\n\nScope: `{scope}`".strip()

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        scope = getattr(self.view, "required_scope", "")
        if operation is not None and scope:
            operation["x-scope"] = str(scope)
        return operation
