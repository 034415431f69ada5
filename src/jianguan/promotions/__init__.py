"""Promotions (促销): a prize draw or points on the first genuine verification of a code."""
