"""Users, roles, sessions and machine credentials (密钥)."""
