"""Complaints and reports (投诉举报): what consumers send about products, and who follows them up."""
