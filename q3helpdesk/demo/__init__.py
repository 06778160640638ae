"""The demo company: what `seed_demo` writes (customers, a year of desk activity, mail)."""
