"""The database itself refuses to rewrite the ledger and issued invoices (PostgreSQL).

The ORM already refuses these writes (billing.models); the triggers make a raw SQL mistake
fail too. What the app legitimately changes afterwards stays possible:

- a usage: only ``invoiced_at`` (set on issue, cleared on cancellation);
- a credit draw: nothing;
- an issued invoice or credit note: its stored ``pdf``, and an issued invoice may become
  cancelled together with its ``reason``; it is never deleted and never a draft again;
- the lines of an issued invoice, and the usages they bill: nothing.

TRUNCATE (test teardown, ``flush``) does not fire row triggers. SQLite keeps the ORM guard.
"""

from django.db import migrations

FUNCTIONS_AND_TRIGGERS = r"""
CREATE OR REPLACE FUNCTION billing_usage_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    probe billing_usage;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'The usage ledger is append-only; post a reversal instead (usage %).',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    probe := NEW;
    probe.invoiced_at := OLD.invoiced_at;
    IF probe IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'A usage cannot be changed; post a reversal instead (usage %).',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER billing_usage_append_only
BEFORE UPDATE OR DELETE ON billing_usage
FOR EACH ROW EXECUTE FUNCTION billing_usage_append_only();

CREATE OR REPLACE FUNCTION billing_usagedraw_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The usage ledger is append-only; post a reversal instead (draw %).',
        OLD.id USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER billing_usagedraw_append_only
BEFORE UPDATE OR DELETE ON billing_usagedraw
FOR EACH ROW EXECUTE FUNCTION billing_usagedraw_append_only();

CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    probe billing_invoice;
BEGIN
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'An issued invoice cannot be deleted; cancel it instead (%).',
            OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    probe := NEW;
    probe.pdf := OLD.pdf;
    IF OLD.kind = 'invoice' AND OLD.status = 'issued' AND NEW.status = 'cancelled' THEN
        probe.status := OLD.status;
        probe.reason := OLD.reason;
    END IF;
    IF probe IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'An issued invoice cannot be changed; cancel it instead (%).',
            OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER billing_invoice_frozen
BEFORE UPDATE OR DELETE ON billing_invoice
FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen();

CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM billing_invoice
        WHERE id = OLD.invoice_id AND status <> 'draft'
    ) OR (TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM billing_invoice
        WHERE id = NEW.invoice_id AND status <> 'draft'
    )) THEN
        RAISE EXCEPTION 'An issued invoice cannot be changed; cancel it instead (line %).',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER billing_invoiceline_frozen
BEFORE UPDATE OR DELETE ON billing_invoiceline
FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_frozen();

CREATE OR REPLACE FUNCTION billing_invoicelineusage_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id
        WHERE l.id = OLD.line_id AND i.status <> 'draft'
    ) OR (TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id
        WHERE l.id = NEW.line_id AND i.status <> 'draft'
    )) THEN
        RAISE EXCEPTION 'An issued invoice cannot be changed; cancel it instead (line %).',
            OLD.line_id USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER billing_invoicelineusage_frozen
BEFORE UPDATE OR DELETE ON billing_invoicelineusage
FOR EACH ROW EXECUTE FUNCTION billing_invoicelineusage_frozen();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_invoicelineusage_frozen ON billing_invoicelineusage;
DROP FUNCTION IF EXISTS billing_invoicelineusage_frozen();
DROP TRIGGER IF EXISTS billing_invoiceline_frozen ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_frozen();
DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_frozen();
DROP TRIGGER IF EXISTS billing_usagedraw_append_only ON billing_usagedraw;
DROP FUNCTION IF EXISTS billing_usagedraw_append_only();
DROP TRIGGER IF EXISTS billing_usage_append_only ON billing_usage;
DROP FUNCTION IF EXISTS billing_usage_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS_AND_TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_tariff_callback_expiry"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
