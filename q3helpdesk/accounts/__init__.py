"""Login protection, two-factor login, sessions and the user's own account page."""
