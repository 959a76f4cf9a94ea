# The real local stack's fixtures (`stack`, `mailbox`) and the in-memory span recorder (`spans`)
# for every test in the repository.
pytest_plugins = ["devstack.pytest_plugin", "billing_runtime.observability.span_recording"]
