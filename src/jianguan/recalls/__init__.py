"""Recalls (召回) and supervised destruction (监督销毁) of goods: what stops a bad lot on every channel."""
