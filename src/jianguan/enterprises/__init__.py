"""The registry of networked enterprises (入网企业), their qualifications and products."""
