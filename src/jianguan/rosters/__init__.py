"""Industry rosters (行业名录) and the penetration rates measured against them."""
