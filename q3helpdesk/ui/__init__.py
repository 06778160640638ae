"""The shared pieces of every list page: the base table (``tables``), the filterable list
view with its CSV/XLSX export (``views``, ``exports``) and the date-range filter set
(``filters``). The permission decorators are in ``q3helpdesk.roles``.

Every app imports them (customers, billing and cases alike), so this package imports no
app: Django and the table/filter/export libraries only.
"""
