"""The product catalogue: categories and the agency responsible for each."""
