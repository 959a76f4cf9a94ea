"""The accounts service: billing accounts, members and roles, projects, standing."""
