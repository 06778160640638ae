"""The hand-written demo customers with their contacts (numbers 10001 to 10014).

Everything here is fictional: the persons, businesses, e-mail addresses, domains and phone
numbers are invented for demonstration purposes and do not refer to real people or companies.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoContact:
    name: str  # "Sophie Favre"
    email: str  # fictional, on the customer's domain
    phone: str  # Swiss national format "021 312 45 67" or mobile "079 123 45 67"


@dataclass(frozen=True)
class DemoCustomer:
    number: str  # "10001" ... "10014", unique
    name: str
    language: str  # "fr" or "de"
    street: str
    house_number: str
    postcode: str
    city: str
    email: str  # fictional address on a fictional domain
    phone: str  # Swiss national format "021 312 45 67"
    contacts: tuple[DemoContact, ...]  # 1 to 3 contacts


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    # --- French-speaking customers -------------------------------------------------------
    DemoCustomer(
        number="10001",
        name="Boulangerie Favre SA",
        language="fr",
        street="Rue du Centre",
        house_number="14",
        postcode="1003",
        city="Lausanne",
        email="info@boulangerie-favre.ch",
        phone="021 312 45 67",
        contacts=(
            DemoContact("Sophie Favre", "sophie.favre@boulangerie-favre.ch", "079 412 36 58"),
            DemoContact("Marc Favre", "marc.favre@boulangerie-favre.ch", "021 312 45 68"),
        ),
    ),
    DemoCustomer(
        number="10002",
        name="Fiduciaire Rochat & Associés Sàrl",
        language="fr",
        street="Rue de la Fontaine",
        house_number="7",
        postcode="1201",
        city="Genève",
        email="contact@rochat-fiduciaire.ch",
        phone="022 738 14 90",
        contacts=(
            DemoContact("Nathalie Rochat", "nathalie.rochat@rochat-fiduciaire.ch", "022 738 14 91"),
            DemoContact("Olivier Girard", "olivier.girard@rochat-fiduciaire.ch", "078 629 04 17"),
            DemoContact("Céline Mercier", "celine.mercier@rochat-fiduciaire.ch", "022 738 14 95"),
        ),
    ),
    DemoCustomer(
        number="10003",
        name="Cave Perrin & Fils",
        language="fr",
        street="Chemin des Vignes",
        house_number="23",
        postcode="2000",
        city="Neuchâtel",
        email="cave@perrin-vins.ch",
        phone="032 725 61 38",
        contacts=(DemoContact("Pierre Perrin", "pierre.perrin@perrin-vins.ch", "079 358 21 64"),),
    ),
    DemoCustomer(
        number="10004",
        name="Menuiserie Jungo Sàrl",
        language="fr",
        street="Rue de l'Industrie",
        house_number="42",
        postcode="1700",
        city="Fribourg",
        email="info@menuiserie-jungo.ch",
        phone="026 322 58 14",
        contacts=(
            DemoContact("Laurent Jungo", "laurent.jungo@menuiserie-jungo.ch", "079 645 82 30"),
            DemoContact("Valérie Roulin", "valerie.roulin@menuiserie-jungo.ch", "026 322 58 15"),
        ),
    ),
    DemoCustomer(
        number="10005",
        name="Garage Bonvin SA",
        language="fr",
        street="Route Cantonale",
        house_number="105",
        postcode="1950",
        city="Sion",
        email="garage@bonvin-auto.ch",
        phone="027 323 47 19",
        contacts=(
            DemoContact("Frédéric Bonvin", "frederic.bonvin@bonvin-auto.ch", "079 231 67 48"),
            DemoContact("Chantal Délèze", "chantal.deleze@bonvin-auto.ch", "027 323 47 10"),
        ),
    ),
    DemoCustomer(
        number="10006",
        name="Électricité Jaquier Sàrl",
        language="fr",
        street="Avenue de la Gare",
        house_number="3b",
        postcode="1400",
        city="Yverdon-les-Bains",
        email="info@jaquier-electricite.ch",
        phone="024 425 36 72",
        contacts=(
            DemoContact(
                "Stéphane Jaquier", "stephane.jaquier@jaquier-electricite.ch", "076 384 19 25"
            ),
        ),
    ),
    DemoCustomer(
        number="10007",
        name="Atelier d'architecture Chételat Sàrl",
        language="fr",
        street="Rue du Collège",
        house_number="9",
        postcode="2800",
        city="Delémont",
        email="atelier@chetelat-architectes.ch",
        phone="032 422 83 56",
        contacts=(
            DemoContact(
                "Isabelle Chételat", "isabelle.chetelat@chetelat-architectes.ch", "032 422 83 57"
            ),
            DemoContact(
                "Julien Monnier", "julien.monnier@chetelat-architectes.ch", "077 452 90 31"
            ),
        ),
    ),
    DemoCustomer(
        number="10008",
        name="Cabinet dentaire Gauchat",
        language="fr",
        street="Rue des Jardins",
        house_number="18",
        postcode="2502",
        city="Biel/Bienne",
        email="reception@dentiste-gauchat.ch",
        phone="032 323 74 80",
        contacts=(
            DemoContact("Aurélie Gauchat", "aurelie.gauchat@dentiste-gauchat.ch", "032 323 74 81"),
            DemoContact("Mélanie Pittet", "melanie.pittet@dentiste-gauchat.ch", "032 323 74 82"),
        ),
    ),
    # --- German-speaking customers -------------------------------------------------------
    DemoCustomer(
        number="10009",
        name="Schreinerei Keller AG",
        language="de",
        street="Gewerbestrasse",
        house_number="11",
        postcode="3011",
        city="Bern",
        email="info@keller-schreinerei.ch",
        phone="031 381 22 10",
        contacts=(
            DemoContact("Thomas Keller", "thomas.keller@keller-schreinerei.ch", "079 567 13 42"),
            DemoContact("Regula Keller", "regula.keller@keller-schreinerei.ch", "031 381 22 11"),
        ),
    ),
    DemoCustomer(
        number="10010",
        name="Treuhand Meier GmbH",
        language="de",
        street="Poststrasse",
        house_number="5",
        postcode="8001",
        city="Zürich",
        email="kontakt@meier-treuhand.ch",
        phone="044 251 73 40",
        contacts=(
            DemoContact("Andrea Meier", "andrea.meier@meier-treuhand.ch", "044 251 73 41"),
            DemoContact("Lukas Widmer", "lukas.widmer@meier-treuhand.ch", "078 815 26 93"),
            DemoContact("Karin Suter", "karin.suter@meier-treuhand.ch", "044 251 73 45"),
        ),
    ),
    DemoCustomer(
        number="10011",
        name="Elektro Brunner AG",
        language="de",
        street="Industriestrasse",
        house_number="28",
        postcode="4051",
        city="Basel",
        email="info@brunner-elektro.ch",
        phone="061 272 48 35",
        contacts=(
            DemoContact("Markus Brunner", "markus.brunner@brunner-elektro.ch", "079 934 58 21"),
        ),
    ),
    DemoCustomer(
        number="10012",
        name="Hotel Bürgi AG",
        language="de",
        street="Seestrasse",
        house_number="16",
        postcode="6003",
        city="Luzern",
        email="reservation@hotel-buergi.ch",
        phone="041 418 62 70",
        contacts=(
            DemoContact("Simone Bürgi", "simone.buergi@hotel-buergi.ch", "041 418 62 71"),
            DemoContact("Reto Gasser", "reto.gasser@hotel-buergi.ch", "076 523 47 18"),
        ),
    ),
    DemoCustomer(
        number="10013",
        name="Bäckerei Zünd",
        language="de",
        street="Marktgasse",
        house_number="4",
        postcode="9000",
        city="St. Gallen",
        email="info@baeckerei-zuend.ch",
        phone="071 223 58 46",
        contacts=(DemoContact("Ursula Zünd", "ursula.zuend@baeckerei-zuend.ch", "079 286 41 73"),),
    ),
    DemoCustomer(
        number="10014",
        name="Sanitär Zbinden GmbH",
        language="de",
        street="Alpenstrasse",
        house_number="32a",
        postcode="3600",
        city="Thun",
        email="info@zbinden-sanitaer.ch",
        phone="033 222 91 54",
        contacts=(
            DemoContact("Beat Zbinden", "beat.zbinden@zbinden-sanitaer.ch", "079 743 25 86"),
            DemoContact("Franziska Lüthi", "franziska.luethi@zbinden-sanitaer.ch", "033 222 91 55"),
        ),
    ),
)
