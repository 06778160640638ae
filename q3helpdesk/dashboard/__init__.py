"""The manager dashboard: periods, the selectors that count, the tiles and charts, and the
home page's tables."""
