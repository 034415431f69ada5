"""Complaints and reports (投诉举报) as cases: intake on every channel, routing, the workflow, and telling the people."""
