"""Statistics: daily roll-ups of queries, codes and terminals, enrolment per period, targets (考核)."""
