"""The texts of a year of desk activity (``q3helpdesk.demo.activity``): the subjects of
cases, remote sessions, first installations, rental-switch leads and callbacks."""

# Subjects of the cases, as the desk writes them in the customer's language.
SUBJECTS = {
    "fr": [
        "Clôture annuelle COFI",
        "Décompte TVA trimestriel",
        "Écriture de TVA à corriger",
        "Import des extraits bancaires camt.053",
        "QR-facture refusée par la banque",
        "Salaires : déduction AVS incorrecte",
        "Certificat de salaire (formulaire 11)",
        "Décompte LPP annuel",
        "Impression des factures",
        "Rappels de paiement",
        "Mise à jour vers la nouvelle version",
        "Sauvegarde et restauration des données",
        "Plan comptable : nouveau compte",
        "Écart dans la balance",
        "Export pour la fiduciaire",
        "Fichier de paiement pain.001",
        "Créanciers : paiement en double",
        "Allocations familiales",
        "Nouveau poste de travail sur le réseau",
        "Mot de passe oublié",
        "Budget et comparaison",
        "Report des soldes",
    ],
    "de": [
        "Jahresabschluss COFI",
        "MWST-Abrechnung Quartal",
        "MWST-Buchung korrigieren",
        "Import Bankauszüge camt.053",
        "QR-Rechnung von der Bank abgelehnt",
        "Lohn: AHV-Abzug falsch",
        "Lohnausweis (Formular 11)",
        "BVG-Jahresabrechnung",
        "Rechnungsdruck",
        "Mahnwesen",
        "Update auf die neue Version",
        "Datensicherung und Wiederherstellung",
        "Kontenplan: neues Konto",
        "Differenz in der Saldenliste",
        "Export für den Treuhänder",
        "Zahlungsdatei pain.001",
        "Kreditoren: doppelte Zahlung",
        "Familienzulagen",
        "Neuer Arbeitsplatz im Netzwerk",
        "Passwort vergessen",
        "Budgetvergleich",
        "Saldovortrag",
    ],
}
REMOTE_SUBJECTS = {
    "fr": ["Formation à distance : salaires", "Télémaintenance : installation réseau"],
    "de": ["Fernschulung Lohn", "Fernwartung: Netzwerkinstallation"],
}
INSTALL_SUBJECT = {
    "fr": "Première installation et code de licence",
    "de": "Erstinstallation und Lizenzcode",
}
LEAD_SUBJECTS = {
    "fr": [
        "Passage à la licence de location",
        "Offre pour la version de location actuelle",
        "Licence échue : renouvellement",
    ],
    "de": [
        "Wechsel auf die Mietlizenz",
        "Offerte für die aktuelle Mietversion",
        "Abgelaufene Lizenz erneuern",
    ],
}
CALLBACK_PREFIX = {"fr": "Rappel : ", "de": "Rückruf: "}
