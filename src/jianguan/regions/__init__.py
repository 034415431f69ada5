"""Administrative divisions of GB/T 2260: provinces, prefecture-level cities, counties."""
