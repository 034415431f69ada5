"""The credit record (诚信档案) of an enterprise: its facts in one place and the score they make."""
