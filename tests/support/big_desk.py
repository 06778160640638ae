"""A support desk a few years old, written into the test database in seconds, for the
tests that ask PostgreSQL how it would run the pages' queries (tests/q3helpdesk/
test_index_plans.py): 20 000 customers with a contact each, licences, rental periods,
subscriptions and credit grants; 40 000 cases with their search texts; 150 000 time
entries and usages (with the credit they drew); 12 000 callbacks; 12 000 invoices.

Written with INSERT … SELECT generate_series, where the services would take minutes; each
statement names the columns and fills them as the services would. PostgreSQL only.
Placeholders: %(c0)s the first customer, %(k0)s the first contact, %(case0)s the first
case, %(u0)s the first usage, %(i0)s the first invoice, %(tariff)s, %(users)s.
"""

CUSTOMERS = 20_000
CASES = 40_000
USAGES = 150_000
CALLBACKS = 12_000
INVOICES = 12_000
DESK_USERS = 6

TABLES_WRITTEN = [
    "customers_customer",
    "customers_contact",
    "customers_licence",
    "customers_rentalperiod",
    "customers_halffaresubscription",
    "customers_supportplussubscription",
    "billing_creditgrant",
    "cases_case",
    "cases_casesearch",
    "billing_usage",
    "billing_usagedraw",
    "cases_timeentry",
    "cases_callback",
    "billing_invoice",
]


FILL = [
    (
        "customers",
        """
        INSERT INTO customers_customer (number, name, street, house_number, postcode, city,
            country, language, email, phone, created_at, name_key, fold_key)
        SELECT (100000 + i)::text, n.name, 'Rue du Lac', '12', (1000 + i %% 900)::text,
            'Ort ' || (i %% 300), 'CH', 'fr',
            'info' || i || '@firma' || (i %% 500) || '.example',
            '+4131' || lpad((5000000 + i)::text, 7, '0'), now(),
            lower(unaccent(n.name)), lower(unaccent(n.name))
        FROM generate_series(0, %(customers)s::int - 1) AS i,
        LATERAL (SELECT (ARRAY['Müller', 'Meier', 'Schmid', 'Keller', 'Weber', 'Huber',
            'Dupont', 'Favre', 'Rochat', 'Bernasconi'])[1 + i %% 10]
            || ' ' || substr(md5(i::text), 1, 8) || ' SA' AS name) AS n
        """,
    ),
    (
        "contacts",
        """
        INSERT INTO customers_contact (name, email, phone, customer_id, name_key, fold_key,
            language, role)
        SELECT n.name, 'person' || i || '@firma' || (i %% 500) || '.example',
            '+4179' || lpad((1000000 + i)::text, 7, '0'), %(c0)s + i %% %(customers)s,
            lower(unaccent(n.name)), lower(unaccent(n.name)), '', ''
        FROM generate_series(0, %(customers)s::int - 1) AS i,
        LATERAL (SELECT (ARRAY['Claire', 'Hans', 'Anna', 'Marco', 'Sophie', 'Urs', 'Léa',
            'Peter'])[1 + i %% 8] || ' ' || substr(md5('c' || i), 1, 6) AS name) AS n
        """,
    ),
    (
        "licences",
        """
        INSERT INTO customers_licence (kind, variant, created_at, customer_id)
        SELECT CASE WHEN i %% 20 = 0 THEN 'purchase' ELSE 'rental' END,
            (ARRAY['standard', 'advanced', 'profi', 'premium'])[1 + i %% 4], now(), %(c0)s + i
        FROM generate_series(0, %(customers)s::int - 1) AS i
        """,
    ),
    (
        # Last year's period and this year's; one customer in ten has let it end.
        "rental periods",
        """
        INSERT INTO customers_rentalperiod (start, "end", annual_rent, licence_id)
        SELECT current_date - 730 + (l.id %% 200)::int,
            current_date - 366 + (l.id %% 200)::int, 480, l.id
        FROM customers_licence l WHERE l.kind = 'rental' AND l.customer_id >= %(c0)s
        UNION ALL
        SELECT current_date - 365 + (l.id %% 200)::int,
            CASE WHEN l.id %% 10 = 1 THEN current_date - 10
                ELSE current_date + (l.id %% 200)::int END,
            480, l.id
        FROM customers_licence l WHERE l.kind = 'rental' AND l.customer_id >= %(c0)s
        """,
    ),
    (
        "half-fare",
        """
        INSERT INTO customers_halffaresubscription (start, "end", created_at, customer_id)
        SELECT current_date - 100, current_date + 265, now(), %(c0)s + i
        FROM generate_series(0, %(customers)s::int - 1, 10) AS i
        """,
    ),
    (
        "support plus",
        """
        INSERT INTO customers_supportplussubscription (start, "end", created_at, customer_id)
        SELECT current_date - 100, current_date + 265, now(), %(c0)s + i
        FROM generate_series(2, %(customers)s::int - 1, 200) AS i  -- the capacity: 100
        """,
    ),
    (
        "grants",
        """
        INSERT INTO billing_creditgrant (source, valid_from, valid_to, minutes, updated_at,
            customer_id, rental_period_id, support_plus_id, tariff_id, used_minutes)
        SELECT 'licence', p.start, p."end", 5 + 5 * (p.id %% 5), now(), l.customer_id, p.id,
            NULL, %(tariff)s, 0
        FROM customers_rentalperiod p JOIN customers_licence l ON l.id = p.licence_id
        WHERE l.customer_id >= %(c0)s
        UNION ALL
        SELECT 'support_plus', s.start, s."end", 120, now(), s.customer_id, NULL, s.id,
            %(tariff)s, 0
        FROM customers_supportplussubscription s WHERE s.customer_id >= %(c0)s
        """,
    ),
    (
        # Newest last; about one case in twenty-five still open or waiting, three in a
        # hundred for Support+, one in twenty a rental-switch lead.
        "cases",
        """
        INSERT INTO cases_case (kind, channel, subject, description, status, support_plus,
            bug_reference, verified_bug_at, created_at, updated_at, resolved_at, closed_at,
            assignee_id, contact_id, created_by_id, customer_id, opened_on, follows_id)
        SELECT CASE WHEN i %% 20 = 7 THEN 'lead' ELSE 'case' END,
            (ARRAY['phone', 'phone', 'phone', 'email', 'email', 'remote', 'support_plus'])
                [1 + (i * 11) %% 7],
            (ARRAY['Lohnlauf bricht ab', 'Problème impression facture', 'Clôture annuelle',
                'Invoice printing twice', 'Mise à jour COFI', 'Paiement créanciers',
                'Décompte salaires', 'Installation licence'])[1 + i %% 8]
                || ' ' || substr(md5(i::text), 1, 10)
                || CASE WHEN i %% 250 = 0 THEN ' Zahlungsdatei' ELSE '' END,
            '', x.status, (i * 13) %% 100 < 3, '', NULL, x.created, x.created,
            CASE WHEN x.status IN ('resolved', 'closed') THEN x.created + interval '2 days' END,
            CASE WHEN x.status = 'closed' THEN x.created + interval '9 days' END,
            (%(users)s::int[])[1 + i %% 7],
            CASE WHEN i %% 3 = 0 THEN NULL ELSE %(k0)s + (i * 7) %% %(customers)s END,
            NULL, %(c0)s + (i * 7) %% %(customers)s, x.created::date, NULL
        FROM generate_series(0, %(cases)s::int - 1) AS i,
        LATERAL (SELECT now() - (%(cases)s - i) * interval '25 minutes' AS created,
            CASE WHEN (i * 37) %% 100 < 3 THEN 'open' WHEN (i * 37) %% 100 < 4 THEN 'waiting'
                WHEN (i * 37) %% 100 < 24 THEN 'resolved' ELSE 'closed' END AS status) AS x
        """,
    ),
    (
        "case search",
        """
        INSERT INTO cases_casesearch (case_id, config, subject, description, notes, emails,
            vector, urgent, created_at)
        SELECT id, 'q3_french', subject, '', '', '',
            setweight(to_tsvector('q3_french', subject), 'A'),
            support_plus AND status IN ('open', 'waiting'), created_at
        FROM cases_case WHERE id >= %(case0)s
        """,
    ),
    (
        # Two postings in three from credit or billable; old billable ones are invoiced.
        "usages",
        """
        INSERT INTO billing_usage (activity, work_ref, performed_on, logged_minutes,
            charged_minutes, credit_minutes, billable_minutes, free_minutes, rate, amount,
            half_fare, label, reason, invoiced_at, created_at, contact_id, customer_id,
            performed_by_id, reverses_id, tariff_id)
        SELECT (ARRAY['support', 'support', 'support', 'data_check', 'training', 'forms',
                'programming', 'first_install', 'verified_bug'])[1 + i %% 9],
            'C-' || c.id, c.opened_on + (i %% 3)::int, 10, 10,
            CASE WHEN m.kind = 0 THEN 10 ELSE 0 END, CASE WHEN m.kind = 1 THEN 10 ELSE 0 END,
            CASE WHEN m.kind = 2 THEN 10 ELSE 0 END, 175,
            CASE WHEN m.kind = 1 THEN 29.15 ELSE 0 END, false, '', '',
            CASE WHEN m.kind = 1 AND c.created_at < now() - interval '60 days' THEN now() END,
            now(), c.contact_id, c.customer_id, NULL, NULL, %(tariff)s
        FROM generate_series(0, %(usages)s::int - 1) AS i
        JOIN cases_case c ON c.id = %(case0)s + i %% %(cases)s,
        LATERAL (SELECT get_byte(decode(md5(i::text), 'hex'), 0) %% 5 %% 3 AS kind) AS m
        """,
    ),
    (
        # Credit drawn from two of the customer's grants (last year's and this year's:
        # the ledger's biggest table), one usage in three from Support+ if any.
        "draws",
        """
        INSERT INTO billing_usagedraw (minutes, grant_id, usage_id)
        SELECT u.credit_minutes / 2, g.id, u.id
        FROM billing_usage u
        JOIN LATERAL (SELECT g.id FROM billing_creditgrant g WHERE g.customer_id = u.customer_id
            ORDER BY (g.source = 'support_plus') = (u.id %% 3 = 0) DESC, g.id LIMIT 2) g
            ON true
        WHERE u.credit_minutes > 0 AND u.id >= %(u0)s
        """,
    ),
    (
        # The grants' roll-up of their draws, as the ledger services keep it.
        "used minutes",
        """
        UPDATE billing_creditgrant g SET used_minutes = d.minutes
        FROM (SELECT grant_id, sum(minutes) AS minutes FROM billing_usagedraw
            GROUP BY grant_id) d
        WHERE d.grant_id = g.id AND g.customer_id >= %(c0)s
        """,
    ),
    (
        "time entries",
        """
        INSERT INTO cases_timeentry (activity, minutes, performed_on, note, created_at,
            case_id, created_by_id, removed_by_id, reversal_id, usage_id)
        SELECT u.activity, u.logged_minutes, u.performed_on, '', now(),
            substring(u.work_ref from 3)::bigint, NULL, NULL, NULL, u.id
        FROM billing_usage u WHERE u.id >= %(u0)s
        """,
    ),
    (
        # A window every 50 minutes over a year and more, the last few days still to come;
        # the recent ones open, two in a hundred of the old ones forgotten (missed).
        "callbacks",
        """
        INSERT INTO cases_callback (phone, reason, support_plus, status, first_window_start,
            first_window_end, last_window_end, claimed_at, first_attempt_at, closed_at,
            created_at, case_id, claimed_by_id, created_by_id, cancel_reason, cancelled_by_id)
        SELECT '+41315114949', 'Rappel', (i * 13) %% 100 < 3, x.status, x.start,
            x.start + interval '1 hour',
            x.start + CASE WHEN i %% 4 = 0 THEN interval '25 hours' ELSE interval '1 hour' END,
            NULL, NULL,
            CASE WHEN x.status = 'done' THEN x.start + interval '30 minutes'
                WHEN x.status = 'cancelled' THEN x.start END,
            x.start - interval '1 hour', %(case0)s + (i * 3) %% %(cases)s,
            CASE WHEN x.status = 'open' THEN (%(users)s::int[])[1 + i %% 7] END,
            NULL, '', NULL
        FROM generate_series(0, %(callbacks)s::int - 1) AS i,
        LATERAL (SELECT now() + interval '3 days' - (%(callbacks)s - i) * interval '50 minutes'
            AS start) AS s,
        LATERAL (SELECT s.start, CASE WHEN s.start > now() - interval '5 days' THEN 'open'
            WHEN i %% 100 < 2 THEN 'open' WHEN i %% 100 < 12 THEN 'cancelled'
            ELSE 'done' END AS status) AS x
        """,
    ),
    (
        # Monthly invoices over two years, the last month's still drafts; one in fifty
        # cancelled by a credit note.
        "invoices",
        """
        INSERT INTO billing_invoice (kind, status, number, period_start, period_end,
            issued_on, due_on, language, debtor_number, debtor_name, debtor_street,
            debtor_house_number, debtor_postcode, debtor_city, debtor_country, creditor_name,
            creditor_street, creditor_house_number, creditor_postcode, creditor_city,
            creditor_country, creditor_vat_number, creditor_iban, creditor_email,
            creditor_phone, footer, reference, vat_rate, net, vat, rounding, total,
            credit_used_minutes, credit_remaining_minutes, reason, pdf, created_at,
            cancels_id, customer_id, issued_by_id)
        SELECT 'invoice', x.status,
            CASE WHEN x.status <> 'draft' THEN to_char(x.start, 'YYYY') || '-'
                || lpad(i::text, 5, '0') END,
            x.start, (x.start + interval '1 month' - interval '1 day')::date,
            CASE WHEN x.status <> 'draft' THEN (x.start + interval '1 month')::date END,
            CASE WHEN x.status <> 'draft' THEN (x.start + interval '2 months')::date END,
            'fr', '', '', '', '', '', '', 'CH', '', '', '', '', '', 'CH', '', '', '', '', '',
            '', 8.1, 100, 8.1, -0.05, 108.05, 0, 0, '', '', now(), NULL,
            %(c0)s + (i * 7) %% %(customers)s, NULL
        FROM generate_series(0, %(invoices)s::int - 1) AS i,
        LATERAL (SELECT (date_trunc('month', current_date)
            - ((%(invoices)s - 1 - i) / 500) * interval '1 month')::date AS start) AS s,
        LATERAL (SELECT s.start, CASE WHEN i >= %(invoices)s - 500 THEN 'draft'
            WHEN i %% 50 = 0 THEN 'cancelled' ELSE 'issued' END AS status) AS x
        """,
    ),
    (
        "credit notes",
        """
        INSERT INTO billing_invoice (kind, status, number, period_start, period_end,
            issued_on, due_on, language, debtor_number, debtor_name, debtor_street,
            debtor_house_number, debtor_postcode, debtor_city, debtor_country, creditor_name,
            creditor_street, creditor_house_number, creditor_postcode, creditor_city,
            creditor_country, creditor_vat_number, creditor_iban, creditor_email,
            creditor_phone, footer, reference, vat_rate, net, vat, rounding, total,
            credit_used_minutes, credit_remaining_minutes, reason, pdf, created_at,
            cancels_id, customer_id, issued_by_id)
        SELECT 'credit_note', 'issued', 'K-' || id, period_start, period_end, issued_on + 10,
            NULL, 'fr', '', '', '', '', '', '', 'CH', '', '', '', '', '', 'CH', '', '', '', '',
            '', '', 8.1, -100, -8.1, 0.05, -108.05, 0, 0, '', '', now(), id, customer_id, NULL
        FROM billing_invoice WHERE status = 'cancelled' AND id >= %(i0)s
        """,
    ),
]

# The statements whose first new id the later ones refer to.
NEW_IDS = {
    "customers": ("customers_customer", "c0"),
    "contacts": ("customers_contact", "k0"),
    "cases": ("cases_case", "case0"),
    "usages": ("billing_usage", "u0"),
    "invoices": ("billing_invoice", "i0"),
}


def fill(cursor, params: dict) -> None:
    """Write the desk (``params``: the sizes, ``users`` the ids of the desk's members,
    ``tariff``; the first ids written are added to it), then give the planner its
    statistics."""
    for name, sql in FILL:
        table, key = NEW_IDS.get(name, ("", ""))
        if key:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
            before = cursor.fetchone()[0]
        cursor.execute(sql, params)
        if key:
            cursor.execute(f"SELECT min(id) FROM {table} WHERE id > %s", [before])  # noqa: S608
            params[key] = cursor.fetchone()[0]
    # Check the foreign keys now, once: Django makes them deferred, and each test's
    # teardown (SET CONSTRAINTS ALL IMMEDIATE, in its savepoint) would check them all again.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # What autovacuum does on a live desk: move the rows just written from the GIN
    # indexes' pending lists into the indexes (read whole by every search until then).
    cursor.execute(
        "SELECT gin_clean_pending_list(c.oid::regclass) FROM pg_class c"
        " JOIN pg_am a ON a.oid = c.relam"
        " WHERE a.amname = 'gin' AND c.relnamespace = 'public'::regnamespace"
    )
    # Statistics of every row, not of a random sample (ANALYZE reads 300 rows per unit of
    # the target, here more than any table holds): the same plans on every run.
    cursor.execute("SET default_statistics_target = 500")
    for table in TABLES_WRITTEN:
        cursor.execute(f"ANALYZE {table}")
    cursor.execute("RESET default_statistics_target")
