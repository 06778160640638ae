"""The admin of the customers app; importing this package registers every admin.

- ``mixins``: what every admin of the project shares (``CheckedInputAdminMixin``, used by
  the billing and cases admins too, and the guarded deletes)
- ``customers``: customers, contacts, modules
- ``licences``: licences and rental periods
- ``subscriptions``: half-fare and Support+ subscriptions
"""

from .customers import (
    ContactAdmin,
    ContactInline,
    CustomerAdmin,
    LicenceInline,
    ModuleAdmin,
    customer_records,
)
from .licences import (
    CreditCheckedForm,
    LicenceAdmin,
    LicenceForm,
    RentalPeriodAdmin,
    RentalPeriodForm,
    RentalPeriodFormSet,
    RentalPeriodInline,
)
from .mixins import (
    CheckedAutocompleteSelect,
    CheckedAutocompleteSelectMultiple,
    CheckedDateHierarchyChangeList,
    CheckedInputAdminMixin,
    CheckedModelChoiceField,
    CheckedModelMultipleChoiceField,
    GuardedDeleteMixin,
    SupportPlusGuardedDeleteMixin,
    is_key,
    text_checked,
)
from .subscriptions import (
    HalfFareSubscriptionAdmin,
    SupportPlusAddForm,
    SupportPlusChangeForm,
    SupportPlusRegistrationInline,
    SupportPlusSubscriptionAdmin,
)

__all__ = [
    "CheckedAutocompleteSelect",
    "CheckedAutocompleteSelectMultiple",
    "CheckedDateHierarchyChangeList",
    "CheckedInputAdminMixin",
    "CheckedModelChoiceField",
    "CheckedModelMultipleChoiceField",
    "ContactAdmin",
    "ContactInline",
    "CreditCheckedForm",
    "CustomerAdmin",
    "GuardedDeleteMixin",
    "HalfFareSubscriptionAdmin",
    "LicenceAdmin",
    "LicenceForm",
    "LicenceInline",
    "ModuleAdmin",
    "RentalPeriodAdmin",
    "RentalPeriodForm",
    "RentalPeriodFormSet",
    "RentalPeriodInline",
    "SupportPlusAddForm",
    "SupportPlusChangeForm",
    "SupportPlusGuardedDeleteMixin",
    "SupportPlusRegistrationInline",
    "SupportPlusSubscriptionAdmin",
    "customer_records",
    "is_key",
    "text_checked",
]
