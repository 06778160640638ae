"""Cases, time entries, callbacks and support e-mails arrive with the Infoline desk."""
