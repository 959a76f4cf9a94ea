# The real local stack's fixtures (`stack`, `mailbox`) for every test in the repository.
pytest_plugins = ["devstack.pytest_plugin"]
